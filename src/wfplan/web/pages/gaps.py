"""The data-gap page (``/gaps``): what the vintage's data lacks, as ``wfplan gaps`` shows it.

Everything comes from ``GET /api/v1/gaps`` (the report of
:func:`wfplan.analysis.gaps.gap_report`) for the visitor's scope: England's for a
national user, a region user's region's, an ICB user's ICB's (the rows and
organisations placed in it). The page's ``?area=`` (a region or ICB code) goes to
the API as it is: a national user may ask for any region or ICB, a region user for
one of its ICBs. The public, organisation users and an area outside the role get
the API's 403 as the page's (an error page with no data, saying why), and the
navigation shows the page to national, region and ICB users.

The page has the sections of ``wfplan gaps``, with its titles and column headings
(:data:`wfplan.report.headings.GAP_SECTION_TITLES`,
:data:`wfplan.report.gaps_page.COLUMN_HEADINGS`), but the most important gaps
first (primary and social care first among equals, as the report ranks them). Each
non-empty section is a table with CSV and XLSX downloads (``gaps-{section}``);
regions without data link to their region page and the example organisations to
theirs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import escape

from wfplan.analysis.gaps import SECTOR_NAMES, in_sentence
from wfplan.dataset import codelists
from wfplan.report import format as fmt
from wfplan.report.gaps_page import COLUMN_HEADINGS
from wfplan.report.headings import GAP_SECTION_TITLES
from wfplan.web.pages.api import Api, PageError
from wfplan.web.pages.overview import PageData, VintageQuery
from wfplan.web.pages.render import page
from wfplan.web.pages.session import Visitor, visitor_of
from wfplan.web.pages.tables import Cell, Table

router = APIRouter()
#: The sections in the order the page shows them: the ranked gaps first.
ORDER = ("ranked", "coverage", "missing_organisations", "dimensions", "stale", "unmapped",
         "findings")
#: The columns shown as counts; ``share_*`` columns are percentages; ``severity`` one decimal.
COUNTS = frozenset({"rank", "rows", "periods", "regions_with_data", "icbs_with_data",
                    "icbs_total", "national_rows", "org_rows", "expected", "with_data",
                    "without_data", "area_level_rows", "values", "months_behind"})
#: An organisation in a list of examples: ``CODE (name)``, first or after ``, ``.
_EXAMPLE = re.compile(r"(?:^|(?<=, ))([A-Z0-9]{3,10}) \(")
_REGION = re.compile(r"^[A-Z0-9]{1,10}$")
#: What a visitor without a report is told (the API's 403), by role kind.
REFUSED = {
    "public": "The data-gap report is for signed-in users of England, a region or an ICB: "
              "it names organisations.",
    "org": "The data-gap report is an area's: which of its organisations, ICBs and tables "
           "lack data. An organisation has none; your organisation's figures, and what they "
           "cover, are on its page.",
}
#: What a region or ICB user asking for another area is told.
OUTSIDE = ("The data-gap report of {area} is outside your role ({role}). Your own area's "
           "report is the Data gaps page.")


class GapTable(Table):
    """A section's table: as :class:`Table`, with the codes in some columns linked.

    ``regions_without_data`` (region codes, comma separated) link to the region
    pages and ``examples`` of organisations (``CODE (name)``) to theirs. The cells
    keep the report's text, so a download has it as it is.
    """

    def body(self) -> list[list[dict[str, str]]]:
        """Return the rows for the NHS.UK table macro, codes linked, missing text as ``n/a``."""
        rows = super().body()
        for cells, row in zip(self.rows, rows, strict=True):
            for index, cell in enumerate(cells):
                if cell.value is None:
                    row[index] = {"text": fmt.MISSING}
        for index, label in enumerate(self.columns):
            link = _LINKERS.get(label)
            if link is None:
                continue
            for cells, row in zip(self.rows, rows, strict=True):
                value = cells[index].value
                if value:
                    row[index] = {"html": link(str(value))}
        return rows


def _region_links(text: str) -> str:
    parts = [p.strip() for p in text.split(",")]
    return ", ".join(f'<a href="/area/region/{escape(p)}">{escape(p)}</a>'
                     if _REGION.match(p) else str(escape(p)) for p in parts)


def _organisation_links(text: str) -> str:
    out, last = [], 0
    for found in _EXAMPLE.finditer(text):
        code = found.group(1)
        out += [str(escape(text[last:found.start()])),
                f'<a href="/area/org/{escape(code)}">{escape(code)}</a> (']
        last = found.end()
    out.append(str(escape(text[last:])))
    return "".join(out)


_LINKERS = {COLUMN_HEADINGS["regions_without_data"]: _region_links,
            COLUMN_HEADINGS["examples"]: _organisation_links}


def _cell(column: str, value: Any) -> Cell:
    """Return one cell of a section, its kind from its column (sectors by name)."""
    if column == "sector":
        return Cell(SECTOR_NAMES.get(str(value), value))
    if isinstance(value, bool):
        return Cell("yes" if value else "no")
    if column.startswith("share"):
        return Cell(value, "percent")
    if column in COUNTS:
        return Cell(value, "count")
    if column == "severity":
        return Cell(value, "fte")  # one decimal, as wfplan gaps shows it
    return Cell(value)


def section_table(section: str, rows: Sequence[Mapping[str, Any]]) -> GapTable:
    """Return one section of the report as a table (``gaps-{section}``, ``_`` as ``-``)."""
    columns = list(rows[0]) if rows else []
    table = GapTable(f"gaps-{section.replace('_', '-')}", GAP_SECTION_TITLES[section],
                     [COLUMN_HEADINGS.get(c, c) for c in columns])
    for row in rows:
        table.rows.append([_cell(c, row.get(c)) for c in columns])
    return table


def _summary(report: Mapping[str, Any]) -> dict[str, Any]:
    """Return the summary: the ranked gaps' count by sector, and the sections with none."""
    ranked = report["sections"].get("ranked", [])
    by_sector: dict[str, int] = {}
    for gap in ranked:
        name = SECTOR_NAMES.get(str(gap.get("sector")), str(gap.get("sector")))
        by_sector[name] = by_sector.get(name, 0) + 1
    counts = ", ".join(f"{n} in {in_sentence(name)}" for name, n in by_sector.items())
    return {"ranked": ranked, "counted": f"{len(ranked)}" + (f" ({counts})" if counts else ""),
            "sector_names": SECTOR_NAMES,
            "empty": [GAP_SECTION_TITLES[s] for s in ORDER if not report["sections"].get(s)]}


