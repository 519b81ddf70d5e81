"""Levers for skills: credentials move heads between roles, retire-and-return touches only
the older bands; the skills-gap view keeps shortfalls and surpluses apart (docs/skills.md)."""

import numpy as np
import pytest

from wfplan.model import ScenarioError, run
from wfplan.model.skills import Substitution, skills_gap

BANDS = ("50_54", "55_59", "60_64", "65_plus")


def _credential(make_intervention, **fields):
    values = {"to_staff_group": "mh", "duration_years": 1, "completion_rate": 0.8,
              "end_year": 2025, "cost_per_unit": 500.0, **fields}
    return make_intervention("credential", staff_group="adult", amount=10, **values)


def test_a_credential_conserves_heads_and_closes_the_target_gap_by_hand(
    make_inputs, make_scenario, make_intervention
):
    inputs = make_inputs(areas=("A", "B"), groups=("adult", "mh"), stock=100.0,
                         leaver_rate=0.1, fte_per_head=0.9, vacancy=5.0)
    scenario = make_scenario(horizon=4, interventions=[_credential(make_intervention)])
    results = run(inputs, scenario)
    base = run(inputs, make_scenario(horizon=4))
    # heads: the moves out of adult and into mh are the same heads, year by year, area by area
    moves = results.values("joiners_other_hc")[0, 1:] - base.values("joiners_other_hc")[0, 1:]
    np.testing.assert_array_equal(moves[..., 0], -moves[..., 1])
    # 10 start in 2025; a year later 80% complete, split 50:50 by adult's area share
    np.testing.assert_array_equal(moves[:, 0, 1], [0.0, 4.0, 0.0, 0.0])
    heads = results.values("supply_hc")[0].sum(axis=-1)
    np.testing.assert_allclose(heads, base.values("supply_hc")[0].sum(axis=-1), rtol=1e-13)
    # in 2026 (they arrive last and do not leave that year) mh's gap closes by
    # 10 x 0.8 x 0.5 x 0.9 FTE per head = 3.6 FTE in each area, and adult's opens as much
    closed = results.values("gap_closed_fte")[0]
    np.testing.assert_allclose(closed[2, :, 1], [3.6, 3.6], rtol=1e-12)
    np.testing.assert_allclose(closed[2, :, 0], [-3.6, -3.6], rtol=1e-12)
    # 10 starters x 500 GBP in 2025, charged to the source role, split as the starters are
    cost = results.values("intervention_cost_gbp")[0]
    np.testing.assert_allclose(cost[1, :, 0], [2500.0, 2500.0], rtol=1e-12)
    assert not cost[..., 1].any()
    assert not cost[2:].any()


def test_a_credential_needs_its_duration_and_completion(make_scenario, make_intervention):
    record = _credential(make_intervention)
    del record["completion_rate"]
    with pytest.raises(ScenarioError, match="completion_rate"):
        make_scenario(interventions=[record])


def _older(make_inputs):
    return make_inputs(ages=BANDS, widths=[5, 5, 5, np.inf], stock=100.0, leaver_rate=0.1,
                       other_joiners=40.0, fte_per_head=0.8)


def test_retire_and_return_changes_only_the_55_plus_bands(
    make_inputs, make_scenario, make_intervention
):
    inputs = _older(make_inputs)
    item = make_intervention("retire_and_return", amount=0.5, returners=6.0,
                             returner_fte_ratio=0.5, cost_per_unit=100.0)
    results = run(inputs, make_scenario(horizon=5, interventions=[item]))
    base = run(inputs, make_scenario(horizon=5))
    by_age, before = results.principal_by_age, base.principal_by_age  # (T+1, A, G, K)
    np.testing.assert_array_equal(by_age[..., 0], before[..., 0])
    assert (by_age[1:, ..., 1:] > before[1:, ..., 1:]).all()
    # 2025: 55+ leavers 300 x 0.1 = 30 become 15, and 6 return: 21 more heads
    added = results.values("supply_hc")[0, 1, 0, 0] - base.values("supply_hc")[0, 1, 0, 0]
    assert added == pytest.approx(21.0, rel=1e-12)
    # returners work half the group's hours: FTE per head x (1 - 0.5 x 6 / 400) in 2025
    fte = results.values("supply_fte")[0, 1, 0, 0]
    assert fte == pytest.approx(results.values("supply_hc")[0, 1, 0, 0] * 0.8 * (1 - 3 / 400))
    assert results.values("intervention_cost_gbp")[0, 1, 0, 0] == pytest.approx(600.0)


