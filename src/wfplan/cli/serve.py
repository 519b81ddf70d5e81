"""``wfplan serve``: run the service (:mod:`wfplan.web`) with uvicorn."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from wfplan.cli.common import DbOption, guard, out
from wfplan.web.worker import STALE_S

ResultsOption = Annotated[Path | None, typer.Option(
    help="Folder job results are kept in, shared by every server and worker (default: "
    "beside a DuckDB file, else ./wfplan-results)", show_default=False)]
StaleOption = Annotated[float, typer.Option(
    min=0.5, help="Seconds without a heartbeat after which a running job is taken from "
    "its worker (re-queued once, then failed)")]

#: Seconds an idle keep-alive connection is held open.
KEEP_ALIVE_S = 5
#: Seconds given to requests in flight at shut-down.
GRACEFUL_S = 10
#: Requests handled at once per process; more get 503.
CONCURRENCY = 100


def serve_command(
    db: DbOption = None,
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(
        min=1, help="Server processes (PostgreSQL only: a DuckDB file takes one)")] = 1,
    max_upload_mb: Annotated[int, typer.Option(
        min=1, help="Largest upload, in MB; larger ones get 413")] = 200,
    worker: Annotated[bool, typer.Option(
        "--worker/--no-worker", help="Run a job worker in each server process")] = True,
    results: ResultsOption = None,
    stale_after: StaleOption = STALE_S,
    statement_timeout: Annotated[float, typer.Option(
        min=0, help="Seconds a request's query may run on PostgreSQL (0: no limit)")] = 60.0,
    projection_draws: Annotated[int, typer.Option(
        min=1, max=10_000, help="Draws of the baseline projection the dashboard's fan charts "
        "show (/api/v1/projection)")] = 100,
    projection_seed: Annotated[int | None, typer.Option(
        min=0, help="Its seed (default: the baseline scenario's)")] = None,
) -> None:
    """Run the REST API (OpenAPI at /api/openapi.json); prints the address to open.

    Requests are answered for the token's scope (Authorization: Bearer TOKEN, from
    'wfplan tokens create'); without a token, the public sees aggregates at ICB level
    and above under disclosure control. Stop it with Ctrl-C.
    """
    import uvicorn

    from wfplan.dataset.store import default_db, is_postgres_url, open_store
    from wfplan.web import service

    named = default_db(db)
    if workers > 1 and not is_postgres_url(named):
        guard(_refuse_workers)

    def check() -> str:
        with open_store(named) as store:  # creates or migrates the schema once, up front
            return store.location()

    where = guard(check)
    os.environ.update({service.ENV_DB: named,
                       service.ENV_MAX_UPLOAD: str(max_upload_mb * 1024 * 1024),
                       service.ENV_WORKER: "1" if worker else "0",
                       service.ENV_STALE_S: str(stale_after),
                       service.ENV_STATEMENT_TIMEOUT_S: str(statement_timeout),
                       service.ENV_PROJECTION_DRAWS: str(projection_draws),
                       service.ENV_PROJECTION_SEED: "" if projection_seed is None
                       else str(projection_seed)})
    if results is not None:
        os.environ[service.ENV_RESULTS] = str(results.resolve())
    shown = f"[{host}]" if ":" in host else host
    out.print(f"wfplan service on {where}: open http://{shown}:{port}/api/docs "
              f"(dashboard http://{shown}:{port}/, API http://{shown}:{port}/api/v1/, "
              "OpenAPI /api/openapi.json); Ctrl-C stops it",
              highlight=False, markup=False, soft_wrap=True)
    sys.stdout.flush()  # the address shows before uvicorn starts logging
    uvicorn.run("wfplan.web.app:from_environment", factory=True, host=host, port=port,
                workers=workers, timeout_keep_alive=KEEP_ALIVE_S,
                timeout_graceful_shutdown=GRACEFUL_S, limit_concurrency=CONCURRENCY,
                log_level="warning", server_header=False)


def _refuse_workers() -> None:
    from wfplan.errors import InputError

    raise InputError("--workers above 1 needs a PostgreSQL --db: a DuckDB file takes one "
                     "server process")


def worker_command(
    db: DbOption = None,
    results: ResultsOption = None,
    stale_after: StaleOption = STALE_S,
) -> None:
    """Run one more job worker on the service's database (PostgreSQL); Ctrl-C stops it.

    It claims queued jobs (scenario runs submitted through the API) one at a time,
    records their progress, and keeps their results in the results folder, which
    must be the one the servers read (--results). A DuckDB file takes one process:
    there, 'wfplan serve' runs the worker itself.
    """
    from wfplan.dataset.store import default_db, is_postgres_url, open_store
    from wfplan.errors import InputError
    from wfplan.web.worker import Worker, WorkerSettings, default_results

    named = default_db(db)

    def check() -> None:
        if not is_postgres_url(named):
            raise InputError("'wfplan worker' needs a PostgreSQL --db: on a DuckDB file, "
                             "'wfplan serve' runs the worker in its own process")
        with open_store(named):  # creates or migrates the schema once, up front
            pass

    guard(check)
    folder = results.resolve() if results is not None else default_results(named)
    runner = Worker(WorkerSettings(named, folder, stale_s=stale_after))
    out.print(f"wfplan worker {runner.name}: results in {folder}; Ctrl-C stops it",
              highlight=False, markup=False, soft_wrap=True)
    sys.stdout.flush()
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        runner.stop()