async def gaps_data(request: Request, visitor: Visitor, vintage: str | None) -> PageData:
    """Return the data-gap page's data: one table per non-empty section of the visitor's report.

    The page's (or a download's) ``?area=`` is passed to the API.
    """
    area = request.query_params.get("area") or None
    async with Api(request, visitor.token) as api:
        try:
            report = await api.get("/gaps", vintage=vintage, area=area)
        except PageError as error:
            if error.status != 403:
                raise
            kind = visitor.role.partition(":")[0] if visitor.signed_in else "public"
            raise PageError(403, REFUSED.get(kind) or OUTSIDE.format(
                area=area or "", role=visitor.role)) from error
    sections = report["sections"]
    tables: dict[str, Table] = {t.table_id: t for t in (section_table(s, sections[s]) for s in ORDER
                                      if sections.get(s))}
    order = [(s, f"gaps-{s.replace('_', '-')}") for s in ORDER]
    where = report.get("area")
    title = f"Data gaps: {where['name']}" if where else "Data gaps"
    return PageData(title, tables, _breadcrumb(where, request.url.query),
                    extra={"report": report, "order": order, "titles": GAP_SECTION_TITLES,
                           "summary": _summary(report), "vintage": report["vintage"],
                           "area": where})


def _breadcrumb(area: Mapping[str, Any] | None, query: str) -> list[dict[str, str]]:
    """Return England, the area's region and the area (for a report of one), then this page."""
    crumbs = [{"text": "England", "href": "/"}]
    if area is not None:
        if area["level"] == "icb":
            region = str(area["parent_code"])
            names = {r["code"]: str(r["name"]) for r in codelists.get("region").rows}
            crumbs.append({"text": names.get(region, region), "href": f"/area/region/{region}"})
        crumbs.append({"text": str(area["name"]), "href": f"/area/{area['level']}/{area['code']}"})
    crumbs.append({"text": "Data gaps", "href": "/gaps" + (f"?{query}" if query else "")})
    return crumbs


@router.get("/gaps", response_class=HTMLResponse, include_in_schema=False)
async def gaps(request: Request, vintage: VintageQuery = None) -> HTMLResponse:
    """Show the data-gap report of the vintage (national users; others get the API's 403)."""
    visitor = await visitor_of(request)
    data = await gaps_data(request, visitor, vintage)
    return page(request, visitor, "gaps.html", data=data)
