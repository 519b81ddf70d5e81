"""The England overview (``/``): headline figures, trends, the gap by staff group, the ICB map.

The supply and demand fans and the gap by staff group are the baseline projection's
(:func:`wfplan.web.pages.fans.england_projection`).

The map of the 42 ICBs (:mod:`wfplan.web.pages.maps`) shows the measure of
``?measure=`` (default the vacancy rate), on the vintage's ICB boundaries when it
holds them (``/api/v1/boundaries``), else as tiles; the trends are England's SPC charts
(:func:`wfplan.web.pages.trends.trend_charts`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from wfplan.dataset import codelists
from wfplan.web.pages.api import Api, PageError, together
from wfplan.web.pages.fans import england_projection, gap_map
from wfplan.web.pages.maps import map_section, measure_of
from wfplan.web.pages.render import page
from wfplan.web.pages.session import Visitor, visitor_of
from wfplan.web.pages.tables import Table, areas_table, position_table, shown
from wfplan.web.pages.trends import trend_charts

router = APIRouter()
#: The measures of the headline cards (labels of :data:`~wfplan.web.pages.tables.MEASURES`).
CARDS = ("Staff in post (headcount)", "Staff in post (FTE)", "Vacancies (FTE)", "Vacancy rate",
         "Turnover (leaver rate)", "Sickness absence rate")
#: The ``vintage`` query parameter of every page (passed on to the API as it is).
VintageQuery = Annotated[str | None, Query(max_length=100)]
#: The ``measure`` query parameter of the map's pages (checked by the page: 400 if unknown).
MeasureQuery = Annotated[str | None, Query()]


@dataclass
class PageData:
    """What a page shows: its title, breadcrumb, tables by id, and anything else it needs."""

    title: str
    tables: dict[str, Table]
    crumbs: list[dict[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


async def overview_data(request: Request, visitor: Visitor, vintage: str | None,
                        measure: str | None = None) -> PageData:
    """Return the England overview's data, from ``/api/v1/metrics`` at three levels.

    A visitor whose role does not cover England (an ICB or region user) sees the
    public figures (:func:`public_if_refused`). ``measure`` is the map's (400 if
    unknown, before the API is asked anything).
    """
    chosen = measure_of(measure)
    return await public_if_refused(
        visitor, lambda token: _overview(request, token, vintage, chosen),
        lambda token: refuses(request, token, f"/areas/{codelists.ENGLAND_CODE}",
                              vintage=vintage))


async def public_if_refused(visitor: Visitor,
                            build: Callable[[str | None], Awaitable[PageData]],
                            refused: Callable[[str], Awaitable[bool]] | None = None) -> PageData:
    """Return ``build(visitor's token)``, or ``build(None)`` (the public view) if the API refuses.

    A region or ICB user's role does not cover England (or other areas), but anyone
    may see their public figures; the page then says it shows the public view.
    ``refused(token)``, if given, asks the API once whether it refuses the token the
    page (:func:`refuses`), so that a refused page is not built for the token first;
    a build the API refuses all the same still falls back to the public view.
    """
    if visitor.token is None:
        return await build(None)
    if refused is None or not await refused(visitor.token):
        try:
            return await build(visitor.token)
        except PageError as error:
            if error.status != 403:
                raise
    data = await build(None)
    data.extra["public_view"] = True
    return data


async def refuses(request: Request, token: str, path: str, **params: Any) -> bool:
    """Return whether the API refuses ``token`` ``GET /api/v1{path}`` (403): one question."""
    async with Api(request, token) as api:
        return await api.status(path, **params) == 403


async def _overview(request: Request, token: str | None, vintage: str | None,
                    measure: str) -> PageData:
    async with Api(request, token) as api:
        england, regions, icbs, charts, shapes, projected, gap = await together(
            *(api.get("/metrics", level=level, vintage=vintage)
              for level in ("england", "region", "icb")),
            trend_charts(api, "england", None, vintage), api.get("/boundaries", vintage=vintage),
            england_projection(api, vintage), gap_map(api, measure, vintage))
    icb_map, map_table = map_section(gap or icbs, measure, stem="england",
                                     caption="Integrated care boards: the measure mapped",
                                     vintage=vintage, boundaries=shapes)
    tables = [position_table("england-headline", "England: the current position", england),
              map_table,
              areas_table("england-regions", "NHS England regions", "Region", regions,
                          "/area/region/{code}"),
              areas_table("england-icbs", "Integrated care boards (ICBs)", "ICB", icbs,
                          "/area/icb/{code}"), *projected.tables]
    return PageData("England", {t.table_id: t for t in tables},
                    extra={"metrics": england, "vintage": england.get("vintage"),
                           "cards": cards(tables[0]), "charts": charts, "map": icb_map,
                           "projection": projected})


def cards(headline: Table) -> list[dict[str, str]]:
    """Return the headline cards: the :data:`CARDS` measures, each with what it covers."""
    out = []
    for row in headline.rows:
        if row[0].value in CARDS:
            covers = " · ".join(str(c.value) for c in row[2:4] if c.value)
            out.append({"label": str(row[0].value), "value": shown(row[1]), "covers": covers})
    return out


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def overview(request: Request, vintage: VintageQuery = None,
                   measure: MeasureQuery = None) -> HTMLResponse:
    """Show the England overview (``?measure=``: the map's measure)."""
    visitor = await visitor_of(request)
    data = await overview_data(request, visitor, vintage, measure)
    return page(request, visitor, "overview.html", data=data)
