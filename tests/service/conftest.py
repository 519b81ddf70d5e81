"""Fixtures of the service tests: a real server on the demo vintage, on each backend.

``server`` runs ``wfplan serve`` in a subprocess (one per backend for the session):
on a copy of the session's demo DuckDB file (its worker in the server process),
and on the demo loaded into a fresh PostgreSQL schema with a ``wfplan worker``
process beside the server (the schema is dropped afterwards; an unreachable
server fails in CI and is skipped elsewhere, as every PostgreSQL test). The
PostgreSQL demo is loaded from the very files the generator wrote for the DuckDB
demo vintage, in the order ingest loaded them there (tests/test_postgres_bundle.py
does the same), so its data are the DuckDB demo's: a job's results on either
engine can be compared with one ``wfplan`` command run on the DuckDB demo.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from jobs_util import EQUAL, cli_assess, cli_project
from live import Server, start, start_worker

import sharing
from backends import SERVER, require_postgres

if TYPE_CHECKING:
    from conftest import DemoBuild


def _pg_demo(demo: DemoBuild) -> Iterator[str]:
    """Yield the demo vintage loaded into a fresh PostgreSQL schema, dropped afterwards."""
    import secrets

    from wfplan.dataset.ingest import ingest
    from wfplan.dataset.store import open_store

    require_postgres()
    schema = f"wfplan_svc_{secrets.token_hex(6)}"
    db = f"{SERVER}?schema={schema}"
    try:
        with open_store(db) as store:
            ingest(store, [f.path for f in demo.report.files], "demo")
        yield db
    finally:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # type: ignore[call-overload]


@pytest.fixture(scope="session", params=["duckdb", "postgres"])
def server(request: pytest.FixtureRequest, demo_vintage: DemoBuild,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A running ``wfplan serve`` on the demo vintage, with a token per role."""
    folder = tmp_path_factory.mktemp(f"service-{request.param}")
    if request.param == "duckdb":
        running = start(str(demo_vintage.copy(folder / "demo.duckdb")), folder)
        try:
            yield running
        finally:
            running.stop()
        return
    for db in _pg_demo(demo_vintage):
        running = start(db, folder, worker=False)
        running.worker = start_worker(db, folder)
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture(scope="session")
def cli_assessment(demo_vintage: DemoBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``wfplan assess`` of the API tests' definition on the demo vintage, once for the run.

    The bundle the assessment jobs' bundles are compared with (read it only).
    """
    def build(folder: Path) -> str:
        return str(cli_assess(str(demo_vintage.db), folder))

    _, bundle = sharing.once_per_run(sharing.run_folder(tmp_path_factory), "cli-assessment",
                                     build)
    return Path(bundle)


@pytest.fixture(scope="session")
def cli_projection(demo_vintage: DemoBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``wfplan project`` of the job test's run (:data:`jobs_util.EQUAL`) on the DuckDB demo.

    Once for the whole run: the jobs on both engines must give its Parquet file's table
    (the PostgreSQL demo is a load of the same files). Read it only.
    """
    def build(folder: Path) -> str:
        return str(cli_project(str(demo_vintage.db), EQUAL["text"], folder,
                               seed=EQUAL["seed"], draws=EQUAL["draws"]))

    _, out = sharing.once_per_run(sharing.run_folder(tmp_path_factory), "cli-projection",
                                  build)
    return Path(out)
