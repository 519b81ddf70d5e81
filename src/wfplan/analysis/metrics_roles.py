"""The current position by role within staff group (``wfplan metrics --by role``).

A vintage's ``staff_in_post`` may give each row a role below its staff group
(the ``role`` column: the four fields of nursing, social care roles…;
docs/skills.md). For the staff groups with at least one row giving a role at
the census, :func:`position_by_role` reports, by area of the level, each role's
headcount, FTE, FTE per head, share of its group's headcount in the area and
share aged 55+, with the group's rows that give no role as a role of their own
(``role`` missing). Definitions are those of :mod:`wfplan.analysis.metrics`;
the roles of a group in an area sum to the group's headcount and FTE.

People of a file whose records identify them (the PCN workforce publication)
are counted once per role (:mod:`wfplan.dataset.distinct`); those of such a
file with no role are not counted here.
"""

from __future__ import annotations

import pandas as pd

from wfplan.analysis.metrics_query import Aggregator, Query, plus, ratio
from wfplan.dataset import distinct
from wfplan.dataset.geography import UNMAPPED
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import metrics as sums
from wfplan.dataset.store.queries.geography import area_names
from wfplan.errors import InputError

__all__ = ["ROLE_COLUMNS", "position_by_role"]

#: Columns of :func:`position_by_role`.
ROLE_COLUMNS = ("area_code", "area_name", "level", "period", "staff_group", "role",
                "headcount", "fte", "fte_per_head", "share_of_group_headcount",
                "share_aged_55_plus")


def position_by_role(store: Store, query: Query) -> pd.DataFrame:
    """Return the current position by area, staff group and role.

    Parameters
    ----------
    store : Store
        The store.
    query : Query
        Vintage, level, and optional area, staff group, period and sector filters.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ROLE_COLUMNS`, one row per area, staff group and role
        (missing: the rows that give none), by area, staff group and role.

    Raises
    ------
    InputError
        If no row of the staff in post at the census gives a role.
    """
    metrics = Aggregator(store, query)
    if metrics.period is None or pd.isna(metrics.period):
        raise InputError(f"vintage {query.vintage!r} has no staff in post to report on")
    census = pd.Timestamp(metrics.period).date()
    covered = distinct.covered(store, query.vintage, metrics.period, query.level, query.sector)
    frame = sums.staff_by_role_at(store, metrics.selection(), covered)
    frame = _with_people(store, metrics, frame, covered)
    if frame.empty or frame["role"].isna().all():
        raise InputError(
            f"vintage {query.vintage!r} gives no role in staff_in_post at {census}"
            + (f" for staff group {query.staff_group!r}" if query.staff_group else "")
            + (f" in sector {query.sector!r}" if query.sector else "")
            + ": --by role needs the role column of the staff_in_post template "
            "(wfplan template staff_in_post)")
    out = _figures(frame)
    names = area_names(store, query.vintage, query.level)
    out = out.merge(names, on="area_code", how="left")
    out["area_name"] = out["area_name"].fillna("Unmapped organisations")
    out["level"] = query.level
    out["period"] = census.isoformat()
    if query.area:
        out = out[out["area_code"].str.upper() == query.area.upper()]
        if out.empty:
            raise InputError(f"no area {query.area!r} at level {query.level} with roles in "
                             "the data")
    out = out.assign(_unmapped=out["area_code"] == UNMAPPED).sort_values(
        ["_unmapped", "area_code", "staff_group", "role"], na_position="last")
    return out[list(ROLE_COLUMNS)].reset_index(drop=True)


def _with_people(store: Store, metrics: Aggregator, frame: pd.DataFrame,
                 covered: list[int]) -> pd.DataFrame:
    """Add the distinct people of the ``covered`` files by role (zero columns if none)."""
    keys = ["area_code", "staff_group", "role"]
    query = metrics.q
    people = distinct.counts(store, query.vintage, metrics.period, query.level, covered,
                             staff_group=metrics.group, sector=query.sector, by_role=True)
    if metrics.group:
        people = people[people["staff_group"] == metrics.group]
    people = people[people["staff_group"].isin(frame["staff_group"])]
    frame = frame.merge(people, on=keys, how="outer")
    measures = [c for c in frame.columns if c not in keys]
    return frame.astype(dict.fromkeys(measures, "Float64"))


def _figures(frame: pd.DataFrame) -> pd.DataFrame:
    """Return each role's figures from its sums, with its share of its group's headcount."""
    headcount = plus(frame["headcount_cells"], frame["headcount_distinct"])
    group = headcount.groupby([frame["area_code"], frame["staff_group"]]).transform("sum")
    return pd.DataFrame({
        "area_code": frame["area_code"], "staff_group": frame["staff_group"],
        "role": frame["role"], "headcount": headcount, "fte": frame["fte"],
        "fte_per_head": ratio(plus(frame["fte_both"], frame["fte_distinct"]),
                              plus(frame["hc_both"], frame["headcount_distinct_fte"])),
        "share_of_group_headcount": ratio(headcount, group.astype("Float64")),
        "share_aged_55_plus": ratio(frame["hc55"], frame["hc_age"]),
    })
