"""The ``wfplan`` command line.

Every command exits 0 on success, 2 on bad input (nothing is written), 3 when
the database is busy with another writer, 4 when a write is refused (a frozen
vintage, a database from a newer wfplan) and 1 on an unexpected failure.
Errors are printed as plain messages, never as tracebacks; set
``WFPLAN_DEBUG=1`` to see the traceback of an unexpected failure.
"""

from __future__ import annotations

import json
import shlex
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from wfplan import __version__
from wfplan.cli.assessment import assess_command, compare_command, verify_command
from wfplan.cli.common import (
    EXIT_CODES,
    DbOption,
    Level,
    OutputFormat,
    PeriodOption,
    VintageOption,
    WaitOption,
    WriteVintageOption,
    census,
    err,
    out,
    read_vintage,
)
from wfplan.cli.common import guard as _guard
from wfplan.cli.display import (
    Column,
    csv_text,
    frame_table,
    metrics_table,
    name_of,
    print_table,
    tidy_json,
)
from wfplan.cli.keys import keys_app
from wfplan.cli.projection import (
    backtest_command,
    project_command,
    scenario_app,
)

app = typer.Typer(
    name="wfplan",
    help="Workforce planning for health and social care in England: one dataset, "
    "projections and verifiable assessments.\n\n" + EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
vintages_app = typer.Typer(
    help="List vintages, or freeze one so that it refuses further writes.\n\n" + EXIT_CODES,
    pretty_exceptions_enable=False,
)
app.add_typer(vintages_app, name="vintages")
app.add_typer(scenario_app, name="scenario")
app.add_typer(keys_app, name="keys")
app.command("project", epilog=EXIT_CODES)(project_command)
app.command("backtest", epilog=EXIT_CODES)(backtest_command)
app.command("assess", epilog=EXIT_CODES)(assess_command)
app.command("verify", epilog=EXIT_CODES)(verify_command)
app.command("compare", epilog=EXIT_CODES)(compare_command)

def _version(value: bool) -> None:
    if value:
        out.print(f"wfplan {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Workforce planning for health and social care in England."""


@app.command(epilog=EXIT_CODES)
def ingest(
    files: Annotated[list[Path], typer.Argument(help="CSV, XLSX or Parquet files", exists=False)],
    vintage: WriteVintageOption = "default",
    db: DbOption = None,
    wait: WaitOption = None,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV files")] = "utf-8",
    ignore_extra_columns: Annotated[bool, typer.Option(
        "--ignore-extra-columns",
        help="Load a tidy file that has columns its table lacks, without them (a warning); "
             "by default such a file is refused, listing the columns")] = False,
    pseudonym_key: Annotated[Path | None, typer.Option(
        "--pseudonym-key", help="Key file the person identifiers of record-level extracts "
        "(staff_records) are hashed with, kept apart from the data (default: the key in "
        "$WFPLAN_PSEUDONYM_KEY); make one with 'wfplan keys pseudonym'")] = None,
) -> None:
    """Load files into a vintage: detect each format, validate every row, write in one go.

    One call is one transaction: if any file has an error, nothing is written.
    A file already loaded into the vintage (same SHA-256) is skipped. Unknown
    codes are warnings; their rows are kept and counted as unmapped. Rows that
    fail a plausibility check (a period in the future, a census date that is not
    a month end, FTE above headcount x 1.05, an ambiguous dd/mm/yyyy date) are
    kept and warned about, one line per file, column and check. 'wfplan template
    TABLE' documents every column's rules and checks (also in docs/dataset.md).
    """
    from wfplan.dataset import pseudonym
    from wfplan.dataset.ingest import ingest as run_ingest
    from wfplan.dataset.store import open_store

    def work() -> None:
        key = pseudonym.resolve(pseudonym_key)
        with open_store(db) as store, Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn(
                    "{task.completed:,.0f} rows"), TimeElapsedColumn(), console=err,
                transient=True) as bar:
            tasks: dict[Path, Any] = {}

            def progress(path: Path, rows: int) -> None:
                if path not in tasks:
                    tasks[path] = bar.add_task(path.name, total=None)
                bar.update(tasks[path], completed=rows)

            report = run_ingest(store, files, vintage, encoding=encoding, progress=progress,
                                ignore_extra_columns=ignore_extra_columns,
                                pseudonym_key=key)
        for item in report.files:
            rows = ", ".join(f"{n:,} {t}" for t, n in item.rows.items())
            detail = (f"{item.format}: {rows}" if item.status == "loaded"
                      else f"{item.status} ({'; '.join(item.notes)}); nothing added")
            out.print(f"{item.path.name}: {detail}", highlight=False)
        for line in report.notes:
            out.print(f"note: {line}", highlight=False, soft_wrap=True)
        warnings = report.unmapped_warnings + report.check_warnings
        for line in warnings:
            err.print(f"[yellow]warning:[/] {line}", highlight=False, soft_wrap=True)
        out.print(f"vintage {vintage!r}: {sum(f.status == 'loaded' for f in report.files)} "
                  f"file(s) loaded, {len(warnings)} warning(s)")

    _guard(work)


@app.command(epilog=EXIT_CODES)
def template(
    table: Annotated[str, typer.Argument(help="Table name, e.g. staff_in_post")],
    out_file: Annotated[Path, typer.Option("--out", help="File to write (.csv, .xlsx, .parquet)")],
) -> None:
    """Write an empty tidy template for a table, with every column documented.

    An XLSX gets a second sheet, 'columns'; a CSV or Parquet file gets a
    companion .md file.
    """
    from wfplan.dataset.template import write_template

    written = _guard(lambda: write_template(table, out_file))
    out.print("wrote " + ", ".join(str(p) for p in written))


@vintages_app.callback(invoke_without_command=True)
def vintages_list(ctx: typer.Context, db: DbOption = None, wait: WaitOption = None) -> None:
    """List the vintages with their state, ingests and rows."""
    if ctx.invoked_subcommand:
        return
    from wfplan.dataset.store import open_store

    def work() -> pd.DataFrame:
        with open_store(db, read_only=True) as store:
            return store.vintages()

    frame = _guard(work)
    if frame.empty:
        out.print("no vintages yet: load data with 'wfplan ingest' or 'wfplan demo'")
        return
    rows = []
    for row in frame.to_dict("records"):
        state = f"frozen {row['frozen_at']:%Y-%m-%d}" if row["frozen"] else "open"
        rows.append([str(row["name"]), state, f"{row['created_at']:%Y-%m-%d %H:%M}",
                     f"{row['ingests']:,}", f"{row['rows']:,}"])
    print_table(out, "Vintages", [Column("vintage", key=True), Column("state"),
                                  Column("created (UTC)"), Column("ingests", right=True),
                                  Column("rows", right=True)], rows)


@vintages_app.command("freeze", epilog=EXIT_CODES)
def vintages_freeze(
    name: Annotated[str, typer.Argument(help="Vintage to freeze")], db: DbOption = None,
    wait: WaitOption = None,
) -> None:
    """Freeze a vintage: it stays readable and refuses every further write."""
    from wfplan.dataset.store import open_store

    def work() -> None:
        with open_store(db) as store:
            store.freeze_vintage(name)

    _guard(work)
    out.print(f"vintage {name!r} is frozen")


@app.command(epilog=EXIT_CODES)
def metrics(
    level: Annotated[Level, typer.Option(help="Level of the areas")] = Level.england,
    area: Annotated[str | None, typer.Option(help="One area or organisation code")] = None,
    staff_group: Annotated[str | None, typer.Option(help="Staff group code or label")] = None,
    period: PeriodOption = None,
    sector: Annotated[str | None, typer.Option(
        help="Only one sector: nhs_trust, primary_care, social_care, commissioner, other")] = None,
    vintage: VintageOption = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format")] = (
        OutputFormat.table),
    db: DbOption = None,
    wait: WaitOption = None,
) -> None:
    """Report the current position: staff in post, vacancies, turnover, sickness, diversity.

    Each metric is n/a where the data does not support it, never 0 (empty in
    CSV, null in JSON). A table of what each figure covers (sectors, period,
    why n/a) follows; JSON has it under "coverage". The ethnic-minority share by
    pay band follows in a further table. Tables too wide for the terminal are
    split, repeating the area.
    """
    from wfplan.analysis import metrics as m
    from wfplan.analysis.metrics_coverage import coverage_table
    from wfplan.dataset.store import open_store

    def work() -> tuple[str, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame,
                        pd.DataFrame]:
        with open_store(db, read_only=True) as store:
            chosen = read_vintage(store, vintage)
            when = census(store, chosen, period) if period else None
            query = m.Query(chosen, level.value, area, staff_group, when, sector)
            return (chosen, *m.position_with_coverage(store, query),
                    m.ethnic_minority_by_band(store, query), m.net_change(store, query),
                    m.latest_by_sector(store, chosen))

    chosen, position, coverage, bands, change, latest = _guard(work)
    if period is None and sector is None and latest["period"].nunique() > 1:
        census_day = str(position["period"].iat[0]) if not position.empty else "the latest census"
        others = "; ".join(f"{name_of('sector', r['sector'])} {r['period']}"
                           for r in latest.to_dict("records") if r["period"] != census_day)
        err.print(f"note: the latest census, {census_day}, does not cover every sector; the "
                  f"other sectors' latest: {others}. Use --period (and --sector) to report on "
                  "them.", highlight=False, soft_wrap=True)
    if output is OutputFormat.json:
        records = {
            "current_position": _records(position),
            "ethnic_minority_by_band": _records(bands),
            "net_change": _records(change),
            "coverage": _records(coverage),
        }
        sys.stdout.write(json.dumps(records, indent=2) + "\n")
        return
    if output is OutputFormat.csv:
        sys.stdout.write(csv_text(position))
        return
    metrics_table(out, position, f"Current position, vintage {chosen!r}, level {level.value}")
    metrics_table(out, coverage_table(coverage), "What each figure covers: sectors and period")
    if not bands.empty:
        metrics_table(out, bands, f"Ethnic-minority share of headcount by pay band, "
                      f"{bands['period'].iat[0]}")
    for (source, start, end), rows in change.groupby(
            ["source", "period_start", "period_end"], sort=False):
        shown = rows.drop(columns=["source", "period_start", "period_end"])
        metrics_table(out, shown, f"Net change {start} → {end}: flows unavailable ({source}); "
                      "joiners and leavers cannot be derived from this source")


