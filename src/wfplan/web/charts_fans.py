"""The gap between supply and demand over time as a fan, beside the supply and demand fans.

Part of the dashboard's charts (:mod:`wfplan.web.charts`): a Vega-Lite spec with its
data inline and a table of the same numbers. The gap (demand minus supply, the model's
``gap_fte``: its percentiles are taken across the draws of the gap, so its P5 is not
demand's P5 less supply's P95) is drawn as :func:`wfplan.web.charts.gap_bars` draws it:
NHS blue for its P50 (a line with diamond markers, so that it is not told from the
supply line by colour alone; the report has no gap over time), its P5 to P95 as a band,
and a rule at zero, above which the gap is a shortfall.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from wfplan.report import format as fmt
from wfplan.report.style import BAND_ALPHA, NHS_BLUE, TEXT
from wfplan.web.charts import Chart, _records, spec


def _layers(last: int) -> list[dict[str, Any]]:
    """Return the layers: the P5 to P95 band, the P50 line with markers, zero, the end label."""
    x = {"field": "year", "type": "quantitative", "title": None,
         "axis": {"format": "d", "tickMinStep": 1}, "scale": {"zero": False}}
    y = {"field": "p50", "type": "quantitative", "title": "Gap in FTE (demand minus supply)",
         "axis": {"format": ",.0f"}}
    return [
        {"mark": {"type": "area", "opacity": BAND_ALPHA * 2, "color": NHS_BLUE},
         "encoding": {"x": x, "y": {"field": "p5", "type": "quantitative",
                                    "title": "Gap in FTE (demand minus supply)"},
                      "y2": {"field": "p95"}}},
        {"data": {"values": [{"zero": 0}]},
         "mark": {"type": "rule", "color": TEXT},
         "encoding": {"y": {"field": "zero", "type": "quantitative"}}},
        {"mark": {"type": "line", "strokeWidth": 2, "color": NHS_BLUE,
                  "point": {"filled": True, "size": 50, "shape": "diamond", "color": NHS_BLUE}},
         "encoding": {"x": x, "y": y,
                      "tooltip": [{"field": "year", "title": "Year"},
                                  {"field": "p5", "format": ",.0f", "title": "P5"},
                                  {"field": "p50", "format": ",.0f", "title": "P50"},
                                  {"field": "p95", "format": ",.0f", "title": "P95"}]}},
        {"transform": [{"filter": f"datum.year == {last}"}],
         "mark": {"type": "text", "align": "left", "dx": 8, "fontWeight": "bold"},
         "encoding": {"x": x, "y": y, "text": {"value": "Gap"}}},
    ]


def gap_fan(frame: pd.DataFrame, *, id: str, title: str, source: str, period: str) -> Chart:
    """Return the gap by year: its P5 to P95 band and P50 line, with a rule at zero.

    ``frame`` has ``year, p5, p50, p95`` (the gap in FTE; above 0 a shortfall).
    """
    missing = [c for c in ("year", "p5", "p50", "p95") if c not in frame.columns]
    if missing:
        raise ValueError(f"a gap fan needs the columns year, p5, p50, p95; missing "
                         f"{', '.join(missing)}")
    rows = frame[["year", "p5", "p50", "p95"]].sort_values("year").reset_index(drop=True)
    last = int(rows["year"].max()) if len(rows) else 0
    end = rows[rows["year"] == last]
    told = (f" In {last} the gap is {fmt.projection(end['p50'].iloc[0])} FTE (P5 "
            f"{fmt.projection(end['p5'].iloc[0])}, P95 {fmt.projection(end['p95'].iloc[0])})."
            if len(end) and end["p50"].notna().all() else "")
    description = (f"Fan chart of the gap between demand and supply in FTE, {period}: band "
                   f"P5 to P95, line P50, above zero a shortfall.{told} The figures are in "
                   "the table.")
    body = {"data": {"values": _records(rows)}, "height": 200, "layer": _layers(last)}
    table = rows.astype({"year": str}).rename(columns={
        "year": "Year", "p5": "Gap P5 (FTE)", "p50": "Gap P50 (FTE)", "p95": "Gap P95 (FTE)"})
    return Chart(id, title, spec(description, body), table, source, period)
