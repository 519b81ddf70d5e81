"""The England overview (``/``): headline figures, the gap by staff group, regions and ICBs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from wfplan.web.pages.api import Api, PageError, together
from wfplan.web.pages.render import page
from wfplan.web.pages.session import Visitor, visitor_of
from wfplan.web.pages.tables import Table, areas_table, position_table, shown

router = APIRouter()
#: The measures of the headline cards (labels of :data:`~wfplan.web.pages.tables.MEASURES`).
CARDS = ("Staff in post (headcount)", "Staff in post (FTE)", "Vacancies (FTE)", "Vacancy rate",
         "Turnover (leaver rate)", "Sickness absence rate")
#: The ``vintage`` query parameter of every page (passed on to the API as it is).
VintageQuery = Annotated[str | None, Query(max_length=100)]


@dataclass
class PageData:
    """What a page shows: its title, breadcrumb, tables by id, and anything else it needs."""

    title: str
    tables: dict[str, Table]
    crumbs: list[dict[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


async def overview_data(request: Request, visitor: Visitor, vintage: str | None) -> PageData:
    """Return the England overview's data, from ``/api/v1/metrics`` at three levels.

    A visitor whose role does not cover England (an ICB or region user) sees the
    public figures (:func:`public_if_refused`).
    """
    return await public_if_refused(visitor, lambda token: _overview(request, token, vintage))


async def public_if_refused(visitor: Visitor,
                            build: Callable[[str | None], Awaitable[PageData]]) -> PageData:
    """Return ``build(visitor's token)``, or ``build(None)`` (the public view) if the API refuses.

    A region or ICB user's role does not cover England (or other areas), but anyone
    may see their public figures; the page then says it shows the public view.
    """
    if visitor.token is None:
        return await build(None)
    try:
        return await build(visitor.token)
    except PageError as error:
        if error.status != 403:
            raise
    data = await build(None)
    data.extra["public_view"] = True
    return data


async def _overview(request: Request, token: str | None, vintage: str | None) -> PageData:
    async with Api(request, token) as api:
        england, regions, icbs = await together(
            *(api.get("/metrics", level=level, vintage=vintage)
              for level in ("england", "region", "icb")))
    tables = [position_table("england-headline", "England: the current position", england),
              areas_table("england-regions", "NHS England regions", "Region", regions,
                          "/area/region/{code}"),
              areas_table("england-icbs", "Integrated care boards (ICBs)", "ICB", icbs,
                          "/area/icb/{code}")]
    return PageData("England", {t.table_id: t for t in tables},
                    extra={"metrics": england, "vintage": england.get("vintage"),
                           "cards": cards(tables[0])})


def cards(headline: Table) -> list[dict[str, str]]:
    """Return the headline cards: the :data:`CARDS` measures, each with what it covers."""
    out = []
    for row in headline.rows:
        if row[0].value in CARDS:
            covers = " · ".join(str(c.value) for c in row[2:4] if c.value)
            out.append({"label": str(row[0].value), "value": shown(row[1]), "covers": covers})
    return out


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def overview(request: Request, vintage: VintageQuery = None) -> HTMLResponse:
    """Show the England overview."""
    visitor = await visitor_of(request)
    data = await overview_data(request, visitor, vintage)
    return page(request, visitor, "overview.html", data=data)
