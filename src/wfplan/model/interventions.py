"""Turn a scenario's intervention records into arrays over draw x year x area x staff group.

Timing: calendar year ``base_year + t`` is model year ``t``. An intervention's
effect ramps linearly: ``ramp[t] = min(1, (year - start_year + 1) / ramp_years)``
from ``start_year`` (1 at once when ``ramp_years = 0``), and is 0 before
``start_year`` and after ``end_year``. Count interventions start ``amount x ramp``
units a year; the joiners arrive ``delay`` years later (training duration,
apprenticeship duration, employer-hub lead time; 0 for recruits and returners).

Each intervention type applies itself (:meth:`Intervention.apply`) through the
primitives of :class:`EffectBuilder`, one per driver of the model: joiners by
route, leaver rates, FTE per head, productivity and the mix of demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from wfplan.model.assumptions import Assumption
from wfplan.model.errors import ScenarioError
from wfplan.model.inputs import ModelInputs
from wfplan.model.interventions_spec import Intervention, intervention_key
from wfplan.model.kernel import Term
from wfplan.model.skills import MobilityEffect
from wfplan.model.uncertainty import Draws, group_values

if TYPE_CHECKING:
    from wfplan.model.intervention_types import JoinerIntervention
    from wfplan.model.scenario import Scenario

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


def ramp(item: Intervention, years: np.ndarray) -> np.ndarray:
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
    #: ``(T+1, K, A or 1, G)`` leaver-rate factors by age band, or None.
    age_retention: np.ndarray | None = None
    #: ``(K,)`` the age bands returners join (``retire_and_return``).
    older_bands: np.ndarray | None = None
    #: Staff shared across the areas of a pool (``mobility``), in scenario order.
    mobility: list[MobilityEffect] = field(default_factory=list)
    assumptions: list[Assumption] = field(default_factory=list)


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


class EffectBuilder:
    """Accumulates the effects of each intervention in scenario order.

    Intervention types call its primitives from their ``apply``: ``add_joiners``,
    ``scale_leaver_rates``, ``scale_fte_per_head``, ``add_productivity`` and
    ``move_demand``; each also charges the type's cost.
    """

    def __init__(self, inputs: ModelInputs, scenario: Scenario, draws: Draws) -> None:
        self.inputs = inputs
        self.scenario = scenario
        self.draws = draws
        self.groups = inputs.coords.staff_group
        self.areas = inputs.coords.area
        self.years = inputs.base_year + np.arange(scenario.horizon + 1)
        self.shape = (1, len(self.years), len(self.areas), len(self.groups))
        self.effects = InterventionEffects(supply_cells=np.zeros(self.shape[2:], dtype=bool))

    def group_index(self, item: Intervention) -> list[int]:
        """Staff group indices an intervention targets (every group for ``"all"``)."""
        if item.staff_group == "all":
            return list(range(len(self.groups)))
        return [self.groups.index(item.staff_group)]

    def area_mask(self, item: Intervention) -> np.ndarray:
        """Return ``(A,)``: 1 in the intervention's areas, 0 elsewhere."""
        mask = np.zeros(len(self.areas))
        if item.area is None:
            mask[:] = 1.0
        else:
            mask[self.areas.index(item.area)] = 1.0
        return mask

    def compact_shape(self, item: Intervention, draws: int) -> tuple[int, int, int, int]:
        """``(Dp, T+1, A, G)``, with A = 1 when the intervention covers every area."""
        areas = 1 if item.area is None else self.shape[2]
        return (draws, self.shape[1], areas, self.shape[3])

    def in_areas(self, item: Intervention, values: np.ndarray, outside: float) -> np.ndarray:
        """``(Dp, T+1)`` values spread over the intervention's areas (``outside`` elsewhere)."""
        if item.area is None:
            return values[:, :, np.newaxis]
        return np.where(self.area_mask(item) > 0, values[:, :, np.newaxis], outside)

    def note(self, index: int, field_name: str, value: float, source: str) -> None:
        """Record an intervention field left out and the default used for it."""
        self.effects.assumptions.append(
            Assumption(
                name=f"interventions[{index}].{field_name}",
                value=value,
                reason=f"left out of the intervention; default {source}",
            )
        )

    def group_input(self, name: str, g: int) -> np.ndarray:
        """Input ``name`` (indexed by staff group) of staff group ``g``."""
        value: np.ndarray = self.inputs.array(name)[g]
        return value

    def training_yield(self, g: int, completion: float, take_up: float) -> np.ndarray:
        """Return ``(Dy,)`` joiners per training place of group ``g`` (:func:`training_yield`)."""
        return training_yield(self.draws, self.groups, g, completion, take_up)

    def add(self, index: int, item: Intervention) -> None:
        """Add one intervention (the ramp and sampled amount of its type's effect)."""
        amount = self.draws.values[intervention_key(index, item)]
        item.apply(self, index, amount, ramp(item, self.years))

    def add_joiners(
        self, item: JoinerIntervention, index: int, g: int, amount: np.ndarray,
        fraction: np.ndarray,
    ) -> None:
        """Units started ``amount x ramp`` a year and their joiners, by the item's route.

        The joiners arrive as :meth:`JoinerIntervention.arrival` says; a national
        count is split between areas by ``area_share``. Cost: per unit started.
        """
        if item.route not in ROUTES:
            raise ScenarioError([f"{item.type}: route {item.route!r} is not one of {ROUTES}"])
        units = np.outer(amount, fraction)
        units[:, 0] = 0.0  # nothing starts in the base year
        delay, per_unit = item.arrival(self, index, g)
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
        self.effects.routes.setdefault(item.route, []).append(
            Term((in_group, split_in_group), g)
        )
        cost = item.cost_per_unit * units[:, :, np.newaxis] * split
        self.effects.cost = _add(self.effects.cost, _into_group(self.shape, [g], cost))
        assert self.effects.supply_cells is not None
        self.effects.supply_cells[:, g] |= split > 0

    def add_running_cost(self, item: Intervention, g: int, per_year: np.ndarray) -> None:
        """Charge ``per_year`` (``(T+1,)`` GBP) in the item's areas, in staff group ``g``.

        Not in the base year (nothing runs then).
        """
        charged = per_year.astype(np.float64).copy()
        charged[0] = 0.0
        cost = charged[np.newaxis, :, np.newaxis] * self.area_mask(item)[np.newaxis, np.newaxis, :]
        self.effects.cost = _add(self.effects.cost, _into_group(self.shape, [g], cost))

    def split(self, item: Intervention, g: int) -> np.ndarray:
        """Return ``(A,)``: the item's area, else how a national count of group ``g`` splits."""
        return self.area_mask(item) if item.area is not None else self.area_share(g)

    def area_share(self, g: int) -> np.ndarray:
        """Return ``(A,)``: how a national count of staff group ``g`` splits between areas."""
        share: np.ndarray = self.inputs.array("area_share")[:, g]
        return share

    def scale_leaver_rates(self, item: Intervention, groups: list[int], factor: np.ndarray) -> None:
        """Multiply leaver rates by ``factor`` (``(Dp, T+1)``) in the targeted cells.

        Cost: ``cost_per_unit x ramp`` per head in post at the base year.
        """
        self._add_factor("retention", item, groups, factor)
        assert self.effects.supply_cells is not None
        inside = self.area_mask(item) > 0
        for g in groups:
            self.effects.supply_cells[:, g] |= inside

    def scale_fte_per_head(self, item: Intervention, groups: list[int], factor: np.ndarray,
                           *, charge: bool = True) -> None:
        """Multiply FTE per head by ``factor`` (``(Dp, T+1)``) in the targeted cells.

        Cost: ``cost_per_unit x ramp`` per head in post at the base year (none
        without ``charge``: a type that also scales leaver rates is charged there).
        """
        self._add_factor("fte_factor", item, groups, factor, charge=charge)

    def _add_factor(
        self, name: str, item: Intervention, groups: list[int], factor: np.ndarray,
        *, charge: bool = True,
    ) -> None:
        full = np.ones(self.compact_shape(item, factor.shape[0]))
        for g in groups:
            full[..., g] = self.in_areas(item, factor, 1.0)
        current = getattr(self.effects, name)
        setattr(self.effects, name, full if current is None else current * full)
        if charge:
            self._add_cost(item, groups, self.inputs.array("stock_hc").sum(axis=2))

    def _add_cost(self, item: Intervention, groups: list[int], base: np.ndarray) -> None:
        """Cost ``cost_per_unit x ramp x base`` (base-year heads or FTE) in the targeted cells."""
        ramped = ramp(item, self.years)
        mask = self.area_mask(item)
        cost = np.zeros(self.shape)
        for g in groups:
            cost[0, :, :, g] = item.cost_per_unit * ramped[:, np.newaxis] * (base[:, g] * mask)
        self.effects.cost = _add(self.effects.cost, cost)

    def add_productivity(self, item: Intervention, groups: list[int], annual: np.ndarray) -> None:
        """Add ``annual`` (``(Dp, T+1)``) to the annual productivity gain in the targeted cells.

        Cost: ``cost_per_unit x ramp`` per FTE of base establishment.
        """
        contribution = np.zeros(self.compact_shape(item, annual.shape[0]))
        for g in groups:
            contribution[..., g] = self.in_areas(item, annual, 0.0)
        self.effects.productivity = _add(self.effects.productivity, contribution)
        self._add_cost(item, groups, self.inputs.establishment_fte())

    def move_demand(
        self, item: Intervention, g: int, to_group: str, share: np.ndarray, ratio: np.ndarray
    ) -> None:
        """Move ``share`` (``(1, T+1)``) of group ``g``'s demand to ``to_group``.

        ``ratio`` (``(Dp,)``) FTE of ``to_group`` per FTE moved. Cost:
        ``cost_per_unit`` per FTE moved a year (charged when demand is computed).
        """
        effect = SkillMixEffect(
            from_group=g,
            to_group=self.groups.index(to_group),
            areas=self.area_mask(item) > 0,
            share=share,
            ratio=ratio,
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
        for name, group in item.staff_group_fields().items():
            if group not in groups and not (name == "staff_group" and group == "all"):
                problems.append(f"{where}.{name}: {group!r} is not in the inputs")
        if item.area is not None and item.area not in inputs.coords.area:
            problems.append(f"{where}.area: {item.area!r} is not an area of the inputs")
    if problems:
        raise ScenarioError(problems)


def intervention_effects(
    inputs: ModelInputs, scenario: Scenario, draws: Draws
) -> InterventionEffects:
    """Build the arrays for every intervention of ``scenario`` (in scenario order)."""
    check_interventions(inputs, scenario)
    builder = EffectBuilder(inputs, scenario, draws)
    for index, item in enumerate(scenario.interventions):
        builder.add(index, item)
    return builder.effects
