"""A straightforward per-cell reference implementation, in pure Python loops.

It follows the equations in ``docs/model.md`` one draw, area, staff group, year
and age band at a time, and shares nothing with the vectorised model except the
scenario parsing and the sampled draws. Tests check that the two agree (to
1e-12 relative); the benchmark times it on a subset to measure the speed-up.
Arithmetic is written in the same order as the vectorised code so that the
results agree to rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wfplan.model.inputs import ModelInputs
from wfplan.model.interventions_spec import intervention_key
from wfplan.model.parameters import get_spec, input_default
from wfplan.model.results import PRIMARY_VARIABLES
from wfplan.model.scenario import Scenario
from wfplan.model.uncertainty import Draws, sample_draws

_ROUTE = {
    "training_places": "newly_qualified",
    "apprenticeship": "apprenticeship",
    "international_recruitment": "international",
    "return_to_practice": "return_to_practice",
    "employer_hub": "employer_hub",
}
#: Types whose joiners arrive by a route (the reference's own list, not the registry's).
COUNT_TYPES = frozenset(_ROUTE)
#: Every type the reference has its own equations for; any other is refused.
KNOWN_TYPES = COUNT_TYPES | {"retention", "flexible_working", "productivity", "skill_mix",
                             "new_role"}
_YOUNG = ("newly_qualified", "employer_hub")
_GENERAL = ("international", "return_to_practice", "other", "apprenticeship")


class _Model:
    """Scalar look-ups shared by the per-cell loops."""

    def __init__(self, inputs: ModelInputs, scenario: Scenario, draws: Draws) -> None:
        self.inputs, self.scenario, self.draws = inputs, scenario, draws
        self.groups = inputs.coords.staff_group
        self.areas = inputs.coords.area
        self.base_year = inputs.base_year
        self.horizon = scenario.horizon
        self.items: list[tuple[int, Any]] = list(enumerate(scenario.interventions))
        unknown = sorted({item.type for _, item in self.items} - KNOWN_TYPES)
        if unknown:
            raise ValueError(f"the reference implementation has no equations for {unknown}")
        self.arrays = {
            name: inputs.array(name).tolist()
            for name in (
                "stock_hc",
                "leaver_rate",
                "joiner_age_profile",
                "newly_qualified_age_profile",
                "other_joiners",
                "international_joiners",
                "return_to_practice_joiners",
                "fte_per_head",
                "vacancy_fte",
                "area_share",
                "training_places",
                "training_duration",
                "completion_rate",
                "take_up_rate",
                "age_band_width",
                "population",
                "utilisation",
            )
        }

    def value(self, name: str, g: int, d: int) -> Any:
        values = self.draws.values
        key = f"{name}[{self.groups[g]}]"
        array = values.get(key, values.get(name))
        if array is None:
            spec = get_spec(name)
            return spec.default.value if spec.is_categorical else spec.default_value
        return array[min(d, len(array) - 1)]

    def amount(self, index: int, item: Any, d: int) -> float:
        array = self.draws.values[intervention_key(index, item)]
        return float(array[min(d, len(array) - 1)])

    def ramp(self, item: Any, t: int) -> float:
        year = self.base_year + t
        if year < item.start_year or (item.end_year is not None and year > item.end_year):
            return 0.0
        if item.ramp_years == 0:
            return 1.0
        return min(1.0, (year - item.start_year + 1) / item.ramp_years)

    def targets(self, item: Any, a: int, g: int) -> bool:
        group_ok = item.staff_group == "all" or self.groups.index(item.staff_group) == g
        return group_ok and (item.area is None or self.areas.index(item.area) == a)

    def training_yield(self, g: int, d: int, completion: float, take_up: float) -> float:
        completion_share = min(completion * self.value("completion_rate_multiplier", g, d), 1.0)
        take_up_share = min(take_up * self.value("take_up_rate_multiplier", g, d), 1.0)
        return completion_share * take_up_share

    def delay_and_yield(self, item: Any, g: int, d: int) -> tuple[int, float]:
        arrays = self.arrays
        if item.type == "training_places":
            duration = item.duration_years
            duration = int(arrays["training_duration"][g]) if duration is None else duration
            completion = item.completion_rate
            completion = arrays["completion_rate"][g] if completion is None else completion
            take_up = item.take_up_rate
            take_up = arrays["take_up_rate"][g] if take_up is None else take_up
            return duration, self.training_yield(g, d, completion, take_up)
        if item.type == "apprenticeship":
            fields = ("duration_years", "completion_rate", "take_up_rate")
            rows = (
                "apprenticeship_duration_years",
                "apprenticeship_completion_rate",
                "apprenticeship_take_up_rate",
            )
            found = [getattr(item, f) for f in fields]
            values = [
                input_default(r) if v is None else v for v, r in zip(found, rows, strict=True)
            ]
            return int(values[0]), values[1] * values[2]
        if item.type == "employer_hub":
            lead = item.lead_time_years
            completion = 1.0 if item.completion_rate is None else item.completion_rate
            take_up = 1.0 if item.take_up_rate is None else item.take_up_rate
            return (
                int(input_default("employer_hub_lead_time_years")) if lead is None else lead
            ), completion * take_up
        return 0, 1.0

    def split(self, item: Any, a: int, g: int) -> float:
        if item.area is None:
            return self.arrays["area_share"][a][g]
        return 1.0 if self.areas.index(item.area) == a else 0.0

    def units(self, index: int, item: Any, d: int, t: int) -> float:
        return 0.0 if t == 0 else self.amount(index, item, d) * self.ramp(item, t)


def _baseline_routes(model: _Model, d: int, a: int, g: int, t: int) -> dict[str, float]:
    arrays = model.arrays
    routes = {
        "international": arrays["international_joiners"][a][g]
        * model.value("international_joiners_multiplier", g, d),
        "return_to_practice": arrays["return_to_practice_joiners"][a][g]
        * model.value("return_to_practice_multiplier", g, d),
        "other": arrays["other_joiners"][a][g] * model.value("other_joiners_multiplier", g, d),
    }
    intake_year = model.base_year + t - int(arrays["training_duration"][g])
    series = model.inputs.training_years
    row = min(max(intake_year - series[0], 0), len(series) - 1)
    places = arrays["training_places"][row][g]
    if intake_year > model.base_year:
        places = places * model.value("training_places_multiplier", g, d)
    per_place = model.training_yield(g, d, arrays["completion_rate"][g], arrays["take_up_rate"][g])
    routes["newly_qualified"] = places * (per_place * arrays["area_share"][a][g])
    return routes


def _intervention_routes(model: _Model, d: int, a: int, g: int, t: int) -> list[tuple[str, float]]:
    added: list[tuple[str, float]] = []
    for index, item in model.items:
        if item.type not in COUNT_TYPES:
            continue
        route = _ROUTE[item.type]
        target_g = model.groups.index(item.staff_group)
        delay, per_unit = model.delay_and_yield(item, target_g, d)
        started = model.units(index, item, d, t - delay) if t - delay >= 0 else 0.0
        value = started * per_unit * model.split(item, a, target_g) if target_g == g else 0.0
        added.append((route, value))
    return added


def _terms(
    model: _Model, d: int, a: int, g: int, t: int, with_interventions: bool
) -> list[tuple[str, float]]:
    """Joiner terms as the kernel sums them: route by route, baseline first."""
    baseline = _baseline_routes(model, d, a, g, t)
    added = _intervention_routes(model, d, a, g, t) if with_interventions else []
    terms = []
    for route in (*_YOUNG, *_GENERAL):
        if route in baseline:
            terms.append((route, baseline[route]))
        terms += [(name, value) for name, value in added if name == route]
    return terms


def _in_order(values: list[float]) -> float:
    total = values[0] if values else 0.0
    for value in values[1:]:
        total = total + value
    return total


def _factor(model: _Model, d: int, a: int, g: int, t: int, kind: str) -> float:
    factor = 1.0
    for index, item in model.items:
        if item.type != kind:
            continue
        change = model.amount(index, item, d) * model.ramp(item, t)
        if model.targets(item, a, g):
            factor = factor * (1.0 - change if kind == "retention" else 1.0 + change)
    return factor


def _cost(model: _Model, d: int, a: int, g: int, t: int) -> float:
    cost = 0.0
    stock = sum(model.arrays["stock_hc"][a][g])
    for index, item in model.items:
        if item.type in COUNT_TYPES and model.groups.index(item.staff_group) == g:
            units = model.units(index, item, d, t)
            cost = cost + item.cost_per_unit * units * model.split(item, a, g)
            if item.type == "employer_hub" and t > 0 and model.ramp(item, t) > 0:
                cost = cost + item.cost_per_hub_year * model.split(item, a, g)
        elif item.type in ("retention", "flexible_working", "productivity") and model.targets(
            item, a, g
        ):
            base = stock if item.type != "productivity" else _establishment(model, a, g)
            cost = cost + item.cost_per_unit * model.ramp(item, t) * base
    return cost


def _establishment(model: _Model, a: int, g: int) -> float:
    stock = sum(model.arrays["stock_hc"][a][g])
    return stock * model.arrays["fte_per_head"][a][g] + model.arrays["vacancy_fte"][a][g]


def _project_cell(
    model: _Model, d: int, a: int, g: int, with_interventions: bool
) -> tuple[dict[str, list[float]], list[list[float]]]:
    """Headcount, leavers, routes and FTE of one cell in one draw, and the age state."""
    arrays = model.arrays
    state = list(arrays["stock_hc"][a][g])
    ages = len(state)
    width = arrays["age_band_width"]
    multiplier = model.value("leaver_rate_multiplier", g, d)
    out: dict[str, list[float]] = {"supply_hc": [sum(state)], "leavers_hc": [float("nan")]}
    by_age: list[list[float]] = []
    for t in range(1, model.horizon + 1):
        terms = _terms(model, d, a, g, t, with_interventions)
        routes: dict[str, float] = {}
        for route, value in terms:
            routes[route] = routes[route] + value if route in routes else value
        retention = _factor(model, d, a, g, t, "retention") if with_interventions else 1.0
        for route, value in routes.items():
            out.setdefault(route, [float("nan")]).append(value)
        leavers = 0.0
        moved = []
        for k in range(ages):
            rate = min(arrays["leaver_rate"][a][g][k] * multiplier * retention, 1.0)
            leavers = leavers + state[k] * rate
            keep = 1.0 - rate
            ageing = 1.0 / width[k] if k < ages - 1 else 0.0
            if k < ages - 1:
                moved.append(state[k] * (keep * ageing))
            state[k] = state[k] * (keep * (1.0 - ageing))
        for k in range(ages - 1):
            state[k + 1] = state[k + 1] + moved[k]
        young = _in_order([value for route, value in terms if route in _YOUNG])
        general = _in_order([value for route, value in terms if route in _GENERAL])
        for k in range(ages):
            state[k] = state[k] + young * arrays["newly_qualified_age_profile"][g][k]
            state[k] = state[k] + general * arrays["joiner_age_profile"][g][k]
        out["supply_hc"].append(sum(state))
        out["leavers_hc"].append(leavers)
        by_age.append(list(state))
    per_head = arrays["fte_per_head"][a][g] * model.value("fte_per_head_multiplier", g, d)
    out["supply_fte"] = [
        hc
        * (
            per_head
            * (_factor(model, d, a, g, t, "flexible_working") if with_interventions else 1.0)
        )
        for t, hc in enumerate(out["supply_hc"])
    ]
    return out, by_age


def _demog(model: _Model, variant: int, t: int, a: int, g: int) -> float:
    population = model.arrays["population"][variant]
    years = model.inputs.population_years
    utilisation = model.arrays["utilisation"][g]
    now = population[years.index(model.base_year + t)][a]
    base = population[years.index(model.base_year)][a]
    weighted = sum(p * u for p, u in zip(now, utilisation, strict=True))
    weighted_base = sum(p * u for p, u in zip(base, utilisation, strict=True))
    return weighted / weighted_base if weighted_base > 0 else 1.0


def _cell_demand(model: _Model, d: int, a: int, g: int, t: int, interventions: bool) -> float:
    variant = model.inputs.population_variants.index(model.value("population_variant", g, d))
    growth = 1.0 + model.value("non_demographic_growth", g, d)
    keep = 1.0 - model.value("productivity_growth", g, d)
    growth_factor, productivity_factor = 1.0, 1.0
    for step in range(1, t + 1):
        growth_factor = growth_factor * growth
        extra = 0.0
        for index, item in model.items:
            if interventions and item.type == "productivity" and model.targets(item, a, g):
                extra = extra + model.amount(index, item, d) * model.ramp(item, step)
        productivity_factor = productivity_factor * (keep - extra)
    factor = growth_factor * productivity_factor
    service = model.value("service_plan_growth", g, d) * float(t)
    establishment = _establishment(model, a, g)
    return establishment * _demog(model, variant, t, a, g) * factor + establishment * service


def _skill_mix(model: _Model, d: int, demand: np.ndarray, cost: np.ndarray) -> None:
    for index, item in model.items:
        if item.type not in ("skill_mix", "new_role"):
            continue
        source, target = (
            model.groups.index(item.staff_group),
            model.groups.index(item.to_staff_group),
        )
        ratio = model.amount(index, item, d)
        for t in range(model.horizon + 1):
            share = item.fraction * model.ramp(item, t)
            for a in range(len(model.areas)):
                inside = item.area is None or model.areas.index(item.area) == a
                moved = share * demand[t, a, source] if inside else 0.0
                demand[t, a, source] = demand[t, a, source] - moved
                demand[t, a, target] = demand[t, a, target] + ratio * moved
                cost[t, a, source] = cost[t, a, source] + item.cost_per_unit * moved


def reference_run(inputs: ModelInputs, scenario: Scenario) -> dict[str, np.ndarray]:
    """Full ``(N+1, T+1, A, G)`` arrays of every stored variable, plus ``principal_by_age``."""
    draws = sample_draws(scenario)
    model = _Model(inputs, scenario, draws)
    areas, groups, years = len(model.areas), len(model.groups), model.horizon + 1
    out = {name: np.full((draws.total, years, areas, groups), np.nan) for name in PRIMARY_VARIABLES}
    out["principal_by_age"] = np.zeros((years, areas, groups, len(inputs.coords.age_band)))
    for d in range(draws.total):
        for a in range(areas):
            for g in range(groups):
                _fill_supply(model, d, a, g, out)
        _fill_demand(model, d, out)
    return out


def _fill_supply(model: _Model, d: int, a: int, g: int, out: dict[str, np.ndarray]) -> None:
    cell, by_age = _project_cell(model, d, a, g, True)
    counterfactual, _ = _project_cell(model, d, a, g, False)
    for name in ("supply_hc", "supply_fte", "leavers_hc"):
        out[name][d, :, a, g] = cell[name]
    for route in (
        "newly_qualified",
        "international",
        "return_to_practice",
        "other",
        "apprenticeship",
        "employer_hub",
    ):
        values = cell.get(route, [float("nan")] + [0.0] * model.horizon)
        out[f"joiners_{route}_hc"][d, :, a, g] = values
    out["counterfactual_supply_fte"][d, :, a, g] = counterfactual["supply_fte"]
    if d == 0:
        out["principal_by_age"][0, a, g] = model.arrays["stock_hc"][a][g]
        out["principal_by_age"][1:, a, g] = by_age


def _fill_demand(model: _Model, d: int, out: dict[str, np.ndarray]) -> None:
    areas, groups, years = len(model.areas), len(model.groups), model.horizon + 1
    funded = np.zeros((years, areas, groups))
    base = np.zeros((years, areas, groups))
    cost = np.zeros((years, areas, groups))
    for t in range(years):
        for a in range(areas):
            for g in range(groups):
                funded[t, a, g] = _cell_demand(model, d, a, g, t, True)
                base[t, a, g] = _cell_demand(model, d, a, g, t, False)
                cost[t, a, g] = _cost(model, d, a, g, t)
    _skill_mix(model, d, funded, cost)
    out["demand_funded_fte"][d] = funded
    out["counterfactual_demand_funded_fte"][d] = base
    out["intervention_cost_gbp"][d] = cost
    for g in range(groups):
        unmet = model.value("unmet_need_fraction", g, d)
        out["demand_need_fte"][d, :, :, g] = funded[:, :, g] * (1.0 + unmet)
