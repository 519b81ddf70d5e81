"""The gap without the plan's levers, and its response to one unit of each lever, per draw.

Both come from the model itself (:func:`wfplan.model.run`): the base scenario
is run once, then once more for each lever and start year with one unit of
that lever started in that year alone; the response is the difference in
supply FTE (a finite difference through the real projection). Count levers
enter the cohort kernel linearly (joiners are added to the stock, leaver rates
do not depend on the stock), so one unit's difference times ``x`` is the
effect of ``x`` units, and sums of levers add: the re-simulation of the
optimal plan checks this (:func:`wfplan.plan.run.resimulate`).

Multiplicative levers (retention, flexible working) are linearised around the
base scenario: the response is the forward difference of the full model with
a small step (:data:`STEP`) of the lever in one year alone, per draw. One
year's cut in leaver rates (or change in FTE per head) acts linearly on that
year's leavers (or FTE), so each year's response is exact on its own; what the
linearisation leaves out is the interaction between years and levers (a head
kept by a cut in 2028 is then subject to 2029's cut, or works 2030's extra
hours), of the order of the product of the amounts. The re-simulation measures
it. Their cost per unit of amount (GBP per head in post at the base year, times
the heads) is read from the model's own cost of the step. ``cpd`` is one of
them (a cut in leaver rates per GBP of CPD a head; its step is GBP 1 a head).

``retire_and_return`` is a count lever of returners a year: one returner's
difference times ``x``, to a second-order term (its returners' reduced hours
are applied to the group's FTE per head, heads already there included), which
the re-simulation measures too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wfplan.model import ModelInputs, Results, Scenario, parse_scenario, run
from wfplan.plan.sparse import SparseResponse
from wfplan.plan.spec import Lever, Plan, is_multiplicative, units_field

#: Units of a lever started in the finite difference (one unit: the response is per unit).
UNIT = 1.0
#: Above this size the response is kept per lever's own cells (:class:`SparseResponse`).
DENSE_MAX_BYTES = 256 * 2**20
#: Step of a multiplicative lever's amount in the finite difference (a 0.1% change).
STEP = 1e-3
#: Steps of levers whose amount is not a fraction (``cpd``: GBP 1 of CPD a head).
STEPS = {"cpd": 1.0}


def step_of(lever_type: str) -> float:
    """Return the amount of ``lever_type`` in its finite difference: a step, or one unit."""
    if not is_multiplicative(lever_type):
        return UNIT
    return STEPS.get(lever_type, STEP)


@dataclass(frozen=True)
class Baseline:
    """The base run's gap, supply and demand in the target cells, every draw."""

    gap: np.ndarray  # (draw, year, group), the draws the sample average uses
    supply: np.ndarray  # (draw, year, group)
    demand: np.ndarray  # (draw, year, group)
    draws: tuple[int, ...]


def area_cells(results: Results, plan: Plan, name: str) -> np.ndarray:
    """``(draw, year, area, group)`` of variable ``name`` in the target years and groups."""
    values = results.values(name)
    full = np.broadcast_to(values, (results.n_draws + 1, *values.shape[1:]))
    years = [results.years.index(year) for year in plan.target.years]
    groups = [results.staff_groups.index(group) for group in plan.target.staff_groups]
    draws = slice(1, None) if results.n_draws else slice(0, 1)
    return np.asarray(full[draws][:, years][:, :, :, groups], dtype=float)


def by_area(cells: np.ndarray) -> np.ndarray:
    """``(draw, year, area, group)`` as ``(draw, year, cell)``: each group's areas in turn."""
    draws, years, areas, groups = cells.shape
    return cells.transpose(0, 1, 3, 2).reshape(draws, years, groups * areas)


def cell_labels(plan: Plan, areas: tuple[str, ...]) -> tuple[str, ...]:
    """Labels of the target cells: the staff groups, or ``<group> in <area>`` (``each_area``)."""
    groups = plan.target.staff_groups
    if not plan.target.each_area:
        return tuple(groups)
    return tuple(f"{group} in {area}" for group in groups for area in areas)


