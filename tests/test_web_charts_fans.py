"""The fan charts of the baseline projection: the gap's fan, and the years of a fan's table."""

from __future__ import annotations

import pandas as pd

from test_web_charts import _compiled, _fan, _layers
from wfplan.report.style import NHS_BLUE
from wfplan.web import charts
from wfplan.web.charts_fans import gap_fan


def _gap() -> pd.DataFrame:
    return pd.DataFrame({"year": [2025, 2026, 2027], "p5": [10.0, -40.0, -90.0],
                         "p50": [10.0, 5.0, 2.0], "p95": [10.0, 60.0, 130.0]})


def test_a_fan_s_table_shows_its_years_as_years_not_as_thousands() -> None:
    chart = charts.fan_chart(_fan(), id="fan", title="Supply and demand", source="Test",
                             period="2025 to 2030")
    assert [row[0] for row in chart.rows()][:2] == ["2025", "2026"]


def test_the_gap_fan_draws_the_gap_s_band_and_median_with_zero_and_a_label() -> None:
    chart = gap_fan(_gap(), id="gap-fan", title="The gap", source="Test", period="2025 to 2027")
    values = chart.spec["data"]["values"]
    assert [(v["year"], v["p5"], v["p50"], v["p95"]) for v in values] == list(
        _gap().itertuples(index=False, name=None))
    marks = [layer["mark"]["type"] for layer in _layers(chart.spec)]
    assert marks == ["area", "rule", "line", "text"]
    line = _layers(chart.spec)[2]["mark"]
    assert line["color"] == NHS_BLUE
    assert line["point"]["shape"] == "diamond"
    assert [c.replace("\u2212", "-") for c in chart.rows()[2]] == ["2027", "-90", "2", "130"]
    assert "In 2027 the gap is 2 FTE (P5 -90, P95 130)" in chart.description.replace(
        "\u2212", "-")
    assert chart.period == "2025 to 2027"
    assert chart.source == "Test"


def test_the_gap_fan_compiles_and_renders_with_the_vendored_vega_lite() -> None:
    chart = gap_fan(_gap(), id="gap-fan", title="The gap", source="Test", period="2025 to 2027")
    [rendered] = _compiled([chart.spec])
    assert rendered["ok"], rendered["error"]
    assert rendered["warnings"] == []
    assert "<svg" in rendered["svg"]
