"""The wellbeing relations of a vintage, typed for the model, and scenarios filled with them.

:func:`wellbeing_parameters` joins the vintage's burnout–sickness estimate
(:mod:`wfplan.analysis.wellbeing`) and the evidence library's burnout–leaving
ratio (:mod:`wfplan.inputs.wellbeing`) into :class:`WellbeingParameters`, each
value with its unit and source. :func:`fill_wellbeing` gives every ``wellbeing``
intervention of a scenario that leaves its relations out these values: the
slope as a normal with the estimate's standard error and the log ratio as a
normal, so that each Monte Carlo draw takes its own (docs/wellbeing.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from wfplan.analysis.wellbeing import BurnoutSickness, NoWellbeingData, estimate
from wfplan.dataset.store import Store
from wfplan.errors import InputError
from wfplan.inputs.wellbeing import LeaverRelation, leaver_relation
from wfplan.model.distributions import Normal
from wfplan.model.scenario import Scenario
from wfplan.model.wellbeing import SLOPE_RANGE, Wellbeing

#: Units of the four relation fields.
UNITS = {
    "sickness_per_burnout_point": "percentage points of sickness absence per percentage "
                                  "point of burnout",
    "base_sickness_rate": "fraction of FTE days lost",
    "log_leaver_ratio": "log of the leaver-rate ratio, burnt out against not",
    "base_burnout_rate": "fraction of respondents burnt out",
}


@dataclass(frozen=True)
class WellbeingParameters:
    """The relations a ``wellbeing`` intervention uses, with their data and sources."""

    sickness: BurnoutSickness
    leavers: LeaverRelation

    def fields(self) -> dict[str, object]:
        """Return the intervention's relation fields (distributions where uncertain)."""
        fit = self.sickness.fit
        slope = (Normal(dist="normal", mean=fit.slope, sd=fit.se, low=SLOPE_RANGE[0],
                        high=SLOPE_RANGE[1]) if fit.se > 0 else fit.slope)
        return {
            "sickness_per_burnout_point": slope,
            "base_sickness_rate": self.sickness.mean_sickness,
            "log_leaver_ratio": Normal(dist="normal", mean=self.leavers.log_mean,
                                       sd=self.leavers.log_sd),
            "base_burnout_rate": self.sickness.mean_burnout,
        }

    def source(self) -> str:
        """Where the four values come from, in one sentence for the results' assumptions."""
        s = self.sickness
        return (f"sickness_per_burnout_point, base_sickness_rate and base_burnout_rate from "
                f"vintage {s.vintage!r}: OLS across {s.fit.n} NHS trusts of sickness absence "
                f"{s.sickness_months[0]:%Y-%m} to {s.sickness_months[1]:%Y-%m} on staff "
                f"survey burnout {s.survey_years[0]}-{s.survey_years[1]} (slope "
                f"{s.fit.slope:.4f}, HC1 se {s.fit.se:.4f}; an association, not causation); "
                f"log_leaver_ratio from {self.leavers.source()}")


def wellbeing_parameters(store: Store, vintage: str) -> WellbeingParameters:
    """Return the vintage's wellbeing relations (raises ``NoWellbeingData`` without data)."""
    return WellbeingParameters(sickness=estimate(store, vintage), leavers=leaver_relation())


def needs_relations(scenario: Scenario) -> bool:
    """Whether some ``wellbeing`` intervention of ``scenario`` leaves a relation out."""
    return any(isinstance(item, Wellbeing) and item.missing_relations()
               for item in scenario.interventions)


def fill_wellbeing(scenario: Scenario, parameters: WellbeingParameters) -> Scenario:
    """Return ``scenario`` with every left-out relation of its wellbeing interventions filled.

    Fields a scenario gives are kept; the relations used are recorded as
    assumptions of the run, naming those filled and :meth:`WellbeingParameters.source`.
    """
    values = parameters.fields()
    items = []
    for item in scenario.interventions:
        missing = item.missing_relations() if isinstance(item, Wellbeing) else []
        if missing:
            update = {name: values[name] for name in missing}
            update["relations_source"] = (f"filled {', '.join(missing)}; "
                                          f"{parameters.source()}")
            item = type(item).model_validate({**item.model_dump(exclude_none=True), **update})
        items.append(item)
    return scenario.model_copy(update={"interventions": items})


def with_wellbeing(store: Store, vintage: str, scenario: Scenario) -> Scenario:
    """Return ``scenario`` with its wellbeing relations filled from ``vintage`` where needed.

    A scenario without a wellbeing intervention that leaves its relations out
    is returned as it is, and the vintage is not read.

    Raises
    ------
    InputError
        When the relations are needed and the vintage lacks the data.
    """
    if not needs_relations(scenario):
        return scenario
    try:
        parameters = wellbeing_parameters(store, vintage)
    except (NoWellbeingData, LookupError) as error:
        raise InputError(f"scenario {scenario.name!r}: a wellbeing intervention leaves its "
                         f"relations out and they cannot be estimated: {error}; give "
                         "sickness_per_burnout_point, base_sickness_rate, log_leaver_ratio "
                         "and base_burnout_rate in the scenario") from None
    return fill_wellbeing(scenario, parameters)
