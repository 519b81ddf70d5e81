"""The built-in intervention types, one class each (see ``docs/model.md``).

A type declares its amount bounds, what ``cost_per_unit`` is charged on, its
timing and the driver it moves, and implements ``apply`` with the primitives of
:class:`~wfplan.model.interventions.EffectBuilder`. Defining the class registers
it (:mod:`wfplan.model.interventions_spec`). A new type needs one such class
(here, or in a module of its own that is imported before scenarios are read)
and, if it has defaults, rows in ``parameters.csv``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from wfplan.model.interventions_spec import Driver, Intervention, NumberOrDistribution
from wfplan.model.parameters import input_default

if TYPE_CHECKING:
    from wfplan.model.interventions import EffectBuilder

_ALL_GROUPS = '`staff_group` may be `"all"`'


class JoinerIntervention(Intervention):
    """A count of units started a year whose joiners arrive by one route.

    Subclasses name the ``route`` and may override :meth:`arrival` (default:
    every unit is one joiner, the same year).
    """

    driver: ClassVar[Driver] = Driver.JOINERS
    #: The joiner route (one of :data:`wfplan.model.interventions.ROUTES`).
    route: ClassVar[str]

    def arrival(self, builder: EffectBuilder, index: int, g: int) -> tuple[int, np.ndarray]:
        """Delay in years and joiners per unit started (``(Dy,)``), for staff group ``g``."""
        return 0, np.array([1.0])

    def apply(
        self, builder: EffectBuilder, index: int, amount: np.ndarray, fraction: np.ndarray
    ) -> None:
        """Add the units started and, ``delay`` years later, their joiners."""
        g = builder.group_index(self)[0]
        builder.add_joiners(self, index, g, amount, fraction)


class _TrainingRoute(JoinerIntervention):
    duration_years: int | None = Field(default=None, ge=0, le=15)
    completion_rate: float | None = Field(default=None, ge=0, le=1)
    take_up_rate: float | None = Field(default=None, ge=0, le=1)


class TrainingPlaces(_TrainingRoute):
    """Extra training places (intakes) a year; defaults come from the staff group's inputs."""

    type: Literal["training_places"]
    route: ClassVar[str] = "newly_qualified"
    amount_meaning: ClassVar[str] = "extra intakes a year"
    timing: ClassVar[str] = (
        "`duration_years` later, x completion x take-up (x the uncertainty multipliers)"
    )
    cost_unit: ClassVar[str] = "place started"
    extra_fields: ClassVar[str] = (
        "`duration_years`, `completion_rate`, `take_up_rate` (default: the group's inputs)"
    )

    def arrival(self, builder: EffectBuilder, index: int, g: int) -> tuple[int, np.ndarray]:
        """Use the group's training duration, completion and take-up unless given."""
        duration = self.duration_years
        if duration is None:
            duration = int(builder.group_input("training_duration", g))
            builder.note(index, "duration_years", duration, "training_duration of the group")
        completion = self.completion_rate
        if completion is None:
            completion = float(builder.group_input("completion_rate", g))
            builder.note(index, "completion_rate", completion, "completion_rate of the group")
        take_up = self.take_up_rate
        if take_up is None:
            take_up = float(builder.group_input("take_up_rate", g))
            builder.note(index, "take_up_rate", take_up, "take_up_rate of the group")
        return duration, builder.training_yield(g, completion, take_up)


class Apprenticeship(_TrainingRoute):
    """Extra apprenticeship starts a year; defaults from the ``apprenticeship_*`` rows."""

    type: Literal["apprenticeship"]
    route: ClassVar[str] = "apprenticeship"
    amount_meaning: ClassVar[str] = "extra starts a year"
    timing: ClassVar[str] = "`duration_years` later, x completion x take-up"
    cost_unit: ClassVar[str] = "start"
    extra_fields: ClassVar[str] = "as training; defaults `apprenticeship_*` rows"
    defaults: ClassVar[dict[str, str]] = {
        "duration_years": "apprenticeship_duration_years",
        "completion_rate": "apprenticeship_completion_rate",
        "take_up_rate": "apprenticeship_take_up_rate",
    }

    def arrival(self, builder: EffectBuilder, index: int, g: int) -> tuple[int, np.ndarray]:
        """Duration, completion and take-up from the parameter table unless given."""
        values = []
        for name, row in self.defaults.items():
            value = getattr(self, name)
            if value is None:
                value = input_default(row)
                builder.note(index, name, value, f"{row} in the parameter table")
            values.append(value)
        return int(values[0]), np.array([values[1] * values[2]])


