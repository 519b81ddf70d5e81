"""The tornado chart: how far the headline gap moves when one quantity moves.

One row per quantity, the largest swing on top: a bar from the central gap to
the gap with the quantity at its low value (solid) and one to the gap at its
high value (hatched), each labelled with the value it was moved to, so the
chart never relies on colour alone. Drawn with matplotlib like every report
chart (:mod:`wfplan.report.charts`), as deterministic inline SVG.
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
    TEXT,
    Chart,
    _figure,
    _rc,
    _render,
    _thousands,
)

ROW_HEIGHT_IN = 0.42
LABEL_WIDTH = 34
X_LABEL = ("Gap in FTE over every staff group: demand minus supply (above 0 = shortfall, "
           "below 0 = surplus)")


def quantity_label(key: str) -> str:
    """Name a tornado quantity in words: a parameter, a staff group's, or an intervention's."""
    if key.startswith("interventions.") and key.endswith(".amount"):
        return f"{fmt.words(key.removeprefix('interventions.').removesuffix('.amount'))} " \
               "(intervention amount)"
    if key.endswith("]") and "[" in key:
        name, group = key[:-1].split("[", 1)
        return f"{fmt.words(name)}: {fmt.staff_group_name(group)}"
    return fmt.words(key)


def _value(text: object) -> str:
    try:
        return fmt.readable(float(str(text)))
    except ValueError:
        return str(text)


def _point_label(point: str, value: object) -> str:
    """``low 0.95`` for a number; a category (the ``high`` variant) as itself."""
    try:
        return f"{point} {fmt.readable(float(str(value)))}"
    except ValueError:
        return str(value)


def tornado_chart(frame: pd.DataFrame, chart_id: str, title: str) -> Chart:
    """Draw one area's tornado (rows of :data:`wfplan.runs.tornado.TORNADO_COLUMNS`)."""
    rows = frame.sort_values("rank", kind="stable").reset_index(drop=True)
    with mpl.rc_context(_rc(chart_id)):
        fig = _figure(0.9 + ROW_HEIGHT_IN * max(len(rows), 1))
        ax = fig.subplots()
        y = np.arange(len(rows))
        centre = float(rows["gap_central"].iloc[0]) if len(rows) else 0.0
        for offset, column, point, colour, hatch in (
                (-0.17, "gap_low", "low", NHS_BLUE, None),
                (0.17, "gap_high", "high", NHS_DARK_BLUE, "///")):
            ends = rows[column].astype(float).to_numpy()
            ax.barh(y + offset, ends - centre, left=centre, height=0.32, color=colour,
                    hatch=hatch, edgecolor="white" if hatch else colour, linewidth=0)
            for yi, end, value in zip(y, ends, rows[point], strict=True):
                side = 1 if end >= centre else -1
                ax.annotate(_point_label(point, value), (end, yi + offset),
                            xytext=(4 * side, 0), textcoords="offset points", va="center",
                            ha="left" if side > 0 else "right", fontsize=7.5, color=TEXT)
        ax.axvline(centre, color=TEXT, linewidth=1)
        ax.axvline(0, color=TEXT, linewidth=0.6, linestyle=":")
        labels = [textwrap.fill(quantity_label(str(k)), LABEL_WIDTH) for k in rows["quantity"]]
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.margins(x=0.25)
        ax.xaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.set_xlabel(textwrap.fill(X_LABEL, 90), fontsize=8)
        ax.grid(axis="x")
        ax.tick_params(axis="y", length=0)
        ax.legend(handles=[Patch(color=NHS_BLUE, label="quantity at its low value"),
                           Patch(facecolor=NHS_DARK_BLUE, hatch="///", edgecolor="white",
                                 label="quantity at its high value")],
                  loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2)
        return _render(fig, chart_id, title, tornado_alt(rows, centre))


def tornado_alt(rows: pd.DataFrame, centre: float) -> str:
    """Alt text written from the data: the central gap and the largest swings."""
    parts = [f"Tornado chart of {len(rows)} quantities. With every quantity at its central "
             f"value the gap is {fmt.projection(centre)} FTE."]
    for row in rows.head(3).itertuples(index=False):
        parts.append(f"{quantity_label(str(row.quantity))}: {fmt.projection(row.gap_low)} FTE "
                     f"at {_value(row.low)} and {fmt.projection(row.gap_high)} FTE at "
                     f"{_value(row.high)} (swing {fmt.projection(row.swing)}).")
    parts.append("The figures are in the table that follows.")
    return " ".join(parts)
