"""Small hand-made ICB boundaries GeoJSON files, laid out like ONS's download.

Each feature's properties are ONS's (``ICB22CD``, ``ICB22CDH``, ``ICB22NM``); each
geometry is a square (or two) in WGS 84 longitude and latitude, wound as RFC 7946
says (outer rings counterclockwise). The ONS (GSS) codes here are made up for the
tests (``E54999…``): wfplan never reads them as anything but text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from wfplan.dataset.tilemap import icb_tiles


def square(lon: float, lat: float, side: float = 0.4) -> list[list[list[float]]]:
    """Return a Polygon's coordinates: one counterclockwise square ring."""
    return [[[lon, lat], [lon + side, lat], [lon + side, lat + side], [lon, lat + side],
             [lon, lat]]]


def feature(ods: str | None, gss: str | None, name: str,
            geometry: dict[str, Any]) -> dict[str, Any]:
    """Return a feature with ONS's property names (a None code is left out)."""
    properties: dict[str, Any] = {"FID": 1}
    if gss is not None:
        properties["ICB22CD"] = gss
    if ods is not None:
        properties["ICB22CDH"] = ods
    properties["ICB22NM"] = name
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def few() -> dict[str, Any]:
    """Return three features: QMJ (a Polygon), QMF (a MultiPolygon), and one named only by an
    ONS code (unmapped)."""
    return {"type": "FeatureCollection", "features": [
        feature("QMJ", "E54999001", "NHS North Central London ICB",
                {"type": "Polygon", "coordinates": square(-0.2, 51.5)}),
        feature("QMF", "E54999002", "NHS North East London ICB",
                {"type": "MultiPolygon", "coordinates": [square(0.3, 51.5),
                                                         square(0.8, 51.5, 0.1)]}),
        feature(None, "E54999057", "NHS Greater Manchester ICB",
                {"type": "Polygon", "coordinates": square(-2.3, 53.4)}),
    ]}


def every_icb() -> dict[str, Any]:
    """Return one square per ICB of the code list, where its tile is (0.5 degrees a tile)."""
    return {"type": "FeatureCollection", "features": [
        feature(t.icb_code, f"E54999{i:03d}", t.name,
                {"type": "Polygon", "coordinates": square(-5 + 0.5 * t.col, 55.5 - 0.5 * t.row)})
        for i, t in enumerate(icb_tiles())]}


def write(path: Path, collection: dict[str, Any] | str) -> Path:
    """Write a FeatureCollection (or any text) to ``path``; return the path."""
    text = collection if isinstance(collection, str) else json.dumps(collection, indent=1)
    path.write_text(text, encoding="utf-8")
    return path
