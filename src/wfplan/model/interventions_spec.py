"""Typed intervention records, as written in a scenario's ``[[interventions]]`` tables.

Every intervention has ``type``, ``staff_group``, optional ``area`` (None = every
area), ``start_year`` (calendar year; must be after the base year), optional
``end_year``, ``amount``, ``ramp_years``, ``cost_per_unit`` (GBP), ``source`` and
``owner``. ``amount`` may be a number or a distribution. Its meaning, and the unit
that ``cost_per_unit`` is charged on, depend on the type (see ``docs/model.md``).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from wfplan.model.distributions import Normal, Triangular, Uniform
from wfplan.model.values import check_number_or_distribution, parse_number_or_distribution

NumberOrDistribution = Annotated[
    float | Annotated[Triangular | Normal | Uniform, Field(discriminator="dist")],
    BeforeValidator(parse_number_or_distribution),
]

#: Intervention types that add joiners, counted in units started per year.
COUNT_TYPES = frozenset(
    {
        "training_places",
        "apprenticeship",
        "international_recruitment",
        "return_to_practice",
        "employer_hub",
    }
)


class _Intervention(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Allowed range of ``amount`` (and of a distribution's support).
    amount_range: ClassVar[tuple[float, float]] = (0.0, math.inf)
    #: Whether ``staff_group = "all"`` is allowed.
    allows_all_groups: ClassVar[bool] = False

    type: str
    name: str | None = Field(default=None, min_length=1)
    staff_group: str = Field(min_length=1)
    area: str | None = Field(default=None, min_length=1)
    start_year: int = Field(ge=1900, le=2200)
    end_year: int | None = Field(default=None, ge=1900, le=2200)
    amount: NumberOrDistribution
    ramp_years: int = Field(default=0, ge=0, le=25)
    cost_per_unit: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    source: str = Field(min_length=1)
    owner: str = Field(min_length=1)

    @model_validator(mode="after")
    def _common_rules(self) -> _Intervention:
        if self.end_year is not None and self.end_year < self.start_year:
            raise ValueError("end_year must not be before start_year")
        if self.staff_group == "all" and not self.allows_all_groups:
            raise ValueError(f"staff_group = 'all' is not allowed for {self.type}")
        problem = check_number_or_distribution(self.amount, self.amount_range)
        if problem:
            raise ValueError(f"amount {problem}")
        return self


class _TrainingRoute(_Intervention):
    duration_years: int | None = Field(default=None, ge=0, le=15)
    completion_rate: float | None = Field(default=None, ge=0, le=1)
    take_up_rate: float | None = Field(default=None, ge=0, le=1)


class TrainingPlaces(_TrainingRoute):
    """Extra training places (intakes) a year; defaults come from the staff group's inputs."""

    type: Literal["training_places"]


class Apprenticeship(_TrainingRoute):
    """Extra apprenticeship starts a year; defaults from the ``apprenticeship_*`` rows."""

    type: Literal["apprenticeship"]


class InternationalRecruitment(_Intervention):
    """Extra international recruits a year (headcount)."""

    type: Literal["international_recruitment"]


class ReturnToPractice(_Intervention):
    """Extra returners a year (headcount)."""

    type: Literal["return_to_practice"]


class EmployerHub(_Intervention):
    """Local joiners a year into one area, arriving ``lead_time_years`` after intake."""

    type: Literal["employer_hub"]
    lead_time_years: int | None = Field(default=None, ge=0, le=10)

    @model_validator(mode="after")
    def _needs_area(self) -> EmployerHub:
        if self.area is None:
            raise ValueError("employer_hub needs an area")
        return self


class Retention(_Intervention):
    """Relative reduction in leaver rates at full effect (0.1 = 10% fewer leavers)."""

    type: Literal["retention"]
    amount_range: ClassVar[tuple[float, float]] = (-1.0, 1.0)
    allows_all_groups: ClassVar[bool] = True


class FlexibleWorking(_Intervention):
    """Relative change in FTE per head at full effect (0.02 = 2% more hours per head)."""

    type: Literal["flexible_working"]
    amount_range: ClassVar[tuple[float, float]] = (-0.5, 0.5)
    allows_all_groups: ClassVar[bool] = True


class Productivity(_Intervention):
    """Extra annual productivity gain at full effect, compounding like productivity_growth."""

    type: Literal["productivity"]
    amount_range: ClassVar[tuple[float, float]] = (-0.05, 0.1)
    allows_all_groups: ClassVar[bool] = True


class SkillMix(_Intervention):
    """Moves ``fraction`` of one staff group's demand to another (``new_role`` is an alias).

    ``amount`` is the substitution ratio: FTE of ``to_staff_group`` needed per FTE
    of ``from_staff_group`` demand moved (default 1).
    """

    type: Literal["skill_mix", "new_role"]
    amount_range: ClassVar[tuple[float, float]] = (0.0, 5.0)
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


Intervention = Annotated[
    TrainingPlaces
    | Apprenticeship
    | InternationalRecruitment
    | ReturnToPractice
    | EmployerHub
    | Retention
    | FlexibleWorking
    | Productivity
    | SkillMix,
    Field(discriminator="type"),
]

INTERVENTION_TYPES = (
    "training_places",
    "apprenticeship",
    "international_recruitment",
    "return_to_practice",
    "employer_hub",
    "retention",
    "flexible_working",
    "productivity",
    "skill_mix",
    "new_role",
)


def intervention_key(index: int, intervention: Any) -> str:
    """Name under which an intervention's uncertain amount is sampled.

    Named interventions keep their draws when others are added or reordered.
    """
    label = intervention.name if intervention.name else f"[{index}]"
    return f"interventions.{label}.amount"
