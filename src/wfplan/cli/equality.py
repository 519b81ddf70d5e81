"""``wfplan equality``: WRES indicator 1 and Model Employer trajectories (docs/equality.md)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from wfplan.cli.common import (
    DbOption,
    OutputFormat,
    PeriodOption,
    VintageOption,
    WaitOption,
    census,
    out,
    read_vintage,
)
from wfplan.cli.common import guard as _guard
from wfplan.cli.display import csv_text, fixed, frame_table, missing, tidy_json

#: Headings of the columns of ``wfplan equality``'s tables.
HEADINGS = {
    "area_code": "code", "area_name": "area", "minority_headcount": "BME HC",
    "known_headcount": "known HC", "ethnic_minority_share": "BME %",
    "overall_share": "overall BME %", "difference": "difference (points)",
    "base_period": "base", "base_share": "base BME %", "target_share": "goal BME %",
    "target_year": "by", "leaver_rate": "leaver %", "promotion_rate": "promotion %",
    "headcount_growth": "growth %", "at_base": "at base", "headcount": "HC",
    "minority_target": "BME HC on path", "appointments": "appointments",
    "minority_appointments": "BME appointments needed",
    "minority_share_of_appointments": "BME % of appointments", "path_share": "path BME %",
    "expected_minority": "BME HC on path", "gap_heads": "gap (heads)",
}
#: Columns shown as percentages (one decimal) and as percentage points.
PERCENT = frozenset({"ethnic_minority_share", "overall_share", "base_share", "target_share",
                     "leaver_rate", "promotion_rate", "headcount_growth", "path_share",
                     "minority_share_of_appointments"})
#: Columns of modelled heads, shown to one decimal.
HEADS = frozenset({"minority_target", "appointments", "minority_appointments",
                   "expected_minority", "gap_heads", "headcount"})


class EqualityLevel(StrEnum):
    """Levels of ``wfplan equality``."""

    england = "england"
    region = "region"
    icb = "icb"


class Part(StrEnum):
    """The table ``--format csv`` writes."""

    wres = "wres"
    goals = "goals"
    trajectory = "trajectory"
    progress = "progress"


def equality_command(
    level: Annotated[EqualityLevel, typer.Option(help="Level of the areas")] = (
        EqualityLevel.england),
    goal: Annotated[Path | None, typer.Option(
        "--goal", help="Goals file (.csv or .toml; docs/equality.md) (default: every band at "
        "its area's overall share by 2028, A Model Employer)", show_default=False)] = None,
    period: PeriodOption = None,
    base: Annotated[str | None, typer.Option(
        "--base", help="Base census of the goals: YYYY-MM or YYYY-MM-DD (default: the latest "
        "on or before 2018-12-31, else the earliest)", show_default=False)] = None,
    vintage: VintageOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format")] = (
        OutputFormat.table),
    part: Annotated[Part, typer.Option(
        "--part", help="The table --format csv writes: wres, goals, trajectory or "
        "progress")] = Part.wres,
    db: DbOption = None,
    wait: WaitOption = None,
) -> None:
    """Report WRES indicator 1 and Model Employer trajectories and progress.

    WRES indicator 1: the ethnic-minority share of headcount by pay band and
    medical grade against the whole workforce's, at the latest census (or
    --period). Model Employer: for each band, the appointments per year (and the
    ethnic-minority appointments) needed to meet the goal, given leavers and
    promotions, and progress at each later census (on or off track, with the
    gap in heads). Notes say where the data do not allow a level.
    """
    from wfplan.analysis.equality import model_employer, wres_indicator1
    from wfplan.analysis.equality_goals import read_goals
    from wfplan.dataset.store import open_store
    from wfplan.inputs.equality import leaver_fallback

    def work() -> tuple[str, Any, Any]:
        goals = read_goals(goal) if goal is not None else None
        with open_store(db, read_only=True) as store:
            chosen = read_vintage(store, vintage)
            when = census(store, chosen, period) if period else None
            start = census(store, chosen, base, "--base") if base else None
            return (chosen, wres_indicator1(store, chosen, level.value, when),
                    model_employer(store, chosen, level.value, goals, start,
                                   fallback=leaver_fallback()))

    chosen, wres, employer = _guard(work)
    frames = {"wres": wres.frame, "goals": employer.bands, "trajectory": employer.trajectory,
              "progress": employer.progress}
    if output is OutputFormat.json:
        body = {"vintage": chosen, "level": wres.level, "requested_level": level.value,
                "notes": [*wres.notes, *employer.notes],
                "base": employer.base.isoformat() if employer.base else None,
                "assumptions": list(employer.assumptions),
                **{name: _records(frame) for name, frame in frames.items()}}
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return
    if output is OutputFormat.csv:
        sys.stdout.write(csv_text(frames[part.value]))
        return
    _tables(chosen, level.value, wres, employer)


def _tables(chosen: str, level: str, wres: Any, employer: Any) -> None:
    """Print the four tables, the notes and the assumptions."""
    for note in wres.notes:
        out.print(f"note: {note}", highlight=False, markup=False)
    when = wres.period.isoformat() if wres.period else "no census"
    shown = wres.frame.drop(columns=["level"])
    if shown["role"].isna().all():
        shown = shown.drop(columns=["role"])
    _show(shown, f"WRES indicator 1: ethnic-minority share by pay "
          f"band, vintage {chosen!r}, level {wres.level}, {when}")
    for note in employer.notes:
        out.print(f"note: {note}", highlight=False, markup=False)
    bands = employer.bands
    if bands.empty:
        return
    _show(bands.drop(columns=["leaver_rate_source", "goal", "known_headcount",
                              "minority_headcount"]),
          f"Model Employer goals (base census {employer.base.isoformat()})")
    for source in dict.fromkeys(bands["leaver_rate_source"]):
        out.print(f"leaver rate: {source}", highlight=False, markup=False)
    _show(employer.trajectory, "Model Employer trajectory: appointments needed each year")
    if not employer.progress.empty:
        _show(employer.progress, "Progress against the trajectory")
    for text in employer.assumptions:
        out.print(f"assumption: {text}", highlight=False, markup=False)


def _show(frame: pd.DataFrame, title: str) -> None:
    frame_table(out, frame, title, HEADINGS, _cell)


def _cell(value: object, column: str) -> str:
    """Format a cell: shares as %, differences as points, heads to one decimal."""
    if missing(value):
        return "" if column == "role" else "n/a"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if column in PERCENT:
        return fixed(100 * float(value), 1)
    if column == "difference":
        return fixed(100 * float(value), 1, sign=True)
    if column in HEADS:
        return fixed(float(value), 1)
    if column in ("year", "target_year"):
        return str(int(value))
    return fixed(float(value), 0)


def _records(frame: pd.DataFrame) -> Any:
    """Return a frame as JSON-ready records, numbers rounded (:func:`tidy_json`)."""
    if frame.empty:
        return []
    return tidy_json(json.loads(frame.to_json(orient="records", date_format="iso",
                                              double_precision=15)))
