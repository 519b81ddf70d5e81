"""The ``wfplan`` command line.

Every command exits 0 on success, 2 on bad input (nothing is written), 3 when
the database is busy with another writer, 4 when a write is refused (a frozen
vintage, a database from a newer wfplan) and 1 on an unexpected failure.
Errors are printed as plain messages, never as tracebacks; set
``WFPLAN_DEBUG=1`` to see the traceback of an unexpected failure.

Rules and formatting live below (``assessment/demo.py``, ``report/headings.py``); the
larger commands have modules of their own. Ingest, vintages and gaps are the next split.
"""

from __future__ import annotations

import shlex
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from wfplan.cli.accounts import audit_command, tokens_app, users_app
from wfplan.cli.assessment import assess_command, compare_command, verify_command
from wfplan.cli.backtest import backtest_command
from wfplan.cli.common import (
    EXIT_CODES,
    DbOption,
    VintageOption,
    WaitOption,
    WriteVintageOption,
    err,
    gap_area,
    out,
    read_vintage,
)
from wfplan.cli.common import guard as _guard
from wfplan.cli.display import (
    Column,
    csv_text,
    frame_table,
    metrics_table,
    print_table,
)
from wfplan.cli.equality import equality_command
from wfplan.cli.evidence import evidence_command
from wfplan.cli.keys import keys_app
from wfplan.cli.metrics import metrics_command
from wfplan.cli.plan import plan_command
from wfplan.cli.projection import (
    project_command,
    scenario_app,
)
from wfplan.cli.sensitivity import sensitivity_command
from wfplan.cli.serve import serve_command, worker_command
from wfplan.cli.social_care import social_care_command
from wfplan.cli.sweep import sweep_command
from wfplan.cli.wellbeing import wellbeing_command
from wfplan.report.headings import VINTAGE_HEADINGS

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
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.command("audit", epilog=EXIT_CODES)(audit_command)
app.command("serve", epilog=EXIT_CODES)(serve_command)
app.command("worker", epilog=EXIT_CODES)(worker_command)
app.command("project", epilog=EXIT_CODES)(project_command)
app.command("plan", epilog=EXIT_CODES)(plan_command)
app.command("backtest", epilog=EXIT_CODES)(backtest_command)
app.command("sensitivity", epilog=EXIT_CODES)(sensitivity_command)
app.command("sweep", epilog=EXIT_CODES)(sweep_command)
app.command("assess", epilog=EXIT_CODES)(assess_command)
app.command("verify", epilog=EXIT_CODES)(verify_command)
app.command("compare", epilog=EXIT_CODES)(compare_command)
app.command("evidence", epilog=EXIT_CODES)(evidence_command)
app.command("equality", epilog=EXIT_CODES)(equality_command)
app.command("wellbeing", epilog=EXIT_CODES)(wellbeing_command)
app.command("social-care", epilog=EXIT_CODES)(social_care_command)

def _version(value: bool) -> None:
    if value:
        from wfplan import __version__

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
    files: Annotated[list[Path], typer.Argument(
        help="CSV, XLSX or Parquet files; GeoJSON (.geojson) of ICB boundaries",
        exists=False)],
    vintage: WriteVintageOption = "default",
    db: DbOption = None,
    wait: WaitOption = None,
    encoding: Annotated[str, typer.Option(help=(
        "Text encoding of CSV files; by default UTF-8, or Windows-1252 for a publication "
        "with no UTF-8 line (a file mixing the two is refused)"))] = "utf-8",
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
    TABLE' documents every column's rules and checks (also in docs/dataset.md). A
    GeoJSON file (.geojson) is the ONS ICB boundaries, for the dashboard's
    map (docs/importers/icb_boundaries.md).
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
            out.print(f"{item.path.name}: {detail}", highlight=False, markup=False)
        # Notes and warnings quote file text: printed as it is, never read as console markup.
        for line in report.notes:
            out.print(f"note: {line}", highlight=False, soft_wrap=True, markup=False)
        warnings = report.unmapped_warnings + report.check_warnings
        for line in warnings:
            err.print(f"[yellow]warning:[/] {escape(line)}", highlight=False, soft_wrap=True)
        out.print(f"vintage {vintage!r}: {sum(f.status == 'loaded' for f in report.files)} "
                  f"file(s) loaded, {len(warnings)} warning(s)", markup=False)

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
    first, *middle, last = (Column(h) for h in VINTAGE_HEADINGS)
    print_table(out, "Vintages", [Column(first.heading, key=True), *middle[:2],
                                  Column(middle[2].heading, right=True),
                                  Column(last.heading, right=True)], rows)


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


