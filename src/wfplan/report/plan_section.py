"""The report's plan section: what each planned scenario's least-cost plan buys and costs.

A scenario written by ``wfplan plan`` carries its plan's own summary (its
``[plan]`` table, :class:`wfplan.model.plan_summary.PlanSummary`). For each such
scenario the section shows the cost per FTE gained by lever (chart and table),
the mix of levers by year (stacked bars and table), and the constraints that
bind with their shadow prices in words (:mod:`wfplan.report.plan_tables` words
them and gives the tidy tables of ``tables.xlsx``). Nothing is recomputed:
every figure is the summary's.
"""

from __future__ import annotations

import pandas as pd

from wfplan.model.plan_summary import PlanSummary
from wfplan.report import format as fmt
from wfplan.report.context import ReportData
from wfplan.report.plan_chart import cost_per_fte_chart, mix_chart
from wfplan.report.plan_tables import (
    check_words,
    constraint_name,
    frames_of,
    limit_text,
    plan_facts,
    plan_words,
    price_text,
    shown_constraint,
    used_text,
)
from wfplan.report.section_views import ScenarioPlan
from wfplan.report.views import Column, Numbering, code


def _one(data: ReportData, name: str, plan: PlanSummary, n: Numbering, source: str,
         period: str) -> ScenarioPlan:
    title, year = data.scenario_title(name), plan.reference_year
    frames = {key: pd.DataFrame(rows) for key, rows in frames_of(name, plan).items()}
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
        Column(constraint_name, "Constraint"), Column(limit_text, "Limit", fmt.text, numeric=True),
        Column(used_text, "Used", fmt.text, numeric=True),
        Column("binding", "Binds?", lambda v: "Yes" if bool(v) else "No"),
        Column(price_text, "Shadow price", fmt.text, numeric=True),
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


def plan_section(data: ReportData, n: Numbering, source: str,
                 period: str) -> list[ScenarioPlan]:
    """Return each planned scenario's plan, in the order the report lists scenarios."""
    return [_one(data, str(name), data.plans[name], n, source, period)
            for name in data.scenarios["scenario"] if name in data.plans]
