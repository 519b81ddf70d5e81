"""Every table of a page as CSV or XLSX: ``/download/{table_id}.csv`` or ``.xlsx``.

The table id names its page and table: ``england-headline``, ``england-regions``,
``england-icbs`` (the England overview) and ``{level}-{code}-{table}`` (an area
page, e.g. ``icb-QMJ-position``); the query string is the page's (``?vintage=``).
The table is built by the page's own function from the same API answers
(:mod:`wfplan.web.pages.tables`), so the file has the page's rows and columns, with
the raw values: numbers are numbers (rates as fractions), a missing value is an
empty cell. Text from the data cannot run as a formula (:mod:`wfplan.spreadsheet`).
"""

from __future__ import annotations

import csv
import io
import re

from fastapi import APIRouter, Request
from fastapi.responses import Response
from openpyxl import Workbook

from wfplan.spreadsheet import csv_safe, text_cells
from wfplan.web.pages.api import PageError
from wfplan.web.pages.area import area_data, page_level
from wfplan.web.pages.more_tables import more_tables
from wfplan.web.pages.overview import MeasureQuery, PageData, VintageQuery, overview_data
from wfplan.web.pages.session import visitor_of
from wfplan.web.pages.tables import Table

router = APIRouter()
_ID = re.compile(r"^(?:england|(region|icb|org)-([A-Za-z0-9]{1,100}))-([a-z-]{1,40})$")
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
#: Spreadsheet number formats of the cell kinds (:data:`wfplan.web.pages.tables.KINDS`).
XLSX_FORMATS = {"count": "#,##0", "fte": "#,##0.0", "ratio": "0.00", "percent": "0.0%",
                "points": "+0.0%;-0.0%;0.0%"}


def csv_bytes(table: Table) -> bytes:
    """Return the table as CSV (UTF-8, a header row; empty for a missing value)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_safe(label) for label in table.columns])
    for row in table.rows:
        writer.writerow(["" if cell.value is None else csv_safe(cell.value) for cell in row])
    return out.getvalue().encode("utf-8")


def xlsx_bytes(table: Table) -> bytes:
    """Return the table as a one-sheet workbook (numbers as numbers, no formula)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "table"
    sheet.append([table.caption])
    sheet.append(table.columns)
    for row in table.rows:
        sheet.append([cell.value for cell in row])
        for column, cell in enumerate(row, start=1):
            if cell.kind in XLSX_FORMATS and cell.value is not None:
                sheet.cell(sheet.max_row, column).number_format = XLSX_FORMATS[cell.kind]
    text_cells(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _data(request: Request, table_id: str, vintage: str | None,
                measure: str | None) -> PageData:
    more = await more_tables(request, table_id, vintage)
    if more is not None:
        return more
    match = _ID.match(table_id)
    if match is None:
        raise PageError(404, f"There is no table {table_id!r}.")
    visitor = await visitor_of(request)
    level, code = match.group(1), match.group(2)
    if level is None:
        return await overview_data(request, visitor, vintage, measure)
    return await area_data(request, visitor, page_level(level, code), code, vintage, measure)


@router.get("/download/{name}", include_in_schema=False)
async def download(request: Request, name: str, vintage: VintageQuery = None,
                   measure: MeasureQuery = None) -> Response:
    """One table of a page as ``.csv`` or ``.xlsx`` (404 for an unknown table).

    ``measure`` is the page's map measure (the ``-map`` tables' column).
    """
    table_id, _, kind = name.rpartition(".")
    if kind not in MEDIA:
        raise PageError(404, "Downloads are .csv or .xlsx.")
    data = await _data(request, table_id, vintage, measure)
    table = next((t for key, t in data.tables.items() if key.lower() == table_id.lower()), None)
    if table is None:
        raise PageError(404, f"There is no table {table_id!r}.")
    body = csv_bytes(table) if kind == "csv" else xlsx_bytes(table)
    return Response(body, media_type=MEDIA[kind], headers={
        "Content-Disposition": f'attachment; filename="{table.table_id}.{kind}"'})
