"""ICB boundaries through the real server: uploaded, served by the API, drawn on the England map.

On the shared service ``server`` (DuckDB and PostgreSQL): hand-made boundaries (one
square per ICB, tests/handmade_boundaries.py) and a few staff rows are uploaded into
a new vintage of their own (``geo-map``; the demo vintage is unchanged, and every
other test names the demo), then ``GET /api/v1/boundaries`` serves them to anyone and
the England page of that vintage draws geoshapes, while the demo's draws tiles.
"""

from __future__ import annotations

import html as markup
import json
import re
from typing import TYPE_CHECKING, Any

import handmade_boundaries as hand
from wfplan.dataset import codelists

if TYPE_CHECKING:
    from live import Server

    from conftest import Kit

VINTAGE = "geo-map"


def _spec(html: str, chart_id: str) -> dict[str, Any]:
    found = re.search(rf'<script type="application/json" id="{chart_id}-spec"[^>]*>(.*?)</script>',
                      html, re.S)
    assert found, f"no chart {chart_id} on the page"
    return dict(json.loads(found.group(1)))


def _source(html: str, chart_id: str) -> str:
    figure = html[html.index(f'id="{chart_id}-figure"'):]
    return markup.unescape(figure[figure.index("Source: "):figure.index("</figcaption>")])


def _load(server: Server, kit: Kit) -> dict[str, Any]:
    """Upload the boundaries and a few staff rows into VINTAGE (a new vintage)."""
    answer = server.client("national").post(f"/api/v1/vintages/{VINTAGE}/uploads", files=[
        ("files", ("icb_boundaries.geojson", json.dumps(hand.every_icb()).encode())),
        ("files", ("orgs.csv", kit.org_csv(kit.tmp_path / "orgs.csv").read_bytes())),
        ("files", ("staff.csv", kit.sip_csv(kit.tmp_path / "staff.csv", 8).read_bytes()))])
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_uploaded_boundaries_are_served_and_drawn(server: Server, kit: Kit) -> None:
    loaded = _load(server, kit)
    shapes = [f for f in loaded["files"] if f["file"] == "icb_boundaries.geojson"]
    assert shapes == [{"file": "icb_boundaries.geojson", "status": "loaded",
                           "format": "geojson:icb_boundaries", "rows": {"icb_boundaries": 42}}]
    given = {f["properties"]["ICB22CDH"]: f for f in hand.every_icb()["features"]}
    answers = [server.get(role, "/api/v1/boundaries", params={"vintage": VINTAGE})
               for role in (None, "icb", "national")]
    assert {a.status_code for a in answers} == {200}
    assert answers[0].headers["content-type"] == "application/geo+json"
    assert answers[0].json() == answers[1].json() == answers[2].json()  # public data, no scope
    body = answers[0].json()
    assert (body["type"], body["vintage"], body["complete"], body["missing"]) == (
        "FeatureCollection", VINTAGE, True, [])
    assert body["source_file"].endswith("icb_boundaries.geojson")
    assert {f["properties"]["icb_code"] for f in body["features"]} == set(given)
    for feature in body["features"]:
        code = feature["properties"]["icb_code"]
        assert feature["geometry"] == given[code]["geometry"]  # as uploaded
        assert feature["properties"]["ons_code"] == given[code]["properties"]["ICB22CD"]
        assert feature["properties"]["icb_name"] == given[code]["properties"]["ICB22NM"]
    # The England page of the vintage: the map is the boundaries, coloured by the API's figures.
    page = server.get(None, "/", params={"vintage": VINTAGE})
    assert page.status_code == 200, page.text[-500:]
    spec = _spec(page.text, "england-icb-map")
    assert spec["mark"]["type"] == "geoshape"
    drawn = spec["data"]["values"]["features"]
    assert sorted(f["properties"]["icb_code"] for f in drawn) == sorted(given)
    metrics = server.get(None, "/api/v1/metrics", params={"vintage": VINTAGE, "level": "icb"})
    expected = {r["area_code"]: r["vacancy_rate"] for r in metrics.json()["current_position"]
                if r["area_code"] in given}
    assert {f["properties"]["icb_code"]: f["properties"]["value"] for f in drawn} == {
        code: expected.get(code) for code in given}
    assert "drawn on the ICB boundaries of" in _source(page.text, "england-icb-map")
    assert "icb_boundaries.geojson (/api/v1/boundaries)" in _source(page.text, "england-icb-map")
    # A region's page: the same boundaries, its own ICBs (London's five) outlined.
    region = server.get(None, "/area/region/Y56", params={"vintage": VINTAGE})
    assert region.status_code == 200, region.text[-500:]
    drawn = _spec(region.text, "region-Y56-icb-map")
    assert drawn["mark"]["type"] == "geoshape"
    london = {r["code"] for r in codelists.get("icb").rows if r["region_code"] == "Y56"}
    assert {f["properties"]["icb_code"] for f in drawn["data"]["values"]["features"]
            if f["properties"]["highlight"]} == london
    assert len(london) == 5
    assert "drawn on the ICB boundaries of" in _source(region.text, "region-Y56-icb-map")


def test_the_demo_has_no_boundaries_and_its_map_is_tiles(server: Server) -> None:
    body = server.get(None, "/api/v1/boundaries").json()  # the demo vintage
    assert (body["vintage"], body["features"], body["complete"]) == ("demo", [], False)
    assert len(body["missing"]) == 42
    page = server.get(None, "/")
    spec = _spec(page.text, "england-icb-map")
    assert spec["layer"][0]["mark"]["type"] == "rect"  # the tiles
    assert len(spec["data"]["values"]) == 42
    assert "drawn as wfplan's tile map, one square per ICB" in _source(page.text,
                                                                       "england-icb-map")
    assert server.get(None, "/api/v1/boundaries",
                      params={"vintage": "no-such"}).status_code == 404


def test_a_bad_boundaries_upload_answers_422_naming_the_feature(server: Server) -> None:
    collection = hand.few()
    collection["features"][1]["geometry"] = {"type": "Point", "coordinates": [0.1, 51.5]}
    answer = server.client("national").post(
        "/api/v1/vintages/geo-bad/uploads",
        files=[("files", ("bad.geojson", json.dumps(collection).encode()))])
    assert answer.status_code == 422, answer.text
    assert answer.json() == [{
        "file": "bad.geojson", "row": 2, "column": "geometry.type", "value": "Point",
        "rule": "is not a Polygon or MultiPolygon (rule: an ICB's boundary is an area)",
        "place": "features[1]", "severity": "error", "rows": 1}]
    names = [v["name"] for v in server.get("national", "/api/v1/vintages").json()]
    assert "geo-bad" not in names


def test_the_openapi_spec_has_the_boundaries(server: Server) -> None:
    spec = server.get(None, "/api/openapi.json").json()
    route = spec["paths"]["/api/v1/boundaries"]["get"]
    assert route["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Boundaries"}
    for model in ("Boundaries", "BoundaryFeature", "Polygon", "MultiPolygon"):
        assert model in spec["components"]["schemas"], model
