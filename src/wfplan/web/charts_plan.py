"""The dashboard's plan charts: cost per FTE gained by lever, and the mix of levers by year.

Part of the dashboard's charts (:mod:`wfplan.web.charts`): Vega-Lite specs with
their data inline and a table of the same numbers, drawn from a planned
scenario's own summary (its ``[plan]`` table, the frames of
:func:`wfplan.report.plan_tables.plan_frames`), as the report draws them
(:mod:`wfplan.report.plan_chart`). Nothing is carried by colour alone: the cost
bars carry their values and one more unit's are outlined, not filled; each
lever's part of a stacked bar has its own outline dash as well as its colour,
named in the legend.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from wfplan.report import format as fmt
from wfplan.report.style import NHS_BLUE, NHS_DARK_BLUE, SERIES_STYLES, TEXT
from wfplan.web.charts import Chart, _records, spec

#: Outline dash of each lever's part of a stacked bar, in lever order.
DASHES: tuple[list[int], ...] = ([], [6, 3], [2, 2], [8, 2, 2, 2], [1, 3], [4, 4])
MEASURES = {"cost_per_fte_gained_gbp": "the plan: its cost over its FTE gained",
            "cheapest_cost_per_fte_gbp": "one more unit at its best start year"}


def cost_per_fte(levers: pd.DataFrame, *, id: str, title: str, source: str,
                 period: str) -> Chart:
    """Return each lever's cost per FTE gained, and its cheapest FTE from one more unit.

    ``levers`` has the plan's lever rows (``lever, year, cost_per_fte_gained_gbp,
    cheapest_cost_per_fte_gbp``) of one scenario.
    """
    names = [str(v) for v in levers["lever"]]
    long = levers.melt(id_vars=["lever"], value_vars=list(MEASURES), var_name="measure",
                       value_name="gbp")
    long["measure"] = long["measure"].map(MEASURES)
    long["label"] = [("not used" if fmt.is_missing(v) else fmt.gbp(v)) for v in long["gbp"]]
    y = {"field": "lever", "type": "nominal", "title": None, "sort": names,
         "axis": {"labelLimit": 260}}
    offset = {"field": "measure", "sort": list(MEASURES.values())}
    # the plan's bars filled, one more unit's outlined: told apart without colour
    fill = {"field": "measure", "type": "nominal", "title": None,
            "scale": {"domain": list(MEASURES.values()), "range": [NHS_BLUE, "white"]}}
    values = pd.to_numeric(long["gbp"], errors="coerce")
    top = float(values.max()) if values.notna().any() else 1.0
    layers = [
        {"mark": {"type": "bar", "height": {"band": 0.4}, "stroke": NHS_DARK_BLUE,
                  "strokeWidth": 1.5},
         "encoding": {"y": y, "yOffset": offset, "fill": fill,
                      "x": {"field": "gbp", "type": "quantitative",
                            "title": "GBP per FTE of supply gained (mean over the draws)",
                            "axis": {"format": ",.0f"},
                            "scale": {"domain": [0, top * 1.25], "nice": False}},
                      "tooltip": [{"field": "lever", "title": "Lever"},
                                  {"field": "measure", "title": "Measure"},
                                  {"field": "label", "title": "GBP per FTE"}]}},
        {"mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11, "color": TEXT},
         "encoding": {"y": y, "yOffset": offset, "text": {"field": "label"},
                      "x": {"field": "gbp", "type": "quantitative"}}},
    ]
    parts = [f"{r.lever}: " + ("not used" if fmt.is_missing(r.cost_per_fte_gained_gbp)
                               else f"{fmt.gbp(r.cost_per_fte_gained_gbp)} per FTE")
             for r in levers.itertuples(index=False)]
    description = (f"Bar chart of the cost per FTE gained by {len(levers)} levers, {period}: "
                   + "; ".join(parts) + ". The figures are in the table.")
    body = {"data": {"values": _records(long[["lever", "measure", "gbp", "label"]])},
            "height": {"step": 18}, "layer": layers}
    table = pd.DataFrame({
        "Lever": names, "Cost per FTE gained (GBP)": levers["cost_per_fte_gained_gbp"],
        "Cheapest FTE from one more unit (GBP)": levers["cheapest_cost_per_fte_gbp"]})
    return Chart(id, title, spec(description, body), table, source, period)


def plan_mix(mix: pd.DataFrame, *, id: str, title: str, source: str, period: str) -> Chart:
    """Return the plan's cost by start year, stacked by lever.

    ``mix`` has the rows ``lever, year, units, cost_gbp`` of one scenario.
    """
    levers = list(dict.fromkeys(str(v) for v in mix["lever"]))
    rows = mix.assign(cost_m=mix["cost_gbp"] / 1e6, order=[levers.index(str(v))
                                                           for v in mix["lever"]])
    styles = [SERIES_STYLES[i % len(SERIES_STYLES)][0] for i in range(len(levers))]
    dashes = [DASHES[i % len(DASHES)] for i in range(len(levers))]
    lever = {"field": "lever", "type": "nominal", "title": "Lever", "sort": levers}
    body = {"data": {"values": _records(rows[["lever", "year", "units", "cost_m", "order"]])},
            "height": 260,
            "mark": {"type": "bar", "stroke": TEXT, "strokeWidth": 1},
            "encoding": {
                "x": {"field": "year", "type": "ordinal", "title": "Year the units start"},
                "y": {"field": "cost_m", "type": "quantitative", "stack": "zero",
                      "title": "Cost of the units started (GBP million)",
                      "axis": {"format": ",.0f"}},
                "color": {**lever, "scale": {"domain": levers, "range": styles}},
                "strokeDash": {**lever, "scale": {"domain": levers, "range": dashes}},
                "order": {"field": "order"},
                "tooltip": [{"field": "lever", "title": "Lever"},
                            {"field": "year", "title": "Start year"},
                            {"field": "units", "format": ",.0f", "title": "Units"},
                            {"field": "cost_m", "format": ",.1f", "title": "Cost (GBP m)"}]}}
    totals = rows.groupby("year")["cost_m"].sum()
    top = (f" The most is spent in {int(str(totals.idxmax()))} (£{fmt.number(totals.max(), 1)}m)."
           if len(totals) and totals.max() > 0 else "")
    description = (f"Stacked bar chart of the plan's cost by start year and lever, {period}: "
                   f"£{fmt.number(totals.sum(), 1)}m in all.{top} The units and costs are in "
                   "the table.")
    table = rows[["year", "lever", "units", "cost_gbp"]].astype({"year": str}).rename(
        columns={"year": "Start year", "lever": "Lever", "units": "Units",
                 "cost_gbp": "Cost (GBP)"})
    chart: dict[str, Any] = spec(description, body)
    return Chart(id, title, chart, table, source, period)
