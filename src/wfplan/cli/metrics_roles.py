"""``wfplan metrics --by role``: the current position by role within staff group.

The figures are :func:`wfplan.analysis.metrics_roles.position_by_role`'s; this
module only names the option's values and lays the table out.
"""

from __future__ import annotations

from enum import StrEnum

import pandas as pd
from rich.console import Console

from wfplan.cli.display import metrics_table, name_of
from wfplan.errors import InputError

#: How the table shows the rows of a group that give no role (missing in CSV and JSON).
NO_ROLE = "(no role given)"


class MetricsBy(StrEnum):
    """What ``wfplan metrics --by`` breaks the current position down by."""

    role = "role"


def by_role_refused() -> None:
    """Refuse ``--by role`` with ``--public``: the table has no disclosure rule yet.

    Raises
    ------
    InputError
        Always.
    """
    raise InputError("--by role cannot be used with --public: the current position by role "
                     "has no disclosure-control rule yet (a role's figures could reveal a "
                     "suppressed count through its staff group's total)")


def by_role_table(console: Console, frame: pd.DataFrame, vintage: str, level: str) -> None:
    """Print the current position by role, a table per staff group: names, not codes."""
    shown = frame.assign(role=frame["role"].astype(object).where(frame["role"].notna(),
                                                                 NO_ROLE))
    for group, rows in shown.groupby("staff_group", sort=False):
        metrics_table(console, rows.drop(columns=["period", "staff_group"]),
                      f"{name_of('staff_group', group)} by role, vintage {vintage!r}, level "
                      f"{level}, {frame['period'].iat[0]} (share of group: of the staff "
                      "group's headcount in the area)")
