"""run(): how a scenario is fitted to the inputs, and the errors when it does not fit."""

import numpy as np
import pytest

from wfplan.model import ModelInputError, ScenarioError, run


def scenario_problems(inputs, scenario):
    with pytest.raises(ScenarioError) as caught:
        run(inputs, scenario)
    return "\n".join(caught.value.problems)


def test_interventions_must_fit_the_inputs(make_inputs, make_scenario, make_intervention):
    inputs = make_inputs(areas=("A", "B"))
    scenario = make_scenario(
        interventions=[
            make_intervention("retention", amount=0.1, start_year=2024),
            make_intervention("international_recruitment", amount=5, area="Z"),
        ]
    )
    text = scenario_problems(inputs, scenario)
    assert "interventions[0].start_year: must be after the base year 2024" in text
    assert "interventions[1].area: 'Z' is not an area of the inputs" in text


def test_unknown_staff_groups_are_reported(make_inputs, make_scenario, make_intervention):
    scenario = make_scenario(
        staff_group_parameters={"midwives": {"leaver_rate_multiplier": 1.1}},
        interventions=[make_intervention("skill_mix", to_staff_group="new_role", fraction=0.1)],
    )
    text = scenario_problems(make_inputs(), scenario)
    assert "staff groups ['midwives', 'new_role'] are not in the inputs" in text


def test_level_must_match_the_inputs(make_inputs, make_scenario):
    inputs = make_inputs(level="region")
    assert "level: scenario is 'icb' but inputs are 'region'" in scenario_problems(
        inputs, make_scenario()
    )


def test_population_variant_must_exist(make_inputs, make_scenario):
    scenario = make_scenario(parameters={"population_variant": "high"})
    assert "['high'] not in the population input" in scenario_problems(make_inputs(), scenario)


def test_population_must_cover_the_horizon(make_inputs, make_scenario):
    inputs = make_inputs(population=np.ones((1, 5, 1, 1)))
    with pytest.raises(ModelInputError, match=r"must cover 2024..2034; missing \[2029"):
        run(inputs, make_scenario(horizon=10))


def test_a_list_of_staff_groups_projects_only_those(make_inputs, make_scenario):
    inputs = make_inputs(groups=("g", "h", "i"), stock=[[[10.0], [20.0], [30.0]]])
    results = run(inputs, make_scenario(horizon=2, staff_groups=["i", "g"]))
    assert results.staff_groups == ("i", "g")
    np.testing.assert_allclose(results.variable("supply_hc").values[0, 0, 0], [30.0, 10.0])


def test_the_horizon_sets_the_years(make_inputs, make_scenario):
    results = run(make_inputs(), make_scenario(horizon=25))
    assert results.years == tuple(range(2024, 2050))
    assert results.variable("supply_hc").shape == (1, 26, 1, 1)
