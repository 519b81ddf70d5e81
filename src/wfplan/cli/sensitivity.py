"""``wfplan sensitivity``: the tornado and the variance shares of a scenario's headline gap.

Registered on the app by :mod:`wfplan.cli.main`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from wfplan.cli.common import DbOption, OutputFormat, WaitOption, err, guard, out
from wfplan.cli.display import Column, csv_text, fixed, print_table, tidy_json
from wfplan.cli.projection import SHIPPED_HELP
from wfplan.runs.executor import SCHEDULER_HELP

RULES = ("Each quantity is moved alone to its low and high value, every other quantity at its "
         "central value (the principal run): triangular and uniform at low and high; normal at "
         "mean -/+ 1.645 sd (P5, P95) within its bounds; a numeric choice at its smallest and "
         "largest option; a categorical choice (population variant) at every option, low and "
         "high being those with the smallest and largest England gap; with --fixed-spread, a "
         "fixed number at -/+ that share of itself.")
SHARES = ("Variance share: R² of the gap regressed on that quantity alone over the Monte Carlo "
          "draws (first order; a choice by its options, i.e. the correlation ratio); total R²: "
          "one linear regression on every quantity.")


def _figure(value: object) -> str:
    return fixed(float(value))  # type: ignore[arg-type]


def _tornado_rows(frame: pd.DataFrame) -> list[list[str]]:
    from wfplan.report.tornado_chart import quantity_label

    return [[str(r.rank), quantity_label(str(r.quantity)), str(r.low), str(r.high),
             _figure(r.gap_low), _figure(r.gap_high), _figure(r.swing)]
            for r in frame.itertuples(index=False)]


def _print(result: Any) -> None:
    from wfplan.report.tornado_chart import quantity_label

    columns = [Column("#", right=True), Column("Quantity", key=True, wrap=True),
               Column("Low"), Column("High"), Column("Gap at low", right=True),
               Column("Gap at high", right=True), Column("Swing", right=True)]
    for area, part in result.tornado.groupby("area", sort=False):
        central = _figure(part["gap_central"].iloc[0])
        print_table(out, f"{result.scenario.name}: {area} gap FTE in {result.year}, all staff "
                    f"groups, funded (central {central})", columns, _tornado_rows(part))
        shares = result.variance[result.variance["area"] == area]
        if len(shares):
            rows = [[str(r.rank), quantity_label(str(r.quantity)), f"{r.share:.1%}"]
                    for r in shares.itertuples(index=False)]
            print_table(out, f"Share of the gap's variance over {int(shares['draws'].iloc[0])} "
                        f"draws (total R² {shares['total_r2'].iloc[0]:.1%})",
                        [Column("#", right=True), Column("Quantity", key=True),
                         Column("Share", right=True)], rows)
    out.print(RULES, highlight=False, soft_wrap=True)
    out.print(SHARES, highlight=False, soft_wrap=True)


def _write(result: Any, folder: Path) -> list[Path]:
    from wfplan.report.tornado_chart import tornado_chart

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (("tornado", result.tornado), ("variance_shares", result.variance)):
        path = folder / f"{result.scenario.name}_{name}.csv"
        path.write_text(csv_text(frame), encoding="utf-8")
        written.append(path)
    for area, part in result.tornado.groupby("area", sort=False):
        chart = tornado_chart(part, f"tornado-{area}",
                              f"{result.scenario.name}: what moves the {area} gap in "
                              f"{result.year}")
        path = folder / f"{result.scenario.name}_tornado_{area}.svg"
        path.write_text(chart.svg, encoding="utf-8")
        written.append(path)
    return written


def sensitivity_command(
    scenario: Annotated[Path, typer.Argument(help=f"Scenario file (TOML), or {SHIPPED_HELP}")],
    vintage: Annotated[str | None, typer.Option(
        help="Vintage to run on (default: the scenario's base_vintage; without one, the "
        "only vintage in the database, or if there are several the one loaded most recently; "
        "the choice is printed on stderr)",
        show_default=False)] = None,
    area: Annotated[list[str] | None, typer.Option(
        help="Also the gap of this area (a code at the scenario's level); repeatable")] = None,
    year: Annotated[int | None, typer.Option(help="Year of the gap (default: the final "
                                             "year)")] = None,
    draws: Annotated[int | None, typer.Option(help="Monte Carlo draws for the variance "
                                              "shares (default: the scenario's; 0: none)",
                                              min=0)] = None,
    fixed_spread: Annotated[float | None, typer.Option(
        "--fixed-spread", help="Also move every non-zero number the scenario sets by -/+ "
        "this share of itself (e.g. 0.1)", min=0.0, max=1.0)] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Folder for the tornado and variance CSVs and the SVG charts")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="table, csv (the tornado) "
                                                 "or json (both tables)")] = OutputFormat.table,
    scheduler: Annotated[str, typer.Option(help=SCHEDULER_HELP)] = "local",
    workers: Annotated[int, typer.Option(help="Processes for --scheduler local or "
                                         "local-cluster (1: the tornado's runs in this "
                                         "process)", min=1)] = 1,
    db: DbOption = None,
    wait: WaitOption = None,
) -> None:
    """Tornado of a scenario's England headline gap, and each quantity's share of its variance.

    The headline is the funded gap (FTE) over every staff group in the final
    year (or --year), in England and any --area. Every uncertain parameter and
    intervention amount is moved to its low and high value one at a time.
    """
    from wfplan.dataset.store import open_store
    from wfplan.runs.executor import open_executor
    from wfplan.runs.sensitivity import sensitivity

    def work() -> tuple[Any, list[Path]]:
        with open_executor(scheduler, workers) as executor, \
                open_store(db, read_only=True) as store:
            result = sensitivity(store, scenario, vintage=vintage, year=year,
                                 areas=tuple(area or ()), draws=draws, spread=fixed_spread,
                                 tell=lambda text: err.print(text, highlight=False,
                                                             markup=False, soft_wrap=True),
                                 executor=executor)
        return result, _write(result, out_dir) if out_dir else []

    result, written = guard(work)
    if result.tornado.empty:
        err.print(f"scenario {result.scenario.name!r} has no uncertain quantity (no "
                  "distribution); give --fixed-spread to move its fixed numbers",
                  highlight=False)
    if output is OutputFormat.csv:
        sys.stdout.write(csv_text(result.tornado))
    elif output is OutputFormat.json:
        payload = {name: json.loads(frame.to_json(orient="records", double_precision=15))
                   for name, frame in (("tornado", result.tornado),
                                       ("variance_shares", result.variance))}
        payload["rules"] = {"tornado": RULES, "variance_shares": SHARES}
        sys.stdout.write(json.dumps(tidy_json(payload), indent=2) + "\n")
    else:
        _print(result)
    if written:
        err.print("wrote " + ", ".join(str(p) for p in written), highlight=False,
                  soft_wrap=True)