def target_cells(results: Results, plan: Plan, name: str) -> np.ndarray:
    """``(draw, year, cell)`` of variable ``name`` in the target area(s).

    Summed over the areas, in the target area, or (``each_area``) in each area
    (:func:`cell_labels`).
    """
    if plan.target.each_area:
        return by_area(area_cells(results, plan, name))
    values = results.values(name)
    full = np.broadcast_to(values, (results.n_draws + 1, *values.shape[1:]))
    years = [results.years.index(year) for year in plan.target.years]
    groups = [results.staff_groups.index(group) for group in plan.target.staff_groups]
    if plan.target.area is None:
        cells = full.sum(axis=2)
    else:
        cells = full[:, :, results.areas.index(plan.target.area)]
    draws = slice(1, None) if results.n_draws else slice(0, 1)
    return np.asarray(cells[draws][:, years][:, :, groups], dtype=float)


def _area_to_target(change: np.ndarray, plan: Plan, areas: tuple[str, ...]) -> np.ndarray:
    """``(draw, year, area, group)`` change as the target's ``(draw, year, cell)``."""
    if plan.target.each_area:
        return by_area(change)
    if plan.target.area is None:
        return np.asarray(change.sum(axis=2))
    return np.asarray(change[:, :, areas.index(plan.target.area)])


def baseline(results: Results, plan: Plan) -> Baseline:
    """Return the gap (funded or need, as the plan says) without the plan's levers."""
    demand_name = "demand_funded_fte" if plan.target.gap == "funded" else "demand_need_fte"
    supply = target_cells(results, plan, "supply_fte")
    demand = target_cells(results, plan, demand_name)
    draws = tuple(range(1, results.n_draws + 1)) if results.n_draws else (0,)
    return Baseline(demand - supply, supply, demand, draws)


def intervention(lever: Lever, year: int, amount: float, source: str) -> dict[str, Any]:
    """Return the scenario record of ``amount`` units of ``lever`` started in ``year`` alone.

    A multiplicative lever's record acts in ``year`` alone, and its
    ``cost_per_unit`` (charged by the model per head in post) is the lever's
    cost per 1.0 of amount times ``amount``, so the model's cost is linear in it.
    A ``cpd`` lever's spend (``amount`` a head) is charged by the model itself, so
    its record's ``cost_per_unit`` is the rest: ``(cost_per_unit - 1) x amount``.
    A lever whose type writes its units to another field
    (:func:`~wfplan.plan.spec.units_field`: ``retire_and_return``'s returners) has
    ``amount`` 0.
    """
    unit_cost = lever.cost_per_unit
    if lever.type == "cpd":
        unit_cost = (lever.cost_per_unit - 1.0) * amount
    elif is_multiplicative(lever.type):
        unit_cost = lever.cost_per_unit * amount
    field = units_field(lever.type)
    record: dict[str, Any] = {
        "name": f"{lever.name}_{year}", "type": lever.type, "staff_group": lever.staff_group,
        "start_year": year, "end_year": year, "amount": amount if field == "amount" else 0.0,
        "ramp_years": 0, "cost_per_unit": unit_cost, "source": source, "owner": lever.owner,
        **lever.options,
    }
    if field != "amount":
        record[field] = amount
    if lever.area is not None:
        record["area"] = lever.area
    return record