def test_retire_and_return_names_a_band_of_the_inputs(
    make_inputs, make_scenario, make_intervention
):
    item = make_intervention("retire_and_return", amount=0.2, from_age_band="70_74")
    with pytest.raises(ScenarioError, match="70_74"):
        run(_older(make_inputs), make_scenario(horizon=2, interventions=[item]))
    with pytest.raises(ScenarioError, match="returner_fte_ratio"):
        make_scenario(interventions=[make_intervention("retire_and_return", amount=0.2,
                                                       returners=5.0)])


def test_the_skills_view_keeps_both_gaps_and_applies_substitutions_in_order():
    gap = np.array([10.0, -6.0, 3.0]).reshape(1, 1, 1, 3)
    codes = ("adult", "mh", "doctors")
    parent = {"adult": "nurses", "mh": "nurses"}
    names, view = skills_gap(gap, codes, parent)
    assert names == ("adult", "mh", "nurses")
    np.testing.assert_array_equal(view["shortfall_fte"].ravel(), [10.0, 0.0, 10.0])
    np.testing.assert_array_equal(view["surplus_fte"].ravel(), [0.0, 6.0, 6.0])
    allow = Substitution(from_role="adult", to_role="mh", ratio=2.0, source="test")
    _, view = skills_gap(gap, codes, parent, [allow])
    # 6 FTE of mental health nurses cover 3 FTE of adult demand at 2 FTE each
    np.testing.assert_array_equal(view["substituted_fte"].ravel(), [3.0, 0.0, 3.0])
    np.testing.assert_array_equal(view["shortfall_after_substitution_fte"].ravel(),
                                  [7.0, 0.0, 7.0])
    with pytest.raises(ValueError, match="not roles"):
        skills_gap(gap, codes, parent, [Substitution(from_role="adult", to_role="doctors",
                                                     source="test")])


def test_cpd_cuts_leaver_rates_by_its_sourced_effect_and_charges_the_spend(
    make_inputs, make_scenario, make_intervention
):
    inputs = make_inputs(areas=("A", "B"), stock=100.0, leaver_rate=0.1)
    item = make_intervention("cpd", amount=500.0, leaver_rate_cut_per_1000_gbp=0.1,
                             effect_source="test figure", area="B", cost_per_unit=20.0)
    results = run(inputs, make_scenario(horizon=2, interventions=[item]))
    leavers = results.values("leavers_hc")[0, 1, :, 0]
    # B: 100 x 0.1 x (1 - 0.1 x 500 / 1000) = 9.5 leavers; A untouched
    np.testing.assert_allclose(leavers, [10.0, 9.5], rtol=1e-12)
    # B: 500 GBP a head of CPD plus 20 GBP a head (cost_per_unit), 100 heads
    cost = results.values("intervention_cost_gbp")[0, 1, :, 0]
    np.testing.assert_allclose(cost, [0.0, 52000.0], rtol=1e-12)
    with pytest.raises(ScenarioError, match="effect_source"):
        make_scenario(interventions=[make_intervention("cpd", amount=500.0,
                                                       leaver_rate_cut_per_1000_gbp=0.1)])


def test_mobility_pools_a_surplus_with_a_shortfall_and_conserves_fte(
    make_inputs, make_scenario, make_intervention
):
    # in 2025 A is short by its 10 vacant FTE; B's 6 joiners put it 6 FTE above its need
    inputs = make_inputs(areas=("A", "B", "C"), stock=100.0, leaver_rate=0.0,
                         vacancy=[[10.0], [0.0], [5.0]], other_joiners=[[0.0], [6.0], [0.0]])
    item = make_intervention("mobility", amount=0.5, pool=["A", "B"], cost_per_unit=100.0)
    results = run(inputs, make_scenario(horizon=2, interventions=[item]))
    base = run(inputs, make_scenario(horizon=2))
    gap, before = results.values("gap_fte")[0, 1, :, 0], base.values("gap_fte")[0, 1, :, 0]
    np.testing.assert_allclose(before, [10.0, -6.0, 5.0])
    # half of B's 6 FTE surplus covers 3 of A's 10 FTE shortfall; C is not in the pool
    np.testing.assert_allclose(gap, [7.0, -3.0, 5.0], rtol=1e-12)
    assert results.values("supply_fte")[0, 1].sum() == pytest.approx(
        base.values("supply_fte")[0, 1].sum(), rel=1e-15)
    np.testing.assert_allclose(results.values("intervention_cost_gbp")[0, 1, :, 0],
                               [300.0, 0.0, 0.0], rtol=1e-12)
    assert (results.values("gap_fte")[0, 0] == base.values("gap_fte")[0, 0]).all()
