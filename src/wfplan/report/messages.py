"""The key messages, written from the report's own table rows.

Each sentence is written from the same rows, and formatted by the same
functions, as the report's tables, so a message never says more than a table
shows.

Each figure in a message is a table cell (or part of one): the England total and
its range come from the totals table, staff groups from the headline table, the
interventions' effect from the interventions table. The words follow the signs:
a negative gap is a surplus, and interventions that act on a surplus widen it
rather than "close the gap".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from wfplan.model.aggregate import ALL_STAFF_GROUPS, SECTOR_TOTAL_PREFIX, is_total
from wfplan.report import format as fmt
from wfplan.report.context import ReportData


def gap_state(p50: float, p5: float, p95: float) -> str:
    """Say in words what a gap and its range mean: a shortfall, a surplus, or either."""
    if p5 > 0:
        return "a shortfall across the whole P5 to P95 range"
    if p95 < 0:
        return "a surplus across the whole P5 to P95 range"
    if p50 > 0:
        return "a shortfall at the P50, though the range includes a surplus"
    if p50 < 0:
        return "a surplus at the P50, though the range includes a shortfall"
    return "no gap at the P50, with a range that includes a shortfall and a surplus"


def _pct(value: Any) -> str:
    return fmt.MISSING if fmt.is_missing(value) else fmt.number(value, 1) + "%"


def _sector(code: Any) -> str:
    """Return a sector total's sector name for mid-sentence (``primary care``, ``NHS trusts``)."""
    name = fmt.sector_name(str(code).removeprefix(SECTOR_TOTAL_PREFIX))
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def _kind(p50: float) -> str:
    return "a shortfall" if p50 > 0 else ("a surplus" if p50 < 0 else "no gap")


def total_messages(data: ReportData, horizon: int) -> list[str]:
    """Return messages on the England total and each sector's, from the totals table."""
    rows = data.totals[data.totals["horizon_years"] == horizon].dropna(subset=["gap_fte_p50"])
    total = rows[rows["staff_group"] == ALL_STAFF_GROUPS]
    if total.empty:
        return []
    row = total.iloc[0]
    year = int(row["year"])
    title = data.scenario_title(data.baseline_scenario)
    out = [f"Under the {title} scenario, the total gap across all staff groups in "
           f"{data.area_name} in {year} is {fmt.row_range(row, 'gap_fte')} FTE, "
           f"{_pct(row['gap_pct_p50'])} of funded demand: "
           f"{gap_state(row['gap_fte_p50'], row['gap_fte_p5'], row['gap_fte_p95'])}."]
    sectors = rows[rows["staff_group"] != ALL_STAFF_GROUPS]
    if len(sectors) > 1:
        parts = [f"{_sector(r['staff_group'])} {fmt.projection(r['gap_fte_p50'])} FTE "
                 f"({_kind(r['gap_fte_p50'])})" for _, r in sectors.iterrows()]
        out.append(f"By sector in {year} (P50): {'; '.join(parts)}.")
    return out


def staff_group_messages(data: ReportData, horizon: int) -> list[str]:
    """Return messages on the staff groups, from the headline table's rows."""
    last = data.headline[data.headline["horizon_years"] == horizon].dropna(
        subset=["gap_fte_p50"])
    if last.empty:
        return []
    year = int(last["year"].iloc[0])
    title = data.scenario_title(data.baseline_scenario)
    short = int((last["gap_fte_p50"] > 0).sum())
    out = [f"Funded demand exceeds supply in {short} of {len(last)} staff groups in {year} "
           f"under the {title} scenario (P50)."]
    ordered = last.sort_values("gap_fte_p50", kind="stable")
    top, bottom = ordered.iloc[-1], ordered.iloc[0]
    if top["gap_fte_p50"] > 0:
        out.append(f"The largest shortfall in {year} is for "
                   f"{fmt.staff_group_name(top['staff_group'])}: "
                   f"{fmt.row_range(top, 'gap_fte')} FTE, {_pct(top['gap_pct_p50'])} of "
                   "funded demand.")
    if bottom["gap_fte_p50"] < 0:
        out.append(f"The largest surplus in {year} is for "
                   f"{fmt.staff_group_name(bottom['staff_group'])}: "
                   f"{fmt.row_range(bottom, 'gap_fte')} FTE, {_pct(bottom['gap_pct_p50'])} of "
                   "funded demand.")
    return out


