"""Intervention types for skills: credentials and retire-and-return (``docs/skills.md``).

- ``credential`` upskills staff of one role (or staff group) into another: ``amount``
  people start a year; ``duration_years`` later ``completion_rate`` of them move,
  leaving the first role and joining the second in the same year and areas, so
  heads are conserved exactly. Those who do not complete stay where they were.
  ``cost_per_unit`` is charged per person starting, in the year they start.
- ``retire_and_return`` (pensions policy, retire and return) cuts the leaver
  rates of the age bands from ``from_age_band`` up (default ``55_59``) by the
  relative ``amount``, and adds ``returners`` a year who join in those bands
  (spread as the base stock is) and work ``returner_fte_ratio`` of the group's
  FTE per head. ``cost_per_unit`` is charged per returner.

- ``cpd`` invests ``amount`` GBP a head in post a year in continuing professional
  development; leaver rates fall by ``leaver_rate_cut_per_1000_gbp`` (relative) per
  £1,000 a head, from ``effect_source``. The investment is charged per head in
  post at the base year (every area of the intervention), and ``cost_per_unit``
  on top per head (backfill, time out).

- ``mobility`` shares staff across the areas of a ``pool`` (the employers of an
  ICS at organisation level, or the ICBs of a region): each year and draw,
  ``amount x ramp`` of the pool's surplus FTE covers its short areas, in
  proportion to their shortfall (:func:`wfplan.model.skills.share_across`).

None has defaults of its own: durations, completion, cuts, effects and FTE ratios
are the scenario's, with its source (no figure is assumed for them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from wfplan.model.errors import ScenarioError
from wfplan.model.interventions_spec import Driver, Intervention
from wfplan.model.kernel import Term
from wfplan.model.skills import MobilityEffect

if TYPE_CHECKING:
    from wfplan.model.interventions import EffectBuilder


class Credential(Intervention):
    """Upskill ``amount`` staff a year from ``staff_group`` into ``to_staff_group``."""

    type: Literal["credential"]
    driver: ClassVar[Driver] = Driver.STAFF_MOVES
    amount_meaning: ClassVar[str] = "people starting the credential a year"
    timing: ClassVar[str] = ("`duration_years` later, x `completion_rate`, they leave "
                             "`staff_group` and join `to_staff_group` (heads conserved)")
    cost_unit: ClassVar[str] = "person starting"
    extra_fields: ClassVar[str] = ("`to_staff_group`, `duration_years`, `completion_rate` "
                                   "(all required)")
    to_staff_group: str = Field(min_length=1)
    duration_years: int = Field(ge=0, le=10)
    completion_rate: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _groups(self) -> Credential:
        if self.to_staff_group == self.staff_group:
            raise ValueError("to_staff_group must differ from staff_group")
        return self

    def staff_group_fields(self) -> dict[str, str]:
        """``staff_group`` and ``to_staff_group``."""
        return {**super().staff_group_fields(), "to_staff_group": self.to_staff_group}

    def apply(self, builder: EffectBuilder, index: int, amount: np.ndarray,
              fraction: np.ndarray) -> None:
        """Start ``amount x ramp`` a year; move the completers ``duration_years`` later."""
        g_from = builder.group_index(self)[0]
        g_to = builder.groups.index(self.to_staff_group)
        started = np.outer(amount, fraction)
        started[:, 0] = 0.0  # nothing starts in the base year
        moved = np.zeros_like(started)
        delay = self.duration_years
        if delay < started.shape[1]:
            moved[:, delay:] = started[:, : started.shape[1] - delay] * self.completion_rate
        _move_staff(builder, self, g_from, g_to, started, moved)


class RetireAndReturn(Intervention):
    """Cut the leaver rates of the older bands; add returners there at reduced FTE."""

    type: Literal["retire_and_return"]
    amount_range: ClassVar[tuple[float, float]] = (-1.0, 1.0)
    driver: ClassVar[Driver] = Driver.LEAVER_RATES
    amount_meaning: ClassVar[str] = "relative cut in the leaver rates of the bands from " \
                                    "`from_age_band` (a number)"
    timing: ClassVar[str] = ("those bands' leaver rates x (1 - amount x ramp); "
                             "`returners x ramp` join them a year")
    cost_unit: ClassVar[str] = "returner"
    extra_fields: ClassVar[str] = ("`from_age_band` (default `55_59`), `returners`, "
                                   "`returner_fte_ratio` (required with returners)")
    #: A plan's lever of this type chooses the returners a year (the part the type costs).
    plan_units_field: ClassVar[str] = "returners"
    amount: float = 0.0
    from_age_band: str = Field(default="55_59", min_length=1)
    #: Returners a year at full effect (heads).
    returners: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    #: A returner's FTE as a share of the group's FTE per head.
    returner_fte_ratio: float | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _ratio(self) -> RetireAndReturn:
        if self.returners > 0 and self.returner_fte_ratio is None:
            raise ValueError("returner_fte_ratio is required when there are returners")
        return self

    def _bands(self, builder: EffectBuilder) -> np.ndarray:
        bands = builder.inputs.coords.age_band
        if self.from_age_band not in bands:
            raise ScenarioError([f"{self.type}: from_age_band {self.from_age_band!r} is not "
                                 f"an age band of the inputs {bands}"])
        return np.arange(len(bands)) >= bands.index(self.from_age_band)

    def apply(self, builder: EffectBuilder, index: int, amount: np.ndarray,
              fraction: np.ndarray) -> None:
        """Scale the older bands' leaver rates; add the returners and their FTE."""
        bands = self._bands(builder)
        g = builder.group_index(self)[0]
        _age_factor(builder, self, g, bands, 1.0 - float(amount[0]) * fraction)
        if not self.returners:
            return
        heads = self.returners * fraction[np.newaxis, :]
        heads[:, 0] = 0.0  # nobody returns in the base year
        _older_joiners(builder, self, g, heads, bands)
        ratio = self.returner_fte_ratio
        assert ratio is not None
        if ratio < 1.0:
            _fte_cells(builder, g, _fte_factor(builder, self, g, heads[0], ratio))


