"""Property-based checks: more of a supply lever never lowers supply; demand is linear."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wfplan.model import VARIABLES, run

SETTINGS = settings(max_examples=30, deadline=None, database=None)
# rounding can differ in the last bits; supply never falls by more than this
SLACK = 1e-9


@st.composite
def small_inputs(draw, make_inputs):
    seed = draw(st.integers(0, 100_000))
    areas, groups, ages = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    rng = np.random.default_rng(seed)
    return make_inputs(
        areas=[f"A{i}" for i in range(areas)],
        groups=[f"g{i}" for i in range(groups)],
        ages=[f"k{i}" for i in range(ages)],
        widths=[*rng.integers(1, 10, ages - 1), np.inf],
        stock=rng.uniform(0, 1000, (areas, groups, ages)),
        leaver_rate=rng.uniform(0, 0.4, (areas, groups, ages)),
        other_joiners=rng.uniform(0, 50, (areas, groups)),
        international=rng.uniform(0, 20, (areas, groups)),
        training_places=rng.uniform(0, 100, groups),
        duration=rng.integers(1, 5, groups),
        completion=rng.uniform(0.5, 1, groups),
        take_up=rng.uniform(0.5, 1, groups),
        fte_per_head=rng.uniform(0.5, 1, (areas, groups)),
        vacancy=rng.uniform(0, 100, (areas, groups)),
        joiner_profile=rng.dirichlet(np.ones(ages), groups),
        nq_profile=rng.dirichlet(np.ones(ages), groups),
    )


def supply(inputs, scenario):
    return run(inputs, scenario).variable("supply_fte").values


def uncertain(make_scenario, **fields):
    multiplier = {"dist": "uniform", "low": 0.5, "high": 1.5}
    return make_scenario(
        horizon=8, draws=5, seed=4, parameters={"leaver_rate_multiplier": multiplier}, **fields
    )


def lever(make_intervention, kind, amount):
    return [make_intervention(kind, staff_group="g0", amount=amount, ramp_years=2)]


@SETTINGS
@given(data=st.data(), more=st.floats(0, 500), extra=st.floats(0, 500))
def test_more_training_places_never_reduce_supply(
    make_inputs, make_scenario, make_intervention, data, more, extra
):
    inputs = data.draw(small_inputs(make_inputs))
    low = supply(
        inputs,
        uncertain(make_scenario, interventions=lever(make_intervention, "training_places", more)),
    )
    high = supply(
        inputs,
        uncertain(
            make_scenario, interventions=lever(make_intervention, "training_places", more + extra)
        ),
    )
    assert (high >= low - SLACK * np.maximum(1, np.abs(low))).all()


@SETTINGS
@given(data=st.data(), better=st.floats(-1, 1), step=st.floats(0, 1))
def test_better_retention_never_reduces_supply(
    make_inputs, make_scenario, make_intervention, data, better, step
):
    inputs = data.draw(small_inputs(make_inputs))
    stronger = min(better + step, 1.0)
    low = supply(
        inputs,
        uncertain(make_scenario, interventions=lever(make_intervention, "retention", better)),
    )
    high = supply(
        inputs,
        uncertain(make_scenario, interventions=lever(make_intervention, "retention", stronger)),
    )
    assert (high >= low - SLACK * np.maximum(1, np.abs(low))).all()


@SETTINGS
@given(data=st.data(), recruits=st.floats(0, 300), extra=st.floats(0, 300))
def test_more_international_recruits_never_reduce_supply(
    make_inputs, make_scenario, make_intervention, data, recruits, extra
):
    inputs = data.draw(small_inputs(make_inputs))
    low = supply(
        inputs,
        uncertain(
            make_scenario,
            interventions=lever(make_intervention, "international_recruitment", recruits),
        ),
    )
    high = supply(
        inputs,
        uncertain(
            make_scenario,
            interventions=lever(make_intervention, "international_recruitment", recruits + extra),
        ),
    )
    assert (high >= low - SLACK * np.maximum(1, np.abs(low))).all()


@SETTINGS
@given(data=st.data(), scale=st.floats(0.01, 100))
def test_demand_scales_linearly_with_the_base_establishment(
    make_inputs, make_scenario, data, scale
):
    inputs = data.draw(small_inputs(make_inputs))
    scaled = make_inputs(
        areas=inputs.coords.area,
        groups=inputs.coords.staff_group,
        ages=inputs.coords.age_band,
        stock=inputs.array("stock_hc") * scale,
        vacancy=inputs.array("vacancy_fte") * scale,
        fte_per_head=inputs.array("fte_per_head"),
    )
    scenario = make_scenario(
        horizon=6,
        parameters={
            "non_demographic_growth": 0.02,
            "productivity_growth": 0.01,
            "service_plan_growth": 0.03,
        },
    )
    base = make_inputs(
        areas=inputs.coords.area,
        groups=inputs.coords.staff_group,
        ages=inputs.coords.age_band,
        stock=inputs.array("stock_hc"),
        vacancy=inputs.array("vacancy_fte"),
        fte_per_head=inputs.array("fte_per_head"),
    )
    demand = run(base, scenario).variable("demand_funded_fte").values
    np.testing.assert_allclose(
        run(scaled, scenario).variable("demand_funded_fte").values,
        demand * scale,
        rtol=1e-12,
        atol=1e-12,
    )


@SETTINGS
@given(data=st.data())
def test_zero_interventions_give_exactly_the_baseline(
    make_inputs, make_scenario, make_intervention, data
):
    inputs = data.draw(small_inputs(make_inputs))
    zero = [
        make_intervention(kind, staff_group="g0", amount=0.0, **extra)
        for kind, extra in (
            ("training_places", {}),
            ("retention", {}),
            ("international_recruitment", {}),
            ("return_to_practice", {}),
            ("apprenticeship", {}),
            ("flexible_working", {}),
            ("productivity", {}),
            ("employer_hub", {"area": "A0"}),
        )
    ]
    baseline = run(inputs, uncertain(make_scenario))
    with_zeros = run(inputs, uncertain(make_scenario, interventions=zero))
    for name in VARIABLES:
        if name != "cost_per_fte_gap_closed":
            np.testing.assert_array_equal(
                np.broadcast_to(with_zeros.values(name), baseline.variable(name).shape),
                baseline.variable(name).values,
                err_msg=name,
            )
    np.testing.assert_array_equal(baseline.variable("gap_closed_fte").values, 0.0)
