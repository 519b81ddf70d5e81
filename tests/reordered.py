"""Store a copy's rows in another order, for the tests that sums do not depend on it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb


def store_in_reverse(db: Path, columns: Mapping[str, str]) -> None:
    """Rewrite each table of ``columns`` in ``db`` with its rows largest ``column`` first."""
    with duckdb.connect(str(db)) as con:
        con.execute("SET threads = 1")
        for table, column in columns.items():
            con.execute(f"CREATE TEMP TABLE copied AS SELECT * FROM {table}")
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} SELECT * FROM copied ORDER BY {column} DESC")
            con.execute("DROP TABLE copied")
