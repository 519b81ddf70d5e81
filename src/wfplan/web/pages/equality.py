"""The equality page (``/equality?area=CODE``): WRES indicator 1 and Model Employer trajectories.

Everything comes from ``GET /api/v1/equality`` (the figures of ``wfplan equality``,
docs/equality.md) at the level of the area asked for: England by default, or a
region or ICB code (``/api/v1/areas/{code}`` says which). The page keeps the area's
own rows of the answer. Where the data do not allow the level (the GOV.UK ethnicity
series is national), the answer is England's and the page shows England's figures
and the API's note saying so.

Scope is the API's, as on the area pages: an area outside the visitor's role is
shown as the public sees it (:func:`~wfplan.web.pages.overview.public_if_refused`),
under disclosure control, and the page says so; an organisation or an unknown code
is refused by the API (403 or 404). The tables are ``equality-{CODE}-wres``,
``-goals``, ``-trajectory`` and ``-progress`` (:mod:`.equality_tables`), each with CSV
and XLSX downloads; WRES indicator 1 is also a chart
(:func:`wfplan.web.charts_equality.wres_bars`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from wfplan.dataset import codelists
from wfplan.report import format as fmt
from wfplan.web.charts_equality import wres_bars
from wfplan.web.pages import equality_tables as et
from wfplan.web.pages.api import Api, PageError
from wfplan.web.pages.overview import PageData, VintageQuery, public_if_refused, refuses
from wfplan.web.pages.render import page
from wfplan.web.pages.session import Visitor, visitor_of
from wfplan.web.pages.tables import Table

router = APIRouter()
#: The ``area`` query parameter (a region or ICB code; England's by default).
AreaQuery = Annotated[str | None, Query(max_length=100)]
#: The levels the page shows, and what each is called on it.
LEVEL_NAMES = {"england": "England", "region": "NHS England region",
               "icb": "Integrated care board"}
_CODE = re.compile(r"^[A-Za-z0-9]{1,100}$")
#: The goal the API applies (``GET``), as docs/equality.md cites it.
MODEL_EMPLOYER = ("NHS England, A Model Employer (WRES leadership strategy, January 2019), "
                  "https://www.england.nhs.uk/publication/a-model-employer/")


def area_code(area: str | None) -> str:
    """Return the page's area code (England's without one), upper case.

    Raises
    ------
    PageError
        404 for a code that is not letters and digits.
    """
    code = (area or codelists.ENGLAND_CODE).strip().upper()
    if not _CODE.match(code):
        raise PageError(404, "There is no such page.")
    return code


def page_href(code: str, vintage: str | None) -> str:
    """Return the address of an area's equality page (England's without ``?area=``)."""
    params = {} if code == codelists.ENGLAND_CODE else {"area": code}
    if vintage:
        params["vintage"] = vintage
    return "/equality" + (f"?{urlencode(params)}" if params else "")


async def equality_data(request: Request, visitor: Visitor, area: str | None,
                        vintage: str | None) -> PageData:
    """Return the equality page's data for the area (England's without one).

    An area outside the visitor's role gets the public view, as an area page does.
    """
    code = area_code(area)
    return await public_if_refused(
        visitor, lambda token: _equality(request, token, code, vintage),
        lambda token: refuses(request, token, f"/areas/{code}", vintage=vintage))


async def _equality(request: Request, token: str | None, code: str,
                    vintage: str | None) -> PageData:
    async with Api(request, token) as api:
        found = await api.get(f"/areas/{code}", vintage=vintage)
        level = str(found["level"])
        if level not in LEVEL_NAMES:
            raise PageError(404, f"{code} is not England, a region or an ICB.")
        answer = await api.get("/equality", level=level, vintage=vintage)
    return _page(found, answer)


def _page(found: dict[str, Any], answer: dict[str, Any]) -> PageData:
    """Return the page's tables and what the template says about them."""
    code, level, name = str(found["code"]), str(found["level"]), str(found["name"])
    # where the data do not allow the level, the answer is England's alone
    shown = code if answer["level"] == level else codelists.ENGLAND_CODE
    parts = {part: [r for r in answer[part] if str(r["area_code"]).upper() == shown]
             for part in et.PARTS}
    stem, where = f"equality-{code}", name if shown == code else "England"
    period = parts["wres"][0]["period"] if parts["wres"] else None
    overall = next((r["overall_share"] for r in parts["wres"]), None)
    extra = {"code": code, "level": level, "level_name": LEVEL_NAMES[level], "name": name,
             "where": where, "stem": stem, "answer": answer, "metrics": answer,
             "vintage": answer["vintage"], "period": period, "overall": fmt.percent(overall),
             "goal_year": next((g["target_year"] for g in parts["goals"]), None),
             "chart": _chart(parts["wres"], overall, where, period, answer, stem),
             "progress": et.progress_summary(parts["progress"]),
             "source": _source(answer, level), "goal": MODEL_EMPLOYER,
             "area_href": None if level == "england" else f"/area/{level}/{code}"}
    return PageData(f"Equality: {name}", _tables(parts, stem, where, period, answer["base"]),
                    _breadcrumb(found, code), extra=extra)


