"""The equality page's tables, built from one area's rows of ``GET /api/v1/equality``.

Four tables (``equality-{CODE}-wres``, ``-goals``, ``-trajectory``, ``-progress``), with
the columns of ``wfplan equality`` in words and the API's raw values in each cell (so
a download has them as they are: shares as fractions, a missing count empty). Counts
of staff are counts; the model's heads (the trajectory's headcounts and
appointments, the path's ethnic-minority headcount, the gap) one decimal, as the
command shows them; differences of shares percentage points.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from wfplan.dataset import codelists
from wfplan.report import format as fmt
from wfplan.web.pages.tables import Cell, Table

#: The four parts of the answer, in the order the page shows them.
PARTS = ("wres", "goals", "trajectory", "progress")
#: What a missing share means, said under a table that has one.
MISSING_NOTE = ("n/a: a count suppressed or not reported (never 0); a band without its "
                "counts has no goal, trajectory or progress.")

Row = Mapping[str, Any]


def role_name(code: Any) -> str:
    """Return a medical grade's name (``Consultant``), else the code in words."""
    names = {r["code"]: r["name"] for r in codelists.get("role").rows}
    return names.get(str(code), fmt.words(code))


def band_label(row: Row) -> str:
    """Return a WRES row's band: its name, or a medical grade's as ``Medical and dental: NAME``."""
    if row.get("role"):
        return f"Medical and dental: {role_name(row['role'])}"
    return fmt.grade_name(row.get("grade"))


def wres_table(table_id: str, caption: str, rows: Iterable[Row]) -> Table:
    """Return WRES indicator 1: each band's ethnic-minority share against the whole's."""
    table = Table(table_id, caption, [
        "Pay band or grade", "Ethnic minority (headcount)", "Ethnicity known (headcount)",
        "Ethnic minority share", "Whole workforce share", "Difference (percentage points)"])
    for row in rows:
        table.rows.append([Cell(band_label(row)), Cell(row.get("minority_headcount"), "count"),
                           Cell(row.get("known_headcount"), "count"),
                           Cell(row.get("ethnic_minority_share"), "percent"),
                           Cell(row.get("overall_share"), "percent"),
                           Cell(row.get("difference"), "points")])
    if any(fmt.is_missing(cells[3].value) for cells in table.rows):
        table.notes.append(MISSING_NOTE)
    return table


def goals_table(table_id: str, caption: str, rows: Iterable[Row]) -> Table:
    """Return each band's start at the base census and the goal and rates applied to it.

    The sources of the leaver rates are the table's notes.
    """
    table = Table(table_id, caption, [
        "Pay band", "Base census", "Ethnicity known (headcount)", "Ethnic minority (headcount)",
        "Share at the base", "Goal share", "Goal year", "Leaver rate", "Promotion rate",
        "Headcount growth", "At the base", "Goal"])
    sources: list[str] = []
    for row in rows:
        table.rows.append([Cell(fmt.grade_name(row.get("grade"))), Cell(row.get("base_period")),
                           Cell(row.get("known_headcount"), "count"),
                           Cell(row.get("minority_headcount"), "count"),
                           Cell(row.get("base_share"), "percent"),
                           Cell(row.get("target_share"), "percent"), Cell(row.get("target_year")),
                           Cell(row.get("leaver_rate"), "percent"),
                           Cell(row.get("promotion_rate"), "percent"),
                           Cell(row.get("headcount_growth"), "percent"),
                           Cell(row.get("at_base")), Cell(row.get("goal"))])
        source = str(row.get("leaver_rate_source") or "")
        if source and source not in sources:
            sources.append(source)
    table.notes += [f"Leaver rate: {source}." for source in sources]
    return table


def trajectory_table(table_id: str, caption: str, rows: Iterable[Row]) -> Table:
    """Return each band's trajectory: each year's path, appointments and those needed."""
    table = Table(table_id, caption, [
        "Pay band", "Year", "Share on the path", "Headcount", "Ethnic minority on the path",
        "Appointments", "Ethnic-minority appointments needed",
        "Ethnic-minority share of appointments"])
    for row in rows:
        table.rows.append([Cell(fmt.grade_name(row.get("grade"))), Cell(row.get("year")),
                           Cell(row.get("path_share"), "percent"),
                           Cell(row.get("headcount"), "fte"),
                           Cell(row.get("minority_target"), "fte"),
                           Cell(row.get("appointments"), "fte"),
                           Cell(row.get("minority_appointments"), "fte"),
                           Cell(row.get("minority_share_of_appointments"), "percent")])
    return table


def progress_table(table_id: str, caption: str, rows: Iterable[Row]) -> Table:
    """Return each band's position at each later census against its path (the gap in heads)."""
    table = Table(table_id, caption, [
        "Pay band", "Census", "Year", "Ethnic minority (headcount)",
        "Ethnicity known (headcount)", "Share on the path", "Ethnic minority on the path",
        "Gap (heads short of the path)", "Status"])
    for row in rows:
        table.rows.append([Cell(fmt.grade_name(row.get("grade"))), Cell(row.get("period")),
                           Cell(row.get("year")), Cell(row.get("minority_headcount"), "count"),
                           Cell(row.get("known_headcount"), "count"),
                           Cell(row.get("path_share"), "percent"),
                           Cell(row.get("expected_minority"), "fte"),
                           Cell(row.get("gap_heads"), "fte"), Cell(row.get("status"))])
    return table


def progress_summary(rows: Sequence[Row]) -> dict[str, Any] | None:
    """Return the latest census's progress: its date, the bands on track and those off it.

    Each band off track comes with its gap in heads (largest first); None without progress.
    """
    if not rows:
        return None
    latest = max(str(r["period"]) for r in rows)
    at = [r for r in rows if str(r["period"]) == latest]
    off = sorted((r for r in at if r["status"] == "off track"),
                 key=lambda r: -float(r["gap_heads"]))
    return {"period": latest, "bands": len(at), "on": len(at) - len(off),
            "off": [{"band": fmt.grade_name(r["grade"]), "gap": fmt.number(r["gap_heads"], 1)}
                    for r in off]}
