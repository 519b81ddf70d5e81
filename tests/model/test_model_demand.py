"""Demand: the demographic driver, growth and productivity, need vs funded, skill mix."""

import numpy as np

from wfplan.model import run


def principal(results, name, area=0, group=0):
    return results.variable(name).values[0, :, area, group]


def two_age_population():
    # one area, two population age bands, years 2024..2027
    young = [1000.0, 1000.0, 1000.0, 1000.0]
    old = [100.0, 120.0, 150.0, 200.0]
    return np.array([[[[y, o]] for y, o in zip(young, old, strict=True)]])


def test_demand_under_a_pure_demographic_driver_is_the_utilisation_weighted_ratio(
    make_inputs, make_scenario
):
    inputs = make_inputs(
        stock=50.0,
        fte_per_head=0.8,
        vacancy=10.0,
        population=two_age_population(),
        population_bands=("0-64", "65+"),
        utilisation=[[1.0, 5.0]],
    )
    results = run(inputs, make_scenario(horizon=3))
    establishment = 50 * 0.8 + 10
    weighted = np.array([1000 + 5 * old for old in (100, 120, 150, 200)])
    np.testing.assert_allclose(
        principal(results, "demand_funded_fte"), establishment * weighted / weighted[0], rtol=1e-12
    )


def test_growth_and_productivity_compound(make_inputs, make_scenario):
    inputs = make_inputs(stock=100.0, leaver_rate=0.0)
    parameters = {"non_demographic_growth": 0.03, "productivity_growth": 0.02}
    results = run(inputs, make_scenario(horizon=5, parameters=parameters))
    t = np.arange(6)
    np.testing.assert_allclose(
        principal(results, "demand_funded_fte"), 100 * 1.03**t * 0.98**t, rtol=1e-12
    )


def test_productivity_intervention_adds_to_the_annual_gain_from_its_start(
    make_inputs, make_scenario, make_intervention
):
    inputs = make_inputs(stock=100.0, leaver_rate=0.0)
    gain = make_intervention("productivity", amount=0.01, start_year=2026)
    scenario = make_scenario(
        horizon=3, parameters={"productivity_growth": 0.02}, interventions=[gain]
    )
    results = run(inputs, scenario)
    np.testing.assert_allclose(
        principal(results, "demand_funded_fte"), [100, 98, 98 * 0.97, 98 * 0.97**2], rtol=1e-12
    )
    np.testing.assert_allclose(
        principal(results, "counterfactual_demand_funded_fte"),
        100 * 0.98 ** np.arange(4),
        rtol=1e-12,
    )


def test_service_plan_growth_adds_a_linear_share_of_establishment(make_inputs, make_scenario):
    inputs = make_inputs(stock=200.0, leaver_rate=0.0)
    results = run(inputs, make_scenario(horizon=4, parameters={"service_plan_growth": 0.05}))
    np.testing.assert_allclose(
        principal(results, "demand_funded_fte"), 200 * (1 + 0.05 * np.arange(5)), rtol=1e-12
    )


def test_need_is_funded_demand_plus_unmet_need_and_is_never_the_same_name(
    make_inputs, make_scenario
):
    inputs = make_inputs(stock=100.0, leaver_rate=0.0)
    results = run(inputs, make_scenario(horizon=2, parameters={"unmet_need_fraction": 0.1}))
    funded = principal(results, "demand_funded_fte")
    np.testing.assert_allclose(principal(results, "demand_need_fte"), funded * 1.1, rtol=1e-12)
    np.testing.assert_allclose(principal(results, "gap_need_fte"), funded * 0.1, rtol=1e-12)
    np.testing.assert_allclose(principal(results, "gap_fte"), 0.0, atol=1e-12)


def test_unmet_need_left_at_zero_is_recorded_as_an_assumption(make_inputs, make_scenario):
    results = run(make_inputs(), make_scenario(horizon=1))
    names = [item["name"] for item in results.metadata.record()["assumptions"]]
    assert "unmet_need_fraction" in names
    results = run(make_inputs(), make_scenario(horizon=1, parameters={"unmet_need_fraction": 0.0}))
    assert "unmet_need_fraction" not in [item.name for item in results.metadata.assumptions]


def test_skill_mix_moves_demand_between_groups(make_inputs, make_scenario, make_intervention):
    inputs = make_inputs(
        groups=("doctors", "associates"), stock=[[[100.0], [10.0]]], leaver_rate=0.0
    )
    move = make_intervention(
        "new_role",
        staff_group="doctors",
        to_staff_group="associates",
        fraction=0.1,
        amount=1.5,
        ramp_years=2,
        cost_per_unit=200.0,
    )
    results = run(inputs, make_scenario(horizon=3, interventions=[move]))
    doctors = principal(results, "demand_funded_fte", group=0)
    associates = principal(results, "demand_funded_fte", group=1)
    np.testing.assert_allclose(doctors, [100, 95, 90, 90], rtol=1e-12)
    np.testing.assert_allclose(associates, [10, 17.5, 25, 25], rtol=1e-12)
    np.testing.assert_allclose(
        principal(results, "intervention_cost_gbp", group=0), [0, 1000, 2000, 2000], rtol=1e-12
    )


def test_gap_percentage_and_vacancy_rate(make_inputs, make_scenario):
    inputs = make_inputs(stock=90.0, vacancy=10.0, leaver_rate=0.0)
    results = run(inputs, make_scenario(horizon=1))
    np.testing.assert_allclose(principal(results, "gap_fte"), 10.0)
    np.testing.assert_allclose(principal(results, "gap_pct"), 10.0)
    np.testing.assert_allclose(principal(results, "implied_vacancy_rate"), 0.1)


def test_ratios_are_missing_where_there_is_no_demand(make_inputs, make_scenario):
    inputs = make_inputs(stock=0.0, other_joiners=5.0)
    results = run(inputs, make_scenario(horizon=2))
    assert np.isnan(principal(results, "gap_pct")).all()
    assert np.isnan(principal(results, "implied_vacancy_rate")).all()


def test_population_variant_choice_is_used_per_draw(make_inputs, make_scenario):
    population = np.concatenate([two_age_population(), 2 * two_age_population()])
    population[1, 0] = population[0, 0]  # same base year, faster growth afterwards
    inputs = make_inputs(
        stock=100.0,
        population=population,
        variants=("principal", "high"),
        population_bands=("0-64", "65+"),
        utilisation=[[1.0, 1.0]],
    )
    choice = {"dist": "choice", "options": ["principal", "high"], "central": "principal"}
    results = run(
        inputs,
        make_scenario(horizon=3, draws=40, seed=5, parameters={"population_variant": choice}),
    )
    final = results.variable("demand_funded_fte").values[:, -1, 0, 0]
    low, high = 100 * 1200 / 1100, 100 * 2400 / 1100
    assert np.isclose(final[0], low)
    assert set(np.round(final[1:], 9)) == {round(low, 9), round(high, 9)}
