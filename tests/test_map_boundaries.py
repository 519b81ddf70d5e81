"""The map section choosing boundaries or tiles (wfplan.web.pages.maps), without a server.

Given an ``/api/v1/boundaries`` answer with a boundary for every ICB, the map is those
geoshapes, coloured by the same figures, a region's ICBs outlined, the table beside it
the same as with tiles; an incomplete or empty answer (or none) is the tile map. The
chart's source says which it drew.
"""

from __future__ import annotations

import copy
from typing import Any

import handmade_boundaries as hand
from wfplan.dataset.tilemap import icb_tiles
from wfplan.web.pages.maps import map_section


def _metrics() -> dict[str, Any]:
    """An ICB-level metrics answer as the API gives it: a vacancy rate per ICB, one n/a."""
    rows = [{"level": "icb", "area_code": t.icb_code, "area_name": t.name,
             "vacancy_rate": None if i == 3 else round(0.01 * (i % 9 + 1), 3)}
            for i, t in enumerate(icb_tiles())]
    return {"vintage": "v", "controlled": False, "current_position": rows,
            "coverage": [{"metric": "vacancy_rate", "period": "2024-03-31",
                          "sectors": ["nhs_trust"]}]}


def _answer(collection: dict[str, Any]) -> dict[str, Any]:
    """Return an /api/v1/boundaries answer of a hand-made FeatureCollection."""
    features = [{"type": "Feature", "geometry": f["geometry"],
                 "properties": {"icb_code": f["properties"].get("ICB22CDH"),
                                "icb_name": f["properties"]["ICB22NM"],
                                "ons_code": f["properties"].get("ICB22CD"),
                                "name": f["properties"]["ICB22NM"], "feature_index": i}}
                for i, f in enumerate(collection["features"])]
    mapped = {f["properties"]["icb_code"] for f in features}
    missing = sorted({t.icb_code for t in icb_tiles()} - mapped)
    return {"type": "FeatureCollection", "vintage": "v", "source_file": "icbs.geojson",
            "ingest_id": 9, "loaded_at": None, "complete": not missing, "missing": missing,
            "features": features}


LONDON = {t.icb_code for t in icb_tiles() if t.region_code == "Y56"}


def test_a_complete_answer_is_drawn_as_boundaries_with_the_region_outlined() -> None:
    metrics = _metrics()
    every = _answer(hand.every_icb())
    every["features"].append(copy.deepcopy(every["features"][0]))  # an unmapped one: left out
    every["features"][-1]["properties"]["icb_code"] = None
    shown, table = map_section(metrics, "vacancy_rate", stem="region-Y56", caption="c",
                               keep=LONDON, boundaries=every)
    tiles, tiles_table = map_section(metrics, "vacancy_rate", stem="region-Y56", caption="c",
                                     keep=LONDON)
    spec = shown["chart"].spec
    assert spec["mark"]["type"] == "geoshape"
    features = spec["data"]["values"]["features"]
    assert len(features) == 42
    values = {r["area_code"]: r["vacancy_rate"] for r in metrics["current_position"]}
    assert {f["properties"]["icb_code"]: f["properties"]["value"] for f in features} == values
    assert {f["properties"]["icb_code"] for f in features if f["properties"]["highlight"]
            } == LONDON
    assert spec["encoding"]["strokeWidth"]["condition"]["test"] == "datum.properties.highlight"
    # The same colour scale as the tiles', and the same table beside it.
    tile_colour = tiles["chart"].spec["layer"][0]["encoding"]["color"]
    assert spec["encoding"]["color"]["scale"] == tile_colour["scale"]
    assert table.rows == tiles_table.rows
    assert shown["chart"].source.endswith(
        "; drawn on the ICB boundaries of icbs.geojson (/api/v1/boundaries)")
    assert tiles["chart"].source.endswith("; drawn as wfplan's tile map, one square per ICB")


def test_an_incomplete_or_empty_answer_is_the_tile_map() -> None:
    few = _answer(hand.few())
    assert not few["complete"]
    shown, _ = map_section(_metrics(), "vacancy_rate", stem="england", caption="c",
                           boundaries=few)
    assert shown["chart"].spec["layer"][0]["mark"]["type"] == "rect"
    assert shown["chart"].source.endswith(
        "; drawn as wfplan's tile map, one square per ICB; the vintage's boundaries lack 40 ICBs")
    empty = {**few, "features": [], "complete": False, "source_file": None}
    shown, _ = map_section(_metrics(), "vacancy_rate", stem="england", caption="c",
                           boundaries=empty)
    assert shown["chart"].spec["layer"][0]["mark"]["type"] == "rect"
    assert shown["chart"].source.endswith("; drawn as wfplan's tile map, one square per ICB")
