"""Run a scenario on model inputs: supply, demand, gap and costs in one pass.

``run(inputs, scenario)`` is the model's single entry point. It samples the
draws, turns interventions into arrays, projects headcount with the cohort
kernel, converts to FTE, projects funded demand and need, and repeats supply
and demand without interventions (on the same draws) for the counterfactual,
re-projecting only the cells an intervention changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import wfplan
from wfplan.model.demand import apply_skill_mix, demographic_ratio, funded_demand, variant_index
from wfplan.model.errors import ScenarioError
from wfplan.model.inputs import ModelInputs
from wfplan.model.interventions import ROUTES, InterventionEffects, intervention_effects
from wfplan.model.interventions_spec import intervention_key
from wfplan.model.kernel import project_headcount
from wfplan.model.parameters import specs_of_kind
from wfplan.model.results import Results
from wfplan.model.scenario import Scenario
from wfplan.model.supply import baseline_routes, fte_per_head, supply_drivers, total_routes
from wfplan.model.uncertainty import Draws, group_values, sample_draws


def _fit(inputs: ModelInputs, scenario: Scenario) -> ModelInputs:
    problems = []
    if inputs.level is not None and inputs.level != scenario.level:
        problems.append(f"level: scenario is {scenario.level!r} but inputs are {inputs.level!r}")
    vintage = scenario.base_vintage
    if vintage is not None and inputs.vintage is not None and vintage != inputs.vintage:
        problems.append(f"base_vintage: {vintage!r} but inputs come from {inputs.vintage!r}")
    groups = inputs.coords.staff_group
    unknown = sorted(group for group in scenario.referenced_staff_groups() if group not in groups)
    if scenario.staff_groups != "all":
        unknown += [group for group in scenario.staff_groups if group not in groups]
    if unknown:
        problems.append(f"staff groups {sorted(set(unknown))} are not in the inputs {groups}")
    if problems:
        raise ScenarioError(problems)
    if scenario.staff_groups == "all":
        return inputs
    return inputs.select_staff_groups(scenario.staff_groups)


def default_assumptions(scenario: Scenario, staff_groups: tuple[str, ...]) -> list[dict[str, Any]]:
    """Return a record for each scenario parameter left at its default (for some groups)."""
    records = []
    for spec in specs_of_kind("parameter"):
        if spec.name in scenario.parameters:
            continue
        unset = [
            group
            for group in staff_groups
            if spec.name not in scenario.staff_group_parameters.get(group, {})
        ]
        if not unset:
            continue
        scope = "" if len(unset) == len(staff_groups) else f" for staff groups {unset}"
        records.append(
            {
                "name": spec.name,
                "value": spec.default if spec.is_categorical else spec.default_value,
                "reason": f"parameter left at its default{scope} ({spec.source})",
            }
        )
    return records


def _leading(*arrays: np.ndarray | None) -> int:
    return max(array.shape[0] for array in arrays if array is not None)


def _grid(array: np.ndarray, areas: int, groups: int) -> np.ndarray:
    return array.reshape(array.shape[0], array.shape[1], areas, groups)


def _counterfactual_supply(
    inputs: ModelInputs,
    scenario: Scenario,
    draws: Draws,
    context: dict[str, Any],
    effects: InterventionEffects,
    workers: int | None,
) -> np.ndarray:
    """Supply FTE without interventions; only changed cells are re-projected."""
    supply_hc, supply_fte = context["supply_hc"], context["supply_fte"]
    cells = np.flatnonzero(
        effects.supply_cells if effects.supply_cells is not None else np.zeros(0, dtype=bool)
    )
    if len(cells) == 0 and effects.fte_factor is None:
        return supply_fte
    base_fte_per_head = fte_per_head(inputs, draws, scenario.horizon, None)
    counterfactual = supply_hc * base_fte_per_head
    if len(cells):
        baseline = context["baseline"]
        drivers = supply_drivers(inputs, draws, baseline, None, scenario.horizon, cells)
        rows = _leading(drivers.leaver_multiplier, *drivers.young_routes, *drivers.general_routes)
        projection = project_headcount(drivers, rows, workers)
        flat = counterfactual.reshape(*counterfactual.shape[:2], -1)
        per_head = base_fte_per_head.reshape(*base_fte_per_head.shape[:2], -1)[..., cells]
        flat[..., cells] = projection.supply * per_head
    return counterfactual


def _project_supply(
    inputs: ModelInputs,
    scenario: Scenario,
    draws: Draws,
    effects: InterventionEffects,
    assumptions: list[dict[str, Any]],
    workers: int | None,
) -> dict[str, Any]:
    areas, groups = len(inputs.coords.area), len(inputs.coords.staff_group)
    baseline = baseline_routes(inputs, draws, scenario.horizon, assumptions)
    routes = total_routes(baseline, effects)
    drivers = supply_drivers(inputs, draws, routes, effects.retention, scenario.horizon)
    rows = _leading(
        drivers.leaver_multiplier, drivers.retention, *drivers.young_routes, *drivers.general_routes
    )
    projection = project_headcount(drivers, rows, workers)
    supply_hc = _grid(projection.supply, areas, groups)
    per_head = fte_per_head(inputs, draws, scenario.horizon, effects.fte_factor)
    return {
        "baseline": baseline,
        "routes": routes,
        "supply_hc": supply_hc,
        "supply_fte": supply_hc * per_head,
        "leavers_hc": _grid(projection.leavers, areas, groups),
        "principal_by_age": np.moveaxis(
            projection.principal_by_age.reshape(scenario.horizon + 1, -1, areas, groups), 1, 3
        ),
    }


def _project_demand(
    inputs: ModelInputs, scenario: Scenario, draws: Draws, effects: InterventionEffects
) -> dict[str, np.ndarray]:
    demog = demographic_ratio(inputs, scenario.horizon)
    variants = variant_index(inputs, draws)
    base = funded_demand(inputs, draws, scenario.horizon, demog, variants, None)
    funded = base
    if effects.productivity is not None:
        funded = funded_demand(
            inputs, draws, scenario.horizon, demog, variants, effects.productivity
        )
    funded, skill_mix_cost = apply_skill_mix(funded, effects.skill_mix)
    unmet = group_values(draws, "unmet_need_fraction", inputs.coords.staff_group)
    need = funded if not unmet.any() else funded * (1.0 + unmet[:, np.newaxis, np.newaxis, :])
    shape = (1, scenario.horizon + 1, len(inputs.coords.area), len(inputs.coords.staff_group))
    cost = np.zeros(shape) if effects.cost is None else effects.cost
    if skill_mix_cost is not None:
        cost = cost + skill_mix_cost
    return {
        "demand_funded_fte": funded,
        "demand_need_fte": need,
        "counterfactual_demand_funded_fte": base,
        "intervention_cost_gbp": cost,
    }


def _metadata(
    inputs: ModelInputs, scenario: Scenario, draws: Draws, assumptions: list[dict[str, Any]]
) -> dict[str, Any]:
    interventions = [
        {
            "key": intervention_key(index, item),
            "type": item.type,
            "staff_group": item.staff_group,
            "area": item.area,
            "source": item.source,
            "owner": item.owner,
        }
        for index, item in enumerate(scenario.interventions)
    ]
    return {
        "scenario": scenario.model_dump(mode="json", by_alias=True, exclude_none=True),
        "seed": scenario.seed,
        "draws": scenario.draws,
        "base_year": inputs.base_year,
        "horizon": scenario.horizon,
        "level": scenario.level,
        "vintage": inputs.vintage,
        "uncertain_parameters": list(draws.uncertain),
        "interventions": interventions,
        "assumptions": assumptions,
        "wfplan_version": wfplan.__version__,
    }


def run(inputs: ModelInputs, scenario: Scenario, *, workers: int | None = None) -> Results:
    """Project supply, demand and the gap for every draw, year, area and staff group.

    Parameters
    ----------
    inputs
        Base-year arrays (see :class:`~wfplan.model.inputs.ModelInputs`).
    scenario
        Parameters, interventions, horizon, draws and seed.
    workers
        Threads for the supply kernel (default: the CPUs available). Results are
        identical for any number of workers.

    Returns
    -------
    Results
        Stored additive arrays by draw x year x area x staff group, the principal
        run's headcount by age, and metadata including every assumption.
    """
    inputs = _fit(inputs, scenario)
    draws = sample_draws(scenario)
    assumptions = [dict(item) for item in inputs.assumptions]
    assumptions += default_assumptions(scenario, inputs.coords.staff_group)
    effects = intervention_effects(inputs, scenario, draws)
    assumptions += effects.assumptions
    supply = _project_supply(inputs, scenario, draws, effects, assumptions, workers)
    counterfactual = _counterfactual_supply(inputs, scenario, draws, supply, effects, workers)
    demand = _project_demand(inputs, scenario, draws, effects)
    if effects.productivity is None and not effects.skill_mix:
        demand["counterfactual_demand_funded_fte"] = demand["demand_funded_fte"]
    arrays: dict[str, np.ndarray] = {
        "supply_hc": supply["supply_hc"],
        "supply_fte": supply["supply_fte"],
        "leavers_hc": supply["leavers_hc"],
        "counterfactual_supply_fte": counterfactual,
        **demand,
    }
    for route in ROUTES:
        flow = supply["routes"].get(route)
        if flow is None:
            flow = np.zeros((1, *arrays["supply_hc"].shape[1:]))
        flow[:, 0] = np.nan  # the kernels have run; year 0 has no flows
        arrays[f"joiners_{route}_hc"] = flow
    return Results(
        scenario=scenario.name,
        base_year=inputs.base_year,
        areas=inputs.coords.area,
        staff_groups=inputs.coords.staff_group,
        age_bands=inputs.coords.age_band,
        n_draws=scenario.draws,
        arrays=arrays,
        principal_by_age=supply["principal_by_age"],
        metadata=_metadata(inputs, scenario, draws, assumptions),
    )
