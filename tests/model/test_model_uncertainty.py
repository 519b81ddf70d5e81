"""Uncertainty: principal draw, seeded sampling, reproducibility and statistics."""

import numpy as np
import pandas as pd
import pytest

from wfplan.model import VARIABLES, run, to_long
from wfplan.model.uncertainty import draw_statistics, sample_draws

UNCERTAIN = {
    "leaver_rate_multiplier": {"dist": "triangular", "low": 0.8, "mode": 1.0, "high": 1.3},
    "productivity_growth": {"dist": "normal", "mean": 0.01, "sd": 0.01},
    "international_joiners_multiplier": {"dist": "uniform", "low": 0.5, "high": 1.5},
}


@pytest.fixture(scope="module")
def small(make_inputs):
    return make_inputs(
        areas=("A", "B"),
        groups=("g", "h"),
        ages=("y", "o"),
        stock=[[[300.0, 100.0], [50.0, 20.0]]] * 2,
        other_joiners=10.0,
        international=5.0,
    )


def scenario(make_scenario, make_intervention, **changes):
    fields = {
        "horizon": 6,
        "draws": 50,
        "seed": 11,
        "parameters": UNCERTAIN,
        "interventions": [
            make_intervention(
                "retention",
                staff_group="h",
                name="keep",
                amount={"dist": "uniform", "low": 0.0, "high": 0.2},
            )
        ],
    }
    fields.update(changes)
    return make_scenario(**fields)


def test_draw_zero_is_the_central_value(make_scenario, make_intervention):
    draws = sample_draws(scenario(make_scenario, make_intervention))
    assert draws.values["leaver_rate_multiplier"][0] == 1.0
    assert draws.values["productivity_growth"][0] == 0.01
    assert draws.values["international_joiners_multiplier"][0] == 1.0
    assert draws.values["interventions.keep.amount"][0] == pytest.approx(0.1)
    assert len(draws.values["leaver_rate_multiplier"]) == 51


def test_sampled_values_respect_the_distribution_and_parameter_bounds(make_scenario):
    wide = {"dist": "normal", "mean": 0.0, "sd": 0.2}
    draws = sample_draws(make_scenario(draws=2000, parameters={"productivity_growth": wide}))
    values = draws.values["productivity_growth"][1:]
    assert values.min() >= -0.05  # the parameter's range
    assert values.max() <= 0.1
    triangular = sample_draws(make_scenario(draws=2000, parameters=UNCERTAIN))
    multiplier = triangular.values["leaver_rate_multiplier"][1:]
    assert multiplier.min() >= 0.8
    assert multiplier.max() <= 1.3
    assert abs(np.mean(multiplier) - (0.8 + 1.0 + 1.3) / 3) < 0.01


def test_adding_a_parameter_does_not_reshuffle_the_others(make_scenario):
    one = sample_draws(
        make_scenario(
            draws=20, parameters={"productivity_growth": UNCERTAIN["productivity_growth"]}
        )
    )
    # leaver_rate_multiplier and international_joiners_multiplier sort before it
    more = sample_draws(make_scenario(draws=20, parameters=UNCERTAIN))
    np.testing.assert_array_equal(
        one.values["productivity_growth"], more.values["productivity_growth"]
    )


def test_same_seed_gives_identical_arrays_and_tables(small, make_scenario, make_intervention):
    first = run(small, scenario(make_scenario, make_intervention))
    second = run(small, scenario(make_scenario, make_intervention), workers=3)
    for name in VARIABLES:
        np.testing.assert_array_equal(first.values(name), second.values(name))
    pd.testing.assert_frame_equal(to_long(first), to_long(second))


def test_another_seed_changes_the_draws_but_not_the_principal_run(
    small, make_scenario, make_intervention
):
    first = run(small, scenario(make_scenario, make_intervention))
    other = run(small, scenario(make_scenario, make_intervention, seed=12))
    supply = first.variable("supply_hc").values
    supply_other = other.variable("supply_hc").values
    np.testing.assert_array_equal(supply[0], supply_other[0])
    assert not np.array_equal(supply[1:], supply_other[1:])
    demand = first.variable("demand_funded_fte").values
    np.testing.assert_array_equal(demand[0], other.variable("demand_funded_fte").values[0])


def test_statistics_are_taken_over_sampled_draws_only():
    values = np.array([[100.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    stats = draw_statistics(values, n_draws=5)
    assert stats[0, 0] == 100.0
    np.testing.assert_allclose(stats[1:, 0], np.percentile([1, 2, 3, 4, 5], [5, 50, 95]))
    np.testing.assert_array_equal(draw_statistics(np.array([[7.0]]), 0)[:, 0], 7.0)


def test_no_draws_gives_statistics_from_the_principal_run(small, make_scenario, make_intervention):
    results = run(small, scenario(make_scenario, make_intervention, draws=0))
    table = to_long(results, ["supply_hc"])
    wide = table.pivot_table(
        index=["area", "staff_group", "year"], columns="statistic", values="value"
    )
    for statistic in ("p5", "p50", "p95"):
        np.testing.assert_array_equal(wide[statistic], wide["principal"])


def test_uncertain_parameters_are_listed_in_the_metadata(small, make_scenario, make_intervention):
    results = run(small, scenario(make_scenario, make_intervention))
    assert results.metadata.record()["seed"] == 11
    assert results.metadata.record()["uncertain_parameters"] == sorted(
        [*UNCERTAIN, "interventions.keep.amount"]
    )
