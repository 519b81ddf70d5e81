"""Adult social care supply from the ``asc_workforce`` returns, where a vintage has them.

The returns (ASC-WDS style, docs/social-care.md) give each CQC location's filled
posts at a date, its vacancies, and its starters and leavers of the 12 months to
it, by job role. Where the vintage has returns dated on or before the base
period, the latest of them replace, for the adult social care staff groups they
cover, what the ``flows`` and ``vacancies`` tables gave:

- **job roles → staff groups** by the ``asc_job_role`` code list (care worker and
  senior care worker: direct care; registered nurse: regulated professions;
  registered manager: managerial). Role ``other`` spans every group, so it has
  none: its rows are not used;
- **placement**: each location in its ICB (its own, else the one
  ``la_icb_lookup`` gives its local authority), the ICB in its region; a location
  no ICB can be found for counts for England only;
- **leaver rate** ``[area, group]`` = leavers ÷ filled posts of the area's
  locations that report both (12 months, already annual), the same at every age
  band (the returns have no ages); an area with no such location takes the
  national rate (every location, placed or not);
- **joiners a year** ``[area, group]`` = starters of the locations reporting
  them × the area's headcount in post ÷ their filled posts (the national rate
  where the area has none), as other joiners: the returns do not give the route,
  so the group's international, return-to-practice and newly qualified joiners
  from ``flows`` are set to 0 (their starters are in the count);
- **vacancy FTE** ``[area, group]`` = vacancies ÷ filled posts of the locations
  reporting both × the area's headcount × its FTE per head.

Rates and counts are read at ``england``, ``region`` and ``icb`` level; at
``org`` level providers are not locations, so the returns are not read there
(recorded). A vintage without returns is read exactly as before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.store.queries import asc_workforce as queries
from wfplan.inputs.flows import Flows
from wfplan.inputs.source import Assumptions, Selection
from wfplan.inputs.stock import Stock

#: The levels whose areas a location can be placed in.
LEVELS = ("england", "region", "icb")
#: Each rate read: its numerator and its denominator (both must be reported).
RATES = {"leaver": ("leavers", "filled_posts"), "starter": ("starters", "filled_posts"),
         "vacancy": ("vacancies", "filled_posts")}


@dataclass(frozen=True)
class AscReturns:
    """Rates from the returns: ``[area, staff_group]``, NaN where a group has no returns."""

    period: str
    groups: tuple[str, ...]
    rates: dict[str, np.ndarray]


def _group_of_role() -> dict[str, str]:
    return {row["code"]: row["staff_group"] for row in codelists.get("asc_job_role").rows
            if row["staff_group"]}


def _area(frame: pd.DataFrame, level: str) -> pd.Series:
    if level == "england":
        return pd.Series(codelists.ENGLAND_CODE, index=frame.index, dtype=object)
    if level == "icb":
        return frame["icb_code"]
    region = {row["code"]: row["region_code"] for row in codelists.get("icb").rows}
    return frame["icb_code"].map(region)


def _rate(frame: pd.DataFrame, top: str, bottom: str) -> float:
    both = frame[[top, bottom]].notna().all(axis=1)
    denominator = float(frame.loc[both, bottom].sum())
    return float(frame.loc[both, top].sum()) / denominator if denominator > 0 else np.nan


def read_returns(selection: Selection, stock: Stock) -> AscReturns | None:
    """Return the rates of the latest returns on or before the base period (None: none)."""
    periods = [p for p in queries.periods(selection.store, selection.vintage)
               if p <= selection.period]
    if not periods or selection.level not in LEVELS:
        return None
    frame = queries.location_totals(selection.store, selection.vintage, periods[-1])
    frame = frame.assign(staff_group=frame["job_role"].map(_group_of_role()))
    frame = frame[frame["staff_group"].isin(stock.staff_groups)]
    if frame.empty:
        return None
    frame = frame.assign(area=_area(frame, selection.level))
    shape = (len(stock.areas), len(stock.staff_groups))
    rates = {name: np.full(shape, np.nan) for name in RATES}
    groups = tuple(g for g in stock.staff_groups if g in set(frame["staff_group"]))
    for group, rows in frame.groupby("staff_group"):
        g = stock.staff_groups.index(str(group))
        for name, (top, bottom) in RATES.items():
            national = _rate(rows, top, bottom)
            for a, area in enumerate(stock.areas):
                local = _rate(rows[rows["area"] == area], top, bottom)
                rates[name][a, g] = national if np.isnan(local) else local
    return AscReturns(period=periods[-1].isoformat(), groups=groups, rates=rates)


def with_returns(selection: Selection, stock: Stock, flows: Flows,
                 assumptions: Assumptions) -> tuple[Flows, AscReturns | None]:
    """Return ``flows`` with the returns' leaver rates and joiners where the vintage has them.

    The vacancy rates are returned with them, for :func:`returned_vacancies`.
    """
    if selection.level == "org":
        if queries.periods(selection.store, selection.vintage):
            assumptions.add("asc_workforce", "not read",
                            "at organisation level the areas are providers, not the CQC "
                            "locations of the returns: social care supply comes from flows")
        return flows, None
    returns = read_returns(selection, stock)
    if returns is None:
        return flows, None
    index = [stock.staff_groups.index(group) for group in returns.groups]
    leaver = flows.leaver_rate.copy()
    heads = stock.headcount.sum(axis=2)
    joiners = {route: values.copy() for route, values in flows.joiners.items()}
    for g in index:
        rate = np.clip(returns.rates["leaver"][:, g], 0.0, 1.0)
        known = ~np.isnan(rate)
        leaver[known, g, :] = rate[known, np.newaxis]
        starters = np.nan_to_num(returns.rates["starter"][:, g]) * heads[:, g]
        for route in joiners:
            joiners[route][:, g] = starters if route == "other" else 0.0
    groups = ", ".join(returns.groups)
    assumptions.add("asc_workforce", returns.period,
                    f"leaver rates and joiners of {groups} from the asc_workforce returns of "
                    f"{returns.period} (12 months; leavers and starters over filled posts, by "
                    "area, all ages alike; starters as other joiners), not flows",
                    tier="data")
    return replace(flows, leaver_rate=leaver, joiners=joiners,
                   steady=flows.steady - set(returns.groups)), returns


def returned_vacancies(stock: Stock, returns: AscReturns | None,
                       vacancy: np.ndarray | None, assumptions: Assumptions) -> np.ndarray | None:
    """Return ``vacancy`` with the returns' vacancy FTE for the groups they report it for."""
    if returns is None:
        return vacancy
    rate = returns.rates["vacancy"]
    reported = [g for g in range(rate.shape[1]) if not np.isnan(rate[:, g]).all()]
    if not reported:
        return vacancy
    if vacancy is None:
        assumptions.add("vacancy_fte", 0.0,
                        "no vacancies table: 0 assumed for the staff groups the asc_workforce "
                        "returns do not cover (establishment = staff in post)")
    out = np.zeros(rate.shape) if vacancy is None else vacancy.copy()
    heads = stock.headcount.sum(axis=2)
    for g in reported:
        out[:, g] = np.nan_to_num(rate[:, g]) * heads[:, g] * stock.fte_per_head[:, g]
    assumptions.add("vacancy_fte", returns.period,
                    "adult social care vacancies from the asc_workforce returns: vacancies over "
                    "filled posts x headcount x FTE per head", tier="data")
    return out
