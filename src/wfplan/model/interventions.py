"""Turn a scenario's intervention records into arrays over draw x year x area x staff group.

Timing: calendar year ``base_year + t`` is model year ``t``. An intervention's
effect ramps linearly: ``ramp[t] = min(1, (year - start_year + 1) / ramp_years)``
from ``start_year`` (1 at once when ``ramp_years = 0``), and is 0 before
``start_year`` and after ``end_year``. Count interventions start ``amount x ramp``
units a year; the joiners arrive ``delay`` years later (training duration,
apprenticeship duration, employer-hub lead time; 0 for recruits and returners).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wfplan.model.errors import ScenarioError
from wfplan.model.inputs import ModelInputs
from wfplan.model.interventions_spec import COUNT_TYPES, SkillMix, intervention_key
from wfplan.model.kernel import Term
from wfplan.model.parameters import input_default
from wfplan.model.scenario import Scenario
from wfplan.model.uncertainty import Draws, group_values

ROUTES = (
    "newly_qualified",
    "international",
    "return_to_practice",
    "other",
    "apprenticeship",
    "employer_hub",
)
#: Routes whose joiners follow the newly qualified age profile; the rest follow
#: the joiner age profile.
YOUNG_ROUTES = ("newly_qualified", "employer_hub")
_ROUTE_OF_TYPE = {
    "training_places": "newly_qualified",
    "apprenticeship": "apprenticeship",
    "international_recruitment": "international",
    "return_to_practice": "return_to_practice",
    "employer_hub": "employer_hub",
}


def ramp(item: Any, years: np.ndarray) -> np.ndarray:
    """Fraction of full effect of ``item`` in each calendar year of ``years``."""
    elapsed = (years - item.start_year + 1).astype(np.float64)
    if item.ramp_years == 0:
        fraction = (elapsed >= 1).astype(np.float64)
    else:
        fraction = np.clip(elapsed / item.ramp_years, 0.0, 1.0)
    if item.end_year is not None:
        fraction[years > item.end_year] = 0.0
    return fraction


@dataclass(frozen=True)
class SkillMixEffect:
    """One skill-mix move: ``share[d, t]`` of the from-group's demand in ``areas``."""

    from_group: int
    to_group: int
    areas: np.ndarray
    share: np.ndarray
    ratio: np.ndarray
    cost_per_unit: float


@dataclass
class InterventionEffects:
    """All interventions of a scenario as arrays shaped ``(Dp, T+1, A, G)``.

    ``Dp`` is 1 where no amount is uncertain; any axis may have length 1 where the
    values do not vary along it. ``routes`` holds, per joiner route, one term (a
    product of compact factors) per count intervention, in scenario order. ``None``
    means no such intervention.
    """

    routes: dict[str, list[Term]] = field(default_factory=dict)
    retention: np.ndarray | None = None
    fte_factor: np.ndarray | None = None
    productivity: np.ndarray | None = None
    cost: np.ndarray | None = None
    skill_mix: list[SkillMixEffect] = field(default_factory=list)
    supply_cells: np.ndarray | None = None
    assumptions: list[dict[str, Any]] = field(default_factory=list)


def _add(total: np.ndarray | None, contribution: np.ndarray) -> np.ndarray:
    if total is None:
        return contribution
    return total + contribution


def _into_group(
    shape: tuple[int, int, int, int], group: list[int], values: np.ndarray
) -> np.ndarray:
    """Place ``values`` (Dp, T+1, A) in a zero array at the staff groups ``group``."""
    out = np.zeros((values.shape[0], *shape[1:]))
    for g in group:
        out[..., g] = values
    return out


