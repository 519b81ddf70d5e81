"""The ``care_worker_pay`` intervention: a pay rise for care workers (docs/social-care.md).

``amount`` is the rise in care workers' pay, in per cent, relative to a named
``comparator`` (the pay they would otherwise get: the National Living Wage, the
sector's going rate, an NHS band...). It moves leaver rates through the
published relation between care workers' pay and job separation:

* **Leaver rates.** A 1% rise cuts the annual job separation rate by ``s``
  (``separation_cut_per_pay_point``, a fraction: 0.003 is 0.3 percentage
  points). The cut is taken relative to the group's base leaver rate ``r0``
  (``base_leaver_rate``; left out, the headcount-weighted mean of the group's
  leaver rates in the intervention's areas at the base year), so a group's
  leaver rates, in every area and age band, are multiplied by
  ``max(0, 1 - s x amount x ramp / r0)``.

``separation_cut_per_pay_point`` may be a distribution, drawn per Monte Carlo
draw on its own stream (``interventions.<name>.separation_cut_per_pay_point``),
so the uncertainty of the published relation is carried into the results. Left
out, the runs layer fills it from the evidence library (:mod:`wfplan.runs.care_pay`);
the model itself refuses a record without it.

Cost: ``annual_pay x amount / 100`` GBP per head in post at the base year, a
year x ramp (the pay rise), plus ``cost_per_unit`` per head a year x ramp
(running a retention programme beside it, say).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

# the built-in types register first, whichever module is imported first, so that the
# registry (the scenario schema, the table of types) has one fixed order
from wfplan.model import intervention_skills  # noqa: F401
from wfplan.model.assumptions import Assumption
from wfplan.model.errors import ScenarioError
from wfplan.model.intervention_skills import _per_head
from wfplan.model.interventions_spec import (
    Driver,
    Intervention,
    NumberOrDistribution,
    intervention_key,
)
from wfplan.model.values import check_number_or_distribution

if TYPE_CHECKING:
    from wfplan.model.interventions import EffectBuilder

#: Allowed range of the cut in the separation rate per 1% of pay (a fraction a year).
CUT_RANGE = (0.0, 0.05)
#: The field the runs layer fills from the evidence library when a scenario leaves it out.
RELATION = "separation_cut_per_pay_point"


class CareWorkerPay(Intervention):
    """A rise of ``amount`` per cent in care workers' pay relative to ``comparator``."""

    type: Literal["care_worker_pay"]
    amount_range: ClassVar[tuple[float, float]] = (0.0, 100.0)
    driver: ClassVar[Driver] = Driver.LEAVER_RATES
    amount_meaning: ClassVar[str] = "pay rise relative to `comparator`, per cent"
    timing: ClassVar[str] = "leaver rates x (1 - s x amount x ramp / r0), at least 0"
    cost_unit: ClassVar[str] = ("head in post at the base year, a year x ramp, on top of "
                                "`annual_pay` x amount / 100 a head")
    extra_fields: ClassVar[str] = (
        "`comparator`, `annual_pay` (required); `separation_cut_per_pay_point` (s; default "
        "the evidence library's), `base_leaver_rate` (r0; default the group's); a social "
        "care staff group or role"
    )

    #: What the rise is relative to (the pay care workers would otherwise get).
    comparator: str = Field(min_length=1)
    #: Care workers' pay before the rise, GBP a head a year (what the rise is charged on).
    annual_pay: float = Field(gt=0, allow_inf_nan=False)
    #: Cut in the annual separation rate per 1% of pay (a fraction: 0.003 = 0.3 points).
    separation_cut_per_pay_point: NumberOrDistribution | None = None
    #: The leaver rate the cut is taken from; None: the group's base-year mean.
    base_leaver_rate: float | None = Field(default=None, gt=0, le=1)
    #: Where the runs layer took the relation from, when the scenario left it out.
    relation_source: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _relation_in_range(self) -> CareWorkerPay:
        for name, (value, limits) in self.sampled_fields().items():
            problem = check_number_or_distribution(value, limits)  # type: ignore[arg-type]
            if problem:
                raise ValueError(f"{name} {problem}")
        return self

    def sampled_fields(self) -> dict[str, tuple[object, tuple[float, float]]]:
        """Return the relation, drawn per draw when given as a distribution."""
        if self.separation_cut_per_pay_point is None:
            return {}
        return {RELATION: (self.separation_cut_per_pay_point, CUT_RANGE)}

    def base_rate(self, builder: EffectBuilder, g: int) -> float:
        """Return ``r0``: the field, else group ``g``'s headcount-weighted base leaver rate."""
        if self.base_leaver_rate is not None:
            return self.base_leaver_rate
        stock = builder.inputs.array("stock_hc")[:, g, :] * builder.area_mask(self)[:, None]
        rates = builder.inputs.array("leaver_rate")[:, g, :]
        heads = float(stock.sum())
        rate = float((stock * rates).sum()) / heads if heads > 0 else 0.0
        if rate <= 0:
            raise ScenarioError([f"{self.type}: staff group {self.staff_group!r} has no "
                                 "leavers at the base year to cut; give base_leaver_rate"])
        return rate

    def _record(self, builder: EffectBuilder, index: int, base: float) -> None:
        """Record the relation and base rate used, and where they came from."""
        value = self.separation_cut_per_pay_point
        assert value is not None
        shown = value if isinstance(value, float | int) else value.model_dump()
        source = self.relation_source or "given in the scenario"
        builder.effects.assumptions.append(Assumption(
            name=f"interventions[{index}].{RELATION}", value=shown,
            reason=f"care worker pay relation used; {source}"))
        if self.base_leaver_rate is None:
            builder.note(index, "base_leaver_rate", base,
                         "the staff group's headcount-weighted leaver rate at the base year")

    def apply(self, builder: EffectBuilder, index: int, amount: np.ndarray,
              fraction: np.ndarray) -> None:
        """Scale leaver rates by the relation; charge the rise on ``annual_pay`` a head."""
        if self.separation_cut_per_pay_point is None:
            raise ScenarioError([f"interventions[{index}] ({self.type}): {RELATION} not given "
                                 "(wfplan project fills it from the evidence library)"])
        groups = builder.group_index(self)
        base = self.base_rate(builder, groups[0])
        self._record(builder, index, base)
        cut = builder.draws.values[intervention_key(index, self, RELATION)]
        pay = np.asarray(amount, dtype=np.float64)
        relative = np.outer(cut * pay / base, fraction)
        builder.scale_leaver_rates(self, groups, np.maximum(1.0 - relative, 0.0))
        _per_head(builder, self, groups, self.annual_pay * np.outer(pay, fraction) / 100.0)
