"""The care worker pay relation in the evidence library, and scenarios checked and filled."""

from __future__ import annotations

import pytest

from wfplan.errors import InputError
from wfplan.inputs.care_pay import PARAMETER, pay_relation
from wfplan.inputs.evidence import EvidenceLibrary, load_library
from wfplan.model import parse_scenario
from wfplan.runs.care_pay import social_care_codes, with_care_pay


def _scenario(group: str = "asc_direct_care", **fields: object):
    item = {"type": "care_worker_pay", "staff_group": group, "amount": 10,
            "start_year": 2026, "comparator": "the National Living Wage",
            "annual_pay": 22_000, "source": "test", "owner": "tests", **fields}
    return parse_scenario({"name": "pay", "horizon": 3, "level": "region",
                           "interventions": [item]})


def test_the_relation_is_the_published_one_with_its_source():
    relation = pay_relation()
    assert (relation.value, relation.low, relation.high) == pytest.approx((0.003, 0.001, 0.005))
    assert relation.row_id == "care_worker_pay_separation_2023"
    assert "Vadean F, Saloniki E-C. Job Quality and Job Separation of Direct Care Workers in " \
           "England. Innovation in Aging 2023" in relation.citation
    row = next(r for r in load_library().rows if r.id == relation.row_id)
    assert (row.status, row.staff_group, row.sector) == ("published", "asc_direct_care",
                                                        "social_care")
    assert "wfplan assumption" in row.reasoning  # the high, and the relative reading


def test_a_library_without_the_row_says_so():
    library = load_library()
    empty = EvidenceLibrary(version="x", path="x",
                            rows=tuple(r for r in library.rows if r.parameter != PARAMETER))
    with pytest.raises(LookupError, match=PARAMETER):
        pay_relation(empty)


def test_a_left_out_relation_is_filled_as_a_triangular_and_a_given_one_kept():
    filled = with_care_pay(_scenario()).interventions[0]
    spread = filled.separation_cut_per_pay_point
    assert spread.dist == "triangular"
    assert (spread.low, spread.mode, spread.high) == pytest.approx((0.001, 0.003, 0.005))
    assert "row care_worker_pay_separation_2023" in filled.relation_source
    given = with_care_pay(_scenario(separation_cut_per_pay_point=0.002)).interventions[0]
    assert given.separation_cut_per_pay_point == 0.002
    assert given.relation_source is None
    plain = parse_scenario({"name": "plain", "horizon": 3, "level": "region"})
    assert with_care_pay(plain) is plain


def test_only_social_care_staff_groups_and_roles_may_have_the_rise():
    assert {"asc_direct_care", "care_worker", "senior_care_worker"} <= social_care_codes()
    assert "nurses_health_visitors" not in social_care_codes()
    with_care_pay(_scenario("care_worker"))
    with pytest.raises(InputError, match="staff_group 'nurses_health_visitors' is not an adult "
                                         "social care staff group or role"):
        with_care_pay(_scenario("nurses_health_visitors"))


def test_the_tornado_moves_the_pay_relation_like_any_drawn_quantity():
    from wfplan.runs.tornado import quantities, with_value

    scenario = with_care_pay(_scenario(name="pay"))
    moved = {q.key: q for q in quantities(scenario)}
    relation = moved["interventions.pay.separation_cut_per_pay_point"]
    assert relation.central == pytest.approx(0.003)
    assert relation.points == pytest.approx((0.001, 0.005))  # a triangular's low and high
    changed = with_value(scenario, "interventions.pay.separation_cut_per_pay_point", 0.004)
    assert changed.interventions[0].separation_cut_per_pay_point == 0.004
    assert changed.interventions[0].amount == 10
