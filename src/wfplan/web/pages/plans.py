"""A bundle page's plans: what each planned scenario's least-cost plan buys and costs.

A scenario written by ``wfplan plan`` carries its plan's own summary (its
``[plan]`` table). The bundle's page reads each scenario file the manifest
lists (``scenarios/*.toml``, through the API) and, for each that carries a
plan, shows what the report's plan section shows (:mod:`wfplan.report.plan_tables`):
the cost per FTE gained by lever (chart and table ``assessment-{bundle}-plan-{n}-levers``),
the mix by year (stacked bars and ``-mix``), and the budgets and binding limits
with their shadow prices in words (``-constraints``), ``n`` counting the scenarios
from 1 in the manifest's order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pandas as pd

from wfplan.model import ScenarioError, load_scenario_text
from wfplan.model.plan_summary import PlanSummary
from wfplan.report import format as fmt
from wfplan.report.plan_tables import (
    check_words,
    constraint_name,
    plan_facts,
    plan_frames,
    plan_words,
    shown_constraint,
)
from wfplan.web.charts import Chart
from wfplan.web.charts_plan import cost_per_fte, plan_mix
from wfplan.web.pages.tables import Cell, Table

#: What fetches one file of the bundle (the API's answer, 200 only).
Fetch = Callable[[str], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class PlanView:
    """One planned scenario on a bundle's page: its words, charts and table ids."""

    scenario: str
    title: str
    facts: str
    words: list[str]
    check: list[str]
    charts: list[Chart]
    tables: list[str]


async def bundle_plans(fetch: Fetch, scenarios: Sequence[Mapping[str, Any]],
                       files: Mapping[str, int]) -> list[tuple[int, str, str, PlanSummary]]:
    """Return ``(n, name, title, plan)`` of each scenario file of the bundle with a plan."""
    out = []
    for n, item in enumerate(scenarios, start=1):
        name = str(item.get("file") or "")
        if name not in files:
            continue
        try:
            scenario = load_scenario_text((await fetch(name)).content.decode("utf-8"))
        except (UnicodeDecodeError, ScenarioError):
            continue  # wfplan verify names a bad scenario file; the page shows what it can
        if scenario.plan is not None:
            out.append((n, scenario.name, scenario.title or scenario.name, scenario.plan))
    return out


def _levers_table(table_id: str, title: str, rows: pd.DataFrame, year: int) -> Table:
    table = Table(table_id, f"{title}: what each lever of the plan costs and gains by {year}",
                  ["Lever", "Type", "Units over the plan", "Cost over the plan (GBP)",
                   f"FTE gained in {year}", "Cost per FTE gained (GBP)",
                   "Cheapest FTE from one more unit (GBP)"])
    for r in rows.itertuples(index=False):
        table.rows.append([Cell(r.lever), Cell(fmt.words(r.type)), Cell(r.units, "count"),
                           Cell(r.cost_gbp, "count"), Cell(r.fte_gained, "fte"),
                           Cell(r.cost_per_fte_gained_gbp, "count"),
                           Cell(r.cheapest_cost_per_fte_gbp, "count")])
    table.notes.append("FTE gained: the mean over the plan's draws of the supply its units add "
                       "in that year. Cheapest FTE: one more unit at its best start year.")
    return table


def _mix_table(table_id: str, title: str, mix: pd.DataFrame) -> Table:
    levers = list(dict.fromkeys(str(v) for v in mix["lever"]))
    table = Table(table_id, f"{title}: units started a year by lever, and their cost",
                  ["Start year", *(f"{lever} (units)" for lever in levers),
                   "Cost of the year's units (GBP)"])
    for year, part in mix.groupby("year", sort=True):
        units = part.groupby("lever")["units"].sum()
        table.rows.append([Cell(str(year)),
                           *(Cell(float(units.get(lever, 0.0)), "count") for lever in levers),
                           Cell(float(part["cost_gbp"].sum()), "count")])
    return table


def _constraints_table(table_id: str, title: str, rows: pd.DataFrame, year: int,
                       basis: str) -> Table:
    table = Table(table_id, f"{title}: the budgets and every limit that binds, with their "
                  "shadow prices", ["Constraint", "Limit", "Used", "Unit", "Binds?",
                                    "Shadow price", "Shadow price unit",
                                    f"FTE more in {year} at the same cost"])
    shown = rows[rows.apply(shown_constraint, axis=1)] if len(rows) else rows
    for _, r in shown.iterrows():
        unit = None if fmt.is_missing(r["shadow_unit"]) else str(r["shadow_unit"])
        table.rows.append([Cell(constraint_name(r)), Cell(_number(r["limit"]), "count"),
                           Cell(_number(r["used"]), "count"), Cell(r["unit"]),
                           Cell("Yes" if bool(r["binding"]) else "No"),
                           Cell(_number(r["shadow_price"]), "count"),
                           Cell(unit),
                           Cell(_number(r["fte_equivalent"]), "fte")])
    table.notes.append(f"A budget is in GBP million. Shadow prices are {basis}; every limit "
                       "is in the bundle's tables.xlsx.")
    return table


def _number(value: Any) -> float | None:
    return None if value is None or fmt.is_missing(value) else float(value)


def plan_views(bundle: str, plans: Sequence[tuple[int, str, str, PlanSummary]],
               source: str) -> tuple[list[PlanView], dict[str, Table]]:
    """Return each plan's view and the page's plan tables by id."""
    views, tables = [], {}
    for n, name, title, plan in plans:
        frames = plan_frames({name: plan})
        year, stem = plan.reference_year, f"assessment-{bundle}-plan-{n}"
        period = f"the plan's start years; FTE in {year}"
        charts = [
            cost_per_fte(frames["plan_levers"], id=f"plan-{n}-cost",
                         title=f"{title}: cost per FTE gained in {year} by lever",
                         source=source, period=period),
            plan_mix(frames["plan_mix"], id=f"plan-{n}-mix",
                     title=f"{title}: the plan's cost by start year and lever",
                     source=source, period=period)]
        made = [_levers_table(f"{stem}-levers", title, frames["plan_levers"], year),
                _mix_table(f"{stem}-mix", title, frames["plan_mix"]),
                _constraints_table(f"{stem}-constraints", title, frames["plan_constraints"],
                                   year, plan.shadow_basis)]
        tables.update({t.table_id: t for t in made})
        views.append(PlanView(name, title, plan_facts(plan), plan_words(plan),
                              check_words(plan), charts, [t.table_id for t in made]))
    return views, tables
