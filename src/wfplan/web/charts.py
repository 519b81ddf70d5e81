"""The dashboard's charts: Vega-Lite v6 specs built on the server, their data inline.

Each function returns a :class:`Chart`: a complete spec (``data.values`` holds
every number drawn, so the page needs no further request), the same numbers as
a table with readable column names (the "show as table" alternative and the
download), and the source and period its caption names. The page draws the spec
with the vendored vega-embed (``static/charts.js``, the macro
``templates/macros/chart.html``). Pure functions: no I/O.

Colours and conventions are the report's (:mod:`wfplan.report.style`): supply
NHS blue with circles, demand dark pink with squares, P5 to P95 as a band. Nothing
is carried by colour alone: series and point types differ in shape too, and lines
and special points are labelled.

SPC charts follow NHS England's "Making Data Count" (MDC). The point colours are
MDC's, as NHSRplotthedots (the NHS-R community's MDC package) defines them in
``R/ptd_spc_colours.R`` (standardised with the MDC team, NHSRplotthedots issue
196, December 2023): common cause ``#a6a6a6``, special cause improvement
``#00b0f0``, concern ``#e46c0a``, neutral ``#490092``, mean line ``#000000``.
Two of those fills are below 3:1 against white (WCAG 1.4.11), so every point has
a dark outline, and the process limits are drawn in NHS dark grey rather than
MDC's ``#a6a6a6`` (a wfplan choice, for contrast).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wfplan.report import format as fmt
from wfplan.report.style import (
    NHS_DARK_GREY,
    TEXT,
)
from wfplan.web import models_trends

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
FONT = "Frutiger W01, Arial, sans-serif"
WIDTH = 560

#: MDC point colours (NHSRplotthedots ``ptd_spc_colours``, see the module docstring).
MDC_COMMON = "#a6a6a6"
MDC_IMPROVEMENT = "#00b0f0"
MDC_CONCERN = "#e46c0a"
MDC_NEUTRAL = "#490092"
MDC_MEAN = "#000000"
#: Point type → (label, colour, shape): the shape says the same as the colour.
POINT_STYLES = {
    "common_cause": ("Common cause", MDC_COMMON, "circle"),
    "improvement": ("Special cause: improvement", MDC_IMPROVEMENT, "diamond"),
    "concern": ("Special cause: concern", MDC_CONCERN, "square"),
    "neutral_high": ("Special cause: neutral, high", MDC_NEUTRAL, "triangle-up"),
    "neutral_low": ("Special cause: neutral, low", MDC_NEUTRAL, "triangle-down"),
}
#: The special-cause rules, as the table names them.
RULES = {
    "outside": "beyond a limit",
    "shift": "run of 7",
    "trend": "trend of 7",
    "two_of_three": "2 of 3 near a limit",
}


@dataclass(frozen=True)
class Chart:
    """One chart of a page: its spec, its table, and what its caption names.

    Attributes
    ----------
    id : str
        The html id of the element the chart is drawn in (unique on a page).
    title : str
        The chart's title (the figure's accessible name).
    spec : dict
        A complete Vega-Lite v6 spec with its data inline (``values``).
    table : pandas.DataFrame
        The same numbers as a table, with readable column names.
    source : str
        The publications or data the numbers come from.
    period : str
        The period covered, in words.
    """

    id: str
    title: str
    spec: dict[str, Any]
    table: pd.DataFrame
    source: str
    period: str

    @property
    def description(self) -> str:
        """The chart's description (the spec's): what a screen reader announces."""
        return str(self.spec.get("description", self.title))

    def columns(self) -> list[str]:
        """Return the table's column names."""
        return [str(c) for c in self.table.columns]

    def rows(self) -> list[list[str]]:
        """Return the table's cells as text (numbers with separators, missing as n/a)."""
        return [[cell(v) for v in row] for row in self.table.itertuples(index=False)]


