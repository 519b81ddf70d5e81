"""The dashboard's projection charts: supply and demand fans, the gap by staff group, tornadoes.

Part of :mod:`wfplan.web.charts` (which re-exports them): Vega-Lite specs with
their data inline and a table of the same numbers, in the report's colours
(:mod:`wfplan.report.style`: demand dark pink with squares, supply NHS blue with
circles), every series labelled so that colour is never the only cue.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from wfplan.report import format as fmt
from wfplan.report.style import BAND_ALPHA, NHS_BLUE, NHS_DARK_BLUE, NHS_DARK_PINK, TEXT
from wfplan.web.charts import Chart, _plain, _records, spec

#: Fan variable → (label, colour, shape), as the report's FAN_STYLES draw them.
FAN = {"demand": ("Demand", NHS_DARK_PINK, "square"), "supply": ("Supply", NHS_BLUE, "circle")}


def _check(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{what} needs the columns {', '.join(columns)}; missing {', '.join(missing)}"
        )


def _fan_layers(last: int) -> list[dict[str, Any]]:
    """Return the fan chart's layers: bands, P50 lines with markers, end labels."""
    names = [FAN[v][0] for v in FAN]
    colour = {
        "field": "label",
        "type": "nominal",
        "title": None,
        "scale": {"domain": names, "range": [FAN[v][1] for v in FAN]},
    }
    shape = {**colour, "scale": {"domain": names, "range": [FAN[v][2] for v in FAN]}}
    x = {
        "field": "year",
        "type": "quantitative",
        "title": None,
        "axis": {"format": "d", "tickMinStep": 1},
        "scale": {"zero": False},
    }
    y = {"field": "p50", "type": "quantitative", "title": "FTE", "axis": {"format": ",.0f"}}
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "area", "opacity": BAND_ALPHA * 2},
            "encoding": {
                "x": x,
                "y": {"field": "p5", "type": "quantitative", "title": "FTE"},
                "y2": {"field": "p95"},
                "color": {**colour, "legend": None},
            },
        },
        {
            "mark": {"type": "line", "strokeWidth": 2, "point": {"filled": True, "size": 40}},
            "encoding": {
                "x": x,
                "y": y,
                "color": colour,
                "shape": shape,
                "tooltip": [
                    {"field": "label", "title": "Series"},
                    {"field": "year", "title": "Year"},
                    {"field": "p5", "format": ",.0f", "title": "P5"},
                    {"field": "p50", "format": ",.0f", "title": "P50"},
                    {"field": "p95", "format": ",.0f", "title": "P95"},
                ],
            },
        },
        {
            "transform": [{"filter": f"datum.year == {last}"}],
            "mark": {"type": "text", "align": "left", "dx": 8, "fontWeight": "bold"},
            "encoding": {"x": x, "y": y, "text": {"field": "label"}},
        },
    ]
    return layers


def fan_chart(frame: pd.DataFrame, *, id: str, title: str, source: str, period: str) -> Chart:
    """Return supply and demand as fans: the P5 to P95 band, the P50 line with markers.

    ``frame`` has ``year, variable ("supply" or "demand"), p5, p50, p95`` (a
    projection's results). Each line is labelled at its end; demand is dark pink
    with squares, supply NHS blue with circles, as in the report.
    """
    _check(frame, ["year", "variable", "p5", "p50", "p95"], "a fan chart")
    rows = frame[frame["variable"].isin(list(FAN))].sort_values(["variable", "year"])
    rows = rows.assign(label=[FAN[v][0] for v in rows["variable"]])[
        ["year", "variable", "label", "p5", "p50", "p95"]
    ].reset_index(drop=True)
    last = int(rows["year"].max()) if len(rows) else 0
    layers = _fan_layers(last)
    ends = "; ".join(
        f"{r.label} {fmt.projection(r.p50)} FTE (P5 {fmt.projection(r.p5)}, P95 "
        f"{fmt.projection(r.p95)})"
        for r in rows[rows["year"] == last].itertuples()
    )
    description = (
        f"Fan chart of supply and demand, {period}: bands P5 to P95, lines P50. "
        f"In {last}: {ends}. The figures are in the table."
    )
    body = {"data": {"values": _records(rows)}, "height": 260, "layer": layers}
    table = rows.drop(columns="variable").astype({"year": str}).rename(
        columns={
            "year": "Year",
            "label": "Series",
            "p5": "P5 (FTE)",
            "p50": "P50 (FTE)",
            "p95": "P95 (FTE)",
        }
    )
    return Chart(id, title, spec(description, body), table, source, period)


def _gap_layers(order: list[str]) -> list[dict[str, Any]]:
    """Return the gap bars' layers: P50 bars, P5 to P95 lines, labels, the zero line."""
    y = {
        "field": "staff_group_name",
        "type": "nominal",
        "title": None,
        "sort": order,
        "axis": {"labelLimit": 220},
    }
    x = {
        "field": "p50",
        "type": "quantitative",
        "title": "Gap in FTE (demand minus supply)",
        "axis": {"format": ",.0f"},
    }
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "bar", "color": NHS_BLUE, "height": {"band": 0.6}},
            "encoding": {"y": y, "x": x},
        },
        {
            "mark": {"type": "rule", "color": TEXT, "strokeWidth": 1.5},
            "encoding": {
                "y": y,
                "x": {"field": "p5", "type": "quantitative"},
                "x2": {"field": "p95"},
            },
        },
        {
            "mark": {"type": "text", "align": "left", "dx": 4, "dy": -10},
            "encoding": {
                "y": y,
                "x": {"field": "p95", "type": "quantitative"},
                "text": {"field": "label"},
            },
        },
        {
            "data": {"values": [{"zero": 0}]},
            "mark": {"type": "rule", "color": TEXT},
            "encoding": {"x": {"field": "zero", "type": "quantitative"}},
        },
    ]
    return layers


