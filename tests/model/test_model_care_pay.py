"""The ``care_worker_pay`` intervention: hand-computed leavers and cost, draws, refusals."""

import numpy as np
import pytest

from wfplan.model import run
from wfplan.model.errors import ScenarioError

PAY = {"comparator": "the National Living Wage", "annual_pay": 20_000.0,
       "separation_cut_per_pay_point": 0.003}


def cell(results, name, g):
    return results.variable(name).values[0, :, 0, g]


def test_a_pay_rise_cuts_care_leavers_by_the_points_the_relation_implies_and_nothing_else(
        make_inputs, make_scenario, make_intervention):
    # two groups: "care" leaves at 25% a year, "other" at 10%; the rise is for "care" only
    inputs = make_inputs(groups=("care", "other"), stock=1000.0, leaver_rate=[[[0.25], [0.1]]])
    item = make_intervention("care_worker_pay", staff_group="care", amount=10,
                             cost_per_unit=50.0, **PAY)
    results = run(inputs, make_scenario(horizon=3, interventions=[item]))
    # a 10% rise cuts the separation rate by 10 x 0.3 = 3 points: 25% -> 22%
    stock = 1000.0 * 0.78 ** np.arange(4)
    np.testing.assert_allclose(cell(results, "supply_hc", 0), stock, rtol=1e-12)
    np.testing.assert_allclose(cell(results, "leavers_hc", 0)[1:], 0.22 * stock[:-1],
                               rtol=1e-12)
    # the other group is as without it
    np.testing.assert_allclose(cell(results, "supply_hc", 1), 1000.0 * 0.9 ** np.arange(4),
                               rtol=1e-12)
    # cost: 10% of 20,000 a head plus 50 a head, on the 1,000 heads at the base year
    np.testing.assert_allclose(cell(results, "intervention_cost_gbp", 0)[1:], 2_050_000.0)
    np.testing.assert_allclose(cell(results, "intervention_cost_gbp", 1), 0.0)
    names = {a.name: a for a in results.metadata.assumptions}
    assert names["interventions[0].base_leaver_rate"].value == pytest.approx(0.25)
    assert "given in the scenario" in names["interventions[0].separation_cut_per_pay_point"].reason


def test_the_cut_is_taken_at_the_groups_headcount_weighted_rate(make_inputs, make_scenario,
                                                                make_intervention):
    # 600 heads leave at 30% and 400 at 20%: r0 = 26%, so every band's rate x (1 - 3 / 26)
    inputs = make_inputs(ages=("young", "old"), stock=[[[600.0, 400.0]]],
                         leaver_rate=[[[0.3, 0.2]]])
    item = make_intervention("care_worker_pay", amount=10, **PAY)
    cut = run(inputs, make_scenario(horizon=1, interventions=[item]))
    base = run(inputs, make_scenario(horizon=1))
    assert cell(cut, "leavers_hc", 0)[1] == pytest.approx(
        cell(base, "leavers_hc", 0)[1] * (1 - 0.03 / 0.26), rel=1e-12)
    names = {a.name: a.value for a in cut.metadata.assumptions}
    assert names["interventions[0].base_leaver_rate"] == pytest.approx(0.26)
    # a base rate given in the scenario is used instead
    given = make_intervention("care_worker_pay", amount=10, base_leaver_rate=0.3, **PAY)
    at_given = run(inputs, make_scenario(horizon=1, interventions=[given]))
    assert cell(at_given, "leavers_hc", 0)[1] == pytest.approx(
        cell(base, "leavers_hc", 0)[1] * 0.9, rel=1e-12)


def test_each_draw_uses_its_own_relation_and_the_ramp_scales_it(make_inputs, make_scenario,
                                                                make_intervention):
    inputs = make_inputs(stock=1000.0, leaver_rate=0.25)
    spread = {"dist": "triangular", "low": 0.001, "mode": 0.003, "high": 0.005}
    item = make_intervention("care_worker_pay", name="pay", amount=10, ramp_years=2, **{
        **PAY, "separation_cut_per_pay_point": spread})
    results = run(inputs, make_scenario(horizon=2, draws=40, seed=5, interventions=[item]))
    cut = results.sampled["interventions.pay.separation_cut_per_pay_point"]
    assert cut[0] == 0.003
    assert len(np.unique(cut)) == 41
    assert ((cut >= 0.001) & (cut <= 0.005)).all()
    hc = results.variable("supply_hc").values[:, 1, 0, 0]
    # first year of a two-year ramp: half the cut
    np.testing.assert_allclose(hc, 1000.0 * (1 - 0.25 * (1 - cut * 10 * 0.5 / 0.25)),
                               rtol=1e-12)


def test_no_rise_is_the_baseline_and_a_large_one_stops_leaving_at_zero(
        make_inputs, make_scenario, make_intervention):
    inputs = make_inputs(stock=500.0, leaver_rate=0.2, other_joiners=30.0)
    base = run(inputs, make_scenario(horizon=3))
    none = run(inputs, make_scenario(horizon=3, interventions=[
        make_intervention("care_worker_pay", amount=0, **PAY)]))
    for name in ("supply_hc", "supply_fte", "leavers_hc"):
        np.testing.assert_array_equal(none.variable(name).values, base.variable(name).values)
    large = run(inputs, make_scenario(horizon=1, interventions=[
        make_intervention("care_worker_pay", amount=100, **PAY)]))
    assert cell(large, "leavers_hc", 0)[1] == 0.0


def test_a_record_without_its_relation_is_refused_by_the_model(make_inputs, make_scenario,
                                                               make_intervention):
    item = make_intervention("care_worker_pay", amount=5, comparator="NLW", annual_pay=1.0)
    with pytest.raises(ScenarioError, match="separation_cut_per_pay_point not given"):
        run(make_inputs(), make_scenario(horizon=1, interventions=[item]))


def test_a_group_without_leavers_needs_a_base_rate(make_inputs, make_scenario,
                                                   make_intervention):
    item = make_intervention("care_worker_pay", amount=5, **PAY)
    with pytest.raises(ScenarioError, match="give base_leaver_rate"):
        run(make_inputs(leaver_rate=0.0), make_scenario(horizon=1, interventions=[item]))


@pytest.mark.parametrize(("fields", "message"), [
    ({"amount": 120}, "amount"),
    ({"separation_cut_per_pay_point": 0.2}, "separation_cut_per_pay_point"),
    ({"annual_pay": 0}, "annual_pay"),
    ({"comparator": ""}, "comparator"),
    ({"base_leaver_rate": 0}, "base_leaver_rate"),
    ({"staff_group": "all"}, "not allowed"),
])
def test_bad_fields_are_refused_when_read(make_scenario, make_intervention, fields, message):
    record = make_intervention("care_worker_pay", amount=5, **PAY)
    record.update(fields)
    with pytest.raises(ValueError, match=message):
        make_scenario(interventions=[record])
