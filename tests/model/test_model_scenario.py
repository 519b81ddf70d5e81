"""Scenario spec: shipped scenarios, distributions, interventions, readable errors, schema."""

from pathlib import Path

import pytest

from wfplan.model import (
    ScenarioError,
    load_scenario_text,
    parameter_table,
    parse_scenario,
    scenario_json_schema,
)
from wfplan.model.distributions import Choice, Normal, Triangular

ROOT = Path(__file__).resolve().parents[2]
BASE = {"name": "s", "horizon": 10, "level": "icb"}


def problems(data):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    return caught.value.problems


@pytest.mark.parametrize("name", ["baseline", "ltwp"])
def test_shipped_scenarios_are_valid(name):
    scenario = load_scenario_text((ROOT / "scenarios" / f"{name}.toml").read_text())
    assert scenario.name == name
    assert scenario.draws > 0
    for item in scenario.interventions:
        assert "Long Term Workforce Plan" in item.source
        assert item.owner


def test_ltwp_has_the_plan_s_main_levers():
    scenario = load_scenario_text((ROOT / "scenarios" / "ltwp.toml").read_text())
    kinds = {(item.type, item.staff_group) for item in scenario.interventions}
    assert ("training_places", "nurses_health_visitors") in kinds
    assert ("retention", "nurses_health_visitors") in kinds
    productivity = scenario.parameters["productivity_growth"]
    assert isinstance(productivity, Triangular)
    assert (productivity.low, productivity.high) == (0.015, 0.02)
    nurses = scenario.staff_group_parameters["nurses_health_visitors"]
    assert nurses["international_joiners_multiplier"].central() < 1


def test_distributions_parse_and_give_central_values():
    scenario = parse_scenario(
        {
            **BASE,
            "parameters": {
                "leaver_rate_multiplier": {"dist": "normal", "mean": 1.0, "sd": 0.1, "low": 0.8},
                "productivity_growth": {"dist": "uniform", "low": 0.01, "high": 0.03},
                "population_variant": {
                    "dist": "choice",
                    "options": ["principal", "high"],
                    "weights": [0.7, 0.3],
                    "central": "principal",
                },
            },
        }
    )
    values = scenario.parameters
    assert isinstance(values["leaver_rate_multiplier"], Normal)
    assert values["leaver_rate_multiplier"].central() == 1.0
    assert values["productivity_growth"].central() == pytest.approx(0.02)
    assert isinstance(values["population_variant"], Choice)
    assert values["population_variant"].central() == "principal"


def test_errors_name_the_field_and_the_rule():
    found = problems(
        {
            **BASE,
            "horizon": 30,
            "parameters": {
                "leaver_rate_multiplier": 7,
                "made_up": 1,
                "population_variant": 2,
            },
        }
    )
    assert "horizon: Input should be less than or equal to 25" in found
    assert "parameters: leaver_rate_multiplier = 7 is above the maximum 3 (ratio)" in found
    assert any(line.startswith("parameters: made_up: unknown parameter") for line in found)
    assert any("population_variant is a category" in line for line in found)


def test_distribution_errors_are_readable():
    found = problems(
        {
            **BASE,
            "parameters": {
                "productivity_growth": {
                    "dist": "triangular",
                    "low": 0.02,
                    "mode": 0.01,
                    "high": 0.03,
                },
                "leaver_rate_multiplier": {"dist": "uniform", "low": 0.5, "high": 4},
                "other_joiners_multiplier": {"dist": "gamma", "shape": 2},
                "fte_per_head_multiplier": True,
            },
        }
    )
    text = "\n".join(found)
    assert "triangular needs low <= mode <= high" in text
    assert "uniform range 0.5 to 4 is outside the allowed range 0 to 3" in text
    assert "gamma" in text
    assert "not true/false" in text


def test_choice_weights_must_sum_to_one():
    found = problems(
        {
            **BASE,
            "parameters": {
                "population_variant": {
                    "dist": "choice",
                    "options": ["principal", "low"],
                    "weights": [0.5, 0.4],
                    "central": "principal",
                }
            },
        }
    )
    assert any("sum to 1" in line for line in found)


