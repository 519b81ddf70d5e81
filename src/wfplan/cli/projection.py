"""The projection commands: ``wfplan scenario`` and ``wfplan project``.

They are registered on the app by :mod:`wfplan.cli`; ``wfplan demo`` also uses
:func:`headline_tables` to show its assessment's headline.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console, ConsoleOptions, RenderResult
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from wfplan.cli.common import (
    EXIT_CODES,
    DbOption,
    Level,
    WaitOption,
    err,
    guard,
    out,
)
from wfplan.cli.display import Column, fixed, print_table
from wfplan.dataset.store import Store

scenario_app = typer.Typer(
    help="Scenario files: print their JSON Schema, or check one.\n\n" + EXIT_CODES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
SHIPPED_HELP = ("the name of a shipped scenario (baseline, ltwp, and the baseline's demand "
                "and funding variants)")


@scenario_app.command("schema", epilog=EXIT_CODES)
def scenario_schema() -> None:
    """Print the JSON Schema of scenario files (parameters with their ranges and defaults)."""
    from wfplan.model import scenario_json_schema

    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")


@scenario_app.command("check", epilog=EXIT_CODES)
def scenario_check(
    file: Annotated[Path, typer.Argument(help=f"Scenario file (TOML), or {SHIPPED_HELP}")],
) -> None:
    """Validate a scenario file: every problem is listed with its field and rule (exit 2).

    A bare name such as 'baseline' that is no file here is the scenario shipped
    with wfplan.
    """
    from wfplan.runs.project import read_scenario

    source = guard(lambda: read_scenario(file))
    scenario = source.scenario
    groups = "all" if scenario.staff_groups == "all" else len(scenario.staff_groups)
    out.print(f"{file}: valid scenario {scenario.name!r}: level {scenario.level}, horizon "
              f"{scenario.horizon} years, staff groups {groups}, "
              f"{len(scenario.interventions)} intervention(s), {scenario.draws} draws, seed "
              f"{scenario.seed}", highlight=False, soft_wrap=True)


def _figure(value: float) -> str:
    """Format a projected FTE figure: 3 significant figures, ASCII minus, never -0."""
    from wfplan.report.format import round_significant

    text = f"{round_significant(float(value)):,.0f}"
    return "0" if text == "-0" else text


def _cell(p50: float, p5: float, p95: float) -> str:
    """Return the P50 and, on the next line, its P5 to P95 range (a narrow cell)."""
    if any(isinstance(v, float) and math.isnan(v) for v in (p50, p5, p95)):
        return "n/a"
    return f"{_figure(p50)}\n({_figure(p5)} to {_figure(p95)})"


_NOTE = ("gap = funded demand - supply, FTE (negative: supply above demand); P50 with the "
         "P5 to P95 range below it, rounded to 3 significant figures")
_TOTALS_NOTE = ("Totals are summed within each draw before percentiles are taken (a total's "
                "range is not the sum of the groups' ranges); a surplus in one staff group "
                "offsets a gap in another.")


class _FittedTable(Table):
    """A table that narrows its number columns to fit the console, never inside a word.

    Rich, left alone, squeezes every column evenly when a table is too wide and
    then cuts words (``3,…``). Here the number columns are first narrowed, to no
    less than their longest number, so that the label column keeps its longest
    word and Rich wraps each cell between words: every figure stays whole.
    """

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """Set the number columns' widths for this console, then render as usual."""
        label, *numbers = self.columns
        lines = [[line for cell in c.cells for line in str(cell).splitlines()] for c in numbers]
        natural = [max((len(x) for x in col), default=1) for col in lines]
        floors = [max((len(w) for x in col for w in x.split()), default=1) for col in lines]
        words = max((len(w) for cell in label.cells for w in str(cell).split()), default=1)
        available = options.max_width - 3 * len(self.columns) - 1
        spare = available - words
        for column in numbers:
            column.max_width = None  # a table printed before, to a narrower console
        if numbers and sum(natural) > spare:
            share = max(spare // len(numbers), 1)
            for column, floor, full in zip(numbers, floors, natural, strict=True):
                column.max_width = min(full, max(floor, share))
        label.min_width = words
        yield from super().__rich_console__(console, options)


def _table(title: str, first: str, columns: Sequence[str], caption: str) -> Table:
    table = _FittedTable(title=title, title_justify="left", caption=caption,
                         caption_justify="left")
    table.add_column(first)
    for heading in columns:
        table.add_column(heading, justify="right")
    return table


def _one_scenario(heads: pd.DataFrame, area_name: str, name: str) -> list[Table]:
    from wfplan.model.aggregate import is_total
    from wfplan.report.format import staff_group_name

    years = heads.drop_duplicates("horizon")[["horizon", "year"]].to_numpy()
    columns = [f"{year} (+{horizon} y)" for horizon, year in years]
    totals = _table(f"{area_name}: total gap FTE, all staff groups and by sector, P50 "
                    f"(P5 to P95), scenario {name!r}", "total", columns,
                    f"{_NOTE}. {_TOTALS_NOTE}")
    groups = _table(f"{area_name}: gap FTE by staff group, P50 (P5 to P95), scenario "
                    f"{name!r}", "staff group", columns, _NOTE)
    for group, rows in heads.groupby("staff_group", sort=False):
        cells = {r["horizon"]: _cell(r["p50"], r["p5"], r["p95"])
                 for r in rows.to_dict("records")}
        target = totals if is_total(str(group)) else groups
        target.add_row(staff_group_name(group), *(cells.get(h, "") for h, _ in years))
    return [t for t in (totals, groups) if t.row_count]


def _side_by_side(heads: pd.DataFrame, area_name: str) -> list[Table]:
    from wfplan.model.aggregate import is_total
    from wfplan.report.format import staff_group_name
    from wfplan.runs.project import side_by_side

    scenarios = list(dict.fromkeys(heads["scenario"]))
    wide = side_by_side(heads)
    order = {g: i for i, g in enumerate(dict.fromkeys(heads["staff_group"]))}
    wide = wide.sort_values(["horizon", "staff_group"], kind="stable",
                            key=lambda s: s.map(order) if s.name == "staff_group" else s)
    years = dict(zip(heads["horizon"], heads["year"], strict=False))
    totals = _table(f"{area_name}: total gap FTE, all staff groups and by sector, P50 (P5 to "
                    "P95)", "total", scenarios, f"{_NOTE}. {_TOTALS_NOTE}")
    tables = [totals]
    for key, rows in wide.groupby("horizon", sort=True):
        horizon = int(str(key))
        table = _table(f"{area_name} in {years[horizon]} (+{horizon} years): gap FTE by staff "
                       "group, P50 (P5 to P95)", "staff group", scenarios, _NOTE)
        if totals.row_count:
            totals.add_section()
        totals.add_row(f"{years[horizon]} (+{horizon} years)", *([""] * len(scenarios)),
                       style="bold")
        for values in rows.to_dict("records"):
            cells = ["" if values[n] is None else _cell(*values[n]) for n in scenarios]
            name = staff_group_name(values["staff_group"])
            (totals if is_total(str(values["staff_group"])) else table).add_row(name, *cells)
        tables.append(table)
    return [t for t in tables if t.row_count]


def headline_tables(heads: pd.DataFrame, area_name: str = "England") -> list[Table]:
    """Return Rich tables of the gap: England's totals first, then each staff group.

    ``heads`` is :func:`wfplan.runs.project.headline` output. With one
    scenario the columns are the horizons; with several, the totals table has a
    section per horizon and each staff-group table one column per scenario. Each
    cell holds the P50 and, below it, the P5 to P95 range, so the numbers fit an
    80-column terminal whole (Rich wraps between the numbers, never inside one).
    """
    scenarios = list(dict.fromkeys(heads["scenario"]))
    if len(scenarios) == 1:
        return _one_scenario(heads, area_name, scenarios[0])
    return _side_by_side(heads, area_name)


_SKILLS_NOTE = ("shortfall = max(gap, 0) and surplus = max(-gap, 0) of each role, FTE, P50; a "
                "staff group's are the sums over its roles within each draw, not its net gap; "
                "'after substitution': the shortfall left once the substitutions the scenario "
                "allows between roles are used")


def skills_tables(heads: pd.DataFrame, area_names: dict[str, str]) -> list[Table]:
    """Return Rich tables of the skills-gap view: one per scenario and area.

    ``heads`` is :func:`wfplan.runs.skills.skills_headline` output; each cell holds a
    code's shortfall, surplus and shortfall after substitution (P50) at one horizon.
    """
    from wfplan.report.format import staff_group_name

    tables = []
    for (scenario, area), rows in heads.groupby(["scenario", "area"], sort=False):
        years = rows.drop_duplicates("horizon")[["horizon", "year"]].to_numpy()
        table = _table(f"{area_names.get(str(area), area)}: skills gaps by role, FTE P50, "
                       f"scenario {scenario!r}", "role (staff group: sum of its roles)",
                       [f"{year} (+{horizon} y)" for horizon, year in years], _SKILLS_NOTE)
        for code, part in rows.groupby("staff_group", sort=False):
            value = {(r["variable"], r["horizon"]): r["p50"] for r in part.to_dict("records")}
            cells = [f"short {_figure(value.get(('shortfall_fte', h), math.nan))}\n"
                     f"surplus {_figure(value.get(('surplus_fte', h), math.nan))}\n"
                     "after substitution "
                     f"{_figure(value.get(('shortfall_after_substitution_fte', h), math.nan))}"
                     for h, _ in years]
            table.add_row(staff_group_name(code), *cells)
        tables.append(table)
    return tables


def run_projection(store: Store, paths: Sequence[Path], *, vintage: str | None,
                   draws: int | None, seed: int | None, level: str | None,
                   cache: bool = False) -> Any:
    """Run scenario files with a Rich progress bar (one step per scenario) on stderr.

    Which vintage each scenario runs on, when the user did not name it, is
    printed on stderr.
    """
    from wfplan.runs.project import project

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("reading scenarios", total=len(paths))

        def progress(text: str, done: int, total: int) -> None:
            bar.update(task, description=text, completed=done, total=total)

        return project(store, paths, vintage=vintage, draws=draws, seed=seed, level=level,
                       progress=progress, cache=cache, tell=lambda text: err.print(
                           text, highlight=False, markup=False, soft_wrap=True))


def _supply_at(runs: Sequence[Any], at: list[str]) -> pd.DataFrame:
    from datetime import date

    from wfplan.runs.at_dates import at_dates, supply_at

    frames = []
    for run in runs:
        base = date.fromisoformat(str(run.metadata["base_period"]))
        frames.append(supply_at(run, at_dates(at, base, run.scenario.horizon)))
    return pd.concat(frames, ignore_index=True)


def _print_supply_at(dated: pd.DataFrame) -> None:
    """Print England's supply FTE at each date: P50 (P5 to P95), a table per scenario."""
    from wfplan.dataset.codelists import ENGLAND_CODE
    from wfplan.report.format import staff_group_name

    england = dated[dated["area"] == ENGLAND_CODE]
    for scenario, rows in england.groupby("scenario", sort=False):
        dates = list(dict.fromkeys(rows["date"]))
        columns = [Column("staff group", key=True), *(Column(d, right=True) for d in dates)]
        body = []
        for group, part in rows.groupby("staff_group", sort=False):
            by_date = part.set_index("date")
            body.append([staff_group_name(str(group)), *(
                f"{fixed(by_date.loc[d, 'p50'], 0)} ({fixed(by_date.loc[d, 'p5'], 0)} to "
                f"{fixed(by_date.loc[d, 'p95'], 0)})" for d in dates)])
        print_table(out, f"{scenario}: England supply FTE at the dates asked, P50 (P5 to P95), "
                    "linear between annual steps", columns, body)


def project_command(
    scenarios: Annotated[list[Path], typer.Argument(
        help=f"Scenario files (TOML), or {SHIPPED_HELP}; several are compared side by side")],
    draws: Annotated[int | None, typer.Option(help="Monte Carlo draws (default: the "
                                              "scenario's)", min=0)] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's)",
                                             min=0)] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write the long table: .parquet, .csv (metadata beside it) or .xlsx")
    ] = None,
    vintage: Annotated[str | None, typer.Option(
        help="Vintage to run on, whatever the scenarios name (default: each scenario's "
        "base_vintage; for a scenario without one, the only vintage in the database, or if "
        "there are several the one loaded most recently; the choice is printed on stderr)",
        show_default=False)] = None,
    level: Annotated[Level | None, typer.Option(help="Area level (default: the "
                                                "scenario's)")] = None,
    at: Annotated[list[str] | None, typer.Option(
        "--at", help="Also give supply FTE at these month ends (YYYY-MM, comma-separated or "
        "repeated; 'quarterly' for every quarter end to the horizon), interpolated linearly "
        "between the annual steps; written beside --out as <name>-at.csv")] = None,
    no_cache: Annotated[bool, typer.Option(
        "--no-cache", help="Build the inputs from the vintage even if they are cached (inputs "
        "built from a frozen vintage are kept under $XDG_CACHE_HOME/wfplan/inputs)")] = False,
    db: DbOption = None,
    wait: WaitOption = None,
) -> None:
    """Project supply, demand and the gap for scenarios on a vintage.

    Scenarios are files, or the names of those shipped with wfplan ('wfplan
    project baseline', 'wfplan project baseline ltwp'). Builds the model's
    inputs from the vintage (every default recorded as an assumption in the
    output's metadata), runs each scenario and prints the England gap by staff
    group 5, 10 and 15 years ahead as P50 [P5 to P95]; a scenario by role
    (its 'roles') also prints England's skills gaps by role: each role's
    shortfall and surplus, not their net. The output table has the areas of
    the level and England (their sum).
    """
    from wfplan.dataset.codelists import ENGLAND_CODE
    from wfplan.dataset.store import open_store
    from wfplan.runs.outputs import check_output, write_results
    from wfplan.runs.project import HORIZONS, combined, headline
    from wfplan.runs.skills import skills_headline

    def work() -> tuple[pd.DataFrame, list[Path], int, pd.DataFrame | None, pd.DataFrame]:
        if out_file is not None:
            check_output(out_file)
        with open_store(db, read_only=True) as store:
            runs = run_projection(store, scenarios, vintage=vintage, draws=draws, seed=seed,
                                  level=level.value if level else None, cache=not no_cache)
            table, metadata = combined(store, runs)
        dated = _supply_at(runs, at) if at else None
        written = write_results(table, out_file, metadata) if out_file else []
        if dated is not None and out_file is not None:
            beside = out_file.with_name(f"{out_file.stem}-at.csv")
            dated.to_csv(beside, index=False)
            written.append(beside)
        assumptions = sum(len(run.metadata["assumptions"]) for run in runs)
        skills = skills_headline(table, HORIZONS, (ENGLAND_CODE,))
        return headline(table), written, assumptions, dated, skills

    heads, written, assumptions, dated, skills = guard(work)
    for table in headline_tables(heads):
        out.print(table)
    for table in skills_tables(skills, {ENGLAND_CODE: "England"}):
        out.print(table)
    if dated is not None:
        _print_supply_at(dated)
    out.print(f"{assumptions} assumption(s) recorded in the results' metadata "
              "(defaults used where the data or the scenario gives no value).",
              highlight=False)
    if written:
        out.print("wrote " + ", ".join(str(p) for p in written), highlight=False)
