"""The skills-gap view of a run by role, as rows of the long table and as a headline.

A projection by role (a scenario's ``roles``) has, besides every variable of
each role and of its staff group, the view of :mod:`wfplan.model.skills`: each
role's shortfall and surplus, the shortfall met by the substitutions the
scenario allows, and what is left, for the run's areas and England; a staff
group's rows are the sums over its roles within each draw, so a short field and
a field in surplus show as both, not as their net.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from wfplan.model import Results
from wfplan.model.skills import SKILL_VARIABLES, Substitution, skills_gap
from wfplan.model.uncertainty import STATISTICS, draw_statistics

_COLUMNS = ("scenario", "area", "staff_group", "variable", "unit", "year", "statistic",
            "value")
#: The skills headline's columns.
HEADLINE_COLUMNS = ["scenario", "area", "staff_group", "horizon", "year", "variable", "p50",
                    "p5", "p95"]


def _rows(part: Results, codes: Sequence[str], name: str, stats: np.ndarray) -> pd.DataFrame:
    """Long-table rows of one variable: by area, code, year and statistic (as ``to_long``)."""
    ordered = np.transpose(stats, (2, 3, 1, 0))  # (A, C, T, S)
    a, c, t, s = ordered.shape
    index = np.indices((a, c, t, s)).reshape(4, -1)
    return pd.DataFrame({
        "scenario": pd.array([part.scenario] * index.shape[1], dtype="str"),
        "area": pd.array(np.asarray(part.areas, dtype=object)[index[0]], dtype="str"),
        "staff_group": pd.array(np.asarray(codes, dtype=object)[index[1]], dtype="str"),
        "variable": pd.array([name] * index.shape[1], dtype="str"),
        "unit": pd.array(["FTE"] * index.shape[1], dtype="str"),
        "year": np.asarray(part.years, dtype=np.int64)[index[2]],
        "statistic": pd.array(np.asarray(STATISTICS, dtype=object)[index[3]], dtype="str"),
        "value": ordered.reshape(-1),
    })


def skills_rows(parts: Sequence[Results], parent: Mapping[str, str],
                substitutions: Sequence[Substitution] = ()) -> pd.DataFrame:
    """Return the skills-gap rows of results by role (the run's areas, then England).

    Each of ``parts`` holds roles on its staff-group dimension; ``parent`` maps
    each role to its staff group.
    """
    frames: dict[str, list[pd.DataFrame]] = {name: [] for name in SKILL_VARIABLES}
    for part in parts:
        gap = part.values("gap_fte")
        gap = np.broadcast_to(gap, (part.n_draws + 1, *gap.shape[1:]))
        codes, arrays = skills_gap(gap, part.staff_groups, parent, substitutions)
        for name in SKILL_VARIABLES:
            stats = draw_statistics(arrays[name], part.n_draws)
            frames[name].append(_rows(part, codes, name, stats))
    ordered = [frame for name in SKILL_VARIABLES for frame in frames[name]]
    return pd.concat(ordered, ignore_index=True)[list(_COLUMNS)]


def skills_headline(table: pd.DataFrame, years: Sequence[int],
                    areas: Sequence[str] | None = None) -> pd.DataFrame:
    """Return shortfall and surplus (P50, P5, P95) ``years`` after the base year, by code.

    Columns :data:`HEADLINE_COLUMNS`; empty when the table has no skills-gap rows
    (a run by staff group). ``areas`` None keeps every area.
    """
    wanted = ["shortfall_fte", "surplus_fte", "shortfall_after_substitution_fte"]
    rows = table[table["variable"].isin(wanted) & table["statistic"].isin(["p5", "p50", "p95"])]
    if areas is not None:
        rows = rows[rows["area"].isin(list(areas))]
    if rows.empty:
        return pd.DataFrame(columns=HEADLINE_COLUMNS)
    first = table.groupby("scenario")["year"].min()
    rows = rows.assign(horizon=rows["year"] - rows["scenario"].map(first))
    rows = rows[rows["horizon"].isin(list(years))]
    wide = rows.pivot_table(index=["scenario", "area", "staff_group", "horizon", "year",
                                   "variable"], columns="statistic", values="value",
                            sort=False).reset_index()
    wide.columns.name = None
    return wide[HEADLINE_COLUMNS].reset_index(drop=True)
