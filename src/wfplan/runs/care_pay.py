"""Scenarios' ``care_worker_pay`` interventions checked and filled from the evidence library.

:func:`with_care_pay` refuses a ``care_worker_pay`` intervention whose staff
group (or role) is not in adult social care, and gives every one that leaves
``separation_cut_per_pay_point`` out the evidence library's relation as a
triangular distribution, so that each Monte Carlo draw takes its own
(:mod:`wfplan.inputs.care_pay`, docs/social-care.md).
"""

from __future__ import annotations

from wfplan.dataset import codelists
from wfplan.errors import InputError
from wfplan.inputs.care_pay import PayRelation, pay_relation
from wfplan.model.care_pay import RELATION, CareWorkerPay
from wfplan.model.distributions import Triangular
from wfplan.model.scenario import Scenario

#: The sector whose staff a care worker pay rise may target.
SECTOR = "social_care"


def social_care_codes() -> frozenset[str]:
    """Return the staff-group and role codes of adult social care (from the code lists)."""
    groups = {row["code"] for row in codelists.get("staff_group").rows
              if row["sector"] == SECTOR}
    roles = {row["code"] for row in codelists.get("role").rows if row["staff_group"] in groups}
    return frozenset(groups | roles)


def check_care_pay(scenario: Scenario) -> None:
    """Refuse a ``care_worker_pay`` intervention outside adult social care.

    Raises
    ------
    InputError
        Naming the intervention, its staff group and the codes allowed.
    """
    allowed = social_care_codes()
    for index, item in enumerate(scenario.interventions):
        if isinstance(item, CareWorkerPay) and item.staff_group not in allowed:
            raise InputError(
                f"scenario {scenario.name!r}: interventions[{index}] (care_worker_pay): "
                f"staff_group {item.staff_group!r} is not an adult social care staff group "
                f"or role (the pay relation is care workers'); use one of "
                f"{', '.join(sorted(allowed))}")


def fill_care_pay(scenario: Scenario, relation: PayRelation) -> Scenario:
    """Return ``scenario`` with the pay relation of every ``care_worker_pay`` that leaves it out."""
    spread = Triangular(dist="triangular", low=relation.low, mode=relation.value,
                        high=relation.high)
    items = []
    for item in scenario.interventions:
        if isinstance(item, CareWorkerPay) and item.separation_cut_per_pay_point is None:
            update = {RELATION: spread, "relation_source": f"filled {RELATION}; "
                                                           f"{relation.source()}"}
            item = type(item).model_validate({**item.model_dump(exclude_none=True), **update})
        items.append(item)
    return scenario.model_copy(update={"interventions": items})


def with_care_pay(scenario: Scenario) -> Scenario:
    """Return ``scenario`` checked and with its care worker pay relations filled.

    A scenario without a ``care_worker_pay`` intervention is returned as it is,
    and the evidence library is not read.
    """
    items = [item for item in scenario.interventions if isinstance(item, CareWorkerPay)]
    if not items:
        return scenario
    check_care_pay(scenario)
    if all(item.separation_cut_per_pay_point is not None for item in items):
        return scenario
    try:
        relation = pay_relation()
    except LookupError as error:
        raise InputError(f"scenario {scenario.name!r}: a care_worker_pay intervention leaves "
                         f"{RELATION} out and the evidence library has none: {error}; give "
                         f"{RELATION} in the scenario") from None
    return fill_care_pay(scenario, relation)
