"""The skills-gap table of a scenario run's page (a run by role; docs/skills.md).

Built from ``GET /api/v1/jobs/{id}/skills`` (the headline ``wfplan project``
prints, :func:`wfplan.runs.skills.skills_headline`): for the area shown, each
role's and staff group's shortfall, surplus and shortfall left after
substitution, P50, at each horizon. A staff group's figures are its roles' sums
within each draw, not its net gap. A run by staff group has no such rows, and
its page no such table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wfplan.report import format as fmt
from wfplan.web.pages.tables import Cell, Table

#: The skills headline's variables, in the order shown, with their labels.
MEASURES = (("shortfall_fte", "Shortfall"), ("surplus_fte", "Surplus"),
            ("shortfall_after_substitution_fte", "Shortfall after substitution"))
#: The table's id on the page.
TABLE_ID = "skills-gap"


def skills_table(answer: Mapping[str, Any], area: str, area_name: str) -> Table | None:
    """Return the area's skills-gap table from the ``/skills`` answer, or None without rows.

    One row per role or staff group and measure; one column per horizon (P50 FTE).
    """
    rows = [r for r in answer.get("rows", []) if r["area"] == area]
    if not rows:
        return None
    horizons = sorted({(int(r["horizon"]), int(r["year"])) for r in rows})
    value = {(r["staff_group"], r["variable"], int(r["horizon"])): r["p50"] for r in rows}
    table = Table(TABLE_ID, f"Skills gaps by role, {area_name}: FTE, P50",
                  ["Role (staff group: the sum of its roles)", "Measure",
                   *(f"{year} (+{horizon} years)" for horizon, year in horizons)])
    for code in dict.fromkeys(str(r["staff_group"]) for r in rows):
        for variable, label in MEASURES:
            table.rows.append([Cell(fmt.staff_group_name(code)), Cell(label), *(
                Cell(value.get((code, variable, h)), "fte") for h, _ in horizons)])
    table.notes.append(
        "Shortfall is the gap (funded demand minus supply) of a role where it is positive, "
        "surplus the supply above demand where it is negative; a staff group's are the sums "
        "over its roles within each draw, so a short role and a role in surplus show as "
        "both, not as their net gap. 'After substitution': the shortfall left once the "
        "substitutions the scenario allows between roles are used. The same figures are "
        f"served at /api/v1/jobs/{answer.get('job_id', '')}/skills.")
    return table
