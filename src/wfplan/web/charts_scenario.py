"""The scenario builder's result chart: supply with the interventions against the baseline.

Part of the dashboard's charts (:mod:`wfplan.web.charts`): a Vega-Lite spec with its
data inline and a table of the same numbers. The baseline is the projection's own
counterfactual, the same draws without the scenario's interventions
(``counterfactual_supply_fte``, docs/model.md "Gap, costs and the counterfactual"),
so the difference between the lines is the interventions' effect and nothing else.
Colours are the report's (:mod:`wfplan.report.style`): supply NHS blue with circles,
demand dark pink with squares; the baseline's supply is NHS dark grey, dashed, with
triangles, so no series is told apart by colour alone.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from wfplan.report import format as fmt
from wfplan.report.style import BAND_ALPHA, NHS_BLUE, NHS_DARK_GREY, NHS_DARK_PINK
from wfplan.web.charts import Chart, _records, spec

#: Series → (label, colour, shape, dash, band drawn, end label), in the legend's order.
SERIES = {
    "supply_fte": ("Supply with the interventions", NHS_BLUE, "circle", [], True, "Scenario"),
    "counterfactual_supply_fte": ("Supply without them (baseline)", NHS_DARK_GREY,
                                  "triangle-up", [6, 4], False, "Baseline"),
    "demand_funded_fte": ("Demand (funded)", NHS_DARK_PINK, "square", [], True, "Demand"),
}


def _layers(last: int) -> list[dict[str, Any]]:
    """Return the layers: P5 to P95 bands (supply, demand), P50 lines, labels at the end."""
    names = [s[0] for s in SERIES.values()]

    def scale(index: int) -> dict[str, Any]:
        return {"domain": names, "range": [s[index] for s in SERIES.values()]}

    colour = {"field": "label", "type": "nominal", "title": None, "scale": scale(1)}
    x = {"field": "year", "type": "quantitative", "title": None,
         "axis": {"format": "d", "tickMinStep": 1}, "scale": {"zero": False}}
    y = {"field": "p50", "type": "quantitative", "title": "FTE", "axis": {"format": ",.0f"}}
    return [
        {"transform": [{"filter": "datum.band"}],
         "mark": {"type": "area", "opacity": BAND_ALPHA * 2},
         "encoding": {"x": x, "y": {"field": "p5", "type": "quantitative", "title": "FTE"},
                      "y2": {"field": "p95"}, "color": {**colour, "legend": None}}},
        {"mark": {"type": "line", "strokeWidth": 2, "point": {"filled": True, "size": 40}},
         "encoding": {
             "x": x, "y": y, "color": colour,
             "shape": {**colour, "scale": scale(2)},
             "strokeDash": {**colour, "scale": scale(3)},
             "tooltip": [{"field": "label", "title": "Series"},
                         {"field": "year", "title": "Year"},
                         {"field": "p5", "format": ",.0f", "title": "P5"},
                         {"field": "p50", "format": ",.0f", "title": "P50"},
                         {"field": "p95", "format": ",.0f", "title": "P95"}]}},
        {"transform": [{"filter": f"datum.year == {last}"}],
         "mark": {"type": "text", "align": "left", "dx": 8, "fontWeight": "bold"},
         "encoding": {"x": x, "y": {**y, "field": "label_y"}, "text": {"field": "short"}}},
    ]


#: The least distance between two end labels, as a share of the y-axis (chart 280 px
#: high, labels about 11 px: 15 px apart).
LABEL_GAP = 15 / 280


def label_positions(p50: pd.Series, low: float, high: float) -> pd.Series:
    """Return where each end label goes: at its line's P50, moved apart where they would overlap.

    Labels are kept in the order of their values, at least :data:`LABEL_GAP` of the
    axis (``low`` to ``high``) apart, and moved as little as that allows: pushed up from
    the lowest, then, if the top one ends above ``high``, down from the top as far as
    that needs.
    """
    gap = LABEL_GAP * ((high - low) or 1.0)
    order = p50.sort_values(kind="stable")
    placed: list[float] = []
    for value in order:
        placed.append(value if not placed else max(float(value), placed[-1] + gap))
    if placed and placed[-1] > high:  # then down from the top, only as far as needed
        placed[-1] = high
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - gap)
    return pd.Series(placed, index=order.index).reindex(p50.index)


def scenario_chart(frame: pd.DataFrame, *, id: str, title: str, source: str,
                   period: str) -> Chart:
    """Return supply with the interventions, supply without them (baseline) and demand.

    ``frame`` has ``year, variable, p5, p50, p95`` with the variables of
    :data:`SERIES` (a projection job's results for one area and staff group).
    """
    missing = [c for c in ("year", "variable", "p5", "p50", "p95") if c not in frame.columns]
    if missing:
        raise ValueError(f"a scenario chart needs the columns year, variable, p5, p50, p95; "
                         f"missing {', '.join(missing)}")
    order = list(SERIES)
    rows = frame[frame["variable"].isin(order)].copy()
    rows["order"] = [order.index(v) for v in rows["variable"]]
    rows = rows.sort_values(["order", "year"]).reset_index(drop=True)
    rows["label"] = [SERIES[v][0] for v in rows["variable"]]
    rows["short"] = [SERIES[v][5] for v in rows["variable"]]
    rows["band"] = [SERIES[v][4] for v in rows["variable"]]
    last = int(rows["year"].max()) if len(rows) else 0
    rows["label_y"] = rows["p50"]
    end = rows["year"] == last
    if end.any():
        numbers = rows[["p5", "p50", "p95"]].to_numpy(dtype=float)
        rows.loc[end, "label_y"] = label_positions(
            rows.loc[end, "p50"], min(0.0, float(numbers.min())), float(numbers.max()))
    ends = "; ".join(f"{r.label} {fmt.projection(r.p50)} FTE"
                     for r in rows[rows["year"] == last].itertuples())
    description = (f"Line chart of supply with and without the scenario's interventions, and "
                   f"demand, {period}: lines P50, bands P5 to P95. In {last}: {ends}. The "
                   "figures are in the table.")
    body = {"data": {"values": _records(rows[["year", "label", "short", "band", "p5", "p50",
                                              "p95", "label_y"]])},
            "height": 280, "layer": _layers(last)}
    table = rows[["year", "label", "p5", "p50", "p95"]].astype({"year": str}).rename(columns={
        "year": "Year", "label": "Series", "p5": "P5 (FTE)", "p50": "P50 (FTE)",
        "p95": "P95 (FTE)"})
    return Chart(id, title, spec(description, body), table, source, period)
