"""Run a scenario on model inputs: supply, demand, gap and costs in one pass.

``run(inputs, scenario)`` is the model's single entry point. It samples the
draws, turns interventions into arrays, projects headcount with the cohort
kernel, converts to FTE, projects funded demand and need, and repeats supply
and demand without interventions (on the same draws) for the counterfactual,
re-projecting only the cells an intervention changes.
"""

from __future__ import annotations

import numpy as np

import wfplan
from wfplan.model.assumptions import Assumption
from wfplan.model.demand import (
    apply_skill_mix,
    demographic_ratio,
    funded_by_variant,
    funded_demand,
    funded_terms,
    variant_index,
)
from wfplan.model.errors import ScenarioError
from wfplan.model.inputs import ModelInputs
from wfplan.model.interventions import ROUTES, InterventionEffects, intervention_effects
from wfplan.model.interventions_spec import intervention_key
from wfplan.model.kernel import SupplyDrivers, Term, project_headcount
from wfplan.model.parameters import specs_of_kind
from wfplan.model.results import Lazy, Results, Stored
from wfplan.model.run_metadata import InterventionSummary, RunMetadata
from wfplan.model.scenario import Scenario
from wfplan.model.skills import share_across
from wfplan.model.supply import (
    add_intervention_joiners,
    baseline_routes,
    fte_per_head,
    route_flow,
    supply_drivers,
)
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
    if scenario.staff_groups != "all" and scenario.roles is None:
        unknown += [group for group in scenario.staff_groups if group not in groups]
    if unknown:
        problems.append(f"staff groups {sorted(set(unknown))} are not in the inputs {groups}")
    if problems:
        raise ScenarioError(problems)
    if scenario.staff_groups == "all" or scenario.roles is not None:
        # by role, the inputs layer selected the staff groups before splitting them
        return inputs
    return inputs.select_staff_groups(scenario.staff_groups)


def default_assumptions(scenario: Scenario, staff_groups: tuple[str, ...]) -> list[Assumption]:
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
        scope = "" if len(unset) == len(staff_groups) else f" for staff groups {', '.join(unset)}"
        records.append(
            Assumption(
                name=spec.name,
                value=spec.default.value if spec.is_categorical else spec.default_value,
                reason=f"parameter left at its default{scope} ({spec.source})",
            )
        )
    return records


def _leading(*arrays: np.ndarray | None) -> int:
    return max(array.shape[0] for array in arrays if array is not None)


def _grid(array: np.ndarray, areas: int, groups: int) -> np.ndarray:
    """Kernel ``(D, T+1, C)`` (cells staff-group major) as a ``(D, T+1, A, G)`` view."""
    return np.swapaxes(array.reshape(array.shape[0], array.shape[1], groups, areas), 2, 3)


def _counterfactual_fte(
    supply_hc: np.ndarray,
    per_head: np.ndarray,
    groups: np.ndarray,
    counterfactual_hc: np.ndarray | None,
) -> np.ndarray:
    """Supply FTE without interventions: re-projected headcount in ``groups``, else supply_hc."""
    fte = supply_hc * per_head
    if counterfactual_hc is not None:
        fte[..., groups] = counterfactual_hc * per_head[..., groups]
    return fte