class _Builder:
    """Accumulates the effects of each intervention in scenario order."""

    def __init__(self, inputs: ModelInputs, scenario: Scenario, draws: Draws) -> None:
        self.inputs = inputs
        self.scenario = scenario
        self.draws = draws
        self.groups = inputs.coords.staff_group
        self.areas = inputs.coords.area
        self.years = inputs.base_year + np.arange(scenario.horizon + 1)
        self.shape = (1, len(self.years), len(self.areas), len(self.groups))
        self.effects = InterventionEffects(supply_cells=np.zeros(self.shape[2:], dtype=bool))

    def group_index(self, index: int, item: Any) -> list[int]:
        if item.staff_group == "all":
            return list(range(len(self.groups)))
        return [self.groups.index(item.staff_group)]

    def area_mask(self, item: Any) -> np.ndarray:
        mask = np.zeros(len(self.areas))
        if item.area is None:
            mask[:] = 1.0
        else:
            mask[self.areas.index(item.area)] = 1.0
        return mask

    def compact_shape(self, item: Any, draws: int) -> tuple[int, int, int, int]:
        """``(Dp, T+1, A, G)``, with A = 1 when the intervention covers every area."""
        areas = 1 if item.area is None else self.shape[2]
        return (draws, self.shape[1], areas, self.shape[3])

    def in_areas(self, item: Any, values: np.ndarray, outside: float) -> np.ndarray:
        """``(Dp, T+1)`` values spread over the intervention's areas (``outside`` elsewhere)."""
        if item.area is None:
            return values[:, :, np.newaxis]
        return np.where(self.area_mask(item) > 0, values[:, :, np.newaxis], outside)

    def note(self, index: int, field_name: str, value: float, source: str) -> None:
        self.effects.assumptions.append(
            {
                "name": f"interventions[{index}].{field_name}",
                "value": value,
                "reason": f"left out of the intervention; default {source}",
            }
        )

    def add(self, index: int, item: Any) -> None:
        amount = self.draws.values[intervention_key(index, item)]
        fraction = ramp(item, self.years)
        groups = self.group_index(index, item)
        if item.type in COUNT_TYPES:
            self.add_count(index, item, groups[0], amount, fraction)
        elif item.type == "retention":
            self.add_factor("retention", item, groups, 1.0 - np.outer(amount, fraction))
        elif item.type == "flexible_working":
            self.add_factor("fte_factor", item, groups, 1.0 + np.outer(amount, fraction))
        elif item.type == "productivity":
            self.add_productivity(item, groups, np.outer(amount, fraction))
        else:
            self.add_skill_mix(item, groups[0], amount, fraction)

    def route_timing(self, index: int, item: Any, g: int) -> tuple[int, np.ndarray]:
        """Delay in years and yield per unit (``(Dy,)``) of a count intervention."""
        if item.type == "training_places":
            duration = item.duration_years
            if duration is None:
                duration = int(self.inputs.array("training_duration")[g])
                self.note(index, "duration_years", duration, "training_duration of the group")
            completion = item.completion_rate
            if completion is None:
                completion = float(self.inputs.array("completion_rate")[g])
                self.note(index, "completion_rate", completion, "completion_rate of the group")
            take_up = item.take_up_rate
            if take_up is None:
                take_up = float(self.inputs.array("take_up_rate")[g])
                self.note(index, "take_up_rate", take_up, "take_up_rate of the group")
            return duration, training_yield(self.draws, self.groups, g, completion, take_up)
        if item.type == "apprenticeship":
            values = []
            for name, row in (
                ("duration_years", "apprenticeship_duration_years"),
                ("completion_rate", "apprenticeship_completion_rate"),
                ("take_up_rate", "apprenticeship_take_up_rate"),
            ):
                value = getattr(item, name)
                if value is None:
                    value = input_default(row)
                    self.note(index, name, value, f"{row} in the parameter table")
                values.append(value)
            return int(values[0]), np.array([values[1] * values[2]])
        if item.type == "employer_hub":
            lead = item.lead_time_years
            if lead is None:
                lead = int(input_default("employer_hub_lead_time_years"))
                self.note(index, "lead_time_years", lead, "employer_hub_lead_time_years")
            return lead, np.array([1.0])
        return 0, np.array([1.0])

    def add_count(
        self, index: int, item: Any, g: int, amount: np.ndarray, fraction: np.ndarray
    ) -> None:
        units = np.outer(amount, fraction)
        units[:, 0] = 0.0  # nothing starts in the base year
        delay, per_unit = self.route_timing(index, item, g)
        started = np.zeros_like(units)
        if delay < units.shape[1]:
            started[:, delay:] = units[:, : units.shape[1] - delay]
        arrivals = started * per_unit[:, np.newaxis]
        split = self.area_mask(item) if item.area is not None else self.area_share(g)
        # joiners = arrivals (Dp, T+1) x split (A), in group g: kept as two compact factors
        in_group = np.zeros((arrivals.shape[0], arrivals.shape[1], 1, self.shape[3]))
        in_group[:, :, 0, g] = arrivals
        split_in_group = np.zeros((1, 1, self.shape[2], self.shape[3]))
        split_in_group[0, 0, :, g] = split
        route = _ROUTE_OF_TYPE[item.type]
        self.effects.routes.setdefault(route, []).append(Term((in_group, split_in_group), g))
        cost = item.cost_per_unit * units[:, :, np.newaxis] * split
        self.effects.cost = _add(self.effects.cost, _into_group(self.shape, [g], cost))
        assert self.effects.supply_cells is not None
        self.effects.supply_cells[:, g] |= split > 0

    def area_share(self, g: int) -> np.ndarray:
        return self.inputs.array("area_share")[:, g]

    def add_factor(self, name: str, item: Any, groups: list[int], factor: np.ndarray) -> None:
        """Multiply a per-cell factor (retention or FTE per head) into the targeted cells."""
        inside = self.area_mask(item) > 0
        full = np.ones(self.compact_shape(item, factor.shape[0]))
        for g in groups:
            full[..., g] = self.in_areas(item, factor, 1.0)
        current = getattr(self.effects, name)
        setattr(self.effects, name, full if current is None else current * full)
        self.add_cost(item, groups, self.inputs.array("stock_hc").sum(axis=2))
        if name == "retention":
            assert self.effects.supply_cells is not None
            for g in groups:
                self.effects.supply_cells[:, g] |= inside

    def add_cost(self, item: Any, groups: list[int], base: np.ndarray) -> None:
        """Cost ``cost_per_unit x ramp x base`` (base-year heads or FTE) in the targeted cells."""
        ramped = ramp(item, self.years)
        mask = self.area_mask(item)
        cost = np.zeros(self.shape)
        for g in groups:
            cost[0, :, :, g] = item.cost_per_unit * ramped[:, np.newaxis] * (base[:, g] * mask)
        self.effects.cost = _add(self.effects.cost, cost)

    def add_productivity(self, item: Any, groups: list[int], annual: np.ndarray) -> None:
        contribution = np.zeros(self.compact_shape(item, annual.shape[0]))
        for g in groups:
            contribution[..., g] = self.in_areas(item, annual, 0.0)
        self.effects.productivity = _add(self.effects.productivity, contribution)
        self.add_cost(item, groups, self.inputs.establishment_fte())

    def add_skill_mix(
        self, item: SkillMix, g: int, amount: np.ndarray, fraction: np.ndarray
    ) -> None:
        share = item.fraction * fraction[np.newaxis, :]
        effect = SkillMixEffect(
            from_group=g,
            to_group=self.groups.index(item.to_staff_group),
            areas=self.area_mask(item) > 0,
            share=share,
            ratio=amount,
            cost_per_unit=item.cost_per_unit,
        )
        self.effects.skill_mix.append(effect)


