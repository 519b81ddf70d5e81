"""The ``[plan]`` table of a scenario written by ``wfplan plan``: the plan's own summary.

A scenario that ``wfplan plan`` wrote carries, beside its interventions, what
the optimiser found: the plan file it came from (name and SHA-256), the
objective and target, each lever's units and cost by start year and the FTE it
gains in each target year, each constraint with whether it binds and its
shadow price (with its unit and a sentence), and the re-simulation's check.
The report and the dashboard show it; the model ignores it. It is validated
here (typed, every figure finite) and checked against the scenario's own
interventions (:func:`check_plan`), so a hand-edited amount cannot leave a
summary that no longer describes the scenario. See ``docs/plan.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Finite = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1900, le=2200)]
#: Relative tolerance of the sums and products checked (the file holds repr'd floats).
TOLERANCE = 1e-6


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


class LeverGain(_Strict):
    """What a lever gains in one target year (the mean over the plan's draws).

    ``fte`` is the FTE of supply the plan's units of the lever add in ``year``;
    ``cost_per_fte_gbp`` the lever's cost over the plan divided by it (absent
    when the lever gains nothing); ``cheapest_cost_per_fte_gbp`` the least cost
    of one more FTE in ``year`` from one more unit, at its best start year
    (absent when no start year reaches ``year``).
    """

    year: Year
    fte: NonNegative
    cost_per_fte_gbp: NonNegative | None = None
    cheapest_cost_per_fte_gbp: NonNegative | None = None


class PlanLever(_Strict):
    """One lever of the plan: its units and cost in each start year, and its gains.

    ``units`` are the intervention's amount a year (for a multiplicative lever, a
    fraction); ``cost_per_unit_gbp`` is the cost the optimiser counts per unit
    (for a multiplicative lever, the model's cost of 1.0 of amount);
    ``linearised``: its FTE are the model's linearisation around the base.
    """

    name: str = Field(min_length=1)
    type: str = Field(min_length=1)
    staff_group: str = Field(min_length=1)
    area: str | None = None
    cost_per_unit_gbp: float = Field(gt=0, allow_inf_nan=False)
    cost_source: str = Field(min_length=1)
    linearised: bool = False
    years: list[Year] = Field(min_length=1)
    units: list[NonNegative]
    cost_gbp: list[NonNegative]
    gains: list[LeverGain] = Field(min_length=1)

    @model_validator(mode="after")
    def _aligned(self) -> PlanLever:
        if not len(self.years) == len(self.units) == len(self.cost_gbp):
            raise ValueError("years, units and cost_gbp must have one value a year")
        if sorted(set(self.years)) != self.years:
            raise ValueError("years must increase")
        for year, units, cost in zip(self.years, self.units, self.cost_gbp, strict=True):
            if not _close(cost, units * self.cost_per_unit_gbp):
                raise ValueError(f"cost_gbp in {year} is not units x cost_per_unit_gbp")
        return self

    @property
    def total_units(self) -> float:
        """Units started over the plan."""
        return float(sum(self.units))

    @property
    def total_cost_gbp(self) -> float:
        """The lever's cost over the plan (GBP)."""
        return float(sum(self.cost_gbp))


class PlanConstraint(_Strict):
    """One limit of the plan (or the closure of a target year): binding, and its price.

    ``name`` is the constraint group (``budget_per_year``, ``budget_total``,
    ``training_max``, ``training_growth``, ``international_max``, ``lever_max``,
    or ``closure``); ``year``, ``lever`` and ``staff_group`` say which one.
    ``limit`` and ``used`` are in ``unit`` (a budget in GBP million).
    ``shadow_price`` is the plan cost saved (GBP) per one more ``unit`` of the
    limit, or for the closure the cost (GBP) of one more FTE closed (summed over
    the draws, so the binding draw's), in ``shadow_unit`` (for objective
    ``cvar``, FTE of expected shortfall cut); absent when the solver reports none.
    ``fte_per_million`` turns a budget's price into FTE: at the same total
    cost, one more GBP 1m of that budget closes that many more FTE in the
    plan's ``reference_year``. ``text`` says it in words.
    """

    name: Literal["budget_per_year", "budget_total", "training_max", "training_growth",
                  "international_max", "lever_max", "closure"]
    year: Year | None = None
    lever: str | None = None
    staff_group: str | None = None
    unit: str = Field(min_length=1)
    limit: Finite | None = None
    used: Finite | None = None
    binding: bool
    shadow_price: Finite | None = None
    shadow_unit: str | None = None
    fte_equivalent: Finite | None = None
    binding_years: list[Year] | None = None
    text: str = Field(min_length=1)


class PlanCheck(_Strict):
    """The optimiser's predicted gap against the full model's, one target year and group."""

    year: Year
    staff_group: str = Field(min_length=1)
    demand_p50: Finite
    predicted_gap: Finite
    simulated_gap: Finite
    max_abs_difference: NonNegative


class PlanSummary(_Strict):
    """The ``[plan]`` table: where the plan came from, what it closes, and what it costs.

    ``draws`` is how many of the model's draws the sample average ran over,
    ``draws_closed`` in how many the target is closed; ``cost_gbp`` the sum of
    the levers' costs. Gaps in ``check`` are the quantile at ``probability``
    (objective ``cvar``: its level alpha, and ``expected_shortfall_fte`` the
    optimiser's and the re-simulation's expected shortfall).
    """

    source: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    objective: Literal["least_cost", "cvar"] = "least_cost"
    gap: Literal["funded", "need"]
    probability: float = Field(gt=0, le=1)
    target_staff_groups: list[str] = Field(min_length=1)
    target_years: list[Year] = Field(min_length=1)
    target_area: str | None = None
    each_area: bool = False
    reference_year: Year
    draws: int = Field(ge=1)
    draws_closed: int = Field(ge=0)
    cost_gbp: NonNegative
    marginal_cost_per_fte_gbp: NonNegative | None = None
    expected_shortfall_fte: NonNegative | None = None
    simulated_expected_shortfall_fte: NonNegative | None = None
    shadow_basis: str = Field(min_length=1)
    levers: list[PlanLever] = Field(min_length=1)
    constraints: list[PlanConstraint] = Field(default_factory=list)
    check: list[PlanCheck] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> PlanSummary:
        problems = []
        if self.draws_closed > self.draws:
            problems.append("draws_closed must not exceed draws")
        if self.reference_year not in self.target_years:
            problems.append("reference_year must be one of target_years")
        names = [lever.name for lever in self.levers]
        if len(set(names)) != len(names):
            problems.append("levers have repeated names")
        if not _close(sum(lever.total_cost_gbp for lever in self.levers), self.cost_gbp):
            problems.append("cost_gbp is not the sum of the levers' cost_gbp")
        for lever in self.levers:
            if sorted(g.year for g in lever.gains) != sorted(self.target_years):
                problems.append(f"levers {lever.name}: gains must have one entry per "
                                "target year")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def check_plan(plan: PlanSummary, interventions: Sequence[object]) -> list[str]:
    """Return the problems of ``plan`` against a scenario's interventions (none: it agrees).

    Every year a lever starts units must have the intervention ``<lever>_<year>``
    with that amount, as ``wfplan plan`` writes them.
    """
    found: dict[str, float] = {}
    for item in interventions:
        name = getattr(item, "name", None)
        # a lever's units are the type's plan_units_field (retire_and_return: returners)
        amount = getattr(item, getattr(type(item), "plan_units_field", "amount"), None)
        if name:
            found[str(name)] = float(amount) if isinstance(amount, int | float) else math.nan
    problems = []
    for lever in plan.levers:
        for year, units in zip(lever.years, lever.units, strict=True):
            if units <= 0:
                continue
            key = f"{lever.name}_{year}"
            if key not in found:
                problems.append(f"plan.levers {lever.name}: no intervention {key!r} for its "
                                f"{units:g} units in {year}")
                continue
            if not _close(found[key], units):
                problems.append(f"plan.levers {lever.name}: intervention {key!r} is not "
                                f"{units:g} units")
    if problems:
        problems.append("the [plan] table no longer describes the interventions: remove it, "
                        "or run wfplan plan again")
    return problems
