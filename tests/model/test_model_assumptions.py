"""Assumptions are typed records with a JSON Schema: name, value, reason (and source, tier)."""

import json

import pytest
from pydantic import ValidationError

from wfplan.model import run
from wfplan.model.assumptions import Assumption


def test_the_json_schema_names_every_field_and_requires_name_value_and_reason():
    schema = Assumption.model_json_schema()
    assert set(schema["properties"]) == {"name", "value", "reason", "source", "tier"}
    assert set(schema["required"]) == {"name", "value", "reason"}
    json.dumps(schema)


def test_a_record_has_a_source_only_when_one_is_known():
    plain = Assumption(name="vacancy_fte", value=0.0, reason="no data")
    assert plain.record() == {"name": "vacancy_fte", "value": 0.0, "reason": "no data"}
    sourced = Assumption(name="x", value=[2030, 2031], reason="held flat", source="ONS")
    assert sourced.record()["source"] == "ONS"
    assert Assumption.of(sourced.record()) == sourced


def test_a_tier_is_recorded_only_when_resolved_and_old_records_read_back_unchanged():
    old = {"name": "leaver_rate", "value": 0.1, "reason": "no flows: parameter table default"}
    assert Assumption.of(old).record() == old  # a record written before tiers existed
    resolved = Assumption(name="leaver_rate", value=0.101, reason="no flows",
                          source="evidence library 1, row r", tier="evidence")
    assert resolved.record()["tier"] == "evidence"
    assert Assumption.of(resolved.record()) == resolved
    with pytest.raises(ValidationError):
        Assumption(name="x", value=1, reason="r", tier="guess")


def test_an_assumption_needs_a_name_and_a_reason():
    with pytest.raises(ValidationError):
        Assumption(name="", value=1, reason="r")
    with pytest.raises(ValidationError):
        Assumption.of({"name": "x", "value": 1})


def test_results_carry_every_assumption_as_its_record(
    make_inputs, make_scenario, make_intervention
):
    inputs = make_inputs()
    scenario = make_scenario(interventions=[make_intervention("apprenticeship", amount=2)])
    results = run(inputs, scenario)
    records = results.metadata.record()["assumptions"]
    assert records, "defaults were filled, so there are assumptions"
    for record in records:
        assert set(record) == {"name", "value", "reason"}
        Assumption.of(record)
    names = [record["name"] for record in records]
    assert "interventions[0].duration_years" in names
    assert "leaver_rate_multiplier" in names
