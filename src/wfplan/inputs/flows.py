"""Leaver rates and joiners from the ``flows`` table, as model arrays.

The flow period used is the latest pair of censuses ending on or before the
base period. Moves within an organisation (route ``internal``) are left out.
Only the organisations and staff groups that report flows for that pair count
("reporting cells", as in the metrics):

- **Leaver rate** ``[area, staff_group, age_band]`` = leavers ÷ reporting
  headcount at the start of the period, by the leavers' age band at the start.
  Leavers with no age band add the area's all-age rate to every band. The rate
  is annualised as ``1 − (1 − r)^(1/years)`` (years: whole months ÷ 12) and
  capped to [0, 1]. A band with no staff at the start takes the area's all-age
  rate; an area that reports no flows for a staff group takes the group's
  national rates; a staff group with no flows anywhere takes the evidence
  library's rate for the group (by age band where the library has one), else
  the parameter table's default (:mod:`~wfplan.inputs.resolve`), already annual.
- **Joiners a year by route** ``[area, staff_group]`` = joiners ÷ years, scaled
  by the area's headcount at the base period ÷ the reporting headcount at the
  end of the flow period (1 when every organisation reports). Routes:
  ``international``, ``return_to_practice``, ``newly_qualified`` and the rest
  (``other_nhs``, ``other``, not reported) as other joiners. A staff group with
  no flows anywhere gets other joiners equal to its leavers (stock held steady,
  so it gets no training route either: see :mod:`~wfplan.inputs.build`).
- **Joiner age profiles** ``[staff_group, age_band]``: national, from joiners with
  an age band (newly qualified apart); else the default profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from wfplan.dataset.store.queries import model_inputs as queries
from wfplan.inputs.resolve import Resolved, record, resolve
from wfplan.inputs.source import (
    Assumptions,
    Selection,
    default_profile,
    pivot,
    years_between,
)
from wfplan.inputs.stock import Stock, headcount_at

ROUTES = ("international", "return_to_practice", "newly_qualified", "other")


@dataclass(frozen=True)
class Flows:
    """Model inputs derived from flows (see the module notes)."""

    leaver_rate: np.ndarray
    joiners: dict[str, np.ndarray]
    joiner_age_profile: np.ndarray
    newly_qualified_age_profile: np.ndarray | None
    #: Staff groups with no flows at all, whose joiners replace their leavers.
    steady: frozenset[str] = frozenset()


def flow_period(selection: Selection) -> tuple[date, date] | None:
    """Return the latest (start, end) pair of censuses ending on or before the base period."""
    end = queries.latest_flow_end(selection.store, selection.vintage, selection.period)
    if end is None:
        return None
    start = queries.flow_start(selection.store, selection.vintage, end)
    assert start is not None  # a flow period ending on ``end`` exists
    return start, end


def _annual(rate: np.ndarray, years: float) -> np.ndarray:
    capped = np.clip(rate, 0.0, 1.0)
    return 1.0 - (1.0 - capped) ** (1.0 / years)


def _rates(leavers: np.ndarray, no_age: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Leaver rates over the period where the start headcount allows, else NaN."""
    total = start.sum(axis=-1)
    all_ages = np.divide(leavers.sum(axis=-1) + no_age, total, out=np.full(total.shape, np.nan),
                         where=total > 0)
    extra = np.divide(no_age, total, out=np.zeros(total.shape), where=total > 0)
    by_age = np.divide(leavers, start, out=np.full(start.shape, np.nan), where=start > 0)
    by_age = by_age + extra[..., np.newaxis]
    # a band with no staff at the start but leavers is a data inconsistency: rate 1
    by_age = np.where((start <= 0) & (leavers > 0), 1.0, by_age)
    return np.where(np.isnan(by_age), all_ages[..., np.newaxis], by_age)


