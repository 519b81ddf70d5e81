"""Adult social care workforce from ``asc_workforce`` returns, by job role and area.

The ``asc_workforce`` tidy table holds ASC-WDS-style returns: filled posts,
vacancies, starters and leavers by CQC location and job role, each location
placed in a local authority and an ICB (``docs/social-care.md``). This module
sums them for England, each NHS region, each ICB or each local authority, by
job role and for all roles, with the rates Skills for Care publishes:

- vacancy rate = vacancies ÷ (filled posts + vacancies);
- turnover rate = leavers in the 12 months ÷ filled posts at the date;
- starters rate = starters in the 12 months ÷ filled posts at the date.

A rate takes only the locations that reported both of its measures. A location
whose ICB neither its rows nor ``la_icb_lookup`` give is counted in England and
its local authority, and shown as ``unplaced`` at region and ICB level.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.cells import parse_date
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import asc_workforce as queries
from wfplan.errors import InputError

LEVELS = ("england", "region", "icb", "la")
#: The area of locations without an ICB, at region and ICB level.
UNPLACED = "unplaced"
#: The job role of the rows summing every role.
ALL_ROLES = "all"
#: Each rate: its numerator and the measures its denominator adds up.
RATES = {"vacancy_rate": ("vacancies", ("filled_posts", "vacancies")),
         "turnover_rate": ("leavers", ("filled_posts",)),
         "starters_rate": ("starters", ("filled_posts",))}


def _day(period: Any) -> date:
    """Return the date ``period`` names (``YYYY-MM`` is that month's last day)."""
    if isinstance(period, date):
        return period
    day = parse_date(str(period).strip())
    if day is None:
        raise InputError(f"period {period!r} is not a date (YYYY-MM-DD or YYYY-MM)")
    return date.fromisoformat(str(day))


def _area(frame: pd.DataFrame, level: str) -> pd.Series:
    if level == "england":
        return pd.Series(codelists.ENGLAND_CODE, index=frame.index)
    if level == "la":
        return frame["la_code"].astype(str)
    icb = frame["icb_code"]
    if level == "icb":
        return icb.fillna(UNPLACED).astype(str)
    region = {row["code"]: row["region_code"] for row in codelists.get("icb").rows}
    return icb.map(region).fillna(UNPLACED).astype(str)


def _sum(group: pd.DataFrame) -> dict[str, float]:
    out: dict[str, float] = {"locations": float(group["location_id"].nunique())}
    for measure in queries.MEASURES:
        values = group[measure]
        out[measure] = float(values.sum()) if values.notna().any() else np.nan
    for rate, (top, bottom) in RATES.items():
        both = group[[top, *bottom]].notna().all(axis=1)
        denominator = float(group.loc[both, list(bottom)].to_numpy().sum())
        out[rate] = (float(group.loc[both, top].sum()) / denominator
                     if both.any() and denominator > 0 else np.nan)
    return out


def summary(store: Store, vintage: str, *, period: Any = None,
            level: str = "england") -> pd.DataFrame:
    """Return the vintage's adult social care returns summed by area and job role.

    Parameters
    ----------
    store : Store
        The store to read.
    vintage : str
        The vintage.
    period : date or str, optional
        The date of the returns (``YYYY-MM`` is the month's last day); the latest
        the vintage holds if not given.
    level : str
        One of :data:`LEVELS`.

    Returns
    -------
    DataFrame
        Columns ``area, job_role, locations``, the measures of
        :data:`~wfplan.dataset.store.queries.asc_workforce.MEASURES` and the
        rates of :data:`RATES`; one row per area and job role (codes of
        ``asc_job_roles.csv``) and one per area for all roles (:data:`ALL_ROLES`).

    Raises
    ------
    InputError
        If the level is unknown, or the vintage has no returns (at ``period``).
    """
    if level not in LEVELS:
        raise InputError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    held = queries.periods(store, vintage)
    if not held:
        raise InputError(f"vintage {vintage!r} has no asc_workforce rows; load an "
                         "asc_workforce file (wfplan template asc_workforce)")
    when = held[-1] if period is None else _day(period)
    frame = queries.location_totals(store, vintage, when)
    if frame.empty:
        raise InputError(f"vintage {vintage!r} has no asc_workforce rows at {when}; it has "
                         + ", ".join(str(p) for p in held))
    frame["area"] = _area(frame, level)
    rows = [{"area": area, "job_role": role, **_sum(group)}
            for (area, role), group in frame.groupby(["area", "job_role"], sort=True)]
    rows += [{"area": area, "job_role": ALL_ROLES, **_sum(group)}
             for area, group in frame.groupby("area", sort=True)]
    out = pd.DataFrame(rows)
    order = {code: i for i, code in enumerate([*codelists.get("asc_job_role").codes, ALL_ROLES])}
    out["_order"] = out["job_role"].map(order).fillna(len(order))
    out = out.sort_values(["area", "_order", "job_role"]).drop(columns="_order")
    out["locations"] = out["locations"].astype(int)
    return out.reset_index(drop=True)
