"""The gap chart: one small panel per staff group, each on its own scale.

Staff groups differ in size by three orders of magnitude (PCN directors against
adult social care direct care), so on one shared scale most of them collapse
onto zero. Each staff group gets a panel with its own FTE scale, always
including zero (so a shortfall and a surplus read the same way in every panel);
within a panel, each series (horizon or scenario) is a row: the P50 as a marker,
the P5 to P95 range as a line through it, exactly as the legend draws them.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from wfplan.report import deferred
from wfplan.report import format as fmt
from wfplan.report.charts import SERIES_STYLES, TEXT, WIDTH_IN, Chart, _rc, _render, _thousands

#: Panels per row, by how many staff groups there are.
MAX_COLUMNS = 4
PANEL_HEIGHT_IN = 0.42
SERIES_HEIGHT_IN = 0.17
X_LABEL = ("Gap in FTE: demand minus supply (above 0 = shortfall, below 0 = surplus). "
           "Each panel has its own scale.")


def _columns(count: int) -> int:
    return max(1, min(MAX_COLUMNS, count if count <= 3 else math.ceil(count / math.ceil(
        count / MAX_COLUMNS))))


def _limits(rows: pd.DataFrame, value: str) -> tuple[float, float]:
    """Return a panel's x-limits: its own P5 to P95 span, with zero, and a margin."""
    numbers = rows[[f"{value}_p5", f"{value}_p50", f"{value}_p95"]].to_numpy(dtype=float)
    finite = numbers[np.isfinite(numbers)]
    low = min(0.0, float(finite.min())) if finite.size else -1.0
    high = max(0.0, float(finite.max())) if finite.size else 1.0
    margin = 0.08 * (high - low) or 1.0
    return low - margin, high + margin


def gap_range_figure(frame: pd.DataFrame, chart_id: str, *, category: str, series: str,
                     series_label: Callable[[Any], str] = str,
                     category_label: Callable[[Any], str] = str,
                     value: str = "gap_fte") -> Figure:
    """Draw the small multiples and return the matplotlib figure (see :func:`gap_range_chart`)."""
    categories = list(dict.fromkeys(frame[category]))
    keys = list(dict.fromkeys(frame[series]))
    ncols = _columns(len(categories))
    nrows = math.ceil(len(categories) / ncols)
    height = 0.75 + nrows * (PANEL_HEIGHT_IN + SERIES_HEIGHT_IN * len(keys))
    fig = Figure(figsize=(WIDTH_IN, height), dpi=72, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False)
    y = np.arange(len(keys))
    for index, ax in enumerate(axes.flat):
        if index >= len(categories):
            ax.set_axis_off()
            continue
        rows = frame[frame[category] == categories[index]].set_index(series).reindex(keys)
        for row, key in enumerate(keys):
            colour, marker = SERIES_STYLES[row % len(SERIES_STYLES)]
            ax.hlines(y[row], rows.loc[key, f"{value}_p5"], rows.loc[key, f"{value}_p95"],
                      color=colour, linewidth=2.2)
            ax.plot(rows.loc[key, f"{value}_p50"], y[row], linestyle="none", marker=marker,
                    markersize=6, markerfacecolor=colour, markeredgecolor=TEXT,
                    markeredgewidth=0.7)
        ax.axvline(0, color=TEXT, linewidth=0.9)
        ax.set_xlim(*_limits(rows, value))
        ax.set_ylim(len(keys) - 0.5, -0.5)
        ax.set_yticks([])
        ax.xaxis.set_major_locator(MaxNLocator(3, symmetric=False))
        ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.tick_params(axis="x", labelsize=7, length=2, pad=1)
        ax.grid(axis="x")
        ax.spines["left"].set_visible(False)
        ax.set_title("\n".join(textwrap.wrap(category_label(categories[index]), 26)),
                     fontsize=7.5, loc="left", pad=3)
    handles = [Line2D([], [], color=colour, marker=marker, markersize=6, markeredgecolor=TEXT,
                      markeredgewidth=0.7, linewidth=2.2, label=str(series_label(key)))
               for key, (colour, marker) in zip(keys, SERIES_STYLES, strict=False)]
    fig.legend(handles=handles, loc="outside upper left", ncols=min(len(keys), 3),
               handlelength=2.2, columnspacing=1.2, alignment="left",
               title="Marker: P50 (median). Line: P5 to P95 range.", title_fontsize=8.5)
    fig.supxlabel(X_LABEL, fontsize=8)
    return fig


def gap_range_chart(frame: pd.DataFrame, chart_id: str, title: str, *, category: str,
                    series: str, series_label: Callable[[Any], str] = str,
                    category_label: Callable[[Any], str] = str,
                    value: str = "gap_fte") -> Chart:
    """Draw the gap as small multiples: a panel per category (staff group), own scale each.

    Parameters
    ----------
    frame : DataFrame
        One row per category and series with ``<value>_p50``, ``_p5`` and ``_p95``.
    chart_id, title : str
        The chart's id (unique in the page) and title.
    category, series : str
        Columns for the panels (staff groups) and the rows within a panel
        (horizons or scenarios), each kept in first-appearance order.
    series_label, category_label : callable
        Turn a series or category value into its label.
    value : str
        The variable prefix (``gap_fte``).
    """
    alt = _range_alt(frame, category, series, series_label, category_label, value)

    def draw() -> str:
        with mpl.rc_context(_rc(chart_id)):
            fig = gap_range_figure(frame, chart_id, category=category, series=series,
                                   series_label=series_label, category_label=category_label,
                                   value=value)
            return _render(fig, chart_id, title, alt).svg

    charts = deferred.pending()
    if charts is None:
        return Chart(chart_id, title, alt, draw())
    labels = ([series_label(s) for s in dict.fromkeys(frame[series])],
              [category_label(c) for c in dict.fromkeys(frame[category])])
    key = deferred.chart_key(frame, (chart_id, title, alt, category, series, value, labels))
    charts[key] = draw
    return Chart(chart_id, title, alt, deferred.marker(key))


def _range_alt(frame: pd.DataFrame, category: str, series: str, series_label: Any,
               category_label: Any, value: str) -> str:
    categories: Sequence[Any] = list(dict.fromkeys(frame[category]))
    series_values: Sequence[Any] = list(dict.fromkeys(frame[series]))
    last = series_values[-1]
    rows = frame[frame[series] == last].dropna(subset=[f"{value}_p50"])
    text = (f"Small multiples of the gap in FTE: one panel for each of {len(categories)} staff "
            f"groups, each on its own scale, with one marker and range per "
            f"{series.replace('_', ' ')} "
            f"({', '.join(str(series_label(s)) for s in series_values)}).")
    if not rows.empty:
        ordered = rows.sort_values(f"{value}_p50", kind="stable")
        top, low = ordered.iloc[-1], ordered.iloc[0]
        text += (f" For {series_label(last)}, the largest gap is "
                 f"{category_label(top[category])} at {fmt.row_range(top, value)}"
                 f" FTE and the smallest {category_label(low[category])} at "
                 f"{fmt.row_range(low, value)} FTE (P50, with P5 to P95 in brackets).")
    return text + " The figures are in the table that follows."
