"""The map of the 42 ICBs for the dashboard: a tile map, or real boundaries when loaded.

Part of :mod:`wfplan.web.charts` (which re-exports :func:`tile_map`). The tile
map puts one square per ICB where :func:`wfplan.dataset.tilemap.icb_tiles` lays
it out, coloured by the measure and labelled with the ICB's code and value (so
the value is never colour alone); with a GeoJSON FeatureCollection of ICB
boundaries it draws those instead (Vega-Lite ``geoshape``, coordinates in
longitude and latitude, as ONS's GeoJSON downloads give them).
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Collection
from typing import Any

import pandas as pd

from wfplan.dataset.tilemap import icb_tiles
from wfplan.report import format as fmt
from wfplan.report.style import NHS_DARK_BLUE, NHS_DARK_GREY, NHS_PALE_GREY, TEXT
from wfplan.web.charts import Chart, spec

TILE = 46
#: The fill of an ICB without a figure.
NO_VALUE = "#ffffff"
#: Text colour on a tile: white on the darker half of the scale.
INK = {"condition": {"test": "datum.ink == 'light'", "value": "#ffffff"}, "value": TEXT}
#: The outline of a highlighted ICB (thick and darker: the fill still says only the value).
HIGHLIGHT_WIDTH = 3.5


def _shown(value: Any, rate: bool) -> str:
    if fmt.is_missing(value):
        return fmt.MISSING
    return fmt.percent(value) if rate else fmt.projection(value)


def _values(frame: pd.DataFrame) -> pd.DataFrame:
    """Return one row per ICB of the code list: code, name, region, row, col, value."""
    missing = [c for c in ("icb_code", "icb_name", "value") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"a map needs the columns icb_code, icb_name, value; missing {', '.join(missing)}"
        )
    given = {str(c).upper(): v for c, v in zip(frame["icb_code"], frame["value"], strict=True)}
    unknown = sorted(set(given) - {t.icb_code for t in icb_tiles()})
    if unknown:
        raise ValueError(f"not ICBs of the code list: {', '.join(unknown)}")
    return pd.DataFrame(
        [
            {
                "icb_code": t.icb_code,
                "icb_name": t.name,
                "region_code": t.region_code,
                "row": t.row,
                "col": t.col,
                "value": given.get(t.icb_code),
            }
            for t in icb_tiles()
        ]
    )


def _colour(values: pd.Series, title: str, rate: bool, field: str = "value") -> dict[str, Any]:
    """Return the colour encoding: pale grey to NHS dark blue; no value is white."""
    return {
        "field": field,
        "type": "quantitative",
        "title": title,
        "condition": {"test": f"datum.{field} == null", "value": NO_VALUE},
        "scale": {"range": [NHS_PALE_GREY, NHS_DARK_BLUE]},
        "legend": {"format": ".1%" if rate else ",.0f", "direction": "horizontal"},
    }


def _text_colours(values: pd.Series) -> list[str]:
    """Return ``light`` (white text) on the darker half of the scale, else ``dark``."""
    numbers = pd.to_numeric(values, errors="coerce")
    low, high = numbers.min(), numbers.max()
    middle = (low + high) / 2 if pd.notna(low) else 0.0
    return ["light" if pd.notna(v) and v > middle else "dark" for v in numbers]


def tile_map(
    frame: pd.DataFrame,
    *,
    id: str,
    measure: str,
    source: str,
    period: str,
    boundaries: dict[str, Any] | None = None,
    percent: bool | None = None,
    highlight: Collection[str] = (),
) -> Chart:
    """Return the 42 ICBs coloured by a measure: tiles, or ``boundaries`` when given.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``icb_code, icb_name, value``: one row per ICB with a figure (others show n/a).
    measure : str
        The measure's name in words; a name with "rate", "share" or "%" is shown
        as a percentage.
    boundaries : dict, optional
        A GeoJSON FeatureCollection whose features carry the ICB's code
        (:func:`feature_code`); every ICB of the code list must have one.
    percent : bool, optional
        Whether the values are fractions shown as percentages (default: guessed
        from ``measure``'s name, as above).
    highlight : collection of str, optional
        ICB codes drawn with a thick dark outline (a region's own ICBs, say); the
        fill is the value's colour as for every other ICB, so the colours compare.
    """
    rate = (
        any(word in measure.lower() for word in ("rate", "share", "%"))
        if percent is None
        else percent
    )
    rows = _values(frame)
    marked = {str(code).upper() for code in highlight}
    rows["label"] = [_shown(v, rate) for v in rows["value"]]
    rows["ink"] = _text_colours(rows["value"])
    shown = rows["value"].notna()
    highest = rows[shown].sort_values("value", ascending=False).head(1)
    top = (
        f"; highest {highest['icb_name'].iloc[0]} ({highest['label'].iloc[0]})"
        if len(highest)
        else ""
    )
    kind = "map of ICB boundaries" if boundaries is not None else "tile map, one square per ICB"
    outlined = f" The {len(marked)} ICBs highlighted have a thick outline." if marked else ""
    description = (
        f"{measure} in the 42 integrated care boards, {period} ({kind}): "
        f"{int(shown.sum())} with a figure{top}.{outlined} The figures are in the table."
    )
    if marked:
        rows["highlight"] = [code in marked for code in rows["icb_code"]]
    body = (
        _geo(rows, boundaries, measure, rate)
        if boundaries is not None
        else _tiles(rows, measure, rate)
    )
    table = rows[["icb_code", "icb_name", "value"]].rename(
        columns={"icb_code": "ICB code", "icb_name": "ICB", "value": measure}
    )
    title = f"{measure} by integrated care board"
    return Chart(
        id, title, spec(description, body, width=body.pop("_width")), table, source, period
    )


def _tooltip(measure: str, rate: bool) -> list[dict[str, Any]]:
    return [
        {"field": "icb_name", "title": "ICB"},
        {"field": "icb_code", "title": "Code"},
        {"field": "label", "title": measure},
    ]


def _outline(rows: pd.DataFrame, field: str = "highlight") -> dict[str, Any]:
    """Return the stroke encodings of highlighted ICBs (none if no ICB is highlighted)."""
    if "highlight" not in rows.columns:
        return {}
    test = f"datum.{field}"
    return {
        "stroke": {"condition": {"test": test, "value": TEXT}, "value": NHS_DARK_GREY},
        "strokeWidth": {"condition": {"test": test, "value": HIGHLIGHT_WIDTH}, "value": 1},
    }


def _tiles(rows: pd.DataFrame, measure: str, rate: bool) -> dict[str, Any]:
    columns, lines = int(rows["col"].max()) + 1, int(rows["row"].max()) + 1
    x = {
        "field": "col",
        "type": "ordinal",
        "axis": None,
        "scale": {"domain": list(range(columns)), "paddingInner": 0.08},
    }
    y = {
        "field": "row",
        "type": "ordinal",
        "axis": None,
        "scale": {"domain": list(range(lines)), "paddingInner": 0.08},
    }
    values = [
        {k: (None if pd.isna(v) else v) for k, v in r.items()} for r in rows.to_dict("records")
    ]
    return {
        "_width": columns * TILE,
        "height": lines * TILE,
        "data": {"values": values},
        "encoding": {"x": x, "y": y},
        "layer": [
            {
                "mark": {
                    "type": "rect",
                    "stroke": NHS_DARK_GREY,
                    "strokeWidth": 1,
                    "invalid": "show",
                },
                "encoding": {
                    "color": _colour(rows["value"], measure, rate),
                    "tooltip": _tooltip(measure, rate),
                    **_outline(rows),
                },
            },
            {
                "mark": {"type": "text", "dy": -7, "fontSize": 10, "fontWeight": "bold"},
                "encoding": {"text": {"field": "icb_code"}, "color": INK},
            },
            {
                "mark": {"type": "text", "dy": 7, "fontSize": 9},
                "encoding": {"text": {"field": "label"}, "color": INK},
            },
        ],
    }


def feature_code(feature: dict[str, Any], known: set[str]) -> str | None:
    """Return the ICB code a GeoJSON feature carries, or None.

    Looked for in its properties: ``icb_code``, then an ONS health code
    (a property named ``ICB…CDH``, such as ``ICB23CDH``), then any value that
    is an ICB code of the code list.
    """
    properties = feature.get("properties") or {}
    if str(properties.get("icb_code", "")).upper() in known:
        return str(properties["icb_code"]).upper()
    for key, value in properties.items():
        if (
            str(key).upper().startswith("ICB")
            and str(key).upper().endswith("CDH")
            and str(value).upper() in known
        ):
            return str(value).upper()
    for value in properties.values():
        if str(value).upper() in known:
            return str(value).upper()
    return None


def _signed_area(ring: list[list[float]]) -> float:
    """Return a ring's signed area on the plane (positive: counterclockwise, north up)."""
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in itertools.pairwise(ring)) / 2


def _polygon(rings: list[list[list[float]]]) -> list[list[list[float]]]:
    """Return a polygon's rings wound as d3-geo wants them: outer clockwise, holes not."""
    return [
        ring if (_signed_area(ring) < 0) == (i == 0) else ring[::-1] for i, ring in enumerate(rings)
    ]


def rewound(geometry: dict[str, Any]) -> dict[str, Any]:
    """Return a Polygon or MultiPolygon wound for Vega's d3-geo (other geometries as they are).

    GeoJSON (RFC 7946) winds outer rings counterclockwise; d3-geo, which draws
    Vega's ``geoshape``, takes a counterclockwise ring as everything but its
    inside (the whole map filled). Rings are rewound by their planar area, which
    is right for areas the size of an ICB.
    """
    if geometry.get("type") == "Polygon":
        return {**geometry, "coordinates": _polygon(geometry["coordinates"])}
    if geometry.get("type") == "MultiPolygon":
        return {**geometry, "coordinates": [_polygon(p) for p in geometry["coordinates"]]}
    return geometry


def _geo(
    rows: pd.DataFrame, boundaries: dict[str, Any], measure: str, rate: bool
) -> dict[str, Any]:
    """Return the body of a geoshape map: each feature with its ICB's figures joined in."""
    if boundaries.get("type") != "FeatureCollection":
        raise ValueError("boundaries must be a GeoJSON FeatureCollection")
    by_code = {str(r["icb_code"]): r for r in rows.to_dict("records")}
    features, found = [], set()
    for feature in boundaries.get("features") or []:
        code = feature_code(feature, set(by_code))
        if code is None:
            continue
        row = by_code[code]
        found.add(code)
        shaped = copy.deepcopy(feature)
        shaped["geometry"] = rewound(shaped.get("geometry") or {})
        shaped["properties"] = {
            "icb_code": code,
            "icb_name": row["icb_name"],
            "value": None if pd.isna(row["value"]) else row["value"],
            "label": row["label"],
            **({"highlight": bool(row["highlight"])} if "highlight" in row else {}),
        }
        features.append(shaped)
    absent = sorted(set(by_code) - found)
    if absent:
        raise ValueError(
            f"the boundaries have no feature for {len(absent)} ICB(s): {', '.join(absent[:5])}"
        )
    colour = _colour(rows["value"], measure, rate, "properties.value")
    tooltip = [{**t, "field": f"properties.{t['field']}"} for t in _tooltip(measure, rate)]
    return {
        "_width": 420,
        "height": 480,
        "data": {
            "values": {"type": "FeatureCollection", "features": features},
            "format": {"type": "json", "property": "features"},
        },
        "projection": {"type": "mercator"},
        "mark": {
            "type": "geoshape",
            "stroke": NHS_DARK_GREY,
            "strokeWidth": 0.5,
            "invalid": "show",
        },
        "encoding": {"color": colour, "tooltip": tooltip, **_outline(rows, "properties.highlight")},
    }