class Cpd(Intervention):
    """CPD investment a head a year, with an effect on leaver rates the scenario sources."""

    type: Literal["cpd"]
    allows_all_groups: ClassVar[bool] = True
    driver: ClassVar[Driver] = Driver.LEAVER_RATES
    amount_meaning: ClassVar[str] = "GBP of CPD a head in post a year"
    timing: ClassVar[str] = ("leaver rates x (1 - `leaver_rate_cut_per_1000_gbp` x amount / "
                             "1000 x ramp), at least 0")
    cost_unit: ClassVar[str] = ("head in post at the base year, a year x ramp, on top of "
                                "`amount` a head")
    extra_fields: ClassVar[str] = ("`leaver_rate_cut_per_1000_gbp`, `effect_source` "
                                   "(required); `staff_group` may be `\"all\"`")
    #: Relative cut in leaver rates per £1,000 a head a year (0.01: 1% fewer leavers).
    leaver_rate_cut_per_1000_gbp: float = Field(ge=0, le=1, allow_inf_nan=False)
    #: The evidence for the effect (publication, table or page), or "wfplan assumption: ...".
    effect_source: str = Field(min_length=1)

    def apply(self, builder: EffectBuilder, index: int, amount: np.ndarray,
              fraction: np.ndarray) -> None:
        """Cut leaver rates by the sourced effect of the spend; charge the spend a head."""
        spend = np.outer(amount, fraction)  # GBP a head, (Dp, T+1)
        factor = np.maximum(1.0 - self.leaver_rate_cut_per_1000_gbp * spend / 1000.0, 0.0)
        groups = builder.group_index(self)
        builder.scale_leaver_rates(self, groups, factor)
        _per_head(builder, self, groups, spend)


class Mobility(Intervention):
    """Staff shared across the employers (areas) of a pool, so local gaps can be pooled."""

    type: Literal["mobility"]
    amount_range: ClassVar[tuple[float, float]] = (0.0, 1.0)
    allows_all_groups: ClassVar[bool] = True
    driver: ClassVar[Driver] = Driver.MOBILITY
    amount_meaning: ClassVar[str] = ("share of the pool's surplus FTE that may work where it "
                                     "is short")
    timing: ClassVar[str] = ("each year and draw, `amount x ramp` of the surplus areas' surplus "
                             "covers the short areas' shortfall (FTE conserved)")
    cost_unit: ClassVar[str] = "FTE taken a year, in the area that takes it"
    extra_fields: ClassVar[str] = ("`pool` (area codes; default every area of the run), no "
                                   "`area`; `staff_group` may be `\"all\"`")
    #: The areas that share staff (an ICS's employers, say); None: every area of the run.
    pool: list[str] | None = Field(default=None, min_length=2)

    @model_validator(mode="after")
    def _no_area(self) -> Mobility:
        if self.area is not None:
            raise ValueError("mobility takes a pool of areas, not area")
        return self

    def apply(self, builder: EffectBuilder, index: int, amount: np.ndarray,
              fraction: np.ndarray) -> None:
        """Record the pool and the share of its surplus that may move (``skills.share_across``)."""
        pool = np.ones(len(builder.areas), dtype=bool)
        if self.pool is not None:
            unknown = [code for code in self.pool if code not in builder.areas]
            if unknown:
                raise ScenarioError([f"interventions[{index}].pool: {unknown} are not areas of "
                                     f"the inputs"])
            pool = np.isin(np.array(builder.areas), self.pool)
        builder.effects.mobility.append(MobilityEffect(
            tuple(builder.group_index(self)), pool, np.outer(amount, fraction),
            self.cost_per_unit))


