"""A sensitivity analysis's page (``/sensitivity/{job_id}``), and the tornado charts of any.

A sensitivity job (``POST /api/v1/scenarios/{id}/sensitivity``) is read from
``GET /api/v1/jobs/{id}`` and, once done, ``GET /api/v1/jobs/{id}/results``: the
tornado rows of the areas in the visitor's scope (England's national users only)
and the variance shares. The page draws a tornado chart of each area
(:func:`wfplan.web.charts_projection.tornado`), each with "Show as table", its
source and period, and the variance shares as a table (CSV and XLSX,
``sensitivity-{job}-variance``). Before the job is done it shows its status and
progress. The job is its owner's and national users' (anyone else: the API's 404).
``POST /sensitivity`` (the form of the assessments page) starts one:
:mod:`wfplan.web.pages.sensitivity_form`.

:func:`tornado_charts` and :func:`variance_table` also draw an assessment bundle's
sensitivity tables (:mod:`wfplan.web.pages.assessments`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from wfplan.report.tornado_chart import quantity_label
from wfplan.web.charts import Chart
from wfplan.web.charts_projection import tornado
from wfplan.web.pages.api import Api, PageError, together
from wfplan.web.pages.overview import PageData
from wfplan.web.pages.render import page
from wfplan.web.pages.session import Visitor, visitor_of
from wfplan.web.pages.tables import Cell, Table

router = APIRouter()
#: England's code: its tornado comes first.
ENGLAND = "E92000001"
JOB_ID = re.compile(r"^[0-9a-f]{1,32}$")
#: What the page calls a job's status.
STATUS = {"queued": "Waiting to start", "running": "Running", "done": "Done",
          "failed": "Failed"}


def _area_names(areas: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {str(a["code"]): str(a["name"]) for a in areas}


def tornado_charts(rows: Sequence[Mapping[str, Any]], *, stem: str, source: str,
                   names: Mapping[str, str], by: str = "area") -> list[Chart]:
    """Return a tornado chart of each area (or scenario, ``by="scenario"``), England first.

    ``rows`` are tornado rows (``TORNADO_COLUMNS``); each chart's period is the
    year of its gap, its source ``source``; ``names`` name the areas.
    """
    if not rows:
        return []
    frame = pd.DataFrame(list(rows))
    keys = sorted(frame[by].astype(str).unique(), key=lambda k: (k != ENGLAND, k))
    charts = []
    for index, key in enumerate(keys, start=1):
        part = frame[frame[by].astype(str) == key]
        years = sorted({int(y) for y in part["year"]})
        what = (f"scenario {key}, {names.get(ENGLAND, 'England')}" if by == "scenario"
                else names.get(key, key))
        charts.append(tornado(part, id=f"{stem}-tornado-{index}",
                              title=f"How the gap moves with each uncertain quantity: {what}",
                              source=source,
                              period="the gap in " + ", ".join(str(y) for y in years)))
    return charts


def variance_table(table_id: str, caption: str,
                   rows: Sequence[Mapping[str, Any]]) -> Table:
    """Return the variance shares: each quantity's share of the gap's variance, by scenario."""
    table = Table(table_id, caption, ["Scenario", "Area", "Year", "Rank", "Quantity",
                                      "Share of the variance", "R² of all quantities",
                                      "Draws"])
    for row in rows:
        table.rows.append([Cell(row.get("scenario")), Cell(row.get("area")),
                           Cell(row.get("year")), Cell(row.get("rank"), "count"),
                           Cell(quantity_label(str(row.get("quantity")))),
                           Cell(row.get("share"), "percent"), Cell(row.get("total_r2"), "ratio"),
                           Cell(row.get("draws"), "count")])
    return table


async def sensitivity_data(request: Request, visitor: Visitor, job_id: str) -> PageData:
    """Return a sensitivity job's page data: its state and, once done, its charts and table.

    Raises
    ------
    PageError
        404 for an address that is not a job id, or a job that is not a sensitivity
        analysis; the API's 401, 403 and 404 as they are.
    """
    if not JOB_ID.match(job_id):
        raise PageError(404, "There is no such page.")
    async with Api(request, visitor.token) as api, Api(request, None) as public:
        job = await api.get(f"/jobs/{job_id}")
        if job["kind"] != "sensitivity":
            raise PageError(404, f"Job {job_id} is not a sensitivity analysis.")
        results, areas = None, []
        if job["status"] == "done":
            results, areas = await together(api.get(f"/jobs/{job_id}/results"),
                                            public.get("/areas"))
    crumbs = [{"text": "England", "href": "/"}, {"text": "Assessments", "href": "/assessments"},
              {"text": f"Sensitivity analysis {job_id}", "href": f"/sensitivity/{job_id}"}]
    data = PageData(f"Sensitivity analysis {job_id}", {}, crumbs,
                    extra={"job": job, "status": STATUS.get(job["status"], job["status"]),
                           "results": results, "charts": []})
    if results is not None:
        names = {**_area_names(areas), ENGLAND: "England"}
        source = (f"sensitivity analysis (job {job_id}) of scenario {results['scenario']}, "
                  f"vintage {results['vintage']}, base period {results['base_period']}")
        data.extra["charts"] = tornado_charts(results["tornado"], stem=f"job-{job_id}",
                                              source=source, names=names)
        table = variance_table(f"sensitivity-{job_id}-variance",
                               f"Share of the gap's variance by quantity ({results['year']})",
                               results["variance_shares"])
        data.tables[table.table_id] = table
    return data


@router.get("/sensitivity/{job_id}", response_class=HTMLResponse, include_in_schema=False)
async def sensitivity(request: Request, job_id: str) -> HTMLResponse:
    """Show a sensitivity analysis: its progress, then its tornado charts and variance shares."""
    visitor = await visitor_of(request)
    data = await sensitivity_data(request, visitor, job_id)
    return page(request, visitor, "sensitivity.html", data=data)
