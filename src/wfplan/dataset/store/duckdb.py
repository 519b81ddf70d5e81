"""The embedded DuckDB store: one database file, one writer at a time (the default)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from wfplan.dataset.busy import busy_error
from wfplan.dataset.store.base import DB_ENV, Params, Store
from wfplan.dataset.store.ddl import quote
from wfplan.errors import InputError


class DuckDBStore(Store):
    """The embedded DuckDB store: one database file, one writer at a time.

    Parameters
    ----------
    path : str or Path
        The database file; created if missing (unless ``read_only``).
    read_only : bool
        Open without taking the write lock, so several readers can share a file.
    """

    dialect = "duckdb"
    #: One connection, whose transaction any thread's statements are part of.
    writes_from_any_thread = True

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise InputError(
                f"no database at {self.path}; run 'wfplan demo' or 'wfplan ingest' first, "
                f"or name one with --db or ${DB_ENV}"
            )
        try:
            self.con = quiet(duckdb.connect(str(self.path), read_only=read_only))
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise busy_error(self.path, str(exc), read_only=read_only) from None
            raise InputError(f"cannot open database {self.path}: {exc}") from None
        except duckdb.Error as exc:
            raise InputError(f"{self.path} is not a wfplan database: {exc}") from None
        self._in_transaction = False
        try:
            self._open_schema()
        except BaseException:
            # A database we refuse must not stay locked by this process.
            self.con.close()
            raise

    def close(self) -> None:
        """Close the connection (and release the write lock)."""
        self.con.close()

    def reader(self) -> DuckDBStore:
        """Return a store on the same database through a cursor of its own, for another thread.

        DuckDB runs the queries of two cursors at the same time (each on its
        caller's thread); close the reader before this store.
        """
        other = object.__new__(DuckDBStore)
        other.path, other.read_only = self.path, self.read_only
        other.con = quiet(self.con.cursor())
        other._in_transaction = False
        return other

    def location(self) -> str:
        """Return the database file, for messages."""
        return str(self.path)

    def query(self, sql: str, params: Params = None) -> pd.DataFrame:
        """Run a read query and return its rows as a DataFrame."""
        return self.con.execute(sql, params).df() if params else self.con.execute(sql).df()

    def query_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run a read query and return its rows as an Arrow table (types kept exactly)."""
        return self.con.sql(sql, params=params).to_arrow_table()

    def execute(self, sql: str, params: Params = None) -> None:
        """Run a statement that returns nothing."""
        if params:
            self.con.execute(sql, params)
        else:
            self.con.execute(sql)

    def insert(self, table: str, rows: pa.Table) -> None:
        """Append Arrow rows to ``table``, matching columns by name.

        A column the rows lack gets its default (NULL unless the table says
        otherwise). The rows are read through a relation rather than a
        registered view: a view dropped inside a transaction stays in the
        catalog, holding its Arrow buffers, until the transaction ends, so a
        large ingest would keep every batch it had inserted in memory.
        """
        columns = self.con.execute(
            "SELECT name, dflt_value FROM pragma_table_info(?)", [table]).fetchall()
        known = {name for name, _ in columns}
        extra = [name for name in rows.schema.names if name not in known]
        if extra:
            raise ValueError(f"table {table!r} has no column(s) {', '.join(extra)}")
        given = set(rows.schema.names)
        select = ", ".join(
            quote(name) if name in given else f"{default or 'NULL'} AS {quote(name)}"
            for name, default in columns
        )
        self.con.from_arrow(rows).project(select).insert_into(table)

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Run the block in one transaction; nested calls join the outer one."""
        if self._in_transaction:
            yield self
            return
        self.con.execute("BEGIN TRANSACTION")
        self._in_transaction = True
        try:
            yield self
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")
        finally:
            self._in_transaction = False

    def key_hash(self, keys: str) -> str:
        """Return DuckDB's ``hash`` of the key columns (:meth:`Store.key_hash`)."""
        return f"hash({keys})"

    def _has_foreign_tables(self) -> bool:
        """Return whether the file holds any table, in any schema."""
        return bool(self.scalar("SELECT count(*) FROM information_schema.tables"))

    def _compact(self) -> None:
        """Rewrite the database file, so that no deleted row stays in its free blocks.

        DuckDB leaves deleted rows' bytes in the file until their blocks are
        reused; a deleted secret would still be in it. The database is copied
        into a new file, which replaces the old one.
        """
        if str(self.path) == ":memory:":
            return
        fresh = self.path.with_name(self.path.name + ".compacting")
        fresh.unlink(missing_ok=True)
        name = self.scalar("SELECT current_database()")
        self.con.execute(f"ATTACH '{_literal(fresh)}' AS wfplan_compacted")
        self.con.execute(f'COPY FROM DATABASE "{name}" TO wfplan_compacted')
        self.con.execute("DETACH wfplan_compacted")
        self.con.close()
        os.replace(fresh, self.path)
        # a write-ahead log left by the old file must never be replayed on the new one
        self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)
        self.con = quiet(duckdb.connect(str(self.path)))


def quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Turn off DuckDB's progress bar on ``con`` and return it.

    DuckDB draws it on standard output for a query that runs over 2 s (a loaded
    machine), which would break a command's ``--format json`` or ``csv`` output.
    """
    con.execute("SET enable_progress_bar = false")
    return con


def _literal(path: Path) -> str:
    """Return a path for an SQL string literal."""
    return str(path).replace("'", "''")
