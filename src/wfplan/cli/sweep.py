"""``wfplan sweep``: a grid or a sample of scenario variants, as one tidy table.

Registered on the app by :mod:`wfplan.cli.main`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from wfplan.cli.common import DbOption, WaitOption, err, guard
from wfplan.cli.display import csv_text

#: Help of the executor options, shared with ``wfplan sensitivity``.
WORKERS_HELP = ("Processes for --scheduler local or local-cluster (default: the CPUs this "
                "process may use)")


def _prepare(db: str | None, path: Path, vintage: str | None, draws: int | None) -> Any:
    from wfplan.dataset.store import open_store
    from wfplan.runs.sweep import variant_tasks
    from wfplan.runs.sweep_spec import read_sweep

    source = read_sweep(path)
    with open_store(db, read_only=True) as store:  # closed before the variants run
        tasks, inputs = variant_tasks(store, source, vintage=vintage, draws=draws,
                                      tell=lambda text: err.print(text, highlight=False,
                                                                  markup=False, soft_wrap=True))
    return source, tasks, inputs


def _run(db: str | None, path: Path, vintage: str | None, draws: int | None, scheduler: str,
         workers: int | None) -> tuple[Any, str, float]:
    """Open the executor first (a scheduler out of reach fails at once), then prepare and run."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeElapsedColumn

    from wfplan.runs.executor import open_executor
    from wfplan.runs.sweep import collect

    with open_executor(scheduler, workers) as executor:
        source, tasks, inputs = _prepare(db, path, vintage, draws)
        start = time.perf_counter()
        with Progress(BarColumn(), TaskProgressColumn(), TimeElapsedColumn(), console=err,
                      transient=True) as bar:
            task = bar.add_task("variants", total=len(tasks))
            result = collect(source, tasks, inputs, executor,
                             lambda done, total: bar.update(task, completed=done, total=total))
        plural = "s" if executor.workers != 1 else ""
        return result, f"{executor.name} ({executor.workers} worker{plural})", \
            time.perf_counter() - start


def sweep_command(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep file (TOML, docs/sweep.md)")],
    out_file: Annotated[list[Path] | None, typer.Option(
        "--out", help="Write the table here: .parquet, .csv (with .metadata.json beside it) "
        "or .xlsx; repeatable. Without it, the table is written on stdout as CSV")] = None,
    scheduler: Annotated[str, typer.Option(help="Where the variants run: 'local' (a process "
                                           "pool of --workers; 1: in this process), "
                                           "'local-cluster' (a Dask LocalCluster of "
                                           "--workers) or a Dask scheduler, "
                                           "tcp://HOST:PORT")] = "local",
    workers: Annotated[int | None, typer.Option(help=WORKERS_HELP, min=1,
                                                show_default=False)] = None,
    vintage: Annotated[str | None, typer.Option(
        help="Vintage to run on (default: the sweep's vintage, else each scenario's "
        "base_vintage; without one, the only vintage in the database, or if there are "
        "several the one loaded most recently; the choice is printed on stderr)",
        show_default=False)] = None,
    draws: Annotated[int | None, typer.Option(help="Monte Carlo draws of every variant "
                                              "(default: the sweep's, else each "
                                              "scenario's)", min=0)] = None,
    db: DbOption = None,
    wait: WaitOption = None,
) -> None:
    """Run a grid or a seeded sample of scenario variants; collect one tidy table.

    Each variant is one scenario with one point's values; its seed is spawned
    from the sweep's seed and the variant itself, so the table is the same
    whatever executor and number of workers run it.
    """
    from wfplan.runs.executor import check_scheduler
    from wfplan.runs.outputs import check_output, write_results

    def work() -> tuple[Any, str, list[Path], float]:
        check_scheduler(scheduler)
        for path in out_file or ():
            check_output(path)
        result, where, seconds = _run(db, sweep_file, vintage, draws, scheduler, workers)
        written = [p for path in out_file or () for p in write_results(result.table, path,
                                                                       result.metadata)]
        return result, where, written, seconds

    result, where, written, seconds = guard(work)
    if not written:
        sys.stdout.write(csv_text(result.table))
    plural = "" if result.variants == 1 else "s"
    err.print(f"{result.metadata['sweep']}: {result.variants} variant{plural} on {where} in "
              f"{seconds:.1f} s, {len(result.table):,} rows", highlight=False, soft_wrap=True)
    if written:
        err.print("wrote " + ", ".join(str(p) for p in written), highlight=False,
                  soft_wrap=True)
