"""ICB boundaries: a GeoJSON FeatureCollection read, checked and mapped to wfplan's ICBs.

The file is the ONS "Integrated Care Boards (July 2022) Boundaries EN" download
(or a later one) as GeoJSON, or any FeatureCollection laid out like it: one
feature per ICB, its geometry a Polygon or MultiPolygon in WGS 84 longitude and
latitude (RFC 7946), its properties naming the ICB. :func:`read` checks it and
returns every feature as given, or every rule it breaks; :mod:`wfplan.dataset.ingest`
loads it into the vintage's ``icb_boundaries`` in the ingest's one transaction.

**Which ICB a feature is.** wfplan's ICBs are ODS codes (``QMJ``, the code list
``icbs.csv``); ONS names an ICB by its GSS code (``E54000028``, property
``ICB22CD``) and gives the ODS code beside it (``ICB22CDH``, the "health" code).
A feature's ICB is the value of its ``icb_code`` property, else of a property
``ICBnnCDH`` (any year ``nn``), when that value is an ICB of the code list. wfplan
has no lookup from GSS codes to ODS codes (none is published in the project), so a
feature that carries only ``ICBnnCD`` (or an ODS code not in the code list) is
kept unmapped: a warning naming the code, counted in the ``unmapped`` table,
never guessed.

**Coordinates.** GeoJSON is longitude and latitude in WGS 84; ONS's other
downloads are British National Grid eastings and northings (EPSG:27700), which
an older GeoJSON says in a ``crs`` member. No library among wfplan's dependencies
reprojects, so such a file (a ``crs`` naming any other system, or a coordinate
outside longitude ±180 and latitude ±90) is refused with what to do instead.

Every problem names the file, the feature (``features[3]``), the property and the
rule; nothing is changed: the geometry is stored as the file gives it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wfplan.dataset import codelists
from wfplan.dataset.checks import Finding
from wfplan.dataset.validate import Issue, Unmapped

#: The file names read as ICB boundaries (anything else goes to the tabular importers;
#: a ``.json`` file is refused there, with a word on ``.geojson``).
SUFFIXES = frozenset({".geojson"})
#: The ingest log's format of a boundaries file.
FORMAT = "geojson:icb_boundaries"
#: The store table the features go to.
TABLE = "icb_boundaries"
#: The geometry types an ICB boundary may have.
GEOMETRIES = ("Polygon", "MultiPolygon")
#: ``crs`` names that mean WGS 84 longitude and latitude (RFC 7946's only system).
WGS84 = frozenset({"urn:ogc:def:crs:ogc:1.3:crs84", "urn:ogc:def:crs:epsg::4326",
                   "epsg:4326", "crs84"})
_ODS_KEY = re.compile(r"^ICB\d{2}CDH$", re.IGNORECASE)
_GSS_KEY = re.compile(r"^ICB\d{2}CD$", re.IGNORECASE)
_NAME_KEY = re.compile(r"^ICB\d{2}NM$", re.IGNORECASE)
_RULE = "a boundaries file is a GeoJSON FeatureCollection (RFC 7946)"
_REPROJECT = ("wfplan reads WGS 84 longitude and latitude only (it has no reprojection "
              "library): download the ONS file's GeoJSON, which is in WGS 84, or convert it, "
              "e.g. ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson")


@dataclass(frozen=True)
class Feature:
    """One feature of the file: where it is, the ICB it maps to, what it carries."""

    index: int
    icb_code: str | None
    ons_code: str | None
    name: str | None
    geometry: str
    """The geometry as GeoJSON text, as the file gives it."""


@dataclass
class BoundaryFile:
    """What :func:`read` found in one file."""

    path: Path
    features: list[Feature] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    places: dict[int, str] = field(default_factory=dict)
    """Where each feature named in a message is (row = index + 1): ``features[3]``."""

    def error(self, index: int | None, column: str | None, value: Any, rule: str) -> None:
        """Add an error about feature ``index`` (None: the whole file)."""
        row = None if index is None else index + 1
        shown = None if value is None else str(value)[:80]
        self.errors.append(Issue(self.path.name, row, column, shown, rule,
                                 place=None if index is None else place(index)))


def is_boundaries(path: Path) -> bool:
    """Return whether a file is read as ICB boundaries (by its name: ``.geojson``)."""
    return Path(path).suffix.lower() in SUFFIXES


def is_gss_key(name: str) -> bool:
    """Return whether a property name is ONS's GSS code of an ICB (``ICB22CD``, …)."""
    return bool(_GSS_KEY.match(name))


