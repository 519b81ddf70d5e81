"""``wfplan serve``: run the service (:mod:`wfplan.web`) with uvicorn."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from wfplan.cli.common import DbOption, guard, out

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
) -> None:
    """Run the REST API (OpenAPI at /api/openapi.json); prints the address to open.

    Requests are answered for the token's scope (Authorization: Bearer TOKEN, from
    'wfplan tokens create'); without a token, the public sees aggregates at ICB level
    and above under disclosure control. Stop it with Ctrl-C.
    """
    import uvicorn

    from wfplan.dataset.store import default_db, is_postgres_url, open_store
    from wfplan.web.service import ENV_DB, ENV_MAX_UPLOAD

    named = default_db(db)
    if workers > 1 and not is_postgres_url(named):
        guard(_refuse_workers)

    def check() -> str:
        with open_store(named) as store:  # creates or migrates the schema once, up front
            return store.location()

    where = guard(check)
    os.environ[ENV_DB] = named
    os.environ[ENV_MAX_UPLOAD] = str(max_upload_mb * 1024 * 1024)
    shown = f"[{host}]" if ":" in host else host
    out.print(f"wfplan service on {where}: open http://{shown}:{port}/api/docs "
              f"(API http://{shown}:{port}/api/v1/, OpenAPI /api/openapi.json); Ctrl-C stops it",
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
