"""The summary section: key messages, then the England total gap (the first table).

After the totals come the gap by staff group as small multiples and as a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from wfplan.report import format as fmt
from wfplan.report import gap_chart
from wfplan.report.context import ReportData
from wfplan.report.messages import key_messages
from wfplan.report.section_views import SummarySection
from wfplan.report.views import Column, Numbering, TableView

if TYPE_CHECKING:
    from wfplan.report.sections import SourceLines

#: Under the totals table: how the totals are made.
TOTALS_NOTE = ("Each total is summed within each of the simulations before its P5, P50 and "
               "P95 are taken, so a total's range is not the sum of its staff groups' ranges. "
               "A surplus in one staff group offsets a shortfall in another, although staff "
               "are not interchangeable between groups.")


def gap_table(frame: pd.DataFrame, first: str, years: Mapping[int, int], n: Numbering,
              table_id: str, caption: str, source: str, period: str,
              notes: tuple[str, ...] = ()) -> TableView:
    """Build a table of the gap by row (staff group or total) and horizon, P50 (P5–P95)."""
    horizons = sorted(years)
    wide = frame.pivot_table(index="staff_group", columns="horizon_years", sort=False,
                             values=["gap_fte_p50", "gap_fte_p5", "gap_fte_p95",
                                     "gap_pct_p50"], aggfunc="first")
    rows = pd.DataFrame({"staff_group": wide.index})
    columns = [Column("staff_group", first, fmt.staff_group_name)]
    for h in horizons:
        rows[f"h{h}"] = [fmt.value_range(wide.loc[g, ("gap_fte_p50", h)],
                                         wide.loc[g, ("gap_fte_p5", h)],
                                         wide.loc[g, ("gap_fte_p95", h)]) for g in wide.index]
        columns.append(Column(f"h{h}", f"{h} years ({years[h]})", numeric=True))
    if horizons:
        last = horizons[-1]
        rows["pct"] = [fmt.number(wide.loc[g, ("gap_pct_p50", last)], 1) + "%"
                       if not fmt.is_missing(wide.loc[g, ("gap_pct_p50", last)]) else fmt.MISSING
                       for g in wide.index]
        columns.append(Column("pct", f"Gap as % of funded demand, {years[last]} (P50)",
                              numeric=True))
    return n.table(rows, columns, table_id, caption, source, period, notes)


def summary(data: ReportData, n: Numbering, src: SourceLines) -> SummarySection:
    """Return the summary section: messages, totals table, small multiples, staff groups."""
    both = pd.concat([data.totals, data.headline], ignore_index=True)
    years = {int(h): int(y) for h, y in zip(both["horizon_years"], both["year"], strict=True)}
    horizons = sorted(years)
    title = data.scenario_title(data.baseline_scenario)
    period = src.projection_period
    source = src.projection([data.baseline_scenario])
    totals = None
    if len(data.totals):
        totals = gap_table(data.totals, "Total", years, n, "table-totals",
                           f"{data.area_name} total gap (FTE), all staff groups and by sector, "
                           f"{title} scenario: P50 (P5–P95)", source, period, (TOTALS_NOTE,))
    chart = gap_chart.gap_range_chart(
        data.headline, "chart-headline-gap",
        f"Gap between funded demand and supply by staff group at {', '.join(map(str, horizons))}"
        f" years ({title} scenario), each staff group on its own scale",
        category="staff_group", series="horizon_years",
        series_label=lambda h: f"{h} years ({years.get(h, '')})",
        category_label=fmt.staff_group_name)
    figure = n.figure(chart, source, period)
    table = gap_table(data.headline, "Staff group", years, n, "table-headline",
                      f"Gap (FTE) by staff group, {title} scenario: P50 (P5–P95)", source,
                      period)
    return SummarySection(totals=totals, figure=figure, table=table,
                          messages=key_messages(data, horizons), horizons=horizons, years=years)
