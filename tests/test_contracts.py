"""Typed contracts: enumerations agree with the code lists; every contract has a JSON Schema."""

from __future__ import annotations

import json
from enum import StrEnum

import pytest
from pydantic import TypeAdapter

from wfplan.dataset import codelists
from wfplan.dataset.enums import AreaLevel, FileStatus, Sector
from wfplan.model.levels import LEVELS, Level
from wfplan.model.scenario import Scenario


@pytest.mark.parametrize(("enum", "codelist"), [(AreaLevel, "area_level"), (Sector, "sector")])
def test_enum_is_the_code_list(enum: type[StrEnum], codelist: str) -> None:
    assert sorted(member.value for member in enum) == sorted(codelists.get(codelist).codes)


def test_levels_are_area_levels_or_org() -> None:
    assert [level.value for level in Level if level is not Level.ORG] == [
        code for code in codelists.get("area_level").codes if code in set(LEVELS)]
    assert LEVELS == ("england", "region", "icb", "org")


def test_staff_groups_sectors_are_sectors() -> None:
    sectors = {row["sector"] for row in codelists.get("staff_group").rows}
    assert sectors <= set(Sector)


def test_scenario_keeps_the_level_as_its_value() -> None:
    scenario = Scenario.model_validate({"name": "x", "horizon": 2, "level": "icb"})
    assert type(scenario.level) is str
    assert scenario.model_dump(mode="json")["level"] == "icb"
    with pytest.raises(ValueError, match="'england', 'region', 'icb' or 'org'"):
        Scenario.model_validate({"name": "x", "horizon": 2, "level": "ward"})


@pytest.mark.parametrize("enum", [AreaLevel, Sector, FileStatus, Level])
def test_enum_json_schema(enum: type[StrEnum]) -> None:
    schema = TypeAdapter(enum).json_schema()
    assert schema["enum"] == [member.value for member in enum]
    json.dumps(schema)