def _leaver_rates(frame: pd.DataFrame, start: np.ndarray, stock: Stock, years: float,
                  assumptions: Assumptions) -> np.ndarray:
    leavers = frame[frame["direction"] == "leaver"]
    labels = stock.labels
    known = pivot(leavers[leavers["age_band"].notna()], "hc", ["area", "staff_group"],
                  "age_band", labels)
    no_age = pivot(leavers[leavers["age_band"].isna()], "hc", ["area", "staff_group"], None,
                   labels)
    local = _rates(known, no_age, start)
    national = _rates(known.sum(axis=0), no_age.sum(axis=0), start.sum(axis=0))
    rate = np.where(np.isnan(local), national[np.newaxis], local)
    staffed = stock.headcount.sum(axis=2) > 0
    borrowed = int((np.isnan(local).all(axis=2) & staffed & ~np.isnan(national).all(axis=1)).sum())
    if borrowed:
        assumptions.add("leaver_rate", "staff group's national rates",
                        f"{borrowed} area x staff group cells with staff report no flows",
                        tier="data")
    annual = _annual(rate, years)
    missing = tuple(g for g, row in zip(stock.staff_groups, national, strict=True)
                    if np.isnan(row).all())
    if not missing:
        return annual
    resolved = _resolved(stock, missing, assumptions, "no flows")
    return np.where(np.isnan(annual), resolved[np.newaxis], annual)


def _resolved(stock: Stock, groups: tuple[str, ...], assumptions: Assumptions,
              why: str) -> np.ndarray:
    """Return ``[staff_group, age_band]`` annual leaver rates of ``groups`` from the evidence.

    Rows of other staff groups are NaN. One assumption is recorded per source.
    """
    out = np.full((len(stock.staff_groups), len(stock.age_bands)), np.nan)
    used: list[Resolved] = []
    for group in groups:
        g = stock.staff_groups.index(group)
        found = [resolve("leaver_rate", group, band) for band in stock.age_bands]
        out[g] = [item.value for item in found]
        used += list({item.key(): item for item in found}.values())
    record(assumptions, used, why)
    return out


def _route_of(route: object) -> str:
    return str(route) if route in ROUTES else "other"


def _joiners(frame: pd.DataFrame, stock: Stock, scale: np.ndarray, years: float,
             assumptions: Assumptions) -> dict[str, np.ndarray]:
    joiners = frame[frame["direction"] == "joiner"]
    joiners = joiners.assign(route=joiners["route"].map(_route_of))
    base = stock.headcount.sum(axis=2)
    out = {}
    reporting = ~np.isnan(scale)
    for route in ROUTES:
        observed = pivot(joiners[joiners["route"] == route], "hc", ["area", "staff_group"],
                         None, stock.labels) / years
        reporting_base = np.where(reporting, base, 0.0).sum(axis=0)
        per_head = np.divide(observed.sum(axis=0), reporting_base,
                             out=np.zeros(reporting_base.shape), where=reporting_base > 0)
        out[route] = np.where(reporting, observed * np.nan_to_num(scale),
                              base * per_head[np.newaxis])
    scaled = reporting & (np.abs(np.nan_to_num(scale, nan=1.0) - 1.0) > 1e-12)
    if scaled.any():
        assumptions.add("joiners", "scaled to the area's headcount",
                        f"{int(scaled.sum())} area x staff group cells: joiners of the "
                        "reporting organisations x headcount / reporting headcount")
    return out


def _profile(frame: pd.DataFrame, stock: Stock, routes: list[str] | None) -> np.ndarray:
    joiners = frame[(frame["direction"] == "joiner") & frame["age_band"].notna()]
    if routes is not None:
        joiners = joiners[joiners["route"].isin(routes)]
    else:
        joiners = joiners[joiners["route"] != "newly_qualified"]
    counts = pivot(joiners, "hc", ["staff_group"], "age_band", stock.labels)
    sums = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, sums, out=np.full(counts.shape, np.nan), where=sums > 0)


