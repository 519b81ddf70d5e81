"""The plan file: what ``wfplan plan`` optimises, validated by pydantic.

A plan file (TOML) names a base scenario and vintage, the target (staff groups,
area, years, which gap, the probability of closing it), the candidate count
levers with their bounds and unit costs, and the constraints (budgets, training
capacity, an ethical cap on international recruitment), and the objective
(least cost, or the least expected shortfall above a budget). See ``docs/plan.md``.
Every problem is reported with the file, the key and the rule
(:func:`read_plan`), never as a traceback.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wfplan.errors import InputError
from wfplan.model.intervention_types import JoinerIntervention
from wfplan.model.interventions_spec import Driver, Intervention, registered_types
from wfplan.model.values import format_location

#: Fields of an intervention the plan sets itself (a lever may not give them in ``options``).
_SET_BY_PLAN = frozenset({"type", "name", "staff_group", "area", "start_year", "end_year",
                          "amount", "ramp_years", "cost_per_unit", "source", "owner"})


#: Multiplicative levers the plan linearises around the base scenario, by type name.
#: ``cpd`` cuts leaver rates as ``retention`` does, by its sourced effect per GBP a head.
#: (Names, not classes: importing a type's module here would change the order in which
#: the types register, which is the order of the scenario schema and of docs/model.md.)
MULTIPLICATIVE = frozenset({"retention", "flexible_working", "cpd"})

#: Count levers whose response is not exactly linear in their units (the plan states it):
#: a returner of ``retire_and_return`` works reduced hours, applied to the group's FTE per
#: head in proportion to the returners so far (a second-order term).
NEARLY_LINEAR = frozenset({"retire_and_return"})


def count_types() -> dict[str, type[Intervention]]:
    """Return the registered count intervention types: the levers.

    Those that add joiners, those that move staff between staff groups or roles
    (``credential``), and ``retire_and_return``, whose units are its returners a
    year (:attr:`~wfplan.model.interventions_spec.Intervention.plan_units_field`):
    one unit's response times ``x`` is the effect of ``x`` units (for returners,
    to a second-order term: :data:`NEARLY_LINEAR`).
    """
    return {name: cls for name, cls in registered_types().items()
            if isinstance(cls, type) and (issubclass(cls, JoinerIntervention)
                                          or cls.driver is Driver.STAFF_MOVES
                                          or name in NEARLY_LINEAR)}


def is_multiplicative(lever_type: str) -> bool:
    """Whether ``lever_type`` scales a rate (linearised in the plan) rather than counts units."""
    return lever_type in MULTIPLICATIVE


def is_linearised(lever_type: str) -> bool:
    """Whether the response of ``lever_type`` is approximate (the re-simulation measures it)."""
    return is_multiplicative(lever_type) or lever_type in NEARLY_LINEAR


def units_field(lever_type: str) -> str:
    """Return the field of the intervention a lever's units a year are written to."""
    return registered_types()[lever_type].plan_units_field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Lever(_Strict):
    """One candidate intervention: amounts a year between ``first_year`` and ``last_year``.

    A count lever's amount is units started a year and ``cost_per_unit`` is GBP
    per unit, charged in its start year (as the model charges it). A
    multiplicative lever (``retention``, ``flexible_working``) has the type's
    own amount in each year (0.02: a 2% cut in leaver rates, or 2% more FTE
    per head, that year) and ``cost_per_unit`` is GBP per head in post at the
    base year, that year, per 1.0 of amount; ``cpd`` is one too, its amount GBP
    of CPD a head that year and its ``cost_per_unit`` GBP per head per GBP of
    CPD (at least 1, the spend). A ``retire_and_return`` lever's units are
    returners a year, at ``cost_per_unit`` GBP each (its cut in the older bands'
    leaver rates is not chosen: the plan writes 0). ``cost_source`` says where the
    cost comes from: a publication, or "wfplan assumption: ..." with the
    reasoning. ``options`` holds the type's own fields (e.g.
    ``duration_years`` of training places). ``area`` is an area code of the
    plan's level, ``"each"`` (one copy of the lever in every area, named
    ``<name>.<area>``, each with these bounds), or left out (a national lever:
    a count is split between areas as the model splits it). ``staff_group =
    "each"`` likewise makes one copy per target staff group (``<name>.<group>``).
    """

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    type: str
    staff_group: str = Field(min_length=1)
    area: str | None = Field(default=None, min_length=1)
    first_year: int | None = Field(default=None, ge=1900, le=2200)
    last_year: int | None = Field(default=None, ge=1900, le=2200)
    min_per_year: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    max_per_year: float = Field(gt=0, allow_inf_nan=False)
    cost_per_unit: float = Field(gt=0, allow_inf_nan=False)
    cost_source: str = Field(min_length=1)
    owner: str = Field(default="wfplan plan", min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _rules(self) -> Lever:
        types = sorted([*count_types(), *MULTIPLICATIVE])
        if self.type not in types:
            raise ValueError(f"type {self.type!r} is not a lever the plan can use; choose "
                             f"from {types}")
        if is_multiplicative(self.type):
            top = registered_types()[self.type].amount_range[1]
            if self.max_per_year > top:
                raise ValueError(f"max_per_year of a {self.type} lever is its amount (a "
                                 f"fraction) and must be at most {top:g}")
        self._skill_rules()
        moves = count_types().get(self.type)
        if moves is not None and moves.driver is Driver.STAFF_MOVES and \
                "each" in (self.staff_group, self.area):
            raise ValueError(f"a {self.type} lever moves staff between staff groups, so it "
                             "cannot be copied into each area or group ('each'): its response "
                             "is in two groups")
        if self.min_per_year > self.max_per_year:
            raise ValueError("min_per_year must not exceed max_per_year")
        first, last = self.first_year, self.last_year
        if first is not None and last is not None and last < first:
            raise ValueError("last_year must not be before first_year")
        taken = sorted(set(self.options) & (_SET_BY_PLAN | {units_field(self.type)}))
        if taken:
            raise ValueError(f"options {taken} are set by the plan itself")
        return self

    def _skill_rules(self) -> None:
        """Check the rules of ``cpd`` and ``retire_and_return`` levers (docs/plan.md)."""
        if self.type == "cpd":
            if self.cost_per_unit < 1:
                raise ValueError("cost_per_unit of a cpd lever is GBP per head per GBP of CPD "
                                 "a head (the spend itself is 1): it must be at least 1")
            cut = self.options.get("leaver_rate_cut_per_1000_gbp")
            if isinstance(cut, int | float) and cut * self.max_per_year > 1000:
                raise ValueError("max_per_year of a cpd lever would cut leaver rates by more "
                                 "than all of them (leaver_rate_cut_per_1000_gbp x "
                                 "max_per_year / 1000 must be at most 1)")
        if self.type == "retire_and_return" and "returner_fte_ratio" not in self.options:
            raise ValueError("a retire_and_return lever chooses returners a year: options "
                             "must give returner_fte_ratio (a returner's FTE as a share of "
                             "the group's FTE per head)")


#: Money a year: one figure for every year, or a figure per calendar year.
Budget = float | dict[int, float]


class Constraints(_Strict):
    """Limits on the plan (every one optional; GBP and heads a year)."""

    budget_per_year: Budget | None = None
    budget_total: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    training_places_max_per_year: float | None = Field(default=None, ge=0)
    training_places_max_growth_per_year: float | None = Field(default=None, ge=0)
    international_recruitment_max_per_year: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _budgets(self) -> Constraints:
        budget = self.budget_per_year
        values = budget.values() if isinstance(budget, dict) else [budget]
        if any(value is not None and not value >= 0 for value in values):
            raise ValueError("budget_per_year must be 0 or more (GBP a year)")
        return self


class Target(_Strict):
    """What must be closed: the gap of ``staff_groups`` in ``area`` in each of ``years``.

    ``area`` left out: the areas' sum; ``each_area``: the gap of every area of
    the plan's level, each closed on its own. ``probability`` is the share of
    draws to close (objective ``least_cost``), or the level alpha of the
    expected shortfall (objective ``cvar``).
    """

    staff_groups: list[str] = Field(min_length=1)
    area: str | None = None
    each_area: bool = False
    years: list[int] = Field(min_length=1)
    gap: Literal["funded", "need"] = "funded"
    probability: float = Field(default=0.5, gt=0, le=1)

    @model_validator(mode="after")
    def _one_area_rule(self) -> Target:
        if self.each_area and self.area is not None:
            raise ValueError("give area or each_area = true, not both")
        return self


class Plan(_Strict):
    """A plan file: the base scenario, the target, the levers and the constraints."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    title: str = Field(default="", max_length=80)
    base_scenario: str = Field(min_length=1)
    base_vintage: str | None = None
    level: Literal["england", "region", "icb"] = "england"
    draws: int | None = Field(default=None, ge=0, le=10_000)
    seed: int | None = Field(default=None, ge=0)
    objective: Literal["least_cost", "cvar"] = "least_cost"
    target: Target
    levers: list[Lever] = Field(min_length=1)
    constraints: Constraints = Field(default_factory=Constraints)

    @model_validator(mode="after")
    def _unique(self) -> Plan:
        names = [lever.name for lever in self.levers]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"levers have repeated names: {repeated}")
        if self.objective == "cvar" and self.target.probability >= 1:
            raise ValueError("objective 'cvar' needs target.probability below 1 (its level "
                             "alpha: the mean shortfall over the worst 1 - alpha of the draws)")
        return self


@dataclass(frozen=True)
class PlanFile:
    """A validated plan and the file it came from."""

    path: Path
    plan: Plan
    sha256: str


def _revised(source: PlanFile, **update: Any) -> PlanFile:
    """Return the plan with top-level fields replaced, validated again (a problem: InputError)."""
    data = {**source.plan.model_dump(), **update}
    try:
        revised = Plan.model_validate(data)
    except ValidationError as error:
        raise InputError(_problems(source.path, error)) from None
    return PlanFile(source.path, revised, source.sha256)


def _copies(lever: Lever, field: str, values: tuple[str, ...] | list[str]) -> list[Lever]:
    if getattr(lever, field) != "each":
        return [lever]
    return [lever.model_copy(update={"name": f"{lever.name}.{value}", field: value})
            for value in values]


def expand_levers(plan: Plan, areas: tuple[str, ...]) -> tuple[Plan, tuple[int, ...]]:
    """Return the plan with each ``"each"`` lever copied into every area (or target group).

    A copy is named ``<name>.<group>`` then ``.<area>``; the second value
    gives, for each lever of the plan returned, the index of the lever of
    ``plan`` it came from.
    """
    levers: list[Lever] = []
    family: list[int] = []
    for index, lever in enumerate(plan.levers):
        for by_group in _copies(lever, "staff_group", plan.target.staff_groups):
            for copy in _copies(by_group, "area", areas):
                levers.append(copy)
                family.append(index)
    return plan.model_copy(update={"levers": levers}), tuple(family)


def with_probability(source: PlanFile, probability: float) -> PlanFile:
    """Return the plan with ``target.probability`` replaced (``wfplan plan --probability``)."""
    target = source.plan.target.model_copy(update={"probability": probability})
    return _revised(source, target=target.model_dump())


def with_objective(source: PlanFile, objective: Literal["least_cost", "cvar"]) -> PlanFile:
    """Return the plan with ``objective`` replaced (``wfplan plan --objective``)."""
    return _revised(source, objective=objective)


def _problems(path: Path, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = format_location(tuple(item["loc"])) or "plan"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{path}: {where}: {message}")
    return "\n".join(lines)


def parse_plan(path: Path, text: str) -> Plan:
    """Validate plan TOML ``text`` read from ``path``; a problem is an :class:`InputError`."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: TOML: {error}") from None
    try:
        return Plan.model_validate(data)
    except ValidationError as error:
        raise InputError(_problems(path, error)) from None


def read_plan(path: Path) -> PlanFile:
    """Read and validate a plan file."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read the plan file ({error.strerror})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    return PlanFile(path, parse_plan(path, text), hashlib.sha256(data).hexdigest())
