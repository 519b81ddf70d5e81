"""The scenario pages: ``/scenarios`` (the list) and ``/scenarios/build`` (the builder).

The list shows the scenarios shipped with wfplan (``GET /api/v1/scenarios/shipped``,
anyone) and, for a visitor who may run scenarios, the ones they kept
(``GET /api/v1/scenarios``). The builder starts from one of them (``?shipped=NAME``
or ``?kept=ID``) and shows its fields as form controls (:mod:`.scenario_form`). Its
POST writes the scenario as TOML (:mod:`.toml_text`) and, as the button pressed
says, checks it (``POST /scenarios/validate``), keeps it (``POST /scenarios``),
downloads it (the text checked by the API, as a file) or keeps and runs it
(``POST /scenarios/{id}/runs``, then the run's page, :mod:`.scenario_runs`). Every
problem the API finds is shown next to the control of its field, and in the
error summary.

Who may do what is the API's: national, region and ICB users may build, keep and
run; the public and organisation users see the shipped scenarios and no form (the
API would refuse them: 401 and 403).
"""

from __future__ import annotations

import datetime
import tomllib
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wfplan.dataset import codelists
from wfplan.web.pages import scenario_form as sf
from wfplan.web.pages.api import Api, PageError, together
from wfplan.web.pages.render import page
from wfplan.web.pages.session import Visitor, check_csrf, visitor_of
from wfplan.web.pages.toml_text import dumps

router = APIRouter()
#: The roles the API lets keep and run scenarios (wfplan.web.routes_jobs.RUNNERS).
RUNNERS = ("national", "region", "icb")
#: The buttons of the builder's form, by the ``action`` they send.
ACTIONS = ("check", "save", "download", "run")
NameQuery = Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
IdQuery = Annotated[str | None, Query(max_length=32, pattern=r"^[0-9a-f]{1,32}$")]


def may_run(visitor: Visitor) -> bool:
    """Whether the API lets the visitor keep and run scenarios."""
    return visitor.signed_in and visitor.role.partition(":")[0] in RUNNERS


@router.get("/scenarios", response_class=HTMLResponse, include_in_schema=False)
async def scenarios(request: Request) -> HTMLResponse:
    """List the shipped scenarios and, for runners, the visitor's kept ones."""
    visitor = await visitor_of(request)
    async with Api(request, visitor.token) as api:
        shipped = await api.get("/scenarios/shipped")
        kept = await api.get("/scenarios") if may_run(visitor) else []
    return page(request, visitor, "scenarios.html", title="Scenarios", shipped=shipped,
                kept=kept, may_run=may_run(visitor))


async def _base(api: Api, shipped: str | None, kept: str | None) -> tuple[str, str, str]:
    """Return the starting scenario's text, what it is called, and its reference field."""
    if kept:
        found = await api.get(f"/scenarios/{kept}")
        return str(found["toml"]), f"your scenario {found['name']}", f"kept={kept}"
    name = shipped or "baseline"
    found = await api.get(f"/scenarios/shipped/{name}")
    return str(found["toml"]), f"the shipped scenario {found['title']}", f"shipped={name}"


async def _choices(api: Api, public: Api, visitor: Visitor) -> sf.Choices:
    icbs, vintages = await together(public.get("/areas", level="icb"), api.get("/vintages"))
    groups = [(str(r["code"]), str(r["name"])) for r in codelists.get("staff_group").rows]
    kind, _, code = visitor.role.partition(":")
    return sf.Choices(
        staff_groups=groups,
        areas=[("", "Choose an ICB"), *sorted(((str(a["code"]), str(a["name"]))
                                                for a in icbs), key=lambda a: a[1])],
        vintages=[(str(v["name"]), str(v["name"])) for v in vintages],
        first_year=datetime.date.today().year + 1, home=code if kind == "icb" else None)


def _summary_line(group: sf.Group, label: str, error: str) -> str:
    """Return an error as the summary lists it: which group and control, unless it says so."""
    if error.startswith("Enter ") and group.id == "scenario":
        return error
    return f"{group.legend}, {sf.noun(label)}: {sf.noun(error)}"