def _tables(parts: dict[str, list[dict[str, Any]]], stem: str, where: str,
            period: str | None, base: str | None) -> dict[str, Table]:
    """Return the four tables by id: ``{stem}-wres``, ``-goals``, ``-trajectory``, ``-progress``."""
    tables = [et.wres_table(f"{stem}-wres", f"{where}: ethnic-minority share by pay band and "
                            f"medical grade, {period or 'no census'}", parts["wres"]),
              et.goals_table(f"{stem}-goals", f"{where}: Model Employer goals from the base "
                             f"census {base or '(none)'}", parts["goals"]),
              et.trajectory_table(f"{stem}-trajectory", f"{where}: appointments needed each "
                                  "year to follow the path to the goal", parts["trajectory"]),
              et.progress_table(f"{stem}-progress", f"{where}: progress against the path at "
                                "each later census", parts["progress"])]
    return {t.table_id: t for t in tables}


def _chart(rows: list[dict[str, Any]], overall: Any, where: str, period: str | None,
           answer: dict[str, Any], stem: str) -> Any:
    """Return the bars of the bands (the medical grades as one), or None without rows."""
    bands = [r for r in rows if not r.get("role")]
    if not bands:
        return None
    frame = pd.DataFrame({"band": [et.band_label(r) for r in bands],
                          "share": [r["ethnic_minority_share"] for r in bands],
                          "minority": [r["minority_headcount"] for r in bands],
                          "known": [r["known_headcount"] for r in bands]})
    return wres_bars(frame, overall, id=f"{stem}-wres-chart",
                     title=f"Ethnic-minority share by pay band: {where}",
                     source=_source(answer, str(answer["level"])), period=str(period))


def _source(answer: dict[str, Any], level: str) -> str:
    """Return the figures' source: the vintage's staff in post, as the API computes them."""
    controlled = ", under disclosure control" if answer["controlled"] else ""
    return (f"vintage {answer['vintage']}: staff in post by pay band and ethnic group "
            f"(headcount, ethnicity known){controlled}; GET /api/v1/equality?level={level}, "
            f"as wfplan equality --level {answer['requested_level']} computes it")


def _breadcrumb(found: dict[str, Any], code: str) -> list[dict[str, str]]:
    """Return England, the area's region and its page (for a region or ICB), then this page."""
    crumbs = [{"text": "England", "href": "/"}]
    level = str(found["level"])
    if level == "icb" and found.get("parent_code"):
        region = str(found["parent_code"])
        names = {r["code"]: str(r["name"]) for r in codelists.get("region").rows}
        crumbs.append({"text": names.get(region, region), "href": f"/area/region/{region}"})
    if level in ("region", "icb"):
        crumbs.append({"text": str(found["name"]), "href": f"/area/{level}/{code}"})
    crumbs.append({"text": "Equality", "href": page_href(code, None)})
    return crumbs


@router.get("/equality", response_class=HTMLResponse, include_in_schema=False)
async def equality(request: Request, area: AreaQuery = None,
                   vintage: VintageQuery = None) -> HTMLResponse:
    """Show WRES indicator 1 and the Model Employer trajectories of England, a region or an ICB."""
    visitor = await visitor_of(request)
    data = await equality_data(request, visitor, area, vintage)
    return page(request, visitor, "equality.html", data=data)