class InternationalRecruitment(JoinerIntervention):
    """Extra international recruits a year (headcount)."""

    type: Literal["international_recruitment"]
    route: ClassVar[str] = "international"
    amount_meaning: ClassVar[str] = "extra recruits a year"
    timing: ClassVar[str] = "the same year"
    cost_unit: ClassVar[str] = "recruit"


class ReturnToPractice(JoinerIntervention):
    """Extra returners a year (headcount)."""

    type: Literal["return_to_practice"]
    route: ClassVar[str] = "return_to_practice"
    amount_meaning: ClassVar[str] = "extra returners a year"
    timing: ClassVar[str] = "the same year"
    cost_unit: ClassVar[str] = "returner"


class EmployerHub(JoinerIntervention):
    """A local college pipeline into one area (an employer hub; ``docs/education.md``).

    ``amount`` is the hub's starters a year; ``completion_rate x take_up_rate`` of
    them join the area's workforce ``lead_time_years`` after they start. Both
    rates default to 1, so a hub without them adds ``amount`` local joiners a
    year, as before they existed. ``cost_per_unit`` is charged per starter and
    ``cost_per_hub_year`` (GBP) in each year the hub runs (``start_year`` to
    ``end_year``, whatever the ramp), in its area.
    """

    type: Literal["employer_hub"]
    route: ClassVar[str] = "employer_hub"
    amount_meaning: ClassVar[str] = "local starters a year"
    timing: ClassVar[str] = "`lead_time_years` later, x completion x take-up (default 1)"
    cost_unit: ClassVar[str] = "starter, plus `cost_per_hub_year` while the hub runs"
    extra_fields: ClassVar[str] = (
        "`lead_time_years`, `completion_rate`, `take_up_rate`, `cost_per_hub_year`; "
        "`area` required"
    )
    defaults: ClassVar[dict[str, str]] = {"lead_time_years": "employer_hub_lead_time_years"}
    lead_time_years: int | None = Field(default=None, ge=0, le=10)
    #: Share of starters who complete (fraction; default 1).
    completion_rate: float | None = Field(default=None, ge=0, le=1)
    #: Share of completers who join the workforce of the hub's area (fraction; default 1).
    take_up_rate: float | None = Field(default=None, ge=0, le=1)
    #: Running cost of the hub, GBP a year, in each year it runs.
    cost_per_hub_year: float = Field(default=0.0, ge=0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _needs_area(self) -> EmployerHub:
        if self.area is None:
            raise ValueError("employer_hub needs an area")
        return self

    def joiners_per_starter(self) -> float:
        """Return ``completion_rate x take_up_rate`` (each 1 when not given)."""
        completion = 1.0 if self.completion_rate is None else self.completion_rate
        take_up = 1.0 if self.take_up_rate is None else self.take_up_rate
        return completion * take_up

    def arrival(self, builder: EffectBuilder, index: int, g: int) -> tuple[int, np.ndarray]:
        """``lead_time_years`` (default from the parameter table); joiners per starter."""
        lead = self.lead_time_years
        if lead is None:
            row = self.defaults["lead_time_years"]
            lead = int(input_default(row))
            builder.note(index, "lead_time_years", lead, row)
        return lead, np.array([self.joiners_per_starter()])

    def apply(
        self, builder: EffectBuilder, index: int, amount: np.ndarray, fraction: np.ndarray
    ) -> None:
        """Add the starters, their joiners and, while the hub runs, its running cost."""
        super().apply(builder, index, amount, fraction)
        if self.cost_per_hub_year:
            builder.add_running_cost(self, builder.group_index(self)[0],
                                     self.cost_per_hub_year * (fraction > 0))


class Retention(Intervention):
    """Relative reduction in leaver rates at full effect (0.1 = 10% fewer leavers)."""

    type: Literal["retention"]
    amount_range: ClassVar[tuple[float, float]] = (-1.0, 1.0)
    allows_all_groups: ClassVar[bool] = True
    driver: ClassVar[Driver] = Driver.LEAVER_RATES
    amount_meaning: ClassVar[str] = "relative cut in leaver rates"
    timing: ClassVar[str] = "leaver rates x (1 - amount x ramp)"
    cost_unit: ClassVar[str] = "head in post at the base year, a year x ramp"
    extra_fields: ClassVar[str] = _ALL_GROUPS

    def apply(
        self, builder: EffectBuilder, index: int, amount: np.ndarray, fraction: np.ndarray
    ) -> None:
        """Multiply leaver rates by ``1 - amount x ramp``."""
        factor = 1.0 - np.outer(amount, fraction)
        builder.scale_leaver_rates(self, builder.group_index(self), factor)


class FlexibleWorking(Intervention):
    """Relative change in FTE per head at full effect (0.02 = 2% more hours per head)."""

    type: Literal["flexible_working"]
    amount_range: ClassVar[tuple[float, float]] = (-0.5, 0.5)
    allows_all_groups: ClassVar[bool] = True
    driver: ClassVar[Driver] = Driver.FTE_PER_HEAD
    amount_meaning: ClassVar[str] = "relative change in FTE per head"
    timing: ClassVar[str] = "FTE per head x (1 + amount x ramp)"
    cost_unit: ClassVar[str] = "head in post at the base year, a year x ramp"
    extra_fields: ClassVar[str] = _ALL_GROUPS

    def apply(
        self, builder: EffectBuilder, index: int, amount: np.ndarray, fraction: np.ndarray
    ) -> None:
        """Multiply FTE per head by ``1 + amount x ramp``."""
        factor = 1.0 + np.outer(amount, fraction)
        builder.scale_fte_per_head(self, builder.group_index(self), factor)


class Productivity(Intervention):
    """Extra annual productivity gain at full effect, compounding like productivity_growth."""

    type: Literal["productivity"]
    amount_range: ClassVar[tuple[float, float]] = (-0.05, 0.1)
    allows_all_groups: ClassVar[bool] = True
    driver: ClassVar[Driver] = Driver.PRODUCTIVITY
    amount_meaning: ClassVar[str] = "extra annual productivity gain"
    timing: ClassVar[str] = "compounds with `productivity_growth`"
    cost_unit: ClassVar[str] = "FTE of base establishment, a year x ramp"
    extra_fields: ClassVar[str] = _ALL_GROUPS

    def apply(
        self, builder: EffectBuilder, index: int, amount: np.ndarray, fraction: np.ndarray
    ) -> None:
        """Add ``amount x ramp`` to the annual productivity gain."""
        builder.add_productivity(self, builder.group_index(self), np.outer(amount, fraction))


class SkillMix(Intervention):
    """Moves ``fraction`` of one staff group's demand to another (``new_role`` is an alias).

    ``amount`` is the substitution ratio: FTE of ``to_staff_group`` needed per FTE
    of ``from_staff_group`` demand moved (default 1).
    """

    type: Literal["skill_mix", "new_role"]
    amount_range: ClassVar[tuple[float, float]] = (0.0, 5.0)
    driver: ClassVar[Driver] = Driver.DEMAND_MIX
    amount_meaning: ClassVar[str] = "FTE of `to_staff_group` per FTE moved"
    timing: ClassVar[str] = "`fraction x ramp` of the group's demand moves"
    cost_unit: ClassVar[str] = "FTE moved a year"
    extra_fields: ClassVar[str] = (
        "`to_staff_group`, `fraction`, `from_staff_group` (= `staff_group`)"
    )
    amount: NumberOrDistribution = 1.0
    from_staff_group: str | None = None
    to_staff_group: str = Field(min_length=1)
    fraction: float = Field(ge=0, le=1)

    @model_validator(mode="after")
    def _groups(self) -> SkillMix:
        if self.from_staff_group not in (None, self.staff_group):
            raise ValueError("from_staff_group must equal staff_group (or be left out)")
        if self.to_staff_group == self.staff_group:
            raise ValueError("to_staff_group must differ from staff_group")
        return self

    def staff_group_fields(self) -> dict[str, str]:
        """``staff_group`` and ``to_staff_group``."""
        return {**super().staff_group_fields(), "to_staff_group": self.to_staff_group}

    def apply(
        self, builder: EffectBuilder, index: int, amount: np.ndarray, fraction: np.ndarray
    ) -> None:
        """Move ``fraction x ramp`` of the group's demand, ``amount`` FTE per FTE moved."""
        share = self.fraction * fraction[np.newaxis, :]
        builder.move_demand(self, builder.group_index(self)[0], self.to_staff_group, share, amount)
