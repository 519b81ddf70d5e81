"""Typed contracts: enumerations agree with the code lists; every contract has a JSON Schema."""

from __future__ import annotations

import json
from enum import StrEnum

import pandas as pd
import pytest
from pydantic import BaseModel, TypeAdapter

from wfplan.dataset import codelists
from wfplan.dataset.enums import AreaLevel, FileStatus, Sector
from wfplan.model.assumptions import Assumption
from wfplan.model.levels import LEVELS, Level
from wfplan.model.run_metadata import RunMetadata
from wfplan.model.scenario import Scenario
from wfplan.report import section_views
from wfplan.report.charts import Chart
from wfplan.report.views import Column, Numbering


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


def _metadata(**extra: object) -> RunMetadata:
    return RunMetadata.model_validate({
        "scenario": {"name": "s"}, "seed": 1, "draws": 2, "base_year": 2025, "horizon": 3,
        "level": "icb", "vintage": "v", "uncertain_parameters": ["a"],
        "interventions": [{"key": "k", "type": "t", "staff_group": "g", "area": None,
                           "source": "src", "owner": "o"}],
        "assumptions": [{"name": "x", "value": 1.5, "reason": "r"},
                        {"name": "y", "value": "rule", "reason": "r", "source": "s"}],
        "wfplan_version": "1", **extra})


def test_run_metadata_record_is_the_dict_it_replaced() -> None:
    record = _metadata().record()
    assert list(record) == ["scenario", "seed", "draws", "base_year", "horizon", "level",
                            "vintage", "uncertain_parameters", "interventions", "assumptions",
                            "wfplan_version"]
    assert record["assumptions"] == [{"name": "x", "value": 1.5, "reason": "r"},
                                     {"name": "y", "value": "rule", "reason": "r",
                                      "source": "s"}]
    assert record["interventions"][0]["area"] is None
    summed = _metadata(aggregation=[{"from_level": "icb", "to_level": "england", "areas": 1}])
    assert summed.record()["aggregation"] == [
        {"from_level": "icb", "to_level": "england", "areas": 1}]
    with pytest.raises(ValueError, match="extra"):
        _metadata(colour="red")


@pytest.mark.parametrize("contract", [Assumption, RunMetadata])
def test_model_json_schema(contract: type[BaseModel]) -> None:
    schema = contract.model_json_schema()
    assert schema["type"] == "object"
    assert set(schema["required"]) <= set(schema["properties"])
    json.dumps(schema)


@pytest.mark.parametrize("view", [
    section_views.ReportSections, section_views.SummarySection, section_views.PositionSection,
    section_views.ProjectionsSection, section_views.ScenariosSection,
    section_views.ScenarioSensitivity, section_views.GapsSection,
    section_views.EqualitySection, section_views.WellbeingSection, section_views.MethodsSection,
    section_views.ChangesSection])
def test_report_section_json_schema(view: object) -> None:
    schema = TypeAdapter(view).json_schema()
    json.dumps(schema)
    assert "TableView" in json.dumps(schema)


def test_report_section_dumps_as_json() -> None:
    numbering = Numbering()
    frame = pd.DataFrame({"area_name": ["North", "South"], "value": [1.5, None]})
    table = numbering.table(frame, [Column("area_name", "Region"), Column("value", "Value")],
                            "table-x", "Two regions", "a source", "2024-03")
    chart = Chart("chart-x", "A chart", "Alt text", "<svg></svg>")
    section = section_views.WellbeingSection(figure=numbering.figure(chart, "src", "2024"),
                                             table=table)
    dumped = json.loads(TypeAdapter(section_views.WellbeingSection).dump_json(section))
    assert dumped["table"]["caption"] == "Table 1. Two regions"
    assert [cell["html"] for cell in dumped["table"]["rows"][1]] == ["South", "n/a"]
    assert dumped["figure"]["chart"]["svg"] == "<svg></svg>"
    assert dumped["figure"]["number"] == 1