def training_yield(
    draws: Draws, groups: tuple[str, ...], g: int, completion: float, take_up: float
) -> np.ndarray:
    """``(Dy,)`` joiners per training place: capped completion x capped take-up."""
    completion_multiplier = group_values(draws, "completion_rate_multiplier", groups)[:, g]
    take_up_multiplier = group_values(draws, "take_up_rate_multiplier", groups)[:, g]
    completion_share = np.minimum(completion * completion_multiplier, 1.0)
    take_up_share = np.minimum(take_up * take_up_multiplier, 1.0)
    return completion_share * take_up_share


def check_interventions(inputs: ModelInputs, scenario: Scenario) -> None:
    """Raise :class:`ScenarioError` if an intervention does not fit the inputs."""
    groups = inputs.coords.staff_group
    problems = []
    for index, item in enumerate(scenario.interventions):
        where = f"interventions[{index}]"
        if item.start_year <= inputs.base_year:
            problems.append(f"{where}.start_year: must be after the base year {inputs.base_year}")
        if item.staff_group != "all" and item.staff_group not in groups:
            problems.append(f"{where}.staff_group: {item.staff_group!r} is not in the inputs")
        if isinstance(item, SkillMix) and item.to_staff_group not in groups:
            problems.append(f"{where}.to_staff_group: {item.to_staff_group!r} is not in the inputs")
        if item.area is not None and item.area not in inputs.coords.area:
            problems.append(f"{where}.area: {item.area!r} is not an area of the inputs")
    if problems:
        raise ScenarioError(problems)


def intervention_effects(
    inputs: ModelInputs, scenario: Scenario, draws: Draws
) -> InterventionEffects:
    """Build the arrays for every intervention of ``scenario`` (in scenario order)."""
    check_interventions(inputs, scenario)
    builder = _Builder(inputs, scenario, draws)
    for index, item in enumerate(scenario.interventions):
        builder.add(index, item)
    return builder.effects