def with_interventions(scenario: Scenario, records: list[dict[str, Any]]) -> Scenario:
    """Return the scenario with ``records`` appended to its interventions (validated)."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["interventions"] = [*data.get("interventions", []), *records]
    return parse_scenario(data)


def _cost_cells(results: Results) -> np.ndarray:
    """Intervention cost of the principal run by year, area and staff group (GBP)."""
    return np.asarray(results.values("intervention_cost_gbp")[0], dtype=float)


def responses(inputs: ModelInputs, scenario: Scenario, plan: Plan, base: Results,
              start_years: tuple[int, ...],
              families: tuple[int, ...] | None = None,
              ) -> tuple[np.ndarray | SparseResponse, np.ndarray]:
    """``(lever, start, draw, year, cell)`` FTE of supply per unit, and ``(lever,)`` GBP a unit.

    The response is dense, or (above :data:`DENSE_MAX_BYTES`) kept per lever's
    own cells: each start's change is compacted as soon as it is computed, so
    the dense array is never held.

    Start years a lever may not use are left at 0 (the solver bounds them to 0).
    A count lever's cost is its ``cost_per_unit``; a multiplicative lever's is
    the model's cost of its step, per 1.0 of amount. Levers of one family (the
    copies of an ``area = "each"`` lever, :func:`wfplan.plan.spec.expand_levers`)
    are run together, one unit in every area (or staff group) at once: areas
    and staff groups do not exchange staff in the model's supply, so each
    copy's response is the change in its own cells.
    """
    supply = target_cells(base, plan, "supply_fte")
    shape = (len(plan.levers), len(start_years), *supply.shape)
    out: list[dict[int, tuple[np.ndarray, np.ndarray]]] = [{} for _ in plan.levers]
    cost = np.array([lever.cost_per_unit for lever in plan.levers])
    base_cost = _cost_cells(base)
    family = families if families is not None else tuple(range(len(plan.levers)))
    done: set[int] = set()
    for index, lever in enumerate(plan.levers):
        members = [i for i, f in enumerate(family) if f == family[index]]
        if len(members) > 1:
            if family[index] not in done:
                _family_responses(inputs, scenario, plan, base, start_years, members,
                                  out, cost)
                done.add(family[index])
            continue
        first, last = lever_years(plan, lever, base.base_year)
        step = step_of(lever.type)
        for s, year in enumerate(start_years):
            if not first <= year <= last:
                continue
            record = intervention(lever, year, step, "wfplan plan: unit response")
            changed = run(inputs, with_interventions(scenario, [record]))
            out[index][s] = SparseResponse.compact(
                (target_cells(changed, plan, "supply_fte") - supply) / step)
            if is_multiplicative(lever.type):
                cost[index] = float((_cost_cells(changed) - base_cost).sum()) / step
    sparse = SparseResponse.from_blocks(out, shape)
    if 8 * int(np.prod(shape)) > DENSE_MAX_BYTES:
        return sparse, cost
    return sparse.dense(), cost


def _family_responses(inputs: ModelInputs, scenario: Scenario, plan: Plan, base: Results,
                      start_years: tuple[int, ...], members: list[int],
                      out: list[dict[int, tuple[np.ndarray, np.ndarray]]],
                      cost: np.ndarray) -> None:
    """Fill ``out`` and ``cost`` of the copies ``members`` of one lever, one run a year."""
    first, last = lever_years(plan, plan.levers[members[0]], base.base_year)
    step = step_of(plan.levers[members[0]].type)
    supply = area_cells(base, plan, "supply_fte")
    base_cost = _cost_cells(base)
    where = [_own_cells(plan, base, plan.levers[i]) for i in members]
    for s, year in enumerate(start_years):
        if not first <= year <= last:
            continue
        records = [intervention(plan.levers[i], year, step, "wfplan plan: unit response")
                   for i in members]
        changed = run(inputs, with_interventions(scenario, records))
        change = (area_cells(changed, plan, "supply_fte") - supply) / step
        spent = (_cost_cells(changed) - base_cost) / step  # (year, area, group)
        for i, (areas, group, model_group) in zip(members, where, strict=True):
            own = np.zeros_like(change)
            own[:, :, areas, group] = change[:, :, areas, group]
            out[i][s] = SparseResponse.compact(_area_to_target(own, plan, base.areas))
            if is_multiplicative(plan.levers[i].type):
                cost[i] = float(spent[:, areas, model_group].sum())


def _own_cells(plan: Plan, base: Results, lever: Lever) -> tuple[slice | int, int, int]:
    """Return a lever's areas, its target-group index and its model-group index."""
    areas: slice | int = slice(None) if lever.area is None else base.areas.index(lever.area)
    return (areas, plan.target.staff_groups.index(lever.staff_group),
            base.staff_groups.index(lever.staff_group))


def lever_years(plan: Plan, lever: Lever, base_year: int) -> tuple[int, int]:
    """First and last start year of ``lever`` (defaults: after the base year; the last target)."""
    first = lever.first_year if lever.first_year is not None else base_year + 1
    last = lever.last_year if lever.last_year is not None else max(plan.target.years)
    return first, last
