"""The area pages: ``/area/region/{code}``, ``/area/icb/{code}``, ``/area/org/{code}``.

Each shows the area's current position (the tables ``/api/v1/metrics`` returns for
it), a breadcrumb England → region → ICB → organisation (names from
``/api/v1/areas`` and ``/api/v1/organisations``), and the areas below it: a
region's ICBs, an ICB's organisations (signed-in visitors only: the public sees no
organisation). The API refuses what the visitor may not see, and so does the page
(403, no data). Its trends are SPC charts of each measure with a series
(:mod:`wfplan.web.pages.trends`). Every area page has the baseline projection's
supply and demand fans with the gap (:mod:`wfplan.web.pages.fans`): a region's and an
ICB's from the ICB-level projection, an organisation's from its own. A region's and an
ICB's page link to their equality page (:mod:`wfplan.web.pages.equality`). A
region page has the map of the 42 ICBs, its own
outlined, coloured by ``?measure=`` (:mod:`wfplan.web.pages.maps`).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from wfplan.web.pages.api import Api, PageError, together
from wfplan.web.pages.equality import page_href
from wfplan.web.pages.fans import area_answer, area_fans, gap_map
from wfplan.web.pages.maps import map_section, measure_of
from wfplan.web.pages.overview import (
    MeasureQuery,
    PageData,
    VintageQuery,
    public_if_refused,
    refuses,
)
from wfplan.web.pages.render import page
from wfplan.web.pages.session import Visitor, visitor_of
from wfplan.web.pages.tables import (
    Table,
    areas_table,
    ethnicity_table,
    net_change_table,
    organisations_table,
    position_table,
)
from wfplan.web.pages.trends import trend_charts

router = APIRouter()
PageLevel = Literal["region", "icb", "org"]
#: What a level is called on the page.
LEVEL_NAMES = {"region": "NHS England region", "icb": "Integrated care board",
               "org": "Organisation"}
_CODE = re.compile(r"^[A-Za-z0-9]{1,100}$")


def page_level(level: str, code: str) -> PageLevel:
    """Return the level of an area page's address.

    Raises
    ------
    PageError
        404 for a level other than region, ICB or organisation, or a code that is
        not letters and digits.
    """
    if level not in LEVEL_NAMES or not _CODE.match(code):
        raise PageError(404, "There is no such page.")
    return level  # type: ignore[return-value]  # checked against LEVEL_NAMES just above


async def _crumb(public: Api, code: str | None, level: str,
                 vintage: str | None) -> dict[str, str]:
    """Return the breadcrumb item of a parent area: its name, linked to its page.

    Names come from the public's ``/areas`` (every region and ICB is public, and a
    region or ICB user's role does not cover its region); an area the API does not
    know is its code alone.
    """
    if not code:
        return {}
    try:
        found = await public.get(f"/areas/{code}", vintage=vintage)
    except PageError as error:
        if error.status not in (403, 404):
            raise
        return {"text": code}
    return {"text": str(found["name"]), "href": f"/area/{level}/{code}"}


async def _place(api: Api, public: Api, level: PageLevel, code: str,
                 vintage: str | None) -> tuple[str, list[dict[str, str]], dict[str, Any]]:
    """Return the area's name, its breadcrumb (England first, itself last) and its record."""
    england = {"text": "England", "href": "/"}
    if level == "org":
        org = await api.get(f"/organisations/{code}", vintage=vintage)
        region, icb = await together(_crumb(public, org.get("region_code"), "region", vintage),
                                     _crumb(public, org.get("icb_code"), "icb", vintage))
        name = str(org.get("name") or org["org_code"])
        crumbs = [england, region, icb]
    else:
        found = await api.get(f"/areas/{code}", vintage=vintage)
        if found["level"] != level:
            raise PageError(404, f"{code} is not an area of level {level}")
        name = str(found["name"])
        parent = (await _crumb(public, found.get("parent_code"), "region", vintage)
                  if level == "icb" else {})
        crumbs, org = [england, parent], found
    here = {"text": name, "href": f"/area/{level}/{code}"}
    return name, [c for c in crumbs if c] + [here], org