def place(index: int) -> str:
    """Return where feature ``index`` is, for a reader of the file."""
    return f"features[{index}]"


def read(path: Path) -> BoundaryFile:
    """Read and check a boundaries file; return its features, or the rules it breaks."""
    found = BoundaryFile(Path(path))
    collection = _collection(found)
    if collection is None:
        return found
    refused = _crs_refusal(collection.get("crs"))
    if refused:
        found.error(None, "crs", json.dumps(collection.get("crs"))[:80], refused)
        return found
    known = set(codelists.get("icb").codes)
    seen: dict[str, int] = {}
    for index, feature in enumerate(collection["features"]):
        _feature(found, index, feature, known, seen)
    if not found.errors:
        _coverage(found, known)
    return found


def _collection(found: BoundaryFile) -> dict[str, Any] | None:
    """Return the file's FeatureCollection, or None with the error."""
    try:
        data = json.loads(found.path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        found.error(None, None, None, f"is not UTF-8 text (byte {exc.start}) (rule: {_RULE}, "
                                      "UTF-8)")
        return None
    except json.JSONDecodeError as exc:
        found.error(None, None, None, f"is not valid JSON: {exc.msg} at line {exc.lineno} "
                                      f"column {exc.colno} (rule: {_RULE})")
        return None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        found.error(None, "type", kind, f"is not a FeatureCollection (rule: {_RULE})")
        return None
    if not isinstance(data.get("features"), list) or not data["features"]:
        found.error(None, "features", None, "has no features (rule: a FeatureCollection has "
                                            "a non-empty list 'features', one per ICB)")
        return None
    return data


def _crs_refusal(crs: Any) -> str | None:
    """Return why a ``crs`` member is refused (not WGS 84), or None."""
    if crs is None:
        return None
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if isinstance(name, str) and name.strip().lower() in WGS84:
        return None
    system = ("British National Grid (EPSG:27700)" if isinstance(name, str) and "27700" in name
              else f"the coordinate system {name!r}")
    return f"the file's coordinates are in {system} (rule: {_REPROJECT})"


def _feature(found: BoundaryFile, index: int, feature: Any, known: set[str],
             seen: dict[str, int]) -> None:
    """Check one feature and keep it, or add its errors."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        kind = feature.get("type") if isinstance(feature, dict) else type(feature).__name__
        found.error(index, "type", kind, "is not a Feature (rule: every member of 'features' "
                                         "is a GeoJSON Feature)")
        return
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        found.error(index, "properties", None, "has no properties (rule: a feature's "
                                               "properties name its ICB)")
        return
    geometry = feature.get("geometry")
    if not _geometry_ok(found, index, geometry):
        return
    code, ons, name, column, value = _codes(properties, known)
    if code is None and column is None:
        found.error(index, "properties", ", ".join(map(str, properties))[:80],
                    "names no ICB (rule: a feature's properties hold its ICB's ODS code in "
                    "icb_code or ICBnnCDH, e.g. ICB22CDH, or its ONS code in ICBnnCD)")
        return
    if code is not None and code in seen:
        found.error(index, column, code, f"is the ICB of features[{seen[code]}] too (rule: "
                                         "one feature per ICB)")
        return
    if code is None:
        found.unmapped.append(Unmapped(TABLE, str(column), str(value), 1, index + 1))
        found.places[index + 1] = place(index)
    else:
        seen[code] = index
    found.features.append(Feature(index, code, ons, name, json.dumps(geometry)))


def _codes(properties: dict[str, Any], known: set[str]
           ) -> tuple[str | None, str | None, str | None, str | None, Any]:
    """Return (ICB code or None, ONS code, name, the code's property, its value).

    The property and value are those an unmapped feature is warned about: the ODS
    code given (``icb_code`` or ``ICBnnCDH``), else the ONS code (``ICBnnCD``);
    both None when the feature names no ICB at all.
    """
    by_kind: dict[str, tuple[str, Any]] = {}
    for key, value in properties.items():
        text = str(key)
        kind = ("ods" if text.lower() == "icb_code" or _ODS_KEY.match(text)
                else "gss" if _GSS_KEY.match(text)
                else "name" if _NAME_KEY.match(text) or text.lower() == "icb_name" else None)
        if kind and value not in (None, "") and kind not in by_kind:
            by_kind[kind] = (text, value)
    ons = str(by_kind["gss"][1]).strip() if "gss" in by_kind else None
    name = str(by_kind["name"][1]).strip() if "name" in by_kind else None
    if "ods" in by_kind:
        key, value = by_kind["ods"]
        code = str(value).strip().upper()
        return (code if code in known else None), ons, name, key, value
    if "gss" in by_kind:
        return None, ons, name, *by_kind["gss"]
    return None, ons, name, None, None


def _geometry_ok(found: BoundaryFile, index: int, geometry: Any) -> bool:
    """Return whether a feature's geometry is a valid Polygon or MultiPolygon in WGS 84."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in GEOMETRIES:
        found.error(index, "geometry.type", kind if isinstance(geometry, dict) else geometry,
                    "is not a Polygon or MultiPolygon (rule: an ICB's boundary is an area)")
        return False
    assert isinstance(geometry, dict)
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        found.error(index, "geometry.coordinates", None, f"holds no polygon (rule: a {kind}'s "
                                                         "coordinates are a list of polygons)")
        return False
    for polygon in polygons:
        problem = _polygon_problem(polygon)
        if problem:
            found.error(index, "geometry.coordinates", None, problem)
            return False
    return True


def _polygon_problem(polygon: Any) -> str | None:
    """Return the rule a polygon's rings break, or None."""
    if not isinstance(polygon, list) or not polygon:
        return "a polygon has no rings (rule: a polygon is a list of linear rings)"
    for ring in polygon:
        if not isinstance(ring, list) or len(ring) < 4:
            return ("a ring has fewer than 4 positions (rule: a linear ring is closed and has "
                    "at least 4 positions, RFC 7946 3.1.6)")
        for position in ring:
            problem = _position_problem(position)
            if problem:
                return problem
        if ring[0][:2] != ring[-1][:2]:
            return ("a ring is not closed: its last position is not its first (rule: RFC 7946 "
                    "3.1.6)")
    return None


def _position_problem(position: Any) -> str | None:
    """Return the rule a position breaks (not two or three numbers, not lon/lat), or None."""
    if (not isinstance(position, list) or len(position) not in (2, 3)
            or not all(isinstance(v, int | float) and not isinstance(v, bool)
                       and math.isfinite(v) for v in position)):
        return (f"position {str(position)[:40]} is not 2 or 3 numbers (rule: a position is "
                "[longitude, latitude])")
    lon, lat = position[0], position[1]
    if abs(lon) > 180 or abs(lat) > 90:
        system = ("looks like British National Grid eastings and northings (EPSG:27700)"
                  if 0 <= lon <= 700_000 and 0 <= lat <= 1_300_000 else "is not longitude "
                  "and latitude")
        return f"position [{lon}, {lat}] {system} (rule: {_REPROJECT})"
    return None


def _coverage(found: BoundaryFile, known: set[str]) -> None:
    """Warn about the ICBs of the code list the file has no boundary for."""
    missing = sorted(known - {f.icb_code for f in found.features if f.icb_code})
    if missing:
        found.findings.append(Finding(
            TABLE, None, None,
            f"{len(missing)} of the {len(known)} ICBs have no boundary in the file "
            f"({', '.join(missing[:10])}{', …' if len(missing) > 10 else ''}); the dashboard "
            "draws the tile map until every ICB has one",
            "one feature per ICB of wfplan's code list", 1, None))
