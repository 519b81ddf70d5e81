"""The equality page's chart: WRES indicator 1 as bars, with the whole workforce as a rule.

Part of the dashboard's charts (:mod:`wfplan.web.charts`): a Vega-Lite spec with its
data inline and a table of the same numbers. Each pay band (and the medical and
dental grades as one row) is a horizontal bar of its ethnic-minority share, labelled
with the share; the whole workforce's share is a dashed vertical rule across them,
labelled above the plot. Nothing is carried by colour alone: the bars and the rule
differ in shape, and every value is written on the chart. A band without a share (a
count suppressed or not reported) has no bar; its label reads n/a.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from wfplan.report import format as fmt
from wfplan.report.style import NHS_BLUE, NHS_DARK_BLUE, TEXT
from wfplan.web.charts import Chart, _records, spec

#: The columns a WRES chart's frame needs.
COLUMNS = ("band", "share", "minority", "known")


def wres_bars(frame: pd.DataFrame, overall: float | None, *, id: str, title: str,
              source: str, period: str) -> Chart:
    """Return one area's ethnic-minority share by band as bars, the whole's share a rule.

    ``frame`` has one row per band in the order shown: ``band`` (its name),
    ``share`` (a fraction, or missing), ``minority`` and ``known`` (headcounts).
    ``overall`` is the area's share over every band and grade.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"a WRES chart needs the columns {', '.join(COLUMNS)}; missing "
                         f"{', '.join(missing)}")
    rows = frame[list(COLUMNS)].reset_index(drop=True)
    rows["label"] = [fmt.percent(v) for v in rows["share"]]
    shares = pd.to_numeric(rows["share"], errors="coerce")
    top = max([float(shares.max()) if shares.notna().any() else 0.0,
               0.0 if fmt.is_missing(overall) else float(overall or 0.0), 0.01])
    y = {"field": "band", "type": "nominal", "title": None, "sort": list(rows["band"]),
         "axis": {"labelLimit": 240}}
    x = {"field": "share", "type": "quantitative",
         "title": "Ethnic-minority share of headcount (ethnicity known)",
         "axis": {"format": ".0%"}, "scale": {"domain": [0, top * 1.2], "nice": False}}
    layers: list[dict[str, Any]] = [
        {"mark": {"type": "bar", "color": NHS_BLUE, "height": {"band": 0.7}},
         "encoding": {"y": y, "x": x, "tooltip": [
             {"field": "band", "title": "Pay band"},
             {"field": "label", "title": "Ethnic-minority share"},
             {"field": "minority", "format": ",.0f", "title": "Ethnic minority (headcount)"},
             {"field": "known", "format": ",.0f", "title": "Ethnicity known (headcount)"}]}},
        {"mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11, "color": TEXT},
         "encoding": {"y": y, "text": {"field": "label"},
                      "x": {"field": "share", "type": "quantitative"}}},
    ]
    if not fmt.is_missing(overall):
        whole = {"values": [{"overall": float(overall or 0.0),  # checked just above
                             "label": f"Whole workforce: {fmt.percent(overall)}"}]}
        rule_x = {"field": "overall", "type": "quantitative"}
        layers += [
            {"data": whole, "mark": {"type": "rule", "color": NHS_DARK_BLUE, "strokeWidth": 2,
                                     "strokeDash": [6, 4]},
             "encoding": {"x": rule_x}},
            {"data": whole, "mark": {"type": "text", "align": "left", "baseline": "bottom",
                                     "dx": 4, "dy": -4, "fontSize": 11, "fontWeight": "bold",
                                     "color": TEXT},
             "encoding": {"x": rule_x, "y": {"value": 0}, "text": {"field": "label"}}},
        ]
    body = {"data": {"values": _records(rows)}, "height": {"step": 22}, "layer": layers}
    table = pd.DataFrame({"Pay band": rows["band"], "Ethnic-minority share": rows["label"],
                          "Whole workforce share": fmt.percent(overall)})
    return Chart(id, title, spec(_description(rows, overall, period), body), table, source,
                 period)


def _description(rows: pd.DataFrame, overall: float | None, period: str) -> str:
    """Return what a screen reader hears: the whole's share, the extremes, those below it."""
    known = [(str(band), float(share), str(label)) for band, share, label in zip(
        rows["band"], rows["share"], rows["label"], strict=True) if not fmt.is_missing(share)]
    parts = [f"whole workforce {fmt.percent(overall)}"]
    if known:
        high, low = max(known, key=lambda k: k[1]), min(known, key=lambda k: k[1])
        parts.append(f"highest {high[0]} ({high[2]}), lowest {low[0]} ({low[2]})")
        if not fmt.is_missing(overall):
            below = sum(1 for k in known if k[1] < float(overall or 0.0))
            parts.append(f"{below} of {len(known)} below the whole workforce's share")
    if len(known) < len(rows):
        parts.append(f"{len(rows) - len(known)} without a share (n/a)")
    return (f"Bar chart of the ethnic-minority share of headcount by pay band, {period}: "
            + "; ".join(parts) + ". The figures are in the table.")
