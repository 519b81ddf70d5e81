"""The ``wfplan backtest`` command: one pair of censuses, or every pair (rolling origin)."""

from __future__ import annotations

import json
import math
import sys
from enum import StrEnum
from typing import Annotated, Any

import pandas as pd
import typer

from wfplan.cli.common import (
    DbOption,
    Level,
    OutputFormat,
    VintageOption,
    WaitOption,
    err,
    guard,
    out,
    read_vintage,
)
from wfplan.cli.display import Column, csv_text, fixed, name_of, print_table, tidy_json
from wfplan.errors import InputError
from wfplan.report.headings import BACKTEST_HEADINGS


class BacktestFormat(StrEnum):
    """Output formats of the back-test."""

    table = "table"
    csv = "csv"
    json = "json"


def _number(value: object, column: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, str):
        return value.replace("_", " ") or "n/a"
    if column in ("cells", "appeared", "disappeared"):
        return f"{int(value):,}"  # type: ignore[call-overload]
    return fixed(float(value),  # type: ignore[arg-type]
                 1 if "mape" in column or "wape" in column else 0)


def backtest_command(
    from_period: Annotated[str | None, typer.Option("--from", help="Census to project from "
                                                    "(YYYY-MM-DD or YYYY-MM)")] = None,
    to_period: Annotated[str | None, typer.Option("--to", help="Later census to compare with "
                                                  "(YYYY-MM-DD or YYYY-MM)")] = None,
    rolling: Annotated[bool, typer.Option("--rolling", help="Every census to every later one "
                                          "(rolling origin), a table per pair")] = False,
    trend_censuses: Annotated[int | None, typer.Option(
        "--trend-censuses", min=2, help="Fit the census trends to the last N censuses up to "
        "the origin (default all)")] = None,
    trend_form: Annotated[str, typer.Option(
        "--trend-form", help="Census trend form: linear or log_linear")] = "linear",
    vintage: VintageOption = None,
    level: Annotated[Level, typer.Option(help="Area level")] = Level.org,
    output: Annotated[OutputFormat, typer.Option("--format", help="table (summary), csv "
                                                 "(every cell) or json (both)")] = (
        OutputFormat.table),
    db: DbOption = None,
    wait: WaitOption = None,
) -> None:
    """Back-test: project from one census with only the data known then; compare with a later one.

    Reports the error in supply FTE (and headcount where both censuses have it)
    by area and staff group, and MAPE and WAPE overall and by staff group, next to
    three naive forecasts (no change, a linear trend, the last interval's growth),
    saying which wins. Cells that appear or disappear between the censuses are
    counted apart, not in MAPE.
    """
    from wfplan.dataset.store import open_store
    from wfplan.runs.backtest import backtest, rolling_backtest

    def work() -> tuple[list[Any], str]:
        if trend_form not in ("linear", "log_linear"):
            raise InputError(f"--trend-form must be linear or log_linear, not {trend_form!r}")
        if rolling == (from_period is not None or to_period is not None) or (
                not rolling and (from_period is None or to_period is None)):
            raise InputError("give --from and --to, or --rolling (not both)")
        with open_store(db, read_only=True) as store:
            chosen = read_vintage(store, vintage)
            if rolling:
                return rolling_backtest(store, chosen, level.value, trend_censuses=trend_censuses,
                                        trend_form=trend_form), chosen
            assert from_period is not None
            assert to_period is not None
            return [backtest(store, chosen, from_period, to_period, level.value,
                             trend_censuses=trend_censuses, trend_form=trend_form)], chosen

    results, chosen = guard(work)
    if output is OutputFormat.csv and rolling:
        for result in results:
            _warn_comparability(result.metadata)
        frames = [r.cells.assign(**{"from": r.metadata["from"], "to": r.metadata["to"]})
                  for r in results]
        table = pd.concat(frames, ignore_index=True)
        table = table[["from", "to", *results[0].cells.columns]]
        sys.stdout.write(csv_text(table))
        return
    if output is OutputFormat.json and rolling:
        sys.stdout.write(json.dumps([tidy_json(_payload(r)) for r in results], indent=2,
                                    default=str) + "\n")
        return
    for result in results:
        _print_backtest(result, chosen, output)


def _no_flows_caption(meta: dict[str, Any]) -> str | None:
    """Say when the projection is the no-change forecast because there are no flows."""
    lines = []
    if meta.get("equals_no_change"):
        lines.append(f"No flows up to {meta['from']}: every staff group is held steady "
                     "(joiners replace leavers), so the projection IS the no-change forecast and "
                     "its MAPE equals the no-change MAPE.")
    elif meta.get("held_steady_staff_groups"):
        lines.append(f"No flows up to {meta['from']} for "
                     f"{', '.join(meta['held_steady_staff_groups'])}: their projection is the "
                     "no-change forecast.")
    trend = meta.get("trend_censuses") or {}
    if trend:
        lines.append(f"No flows up to {meta['from']} for {', '.join(trend)}: calibrated to "
                     f"their census trend ({meta.get('trend_form', 'linear')}, "
                     f"{max(trend.values())} censuses up to the origin).")
    if not meta.get("naive_trends_estimable", True):
        lines.append("One census up to the origin: the linear-trend and last-interval "
                     "forecasts cannot be made from before it (n/a).")
    return " ".join(lines) or None


def _warn_comparability(meta: dict[str, Any]) -> None:
    """Print, as warnings, why the comparison is not like for like."""
    for line in meta.get("comparability", {}).get("warnings", []):
        err.print(f"[yellow]warning:[/] not like for like: {line}", highlight=False,
                  soft_wrap=True)


def _payload(result: Any) -> dict[str, Any]:
    return {"metadata": result.metadata,
            "summary": json.loads(result.summary.to_json(orient="records",
                                                         double_precision=15)),
            "cells": json.loads(result.cells.to_json(orient="records", double_precision=15))}


def _print_backtest(result: Any, vintage: str, output: OutputFormat) -> None:
    _warn_comparability(result.metadata)
    if output is OutputFormat.csv:
        sys.stdout.write(csv_text(result.cells))
        return
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(tidy_json(_payload(result)), indent=2, default=str) + "\n")
        return
    meta = result.metadata
    columns = [Column(heading, right=column != "staff_group", key=column == "staff_group")
               for column, heading in BACKTEST_HEADINGS.items()]
    rows = [[name_of("staff_group", row[c]) if c == "staff_group" else _number(row[c], c)
             for c in BACKTEST_HEADINGS] for row in result.summary.to_dict("records")]
    print_table(out, f"Back-test of vintage {vintage!r}: {meta['from']} → {meta['to']} "
                f"({meta['years']:.2f} years), level {meta['level']}; supply FTE", columns, rows,
                caption=_no_flows_caption(meta))
    out.print(f"{len(meta['assumptions'])} assumption(s) used (see --format json); MAPE is "
              "the mean absolute % error over compared area x staff group cells.",
              highlight=False)
