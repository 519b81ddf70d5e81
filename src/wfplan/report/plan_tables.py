"""The plan's tidy tables and words, from a planned scenario's ``[plan]`` table.

A scenario written by ``wfplan plan`` carries its plan's own summary
(:class:`wfplan.model.plan_summary.PlanSummary`). :func:`plan_frames` gives its
figures as tidy tables (``tables.xlsx``, the dashboard), and the functions here
word it as the report and the dashboard show it. Nothing is recomputed: every
figure is the summary's. No plotting library is imported (the dashboard uses it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from wfplan.model.plan_summary import PlanSummary
from wfplan.report import format as fmt

#: Columns of the plan's tidy tables (``tables.xlsx``), each with a ``scenario`` column first.
LEVER_COLUMNS = ("scenario", "lever", "type", "staff_group", "cost_per_unit_gbp", "units",
                 "cost_gbp", "year", "fte_gained", "cost_per_fte_gained_gbp",
                 "cheapest_cost_per_fte_gbp", "cost_source")
MIX_COLUMNS = ("scenario", "lever", "year", "units", "cost_gbp")
CONSTRAINT_COLUMNS = ("scenario", "constraint", "year", "lever", "staff_group", "unit",
                      "limit", "used", "binding", "shadow_price", "shadow_unit",
                      "fte_equivalent", "text")
CHECK_COLUMNS = ("scenario", "year", "staff_group", "demand_p50", "predicted_gap",
                 "simulated_gap", "max_abs_difference")
NAMES = {"budget_per_year": "Budget a year", "budget_total": "Total budget",
         "training_max": "Training places a year", "training_growth": "Growth of training "
         "places", "international_max": "Ethical cap on international recruitment",
         "lever_max": "A lever's maximum", "closure": "Closing the gap"}


def _lever_rows(name: str, plan: PlanSummary) -> list[dict[str, Any]]:
    rows = []
    for lever in plan.levers:
        gain = next(g for g in lever.gains if g.year == plan.reference_year)
        rows.append({"scenario": name, "lever": lever.name, "type": lever.type,
                     "staff_group": lever.staff_group,
                     "cost_per_unit_gbp": lever.cost_per_unit_gbp,
                     "units": lever.total_units, "cost_gbp": lever.total_cost_gbp,
                     "year": gain.year, "fte_gained": gain.fte,
                     "cost_per_fte_gained_gbp": gain.cost_per_fte_gbp,
                     "cheapest_cost_per_fte_gbp": gain.cheapest_cost_per_fte_gbp,
                     "cost_source": lever.cost_source})
    return rows


def frames_of(name: str, plan: PlanSummary) -> dict[str, list[dict[str, Any]]]:
    """Return one planned scenario's rows of each tidy table (``name``: the scenario)."""
    mix = [{"scenario": name, "lever": lever.name, "year": year, "units": units,
            "cost_gbp": cost}
           for lever in plan.levers
           for year, units, cost in zip(lever.years, lever.units, lever.cost_gbp, strict=True)]
    constraints = [{"scenario": name, "constraint": c.name, "year": c.year, "lever": c.lever,
                    "staff_group": c.staff_group, "unit": c.unit, "limit": c.limit,
                    "used": c.used, "binding": c.binding, "shadow_price": c.shadow_price,
                    "shadow_unit": c.shadow_unit, "fte_equivalent": c.fte_equivalent,
                    "text": c.text} for c in plan.constraints]
    check = [{"scenario": name, **c.model_dump()} for c in plan.check]
    return {"plan_levers": _lever_rows(name, plan), "plan_mix": mix,
            "plan_constraints": constraints, "plan_check": check}


def plan_frames(plans: Mapping[str, PlanSummary]) -> dict[str, pd.DataFrame]:
    """Return the plans' tidy tables, every planned scenario's rows one after another.

    The tables are ``plan_levers``, ``plan_mix``, ``plan_constraints`` and ``plan_check``.
    """
    columns = {"plan_levers": LEVER_COLUMNS, "plan_mix": MIX_COLUMNS,
               "plan_constraints": CONSTRAINT_COLUMNS, "plan_check": CHECK_COLUMNS}
    rows: dict[str, list[dict[str, Any]]] = {key: [] for key in columns}
    for name, plan in plans.items():
        for key, part in frames_of(name, plan).items():
            rows[key] += part
    return {key: pd.DataFrame(rows[key], columns=list(cols)) for key, cols in columns.items()}


