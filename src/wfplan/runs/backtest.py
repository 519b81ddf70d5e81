"""Back-test: project from an earlier census and compare with a later one.

:func:`backtest` builds the model's inputs from the data known at the
``from`` census only (staff in post, vacancies and flows up to it; education
intakes that had started by it, an academic year starting on 1 September; no
population projection, because demand does not
feed back into supply), projects supply with the principal run (no
uncertainty, no interventions, every parameter at its default), and compares
supply FTE (and headcount, where the vintage has headcount at both censuses)
with the actual figures at the ``to`` census, by area and staff group.

Timing: the model steps a year at a time, so the supply at ``to`` is
interpolated linearly (geometrically for a log-linear trend) between the two
annual steps around it (``t`` = whole
months between the censuses ÷ 12; September 2017 to June 2018 is 0.75).
Organisations are placed in areas by their record nearest the ``from`` census,
for both censuses, so the comparison is like for like.

Cells (area × staff group) with staff at one census only are reported
separately as ``appeared`` or ``disappeared`` and left out of the error
measures:

- error FTE = projected − actual;
- absolute percentage error (APE) = |error| ÷ actual × 100;
- MAPE = the mean APE of the compared cells (each cell counts once, so small
  cells weigh as much as large ones), overall and by staff group;
- WAPE = Σ|error| ÷ Σactual × 100 (FTE-weighted);
- the same measures for three naive forecasts made from the censuses up to
  ``from`` only (:mod:`~wfplan.runs.naive`): no change, a linear trend and the
  last interval's growth; ``best`` names the lowest WAPE of the model and them.

Staff groups with no flows follow their census trend (fitted to the censuses
up to ``from``; :mod:`~wfplan.inputs.trend`, :mod:`~wfplan.model.calibration`)
where there are two or more. :func:`rolling_backtest` runs every census to
every later one (rolling origin).

Two findings go into the metadata, and ``wfplan backtest`` prints them:

- ``no_flows_staff_groups``: staff groups with no flows up to the ``from``
  census; ``trend_staff_groups`` (and ``trend_censuses``) those of them that
  follow their census trend; ``held_steady_staff_groups`` the rest, whose
  projection *is* the no-change forecast; ``equals_no_change`` when that holds
  for every staff group.
- ``comparability``: whether the comparison is like for like. It is not when
  organisations have staff at one census only (openings, closures, mergers:
  their staff move between cells without any flow) or, at ICB and region level,
  when organisations are placed in an area at one census and not the other, or
  at neither (no reference record valid then, such as trusts that closed before
  the reference edition loaded: their staff count as ``UNMAPPED``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import model_inputs as queries
from wfplan.errors import InputError
from wfplan.inputs.build import build_inputs, resolve_period
from wfplan.inputs.flows import flow_period
from wfplan.inputs.source import Selection, years_between
from wfplan.model import ModelInputError, ModelInputs, ScenarioError, parse_scenario, run
from wfplan.model.assumptions import Assumption
from wfplan.runs.naive import naive_forecasts

CELL_COLUMNS = (
    "area", "staff_group", "status", "base_fte", "projected_fte", "actual_fte", "error_fte",
    "ape", "naive_ape", "linear_trend_fte", "linear_trend_ape", "last_interval_fte",
    "last_interval_ape", "base_hc", "projected_hc", "actual_hc", "error_hc",
)
SUMMARY_COLUMNS = (
    "staff_group", "cells", "base_fte", "projected_fte", "actual_fte", "error_fte",
    "mape", "wape", "naive_mape", "naive_wape", "linear_trend_mape", "linear_trend_wape",
    "last_interval_mape", "last_interval_wape", "best", "appeared", "appeared_fte",
    "disappeared", "disappeared_fte",
)
#: The forecasts the summary's ``best`` chooses from (by WAPE), with their WAPE column.
CONTENDERS = {"model": "wape", "no_change": "naive_wape", "linear_trend": "linear_trend_wape",
              "last_interval": "last_interval_wape"}


@dataclass(frozen=True)
class Backtest:
    """The outcome of :func:`backtest`.

    Attributes
    ----------
    cells
        One row per area × staff group (:data:`CELL_COLUMNS`).
    summary
        One row per staff group, then ``all`` (:data:`SUMMARY_COLUMNS`).
    metadata
        Vintage, censuses, years between them, level and the assumptions.
    """

    cells: pd.DataFrame
    summary: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)


def _projected(inputs: ModelInputs, years: float,
               form: str = "linear") -> tuple[np.ndarray, np.ndarray]:
    """Principal supply FTE and headcount ``[area, staff_group]`` ``years`` after the base."""
    horizon = max(1, math.ceil(years))
    scenario = parse_scenario({"name": "backtest", "horizon": horizon,
                               "level": inputs.level, "draws": 0, "seed": 0,
                               "parameters": {"supply_trend_form": form}})
    try:
        results = run(inputs, scenario, workers=1)
    except (ScenarioError, ModelInputError) as error:
        raise InputError(f"back-test projection: {error}") from None
    fte = results.values("supply_fte")[0]
    headcount = results.values("supply_hc")[0]
    geometric = form == "log_linear"
    return at_years(fte, years, geometric), at_years(headcount, years, geometric)


def at_years(values: np.ndarray, years: float, geometric: bool = False) -> np.ndarray:
    """``values[year, ...]`` at ``years`` after the base, between the annual steps around it.

    Linear by default (consistent with a straight-line trend); ``geometric``:
    ``v[s] x (v[s+1] / v[s])^frac`` (constant growth within the year, consistent with a
    log-linear trend), linear where a value is 0.
    """
    step = min(math.floor(years), values.shape[0] - 2)
    frac = years - step
    low, high = values[step], values[step + 1]
    if not geometric:
        return np.asarray(low + frac * (high - low))
    positive = (low > 0) & (high > 0)
    ratio = np.divide(high, low, out=np.ones(np.shape(low)), where=positive)
    return np.asarray(np.where(positive, low * ratio ** frac, low + frac * (high - low)))


def _actual(selection: Selection, when: date) -> pd.DataFrame:
    frame = queries.staff_in_post_totals(selection.store, selection.scope, when)
    frame = frame.astype({"actual_fte": "float64", "actual_hc": "float64"})
    return frame[(frame["actual_fte"].fillna(0) > 0) | (frame["actual_hc"].fillna(0) > 0)]


def _has_headcount(selection: Selection, when: date) -> bool:
    return queries.has_headcount(selection.store, selection.vintage, when)


def _cells(inputs: ModelInputs, years: float, actual: pd.DataFrame, headcount: bool,
           naive: dict[str, np.ndarray], form: str) -> pd.DataFrame:
    fte, hc = _projected(inputs, years, form)
    base_hc = inputs.array("stock_hc").sum(axis=2)
    base_fte = base_hc * inputs.array("fte_per_head")
    areas, groups = inputs.coords.area, inputs.coords.staff_group
    index = pd.MultiIndex.from_product([areas, groups], names=["area", "staff_group"])
    projected = pd.DataFrame({"base_fte": base_fte.ravel(), "projected_fte": fte.ravel(),
                              "base_hc": base_hc.ravel(), "projected_hc": hc.ravel(),
                              "linear_trend_fte": naive["linear_trend"].ravel(),
                              "last_interval_fte": naive["last_interval"].ravel()},
                             index=index).reset_index()
    projected = projected[projected["base_hc"] > 0]
    cells = projected.merge(actual, on=["area", "staff_group"], how="outer")
    cells["status"] = np.where(cells["base_hc"].isna(), "appeared", np.where(
        cells["actual_fte"].fillna(0) > 0, "compared", "disappeared"))
    cells["error_fte"] = cells["projected_fte"] - cells["actual_fte"]
    compared = cells["status"] == "compared"
    cells["ape"] = (cells["error_fte"].abs() / cells["actual_fte"] * 100).where(compared)
    cells["naive_ape"] = ((cells["base_fte"] - cells["actual_fte"]).abs()
                          / cells["actual_fte"] * 100).where(compared)
    for name in ("linear_trend", "last_interval"):
        cells[f"{name}_ape"] = ((cells[f"{name}_fte"] - cells["actual_fte"]).abs()
                                / cells["actual_fte"] * 100).where(compared)
    if not headcount:
        cells[["base_hc", "projected_hc", "actual_hc"]] = np.nan
    cells["error_hc"] = cells["projected_hc"] - cells["actual_hc"]
    order = {"compared": 0, "disappeared": 1, "appeared": 2}
    cells = cells.sort_values(["status", "area", "staff_group"],
                              key=lambda s: s.map(order) if s.name == "status" else s)
    return cells[list(CELL_COLUMNS)].reset_index(drop=True)


def _summary_row(group: str, cells: pd.DataFrame) -> dict[str, Any]:
    compared = cells[cells["status"] == "compared"]
    actual = compared["actual_fte"].sum()
    appeared = cells[cells["status"] == "appeared"]
    disappeared = cells[cells["status"] == "disappeared"]

    def pct(total: float) -> float:
        return float(total / actual * 100) if actual > 0 else math.nan

    def errors(name: str) -> dict[str, float]:
        forecast = compared[f"{name}_fte"]
        if forecast.isna().all():
            return {f"{name}_mape": math.nan, f"{name}_wape": math.nan}
        return {f"{name}_mape": compared[f"{name}_ape"].mean(),
                f"{name}_wape": pct((forecast - compared["actual_fte"]).abs().sum())}

    row: dict[str, Any] = {
        "staff_group": group, "cells": len(compared),
        "base_fte": compared["base_fte"].sum(), "projected_fte": compared["projected_fte"].sum(),
        "actual_fte": actual, "error_fte": compared["error_fte"].sum(),
        "mape": compared["ape"].mean(), "wape": pct(compared["error_fte"].abs().sum()),
        "naive_mape": compared["naive_ape"].mean(),
        "naive_wape": pct((compared["base_fte"] - compared["actual_fte"]).abs().sum()),
        **errors("linear_trend"), **errors("last_interval"),
        "appeared": len(appeared), "appeared_fte": appeared["actual_fte"].sum(),
        "disappeared": len(disappeared), "disappeared_fte": disappeared["base_fte"].sum(),
    }
    scores = {name: float(row[column]) for name, column in CONTENDERS.items()
              if not math.isnan(float(row[column]))}
    low = min(scores.values(), default=math.nan)
    row["best"] = " = ".join(name for name, score in scores.items()
                             if abs(score - low) <= 1e-9 * max(1.0, abs(low)))
    return row


def summarise(cells: pd.DataFrame) -> pd.DataFrame:
    """Return the error measures by staff group, then for ``all``."""
    rows = [_summary_row(str(group), part) for group, part in cells.groupby("staff_group")]
    rows.append(_summary_row("all", cells))
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


@dataclass(frozen=True)
class _Origin:
    """The inputs built from what was known at a back-test's origin."""

    inputs: ModelInputs
    selection: Selection
    trend_censuses: int | None
    trend_form: str = "linear"