def _profiles(frame: pd.DataFrame, stock: Stock,
              assumptions: Assumptions) -> tuple[np.ndarray, np.ndarray | None]:
    general = _profile(frame, stock, None)
    general = np.where(np.isnan(general), _profile(frame, stock, ["newly_qualified"]), general)
    default, source = default_profile("joiner_age_profile")
    missing = [g for g, row in zip(stock.staff_groups, general, strict=True)
               if np.isnan(row).all()]
    if missing:
        assumptions.add("joiner_age_profile", "default profile (data/input_defaults.csv)",
                        f"no joiners by age band for staff groups {', '.join(missing)} ({source})")
    general = np.where(np.isnan(general), default[np.newaxis], general)
    qualified = _profile(frame, stock, ["newly_qualified"])
    if np.isnan(qualified).all():
        return general, None
    lacking = [g for g, row in zip(stock.staff_groups, qualified, strict=True)
               if np.isnan(row).all()]
    if lacking:
        assumptions.add("newly_qualified_age_profile", "joiner_age_profile",
                        f"no newly qualified joiners by age band for staff groups "
                        f"{', '.join(lacking)}")
    return general, np.where(np.isnan(qualified), general, qualified)


def _no_flows(stock: Stock, assumptions: Assumptions, reason: str) -> Flows:
    by_group = _resolved(stock, stock.staff_groups, assumptions, reason)
    rate = np.broadcast_to(by_group[np.newaxis], stock.headcount.shape).copy()
    assumptions.add("other_joiners", "leavers (stock held steady)",
                    f"{reason}: other joiners a year = leavers a year at the leaver rate "
                    "resolved from the evidence library or the parameter table's default")
    profile, source = default_profile("joiner_age_profile")
    assumptions.add("joiner_age_profile", "default profile (data/input_defaults.csv)",
                    f"{reason} ({source})")
    zeros = np.zeros(stock.headcount.shape[:2])
    joiners = dict.fromkeys(ROUTES, zeros)
    joiners["other"] = (stock.headcount * rate).sum(axis=2)
    groups = len(stock.staff_groups)
    return Flows(rate, joiners, np.broadcast_to(profile, (groups, len(profile))).copy(), None,
                 frozenset(stock.staff_groups))


def _steady_groups(flows: Flows, stock: Stock, frame: pd.DataFrame,
                   assumptions: Assumptions) -> frozenset[str]:
    """Let other joiners replace leavers in staff groups with no flows at all; return them."""
    present = set(frame["staff_group"])
    missing = [group for group in stock.staff_groups if group not in present]
    for group in missing:
        g = stock.staff_groups.index(group)
        flows.joiners["other"][:, g] = (stock.headcount[:, g] * flows.leaver_rate[:, g]).sum(1)
    if missing:
        assumptions.add("other_joiners", "leavers (stock held steady)",
                        f"no flows for staff groups {', '.join(missing)}: other joiners a year = "
                        "leavers "
                        "a year")
    return frozenset(missing)


def read_flows(selection: Selection, stock: Stock, assumptions: Assumptions) -> Flows:
    """Derive leaver rates, joiners and joiner age profiles; see the module notes."""
    pair = flow_period(selection)
    if pair is None:
        return _no_flows(stock, assumptions, "the vintage has no flows up to the base period")
    start, end = pair
    years = years_between(start, end)
    frame = queries.flow_headcount_by_area(selection.store, selection.scope, start, end)
    frame["hc"] = frame["hc"].astype("float64").fillna(0.0)
    if frame.empty:
        return _no_flows(stock, assumptions, "no flows for the selection")
    start_hc = headcount_at(selection, stock, start, pair)
    end_hc = headcount_at(selection, stock, end, pair).sum(axis=2)
    base = stock.headcount.sum(axis=2)
    scale = np.divide(base, end_hc, out=np.full(base.shape, np.nan), where=end_hc > 0)
    rates = _leaver_rates(frame, start_hc, stock, years, assumptions)
    joiners = _joiners(frame, stock, scale, years, assumptions)
    general, qualified = _profiles(frame, stock, assumptions)
    flows = Flows(rates, joiners, general, qualified)
    steady = _steady_groups(flows, stock, frame, assumptions)
    flows = Flows(rates, joiners, general, qualified, steady)
    if end != selection.period:
        assumptions.add("flow period", f"{start.isoformat()} to {end.isoformat()}",
                        "the latest flow period ending on or before the base period")
    return flows
