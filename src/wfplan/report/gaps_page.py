"""The data-gaps report as a page and as terminal cells (display only; no rule here).

:func:`wfplan.analysis.gaps.gap_report` decides what the gaps are; this module
only words and formats them: column headings, cell formats and the
self-contained HTML page that ``wfplan gaps --format html`` writes.
"""

from __future__ import annotations

import pandas as pd

from wfplan.analysis.gaps import SECTOR_NAMES, GapReport


def render_html(report: GapReport) -> str:
    """Return the report as one self-contained, accessible HTML page."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(loader=PackageLoader("wfplan.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["cell"] = format_cell
    template = env.get_template("gaps.html.j2")
    return template.render(report=report, sector_names=SECTOR_NAMES,
                           headings=COLUMN_HEADINGS)


COLUMN_HEADINGS = {
    "rank": "Rank", "sector": "Sector", "severity": "Severity", "gap": "Gap",
    "evidence": "Evidence", "table": "Table", "rows": "Rows", "periods": "Periods",
    "first_period": "First period", "last_period": "Last period",
    "regions_with_data": "Regions with data", "regions_without_data": "Regions without data",
    "icbs_with_data": "ICBs with data", "icbs_total": "ICBs", "national_rows":
    "National rows", "org_rows": "Organisation rows", "expected": "Expected organisations",
    "with_data": "With data", "without_data": "Without data", "share_without_data":
    "Share without data", "examples": "Examples", "dimension": "Dimension",
    "period": "Period", "share_not_reported": "Share not reported", "share_unknown":
    "Share unknown", "area_level_rows": "Area-level rows", "column": "Column",
    "values": "Values", "share_of_rows": "Share of rows", "newest_period": "Newest period",
    "months_behind": "Months behind", "stale": "Stale", "source": "Source",
    "publication": "Publication", "flag": "Finding",
    "detail": "Detail",
}


def format_cell(value: object, column: str = "") -> str:
    """Format one cell for display: shares as %, counts with separators, missing as n/a."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if column.startswith("share") and isinstance(value, int | float):
        return _fixed(100 * float(value)) + "%"
    if isinstance(value, float):
        return _fixed(value)
    if isinstance(value, int):
        return f"{value:,}"
    if column == "sector":
        return SECTOR_NAMES.get(str(value), str(value))
    return str(value)


def _fixed(value: float) -> str:
    """Return ``value`` to one decimal with separators; never ``-0.0``."""
    text = f"{value:,.1f}"
    return text.removeprefix("-") if text in ("-0.0",) else text
