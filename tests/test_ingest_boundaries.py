"""ICB boundaries (GeoJSON) loaded into a vintage: on both engines, in the ingest's transaction.

Hand-made FeatureCollections (tests/handmade_boundaries.py), written into tmp_path:
features stored as given and mapped to wfplan's ICBs by their ODS code, a code that
maps to none a warning naming it, and every bad file (JSON, geometry, coordinates,
codes) an error naming the file, the feature, the property and the rule, with a
non-zero exit and nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import handmade_boundaries as hand
from wfplan.dataset import schema
from wfplan.dataset.ingest import IngestError, ingest
from wfplan.errors import SchemaVersionError

if TYPE_CHECKING:
    from backends import Backend
    from conftest import Kit


def _rows(backend: Backend, sql: str) -> list[dict[str, Any]]:
    with backend.open(read_only=True) as store:
        frame = store.query(sql)
    return list(frame.astype(object).where(frame.notna(), None).to_dict("records"))


def test_boundaries_load_with_the_other_files_in_one_ingest(backend: Backend, kit: Kit) -> None:
    shapes = hand.write(kit.tmp_path / "icb_boundaries.geojson", hand.few())
    staff = kit.sip_csv(kit.tmp_path / "staff.csv", 5)
    with backend.open() as store:
        report = ingest(store, [shapes, kit.org_csv(kit.tmp_path / "orgs.csv"), staff], "geo")
    [loaded] = [f for f in report.files if f.path == shapes]
    assert (str(loaded.status), loaded.format) == ("loaded", "geojson:icb_boundaries")
    assert loaded.rows == {"icb_boundaries": 3}
    rows = _rows(backend, "SELECT feature_index, icb_code, ons_code, name, geometry "
                          "FROM icb_boundaries WHERE vintage = 'geo' ORDER BY feature_index")
    given = hand.few()["features"]
    assert [(r["feature_index"], r["icb_code"], r["ons_code"]) for r in rows] == [
        (0, "QMJ", "E54999001"), (1, "QMF", "E54999002"), (2, None, "E54999057")]
    assert [r["name"] for r in rows] == [f["properties"]["ICB22NM"] for f in given]
    # The geometry is the file's, unchanged (not rewound, not rounded).
    assert [json.loads(r["geometry"]) for r in rows] == [f["geometry"] for f in given]
    # The ONS-only code: a warning naming it and where it is, counted as unmapped.
    assert any("'E54999057'" in w and "features[2]" in w and "ICB22CD" in w
               for w in report.unmapped_warnings)
    assert any("no lookup from ONS codes" in n for n in report.notes)
    assert any("40 of the 42 ICBs have no boundary" in w for w in report.check_warnings)
    assert _rows(backend, "SELECT table_name, column_name, value, rows FROM unmapped "
                          "WHERE vintage = 'geo'") == [
        {"table_name": "icb_boundaries", "column_name": "ICB22CD", "value": "E54999057",
         "rows": 1}]
    logged = _rows(backend, "SELECT source_file, format, tables, rows, warnings FROM ingests "
                            "WHERE vintage = 'geo' AND tables = 'icb_boundaries'")
    assert logged == [{"source_file": "icb_boundaries.geojson",
                       "format": "geojson:icb_boundaries", "tables": "icb_boundaries",
                       "rows": 3, "warnings": 2}]
    with backend.open() as store:  # the same file again: skipped
        again = ingest(store, [shapes], "geo")
    assert str(again.files[0].status) == "already loaded"
    assert len(_rows(backend, "SELECT 1 FROM icb_boundaries")) == 3


def test_a_bad_csv_beside_the_boundaries_writes_neither(backend: Backend, kit: Kit) -> None:
    shapes = hand.write(kit.tmp_path / "b.geojson", hand.few())
    bad = kit.sip_file("bad.csv", [kit.sip_lines(1)[0].rsplit(",", 2)[0] + ",-4,1.0"])
    with backend.open() as store:
        before = kit.snapshot(store)
        with pytest.raises(IngestError, match=r"bad\.csv"):
            ingest(store, [shapes, kit.org_csv(kit.tmp_path / "o.csv"), bad], "geo")
        assert kit.snapshot(store) == before
        assert store.table_counts()["icb_boundaries"] == 0


def test_a_second_boundaries_file_into_a_vintage_is_refused(backend: Backend,
                                                            kit: Kit) -> None:
    first = hand.write(kit.tmp_path / "first.geojson", hand.few())
    second = hand.write(kit.tmp_path / "second.geojson", hand.every_icb())
    with backend.open() as store:
        ingest(store, [first], "geo")
        with pytest.raises(IngestError, match=r"second.geojson: vintage 'geo' holds ICB "
                                              r"boundaries already \(ingest \d+, first.geojson"):
            ingest(store, [second], "geo")
        ingest(store, [second], "geo-2")  # a new vintage takes them
        assert store.table_counts("geo-2")["icb_boundaries"] == 42


def _with(change: Any) -> dict[str, Any]:
    collection = hand.few()
    change(collection)
    return collection


def _set(path: str, value: Any) -> Any:
    """Return a change setting ``features[i].key…`` (dotted, from features[0]) to ``value``."""
    def change(collection: dict[str, Any]) -> None:
        index, *keys = path.split(".")
        node = collection["features"][int(index)]
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return change


BAD: dict[str, tuple[Any, str]] = {
    "not JSON": ('{"type": "FeatureCollection", "features": [', "is not valid JSON: Expecting "
                 "value at line 1 column 44 (rule: a boundaries file is a GeoJSON "
                 "FeatureCollection"),
    "not a collection": ({"type": "Feature"}, "column 'type': value 'Feature': is not a "
                         "FeatureCollection"),
    "no features": ({"type": "FeatureCollection", "features": []},
                    "column 'features': has no features"),
    "a point": (_with(_set("1.geometry", {"type": "Point", "coordinates": [0.1, 51.5]})),
                "features[1], column 'geometry.type': value 'Point': is not a Polygon or "
                "MultiPolygon (rule: an ICB's boundary is an area)"),
    "no geometry": (_with(_set("0.geometry", None)),
                    "features[0], column 'geometry.type': is not a Polygon or MultiPolygon"),
    "an open ring": (_with(_set("0.geometry.coordinates", [[[0, 51], [1, 51], [1, 52], [0, 52],
                                                            [0, 51.5]]])),
                     "features[0], column 'geometry.coordinates': a ring is not closed"),
    "a short ring": (_with(_set("0.geometry.coordinates", [[[0, 51], [1, 51], [0, 51]]])),
                     "features[0], column 'geometry.coordinates': a ring has fewer than 4 "
                     "positions"),
    "text for a number": (_with(_set("2.geometry.coordinates",
                                     [[["0", 51], [1, 51], [1, 52], ["0", 51]]])),
                          "features[2], column 'geometry.coordinates': position ['0', 51] is "
                          "not 2 or 3 numbers"),
    "British National Grid crs": (
        _with(lambda c: c.update(crs={"type": "name", "properties": {
            "name": "urn:ogc:def:crs:EPSG::27700"}})),
        "column 'crs': value '{\"type\": \"name\", \"properties\": {\"name\": \"urn:ogc:def:crs:"
        "EPSG::27700\"}}': the file's coordinates are in British National Grid (EPSG:27700) "
        "(rule: wfplan reads WGS 84 longitude and latitude only"),
    "eastings and northings": (
        _with(_set("1.geometry", {"type": "Polygon", "coordinates": [[
            [530000, 180000], [531000, 180000], [531000, 181000], [530000, 180000]]]})),
        "features[1], column 'geometry.coordinates': position [530000, 180000] looks like "
        "British National Grid eastings and northings (EPSG:27700)"),
    "no ICB named": (_with(_set("0.properties", {"FID": 1, "colour": "red"})),
                     "features[0], column 'properties': value 'FID, colour': names no ICB"),
    "one ICB twice": (_with(_set("1.properties.ICB22CDH", "QMJ")),
                      "features[1], column 'ICB22CDH': value 'QMJ': is the ICB of features[0] "
                      "too (rule: one feature per ICB)"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_boundaries_file_is_an_error_and_writes_nothing(case: str, kit: Kit,
                                                              base_db: Path) -> None:
    content, message = BAD[case]
    path = hand.write(kit.tmp_path / "icbs.geojson", content)
    error = kit.refused(base_db, path, extra=("--vintage", "geo"))
    assert f"icbs.geojson{', ' if not message.startswith('is') else ': '}{message}" in error, \
        error
    assert "Nothing was written" in error
    assert kit.read_back(base_db, "SELECT count(*) AS n FROM vintages WHERE name = 'geo'"
                         )["n"].iloc[0] == 0


def test_every_error_of_a_file_is_listed(kit: Kit, base_db: Path) -> None:
    collection = hand.few()
    collection["features"][0]["geometry"]["type"] = "LineString"
    collection["features"][2]["properties"] = {}
    error = kit.refused(base_db, hand.write(kit.tmp_path / "two.geojson", collection))
    assert "2 errors in the input" in error
    assert "two.geojson, features[0], column 'geometry.type': value 'LineString'" in error
    assert "two.geojson, features[2], column 'properties'" in error


def test_a_json_file_is_refused_with_a_word_on_geojson(kit: Kit, base_db: Path) -> None:
    error = kit.refused(base_db, hand.write(kit.tmp_path / "icbs.json", hand.few()))
    assert ("icbs.json: unsupported file type '.json'; wfplan reads .csv, .parquet, .txt, "
            ".xlsx (and ICB boundaries from GeoJSON named .geojson)") in error


def test_an_ods_code_outside_the_code_list_is_a_warning(kit: Kit, base_db: Path) -> None:
    collection = hand.few()
    collection["features"][1]["properties"]["ICB22CDH"] = "QZZ"
    result = kit.loaded(base_db, hand.write(kit.tmp_path / "odd.geojson", collection),
                        "--vintage", "geo-odd")
    out = kit.plain(result.stderr)
    assert ("odd.geojson: column 'ICB22CDH': 'QZZ' matches no known code (1 rows, first at "
            "features[1]); kept as given, counted as unmapped") in out
    stored = kit.read_back(base_db, "SELECT icb_code, ons_code FROM icb_boundaries "
                                    "WHERE feature_index = 1")
    assert stored.astype(object).where(stored.notna(), None).to_dict("records") == [
        {"icb_code": None, "ons_code": "E54999002"}]


def test_migration_to_9_adds_the_boundaries_table(backend: Backend) -> None:
    with backend.open() as store:
        store.ensure_writable_vintage("v")
    backend.sql("DROP TABLE icb_boundaries")
    backend.sql("UPDATE schema_meta SET value = '8' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError, match="schema version 8"):
        backend.open(read_only=True)
    with backend.open() as migrated:
        assert int(migrated.scalar("SELECT value FROM schema_meta WHERE key = "
                                   "'schema_version'")) == schema.SCHEMA_VERSION
        assert migrated.table_counts("v")["icb_boundaries"] == 0
        assert migrated.vintage_exists("v")