def _project_supply(
    inputs: ModelInputs,
    scenario: Scenario,
    draws: Draws,
    effects: InterventionEffects,
    assumptions: list[Assumption],
    workers: int | None,
) -> dict[str, Stored]:
    """Headcount, FTE, leavers and joiners, with and without interventions.

    FTE and joiner flows are stored lazily: they are products of the stored
    headcount and compact factors, computed when asked for.
    """
    areas = len(inputs.coords.area)
    horizon = scenario.horizon
    routes = baseline_routes(inputs, draws, horizon, assumptions)
    assert effects.supply_cells is not None
    changed = np.flatnonzero(effects.supply_cells.any(axis=0))
    counterfactual_hc = None
    if len(changed):
        # the counterfactual re-projects only the staff groups interventions change
        drivers = supply_drivers(inputs, draws, routes, None, horizon, changed)
        projection = project_headcount(drivers, _draw_rows(drivers), workers, with_leavers=False)
        counterfactual_hc = _grid(projection.supply, areas, len(changed))
    routes = add_intervention_joiners(routes, effects)
    drivers = supply_drivers(inputs, draws, routes, effects.retention, horizon,
                             age_retention=effects.age_retention,
                             older_bands=effects.older_bands)
    projection = project_headcount(drivers, _draw_rows(drivers), workers)
    supply_hc = _grid(projection.supply, areas, drivers.groups)
    leavers = projection.leavers
    assert leavers is not None
    per_head = fte_per_head(inputs, draws, horizon, effects.fte_factor)
    base_per_head = fte_per_head(inputs, draws, horizon, None)
    stored: dict[str, Stored] = {
        "supply_hc": supply_hc,
        "leavers_hc": _grid(leavers, areas, drivers.groups),
        "supply_fte": Lazy(np.multiply, (supply_hc, per_head)),
        "counterfactual_supply_fte": Lazy(
            _counterfactual_fte, (supply_hc, base_per_head, changed, counterfactual_hc)
        ),
    }
    for route in ROUTES:
        flow = routes.get(route, (Term((np.zeros((1, 1, areas, drivers.groups)),)),))
        stored[f"joiners_{route}_hc"] = Lazy(route_flow, (flow, horizon))
    by_age = projection.principal_by_age.reshape(horizon + 1, -1, drivers.groups, areas)
    stored["principal_by_age"] = np.transpose(by_age, (0, 3, 2, 1))
    return stored


def _draw_rows(drivers: SupplyDrivers) -> int:
    """Draws the kernel must project: 1 unless some supply driver varies by draw."""
    factors = [drivers.leaver_multiplier, drivers.retention]
    for route in (*drivers.young_routes, *drivers.general_routes, *drivers.older_routes):
        factors += [factor for term in route for factor in term.factors]
    return max(factor.shape[0] for factor in factors if factor is not None)