def cell(value: Any) -> str:
    """Return one table cell as text."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | float | np.integer | np.floating) or value is pd.NA:
        if fmt.is_missing(value):
            return fmt.MISSING
        number = float(value)  # type: ignore[arg-type]
        if number.is_integer() or abs(number) >= 1000:
            return fmt.number(number)
        return fmt.readable(number, 4)
    return fmt.MISSING if value is None else str(value)


def spec(description: str, body: dict[str, Any], *, width: int = WIDTH) -> dict[str, Any]:
    """Return a top-level spec: schema, description, size, fonts and text colours."""
    return {
        "$schema": SCHEMA,
        "description": description,
        "width": width,
        "config": {
            "font": FONT,
            "axis": {
                "labelColor": TEXT,
                "titleColor": TEXT,
                "labelFontSize": 12,
                "titleFontSize": 12,
                "domainColor": NHS_DARK_GREY,
                "tickColor": NHS_DARK_GREY,
                "gridColor": "#d8dde0",
            },
            "legend": {
                "labelColor": TEXT,
                "titleColor": TEXT,
                "labelFontSize": 12,
                "titleFontSize": 12,
                "orient": "bottom",
                "direction": "vertical",
                "labelLimit": 320,
            },
            "text": {"color": TEXT, "fontSize": 11},
            "view": {"stroke": None},
        },
        **body,
    }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return a frame's rows as JSON-ready dicts (missing values as None)."""
    out = []
    for row in frame.to_dict("records"):
        out.append({str(k): _plain(v) for k, v in row.items()})
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def _value_format(unit: str) -> str:
    return ".1%" if unit == "proportion" else ",.0f"


def _shown(value: float, unit: str) -> str:
    return fmt.percent(value, 2) if unit == "proportion" else fmt.number(value)


def _spc_points(trend: models_trends.Trend) -> pd.DataFrame:
    rows = []
    for p in trend.points:
        kind = p.point_type or "common_cause"
        rules = [text for name, text in RULES.items() if getattr(p, name)]
        rows.append(
            {
                "period": p.period,
                "value": p.value,
                "point_type": kind,
                "type_label": POINT_STYLES[kind][0],
                "rules": ", ".join(rules) or None,
                "flag": POINT_STYLES[kind][0].split(": ")[-1] if kind != "common_cause" else None,
            }
        )
    return pd.DataFrame(
        rows, columns=["period", "value", "point_type", "type_label", "rules", "flag"]
    )


def _spc_description(trend: models_trends.Trend) -> str:
    parts = [f"SPC chart of {trend.label.lower()}, {trend.area_name}, {trend.period}"]
    if trend.spc is None:
        parts.append(f"no process limits ({trend.warning})")
        return ". ".join(parts) + ". The figures are in the table."
    s, unit = trend.spc, trend.unit
    flagged = sum(1 for p in trend.points if p.point_type not in (None, "common_cause"))
    assurance = s.assurance_icon or "none (no target)"
    parts += [
        f"Mean {_shown(s.mean, unit)}, process limits {_shown(s.lower_process_limit, unit)}"
        f" to {_shown(s.upper_process_limit, unit)}",
        f"{flagged} of {len(trend.points)} points special cause",
        f"Variation icon: {s.variation_icon.replace('_', ' ')}",
        f"assurance icon: {assurance.replace('_', ' ')}",
    ]
    if trend.warning:
        parts.append(trend.warning)
    return ". ".join(parts) + ". The figures are in the table."


def _limit_layers(trend: models_trends.Trend) -> list[dict[str, Any]]:
    """Return the layers of the mean (solid) and the process limits (dashed), labelled."""
    s = trend.spc
    if s is None:
        return []
    layers: list[dict[str, Any]] = []
    lines = (
        (MDC_MEAN, [1, 0], [("Mean", s.mean)]),
        (
            NHS_DARK_GREY,
            [6, 4],
            [
                ("Upper process limit", s.upper_process_limit),
                ("Lower process limit", s.lower_process_limit),
            ],
        ),
    )
    for colour, dash, values in lines:
        data = {"values": [{"line": name, "y": value} for name, value in values]}
        y = {"field": "y", "type": "quantitative"}
        layers.append(
            {
                "data": data,
                "mark": {"type": "rule", "strokeWidth": 1.5, "color": colour, "strokeDash": dash},
                "encoding": {"y": y},
            }
        )
        layers.append(
            {
                "data": data,
                "mark": {"type": "text", "align": "right", "dx": -2, "dy": -7, "fontSize": 11},
                "encoding": {"x": {"value": "width"}, "y": y, "text": {"field": "line"}},
            }
        )
    return layers


