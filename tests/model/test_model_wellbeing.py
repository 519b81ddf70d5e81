"""The ``wellbeing`` intervention: hand-computed effects on leavers and FTE, draws, refusals."""

import math

import numpy as np
import pytest

from wfplan.model import run
from wfplan.model.errors import ScenarioError

RELATIONS = {"sickness_per_burnout_point": 0.02, "base_sickness_rate": 0.05,
             "log_leaver_ratio": math.log(1.5), "base_burnout_rate": 0.3}


def principal(results, name):
    return results.variable(name).values[0, :, 0, 0]


def test_a_cut_in_burnout_lowers_leavers_and_raises_available_fte_by_hand(
        make_inputs, make_scenario, make_intervention):
    inputs = make_inputs(stock=1000.0, leaver_rate=0.1, fte_per_head=0.9)
    item = make_intervention("wellbeing", amount=10, cost_per_unit=100, **RELATIONS)
    results = run(inputs, make_scenario(horizon=3, interventions=[item]))
    # R = 1.5, p0 = 0.3, cut c = 0.10: leaver rates x (1 - 0.5 x 0.1 / (1 + 0.5 x 0.3))
    rate = 0.1 * (1 - 0.05 / 1.15)
    stock = 1000.0 * (1 - rate) ** np.arange(4)
    np.testing.assert_allclose(principal(results, "supply_hc"), stock, rtol=1e-12)
    np.testing.assert_allclose(principal(results, "leavers_hc")[1:], rate * stock[:-1],
                               rtol=1e-12)
    # sickness falls by b c = 0.002: available share 0.95 -> 0.952, FTE x 0.952 / 0.95
    fte = stock * 0.9 * np.array([1.0, *[0.952 / 0.95] * 3])
    np.testing.assert_allclose(principal(results, "supply_fte"), fte, rtol=1e-12)
    # fewer leavers and more FTE than without it: the direction
    counterfactual = principal(results, "counterfactual_supply_fte")
    np.testing.assert_allclose(counterfactual, 900.0 * 0.9 ** np.arange(4), rtol=1e-12)
    assert (principal(results, "supply_fte")[1:] > counterfactual[1:]).all()
    # charged once per head in post at the base year, a year
    np.testing.assert_allclose(principal(results, "intervention_cost_gbp")[1:], 100_000.0)


def test_a_negative_slope_moves_fte_the_other_way(make_inputs, make_scenario,
                                                   make_intervention):
    inputs = make_inputs(stock=1000.0, leaver_rate=0.0)
    item = make_intervention("wellbeing", amount=10,
                             **{**RELATIONS, "sickness_per_burnout_point": -0.03})
    fte = principal(run(inputs, make_scenario(horizon=1, interventions=[item])), "supply_fte")
    assert fte[1] == pytest.approx(1000.0 * (1 - 0.003 / 0.95), rel=1e-12)


def test_each_draw_uses_its_own_slope_and_ratio(make_inputs, make_scenario, make_intervention):
    inputs = make_inputs(stock=1000.0, leaver_rate=0.1)
    item = make_intervention(
        "wellbeing", amount=5, name="wb", ramp_years=2, **{
            **RELATIONS,
            "sickness_per_burnout_point": {"dist": "normal", "mean": 0.02, "sd": 0.01},
            "log_leaver_ratio": {"dist": "normal", "mean": 0.45, "sd": 0.2}})
    results = run(inputs, make_scenario(horizon=2, draws=50, seed=3, interventions=[item]))
    slope = results.sampled["interventions.wb.sickness_per_burnout_point"]
    ratio = np.exp(results.sampled["interventions.wb.log_leaver_ratio"])
    assert slope[0] == 0.02
    assert ratio[0] == pytest.approx(math.exp(0.45))
    assert len(np.unique(slope)) == 51
    ramp = 0.5  # first year of a two-year ramp
    rate = 0.1 * (1 - (ratio - 1) * 0.05 * ramp / (1 + (ratio - 1) * 0.3))
    hc = results.variable("supply_hc").values[:, 1, 0, 0]
    np.testing.assert_allclose(hc, 1000.0 * (1 - rate), rtol=1e-12)
    fte = results.variable("supply_fte").values[:, 1, 0, 0]
    np.testing.assert_allclose(fte, hc * (1 + slope * 0.05 * ramp / 0.95), rtol=1e-12)


def test_the_same_seed_gives_the_same_draws_and_other_quantities_keep_theirs(
        make_inputs, make_scenario, make_intervention):
    inputs = make_inputs(stock=100.0)
    spread = {"dist": "normal", "mean": 0.02, "sd": 0.01}
    other = make_intervention("retention", name="keep",
                              amount={"dist": "uniform", "low": 0.0, "high": 0.2})
    wb = make_intervention("wellbeing", name="wb", amount=5,
                           **{**RELATIONS, "sickness_per_burnout_point": spread})
    alone = run(inputs, make_scenario(horizon=1, draws=20, seed=9, interventions=[other]))
    both = run(inputs, make_scenario(horizon=1, draws=20, seed=9, interventions=[other, wb]))
    again = run(inputs, make_scenario(horizon=1, draws=20, seed=9, interventions=[other, wb]))
    key = "interventions.keep.amount"
    np.testing.assert_array_equal(alone.sampled[key], both.sampled[key])
    np.testing.assert_array_equal(both.variable("supply_fte").values,
                                  again.variable("supply_fte").values)


def test_zero_cut_is_the_baseline(make_inputs, make_scenario, make_intervention):
    inputs = make_inputs(stock=500.0, leaver_rate=0.12, other_joiners=30.0)
    base = run(inputs, make_scenario(horizon=4))
    item = make_intervention("wellbeing", amount=0, **RELATIONS)
    cut = run(inputs, make_scenario(horizon=4, interventions=[item]))
    for name in ("supply_hc", "supply_fte", "leavers_hc"):
        np.testing.assert_array_equal(cut.variable(name).values, base.variable(name).values)


def test_a_record_without_its_relations_is_refused_by_the_model(make_inputs, make_scenario,
                                                                make_intervention):
    item = make_intervention("wellbeing", amount=5)
    with pytest.raises(ScenarioError, match="sickness_per_burnout_point"):
        run(make_inputs(), make_scenario(horizon=1, interventions=[item]))


def test_relations_out_of_range_are_refused_when_read(make_scenario, make_intervention):
    item = make_intervention("wellbeing", amount=5,
                             **{**RELATIONS, "sickness_per_burnout_point": 2.0})
    with pytest.raises(ValueError, match="sickness_per_burnout_point"):
        make_scenario(interventions=[item])
    with pytest.raises(ValueError, match="amount"):
        make_scenario(interventions=[make_intervention("wellbeing", amount=120, **RELATIONS)])