def _records(frame: pd.DataFrame) -> Any:
    """Return a frame as JSON-ready records, numbers rounded (:func:`tidy_json`)."""
    return tidy_json(json.loads(frame.to_json(orient="records", date_format="iso",
                                              double_precision=15)))


@app.command(epilog=EXIT_CODES)
def demo(
    db: DbOption = None,
    wait: WaitOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the demo generator")] = 20240331,
) -> None:
    """Build the demo dataset, show it, run and verify an assessment of two scenarios.

    The generator writes tidy files calibrated to published national figures
    and loads them through the same importer users use (vintage 'demo'; if the
    database already holds it, it is shown as it is). Then an assessment of the
    baseline and the Long Term Workforce Plan style scenario (NHS regions summed
    to England, 200 draws each) is written as a bundle beside the database
    (in the current folder for a PostgreSQL --db), 'wfplan-demo-assessment',
    with its HTML and PDF report; the England gap by staff group 5, 10 and 15
    years ahead is shown as P50 [P5 to P95]; and the bundle is verified by
    re-running it from the bundle alone.
    """
    from wfplan.analysis import metrics as m
    from wfplan.dataset.demo import build_demo
    from wfplan.dataset.store import open_store

    def work() -> tuple[pd.DataFrame, pd.DataFrame, bool]:
        with open_store(db) as store:
            if store.vintage_exists("demo"):
                out.print(f"vintage 'demo' already exists in {store.location()}; showing it")
            else:
                with Progress(TextColumn("{task.description}"), BarColumn(),
                              TimeElapsedColumn(), console=err, transient=True) as bar:
                    task = bar.add_task("building the demo dataset", total=None)

                    def progress(path: Path, rows: int) -> None:
                        bar.update(task, description=f"loading {path.name}", completed=rows)

                    report = build_demo(store, seed=seed, progress=progress)
                loaded = sum(sum(f.rows.values()) for f in report.files)
                out.print(f"built vintage 'demo' in {store.location()}: {loaded:,} rows")
            sectors = []
            for sector in ("nhs_trust", "primary_care", "social_care"):
                row = m.current_position(store, m.Query("demo", "england", sector=sector))
                sectors.append(row.assign(area_name=f"England: {name_of('sector', sector)}"))
            england = pd.concat(
                [m.current_position(store, m.Query("demo", "england")), *sectors])
            regions = m.current_position(store, m.Query("demo", "region", sector="nhs_trust"))
            return england, regions, store.resolve_vintage(None).name == "demo"

    england, regions, by_default = _guard(work)
    metrics_table(out, england, "Current position: England, all sectors and by sector "
                  "(vintage 'demo')")
    metrics_table(out, regions, "NHS trusts by NHS region")
    _guard(lambda: _demo_assessment(db))
    out.print(_next_hint(db, by_default), highlight=False, soft_wrap=True)