def _fte_factor(builder: EffectBuilder, item: Intervention, g: int, heads: np.ndarray,
                ratio: float) -> np.ndarray:
    """``(1, T+1, A)`` factor on FTE per head for returners at ``ratio`` of the group's.

    ``1 - (1 - ratio) x min(R / S0, 1)`` where ``R`` is the returners so far in the
    area (no attrition) and ``S0`` its base headcount: an approximation, since
    returners leave and the stock changes; it overstates the loss of hours a little.
    """
    arrived = np.cumsum(heads)[:, np.newaxis] * builder.split(item, g)[np.newaxis, :]
    base = builder.inputs.array("stock_hc").sum(axis=2)[:, g]
    share = np.divide(arrived, base, out=np.zeros_like(arrived), where=base > 0)
    return (1.0 - (1.0 - ratio) * np.minimum(share, 1.0))[np.newaxis]


# The effects these types add, through the builder's arrays (the other types' primitives
# are EffectBuilder's own; these are used by the skills levers alone).


def _route_term(builder: EffectBuilder, route: str, g: int, heads: np.ndarray,
                split: np.ndarray, *, older: bool) -> None:
    """Add ``heads`` (``(Dp, T+1)``) x ``split`` (``(A,)``) joiners of group ``g`` by ``route``."""
    shape = builder.shape
    in_group = np.zeros((heads.shape[0], heads.shape[1], 1, shape[3]))
    in_group[:, :, 0, g] = heads
    split_in_group = np.zeros((1, 1, shape[2], shape[3]))
    split_in_group[0, 0, :, g] = split
    builder.effects.routes.setdefault(route, []).append(
        Term((in_group, split_in_group), g, older=older))
    assert builder.effects.supply_cells is not None
    builder.effects.supply_cells[:, g] |= split > 0


def _charge(builder: EffectBuilder, g: int, cost: np.ndarray) -> None:
    """Add ``cost`` (``(Dp, T+1, A)``, GBP) to group ``g``."""
    full = np.zeros((cost.shape[0], *builder.shape[1:]))
    full[..., g] = cost
    builder.effects.cost = full if builder.effects.cost is None else builder.effects.cost + full


def _move_staff(builder: EffectBuilder, item: Intervention, g_from: int, g_to: int,
                started: np.ndarray, moved: np.ndarray) -> None:
    """Move ``moved`` heads (``(Dp, T+1)``) from group ``g_from`` to ``g_to``.

    Two equal and opposite terms of the ``other`` route, in the same years and
    areas (national: by ``g_from``'s area share), so heads are conserved exactly.
    ``started`` are charged ``cost_per_unit`` each, in ``g_from``.
    """
    split = builder.split(item, g_from)
    for g, sign in ((g_from, -1.0), (g_to, 1.0)):
        _route_term(builder, "other", g, sign * moved, split, older=False)
    _charge(builder, g_from, item.cost_per_unit * started[:, :, np.newaxis] * split)


def _older_joiners(builder: EffectBuilder, item: Intervention, g: int, heads: np.ndarray,
                   bands: np.ndarray) -> None:
    """Add ``heads`` (``(Dp, T+1)``) returners to group ``g`` in the age bands ``bands``.

    By the ``return_to_practice`` route, spread as each cell's base stock is over
    the union of every such intervention's bands; ``cost_per_unit`` each.
    """
    older = builder.effects.older_bands
    builder.effects.older_bands = bands.copy() if older is None else older | bands
    split = builder.split(item, g)
    _route_term(builder, "return_to_practice", g, heads, split, older=True)
    _charge(builder, g, item.cost_per_unit * heads[:, :, np.newaxis] * split)


def _age_factor(builder: EffectBuilder, item: Intervention, g: int, bands: np.ndarray,
                factor: np.ndarray) -> None:
    """Multiply group ``g``'s leaver rates in the age bands ``bands`` by ``factor`` (by year)."""
    years, areas = builder.shape[1], 1 if item.area is None else builder.shape[2]
    full = np.ones((years, len(bands), areas, builder.shape[3]))
    inside = np.ones(areas, dtype=bool) if item.area is None else builder.area_mask(item) > 0
    block = full[:, :, :, g]
    block[np.ix_(np.arange(years), np.flatnonzero(bands), np.flatnonzero(inside))] = (
        factor[:, np.newaxis, np.newaxis])
    current = builder.effects.age_retention
    builder.effects.age_retention = full if current is None else current * full
    assert builder.effects.supply_cells is not None
    builder.effects.supply_cells[:, g] |= inside if item.area is not None else True


def _fte_cells(builder: EffectBuilder, g: int, factor: np.ndarray) -> None:
    """Multiply group ``g``'s FTE per head by ``factor`` (``(1, T+1, A)``); no cost."""
    full = np.ones((1, *builder.shape[1:]))
    full[..., g] = factor
    current = builder.effects.fte_factor
    builder.effects.fte_factor = full if current is None else current * full


def _per_head(builder: EffectBuilder, item: Intervention, groups: list[int],
              per_head: np.ndarray) -> None:
    """Charge ``per_head`` GBP (``(Dp, T+1)``) per head in post at the base year, in its areas."""
    heads = builder.inputs.array("stock_hc").sum(axis=2) * builder.area_mask(item)[:, None]
    for g in groups:
        _charge(builder, g, per_head[:, :, np.newaxis] * heads[:, g])
