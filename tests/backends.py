"""The two store backends the tests run on: a DuckDB file, or a fresh PostgreSQL schema.

A PostgreSQL test gets its own schema (``wfplan_t_<random>``) in database ``test``
on 127.0.0.1:5432 (user postgres; ``$WFPLAN_TEST_PG`` names another server),
created for it and dropped after it. When the server cannot be reached, a test
that needs it fails in CI (``$CI`` set) and is skipped elsewhere.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import psycopg
import pytest

from wfplan.dataset.store import Store, open_store

#: The server PostgreSQL tests use (a URL without schema).
SERVER = os.environ.get("WFPLAN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("duckdb", "postgres")


@cache
def unreachable() -> str | None:
    """Return why the PostgreSQL server cannot be used, or None if it can."""
    try:
        with psycopg.connect(SERVER, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return " ".join(str(exc).split())
    return None


def require_postgres() -> None:
    """Fail (in CI) or skip (elsewhere) the test if PostgreSQL is not reachable."""
    why = unreachable()
    if why is None:
        return
    message = f"PostgreSQL at {SERVER} is not reachable: {why}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI needs it: .ci/run starts it)")
    pytest.skip(message)


@dataclass
class Backend:
    """Where one test's database is: ``db`` is what ``--db`` takes (a file or a URL)."""

    name: str
    db: str
    schema: str | None = None

    def open(self, *, read_only: bool = False) -> Store:
        """Open the store (close it, or use it in ``with``)."""
        return open_store(self.db, read_only=read_only)

    def sql(self, statement: str) -> None:
        """Run one statement straight on the engine, outside wfplan (to set up odd states)."""
        if self.name == "duckdb":
            import duckdb

            with duckdb.connect(self.db) as con:
                con.execute(statement)
        else:
            with psycopg.connect(SERVER, autocommit=True) as conn:
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')  # type: ignore[call-overload]
                conn.execute(f'SET search_path TO "{self.schema}"')  # type: ignore[call-overload]
                conn.execute(statement)  # type: ignore[call-overload]


def make_backend(name: str, folder: Path) -> Iterator[Backend]:
    """Yield a fresh backend of kind ``name``; a PostgreSQL schema is dropped afterwards."""
    if name == "duckdb":
        yield Backend(name, str(folder / "wfplan.duckdb"))
        return
    require_postgres()
    schema = f"wfplan_t_{secrets.token_hex(6)}"
    try:
        yield Backend(name, f"{SERVER}?schema={schema}", schema)
    finally:
        with psycopg.connect(SERVER, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # type: ignore[call-overload]
