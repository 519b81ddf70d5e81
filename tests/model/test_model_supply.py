"""Supply: hand-computed cohort cases, the training pipeline, conservation and growth from zero."""

import numpy as np
import pytest

from wfplan.model import run


def principal(results, name):
    return results.variable(name).values[0, :, 0, 0]


def test_one_band_without_ageing_matches_the_closed_form(make_inputs, make_scenario):
    # leavers are taken from the start-of-year stock, then the year's joiners are added:
    # S[t] = S0 (1-l)^t + J (1 - (1-l)^t) / l
    stock, leaver_rate, joiners = 1000.0, 0.1, 50.0
    inputs = make_inputs(stock=stock, leaver_rate=leaver_rate, other_joiners=joiners)
    results = run(inputs, make_scenario(horizon=12))
    t = np.arange(13)
    expected = stock * (1 - leaver_rate) ** t + joiners * (1 - (1 - leaver_rate) ** t) / leaver_rate
    np.testing.assert_allclose(principal(results, "supply_hc"), expected, rtol=1e-12)
    leavers = principal(results, "leavers_hc")
    assert np.isnan(leavers[0])
    np.testing.assert_allclose(leavers[1:], leaver_rate * expected[:-1], rtol=1e-12)


def test_survivors_age_into_the_next_band_by_one_over_the_width(make_inputs, make_scenario):
    inputs = make_inputs(
        ages=("young", "old"), widths=[4.0, np.inf], stock=[100.0, 0.0], leaver_rate=0.0
    )
    results = run(inputs, make_scenario(horizon=3))
    by_age = results.supply_hc_by_age().sel(area="A", staff_group="g").values
    np.testing.assert_allclose(by_age[:, 0], 100.0 * 0.75 ** np.arange(4), rtol=1e-12)
    np.testing.assert_allclose(by_age.sum(axis=1), 100.0, rtol=1e-12)


def test_the_oldest_band_does_not_age_out(make_inputs, make_scenario):
    inputs = make_inputs(
        ages=("young", "old"), widths=[5.0, 0.0], stock=[0.0, 80.0], leaver_rate=0.0
    )
    results = run(inputs, make_scenario(horizon=5))
    np.testing.assert_array_equal(principal(results, "supply_hc"), 80.0)


def test_a_training_cohort_arrives_exactly_after_its_duration(
    make_inputs, make_scenario, make_intervention
):
    inputs = make_inputs(stock=0.0, leaver_rate=0.0)
    places = make_intervention(
        "training_places",
        amount=100,
        start_year=2026,
        duration_years=3,
        completion_rate=0.5,
        take_up_rate=0.8,
        cost_per_unit=1000,
    )
    results = run(inputs, make_scenario(horizon=8, interventions=[places]))
    newly_qualified = principal(results, "joiners_newly_qualified_hc")
    years = np.array(results.years)
    assert np.isnan(newly_qualified[0])
    np.testing.assert_array_equal(newly_qualified[(years > 2024) & (years < 2029)], 0.0)
    np.testing.assert_allclose(newly_qualified[years >= 2029], 100 * 0.5 * 0.8, rtol=1e-12)
    cost = principal(results, "intervention_cost_gbp")
    np.testing.assert_allclose(cost[years >= 2026], 100 * 1000, rtol=1e-12)
    np.testing.assert_array_equal(cost[years < 2026], 0.0)


def test_baseline_places_by_year_feed_newly_qualified_after_the_duration(
    make_inputs, make_scenario
):
    years = list(range(2018, 2031))
    places = [10.0 * (i + 1) for i in range(len(years))]
    inputs = make_inputs(
        stock=0.0,
        leaver_rate=0.0,
        training_places=np.c_[places],
        training_years=years,
        duration=3,
        completion=0.5,
        take_up=0.5,
    )
    results = run(inputs, make_scenario(horizon=6))
    arrivals = principal(results, "joiners_newly_qualified_hc")[1:]
    expected = [places[years.index(year - 3)] * 0.25 for year in range(2025, 2031)]
    np.testing.assert_allclose(arrivals, expected, rtol=1e-12)


def test_places_multiplier_scales_only_intakes_after_the_base_year(make_inputs, make_scenario):
    inputs = make_inputs(stock=0.0, leaver_rate=0.0, training_places=100.0, duration=2)
    scenario = make_scenario(horizon=4, parameters={"training_places_multiplier": 2.0})
    arrivals = principal(run(inputs, scenario), "joiners_newly_qualified_hc")[1:]
    # intakes of 2023 and 2024 arrive in 2025 and 2026; 2025 and 2026 intakes are doubled
    np.testing.assert_allclose(arrivals, [100.0, 100.0, 200.0, 200.0], rtol=1e-12)


def test_a_staff_group_grows_from_zero_through_joiners(
    make_inputs, make_scenario, make_intervention
):
    inputs = make_inputs(
        groups=("established", "new_role"), stock=[[[500.0], [0.0]]], leaver_rate=0.1
    )
    recruits = make_intervention(
        "international_recruitment", staff_group="new_role", amount=30, ramp_years=0
    )
    results = run(inputs, make_scenario(horizon=6, interventions=[recruits]))
    supply = results.variable("supply_hc").sel(draw=0, area="A", staff_group="new_role").values
    t = np.arange(7)
    np.testing.assert_allclose(supply, 30 * (1 - 0.9**t) / 0.1, rtol=1e-12)
    counterfactual = (
        results.variable("counterfactual_supply_fte")
        .sel(draw=0, area="A", staff_group="new_role")
        .values
    )
    np.testing.assert_array_equal(counterfactual, 0.0)