def test_per_group_parameters_are_checked_too():
    found = problems(
        {
            **BASE,
            "staff_group_parameters": {
                "midwives": {"leaver_rate_multiplier": -1, "population_variant": "high"}
            },
        }
    )
    assert (
        "staff_group_parameters: [midwives] leaver_rate_multiplier = -1 is below the "
        "minimum 0 (ratio)" in found
    )
    assert any("cannot be set per staff group" in line for line in found)


def test_interventions_are_typed_records():
    intervention = {
        "type": "retention",
        "staff_group": "midwives",
        "start_year": 2026,
        "amount": 0.1,
        "source": "s",
        "owner": "o",
    }
    scenario = parse_scenario(
        {
            **BASE,
            "interventions": [
                intervention,
                {
                    **intervention,
                    "type": "new_role",
                    "to_staff_group": "nurses",
                    "fraction": 0.1,
                    "amount": {"dist": "uniform", "low": 0.8, "high": 1.2},
                },
            ],
        }
    )
    assert scenario.interventions[0].type == "retention"
    assert scenario.interventions[1].fraction == 0.1
    found = problems(
        {
            **BASE,
            "interventions": [
                {**intervention, "type": "teleport"},
                {**intervention, "amount": 2},
                {**intervention, "type": "employer_hub", "amount": 5},
                {**intervention, "owner": ""},
                {**intervention, "type": "training_places", "amount": 10, "colour": "red"},
                {**intervention, "type": "training_places", "staff_group": "all", "amount": 10},
            ],
        }
    )
    text = "\n".join(found)
    assert "interventions[0]: Input tag 'teleport'" in text
    assert "interventions[1].retention: amount = 2 is above the maximum 1" in text
    assert "interventions[2].employer_hub: employer_hub needs an area" in text
    assert "interventions[3].retention.owner" in text
    assert "interventions[4].training_places.colour: Extra inputs are not permitted" in text
    assert "staff_group = 'all' is not allowed for training_places" in text


def test_intervention_names_must_be_unique():
    record = {
        "type": "retention",
        "staff_group": "g",
        "start_year": 2026,
        "amount": 0.1,
        "source": "s",
        "owner": "o",
        "name": "same",
    }
    assert any(
        "repeated names" in line for line in problems({**BASE, "interventions": [record, record]})
    )


def test_staff_group_list_must_include_groups_used():
    record = {
        "type": "retention",
        "staff_group": "midwives",
        "start_year": 2026,
        "amount": 0.1,
        "source": "s",
        "owner": "o",
    }
    found = problems(
        {**BASE, "staff_groups": ["nurses_health_visitors"], "interventions": [record]}
    )
    assert any("['midwives'] are used but not in staff_groups" in line for line in found)


def test_bad_toml_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="TOML"):
        load_scenario_text("name = ")


def test_draws_and_seed_ranges():
    assert any(line.startswith("draws:") for line in problems({**BASE, "draws": 100_001}))
    assert any(line.startswith("seed:") for line in problems({**BASE, "seed": -1}))


def test_json_schema_lists_every_parameter_with_its_range():
    schema = scenario_json_schema()
    properties = schema["properties"]["parameters"]["properties"]
    names = {spec.name for spec in parameter_table() if spec.kind == "parameter"}
    assert set(properties) == names
    assert schema["properties"]["parameters"]["additionalProperties"] is False
    multiplier = properties["leaver_rate_multiplier"]["anyOf"][0]
    assert (multiplier["minimum"], multiplier["maximum"]) == (0.0, 3.0)
    assert "Distribution" in schema["$defs"]
    assert {"TrainingPlaces", "Retention", "SkillMix"} <= set(schema["$defs"])
    per_group = schema["properties"]["staff_group_parameters"]["additionalProperties"]
    assert "population_variant" not in per_group["properties"]