def shown_constraint(row: pd.Series) -> bool:
    """Say whether the report's table shows a constraint row: every budget, and what binds."""
    return str(row["constraint"]).startswith("budget") or bool(row["binding"])


def limit_text(row: pd.Series) -> str:
    """Return a constraint row's limit as shown (a budget in pounds)."""
    if fmt.is_missing(row["limit"]):
        return fmt.MISSING
    if row["unit"] == "GBP million":
        return fmt.gbp(float(row["limit"]) * 1e6)
    return f"{fmt.number(row['limit'])} {row['unit']}"


def used_text(row: pd.Series) -> str:
    """Return how much of a constraint row's limit the plan uses, as shown."""
    if fmt.is_missing(row["used"]):
        return fmt.MISSING
    if row["unit"] == "GBP million":
        return fmt.gbp(float(row["used"]) * 1e6)
    return fmt.number(row["used"])


def constraint_name(row: pd.Series) -> str:
    """Name a constraint row in words: its kind, then its year, lever or staff group."""
    parts = [NAMES.get(str(row["constraint"]), str(row["constraint"]))]
    for key in ("year", "lever", "staff_group"):
        value = row[key]
        if not fmt.is_missing(value):
            parts.append(cell_name(value) if key == "staff_group"
                         else fmt.text(value).replace(",", ""))
    return ", ".join(parts)


def cell_name(label: object) -> str:
    """Name a target cell: a staff group's name, or ``<name> in <area>`` (each area)."""
    group, where, area = str(label).partition(" in ")
    return fmt.staff_group_name(group) + (f" in {area}" if where else "")


def price_text(row: pd.Series) -> str:
    """Return a constraint row's shadow price as shown (``£1.05 million per £1m``)."""
    value = row["shadow_price"]
    if fmt.is_missing(value):
        return "not reported"
    unit = str(row["shadow_unit"])
    if unit.startswith("FTE"):  # objective cvar: FTE of expected shortfall cut
        return f"{fmt.number(value, 1)} FTE per {unit.rsplit(' per ', 1)[-1]}".removesuffix(
            " more")
    return fmt.gbp(value) + ("" if row["constraint"] == "closure" else
                             f" per {unit.rsplit(' per ', 1)[-1]}".removesuffix(" more"))


def plan_words(plan: PlanSummary) -> list[str]:
    """Return the shadow prices in words: the closure, what more of a limit buys, what binds."""
    said = [c.text for c in plan.constraints if c.name == "closure"]
    said += [c.text for c in plan.constraints
             if c.name != "closure" and (c.shadow_price or 0) > 0]
    said += [c.text for c in plan.constraints
             if c.name != "closure" and c.binding and c.shadow_price is None]
    return said


def plan_facts(plan: PlanSummary) -> str:
    """Return the plan in one sentence: what it closes, its cost, where it comes from."""
    groups = ", ".join(fmt.staff_group_name(g) for g in plan.target_staff_groups)
    years = ", ".join(str(y) for y in plan.target_years)
    chance = ("at P50" if plan.probability == 0.5 else
              f"with probability {fmt.number(100 * plan.probability, 0)}%")
    return (f"The least-cost plan closing the {plan.gap} gap of {groups} in {years} "
            f"{chance} costs {fmt.gbp(plan.cost_gbp)}; it closes the gap in "
            f"{plan.draws_closed} of the {plan.draws} draws it was solved over. It was "
            f"written by wfplan plan from {plan.source} (SHA-256 {plan.sha256[:12]}…).")


def check_words(plan: PlanSummary) -> list[str]:
    """Return the re-simulation's agreement with the optimiser, one sentence a target."""
    q = f"P{100 * plan.probability:g}"
    return [f"Re-simulated through the full model, the {q} gap in {c.year} "
            f"({cell_name(c.staff_group)}) is {fmt.projection(c.simulated_gap)} "
            f"FTE against the optimiser's {fmt.projection(c.predicted_gap)} FTE (largest "
            f"difference in a draw {fmt.number(c.max_abs_difference, 4)} FTE)."
            for c in plan.check]