def _next_hint(db: str | None, by_default: bool) -> str:
    """Return the demo's closing hint: commands that work as typed, from the same folder."""
    from wfplan.dataset.store import default_db_path

    extra = (f" --db {shlex.quote(str(db))}" if db else "") + (
        "" if by_default else " --vintage demo")
    bundle = shlex.quote(str(default_db_path(db).parent / "wfplan-demo-assessment"))
    return (f"Next: 'wfplan metrics --level icb{extra}', 'wfplan gaps{extra}', "
            f"'wfplan project baseline --draws 50{extra}', 'wfplan verify {bundle}', "
            "or 'wfplan --help'.")


def _demo_assessment(db: str | None) -> None:
    """Write (or re-check) the demo's assessment bundle, show its headline and verify it."""
    from importlib.resources import as_file, files

    import pyarrow.parquet as pq

    from wfplan.assessment.bundle import RESULTS_FILE, assess
    from wfplan.assessment.verify import verify
    from wfplan.cli.projection import headline_tables
    from wfplan.dataset.store import default_db_path, open_store
    from wfplan.runs.project import headline

    bundle = default_db_path(db).resolve().parent / "wfplan-demo-assessment"
    with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task("assessing", total=None)
        if bundle.exists():
            out.print(f"assessment bundle {bundle} already exists; verifying it")
        else:
            with open_store(db, read_only=True) as store, as_file(
                    files("wfplan").joinpath("data")) as folder:
                assess(store, folder / "demo_assessment.toml", bundle,
                       step=lambda text: bar.update(task, description=text))
        results = pq.read_table(bundle / RESULTS_FILE).to_pandas()
        bar.update(task, description="verifying the bundle (a full re-run)")
        verdict = verify(bundle, step=lambda text: bar.update(task, description=text))
    for shown in headline_tables(headline(results)):
        out.print(shown)
    draws = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))["draws"]
    out.print(f"Baseline and Long Term Workforce Plan style scenarios, NHS regions summed to "
              f"England, with {draws} draws each (src/wfplan/data/demo_assessment.toml).",
              highlight=False)
    state = "[green]VERIFIED[/]" if verdict.ok else "[red]NOT VERIFIED[/]"
    out.print(f"assessment bundle: {bundle} — {state} by re-running it from the bundle alone")
    for finding in verdict.findings[:20]:
        out.print(f"  - {finding}", highlight=False)
    out.print(f"report: {bundle / 'report.html'}")
    out.print(f"report (PDF): {bundle / 'report.pdf'}")
    out.print(f"tables: {bundle / 'tables.xlsx'}")
    if not verdict.ok:
        raise typer.Exit(4)