def _with_groups(array: np.ndarray, groups: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Return a copy of ``array`` with the staff groups ``groups`` set to ``values``."""
    out = array.copy()
    out[..., groups] = values
    return out


def _demand_groups(effects: InterventionEffects) -> tuple[np.ndarray, np.ndarray]:
    """Staff groups whose demand productivity interventions change, and those skill mix changes."""
    productivity = np.zeros(0, dtype=int)
    if effects.productivity is not None:
        productivity = np.flatnonzero((effects.productivity != 0).any(axis=(0, 1, 2)))
    moved = [group for move in effects.skill_mix for group in (move.from_group, move.to_group)]
    return productivity, np.union1d(productivity, np.array(moved, dtype=int))


def _project_demand(
    inputs: ModelInputs, scenario: Scenario, draws: Draws, effects: InterventionEffects
) -> dict[str, Stored]:
    """Funded demand, need, counterfactual demand and intervention costs.

    The counterfactual differs from funded demand only in the staff groups that
    productivity and skill-mix interventions touch; only those are kept apart.
    """
    horizon = scenario.horizon
    grown = inputs.establishment_fte() * demographic_ratio(inputs, horizon)
    variants = variant_index(inputs, draws)
    productivity_groups, touched = _demand_groups(effects)
    skill_mix_cost = None
    funded: Stored
    if not len(touched):
        # nothing moves demand between groups: computed a block at a time when asked for
        funded = Lazy(funded_by_variant, (
            tuple(grown[v : v + 1] for v in range(len(grown))), variants.reshape(-1, 1, 1, 1),
            *funded_terms(inputs, draws, horizon, None)))
    else:
        funded = funded_demand(inputs, draws, horizon, grown, variants, None)
    counterfactual: Stored = funded
    if len(touched):
        assert isinstance(funded, np.ndarray)
        untouched_values = funded[..., touched]
        if effects.productivity is not None and len(productivity_groups):
            changed = funded_demand(
                inputs, draws, horizon, grown, variants, effects.productivity, productivity_groups
            )
            if changed.shape[0] > funded.shape[0]:
                funded = np.array(np.broadcast_to(funded, (changed.shape[0], *funded.shape[1:])))
            funded[..., productivity_groups] = changed
        funded, skill_mix_cost = apply_skill_mix(funded, effects.skill_mix, in_place=True)
        counterfactual = Lazy(_with_groups, (funded, touched, untouched_values))
    unmet = group_values(draws, "unmet_need_fraction", inputs.coords.staff_group)
    need: Stored = funded
    if unmet.any():
        need = Lazy(np.multiply, (funded, 1.0 + unmet[:, np.newaxis, np.newaxis, :]))
    shape = (1, horizon + 1, len(inputs.coords.area), len(inputs.coords.staff_group))
    cost = np.zeros(shape) if effects.cost is None else effects.cost
    if skill_mix_cost is not None:
        cost = cost + skill_mix_cost
    return {
        "demand_funded_fte": funded,
        "demand_need_fte": need,
        "counterfactual_demand_funded_fte": counterfactual,
        "intervention_cost_gbp": cost,
    }


def _evaluated(value: Stored) -> np.ndarray:
    return value() if callable(value) else value


def _share_supply(stored: dict[str, Stored], effects: InterventionEffects) -> None:
    """Share supply FTE across pools of areas (``mobility``), and charge its cost."""
    supply, demand = (_evaluated(stored[name]) for name in ("supply_fte", "demand_funded_fte"))
    rows = max(supply.shape[0], demand.shape[0],
               *(move.share.shape[0] for move in effects.mobility))

    def full(array: np.ndarray) -> np.ndarray:
        return np.array(np.broadcast_to(array, (rows, *array.shape[1:])))

    shared, cost = share_across(full(supply), full(demand), effects.mobility)
    stored["supply_fte"] = shared
    spent = stored["intervention_cost_gbp"]
    assert isinstance(spent, np.ndarray)
    stored["intervention_cost_gbp"] = spent + cost


def _metadata(
    inputs: ModelInputs, scenario: Scenario, draws: Draws, assumptions: list[Assumption]
) -> RunMetadata:
    interventions = [
        InterventionSummary(key=intervention_key(index, item), type=item.type,
                            staff_group=item.staff_group, area=item.area, source=item.source,
                            owner=item.owner)
        for index, item in enumerate(scenario.interventions)
    ]
    return RunMetadata(
        scenario=scenario.model_dump(mode="json", by_alias=True, exclude_none=True),
        seed=scenario.seed,
        draws=scenario.draws,
        base_year=inputs.base_year,
        horizon=scenario.horizon,
        level=scenario.level,
        vintage=inputs.vintage,
        uncertain_parameters=list(draws.uncertain),
        interventions=interventions,
        assumptions=assumptions,
        wfplan_version=wfplan.__version__,
    )


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
    assumptions = [Assumption.of(item) for item in inputs.assumptions]
    assumptions += default_assumptions(scenario, inputs.coords.staff_group)
    effects = intervention_effects(inputs, scenario, draws)
    assumptions += effects.assumptions
    stored = _project_supply(inputs, scenario, draws, effects, assumptions, workers)
    by_age = stored.pop("principal_by_age")
    assert isinstance(by_age, np.ndarray)
    stored.update(_project_demand(inputs, scenario, draws, effects))
    if effects.mobility:
        _share_supply(stored, effects)
    return Results(
        scenario=scenario.name,
        base_year=inputs.base_year,
        areas=inputs.coords.area,
        staff_groups=inputs.coords.staff_group,
        age_bands=inputs.coords.age_band,
        n_draws=scenario.draws,
        arrays=stored,
        principal_by_age=by_age,
        metadata=_metadata(inputs, scenario, draws, assumptions),
        sampled={key: draws.values[key] for key in draws.uncertain},
    )
