"""The report's plan section: what each planned scenario's least-cost plan buys and costs.

A scenario written by ``wfplan plan`` carries its plan's own summary (its
``[plan]`` table, :class:`wfplan.model.plan_summary.PlanSummary`). For each such
scenario the section shows the cost per FTE gained by lever (chart and table),
the mix of levers by year (stacked bars and table), and the constraints that
bind with their shadow prices in words. :func:`plan_frames` gives the same
figures as tidy tables for ``tables.xlsx``. Nothing is recomputed: every figure
is the summary's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from wfplan.model.plan_summary import PlanSummary
from wfplan.report import format as fmt
from wfplan.report.context import ReportData
from wfplan.report.plan_chart import cost_per_fte_chart, mix_chart
from wfplan.report.section_views import ScenarioPlan
from wfplan.report.views import Column, Numbering, code

#: Columns of the plan's tidy tables (``tables.xlsx``), each with a ``scenario`` column first.
LEVER_COLUMNS = ("scenario", "lever", "type", "staff_group", "cost_per_unit_gbp", "units",
                 "cost_gbp", "year", "fte_gained", "cost_per_fte_gained_gbp",
                 "cheapest_cost_per_fte_gbp", "cost_source")
MIX_COLUMNS = ("scenario", "lever", "year", "units", "cost_gbp")
CONSTRAINT_COLUMNS = ("scenario", "constraint", "year", "lever", "staff_group", "unit",
                      "limit", "used", "binding", "shadow_price_gbp", "shadow_unit",
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


def _frames_of(name: str, plan: PlanSummary) -> dict[str, list[dict[str, Any]]]:
    mix = [{"scenario": name, "lever": lever.name, "year": year, "units": units,
            "cost_gbp": cost}
           for lever in plan.levers
           for year, units, cost in zip(lever.years, lever.units, lever.cost_gbp, strict=True)]
    constraints = [{"scenario": name, "constraint": c.name, "year": c.year, "lever": c.lever,
                    "staff_group": c.staff_group, "unit": c.unit, "limit": c.limit,
                    "used": c.used, "binding": c.binding, "shadow_price_gbp": c.shadow_price,
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
        for key, part in _frames_of(name, plan).items():
            rows[key] += part
    return {key: pd.DataFrame(rows[key], columns=list(cols)) for key, cols in columns.items()}


def shown_constraint(row: pd.Series) -> bool:
    """Say whether the report's table shows a constraint row: every budget, and what binds."""
    return str(row["constraint"]).startswith("budget") or bool(row["binding"])


def _limit(row: pd.Series) -> str:
    if fmt.is_missing(row["limit"]):
        return fmt.MISSING
    if row["unit"] == "GBP million":
        return fmt.gbp(float(row["limit"]) * 1e6)
    return f"{fmt.number(row['limit'])} {row['unit']}"


def _used(row: pd.Series) -> str:
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
            parts.append(fmt.staff_group_name(value) if key == "staff_group"
                         else fmt.text(value).replace(",", ""))
    return ", ".join(parts)


def _price(row: pd.Series) -> str:
    value = row["shadow_price_gbp"]
    if fmt.is_missing(value):
        return "not reported"
    return fmt.gbp(value) + ("" if row["constraint"] == "closure" else
                             f" per {str(row['shadow_unit']).rsplit(' per ', 1)[-1]}"
                             .removesuffix(" more"))


def plan_words(plan: PlanSummary) -> list[str]:
    """Return the shadow prices in words: the closure, what more of a limit buys, what binds."""
    said = [c.text for c in plan.constraints if c.name == "closure"]
    said += [c.text for c in plan.constraints
             if c.name != "closure" and (c.shadow_price or 0) > 0]
    said += [c.text for c in plan.constraints
             if c.name != "closure" and c.binding and c.shadow_price is None]
    return said