class GapsFormat(StrEnum):
    """Output formats of the gap report."""

    table = "table"
    csv = "csv"
    html = "html"


@app.command(epilog=EXIT_CODES)
def gaps(
    vintage: VintageOption = None,
    output: Annotated[GapsFormat, typer.Option("--format", help="Output format: table, csv "
                                               "(one long table) or html (one page)")] = (
        GapsFormat.table),
    stale_months: Annotated[int, typer.Option(help="Months behind the newest data after "
                                              "which a source is stale")] = 12,
    db: DbOption = None,
    wait: WaitOption = None,
) -> None:
    """Report what the dataset lacks: coverage, missing organisations, dimensions, staleness.

    For each table and sector (NHS trusts, primary care, social care): which
    regions, ICBs and periods have data; which organisations in the reference
    data have none; which dimensions (age, ethnicity, vacancies, flows…) are
    not reported; unmapped codes; stale sources; importers' findings. It ends
    with the most important gaps, by severity. Everything is computed from the
    vintage's rows.
    """
    from wfplan.analysis.gaps import gap_report
    from wfplan.dataset.store import open_store
    from wfplan.report.gaps_page import COLUMN_HEADINGS, format_cell, render_html

    def work() -> Any:
        with open_store(db, read_only=True) as store:
            return gap_report(store, read_vintage(store, vintage), stale_months=stale_months)

    report = _guard(work)
    if output is GapsFormat.html:
        sys.stdout.write(render_html(report))
        return
    if output is GapsFormat.csv:
        sys.stdout.write(csv_text(report.to_long()))
        return
    titles = {
        "coverage": "Coverage by table and sector", "missing_organisations":
        "Organisations expected but without data", "dimensions":
        "Dimensions not reported (share of FTE at the latest period)", "stale":
        "Latest period by source", "unmapped": "Unmapped codes", "findings":
        "Findings about sources", "ranked": "Most important gaps, by severity"}
    newest = report.newest_period.isoformat() if report.newest_period else "none"
    out.print(f"Data gaps in vintage {report.vintage!r}; newest workforce period: {newest}",
              highlight=False)
    for name, frame in report.sections().items():
        if frame.empty:
            out.print(f"{titles[name]}: none", highlight=False)
            continue
        frame_table(out, frame, titles[name], COLUMN_HEADINGS, format_cell)


def main() -> None:
    """Run the ``wfplan`` command line."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