app.command("metrics", epilog=EXIT_CODES)(metrics_command)


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
    from wfplan.assessment.demo import demo_dataset
    from wfplan.dataset.store import open_store

    def work() -> Any:
        with open_store(db) as store, Progress(
                TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                console=err, transient=True) as bar:
            task = bar.add_task("building the demo dataset", total=None, visible=False)

            def progress(path: Path, rows: int) -> None:
                bar.update(task, description=f"loading {path.name}", completed=rows)

            return demo_dataset(store, seed, progress,
                                building=lambda: bar.update(task, visible=True))

    shown = _guard(work)
    if shown.rows is None:
        out.print(f"vintage 'demo' already exists in {shown.location}; showing it")
    else:
        out.print(f"built vintage 'demo' in {shown.location}: {shown.rows:,} rows")
    metrics_table(out, shown.england, "Current position: England, all sectors and by sector "
                  "(vintage 'demo')")
    metrics_table(out, shown.regions, "NHS trusts by NHS region")
    _guard(lambda: _demo_assessment(db))
    out.print(_next_hint(db, shown.by_default), highlight=False, soft_wrap=True)


def _next_hint(db: str | None, by_default: bool) -> str:
    """Return the demo's closing hint: commands that work as typed, from the same folder."""
    from wfplan.assessment.demo import BUNDLE_NAME
    from wfplan.dataset.store import default_db_path

    extra = (f" --db {shlex.quote(str(db))}" if db else "") + (
        "" if by_default else " --vintage demo")
    bundle = shlex.quote(str(default_db_path(db).parent / BUNDLE_NAME))
    return (f"Next: 'wfplan metrics --level icb{extra}', 'wfplan gaps{extra}', "
            f"'wfplan project baseline --draws 50{extra}', 'wfplan verify {bundle}', "
            "or 'wfplan --help'.")


def _demo_assessment(db: str | None) -> None:
    """Show the demo's assessment (:func:`wfplan.assessment.demo.demo_assessment`)."""
    from wfplan.assessment.demo import CONFIG, demo_assessment
    from wfplan.cli.projection import headline_tables

    with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task("assessing", total=None)
        done = demo_assessment(db, step=lambda text: bar.update(task, description=text))
    bundle, verdict = done.bundle, done.verdict
    if done.existed:
        out.print(f"assessment bundle {bundle} already exists; verifying it")
    for shown in headline_tables(done.headline):
        out.print(shown)
    out.print(f"Baseline and Long Term Workforce Plan style scenarios, NHS regions summed to "
              f"England, with {done.draws} draws each (src/wfplan/data/{CONFIG}).",
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
    region: Annotated[str | None, typer.Option(help="Only the rows and organisations placed "
                                               "in this NHS region (a code, e.g. Y56)")] = None,
    icb: Annotated[str | None, typer.Option(help="Only the rows and organisations placed in "
                                            "this ICB (a code, e.g. QMJ)")] = None,
    db: DbOption = None,
    wait: WaitOption = None,
) -> None:
    """Report what the dataset lacks: coverage, missing organisations, dimensions, staleness.

    For each table and sector (NHS trusts, primary care, social care): which
    regions, ICBs and periods have data; which organisations in the reference
    data have none; which dimensions (age, ethnicity, vacancies, flows…) are
    not reported; unmapped codes; stale sources; importers' findings. It ends
    with the most important gaps, by severity. Everything is computed from the
    vintage's rows. With --region or --icb, the report of that area alone: its
    rows and organisations, its region and ICBs in place of England's.
    """
    from wfplan.analysis.gaps import gap_report
    from wfplan.dataset.store import open_store
    from wfplan.report.gaps_page import COLUMN_HEADINGS, format_cell, render_html
    from wfplan.report.headings import GAP_SECTION_TITLES

    def work() -> Any:
        with open_store(db, read_only=True) as store:
            chosen = read_vintage(store, vintage)
            return gap_report(store, chosen, stale_months=stale_months,
                              area=gap_area(store, chosen, region, icb))

    report = _guard(work)
    if output is GapsFormat.html:
        sys.stdout.write(render_html(report))
        return
    if output is GapsFormat.csv:
        sys.stdout.write(csv_text(report.to_long()))
        return
    titles = GAP_SECTION_TITLES
    newest = report.newest_period.isoformat() if report.newest_period else "none"
    where = "" if report.area is None else (
        f" of {'ICB' if report.area.level == 'icb' else 'region'} {report.area.code}")
    out.print(f"Data gaps{where} in vintage {report.vintage!r}; newest workforce period: "
              f"{newest}", highlight=False)
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