def _one(data: ReportData, name: str, plan: PlanSummary, n: Numbering, source: str,
         period: str) -> ScenarioPlan:
    title, year = data.scenario_title(name), plan.reference_year
    frames = {key: pd.DataFrame(rows) for key, rows in _frames_of(name, plan).items()}
    levers, mix = frames["plan_levers"], frames["plan_mix"]
    cost_figure = n.figure(cost_per_fte_chart(levers, f"chart-plan-cost-{name}",
                                              f"{title}: cost per FTE gained in {year} by "
                                              "lever", year), source, period)
    lever_table = n.table(levers, [
        Column("lever", "Lever", lambda v: code(v), html=True),
        Column("type", "Type", fmt.words),
        Column("units", "Units over the plan", fmt.number, numeric=True),
        Column("cost_gbp", "Cost over the plan", fmt.gbp, numeric=True),
        Column("fte_gained", f"FTE gained in {year}", fmt.projection, numeric=True),
        Column("cost_per_fte_gained_gbp", "Cost per FTE gained", fmt.gbp, numeric=True),
        Column("cheapest_cost_per_fte_gbp", "Cheapest FTE from one more unit", fmt.gbp,
               numeric=True),
    ], f"table-plan-levers-{name}", f"{title}: what each lever of the plan costs and gains "
       f"by {year}", source, period, notes=[
        "FTE gained: the mean over the plan's draws of the supply its units add in that "
        "year, from the model's own response to each unit. Cheapest FTE: one more unit at "
        "its best start year, the lever's unit cost over that unit's FTE."], small=True)
    mix_figure = n.figure(mix_chart(mix, f"chart-plan-mix-{name}",
                                    f"{title}: the plan's cost by start year and lever"),
                          source, period)
    wide = mix.pivot_table(index="year", columns="lever", values="units", aggfunc="sum",
                           sort=False).reindex(columns=list(dict.fromkeys(mix["lever"])))
    wide = wide.sort_index().fillna(0.0).reset_index()
    wide["cost_gbp"] = mix.groupby("year")["cost_gbp"].sum().reindex(wide["year"]).to_numpy()
    mix_columns = [Column("year", "Start year", lambda v: fmt.text(v).replace(",", ""))]
    mix_columns += [Column(lever, f"{lever} (units)", fmt.number, numeric=True)
                    for lever in wide.columns if lever not in ("year", "cost_gbp")]
    mix_columns.append(Column("cost_gbp", "Cost of the year's units", fmt.gbp, numeric=True))
    mix_table = n.table(wide, mix_columns, f"table-plan-mix-{name}",
                        f"{title}: units started a year by lever, and their cost", source,
                        period, small=True)
    shown = frames["plan_constraints"]
    shown = shown[shown.apply(shown_constraint, axis=1)] if len(shown) else shown
    limits = n.table(shown, [
        Column(constraint_name, "Constraint"), Column(_limit, "Limit", fmt.text, numeric=True),
        Column(_used, "Used", fmt.text, numeric=True),
        Column("binding", "Binds?", lambda v: "Yes" if bool(v) else "No"),
        Column(_price, "Shadow price", fmt.text, numeric=True),
        Column("fte_equivalent", f"FTE more in {year} at the same cost",
               lambda v: fmt.MISSING if fmt.is_missing(v) else fmt.number(v, 1),
               numeric=True),
    ], f"table-plan-constraints-{name}", f"{title}: the budgets and every limit that binds, "
       "with their shadow prices", source, period, notes=[
        f"Shadow prices are {plan.shadow_basis}. A budget's price is the plan cost saved "
        "by one more £1m of it; at the same total cost, that saving closes the FTE shown "
        f"(the saving over the cost of one more FTE closed in {year}). Every limit, binding "
        "or not, is in tables.xlsx."], small=True)
    return ScenarioPlan(scenario=name, title=title, facts=plan_facts(plan), words=plan_words(plan),
                        check=check_words(plan), cost_figure=cost_figure,
                        lever_table=lever_table, mix_figure=mix_figure, mix_table=mix_table,
                        constraints=limits)


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
            f"({fmt.staff_group_name(c.staff_group)}) is {fmt.projection(c.simulated_gap)} "
            f"FTE against the optimiser's {fmt.projection(c.predicted_gap)} FTE (largest "
            f"difference in a draw {fmt.number(c.max_abs_difference, 4)} FTE)."
            for c in plan.check]


def plan_section(data: ReportData, n: Numbering, source: str,
                 period: str) -> list[ScenarioPlan]:
    """Return each planned scenario's plan, in the order the report lists scenarios."""
    return [_one(data, str(name), data.plans[name], n, source, period)
            for name in data.scenarios["scenario"] if name in data.plans]