def test_retention_scales_leaver_rates_relatively(make_inputs, make_scenario, make_intervention):
    inputs = make_inputs(stock=1000.0, leaver_rate=0.2)
    retention = make_intervention("retention", amount=0.25, ramp_years=0)
    results = run(inputs, make_scenario(horizon=3, interventions=[retention]))
    np.testing.assert_allclose(
        principal(results, "supply_hc"), 1000 * 0.85 ** np.arange(4), rtol=1e-12
    )


def test_interventions_ramp_linearly_from_the_start_year(
    make_inputs, make_scenario, make_intervention
):
    inputs = make_inputs(stock=0.0, leaver_rate=0.0)
    returners = make_intervention(
        "return_to_practice", amount=90, start_year=2026, ramp_years=3, end_year=2030
    )
    flow = principal(
        run(inputs, make_scenario(horizon=8, interventions=[returners])),
        "joiners_return_to_practice_hc",
    )[1:]
    np.testing.assert_allclose(flow, [0, 30, 60, 90, 90, 90, 0, 0], rtol=1e-12)


def test_employer_hub_joiners_arrive_in_its_area_after_the_lead_time(
    make_inputs, make_scenario, make_intervention
):
    inputs = make_inputs(areas=("A", "B"), stock=0.0, leaver_rate=0.0)
    hub = make_intervention("employer_hub", amount=20, area="B", lead_time_years=2)
    results = run(inputs, make_scenario(horizon=5, interventions=[hub]))
    flow = results.variable("joiners_employer_hub_hc").values[0, 1:]
    np.testing.assert_allclose(flow[:, 0, 0], 0.0)
    np.testing.assert_allclose(flow[:, 1, 0], [0, 0, 20, 20, 20])


def test_national_places_are_split_between_areas_by_headcount(
    make_inputs, make_scenario, make_intervention
):
    inputs = make_inputs(areas=("A", "B"), stock=[[[300.0]], [[100.0]]], leaver_rate=0.0)
    places = make_intervention(
        "training_places", amount=40, duration_years=1, completion_rate=1.0, take_up_rate=1.0
    )
    results = run(inputs, make_scenario(horizon=2, interventions=[places]))
    arrivals = results.variable("joiners_newly_qualified_hc").values[0, 2, :, 0]
    np.testing.assert_allclose(arrivals, [30.0, 10.0], rtol=1e-12)
    assert any(item["name"] == "area_share" for item in results.metadata.record()["assumptions"])


def test_leaver_rates_are_capped_at_one(make_inputs, make_scenario):
    inputs = make_inputs(stock=100.0, leaver_rate=0.6, other_joiners=10.0)
    results = run(inputs, make_scenario(horizon=2, parameters={"leaver_rate_multiplier": 3.0}))
    np.testing.assert_allclose(principal(results, "supply_hc"), [100.0, 10.0, 10.0])


def test_flexible_working_changes_fte_not_headcount(make_inputs, make_scenario, make_intervention):
    inputs = make_inputs(stock=100.0, leaver_rate=0.0, fte_per_head=0.8)
    flexible = make_intervention("flexible_working", staff_group="all", amount=-0.1)
    results = run(inputs, make_scenario(horizon=2, interventions=[flexible]))
    np.testing.assert_allclose(principal(results, "supply_hc"), 100.0)
    np.testing.assert_allclose(principal(results, "supply_fte"), [80.0, 72.0, 72.0], rtol=1e-12)
    np.testing.assert_allclose(principal(results, "counterfactual_supply_fte"), 80.0)


@pytest.mark.parametrize("workers", [1, 3])
def test_stock_changes_by_exactly_joiners_minus_leavers(
    make_inputs, make_scenario, make_intervention, workers
):
    rng = np.random.default_rng(7)
    inputs = make_inputs(
        areas=("A", "B", "C"),
        groups=("g", "h"),
        ages=("a1", "a2", "a3", "a4"),
        widths=[5, 5, 10, np.inf],
        stock=np.round(rng.uniform(0, 500, (3, 2, 4))),
        leaver_rate=rng.uniform(0.02, 0.3, (3, 2, 4)),
        other_joiners=[[12.0, 7.0]] * 3,
        international=3.0,
        return_to_practice=1.0,
        training_places=[40.0, 0.0],
        duration=[3, 2],
        completion=0.8,
        take_up=0.9,
        joiner_profile=[[0.4, 0.3, 0.2, 0.1], [0.25, 0.25, 0.25, 0.25]],
        nq_profile=[[0.7, 0.3, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0]],
    )
    scenario = make_scenario(
        horizon=12,
        draws=25,
        seed=3,
        parameters={"leaver_rate_multiplier": {"dist": "uniform", "low": 0.8, "high": 1.2}},
        interventions=[
            make_intervention("training_places", amount=20, ramp_years=2),
            make_intervention("retention", staff_group="h", amount=0.2, area="B"),
            make_intervention("apprenticeship", amount=5, duration_years=2),
            make_intervention("employer_hub", staff_group="h", amount=4, area="C"),
        ],
    )
    results = run(inputs, scenario, workers=workers)
    stock = results.variable("supply_hc").values
    change = np.diff(stock, axis=1)
    flows = (
        results.variable("joiners_hc").values[:, 1:] - results.variable("leavers_hc").values[:, 1:]
    )
    np.testing.assert_allclose(change, flows, rtol=0, atol=1e-9)
    by_age = results.supply_hc_by_age().values.sum(axis=-1)
    np.testing.assert_allclose(by_age, stock[0], rtol=0, atol=1e-9)
