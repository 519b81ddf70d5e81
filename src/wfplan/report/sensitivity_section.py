"""The report's sensitivity section: what moves each scenario's headline gap.

For each scenario with uncertain quantities: a tornado chart and a table of
the England gap over every staff group in the final year with each quantity at
its low and high value (one at a time, the others central), and each
quantity's share of the gap's variance over the Monte Carlo draws.
"""

from __future__ import annotations

import pandas as pd

from wfplan.report import format as fmt
from wfplan.report.context import ReportData
from wfplan.report.section_views import ScenarioSensitivity
from wfplan.report.tornado_chart import quantity_label, tornado_chart
from wfplan.report.views import Column, Numbering

NOTES = [
    "Each quantity is moved alone, every other one at its central value (the principal "
    "run). Low and high: a triangular or uniform distribution's bounds; a normal's P5 and "
    "P95 (mean ∓ 1.645 sd, within its bounds); a numeric choice's smallest and largest "
    "option; for a categorical choice (the population variant) the options giving the "
    "smallest and largest gap.",
    "Share of variance: the R² of the gap regressed on that quantity alone over the draws "
    "(a first-order estimate; for a choice, the correlation ratio). The shares sum to at "
    "most about 1; what they leave is interaction and non-linearity.",
]


def _value(value: object) -> str:
    try:
        return fmt.readable(float(str(value)))
    except ValueError:
        return str(value)


def _shares(data: ReportData, name: str) -> pd.Series:
    rows = data.variance_shares[data.variance_shares["scenario"] == name]
    return rows.set_index("quantity")["share"] if len(rows) else pd.Series(dtype=float)


def _one(data: ReportData, name: str, rows: pd.DataFrame, n: Numbering,
         source: str, period: str) -> ScenarioSensitivity:
    year = int(rows["year"].iloc[0])
    title = data.scenario_title(name)
    chart = tornado_chart(rows, f"chart-tornado-{name}",
                          f"{title}: what moves the England gap in {year}")
    figure = n.figure(chart, source, period)
    shares = _shares(data, name)
    frame = rows.assign(share=rows["quantity"].map(shares))
    table = n.table(frame, [
        Column("quantity", "Quantity", lambda v: quantity_label(str(v))),
        Column("low", "Low", _value), Column("high", "High", _value),
        Column("gap_low", "Gap at low (FTE)", fmt.projection, numeric=True),
        Column("gap_high", "Gap at high (FTE)", fmt.projection, numeric=True),
        Column("swing", "Swing (FTE)", fmt.projection, numeric=True),
        Column("share", "Share of variance", lambda v: fmt.MISSING if fmt.is_missing(v)
               else fmt.percent(v), numeric=True),
    ], f"table-tornado-{name}",
        f"{title}: England gap over every staff group in {year}, each quantity at its low "
        "and high value", source, period, notes=NOTES, small=True)
    variance = data.variance_shares[data.variance_shares["scenario"] == name]
    total = fmt.percent(variance["total_r2"].iloc[0]) if len(variance) else None
    return ScenarioSensitivity(name, figure, table, fmt.projection(rows["gap_central"].iloc[0]),
                               total)


def sensitivity_section(data: ReportData, n: Numbering, source: str,
                        period: str) -> list[ScenarioSensitivity]:
    """Return a tornado chart and table for each scenario that has uncertain quantities."""
    out = []
    for name in data.scenarios["scenario"]:
        rows = data.sensitivity[data.sensitivity["scenario"] == name].sort_values(
            "rank", kind="stable")
        if len(rows):
            out.append(_one(data, str(name), rows, n, source, period))
    return out
