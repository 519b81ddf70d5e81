"""Static SVG charts for the report, drawn with matplotlib's SVG backend.

Each function returns a :class:`Chart`: inline SVG markup with ``role="img"``, a
``<title>`` and a ``<desc>``, plus alt text written from the data. The same
data always gives the same bytes: the SVG hash salt is the chart's id, the
date is left out, and text is measured with DejaVu Sans (shipped with
matplotlib, so the layout does not depend on the fonts a machine has) and kept
as text, shown in the report's font stack. Nothing is carried by colour alone:
series differ in marker shape, line style or hatching, and are labelled.
"""

from __future__ import annotations

__all__ = ["BAND_ALPHA", "FAN_STYLES", "NHS_AQUA_GREEN", "NHS_BLUE", "NHS_DARK_BLUE",
           "NHS_DARK_GREY", "NHS_DARK_PINK", "NHS_LIGHT_BLUE", "NHS_MID_GREY", "NHS_PALE_GREY",
           "NHS_WARM_YELLOW", "SERIES_STYLES", "TEXT", "Chart", "ethnicity_chart", "fan_chart",
           "matplotlib_version", "wellbeing_chart"]

import io
import re
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from wfplan.report import format as fmt
from wfplan.report.style import (
    BAND_ALPHA,
    FAN_STYLES,
    NHS_AQUA_GREEN,
    NHS_BLUE,
    NHS_DARK_BLUE,
    NHS_DARK_GREY,
    NHS_DARK_PINK,
    NHS_LIGHT_BLUE,
    NHS_MID_GREY,
    NHS_PALE_GREY,
    NHS_WARM_YELLOW,
    SERIES_STYLES,
    TEXT,
)

#: The font stack the SVG text is shown in (HTML and PDF alike).
FONT_STACK = "Arial, 'Liberation Sans', Helvetica, sans-serif"
WIDTH_IN = 6.8
#: Fan charts are drawn half width, two to a row.
HALF_WIDTH_IN = 3.4
_MEASURE_FONT = "DejaVu Sans"


@dataclass(frozen=True)
class Chart:
    """One chart: its id, title, alt text and inline SVG markup."""

    chart_id: str
    title: str
    alt: str
    svg: str


def _rc(chart_id: str) -> dict[Any, Any]:
    return {
        "svg.hashsalt": chart_id, "svg.fonttype": "none", "svg.image_inline": True,
        "font.family": _MEASURE_FONT, "font.size": 9, "text.color": TEXT,
        "axes.edgecolor": NHS_DARK_GREY, "axes.labelcolor": TEXT, "axes.linewidth": 0.8,
        "axes.spines.top": False, "axes.spines.right": False, "axes.titlesize": 10,
        "axes.titleweight": "bold", "axes.titlelocation": "left", "axes.unicode_minus": True,
        "xtick.color": TEXT, "ytick.color": TEXT, "xtick.labelsize": 9, "ytick.labelsize": 9,
        "grid.color": "#d8dde0", "grid.linewidth": 0.6, "hatch.linewidth": 0.8,
        "legend.frameon": False, "legend.fontsize": 8.5, "lines.solid_joinstyle": "round",
    }


_ID = re.compile(r'\sid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^)"]+)')
_FONT = re.compile(r"font-family: '?" + _MEASURE_FONT + r"'?")


