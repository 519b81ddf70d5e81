"""The tables of the pages, built from the API's JSON, shown as HTML and downloaded.

A :class:`Table` holds raw values (numbers as numbers, a missing value as None)
and each cell's kind; the page formats them (:func:`shown`, the report's number
formats) and a download writes the raw values (:mod:`wfplan.web.pages.downloads`),
so a CSV or XLSX has exactly the rows and columns of the page's table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wfplan.report import format as fmt

#: How a cell is shown: text, a count (thousands separators), FTE, a ratio, a fraction as %,
#: or a difference of fractions in percentage points (``+2.1 pts``).
KINDS = ("text", "count", "fte", "ratio", "percent", "points")

#: The measures of the current position, in the order shown, with their kind.
MEASURES: tuple[tuple[str, str, str], ...] = (
    ("headcount", "Staff in post (headcount)", "count"),
    ("fte", "Staff in post (FTE)", "fte"),
    ("fte_per_head", "FTE per head", "ratio"),
    ("vacancy_fte", "Vacancies (FTE)", "fte"),
    ("vacancy_rate", "Vacancy rate", "percent"),
    ("joiner_rate", "Joiner rate", "percent"),
    ("leaver_rate", "Turnover (leaver rate)", "percent"),
    ("stability_index", "Stability index", "percent"),
    ("sickness_absence_rate", "Sickness absence rate", "percent"),
    ("share_aged_55_plus", "Aged 55 and over (age profile)", "percent"),
    ("share_non_uk", "Non-UK nationality", "percent"),
    ("burnout_rate", "Burnout (staff survey)", "percent"),
)
#: The measures in the tables of several areas (one column each).
AREA_COLUMNS = ("headcount", "fte", "vacancy_rate", "leaver_rate", "sickness_absence_rate",
                "burnout_rate")


@dataclass(frozen=True)
class Cell:
    """One cell: its raw value, its kind and, for a first column, a link."""

    value: Any
    kind: str = "text"
    href: str | None = None


@dataclass
class Table:
    """A table of a page: its download id, caption, column labels and rows of cells."""

    table_id: str
    caption: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def head(self) -> list[dict[str, str]]:
        """Return the header cells of the NHS.UK table macro."""
        return [{"text": label} for label in self.columns]

    def body(self) -> list[list[dict[str, str]]]:
        """Return the rows for the NHS.UK table macro (formatted; links as HTML)."""
        return [[_html_cell(cell) for cell in row] for row in self.rows]


def shown(cell: Cell) -> str:
    """Return a cell as the page shows it (``n/a`` for missing, ``7.3%`` for a rate)."""
    value = cell.value
    if cell.kind == "text":
        return "" if value is None else str(value)
    if fmt.is_missing(value):
        return fmt.MISSING
    if cell.kind == "count":
        return fmt.number(value)
    if cell.kind == "fte":
        return fmt.number(value, 1)
    if cell.kind == "ratio":
        return fmt.number(value, 2)
    if cell.kind == "points":
        return fmt.percent_points(value)
    return fmt.percent(value)


def _html_cell(cell: Cell) -> dict[str, str]:
    text = shown(cell)
    if cell.href is None:
        out = {"text": text}
    else:
        from markupsafe import escape

        out = {"html": f'<a href="{escape(cell.href)}">{escape(text)}</a>'}
    if cell.kind != "text":
        out["format"] = "numeric"
    return out


def coverage_of(metrics: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Return the API's coverage rows by metric."""
    return {str(row["metric"]): row for row in metrics.get("coverage", [])}


def sectors(names: Iterable[str]) -> str:
    """Return sector codes as their names, joined (``NHS trusts, Social care``)."""
    return ", ".join(fmt.sector_name(code) for code in names)


