"""The plan's charts: cost per FTE gained by lever, and the mix of levers by year.

Drawn with matplotlib like every report chart (:mod:`wfplan.report.charts`), as
deterministic inline SVG. Nothing rests on colour alone: every bar of the cost
chart carries its value, and each lever's part of a stacked bar has its own
hatching as well as its colour, named in the legend.
"""

from __future__ import annotations

import textwrap

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from wfplan.report import format as fmt
from wfplan.report.charts import (
    NHS_BLUE,
    NHS_DARK_BLUE,
    SERIES_STYLES,
    TEXT,
    Chart,
    _figure,
    _rc,
    _render,
    _thousands,
)

#: Hatching of each lever's part of a stacked bar, in lever order (with its colour).
HATCHES = ("", "////", "....", "xxxx", "\\\\\\\\", "++", "oo")
LABEL_WIDTH = 30


def _pounds(value: float, _pos: object = None) -> str:
    return "£" + fmt.number(value)


def cost_per_fte_chart(levers: pd.DataFrame, chart_id: str, title: str, year: int) -> Chart:
    """Draw each lever's cost per FTE gained in ``year`` (rows of the plan's lever table).

    Solid bars: the plan's cost over its FTE gained; outlined bars beside them:
    the cheapest FTE one more unit would buy (its best start year).
    """
    rows = levers.reset_index(drop=True)
    with mpl.rc_context(_rc(chart_id)):
        fig = _figure(1.0 + 0.55 * max(len(rows), 1))
        ax = fig.subplots()
        y = np.arange(len(rows))
        for offset, column, solid in ((-0.18, "cost_per_fte_gained_gbp", True),
                                      (0.18, "cheapest_cost_per_fte_gbp", False)):
            values = pd.to_numeric(rows[column], errors="coerce").astype(float).to_numpy()
            ax.barh(y + offset, np.nan_to_num(values), height=0.34,
                    color=NHS_BLUE if solid else "white", edgecolor=NHS_DARK_BLUE,
                    hatch=None if solid else "////", linewidth=0 if solid else 1)
            for yi, value in zip(y + offset, values, strict=True):
                text = "not used" if np.isnan(value) else fmt.gbp(value)
                ax.annotate(text, (0 if np.isnan(value) else value, yi), xytext=(4, 0),
                            textcoords="offset points", va="center", fontsize=8, color=TEXT)
        ax.set_yticks(y, [textwrap.fill(str(v), LABEL_WIDTH) for v in rows["lever"]])
        ax.invert_yaxis()
        ax.margins(x=0.22)
        ax.set_xlim(left=0)
        ax.xaxis.set_major_formatter(FuncFormatter(_pounds))
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.set_xlabel(f"GBP per FTE of supply gained in {year} (mean over the draws)")
        ax.grid(axis="x")
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.legend(handles=[Patch(color=NHS_BLUE, label="the plan: its cost over its FTE gained"),
                           Patch(facecolor="white", edgecolor=NHS_DARK_BLUE, hatch="////",
                                 label="one more unit at its best start year")],
                  loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
        return _render(fig, chart_id, title, cost_per_fte_alt(rows, year))


def cost_per_fte_alt(rows: pd.DataFrame, year: int) -> str:
    """Alt text written from the data: each lever's cost per FTE gained."""
    parts = [f"Bar chart of the cost per FTE gained in {year} by {len(rows)} levers."]
    for row in rows.itertuples(index=False):
        value = row.cost_per_fte_gained_gbp
        parts.append(f"{row.lever}: " + ("not used by the plan" if fmt.is_missing(value)
                                         else f"{fmt.gbp(value)} per FTE") + ".")
    parts.append("The figures are in the table that follows.")
    return " ".join(parts)


def mix_chart(mix: pd.DataFrame, chart_id: str, title: str) -> Chart:
    """Draw the plan's cost by start year, stacked by lever (rows: lever, year, cost_gbp)."""
    levers = list(dict.fromkeys(mix["lever"]))
    years = sorted({int(y) for y in mix["year"]})
    wide = mix.pivot_table(index="year", columns="lever", values="cost_gbp", aggfunc="sum",
                           sort=False).reindex(index=years, columns=levers).fillna(0.0) / 1e6
    with mpl.rc_context(_rc(chart_id)):
        fig = _figure(3.2)
        ax = fig.subplots()
        x = np.arange(len(years))
        bottom = np.zeros(len(years))
        handles = []
        for index, lever in enumerate(levers):
            colour = SERIES_STYLES[index % len(SERIES_STYLES)][0]
            hatch = HATCHES[index % len(HATCHES)] or None
            values = wide[lever].to_numpy()
            ax.bar(x, values, bottom=bottom, width=0.7, color=colour, hatch=hatch,
                   edgecolor="white", linewidth=0.6)
            bottom += values
            handles.append(Patch(facecolor=colour, hatch=hatch, edgecolor="white", label=lever))
        for xi, total in zip(x, bottom, strict=True):
            if total > 0:
                ax.annotate(fmt.number(total, 1), (xi, total), xytext=(0, 2),
                            textcoords="offset points", ha="center", va="bottom", fontsize=7.5)
        ax.set_xticks(x, [str(y) for y in years])
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.set_ylabel("Cost of the units started (GBP million)")
        ax.set_xlabel("Year the units start (their cost is charged then)")
        ax.margins(y=0.12)
        ax.grid(axis="y")
        ax.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                  ncols=min(len(handles), 3))
        return _render(fig, chart_id, title, mix_alt(wide))


def mix_alt(wide: pd.DataFrame) -> str:
    """Alt text written from the data: the total by year and the largest year."""
    totals = wide.sum(axis=1)
    parts = [f"Stacked bar chart of the plan's cost by start year, {len(wide)} years, "
             f"{len(wide.columns)} levers: £{fmt.number(totals.sum(), 1)}m in all."]
    if len(totals) and totals.max() > 0:
        parts.append(f"The most is spent in {int(str(totals.idxmax()))} "
                     f"(£{fmt.number(totals.max(), 1)}m).")
    parts.append("The units and costs are in the table that follows.")
    return " ".join(parts)