def _builder(request: Request, visitor: Visitor, *, base: dict[str, Any], start: str,
             ref: str, choices: sf.Choices, values: dict[str, str] | None = None,
             errors: dict[str, str] | None = None, others: list[str] | None = None,
             notice: str | None = None, status_code: int = 200) -> HTMLResponse:
    shown = sf.groups(base, values, choices)
    found = errors or {}
    for group in shown:
        for control in group.controls:
            control.error = found.get(control.name)
    summary = [{"text": _summary_line(g, c.label, found[c.name]), "href": f"#{c.name}"}
               for g in shown for c in g.controls if c.name in found]
    summary += [{"text": text, "href": "#scenario"} for text in others or []]
    return page(request, visitor, "scenario_builder.html", status=status_code,
                title="Build a scenario", groups=shown, start=start, ref=ref,
                error_list=summary, notice=notice, may_run=may_run(visitor))


@router.get("/scenarios/build", response_class=HTMLResponse, include_in_schema=False)
async def builder(request: Request, shipped: NameQuery = None, kept: IdQuery = None,
                  saved: Annotated[bool, Query()] = False) -> HTMLResponse:
    """Show the builder's form on a shipped (``?shipped=``) or kept (``?kept=``) scenario."""
    visitor = await visitor_of(request)
    if not may_run(visitor):
        return page(request, visitor, "scenario_builder.html", title="Build a scenario",
                    groups=[], may_run=False, error_list=[], start="", ref="", notice=None)
    async with Api(request, visitor.token) as api, Api(request, None) as public:
        (text, start, ref), choices = await together(_base(api, shipped, kept),
                                                     _choices(api, public, visitor))
    notice = f"Saved as {start.removeprefix('your scenario ')}." if saved and kept else None
    return _builder(request, visitor, base=tomllib.loads(text), start=start, ref=ref,
                    choices=choices, notice=notice)


def _refuse(visitor: Visitor) -> None:
    if not visitor.signed_in:
        raise PageError(401, "Log in to build, keep and run scenarios.")
    if not may_run(visitor):
        raise PageError(403, "Your role cannot run scenarios: a projection covers every area "
                        "of its level, which is more than an organisation's scope.")


@router.post("/scenarios/build", include_in_schema=False)
async def build(request: Request) -> Response:
    """Read the form; check, keep, download or run the scenario as the button pressed says."""
    visitor = await visitor_of(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(visitor, form.get("csrf"))
    _refuse(visitor)
    action = form.get("action", "check")
    if action not in ACTIONS:
        raise PageError(400, "The form was sent with an unknown button.")
    ref = form.get("ref", "")
    kind, _, key = ref.partition("=")
    if kind not in ("shipped", "kept") or not key:
        raise PageError(400, "The form does not say which scenario it started from.")
    async with Api(request, visitor.token) as api, Api(request, None) as public:
        (text, start, ref), choices = await together(
            _base(api, key if kind == "shipped" else None, key if kind == "kept" else None),
            _choices(api, public, visitor))
        base = tomllib.loads(text)
        built = sf.read_form(base, form, choices, visitor.name)
        redo = {"request": request, "visitor": visitor, "base": base, "start": start,
                "ref": ref, "choices": choices, "values": form}
        if built.errors:
            return _builder(**redo, errors=built.errors, status_code=422)
        toml = dumps(built.scenario)
        code, answer = await api.post("/scenarios/validate" if action in ("check", "download")
                                      else "/scenarios", {"toml": toml})
        if code == 422:
            names = {c.name for g in sf.groups(base, form, choices) for c in g.controls}
            errors, others = sf.field_errors(answer, built, names)
            return _builder(**redo, errors=errors, others=others, status_code=422)
        if action == "run":
            _, job = await api.post(f"/scenarios/{answer['scenario_id']}/runs", {})
            return RedirectResponse(f"/scenarios/runs/{job['job_id']}",
                                    status_code=status.HTTP_303_SEE_OTHER)
    if action == "save":
        return RedirectResponse(f"/scenarios/build?kept={answer['scenario_id']}&saved=true",
                                status_code=status.HTTP_303_SEE_OTHER)
    if action == "download":
        return Response(toml, media_type="application/toml; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{answer["name"]}.toml"'})
    return _builder(**redo, notice=f"The scenario {answer['name']} is valid: level "
                    f"{answer['level']}, {answer['horizon']} years, {answer['draws']} draws.")