def _spc_encodings(trend: models_trends.Trend, count: int) -> tuple[dict[str, Any], ...]:
    """Return the SPC chart's x, y, colour, shape and tooltip encodings."""
    x = {
        "field": "period",
        "type": "temporal",
        "title": None,
        "axis": {"format": "%b %Y", "labelAngle": 0, "tickCount": min(count, 12)},
    }
    y = {
        "field": "value",
        "type": "quantitative",
        "title": trend.label,
        "scale": {"zero": False},
        "axis": {"format": _value_format(trend.unit)},
    }
    kinds = (
        ["common_cause", "neutral_high", "neutral_low"]
        if trend.improvement == "neutral"
        else ["common_cause", "improvement", "concern"]
    )
    styles = [POINT_STYLES[k] for k in kinds]
    types = {
        "field": "type_label",
        "type": "nominal",
        "title": "Point type",
        "scale": {"domain": [s[0] for s in styles], "range": [s[1] for s in styles]},
    }
    shapes = {**types, "scale": {"domain": [s[0] for s in styles], "range": [s[2] for s in styles]}}
    tooltip = [
        {"field": "period", "type": "temporal", "format": "%B %Y", "title": "Period"},
        {
            "field": "value",
            "type": "quantitative",
            "format": _value_format(trend.unit),
            "title": trend.label,
        },
        {"field": "type_label", "title": "Point type"},
    ]
    return x, y, types, shapes, {"tooltip": tooltip}


def spc_chart(trend: models_trends.Trend, *, id: str) -> Chart:
    """Return the SPC (XmR) chart of a ``/api/v1/trends`` answer, as Making Data Count draws it.

    The values line; the mean, solid; the process limits, dashed, each labelled;
    each point coloured and shaped by its type, special-cause points labelled.
    The table has a row per point: its value, the centre line and limits, its
    type and the rules that flag it.
    """
    points = _spc_points(trend)
    x, y, types, shapes, tooltip = _spc_encodings(trend, len(points))
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "line", "color": MDC_COMMON, "strokeWidth": 2},
            "encoding": {"x": x, "y": y},
        },
        *_limit_layers(trend),
        {
            "mark": {
                "type": "point",
                "filled": True,
                "size": 90,
                "stroke": TEXT,
                "strokeWidth": 1,
                "opacity": 1,
            },
            "encoding": {"x": x, "y": y, "color": types, "shape": shapes, **tooltip},
        },
    ]
    if points["flag"].notna().any():
        layers.append(
            {
                "transform": [{"filter": "datum.flag != null"}],
                "mark": {"type": "text", "dy": -14, "fontSize": 10},
                "encoding": {"x": x, "y": y, "text": {"field": "flag"}},
            }
        )
    body = {"data": {"values": _records(points)}, "height": 260, "layer": layers}
    table = _spc_table(trend, points)
    return Chart(
        id,
        f"{trend.label}: {trend.area_name}",
        spec(_spc_description(trend), body),
        table,
        trend.source,
        trend.period,
    )


def _spc_table(trend: models_trends.Trend, points: pd.DataFrame) -> pd.DataFrame:
    s = trend.spc
    out = pd.DataFrame({"Period": points["period"], trend.label: points["value"]})
    if trend.numerator_label:
        out[trend.numerator_label] = [p.numerator for p in trend.points]
        out[trend.denominator_label or "Denominator"] = [p.denominator for p in trend.points]
    if s is not None:
        out["Mean"] = s.mean
        out["Upper process limit"] = s.upper_process_limit
        out["Lower process limit"] = s.lower_process_limit
        out["Point type"] = points["type_label"]
        out["Special cause rules"] = points["rules"].fillna("none")
    return out


# The other charts, in their own modules (they use Chart and spec, defined above).
from wfplan.web.charts_map import tile_map  # noqa: E402
from wfplan.web.charts_projection import fan_chart, gap_bars, tornado  # noqa: E402

__all__ = ["Chart", "cell", "fan_chart", "gap_bars", "spc_chart", "spec", "tile_map", "tornado"]
