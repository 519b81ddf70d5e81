"""The projection commands: ``wfplan scenario``, ``wfplan project`` and ``wfplan backtest``.

They are registered on the app by :mod:`wfplan.cli`; ``wfplan demo`` also uses
:func:`show_projection_demo` to run the two demo scenarios.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from enum import StrEnum
from importlib.resources import as_file, files
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from wfplan.cli_common import EXIT_CODES, DbOption, Level, OutputFormat, err, guard, out
from wfplan.dataset.store import Store

scenario_app = typer.Typer(
    help="Scenario files: print their JSON Schema, or check one.\n\n" + EXIT_CODES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
DEMO_SCENARIOS = ("demo_baseline.toml", "demo_ltwp.toml")


@scenario_app.command("schema", epilog=EXIT_CODES)
def scenario_schema() -> None:
    """Print the JSON Schema of scenario files (parameters with their ranges and defaults)."""
    from wfplan.model import scenario_json_schema

    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")


@scenario_app.command("check", epilog=EXIT_CODES)
def scenario_check(
    file: Annotated[Path, typer.Argument(help="Scenario file (TOML)")],
) -> None:
    """Validate a scenario file: every problem is listed with its field and rule (exit 2)."""
    from wfplan.assessment.project import read_scenario

    source = guard(lambda: read_scenario(file))
    scenario = source.scenario
    groups = "all" if scenario.staff_groups == "all" else len(scenario.staff_groups)
    out.print(f"{file}: valid scenario {scenario.name!r}: level {scenario.level}, horizon "
              f"{scenario.horizon} years, staff groups {groups}, "
              f"{len(scenario.interventions)} intervention(s), {scenario.draws} draws, seed "
              f"{scenario.seed}", highlight=False, soft_wrap=True)


def _cell(p50: float, p5: float, p95: float) -> str:
    return f"{p50:,.0f} [{p5:,.0f} to {p95:,.0f}]"


def headline_tables(heads: pd.DataFrame, area_name: str = "England") -> list[Table]:
    """Return Rich tables of the gap: one scenario by horizon, or several side by side."""
    from wfplan.assessment.project import side_by_side

    scenarios = list(dict.fromkeys(heads["scenario"]))
    note = "gap = funded demand - supply, FTE (negative: supply above demand)"
    if len(scenarios) == 1:
        years = heads.drop_duplicates("horizon")[["horizon", "year"]].to_numpy()
        table = Table(title=f"{area_name}: gap FTE by staff group, P50 [P5 to P95], "
                      f"scenario {scenarios[0]!r}", title_justify="left", caption=note,
                      caption_justify="left")
        table.add_column("staff group")
        for horizon, year in years:
            table.add_column(f"{year} (+{horizon} y)", justify="right")
        for group, rows in heads.groupby("staff_group", sort=True):
            cells = {r["horizon"]: _cell(r["p50"], r["p5"], r["p95"])
                     for r in rows.to_dict("records")}
            table.add_row(str(group), *(cells.get(h, "") for h, _ in years))
        return [table]
    wide = side_by_side(heads)
    tables = []
    for key, rows in wide.groupby("horizon", sort=True):
        horizon = int(str(key))
        year = int(heads.loc[heads["horizon"] == horizon, "year"].iloc[0])
        table = Table(title=f"{area_name} in {year} (+{horizon} years): gap FTE, P50 [P5 to "
                      "P95]", title_justify="left", caption=note, caption_justify="left")
        table.add_column("staff group")
        for name in scenarios:
            table.add_column(name, justify="right")
        for values in rows.to_dict("records"):
            table.add_row(str(values["staff_group"]), *(
                "" if values[n] is None else _cell(*values[n]) for n in scenarios))
        tables.append(table)
    return tables


def run_projection(store: Store, paths: Sequence[Path], *, vintage: str | None,
                   draws: int | None, seed: int | None, level: str | None) -> Any:
    """Run scenario files with a Rich progress bar (one step per scenario) on stderr."""
    from wfplan.assessment.project import project

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("reading scenarios", total=len(paths))

        def progress(text: str, done: int, total: int) -> None:
            bar.update(task, description=text, completed=done, total=total)

        return project(store, paths, vintage=vintage, draws=draws, seed=seed, level=level,
                       progress=progress)


def project_command(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files (TOML); several "
                                                    "are compared side by side")],
    draws: Annotated[int | None, typer.Option(help="Monte Carlo draws [default: the "
                                              "scenario's]", min=0)] = None,
    seed: Annotated[int | None, typer.Option(help="Seed [default: the scenario's]",
                                             min=0)] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write the long table: .parquet, .csv (metadata beside it) or .xlsx")
    ] = None,
    vintage: Annotated[str | None, typer.Option(
        help="Vintage [default: the scenario's base_vintage]")] = None,
    level: Annotated[Level | None, typer.Option(help="Area level [default: the "
                                                "scenario's]")] = None,
    db: DbOption = None,
) -> None:
    """Project supply, demand and the gap for scenario files on a vintage.

    Builds the model's inputs from the vintage (every default recorded as an
    assumption in the output's metadata), runs each scenario and prints the
    England gap by staff group 5, 10 and 15 years ahead as P50 [P5 to P95]. The
    output table has the areas of the level and England (their sum).
    """
    from wfplan.assessment.outputs import check_output, write_results
    from wfplan.assessment.project import combined, headline
    from wfplan.dataset.store import open_store

    def work() -> tuple[pd.DataFrame, list[Path], int]:
        if out_file is not None:
            check_output(out_file)
        store = open_store(db, read_only=True)
        try:
            runs = run_projection(store, scenarios, vintage=vintage, draws=draws, seed=seed,
                                  level=level.value if level else None)
            table, metadata = combined(store, runs)
        finally:
            store.close()
        written = write_results(table, out_file, metadata) if out_file else []
        assumptions = sum(len(run.metadata["assumptions"]) for run in runs)
        return headline(table), written, assumptions

    heads, written, assumptions = guard(work)
    for table in headline_tables(heads):
        out.print(table)
    out.print(f"{assumptions} assumption(s) recorded in the results' metadata "
              "(defaults used where the data or the scenario gives no value).",
              highlight=False)
    if written:
        out.print("wrote " + ", ".join(str(p) for p in written), highlight=False)


def show_projection_demo(store: Store) -> None:
    """Run the baseline and the LTWP-style demo scenarios on vintage 'demo' and print the gap."""
    from wfplan.assessment.project import combined, headline

    folder = files("wfplan").joinpath("data")
    with as_file(folder.joinpath(DEMO_SCENARIOS[0])) as first, \
            as_file(folder.joinpath(DEMO_SCENARIOS[1])) as second:
        runs = run_projection(store, [first, second], vintage="demo", draws=None, seed=None,
                              level=None)
    table, _ = combined(store, runs)
    for shown in headline_tables(headline(table)):
        out.print(shown)
    draws = runs[0].metadata["draws"]
    out.print(f"Projections at ICB level with {draws} draws each (a quick demo; the scenario "
              "files in scenarios/ use 1,000). Write the full table with 'wfplan project "
              "scenarios/baseline.toml --vintage demo --out results.parquet' (the demo "
              "copies differ: see src/wfplan/data/demo_*.toml).", highlight=False)


class BacktestFormat(StrEnum):
    """Output formats of the back-test."""

    table = "table"
    csv = "csv"
    json = "json"


_BACKTEST_HEADINGS = {
    "staff_group": "staff group", "cells": "cells", "actual_fte": "actual FTE",
    "projected_fte": "projected FTE", "error_fte": "error FTE", "mape": "MAPE %",
    "wape": "WAPE %", "naive_mape": "no-change MAPE %", "appeared": "appeared",
    "disappeared": "disappeared",
}


def _number(value: object, column: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if column in ("cells", "appeared", "disappeared"):
        return f"{int(value):,}"  # type: ignore[call-overload]
    return f"{value:,.1f}" if "mape" in column or "wape" in column else f"{value:,.0f}"


def backtest_command(
    vintage: Annotated[str, typer.Option("--vintage", help="Vintage holding both censuses")],
    from_period: Annotated[str, typer.Option("--from", help="Census to project from "
                                             "(YYYY-MM-DD or YYYY-MM)")],
    to_period: Annotated[str, typer.Option("--to", help="Later census to compare with")],
    level: Annotated[Level, typer.Option(help="Area level")] = Level.org,
    output: Annotated[OutputFormat, typer.Option("--format", help="table (summary), csv "
                                                 "(every cell) or json (both)")] = (
        OutputFormat.table),
    db: DbOption = None,
) -> None:
    """Back-test: project from one census with only the data known then; compare with a later one.

    Reports the error in supply FTE (and headcount where both censuses have it)
    by area and staff group, and MAPE overall and by staff group, next to the
    no-change forecast. Cells that appear or disappear between the censuses are
    counted apart, not in MAPE.
    """
    from wfplan.assessment.backtest import backtest
    from wfplan.dataset.store import open_store

    def work() -> Any:
        store = open_store(db, read_only=True)
        try:
            return backtest(store, vintage, from_period, to_period, level=level.value)
        finally:
            store.close()

    _print_backtest(guard(work), output, vintage)


def _no_flows_caption(meta: dict[str, Any]) -> str | None:
    """Say when the projection is the no-change forecast because there are no flows."""
    if meta.get("equals_no_change"):
        return (f"No flows up to {meta['from']}: every staff group is held steady (joiners "
                "replace leavers), so the projection IS the no-change forecast and its MAPE "
                "equals the no-change MAPE.")
    still = meta.get("no_flows_staff_groups") or []
    if still:
        return (f"No flows up to {meta['from']} for {', '.join(still)}: their projection is "
                "the no-change forecast.")
    return None


def _warn_comparability(meta: dict[str, Any]) -> None:
    """Print, as warnings, why the comparison is not like for like."""
    for line in meta.get("comparability", {}).get("warnings", []):
        err.print(f"[yellow]warning:[/] not like for like: {line}", highlight=False,
                  soft_wrap=True)


def _print_backtest(result: Any, output: OutputFormat, vintage: str) -> None:
    _warn_comparability(result.metadata)
    if output is OutputFormat.csv:
        sys.stdout.write(result.cells.to_csv(index=False, lineterminator="\n"))
        return
    if output is OutputFormat.json:
        payload = {"metadata": result.metadata,
                   "summary": json.loads(result.summary.to_json(orient="records")),
                   "cells": json.loads(result.cells.to_json(orient="records"))}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    meta = result.metadata
    table = Table(title=f"Back-test of vintage {vintage!r}: {meta['from']} → {meta['to']} "
                  f"({meta['years']:.2f} years), level {meta['level']}; supply FTE",
                  title_justify="left", caption=_no_flows_caption(meta),
                  caption_justify="left")
    for column, heading in _BACKTEST_HEADINGS.items():
        table.add_column(heading, justify="left" if column == "staff_group" else "right")
    for row in result.summary.to_dict("records"):
        table.add_row(*(str(row[c]) if c == "staff_group" else _number(row[c], c)
                        for c in _BACKTEST_HEADINGS))
    out.print(table)
    out.print(f"{len(meta['assumptions'])} assumption(s) used (see --format json); MAPE is "
              "the mean absolute % error over compared area x staff group cells.",
              highlight=False)
