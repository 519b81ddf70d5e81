"""Fixtures of the service tests: a real server on the demo vintage, on each backend.

``server`` runs ``wfplan serve`` in a subprocess (one per backend for the session):
on a copy of the session's demo DuckDB file (its worker in the server process),
and on the demo built into a fresh PostgreSQL schema with a ``wfplan worker``
process beside the server (the schema is dropped afterwards; an unreachable
server fails in CI and is skipped elsewhere, as every PostgreSQL test).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from jobs_util import cli_assess
from live import Server, start, start_worker

import sharing
from backends import SERVER, require_postgres

if TYPE_CHECKING:
    from conftest import DemoBuild


def _pg_demo(folder: Path) -> Iterator[str]:
    import secrets

    from wfplan.dataset.demo import build_demo
    from wfplan.dataset.store import open_store

    require_postgres()
    schema = f"wfplan_svc_{secrets.token_hex(6)}"
    db = f"{SERVER}?schema={schema}"
    try:
        with open_store(db) as store:
            build_demo(store, workdir=folder / "files")
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
    for db in _pg_demo(folder):
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
