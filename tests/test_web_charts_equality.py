"""The equality page's chart: WRES indicator 1 as bars, the whole workforce's share a rule."""

from __future__ import annotations

import pandas as pd
import pytest

from test_web_charts import _compiled, _layers
from wfplan.report.style import NHS_BLUE
from wfplan.web.charts_equality import wres_bars


def _bands() -> pd.DataFrame:
    return pd.DataFrame({"band": ["Band 2", "Band 5", "Band 8a", "Very Senior Manager"],
                         "share": [0.30, 0.42, None, 0.08],
                         "minority": [300.0, 840.0, None, 4.0],
                         "known": [1000.0, 2000.0, 120.0, 50.0]})


def _chart(overall: float | None = 0.25):
    return wres_bars(_bands(), overall, id="wres", title="Share by band", source="Test",
                     period="2025-03-31")


def test_each_band_is_a_labelled_bar_and_the_whole_workforce_a_labelled_rule() -> None:
    chart = _chart()
    values = chart.spec["data"]["values"]
    assert [(v["band"], v["share"]) for v in values] == [
        ("Band 2", 0.30), ("Band 5", 0.42), ("Band 8a", None), ("Very Senior Manager", 0.08)]
    assert [v["label"] for v in values] == ["30.0%", "42.0%", "n/a", "8.0%"]
    marks = [layer["mark"]["type"] for layer in _layers(chart.spec)]
    assert marks == ["bar", "text", "rule", "text"]
    bar, _, rule, label = _layers(chart.spec)
    assert bar["mark"]["color"] == NHS_BLUE
    assert bar["encoding"]["y"]["sort"] == list(_bands()["band"])  # the bands' own order
    assert rule["data"]["values"] == [{"overall": 0.25, "label": "Whole workforce: 25.0%"}]
    assert rule["mark"]["strokeDash"]  # told from the bars by shape, not colour alone
    assert label["encoding"]["text"] == {"field": "label"}
    assert chart.rows()[0] == ["Band 2", "30.0%", "25.0%"]
    assert chart.description == (
        "Bar chart of the ethnic-minority share of headcount by pay band, 2025-03-31: whole "
        "workforce 25.0%; highest Band 5 (42.0%), lowest Very Senior Manager (8.0%); 1 of 3 "
        "below the whole workforce's share; 1 without a share (n/a). The figures are in the "
        "table.")


def test_without_the_whole_s_share_there_is_no_rule() -> None:
    chart = _chart(None)
    assert [layer["mark"]["type"] for layer in _layers(chart.spec)] == ["bar", "text"]
    assert "whole workforce n/a" in chart.description


def test_a_frame_without_the_columns_is_refused() -> None:
    with pytest.raises(ValueError, match="missing known"):
        wres_bars(_bands().drop(columns=["known"]), 0.2, id="x", title="t", source="s",
                  period="p")


def test_the_chart_compiles_and_renders_with_the_vendored_vega_lite() -> None:
    [rendered] = _compiled([_chart().spec])
    assert rendered["ok"], rendered["error"]
    assert rendered["warnings"] == []
    assert "<svg" in rendered["svg"]