def _origin(store: Store, vintage: str, start: date, level: str,
            staff_groups: Sequence[str] | None, sector: str | None,
            trend_censuses: int | None, trend_form: str = "linear") -> _Origin:
    inputs = build_inputs(store, vintage, start, level, staff_groups, sector, known_at=start,
                          demography=False, trend_censuses=trend_censuses)
    wanted = tuple(staff_groups) if staff_groups else None
    return _Origin(inputs, Selection(store, vintage, level, start, sector, wanted),
                   trend_censuses, trend_form)


def backtest(store: Store, vintage: str, from_period: date | str, to_period: date | str,
             level: str = "org", staff_groups: Sequence[str] | None = None,
             sector: str | None = None, trend_censuses: int | None = None,
             trend_form: str = "linear") -> Backtest:
    """Project from ``from_period`` with the data known then; compare with ``to_period``.

    See the module notes for what is compared and how. ``trend_censuses``: the
    last N censuses up to the origin that the census trend (and the naive
    linear trend) is fitted to (default all); ``trend_form``: ``linear`` or
    ``log_linear`` (the ``supply_trend_form`` parameter).
    """
    store.require_vintage(vintage)
    start = resolve_period(store, vintage, from_period)
    end = resolve_period(store, vintage, to_period)
    if end <= start:
        raise InputError(f"--to {end} must be after --from {start}")
    _check_years(start, end)
    return _compare(_origin(store, vintage, start, level, staff_groups, sector,
                            trend_censuses, trend_form), end)


