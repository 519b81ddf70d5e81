"""Employer hubs as local college pipelines: starters, completion, take-up, lead time, cost."""

import numpy as np

from wfplan.model import run
from wfplan.model.reference import reference_run
from wfplan.model.results import PRIMARY_VARIABLES


def _hub(make_intervention, **fields):
    values = {"amount": 100, "area": "B", "lead_time_years": 1, "completion_rate": 0.5,
              "take_up_rate": 0.8, "end_year": 2026, "cost_per_unit": 10.0,
              "cost_per_hub_year": 1000.0, **fields}
    return make_intervention("employer_hub", **values)


def test_a_hub_yields_starters_x_completion_x_take_up_after_its_lead_time(
    make_inputs, make_scenario, make_intervention
):
    inputs = make_inputs(areas=("A", "B"), stock=0.0, leaver_rate=0.0)
    results = run(inputs, make_scenario(horizon=5, interventions=[_hub(make_intervention)]))
    flow = results.variable("joiners_employer_hub_hc").values[0, 1:]
    # base 2024; starts 2025 and 2026 (end_year), 100 x 0.5 x 0.8 = 40 a year, a year later
    np.testing.assert_allclose(flow[:, 0, 0], 0.0)
    np.testing.assert_allclose(flow[:, 1, 0], [0, 40, 40, 0, 0], rtol=1e-12)
    cost = results.variable("intervention_cost_gbp").values[0, 1:]
    np.testing.assert_allclose(cost[:, 0, 0], 0.0)
    # 100 starters x 10 GBP + 1,000 GBP running cost in each year the hub runs
    np.testing.assert_allclose(cost[:, 1, 0], [2000, 2000, 0, 0, 0], rtol=1e-12)


def test_a_hub_runs_its_whole_span_whatever_the_ramp(
    make_inputs, make_scenario, make_intervention
):
    inputs = make_inputs(areas=("A", "B"), stock=0.0, leaver_rate=0.0)
    hub = _hub(make_intervention, ramp_years=2)
    cost = run(inputs, make_scenario(horizon=3, interventions=[hub])).variable(
        "intervention_cost_gbp").values[0, 1:, 1, 0]
    # starters ramp 50 then 100; the running cost is charged in full in both years
    np.testing.assert_allclose(cost, [500 + 1000, 1000 + 1000, 0], rtol=1e-12)


def test_a_hub_without_rates_adds_its_amount_as_joiners(
    make_inputs, make_scenario, make_intervention
):
    inputs = make_inputs(areas=("A", "B"), stock=0.0, leaver_rate=0.0)
    hub = make_intervention("employer_hub", amount=20, area="B", lead_time_years=0)
    flow = run(inputs, make_scenario(horizon=3, interventions=[hub])).variable(
        "joiners_employer_hub_hc").values[0, 1:, 1, 0]
    np.testing.assert_array_equal(flow, [20.0, 20.0, 20.0])


def test_the_reference_agrees_on_a_hub_pipeline_with_uncertain_intake(
    make_inputs, make_scenario, make_intervention
):
    inputs = make_inputs(areas=("A", "B"), groups=("g", "h"), stock=50.0, leaver_rate=0.1)
    hub = _hub(make_intervention, staff_group="h", ramp_years=2,
               amount={"dist": "triangular", "low": 50, "mode": 100, "high": 200})
    hub["end_year"] = 2028
    scenario = make_scenario(horizon=6, draws=5, seed=3, interventions=[hub])
    results = run(inputs, scenario, workers=1)
    expected = reference_run(inputs, scenario)
    for name in PRIMARY_VARIABLES:
        actual = np.broadcast_to(results.values(name), expected[name].shape)
        np.testing.assert_allclose(actual, expected[name], rtol=1e-12, atol=1e-9,
                                   equal_nan=True, err_msg=name)