def _finish_svg(raw: str, chart_id: str, title: str, alt: str) -> str:
    """Make matplotlib's SVG fit to inline in HTML: unique ids, accessible name, no prolog."""
    svg = raw[raw.index("<svg"):]
    referenced = {name for _, name in _REF.findall(svg)}

    def rename(match: re.Match[str]) -> str:
        name = match.group(1)
        return f' id="{chart_id}-{name}"' if name in referenced else ""

    svg = _ID.sub(rename, svg)
    svg = _REF.sub(lambda m: f"{m.group(1)}{chart_id}-{m.group(2)}", svg)
    svg = _FONT.sub(f"font-family: {FONT_STACK}", svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    svg = svg.replace('<style type="text/css">*{',
                      f"<style>#{chart_id} *{{")
    head_end = svg.index(">") + 1
    head = svg[:head_end]
    head = re.sub(r'\s(width|height)="[^"]*"', "", head)
    head = head.replace(
        "<svg ", f'<svg id="{chart_id}" class="wf-chart__svg" role="img" '
                f'aria-labelledby="{chart_id}-title {chart_id}-desc" ', 1)
    accessible = (f'\n <title id="{chart_id}-title">{_escape(title)}</title>'
                  f'\n <desc id="{chart_id}-desc">{_escape(alt)}</desc>')
    return head + accessible + svg[head_end:].rstrip() + "\n"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;")


def _render(fig: Figure, chart_id: str, title: str, alt: str) -> Chart:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=0.05,
                metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return Chart(chart_id, title, alt, _finish_svg(buffer.getvalue(), chart_id, title, alt))


def _figure(height: float, width: float = WIDTH_IN) -> Figure:
    return Figure(figsize=(width, height), dpi=72, layout="constrained")


def _thousands(value: float, _pos: Any = None) -> str:
    return fmt.number(value)


def _percent_axis(value: float, _pos: Any = None) -> str:
    return fmt.number(value) + "%"


def _end_label(ax: Any, x: float, y: float, text: str, colour: str, nudge: float) -> None:
    ax.annotate(text, (x, y), xytext=(6, nudge), textcoords="offset points", va="center",
                ha="left", color=colour, fontsize=8.5, fontweight="bold")


PRINCIPAL_DASH = (0, (4, 2.5))
NEED_DOTS = (0, (1, 1.5))


def _fan_handles(need_differs: bool, base_year: int) -> list[Any]:
    """Legend entries drawn exactly as the fans are: one column for demand, one for supply."""
    columns = []
    for _variable, label, colour, marker, hatch in FAN_STYLES:
        rgb = to_rgb(colour)
        band = Patch(facecolor=(*rgb, BAND_ALPHA), edgecolor=(*rgb, 0.7) if hatch else "none",
                     hatch=hatch, linewidth=0, label=f"{label}: P5 to P95")
        columns.append([
            Line2D([], [], color=colour, linewidth=2, marker=marker, markersize=4.5,
                   label=f"{label}: P50"),
            Line2D([], [], color=colour, linewidth=1.0, linestyle=PRINCIPAL_DASH,
                   label=f"{label}: principal run"),
            band])
    columns[0].append(
        Line2D([], [], color=NHS_DARK_PINK, linewidth=1.4, linestyle=NEED_DOTS,
               label="Need: P50") if need_differs else
        Line2D([], [], linestyle="none", marker="o", markersize=5.5, markerfacecolor="white",
               markeredgecolor=TEXT, label=f"{base_year}: observed (census)"))
    if need_differs:
        columns[1].append(Line2D([], [], linestyle="none", marker="o", markersize=5.5,
                                 markerfacecolor="white", markeredgecolor=TEXT,
                                 label=f"{base_year}: observed (census)"))
    return [handle for column in columns for handle in column]


def fan_chart(fan: pd.DataFrame, chart_id: str, title: str, group_label: str) -> Chart:
    """Draw supply and funded demand as fan charts: P5–P95 band, P50 line, principal dashed.

    ``fan`` is :func:`wfplan.report.derive.fan_from_results` output. Need (funded
    demand plus unmet need) is drawn dotted where it differs from funded demand.
    The base year is the census: observed, not projected, so the ranges start
    at zero width there; it is marked with an open circle and the legend says so.
    """
    with mpl.rc_context(_rc(chart_id)):
        years = fan["year"].to_numpy()
        fig = _figure(3.2, HALF_WIDTH_IN)
        ax = fig.add_subplot()
        ends = []
        mark_every = max(1, len(years) // 5)
        for variable, label, colour, marker, hatch in FAN_STYLES:
            low, high = fan[f"{variable}_p5"], fan[f"{variable}_p95"]
            ax.fill_between(years, low, high, color=colour, alpha=BAND_ALPHA, linewidth=0)
            if hatch:
                ax.fill_between(years, low, high, facecolor="none", edgecolor=colour,
                                hatch=hatch, linewidth=0, alpha=0.45)
            ax.plot(years, fan[f"{variable}_p50"], color=colour, linewidth=2, marker=marker,
                    markevery=(mark_every, mark_every), markersize=4.5)
            ax.plot(years, fan[f"{variable}_principal"], color=colour, linewidth=1.0,
                    linestyle=PRINCIPAL_DASH)
            ax.plot(years[:1], fan[f"{variable}_p50"].iloc[:1], linestyle="none", marker="o",
                    markersize=5.5, markerfacecolor="white", markeredgecolor=TEXT, zorder=5)
            ends.append((float(fan[f"{variable}_p50"].iloc[-1]), label.split(" (")[0], colour))
        need_differs = not np.allclose(fan["demand_need_fte_p50"], fan["demand_funded_fte_p50"],
                                       equal_nan=True)
        if need_differs:
            ax.plot(years, fan["demand_need_fte_p50"], color=NHS_DARK_PINK, linewidth=1.4,
                    linestyle=NEED_DOTS)
            ends.append((float(fan["demand_need_fte_p50"].iloc[-1]), "Need", NHS_DARK_PINK))
        _end_labels(ax, fan, ends, years)
        first, last = int(years[0]), int(years[-1])
        ax.set_xlim(first - 0.4, last + max(1.0, 0.22 * (last - first)))
        ax.set_xticks(list(range(first, last + 1, 5)))
        ax.spines["bottom"].set_bounds(first, last)
        ax.yaxis.set_major_formatter(FuncFormatter(_thousands))
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.grid(axis="y")
        ax.set_ylabel("FTE")
        fig.legend(handles=_fan_handles(need_differs, first), loc="outside lower center",
                   ncols=2, handlelength=2.2, fontsize=7, columnspacing=1.0)
        return _render(fig, chart_id, title, _fan_alt(fan, group_label))


def _end_labels(ax: Any, fan: pd.DataFrame, ends: list[tuple[float, str, str]],
                years: np.ndarray) -> None:
    span = float(np.nanmax(fan.filter(like="_p95").to_numpy()) -
                 np.nanmin(fan.filter(like="_p5").to_numpy())) or 1.0
    ends.sort()
    for index, (y, label, colour) in enumerate(ends):
        nudge = 0.0
        if index and abs(y - ends[index - 1][0]) < 0.08 * span:
            nudge = 8.0
        _end_label(ax, years[-1], y, label, colour, nudge)


def _fan_alt(fan: pd.DataFrame, group_label: str) -> str:
    first, last = fan.iloc[0], fan.iloc[-1]
    y0, y1 = int(first["year"]), int(last["year"])

    def describe(variable: str, label: str) -> str:
        return (f"{label} goes from {fmt.projection(first[f'{variable}_p50'])} FTE in {y0} to "
                f"{fmt.row_range(last, variable)}"
                f" FTE in {y1}")

    return (f"Fan chart for {group_label}, {y0} to {y1}. "
            f"{describe('demand_funded_fte', 'Funded demand')}; "
            f"{describe('supply_fte', 'supply')} (P50, with P5 to P95 in brackets). "
            f"Shaded bands show the P5 to P95 range, solid lines the P50 and dashed lines "
            f"the principal run. {y0} is the census, observed rather than projected, so the "
            f"ranges start there with no width.")


def ethnicity_chart(frame: pd.DataFrame, overall: float, chart_id: str, title: str) -> Chart:
    """Draw the ethnic-minority share by pay band against the Model Employer goal.

    Bands below the goal are hatched and every bar carries its value, so the
    comparison does not rest on colour.
    """
    with mpl.rc_context(_rc(chart_id)):
        rows = frame.dropna(subset=["ethnic_minority_share"])
        labels = [fmt.grade_name(g) for g in rows["grade"]]
        shares = rows["ethnic_minority_share"].astype(float).to_numpy() * 100
        goal = overall * 100
        fig = _figure(0.9 + 0.27 * len(rows))
        ax = fig.add_subplot()
        y = np.arange(len(rows))
        below = shares < goal - 1e-9
        ax.barh(y[~below], shares[~below], color=NHS_BLUE, edgecolor=NHS_BLUE, height=0.68)
        ax.barh(y[below], shares[below], color="white", edgecolor=NHS_BLUE, hatch="////",
                height=0.68, linewidth=1)
        for yi, share in zip(y, shares, strict=True):
            ax.annotate(fmt.number(share, 1) + "%", (share, yi), xytext=(4, 0),
                        textcoords="offset points", va="center", fontsize=8.5, zorder=4,
                        bbox={"boxstyle": "square,pad=0.15", "facecolor": "white",
                              "edgecolor": "none"})
        ax.axvline(goal, color=TEXT, linestyle=(0, (5, 3)), linewidth=1.3, zorder=3)
        ax.annotate(f"Model Employer goal: {fmt.number(goal, 1)}% (whole workforce)",
                    (goal, -0.6), xytext=(4, 0), textcoords="offset points", ha="left",
                    va="bottom", fontsize=8.5, fontweight="bold")
        ax.set_yticks(y, labels)
        ax.set_ylim(len(rows) - 0.4, -1.5)
        ax.set_xlim(0, max(float(np.nanmax(shares)) if len(shares) else 0, goal) * 1.18 + 1)
        ax.xaxis.set_major_formatter(FuncFormatter(_percent_axis))
        ax.grid(axis="x")
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.set_xlabel("Ethnic-minority share of staff whose ethnicity is known")
        fig.legend(handles=[Patch(facecolor=NHS_BLUE, label="At or above the goal"),
                            Patch(facecolor="white", edgecolor=NHS_BLUE, hatch="////",
                                  label="Below the goal (hatched)")],
                   loc="outside lower center", ncols=2)
        under = [label for label, flag in zip(labels, below, strict=True) if flag]
        alt = (f"Bar chart of the ethnic-minority share of staff in {len(rows)} pay bands against "
               f"the Model Employer goal of {fmt.number(goal, 1)}%, the share in the whole "
               f"workforce. {len(under)} bands are below the goal"
               + (f" ({', '.join(under)})" if under else "") + ". The figures are in the table "
               "that follows.")
        return _render(fig, chart_id, title, alt)


def wellbeing_chart(frame: pd.DataFrame, chart_id: str, title: str) -> Chart:
    """Draw sickness absence and burnout rates by region as two labelled bar panels."""
    with mpl.rc_context(_rc(chart_id)):
        labels = [str(n) for n in frame["area_name"]]
        fig = _figure(0.9 + 0.3 * len(frame))
        axes = fig.subplots(1, 2, sharey=True)
        panels = (("sickness_absence_rate", "Sickness absence rate", NHS_BLUE),
                  ("burnout_rate", "Staff reporting burnout", NHS_DARK_BLUE))
        y = np.arange(len(frame))
        for ax, (column, label, colour) in zip(axes, panels, strict=True):
            values = pd.to_numeric(frame[column], errors="coerce").astype(float).to_numpy() * 100
            ax.barh(y, np.nan_to_num(values), color=colour, height=0.66, linewidth=0)
            for yi, value in zip(y, values, strict=True):
                text = fmt.MISSING if np.isnan(value) else fmt.number(value, 1) + "%"
                ax.annotate(text, (0 if np.isnan(value) else value, yi), xytext=(4, 0),
                            textcoords="offset points", va="center", fontsize=8.5)
            top = np.nanmax(values) if np.isfinite(values).any() else 1.0
            ax.set_xlim(0, top * 1.3)
            ax.set_title(label)
            ax.xaxis.set_major_formatter(FuncFormatter(_percent_axis))
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.grid(axis="x")
            ax.tick_params(axis="y", length=0)
            ax.spines["left"].set_visible(False)
        axes[0].set_yticks(y, labels)
        axes[0].invert_yaxis()
        alt = _wellbeing_alt(frame)
        return _render(fig, chart_id, title, alt)


def _wellbeing_alt(frame: pd.DataFrame) -> str:
    parts = [f"Two bar charts by region ({len(frame)} regions): sickness absence rate "
             "on the left, the share of staff survey respondents reporting burnout on the right."]
    for column, label in (("sickness_absence_rate", "Sickness absence"),
                          ("burnout_rate", "Burnout")):
        values = pd.to_numeric(frame[column], errors="coerce").astype(float)
        if values.notna().any():
            ordered = frame.assign(_v=values).dropna(subset=["_v"]).sort_values("_v",
                                                                                kind="stable")
            high, low = ordered.iloc[-1], ordered.iloc[0]
            parts.append(f"{label} is highest in {high['area_name']} "
                         f"({fmt.percent(high[column])}) and lowest in {low['area_name']} "
                         f"({fmt.percent(low[column])}).")
    parts.append("The figures are in the table that follows.")
    return " ".join(parts)


def matplotlib_version() -> str:
    """Return the matplotlib version that draws the charts (recorded in the report's notes)."""
    return str(mpl.__version__)
