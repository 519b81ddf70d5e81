"""The dashboard's Vega-Lite charts (issue 14): spec structure, tables, compilation, the ICB map.

Every spec is compiled and rendered to SVG by the vendored Vega-Lite and Vega in
node (tests/vegalite_check.js), as the browser would draw it. Node is needed: the
test fails in CI without it and is skipped elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import pytest

from wfplan.analysis.spc import LIMIT_FACTOR, xmr
from wfplan.dataset.tilemap import icb_tiles
from wfplan.web import charts
from wfplan.web import models_trends as mt
from wfplan.web.routes_trends import _spc

VENDOR = Path(str(files("wfplan.web").joinpath("static", "vendor")))
TEMPLATES = Path(str(files("wfplan.web").joinpath("templates")))
CHECK = Path(__file__).with_name("vegalite_check.js")
#: A stable series, then one point far above it, then a run of 7 just above the mean.
SERIES = [8.0, 12.0] * 6 + [25.0] + [11.0, 11.5] * 4


def _trend(values: list[float], improvement: str = "lower") -> mt.Trend:
    if len(values) < 2:  # one point: no SPC
        one = _trend([*values, *values], improvement)
        return one.model_copy(
            update={
                "points": [one.points[0].model_copy(update={"point_type": None})],
                "spc": None,
                "warning": "only 1 point: an SPC chart needs at least 2",
            }
        )
    spc = xmr(values, direction=improvement)  # type: ignore[arg-type]
    points = [
        mt.TrendPoint(
            period=day.date().isoformat(),
            value=v,
            numerator=v,
            denominator=100.0,
            suppressed=False,
            point_type=kind,
            outside=bool(spc.outside[i]),
            shift=bool(spc.shift[i]),
            trend=bool(spc.trend[i]),
            two_of_three=bool(spc.two_of_three[i]),
        )
        for i, (day, v, kind) in enumerate(
            zip(
                pd.date_range("2023-01-31", periods=len(values), freq="ME"),
                values,
                spc.point_types,
                strict=True,
            )
        )
    ]
    return mt.Trend(
        vintage="v",
        measure="sickness_rate",
        label="Sickness absence rate",
        unit="persons",
        improvement=improvement,
        frequency="month",  # type: ignore[arg-type]
        numerator_label="FTE days lost",
        denominator_label="FTE days available",
        level="icb",
        area_code="QMJ",
        area_name="North Central London",
        staff_group=None,
        sector=None,
        period="January 2023 to September 2024",
        source="Test publication",
        controlled=False,
        disclosure=None,
        points=points,
        spc=_spc(spc),
        warning=spc.warning,
    )


def _layers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec.get("layer", [spec]))


def _fan() -> pd.DataFrame:
    return pd.DataFrame(
        [
            (
                year,
                variable,
                100.0 + i,
                110.0 + i * (2 if variable == "demand" else 1),
                120.0 + 3 * i,
            )
            for i, year in enumerate(range(2025, 2031))
            for variable in ("supply", "demand")
        ],
        columns=["year", "variable", "p5", "p50", "p95"],
    )


def _tiles(missing: int = 7) -> pd.DataFrame:
    return pd.DataFrame(
        [
            (tile.icb_code, tile.name, None if i % missing == 0 else i / 100)
            for i, tile in enumerate(icb_tiles())
        ],
        columns=["icb_code", "icb_name", "value"],
    )


def _boundaries() -> dict[str, Any]:
    """A hand-made FeatureCollection: each ICB a small square where its tile is (lon, lat).

    Outer rings counterclockwise, as RFC 7946 (and so ONS's GeoJSON) winds them.
    """
    features = []
    for tile in icb_tiles():
        lon, lat = -5.0 + 0.5 * tile.col, 55.5 - 0.5 * tile.row
        ring = [
            [lon, lat],
            [lon + 0.45, lat],
            [lon + 0.45, lat - 0.45],
            [lon, lat - 0.45],
            [lon, lat],
        ]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring[::-1]]},
                "properties": {
                    "ICB23CD": "E54000000",
                    "ICB23CDH": tile.icb_code,
                    "ICB23NM": tile.name,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _tornado() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": [1, 2],
            "quantity": ["leaver_rate[hchs_doctors]", "scenario"],
            "low": [0.9, "low"],
            "high": [1.1, "high"],
            "gap_central": [100.0, 100.0],
            "gap_low": [80.0, 95.0],
            "gap_high": [130.0, 104.0],
            "swing": [50.0, 9.0],
        }
    )


def _all() -> list[charts.Chart]:
    gap = pd.DataFrame(
        {
            "staff_group_name": ["Nurses", "Doctors"],
            "p5": [-10.0, 5.0],
            "p50": [100.0, 20.0],
            "p95": [200.0, 40.0],
        }
    )
    common = {"source": "Test", "period": "2025 to 2030"}
    return [
        charts.spc_chart(_trend(SERIES), id="spc"),
        charts.spc_chart(_trend([5.0], "neutral"), id="one"),
        charts.fan_chart(_fan(), id="fan", title="Supply and demand", **common),
        charts.gap_bars(gap, id="gap", title="Gap", **common),
        charts.tile_map(_tiles(), id="map", measure="Vacancy rate", **common),
        charts.tile_map(
            _tiles(), id="geo", measure="Vacancy rate", boundaries=_boundaries(), **common
        ),
        charts.tornado(_tornado(), id="tornado", title="Tornado", **common),
    ]


def _compiled(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("node is needed to compile the Vega-Lite specs (CI installs it)")
        pytest.skip("node is not installed")
    done = subprocess.run(
        ["node", str(CHECK), str(VENDOR)],
        input=json.dumps(specs),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return list(json.loads(done.stdout))


def test_spc_limits_are_the_trends_and_flagged_points_carry_their_type() -> None:
    trend = _trend(SERIES)
    chart = charts.spc_chart(trend, id="spc")
    spc = xmr(SERIES, direction="lower")
    rules = [layer for layer in _layers(chart.spec) if layer.get("mark", {}).get("type") == "rule"]
    drawn = sorted(v["y"] for layer in rules for v in layer["data"]["values"])
    assert drawn == pytest.approx(
        sorted(
            [
                spc.mean - LIMIT_FACTOR * spc.mean_moving_range,
                spc.mean,
                spc.mean + LIMIT_FACTOR * spc.mean_moving_range,
            ]
        )
    )
    dashes = {tuple(layer["mark"]["strokeDash"]) for layer in rules}
    assert dashes == {(1, 0), (6, 4)}  # the mean solid, the limits dashed
    values = chart.spec["data"]["values"]
    assert values[12]["point_type"] == "concern"
    assert values[12]["flag"] == "concern"
    assert [v["point_type"] for v in values] == list(spc.point_types)
    assert all(v["flag"] is None for v in values if v["point_type"] == "common_cause")
    points = next(layer for layer in _layers(chart.spec) if layer["mark"]["type"] == "point")
    # Colour and shape both say the type (never colour alone), with MDC's colours.
    assert points["encoding"]["shape"]["field"] == points["encoding"]["color"]["field"]
    assert charts.MDC_CONCERN in points["encoding"]["color"]["scale"]["range"]
    assert "Variation icon" in chart.description
    assert "assurance icon" in chart.description


def test_tables_hold_the_numbers_in_the_spec() -> None:
    spc, _one, fan, gap, tiles, geo, tornado = _all()
    values = spc.spec["data"]["values"]
    assert list(spc.table["Sickness absence rate"]) == [v["value"] for v in values]
    assert list(spc.table["Period"]) == [v["period"] for v in values]
    fan_values = pd.DataFrame(fan.spec["data"]["values"])
    assert list(fan.table["P50 (FTE)"]) == list(fan_values["p50"])
    assert list(fan.table["P5 (FTE)"]) == list(fan_values["p5"])
    assert list(gap.table["P50 (FTE)"]) == [v["p50"] for v in gap.spec["data"]["values"]]
    tile_values = {v["icb_code"]: v["value"] for v in tiles.spec["data"]["values"]}
    table = dict(zip(tiles.table["ICB code"], tiles.table["Vacancy rate"], strict=True))
    assert {c: None if pd.isna(v) else v for c, v in table.items()} == tile_values
    shown = {
        f["properties"]["icb_code"]: f["properties"]["value"]
        for f in geo.spec["data"]["values"]["features"]
    }
    assert shown == tile_values
    gaps = pd.DataFrame(tornado.spec["data"]["values"])
    assert list(tornado.table["Gap at low (FTE)"]) == list(gaps.loc[gaps["end"] == "low", "gap"])
    assert spc.rows()[12][1] == "25"
    assert tiles.rows()[0][2] == "n/a"


def test_vega_lite_compiles_and_renders_every_spec() -> None:
    made = _all()
    for found, chart in zip(_compiled([c.spec for c in made]), made, strict=True):
        assert found["ok"], (chart.id, found["error"])
        assert found["warnings"] == [], (chart.id, found["warnings"])
        assert chart.spec["$schema"].endswith("/vega-lite/v6.json")


def test_the_tile_map_places_every_icb() -> None:
    chart = charts.tile_map(_tiles(), id="map", measure="Vacancy rate", source="s", period="p")
    values = chart.spec["data"]["values"]
    assert len(values) == 42 == len(icb_tiles())
    assert {(v["row"], v["col"]) for v in values} == {(t.row, t.col) for t in icb_tiles()}
    assert {v["icb_code"] for v in values} == {t.icb_code for t in icb_tiles()}
    svg = _compiled([chart.spec])[0]["svg"]
    assert svg.count('aria-roledescription="rect mark"') == 42
    for tile in icb_tiles():  # each tile is labelled with its code, not colour alone
        assert f">{tile.icb_code}</text>" in svg
    with pytest.raises(ValueError, match="not ICBs"):
        charts.tile_map(
            pd.DataFrame({"icb_code": ["NOPE"], "icb_name": ["x"], "value": [1.0]}),
            id="m",
            measure="m",
            source="s",
            period="p",
        )


def test_the_map_outlines_the_icbs_highlighted_and_formats_as_told() -> None:
    own = ["QMJ", "QMF", "QKK", "QRV", "QWE"]
    plain = charts.tile_map(_tiles(), id="m", measure="Vacancy rate", source="s", period="p")
    rect = plain.spec["layer"][0]["encoding"]
    assert "strokeWidth" not in rect  # nothing highlighted: the spec is as before
    assert "highlight" not in plain.spec["data"]["values"][0]
    chart = charts.tile_map(
        _tiles(),
        id="m",
        measure="Share aged 55+",
        source="s",
        period="p",
        percent=False,
        highlight=own,
    )
    values = chart.spec["data"]["values"]
    assert sorted(v["icb_code"] for v in values if v["highlight"]) == sorted(own)
    assert chart.spec["layer"][0]["encoding"]["strokeWidth"]["condition"]["test"] == (
        "datum.highlight"
    )
    assert "%" not in "".join(v["label"] for v in values)  # percent=False, whatever the name
    assert "The 5 ICBs highlighted" in chart.description
    shares = charts.tile_map(
        _tiles(), id="n", measure="Non-UK nationality", source="s", period="p", percent=True
    )
    assert any(v["label"].endswith("%") for v in shares.spec["data"]["values"])
    geo = charts.tile_map(
        _tiles(),
        id="g",
        measure="Vacancy rate",
        source="s",
        period="p",
        boundaries=_boundaries(),
        highlight=own,
    )
    features = geo.spec["data"]["values"]["features"]
    assert sorted(
        f["properties"]["icb_code"] for f in features if f["properties"]["highlight"]
    ) == sorted(own)
    for found in _compiled([chart.spec, geo.spec]):
        assert found["ok"], found["error"]
        assert found["warnings"] == [], found["warnings"]


def test_the_map_draws_boundaries_when_given() -> None:
    chart = charts.tile_map(
        _tiles(), id="geo", measure="Vacancy rate", source="s", period="p", boundaries=_boundaries()
    )
    assert chart.spec["mark"]["type"] == "geoshape"
    features = chart.spec["data"]["values"]["features"]
    assert len(features) == 42
    assert {f["properties"]["icb_code"] for f in features} == {t.icb_code for t in icb_tiles()}
    svg = _compiled([chart.spec])[0]["svg"]
    assert svg.count('aria-roledescription="geoshape"') == 42
    # Wound as GeoJSON winds them (counterclockwise), they are still drawn as small squares,
    # not as the whole globe but the square (rewound for d3-geo).
    for path in re.findall(r'aria-roledescription="geoshape"[^>]* d="([^"]+)"', svg):
        xs = [float(x) for x in re.findall(r"[ML]([-\d.]+),", path)]
        assert xs, path
        assert max(xs) - min(xs) < 60, path
    partial = _boundaries()
    partial["features"] = partial["features"][1:]
    with pytest.raises(ValueError, match="no feature for 1 ICB"):
        charts.tile_map(_tiles(), id="g", measure="m", source="s", period="p", boundaries=partial)


def test_the_macro_renders_a_named_figure_with_its_table() -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    chart = charts.gap_bars(
        pd.DataFrame(
            {"staff_group_name": ["</script><b>x"], "p5": [1.0], "p50": [2.0], "p95": [3.0]}
        ),
        id="gap-1",
        title="Gap by staff group",
        source="Test source",
        period="2035",
    )
    html = env.from_string(
        '{% from "macros/chart.html" import chart, chart_scripts %}'
        "{{ chart(c) }}{{ chart_scripts() }}{{ chart(c, heading=2) }}"
    ).render(c=chart)
    assert '<figure class="wf-chart" id="gap-1-figure" aria-labelledby="gap-1-title">' in html
    assert '<h3 class="nhsuk-heading-s" id="gap-1-title">Gap by staff group</h3>' in html
    assert '<div class="wf-chart__plot" id="gap-1" role="img" aria-label="Bar chart' in html
    assert "<summary" in html
    assert "Show as table" in html
    assert '<caption class="nhsuk-table__caption">Gap by staff group (2035)</caption>' in html
    assert '<h2 class="nhsuk-heading-s" id="gap-1-title">Gap by staff group</h2>' in html
    assert html.count('scope="col"') == 8
    assert 'scope="row"' in html
    assert "Source: Test source. Period: 2035." in html
    assert "</script><b>" not in html  # the spec's text cannot close its script element
    inline = html.split('data-wf-chart="gap-1">', 2)[1].split("</script>", 1)[0]
    assert json.loads(inline) == chart.spec
    assert "/static/vendor/vega-embed/build/vega-embed.min.js" in html
    assert "/static/charts.js" in html
    assert "onclick" not in html
    script = (TEMPLATES.parent / "static" / "charts.js").read_text(encoding="utf-8")
    assert "vegaEmbed" in script
    assert "http" not in script
