"""The ``wellbeing`` intervention: a programme that cuts burnout (docs/wellbeing.md).

``amount`` is the cut in the share of staff who are burnt out, in percentage
points, at full effect (``ramp``). It moves two drivers through relations
estimated outside the model and passed in as the intervention's fields:

* **Sickness absence, so available FTE.** The sickness absence rate falls by
  ``sickness_per_burnout_point`` percentage points per point of burnout cut
  (the slope across NHS trusts, ``wfplan wellbeing``). With ``s0`` the base
  sickness rate and ``c`` the cut (a fraction), the share of each FTE in post
  that is available rises from ``1 - s0`` to ``1 - s0 + b c``, so FTE per head
  is multiplied by ``1 + b c ramp / (1 - s0)``.
* **Leaver rates.** Burnt-out staff leave at ``R`` times the rate of the
  others (``R = exp(log_leaver_ratio)``, from the evidence library). With
  ``p0`` the base burnout share, a group's leaver rate is proportional to
  ``1 - p + R p``; cutting ``p`` by ``c`` multiplies it by
  ``1 - (R - 1) c ramp / (1 + (R - 1) p0)``. The cut is capped at ``p0``.

``sickness_per_burnout_point`` and ``log_leaver_ratio`` may be distributions;
each is drawn per Monte Carlo draw on its own stream
(``interventions.<name>.sickness_per_burnout_point`` …), so the uncertainty of
the estimates is carried into the results. Left out, the runs layer fills all
four relation fields from the vintage's estimate and the evidence library
(:mod:`wfplan.runs.wellbeing`); the model itself refuses a record without them.
Cost: ``cost_per_unit`` per head in post at the base year, a year x ramp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

# the built-in types register first, whichever module is imported first, so that the
# registry (the scenario schema, the table of types) has one fixed order
from wfplan.model import intervention_types  # noqa: F401
from wfplan.model.assumptions import Assumption
from wfplan.model.errors import ScenarioError
from wfplan.model.interventions_spec import (
    Driver,
    Intervention,
    NumberOrDistribution,
    intervention_key,
)
from wfplan.model.values import check_number_or_distribution

if TYPE_CHECKING:
    from wfplan.model.interventions import EffectBuilder

#: Allowed range of the sickness slope (points of sickness per point of burnout).
SLOPE_RANGE = (-1.0, 1.0)
#: Allowed range of the log of the leaver-rate ratio of burnt-out staff.
LOG_RATIO_RANGE = (-3.0, 3.0)
#: The relation fields, which the runs layer fills when a scenario leaves them out.
RELATIONS = ("sickness_per_burnout_point", "base_sickness_rate", "log_leaver_ratio",
             "base_burnout_rate")


class Wellbeing(Intervention):
    """A programme that cuts burnout by ``amount`` percentage points at full effect."""

    type: Literal["wellbeing"]
    amount_range: ClassVar[tuple[float, float]] = (0.0, 100.0)
    allows_all_groups: ClassVar[bool] = True
    driver: ClassVar[Driver] = Driver.BURNOUT
    amount_meaning: ClassVar[str] = "cut in the share burnt out, percentage points"
    timing: ClassVar[str] = (
        "FTE per head x (1 + b c ramp / (1 - s0)); leaver rates x "
        "(1 - (R - 1) c ramp / (1 + (R - 1) p0))"
    )
    cost_unit: ClassVar[str] = "head in post at the base year, a year x ramp"
    extra_fields: ClassVar[str] = (
        "`sickness_per_burnout_point` (b), `base_sickness_rate` (s0), `log_leaver_ratio` "
        "(ln R), `base_burnout_rate` (p0): default the vintage's estimate; "
        '`staff_group` may be `"all"`'
    )

    sickness_per_burnout_point: NumberOrDistribution | None = None
    base_sickness_rate: float | None = Field(default=None, ge=0, lt=1)
    log_leaver_ratio: NumberOrDistribution | None = None
    base_burnout_rate: float | None = Field(default=None, ge=0, le=1)
    #: Where the runs layer took the relation fields from, when the scenario left them out.
    relations_source: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _relations_in_range(self) -> Wellbeing:
        for name, (value, limits) in self.sampled_fields().items():
            problem = check_number_or_distribution(value, limits)  # type: ignore[arg-type]
            if problem:
                raise ValueError(f"{name} {problem}")
        return self

    def missing_relations(self) -> list[str]:
        """Return the relation fields left out (the runs layer fills them before a run)."""
        return [name for name in RELATIONS if getattr(self, name) is None]

    def sampled_fields(self) -> dict[str, tuple[object, tuple[float, float]]]:
        """Return the two relations, each drawn per draw when given as a distribution."""
        fields: dict[str, tuple[object, tuple[float, float]]] = {}
        if self.sickness_per_burnout_point is not None:
            fields["sickness_per_burnout_point"] = (self.sickness_per_burnout_point,
                                                    SLOPE_RANGE)
        if self.log_leaver_ratio is not None:
            fields["log_leaver_ratio"] = (self.log_leaver_ratio, LOG_RATIO_RANGE)
        return fields

    def _record(self, builder: EffectBuilder, index: int) -> None:
        """Record the relations used, with their source, when the runs layer filled them."""
        if self.relations_source is None:
            return
        for name in RELATIONS:
            value = getattr(self, name)
            shown = value if isinstance(value, float | int) else value.model_dump()
            builder.effects.assumptions.append(Assumption(
                name=f"interventions[{index}].{name}", value=shown,
                reason=f"wellbeing relation used; {self.relations_source}"))

    def apply(
        self, builder: EffectBuilder, index: int, amount: np.ndarray, fraction: np.ndarray
    ) -> None:
        """Scale FTE per head and leaver rates through the two relations."""
        missing = self.missing_relations()
        if missing:
            raise ScenarioError([f"interventions[{index}] ({self.type}): {', '.join(missing)} "
                                 "not given (wfplan project fills them from the vintage's "
                                 "estimate: wfplan wellbeing)"])
        assert self.base_sickness_rate is not None
        assert self.base_burnout_rate is not None
        self._record(builder, index)
        values = builder.draws.values
        slope = values[intervention_key(index, self, "sickness_per_burnout_point")]
        ratio = np.exp(values[intervention_key(index, self, "log_leaver_ratio")])
        p0 = self.base_burnout_rate
        cut = np.minimum(np.asarray(amount, dtype=np.float64) / 100.0, p0)
        fte_gain = slope * cut / (1.0 - self.base_sickness_rate)
        leaver_cut = (ratio - 1.0) * cut / (1.0 + (ratio - 1.0) * p0)
        groups = builder.group_index(self)
        builder.scale_leaver_rates(self, groups, np.maximum(1.0 - np.outer(leaver_cut, fraction),
                                                            0.0))
        builder.scale_fte_per_head(self, groups, 1.0 + np.outer(fte_gain, fraction),
                                   charge=False)