def _check_years(start: date, end: date) -> float:
    years = years_between(start, end)
    if years > 25:
        raise InputError(f"{years:.1f} years between the censuses; the model projects 25 at most")
    return years


def rolling_backtest(store: Store, vintage: str, level: str = "org",
                     staff_groups: Sequence[str] | None = None, sector: str | None = None,
                     trend_censuses: int | None = None,
                     trend_form: str = "linear") -> list[Backtest]:
    """Back-test from every census to every later one (rolling origin), oldest origin first."""
    store.require_vintage(vintage)
    periods = queries.staff_in_post_periods(store, vintage)
    if len(periods) < 2:
        raise InputError(f"vintage {vintage!r} has fewer than two censuses: nothing to back-test")
    out = []
    for i, start in enumerate(periods[:-1]):
        later = [end for end in periods[i + 1:] if years_between(start, end) <= 25]
        if later:
            origin = _origin(store, vintage, start, level, staff_groups, sector, trend_censuses,
                             trend_form)
            out += [_compare(origin, end) for end in later]
    return out


def _compare(origin: _Origin, end: date) -> Backtest:
    inputs, selection = origin.inputs, origin.selection
    start, level = selection.period, selection.level
    years = _check_years(start, end)
    groups = tuple(inputs.coords.staff_group)
    headcount = _has_headcount(selection, start) and _has_headcount(selection, end)
    labels = {"area": inputs.coords.area, "staff_group": groups}
    naive = naive_forecasts(selection, labels, years, origin.trend_censuses)
    cells = _cells(inputs, years, _actual(selection, end), headcount, naive,
                   origin.trend_form)
    still = _without_flows(selection, groups)
    points = inputs.array("supply_trend_points")
    trend = [g for g, n in zip(groups, points, strict=True) if n >= 2]
    steady = [g for g in still if g not in trend]
    metadata = {"vintage": selection.vintage, "from": start.isoformat(), "to": end.isoformat(),
                "years": years, "level": level, "staff_groups": list(groups),
                "headcount_compared": headcount, "no_flows_staff_groups": still,
                "trend_staff_groups": trend,
                "trend_censuses": {g: int(n) for g, n in zip(groups, points, strict=True)
                                   if n >= 2},
                "held_steady_staff_groups": steady, "trend_form": origin.trend_form,
                "equals_no_change": bool(groups) and len(steady) == len(groups),
                "naive_trends_estimable": not bool(np.isnan(naive["linear_trend"]).all()),
                "comparability": comparability(selection, end),
                "assumptions": [Assumption.of(item).record() for item in inputs.assumptions]}
    return Backtest(cells, summarise(cells), metadata)