def position_table(table_id: str, caption: str, metrics: Mapping[str, Any]) -> Table:
    """Return one area's current position: one row per measure, with what it covers.

    The measures are those of :data:`MEASURES` the API's coverage has; each row
    gives the value, the sectors it covers, the period and the API's note.
    """
    rows = metrics.get("current_position", [])
    values = rows[0] if rows else {}
    coverage = coverage_of(metrics)
    table = Table(table_id, caption, ["Measure", "Value", "Sectors covered", "Period", "Note"])
    for key, label, kind in MEASURES:
        if key not in coverage:
            continue
        row = coverage[key]
        table.rows.append([Cell(label), Cell(values.get(key), kind),
                           Cell(sectors(row.get("sectors") or [])), Cell(row.get("period")),
                           Cell(row.get("note"))])
    if values.get("suppressed"):
        table.notes.append("Some figures are suppressed under disclosure control (shown n/a).")
    return table


def areas_table(table_id: str, caption: str, first: str, metrics: Mapping[str, Any],
                href: str, keep: Iterable[str] | None = None) -> Table:
    """Return a table of several areas (one row each) with the :data:`AREA_COLUMNS` measures.

    ``href`` is the link of each area's name, with ``{code}`` in it; ``keep``, if
    given, is the codes of the rows kept (in the API's order).
    """
    labels = {key: label for key, label, _ in MEASURES}
    kinds = {key: kind for key, _, kind in MEASURES}
    kept = None if keep is None else set(keep)
    table = Table(table_id, caption, [first, *(labels[c] for c in AREA_COLUMNS)])
    for row in metrics.get("current_position", []):
        code = str(row["area_code"])
        if kept is not None and code not in kept:
            continue
        name = row.get("area_name") or code
        cells = [Cell(name, href=href.format(code=code))]
        cells += [Cell(row.get(c), kinds[c]) for c in AREA_COLUMNS]
        table.rows.append(cells)
    if any(row.get("suppressed") for row in metrics.get("current_position", [])):
        table.notes.append("Some figures are suppressed under disclosure control (shown n/a).")
    return table


def ethnicity_table(table_id: str, caption: str, metrics: Mapping[str, Any],
                    area: str | None = None) -> Table:
    """Return the ethnic-minority share of headcount by pay band (names, not codes).

    ``area``: keep that area's rows only. (``/api/v1/metrics?area=`` returns this
    table's rows for every area of the level it may show, not the one asked for.)
    """
    table = Table(table_id, caption, ["Pay band", "Ethnic minority (headcount)",
                                      "Ethnicity known (headcount)", "Ethnic minority share"])
    for row in metrics.get("ethnic_minority_by_band", []):
        if area is not None and str(row.get("area_code")).upper() != area.upper():
            continue
        table.rows.append([Cell(fmt.grade_name(row.get("grade"))),
                           Cell(row.get("minority_headcount"), "count"),
                           Cell(row.get("known_headcount"), "count"),
                           Cell(row.get("ethnic_minority_share"), "percent")])
    return table


def net_change_table(table_id: str, caption: str, metrics: Mapping[str, Any]) -> Table:
    """Return the change of staff in post of the sources without flows (staff group names)."""
    table = Table(table_id, caption, ["Staff group", "Source", "From", "To", "Headcount change",
                                      "FTE change", "FTE change rate"])
    for row in metrics.get("net_change", []):
        table.rows.append([Cell(fmt.staff_group_name(row.get("staff_group"))),
                           Cell(row.get("source")), Cell(row.get("period_start")),
                           Cell(row.get("period_end")),
                           Cell(row.get("headcount_change"), "count"),
                           Cell(row.get("fte_change"), "fte"),
                           Cell(row.get("fte_change_rate"), "percent")])
    return table


def organisations_table(table_id: str, caption: str,
                        organisations: Iterable[Mapping[str, Any]]) -> Table:
    """Return organisations (name linked to their page, code, sector name)."""
    table = Table(table_id, caption, ["Organisation", "Code", "Sector"])
    for org in sorted(organisations, key=lambda o: str(o.get("name") or o["org_code"])):
        code = str(org["org_code"])
        table.rows.append([Cell(org.get("name") or code, href=f"/area/org/{code}"), Cell(code),
                           Cell(fmt.sector_name(org.get("sector") or ""))])
    return table
