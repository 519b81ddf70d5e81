"""``wfplan metrics``: the current position, its coverage, diversity and net change.

Registered on the app by :mod:`wfplan.cli.main`; the tables by role are
:mod:`wfplan.cli.metrics_roles`'.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import pandas as pd
import typer

from wfplan.cli.common import (
    DbOption,
    Level,
    OutputFormat,
    PeriodOption,
    VintageOption,
    WaitOption,
    census,
    err,
    out,
    read_vintage,
)
from wfplan.cli.common import guard as _guard
from wfplan.cli.display import csv_text, metrics_table, tidy_json
from wfplan.cli.metrics_roles import MetricsBy, by_role_refused, by_role_table
from wfplan.dataset import codelists

#: The JSON output's keys, in order (``current_position_by_role`` only with ``--by role``).
JSON_TABLES = ("current_position", "ethnic_minority_by_band", "net_change", "coverage",
               "current_position_by_role")


def metrics_command(
    level: Annotated[Level, typer.Option(help="Level of the areas")] = Level.england,
    area: Annotated[str | None, typer.Option(help="One area or organisation code")] = None,
    staff_group: Annotated[str | None, typer.Option(help="Staff group code or label")] = None,
    period: PeriodOption = None,
    sector: Annotated[str | None, typer.Option(
        help="Only one sector: " + ", ".join(codelists.get("sector").codes))] = None,
    vintage: VintageOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format")] = (
        OutputFormat.table),
    public: Annotated[bool, typer.Option(
        "--public", help="Apply disclosure control for publication: counts of 1 to 4 people "
        "suppressed (with the figures that would reveal them), other counts rounded to the "
        "nearest 5 (NHS Digital practice)")] = False,
    by: Annotated[MetricsBy | None, typer.Option(
        "--by", help="Also report the current position by role within staff group, for the "
        "staff groups whose staff_in_post rows give a role (tables after the others; "
        "CSV holds it instead of the current position; JSON under "
        "\"current_position_by_role\"); not "
        "with --public")] = None,
    db: DbOption = None,
    wait: WaitOption = None,
) -> None:
    """Report the current position: staff in post, vacancies, turnover, sickness, diversity.

    Each metric is n/a where the data does not support it, never 0 (empty in
    CSV, null in JSON). A table of what each figure covers (sectors, period,
    why n/a) follows; JSON has it under "coverage". The ethnic-minority share by
    pay band follows in a further table. Tables too wide for the terminal are
    split, repeating the area. With --public every table is under disclosure
    control: suppressed cells show as * (empty in CSV, null in JSON, with the
    row's "suppressed" true), and the output says so.
    """
    if by is not None and public:
        _guard(by_role_refused)
    chosen, frames, behind = _guard(lambda: _read(db, vintage, level, area, staff_group,
                                                  period, sector, by))
    if behind:
        err.print(f"note: {behind}. Use --period (and --sector) to report on them.",
                  highlight=False, soft_wrap=True)
    marks: dict[str, pd.DataFrame | None] = dict.fromkeys(frames)
    if public:
        frames, marks = _controlled(frames, output)
    if output is OutputFormat.json:
        _write_json(frames, public)
    elif output is OutputFormat.csv:
        sys.stdout.write(csv_text(frames.get("current_position_by_role",
                                             frames["current_position"])))
    else:
        _print_tables(frames, marks, chosen, level)


def _read(db: str | None, vintage: str | None, level: Level, area: str | None,
          staff_group: str | None, period: str | None, sector: str | None,
          by: MetricsBy | None) -> tuple[str, dict[str, pd.DataFrame], str | None]:
    """Return the vintage read, the metrics' tables and the note on censuses behind."""
    from wfplan.analysis import metrics as m
    from wfplan.analysis.metrics_coverage import census_behind
    from wfplan.analysis.metrics_roles import position_by_role
    from wfplan.dataset.store import open_store

    with open_store(db, read_only=True) as store:
        chosen = read_vintage(store, vintage)
        when = census(store, chosen, period) if period else None
        query = m.Query(chosen, level.value, area, staff_group, when, sector)
        position, coverage = m.position_with_coverage(store, query)
        frames = {"current_position": position, "coverage": coverage,
                  "ethnic_minority_by_band": m.ethnic_minority_by_band(store, query),
                  "net_change": m.net_change(store, query)}
        if by is MetricsBy.role:
            frames["current_position_by_role"] = position_by_role(store, query)
        return chosen, frames, census_behind(query, position, m.latest_by_sector(store, chosen))


def _write_json(frames: dict[str, pd.DataFrame], public: bool) -> None:
    """Write the tables as one JSON object (with the disclosure policy under ``--public``)."""
    records: dict[str, Any] = {name: _records(frames[name]) for name in JSON_TABLES
                               if name in frames}
    if public:
        from wfplan.analysis.disclosure import POLICY

        records["disclosure"] = {"status": "public", **POLICY.describe_published()}
    sys.stdout.write(json.dumps(records, indent=2) + "\n")


def _print_tables(frames: dict[str, pd.DataFrame], marks: dict[str, pd.DataFrame | None],
                  chosen: str, level: Level) -> None:
    """Print the terminal tables, suppressed cells marked."""
    from wfplan.analysis.metrics_coverage import coverage_table

    position, bands, change = (frames["current_position"], frames["ethnic_minority_by_band"],
                               frames["net_change"])
    metrics_table(out, position, f"Current position, vintage {chosen!r}, level {level.value}",
                  marks["current_position"])
    metrics_table(out, coverage_table(frames["coverage"]),
                  "What each figure covers: sectors and period")
    if not bands.empty:
        metrics_table(out, bands, f"Ethnic-minority share of headcount by pay band, "
                      f"{bands['period'].iat[0]}", marks["ethnic_minority_by_band"])
    for (source, start, end), rows in change.groupby(
            ["source", "period_start", "period_end"], sort=False):
        shown = rows.drop(columns=["source", "period_start", "period_end"])
        hidden = marks["net_change"]
        metrics_table(out, shown, f"Net change {start} → {end}: flows unavailable ({source}); "
                      "joiners and leavers cannot be derived from this source",
                      None if hidden is None else hidden.loc[rows.index, shown.columns])
    if "current_position_by_role" in frames:
        by_role_table(out, frames["current_position_by_role"], chosen, level.value)
def _controlled(frames: dict[str, pd.DataFrame], output: OutputFormat) -> tuple[
        dict[str, pd.DataFrame], dict[str, pd.DataFrame | None]]:
    """Return the frames under disclosure control and their suppressed cells; say so.

    The table says it on standard output (before the tables); CSV, which holds
    only figures, on standard error; JSON in its ``disclosure`` field.
    """
    from wfplan.analysis.public import control_frame, statement

    done = {name: control_frame(frame, name) for name, frame in frames.items()}
    if output is OutputFormat.table:
        out.print(statement(), highlight=False, soft_wrap=True, markup=False)
    elif output is OutputFormat.csv:
        err.print(f"note: {statement()}", highlight=False, soft_wrap=True, markup=False)
    shown = {name: t.marked() if output is not OutputFormat.table else t.frame
             for name, t in done.items()}
    return shown, {name: t.suppressed for name, t in done.items()}


def _records(frame: pd.DataFrame) -> Any:
    """Return a frame as JSON-ready records, numbers rounded (:func:`tidy_json`)."""
    return tidy_json(json.loads(frame.to_json(orient="records", date_format="iso",
                                              double_precision=15)))