def _without_flows(selection: Selection, groups: tuple[str, ...]) -> list[str]:
    """Return the staff groups with no flows up to the base census (held steady)."""
    pair = flow_period(selection)
    if pair is None:
        return list(groups)
    found = queries.flow_headcount_by_area(selection.store, selection.scope, *pair)
    present = set(found["staff_group"])
    return [g for g in groups if g not in present]


def comparability(selection: Selection, end: date) -> dict[str, Any]:
    """Say whether the organisations behind the two censuses are the same, and placed alike.

    Returns
    -------
    dict
        ``like_for_like`` and ``warnings`` (sentences), with the counts behind
        them: organisations (and their FTE) with staff at one census only, and,
        at ICB and region level, placed in an area at one census only or at
        neither.
    """
    start = selection.period
    orgs = replace(selection, level="org")
    staff = queries.staff_at_two_censuses(orgs.store, orgs.scope, start, end)
    staff = staff.groupby("area")[["at_start", "at_end"]].sum(min_count=1).astype("float64")
    placed = _placed(selection, start, end).reindex(staff.index, fill_value=False)
    out: dict[str, Any] = {"warnings": []}
    before, after = staff["at_start"].fillna(0) > 0, staff["at_end"].fillna(0) > 0
    only = {"from": before & ~after, "to": after & ~before}
    for key, mask in only.items():
        out[f"organisations_{key}_only"] = int(mask.sum())
        out[f"fte_{key}_only"] = float(staff.loc[mask, f"at_{'start' if key == 'from' else 'end'}"]
                                       .sum())
    parts = [f"{out[f'organisations_{key}_only']} organisation(s) have staff on {day} only "
             f"({out[f'fte_{key}_only']:,.0f} FTE)"
             for key, day in (("from", start), ("to", end)) if only[key].any()]
    if parts:
        out["warnings"].append(
            " and ".join(parts) + ": openings, closures and mergers move staff between cells "
            "without flows" + (" (their cells are counted apart, as appeared or disappeared)"
                               if selection.level == "org" else ""))
    if selection.level in ("icb", "region"):
        out.update(_placement_warnings(staff, placed, start, end, out["warnings"]))
    out["like_for_like"] = not out["warnings"]
    return out


def _placed(selection: Selection, start: date, end: date) -> pd.DataFrame:
    """Whether each organisation has a reference record placing it in an area at each census."""
    frame = queries.organisations_placed(selection.store, selection.vintage, start, end)
    return frame.set_index("org_code")[["at_start", "at_end"]].astype(bool)


def _placement_warnings(staff: pd.DataFrame, placed: pd.DataFrame, start: date, end: date,
                        warnings: list[str]) -> dict[str, Any]:
    present = (staff["at_start"].fillna(0) > 0) | (staff["at_end"].fillna(0) > 0)
    one = present & (placed["at_start"] != placed["at_end"])
    neither = present & ~placed["at_start"] & ~placed["at_end"]
    if one.any():
        warnings.append(
            f"{int(one.sum())} organisation(s) with staff are placed in an area by a reference "
            f"record valid on one census and not the other ({start} or {end}): both censuses "
            f"place them as on {start}")
    if neither.any():
        warnings.append(
            f"{int(neither.sum())} organisation(s) with staff have no reference record valid "
            f"at either census (e.g. trusts closed before the reference edition loaded; "
            f"{staff.loc[neither, 'at_start'].sum():,.0f} FTE on {start}, "
            f"{staff.loc[neither, 'at_end'].sum():,.0f} on {end}): placed by their nearest "
            "record if any, else counted as UNMAPPED")
    return {"organisations_placed_at_one_census": int(one.sum()),
            "organisations_placed_at_neither": int(neither.sum())}