def gap_bars(frame: pd.DataFrame, *, id: str, title: str, source: str, period: str) -> Chart:
    """Return the gap by staff group: a bar to the P50, a line across P5 to P95, labelled.

    ``frame`` has ``staff_group_name, p5, p50, p95``; a gap above 0 is a shortfall.
    """
    _check(frame, ["staff_group_name", "p5", "p50", "p95"], "gap bars")
    rows = (
        frame[["staff_group_name", "p5", "p50", "p95"]]
        .sort_values("p50", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    rows = rows.assign(label=[fmt.projection(v) for v in rows["p50"]])
    layers = _gap_layers(list(rows["staff_group_name"]))
    top = rows.iloc[0] if len(rows) else None
    described = (
        (f"; the largest is {top['staff_group_name']}, {fmt.projection(top['p50'])} FTE")
        if top is not None
        else ""
    )
    description = (
        f"Bar chart of the gap in FTE for {len(rows)} staff groups, {period}: bars "
        f"P50, lines P5 to P95{described}. The figures are in the table."
    )
    body = {"data": {"values": _records(rows)}, "height": {"step": 28}, "layer": layers}
    table = rows.drop(columns="label").rename(
        columns={
            "staff_group_name": "Staff group",
            "p5": "P5 (FTE)",
            "p50": "P50 (FTE)",
            "p95": "P95 (FTE)",
        }
    )
    return Chart(id, title, spec(description, body), table, source, period)


def _tornado_long(rows: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Return one row per quantity and end (low, high): the gap there and its label."""
    return pd.DataFrame(
        [
            {
                "quantity": name,
                "end": end,
                "moved_to": _plain(row[end]),
                "gap": float(row[f"gap_{end}"]),
                "central": float(row["gap_central"]),
                "label": f"{end} {fmt.readable(row[end]) if _numeric(row[end]) else row[end]}",
            }
            for name, (_, row) in zip(names, rows.iterrows(), strict=True)
            for end in ("low", "high")
        ]
    )


def _tornado_layers(names: list[str]) -> list[dict[str, Any]]:
    """Return the tornado's layers: bars from the central gap, labels, the central line."""
    y = {
        "field": "quantity",
        "type": "nominal",
        "title": None,
        "sort": names,
        "axis": {"labelLimit": 260},
    }
    ends = {
        "field": "end",
        "type": "nominal",
        "title": "Quantity at its",
        "scale": {"domain": ["low", "high"], "range": [NHS_BLUE, NHS_DARK_BLUE]},
    }
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "bar", "height": {"band": 0.4}},
            "encoding": {
                "y": y,
                "yOffset": {"field": "end", "sort": ["low", "high"]},
                "x": {
                    "field": "central",
                    "type": "quantitative",
                    "title": "Gap in FTE (demand minus supply)",
                    "scale": {"zero": False, "padding": 60},
                    "axis": {"format": ",.0f"},
                },
                "x2": {"field": "gap"},
                "color": ends,
            },
        },
        *(
            {
                "transform": [{"filter": f"datum.gap {test} datum.central"}],
                "mark": {"type": "text", "align": align, "dx": dx, "fontSize": 10},
                "encoding": {
                    "y": y,
                    "yOffset": {"field": "end", "sort": ["low", "high"]},
                    "x": {"field": "gap", "type": "quantitative"},
                    "text": {"field": "label"},
                },
            }
            for test, align, dx in ((">=", "left", 4), ("<", "right", -4))
        ),
        {
            "mark": {"type": "rule", "color": TEXT},
            "encoding": {"x": {"aggregate": "max", "field": "central", "type": "quantitative"}},
        },
    ]
    return layers


def tornado(frame: pd.DataFrame, *, id: str, title: str, source: str, period: str) -> Chart:
    """Return a tornado chart: how far the gap moves when each quantity moves.

    ``frame`` has the sensitivity job's tornado columns (``rank, quantity, low,
    high, gap_central, gap_low, gap_high, swing``): one row per quantity, largest
    swing first. Each bar runs from the central gap to the gap with the quantity
    at its low (NHS blue) or high (NHS dark blue) value and is labelled with it.
    """
    from wfplan.report.tornado_chart import quantity_label

    _check(
        frame,
        ["rank", "quantity", "low", "high", "gap_central", "gap_low", "gap_high", "swing"],
        "a tornado",
    )
    rows = frame.sort_values("rank", kind="stable").reset_index(drop=True)
    names = [quantity_label(str(q)) for q in rows["quantity"]]
    long = _tornado_long(rows, names)
    layers = _tornado_layers(names)
    centre = float(rows["gap_central"].iloc[0]) if len(rows) else 0.0
    description = (
        f"Tornado chart of {len(rows)} quantities, {period}: with every quantity "
        f"central the gap is {fmt.projection(centre)} FTE; bars show the gap with "
        "one quantity at its low or high value. The figures are in the table."
    )
    body = {"data": {"values": _records(long)}, "height": {"step": 18}, "layer": layers}
    table = pd.DataFrame(
        {
            "Quantity": names,
            "Low value": rows["low"],
            "Gap at low (FTE)": rows["gap_low"],
            "Central gap (FTE)": rows["gap_central"],
            "High value": rows["high"],
            "Gap at high (FTE)": rows["gap_high"],
            "Swing (FTE)": rows["swing"],
        }
    )
    return Chart(id, title, spec(description, body), table, source, period)


def _numeric(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
