"""A scenario's run: ``/scenarios/runs/{job_id}``, its progress, then its result.

While the job is queued or running the page shows its progress (``GET
/api/v1/jobs/{id}``) in a fragment that htmx (vendored) fetches again every second
from ``/scenarios/runs/{job_id}/progress``; when the job has ended, the fragment
answers ``HX-Refresh: true`` and the browser loads the page again. Without
JavaScript the page has a "Refresh" link instead. When the job is done the page draws
its result (``GET /api/v1/jobs/{id}/results``, the rows of the visitor's scope) for
one area and staff group (``?area=``, ``?staff_group=``): supply with the scenario's
interventions against the baseline, the same draws without them, and demand
(:func:`wfplan.web.charts_scenario.scenario_chart`); a run by role also shows the
area's skills gaps by role (``GET /api/v1/jobs/{id}/skills``,
:mod:`wfplan.web.pages.skills_table`).
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from wfplan.dataset import codelists
from wfplan.report import format as fmt
from wfplan.web.charts_scenario import SERIES, scenario_chart
from wfplan.web.pages.api import Api, PageError, together
from wfplan.web.pages.render import page
from wfplan.web.pages.session import Visitor, visitor_of
from wfplan.web.pages.skills_table import skills_table

router = APIRouter()
JobPath = Annotated[str, Path(max_length=32, pattern=r"^[0-9a-f]{1,32}$")]
CodeQuery = Annotated[str | None, Query(max_length=100, pattern=r"^[A-Za-z0-9_]+$")]
#: England's code in results, and the total of every staff group (England's rows only).
ENGLAND, ALL_GROUPS = "E92000001", "all_staff_groups"
#: The staff group shown first where the area has no total of every group.
NURSES = "nurses_health_visitors"


async def _job(request: Request, visitor: Visitor, job_id: str) -> dict[str, Any]:
    if not visitor.signed_in:
        raise PageError(401, "Log in to see your scenario runs.")
    async with Api(request, visitor.token) as api:
        job: dict[str, Any] = await api.get(f"/jobs/{job_id}")
    if job["kind"] != "project":
        raise PageError(404, "There is no such scenario run.")
    return job


@router.get("/scenarios/runs/{job_id}/progress", response_class=HTMLResponse,
            include_in_schema=False)
async def progress(request: Request, job_id: JobPath) -> HTMLResponse:
    """Return the progress fragment; once the job has ended, ask htmx to reload the page."""
    visitor = await visitor_of(request)
    job = await _job(request, visitor, job_id)
    response = page(request, visitor, "scenario_progress.html", job=job)
    if job["status"] in ("done", "failed"):
        response.headers["HX-Refresh"] = "true"
    return response


def _pick(wanted: str | None, found: list[str], *preferred: str | None) -> str | None:
    for code in (wanted, *preferred):
        if code in found:
            return code
    return found[0] if found else None


async def _result(api: Api, visitor: Visitor, job: dict[str, Any], area: str | None,
                  group: str | None) -> dict[str, Any]:
    """Return the result's chart, the areas and staff groups it has, and what was picked."""
    path = f"/jobs/{job['job_id']}/results"
    totals = await api.get(path, variable="supply_fte", statistic="p50")
    areas = list(dict.fromkeys(str(r["area"]) for r in totals["rows"]))
    home = visitor.role.partition(":")[2] or None
    chosen = _pick(area, areas, home, ENGLAND)
    if chosen is None:
        return {"chart": None, "areas": [], "groups": [], "results": totals}
    groups = list(dict.fromkeys(str(r["staff_group"]) for r in totals["rows"]
                                if r["area"] == chosen))
    picked = _pick(group, groups, ALL_GROUPS, NURSES) or groups[0]
    answers = await together(*(api.get(path, variable=v, area=chosen, staff_group=picked)
                               for v in (*SERIES, "gap_closed_fte")))
    by_role = set(groups) & set(codelists.get("role").codes)  # a run by role: its skills gaps
    skills = await api.get(f"/jobs/{job['job_id']}/skills") if by_role else {}
    rows = pd.DataFrame([r for a in answers for r in a["rows"]])
    wide = rows.pivot_table(index=["variable", "year"], columns="statistic", values="value",
                            aggfunc="first").reset_index()
    years = sorted(int(y) for y in wide["year"].unique())
    period = f"{years[0]} to {years[-1]}" if years else "no years"
    scenario = str(job.get("scenario_name") or "the scenario")
    chart = scenario_chart(
        wide, id="scenario-result", period=period,
        title=f"Supply and demand, {fmt.staff_group_name(picked)}, {chosen}: with the "
              "scenario's interventions and without them (baseline)",
        source=f"wfplan projection of {scenario} (job {job['job_id']}) on vintage "
               f"{totals['vintage']}, seed {totals['seed']}, {totals['draws']} draws; the "
               "baseline is the same draws without the interventions")
    closed = wide[(wide["variable"] == "gap_closed_fte") & (wide["year"] == years[-1])]
    return {"chart": chart, "areas": areas, "groups": groups, "area": chosen,
            "group": picked, "results": totals, "last": years[-1] if years else None,
            "closed": None if closed.empty else float(closed["p50"].to_numpy()[0]),
            "skills": skills_table(skills, chosen, "England" if chosen == ENGLAND else chosen)}


@router.get("/scenarios/runs/{job_id}", response_class=HTMLResponse, include_in_schema=False)
async def run_page(request: Request, job_id: JobPath, area: CodeQuery = None,
                   staff_group: CodeQuery = None) -> HTMLResponse:
    """Show a run: its progress while it runs, its result against the baseline when done."""
    visitor = await visitor_of(request)
    job = await _job(request, visitor, job_id)
    result: dict[str, Any] | None = None
    async with Api(request, visitor.token) as api:
        if job.get("scenario_id"):
            kept = await api.get(f"/scenarios/{job['scenario_id']}")
            job = {**job, "scenario_name": kept["name"]}
        if job["status"] == "done":
            result = await _result(api, visitor, job, area, staff_group)
    return page(request, visitor, "scenario_run.html", title="Scenario run", job=job,
                result=result, group_name=fmt.staff_group_name)
