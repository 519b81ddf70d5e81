"""The vectorised model agrees with the per-cell pure-Python reference implementation."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wfplan.model import run
from wfplan.model.reference import reference_run
from wfplan.model.results import PRIMARY_VARIABLES


def assert_agree(inputs, scenario):
    results = run(inputs, scenario, workers=2)
    expected = reference_run(inputs, scenario)
    for name in PRIMARY_VARIABLES:
        actual = np.broadcast_to(results.values(name), expected[name].shape)
        np.testing.assert_allclose(
            actual, expected[name], rtol=1e-12, atol=1e-9, equal_nan=True, err_msg=name
        )
    np.testing.assert_allclose(
        results.principal_by_age, expected["principal_by_age"], rtol=1e-12, atol=1e-9
    )


def every_intervention(make_intervention):
    uncertain = {"dist": "triangular", "low": 0.05, "mode": 0.1, "high": 0.2}
    return [
        make_intervention("training_places", amount=30, ramp_years=2, cost_per_unit=10.0),
        make_intervention(
            "training_places",
            staff_group="h",
            amount=10,
            area="B",
            duration_years=1,
            completion_rate=0.6,
            take_up_rate=0.7,
        ),
        make_intervention("apprenticeship", amount=8, ramp_years=3, cost_per_unit=5.0),
        make_intervention(
            "international_recruitment", staff_group="h", amount=6, end_year=2030, cost_per_unit=2.0
        ),
        make_intervention("return_to_practice", amount=3, start_year=2027),
        make_intervention("employer_hub", staff_group="h", area="A", amount=4, cost_per_unit=1.0),
        make_intervention(
            "retention", staff_group="all", amount=uncertain, ramp_years=3, cost_per_unit=0.5
        ),
        make_intervention("retention", amount=0.05, area="B", name="local_retention"),
        make_intervention("flexible_working", staff_group="h", amount=-0.05, ramp_years=2),
        make_intervention("productivity", amount=0.01, cost_per_unit=3.0),
        make_intervention(
            "skill_mix",
            staff_group="g",
            to_staff_group="h",
            fraction=0.1,
            amount={"dist": "uniform", "low": 0.8, "high": 1.2},
            ramp_years=4,
            cost_per_unit=7.0,
        ),
    ]


def test_agreement_with_every_intervention_type_ageing_and_draws(
    make_inputs, make_scenario, make_intervention
):
    rng = np.random.default_rng(1)
    inputs = make_inputs(
        areas=("A", "B"),
        groups=("g", "h"),
        ages=("a1", "a2", "a3"),
        widths=[3, 7, np.inf],
        stock=np.round(rng.uniform(0, 400, (2, 2, 3))),
        leaver_rate=rng.uniform(0, 0.3, (2, 2, 3)),
        other_joiners=rng.uniform(0, 20, (2, 2)),
        international=2.0,
        return_to_practice=1.0,
        training_places=[25.0, 5.0],
        duration=[3, 2],
        completion=[0.8, 0.9],
        take_up=0.9,
        joiner_profile=[[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]],
        nq_profile=[[0.9, 0.1, 0.0]] * 2,
        fte_per_head=rng.uniform(0.7, 1.0, (2, 2)),
        vacancy=rng.uniform(0, 30, (2, 2)),
        population=rng.uniform(1e3, 2e3, (2, 11, 2, 3)),
        variants=("principal", "high"),
        population_bands=("p1", "p2", "p3"),
        utilisation=[[1.0, 2.0, 4.0], [0.5, 1.0, 1.5]],
    )
    scenario = make_scenario(
        horizon=10,
        draws=12,
        seed=99,
        parameters={
            "leaver_rate_multiplier": {"dist": "normal", "mean": 1.0, "sd": 0.1},
            "completion_rate_multiplier": {"dist": "uniform", "low": 0.9, "high": 1.3},
            "non_demographic_growth": 0.01,
            "unmet_need_fraction": 0.05,
            "population_variant": {
                "dist": "choice",
                "options": ["principal", "high"],
                "central": "principal",
            },
        },
        staff_group_parameters={
            "h": {
                "productivity_growth": {
                    "dist": "triangular",
                    "low": 0.0,
                    "mode": 0.01,
                    "high": 0.02,
                }
            }
        },
        interventions=every_intervention(make_intervention),
    )
    assert_agree(inputs, scenario)


@settings(max_examples=25, deadline=None, database=None)
@given(
    seed=st.integers(0, 10_000),
    areas=st.integers(1, 3),
    groups=st.integers(1, 3),
    ages=st.integers(1, 4),
    horizon=st.integers(1, 8),
    draws=st.integers(0, 4),
    with_interventions=st.booleans(),
)
def test_agreement_on_random_small_inputs(
    make_inputs,
    make_scenario,
    make_intervention,
    seed,
    areas,
    groups,
    ages,
    horizon,
    draws,
    with_interventions,
):
    rng = np.random.default_rng(seed)
    group_codes = [f"g{i}" for i in range(groups)]
    profile = rng.dirichlet(np.ones(ages), groups)
    inputs = make_inputs(
        areas=[f"A{i}" for i in range(areas)],
        groups=group_codes,
        ages=[f"k{i}" for i in range(ages)],
        widths=[*rng.integers(1, 10, ages - 1), np.inf],
        stock=np.round(rng.uniform(0, 300, (areas, groups, ages))),
        leaver_rate=rng.uniform(0, 0.5, (areas, groups, ages)),
        other_joiners=rng.uniform(0, 30, (areas, groups)),
        international=rng.uniform(0, 5, (areas, groups)),
        training_places=rng.uniform(0, 50, groups),
        duration=rng.integers(0, 5, groups),
        completion=rng.uniform(0.5, 1, groups),
        joiner_profile=profile,
        nq_profile=rng.dirichlet(np.ones(ages), groups),
    )
    interventions = []
    if with_interventions:
        interventions = [
            make_intervention(
                "training_places",
                staff_group="g0",
                amount={"dist": "uniform", "low": 0, "high": 40},
                ramp_years=int(rng.integers(0, 4)),
            ),
            make_intervention("retention", staff_group="all", amount=float(rng.uniform(-0.5, 0.9))),
            make_intervention(
                "employer_hub",
                staff_group=group_codes[-1],
                area="A0",
                amount=3,
                lead_time_years=int(rng.integers(0, 3)),
            ),
        ]
    multiplier = {"dist": "uniform", "low": 0.5, "high": 2.5}
    scenario = make_scenario(
        horizon=horizon,
        draws=draws,
        seed=seed,
        parameters={"leaver_rate_multiplier": multiplier},
        interventions=interventions,
    )
    assert_agree(inputs, scenario)


def test_uncertain_retention_with_certain_leaver_rates(
    make_inputs, make_scenario, make_intervention
):
    """Retention varies by draw while leaver rates do not: once a crash in the kernel."""
    inputs = make_inputs(
        areas=("A", "B"), groups=("g", "h"), ages=("a1", "a2"), stock=[[[60, 40], [20, 10]]] * 2
    )
    uncertain = {"dist": "uniform", "low": 0.0, "high": 0.3}
    scenario = make_scenario(
        horizon=4,
        draws=5,
        seed=2,
        interventions=[make_intervention("retention", staff_group="all", amount=uncertain)],
    )
    assert_agree(inputs, scenario)