def _effect(without: float, with_: float, group: str, year: int) -> str:
    """Describe going from the gap without interventions to the gap with them."""
    before, after = fmt.projection(without), fmt.projection(with_)
    if without > 0 and with_ > 0:
        verb = "reduce" if with_ < without else "widen"
        return f"{verb} the {group} gap in {year} from {before} to {after} FTE"
    if without > 0:
        return f"turn a gap of {before} FTE for {group} in {year} into a surplus ({after} FTE)"
    if with_ > 0:
        return (f"turn a surplus for {group} in {year} ({before} FTE) into a gap of "
                f"{after} FTE")
    verb = "widen" if with_ < without else "narrow"
    return f"{verb} the {group} surplus in {year} from {before} to {after} FTE"


def intervention_message(row: pd.Series, title: str) -> str:
    """Say what a scenario's interventions do to one staff group's gap, from its table row.

    ``row`` is a row of :attr:`ReportData.interventions`: the gap without the
    interventions (``counterfactual_gap_fte``) and with them (``gap_fte``), P50.
    """
    year = int(row["year"])
    group = fmt.staff_group_name(row["staff_group"])
    without, with_ = float(row["counterfactual_gap_fte_p50"]), float(row["gap_fte_p50"])
    text = (f"In the {title} scenario, interventions {_effect(without, with_, group, year)} "
            "(P50, the same simulations without and with them)")
    if without > 0 and with_ < without and not fmt.is_missing(row["fte_gap_closed_p50"]):
        text += f", closing {fmt.projection(row['fte_gap_closed_p50'])} FTE of the gap"
        cost = f"at {fmt.gbp(row['cost_gbp'])}"
        if not fmt.is_missing(row["cost_per_fte_closed_p50"]):
            cost += f" ({fmt.gbp(row['cost_per_fte_closed_p50'])} per FTE closed)"
        return f"{text}, {cost}."
    return f"{text}, at {fmt.gbp(row['cost_gbp'])} to {year}."


def intervention_messages(data: ReportData) -> list[str]:
    """Return the message on the interventions that change a staff group's gap the most."""
    frame = data.interventions.dropna(subset=["fte_gap_closed_p50", "gap_fte_p50",
                                              "counterfactual_gap_fte_p50"])
    frame = frame[~frame["staff_group"].map(lambda g: is_total(str(g))).astype(bool)]
    if frame.empty:
        return []
    size = frame["fte_gap_closed_p50"].abs()
    best = frame.loc[size.sort_values(kind="stable").index[-1]]
    return [intervention_message(best, data.scenario_title(str(best["scenario"])))]


def key_messages(data: ReportData, horizons: Sequence[int]) -> list[str]:
    """Return the summary's key messages, in order, from the report's own tables."""
    out: list[str] = []
    if horizons:
        out += total_messages(data, horizons[-1])
        out += staff_group_messages(data, horizons[-1])
    out += intervention_messages(data)
    ranked = data.data_gaps["ranked"]
    if not ranked.empty:
        gap = str(ranked.iloc[0]["gap"])
        out.append(f"The most important gap in the data: {gap[:1].lower()}{gap[1:]}.")
    shares = data.ethnicity.dropna(subset=["ethnic_minority_share"])
    if not shares.empty and not fmt.is_missing(data.ethnic_minority_overall):
        below = int((shares["ethnic_minority_share"].astype(float)
                     < data.ethnic_minority_overall - 1e-9).sum())
        out.append(f"{below} of {len(shares)} pay bands are below the Model Employer goal of "
                   f"{fmt.percent(data.ethnic_minority_overall)} ethnic-minority staff.")
    return out
