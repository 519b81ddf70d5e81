"""Why a plan cannot be met, in words, from the slack the elastic version needed.

The elastic problem (:func:`wfplan.plan.solve.solve` with ``elastic=True``)
relaxes every limit with a penalised slack; the groups whose slack is needed
are the binding ones. Each is named with its years and how much more it would
need, and the levers' lead times are given beside it, since a lead time is
often why a budget in the early years cannot buy enough.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from wfplan.plan.problem import Problem
from wfplan.plan.solve import MILLION, Solution

#: Slack below this share of its constraint's size is solver noise.
TOLERANCE = 1e-7


def year_ranges(years: list[int]) -> str:
    """``2027, 2028, 2029, 2031`` as ``2027–2029, 2031``."""
    runs: list[list[int]] = []
    for year in sorted(years):
        if runs and year == runs[-1][-1] + 1:
            runs[-1].append(year)
        else:
            runs.append([year])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _needed(series: pd.Series, scale: float) -> pd.Series:
    return series[series > TOLERANCE * max(scale, 1.0)]


def _units(value: float) -> str:
    """Units a year, or a multiplicative lever's amount (a fraction), readably."""
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.3g}"


def _money(value: float) -> str:
    return f"£{value / MILLION:,.2f}m" if value >= 0.5 * MILLION else f"£{value:,.0f}"


def lead_times(problem: Problem) -> str:
    """Give the levers' lead times to the target years, in words."""
    parts = []
    for index, name in enumerate(problem.levers):
        lead = problem.lead_time(index)
        if lead is None:
            parts.append(f"{name} ({problem.lever_types[index]}) cannot reach the target "
                         f"years {year_ranges(list(problem.years))} from any year it may start")
        else:
            parts.append(f"{name} ({problem.lever_types[index]}) takes {lead} year(s) from "
                         "start to supply")
    return "; ".join(parts)


def _sentences(problem: Problem, slack: dict[str, pd.Series]) -> list[str]:
    found = []
    budget = problem.budget_per_year
    if "budget_per_year" in slack:
        need = _needed(slack["budget_per_year"], float(np.nanmax(budget[np.isfinite(budget)],
                                                                 initial=1.0)) / MILLION)
        if len(need):
            years = [int(y) for y in need.index]
            found.append(f"the budget per year in {year_ranges(years)} cannot buy enough: it "
                         f"would need {_money(float(need.sum()) * MILLION)} more in all")
    if "budget_total" in slack and len(_needed(slack["budget_total"], 1.0)):
        found.append(f"the total budget ({_money(problem.budget_total or 0.0)}) would need "
                     f"{_money(float(slack['budget_total'].sum()) * MILLION)} more")
    if "lever_max" in slack:
        need = _needed(slack["lever_max"], 1.0)
        for lever, rows in need.groupby(level="lever", sort=False):
            years = [int(y) for y in rows.index.get_level_values("start")]
            found.append(f"lever {lever}'s max_per_year binds in {year_ranges(years)} "
                         f"({_units(float(rows.sum()))} more units in all)")
    limits = {"training_max": "training places' maximum a year",
              "training_growth": "training places' maximum growth a year",
              "international_max": "the ethical cap on international recruitment"}
    for name, words in limits.items():
        if name in slack:
            need = _needed(slack[name], 1.0)
            if len(need):
                years = [int(y) for y in need.index]
                found.append(f"{words} binds in {year_ranges(years)} "
                             f"({float(need.sum()):,.0f} more in all)")
    if "closure" in slack:
        need = _needed(slack["closure"], float(np.abs(problem.base_gap).max()))
        if len(need):
            years = sorted({int(y) for y in need.index.get_level_values("year")})
            found.append(f"no lever can reach the gap in {year_ranges(years)} even without "
                         f"limits ({float(need.max()):,.0f} FTE short in the worst draw)")
    return found


def explain(problem: Problem, elastic: Solution) -> str:
    """Name the binding constraint groups of an infeasible plan, with the levers' lead times."""
    found = _sentences(problem, elastic.slack)
    if not found:
        found = ["the limits conflict with the levers' minimums (min_per_year)"]
    return ("the plan cannot close the gap: " + "; ".join(found) + ". Lead times: "
            + lead_times(problem) + ".")
