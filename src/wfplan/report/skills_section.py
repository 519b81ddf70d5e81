"""The report's skills-gap table: shortfall and surplus by role (docs/skills.md).

For each scenario with ``roles``, England's shortfall and surplus of every role
and of its staff group (the sums over its roles, within each draw), 5, 10 and
15 years on within the horizon: a short field and a field in surplus show as
both, not as their net. The figures are the assessment's ``skills_gap`` table
(:mod:`wfplan.assessment.skills`), so ``wfplan verify`` checks them.
"""

from __future__ import annotations

import pandas as pd

from wfplan.report import format as fmt
from wfplan.report.context import ReportData
from wfplan.report.views import Column, Numbering, TableView

#: The view's variables, by their prefix in the table.
_VARIABLES = {"shortfall_fte": "shortfall", "surplus_fte": "surplus",
              "shortfall_after_substitution_fte": "after"}


def skills_frame(skills: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario, role (or staff group) and year: each variable's P50, P5, P95."""
    rows = skills[skills["variable"].isin(list(_VARIABLES))]
    wide = rows.pivot_table(index=["scenario", "staff_group", "year"], columns="variable",
                            values=["p50", "p5", "p95"], aggfunc="first", sort=False)
    wide.columns = [f"{_VARIABLES[str(pair[1])]}_{pair[0]}" for pair in wide.columns]
    return wide.reset_index()


def skills_table(data: ReportData, n: Numbering, source: str, period: str) -> TableView | None:
    """Return the numbered table of the skills-gap view; None when no scenario ran by role."""
    if data.skills.empty:
        return None
    frame = skills_frame(data.skills)
    columns = [
        Column("scenario", "Scenario", data.scenario_title),
        Column("staff_group", "Role or staff group", fmt.staff_group_name),
        Column("year", "Year", str, numeric=True),
        Column(lambda row: fmt.row_range(row, "shortfall"), "Shortfall (FTE)", fmt.text,
               numeric=True),
        Column(lambda row: fmt.row_range(row, "surplus"), "Surplus (FTE)", fmt.text,
               numeric=True),
    ]
    if "after_p50" in frame.columns:
        columns.append(Column(lambda row: fmt.row_range(row, "after"),
                              "Shortfall after substitution (FTE)", fmt.text, numeric=True))
    return n.table(frame, columns, "table-skills-gap",
                   "Skills gaps in England by role: shortfall and surplus, P50 (P5–P95)",
                   source, period, notes=[
                       "Each role's shortfall is its gap where demand exceeds supply, and its "
                       "surplus the reverse; a staff group's are the sums over its roles, "
                       "within each draw, so they are not the group's net gap. Each "
                       "group's headcount is shared between its roles by the vintage's own "
                       "role rows, else by wfplan's role shares table (its sources and "
                       "assumptions: docs/skills.md), and each role shares its group's "
                       "parameters."])


def skills_sheets(frame: pd.DataFrame, source: str,
                  period: str) -> list[tuple[str, pd.DataFrame, str, str, str]]:
    """Return the ``skills_gap`` sheet of ``tables.xlsx`` (none when no scenario ran by role)."""
    if not len(frame):
        return []
    return [("skills_gap", frame, "Skills gaps in England by role and staff group: "
             "shortfall, surplus and shortfall after substitution (FTE), P50, P5 and P95",
             source, period)]