async def _below(api: Api, token: str | None, level: PageLevel, code: str,
                 vintage: str | None, measure: str) -> tuple[list[Table], dict[str, Any] | None]:
    """Return the tables of the areas below (a region's ICBs, an ICB's organisations).

    A region's also come with its map (what the template's map section shows), whose
    table is the first of the tables.
    """
    if level == "region":
        icbs, metrics, gap, shapes = await together(
            api.get("/areas", level="icb", vintage=vintage),
            api.get("/metrics", level="icb", vintage=vintage),
            gap_map(api, measure, vintage), api.get("/boundaries", vintage=vintage))
        keep = [a["code"] for a in icbs if a.get("parent_code") == code]
        shown, mapped = map_section(gap or metrics, measure, stem=f"region-{code}", keep=keep,
                                    caption="Integrated care boards in the region: the "
                                            "measure mapped", vintage=vintage,
                                    boundaries=shapes)
        return [mapped, areas_table(f"region-{code}-icbs", "Integrated care boards in the "
                                    "region", "ICB", metrics, "/area/icb/{code}", keep)], shown
    if level == "icb" and token is not None:
        orgs = await api.get("/organisations", icb=code, vintage=vintage)  # placed in it
        return [organisations_table(f"icb-{code}-organisations", "Organisations in the ICB",
                                    [o for o in orgs if o.get("icb_code") == code])], None
    return [], None


async def area_data(request: Request, visitor: Visitor, level: PageLevel, code: str,
                    vintage: str | None, measure: str | None = None) -> PageData:
    """Return an area page's data (every table has the id ``{level}-{code}-{table}``).

    A region or ICB outside the visitor's role is shown as the public sees it
    (:func:`~wfplan.web.pages.overview.public_if_refused`); an organisation outside
    it is refused (403), as the public is refused every organisation. ``measure`` is
    the region map's (400 if unknown, before the API is asked anything).
    """
    code, chosen = code.upper(), measure_of(measure)
    if level == "org":
        return await _area(request, visitor.token, level, code, vintage, chosen)
    return await public_if_refused(
        visitor, lambda token: _area(request, token, level, code, vintage, chosen),
        lambda token: refuses(request, token, f"/areas/{code}", vintage=vintage))


async def _area(request: Request, token: str | None, level: PageLevel, code: str,
                vintage: str | None, measure: str) -> PageData:
    async with Api(request, token) as api, Api(request, None) as public:
        (name, crumbs, record), metrics, (below, icb_map), charts, fan = await together(
            _place(api, public, level, code, vintage),
            api.get("/metrics", level=level, area=code, vintage=vintage),
            _below(api, token, level, code, vintage, measure),
            trend_charts(api, level, code, vintage), area_answer(api, level, code, vintage))
    stem, projected = f"{level}-{code}", area_fans(fan, level, code, name)
    tables = [position_table(f"{stem}-position", f"{name}: the current position", metrics),
              ethnicity_table(f"{stem}-ethnicity", f"{name}: ethnic minority share by pay band",
                              metrics, code)]
    if metrics.get("net_change"):
        tables.append(net_change_table(f"{stem}-net-change",
                                       f"{name}: change of staff in post", metrics))
    tables += below + (projected.tables if projected else [])
    return PageData(name, {t.table_id: t for t in tables}, crumbs,
                    extra={"level": level, "code": code, "record": record, "metrics": metrics,
                           "level_name": LEVEL_NAMES[level], "vintage": metrics.get("vintage"),
                           "below": [t.table_id for t in below if icb_map is None
                                     or t.table_id != icb_map["table"]],
                           "charts": charts, "map": icb_map, "projection": projected,
                           "equality": None if level == "org" else page_href(code, vintage)})


@router.get("/area/{level}/{code}", response_class=HTMLResponse, include_in_schema=False)
async def area(request: Request, level: str, code: str, vintage: VintageQuery = None,
               measure: MeasureQuery = None) -> HTMLResponse:
    """Show an area page (region, ICB or organisation); 404 for another level or bad code.

    ``?measure=`` is the region map's.
    """
    visitor = await visitor_of(request)
    data = await area_data(request, visitor, page_level(level, code), code, vintage, measure)
    return page(request, visitor, "area.html", data=data)
