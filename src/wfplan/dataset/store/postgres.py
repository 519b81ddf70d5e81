"""The PostgreSQL store: a shared server, many readers and writers at once.

psycopg 3 with a connection pool. Readers are never blocked by a writer
(PostgreSQL's MVCC): a read-only store reads one consistent snapshot (a
``REPEATABLE READ READ ONLY`` transaction held until it is closed), so a command
sees the database as it was when it began, whatever commits meanwhile. Writers
into one vintage serialise on an advisory lock keyed on the schema and vintage
(:meth:`PostgresStore.lock_vintage`): the second one waits up to ``--wait``
seconds, then gets "database is busy" (exit 3) naming the process that holds the
vintage. Bulk loads use ``COPY ... FROM STDIN`` (CSV, written from Arrow).

Outside a transaction, a writable store runs each statement on a pooled
connection in autocommit; :meth:`~PostgresStore.transaction` pins one
connection for the block (per thread); inserts inside it stream into one open
``COPY`` while the caller prepares the next rows (:mod:`~wfplan.dataset.store.pgcopy`).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

import duckdb
import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import IsolationLevel, pq
from psycopg.types.numeric import FloatLoader
from psycopg_pool import ConnectionPool

from wfplan.dataset.busy import BUSY_WAIT, BusyWait, DatabaseBusyError, command_of, retry_while_busy
from wfplan.dataset.store import pgconvert, pgurl
from wfplan.dataset.store.base import Params, Store
from wfplan.dataset.store.ddl import quote
from wfplan.dataset.store.duckdb import quiet
from wfplan.dataset.store.pgcopy import CopyStream
from wfplan.errors import InputError, StoreBusyError

#: Connections a store's pool keeps at most.
POOL_SIZE = 4
#: Seconds to wait for the server when connecting.
CONNECT_TIMEOUT_S = 10
#: The longest ``application_name`` PostgreSQL keeps (NAMEDATALEN - 1).
APPLICATION_NAME_WIDTH = 63
_APP = re.compile(r"^wfplan pid (\d+): ?(.*)$")


def application_name() -> str:
    """Return this process's name for ``pg_stat_activity``: its pid and command line."""
    pid = os.getpid()
    text = f"wfplan pid {pid}: {command_of(pid) or ''}"
    return text.encode("ascii", "replace").decode()[:APPLICATION_NAME_WIDTH]


def lock_key(*parts: str) -> int:
    """Return a stable signed 64-bit advisory-lock key for ``parts`` (same in every process)."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresStore(Store):
    """The PostgreSQL store (psycopg 3, a connection pool, ``COPY`` for bulk loads).

    Parameters
    ----------
    url : str
        ``postgresql://user[:password]@host[:port]/database[?schema=NAME]``
        (:mod:`wfplan.dataset.store.pgurl`); the schema is created if missing
        (unless ``read_only``).
    read_only : bool
        Read one consistent snapshot; refuse writes.
    wait : BusyWait, optional
        How long a writer waits for a vintage another process writes to
        (default: :data:`~wfplan.dataset.busy.BUSY_WAIT`, set by ``--wait``).
    """

    dialect = "postgres"

    def __init__(self, url: str, *, read_only: bool = False, wait: BusyWait | None = None,
                 statement_timeout_s: float = 0.0) -> None:
        self.target = pgurl.parse(url)
        #: Longest a statement may run, in ms, on every connection (0: no limit).
        self.statement_timeout_ms = max(int(statement_timeout_s * 1000), 0)
        self.read_only = read_only
        self.wait = wait or BUSY_WAIT.get()
        self._local = threading.local()
        self._snapshot: psycopg.Connection[Any] | None = None
        self.schema = self._probe()
        self._duck = quiet(duckdb.connect(":memory:"))
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            self.target.conninfo, min_size=1, max_size=POOL_SIZE, open=False,
            kwargs=self._connect_kwargs(), configure=self._configure, name="wfplan")
        self._pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        try:
            if read_only:
                self._snapshot = self._pool.getconn()
            self._open_schema()
        except BaseException:
            self.close()
            raise

    # -- connections ---------------------------------------------------------

    def _connect_kwargs(self) -> dict[str, Any]:
        return {"autocommit": not self.read_only, "application_name": application_name(),
                "connect_timeout": CONNECT_TIMEOUT_S}

    def _configure(self, conn: psycopg.Connection[Any]) -> None:
        """Set up a new pooled connection: ISO dates, numbers as floats, a reader's snapshot."""
        conn.adapters.register_loader("numeric", FloatLoader)
        conn.execute("SET DateStyle TO ISO")
        if self.statement_timeout_ms:
            conn.execute(f"SET statement_timeout = {int(self.statement_timeout_ms)}")
        if not conn.autocommit:
            conn.commit()
        if self.read_only:
            conn.isolation_level = IsolationLevel.REPEATABLE_READ
            conn.read_only = True

    def _probe(self) -> str:
        """Connect once: report an unreachable server clearly; find (or create) the schema."""
        try:
            with psycopg.connect(self.target.conninfo, **self._connect_kwargs()) as conn:
                conn.autocommit = True
                row = conn.execute("SELECT current_setting('search_path'), current_user").fetchone()
                assert row is not None
                name = self.target.schema or pgurl.first_schema(row[0], row[1])
                found = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s",
                                     [name]).fetchone()
                if found and found[0]:
                    return name
                if self.read_only:
                    raise InputError(
                        f"no wfplan database in {self.target.shown}: schema {name!r} does not "
                        "exist; run 'wfplan demo' or 'wfplan ingest' with this --db first")
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key("schema", name)])
                    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(name)}")
                return name
        except psycopg.OperationalError as exc:
            detail = " ".join(str(exc).split()) or type(exc).__name__
            raise InputError(f"cannot connect to {self.target.shown}: {detail}") from None

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """Yield the connection of the current transaction or snapshot, else a pooled one.

        A ``COPY`` still open on the transaction's connection is finished first.
        """
        self._finish_copy()
        pinned = getattr(self._local, "conn", None) or self._snapshot
        if pinned is not None:
            yield pinned
            return
        with self._pool.connection() as conn:
            yield conn

    def _finish_copy(self) -> None:
        stream: CopyStream | None = getattr(self._local, "copy", None)
        if stream is not None:
            self._local.copy = None
            stream.finish()

    def close(self) -> None:
        """Give back the snapshot's connection and close the pool."""
        if self._snapshot is not None:
            try:
                self._snapshot.rollback()
            finally:
                self._pool.putconn(self._snapshot)
                self._snapshot = None
        if hasattr(self, "_pool"):
            self._pool.close()
        self._duck.close()

    def location(self) -> str:
        """Return the database and schema, without the password, for messages."""
        return f"{self.target.shown} (schema {self.schema})"

    # -- primitives ----------------------------------------------------------

    def query(self, sql: str, params: Params = None) -> pd.DataFrame:
        """Run a read query and return its rows as a DataFrame (typed as DuckDB types them)."""
        return self._duck.from_arrow(self.query_arrow(sql, params)).df()

    def query_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run a read query and return its rows as an Arrow table, typed from the columns.

        The result's columns are described first (the statement is prepared, not
        run); a result of plain columns (numbers, text, dates, times, booleans)
        then comes through ``COPY (query) TO STDOUT`` as CSV, read by Arrow, which
        is many times faster than fetching rows one by one as Python objects.
        Parameters are bound by psycopg on the client (``COPY`` takes none).
        """
        with self._connection() as conn:
            text = self._bound(conn, sql, params)
            names, oids = self._describe(conn, text)
            if pgconvert.copyable(text, names, oids):
                with conn.cursor() as cur, cur.copy(
                        f"COPY ({text}\n) TO STDOUT (FORMAT csv)") as copy:
                    data = b"".join(bytes(block) for block in copy)
                return pgconvert.csv_to_arrow(data, names, oids)
            with conn.cursor() as cur:
                cur.execute(text.encode())
                if cur.description is None:
                    return pa.table({})
                names = [c.name for c in cur.description]
                oids = [c.type_code for c in cur.description]
                return pgconvert.rows_to_arrow(names, oids, cur.fetchall())

    @staticmethod
    def _bound(conn: psycopg.Connection[Any], sql: str, params: Params) -> str:
        """Return ``sql`` with its parameters bound as literals by psycopg (client-side)."""
        if not params:
            return sql
        named = isinstance(params, Mapping)
        return psycopg.ClientCursor(conn).mogrify(pgconvert.placeholders(sql, named),
                                                  pgconvert.params_for(params))

    @staticmethod
    def _describe(conn: psycopg.Connection[Any], text: str) -> tuple[list[str], list[int]]:
        """Return the names and type OIDs of a statement's result columns, without running it."""
        encoding = conn.info.encoding
        prepared = conn.pgconn.prepare(b"", text.encode(encoding))
        if prepared.status != pq.ExecStatus.COMMAND_OK:
            raise psycopg.errors.error_from_result(prepared, encoding=encoding)
        found = conn.pgconn.describe_prepared(b"")
        if found.status != pq.ExecStatus.COMMAND_OK:
            raise psycopg.errors.error_from_result(found, encoding=encoding)
        names = [(found.fname(i) or b"").decode(encoding) for i in range(found.nfields)]
        return names, [found.ftype(i) for i in range(found.nfields)]

    def execute(self, sql: str, params: Params = None) -> None:
        """Run a statement that returns nothing."""
        with self._connection() as conn, conn.cursor() as cur:
            self._run(cur, sql, params)

    @staticmethod
    def _run(cur: psycopg.Cursor[Any], sql: str, params: Params) -> None:
        if params:
            named = isinstance(params, Mapping)
            cur.execute(pgconvert.placeholders(sql, named), pgconvert.params_for(params))
        else:
            cur.execute(sql)

    def insert(self, table: str, rows: pa.Table) -> None:
        """Append Arrow rows to ``table`` with ``COPY``, matching columns by name."""
        types = dict(self.query(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ?", [table]).values.tolist())
        extra = [name for name in rows.schema.names if name not in types]
        if extra:
            raise ValueError(f"table {table!r} has no column(s) {', '.join(extra)}")
        rows = pgconvert.cast_for(rows, types)
        columns = ", ".join(quote(name) for name in rows.column_names)
        sql = f"COPY {quote(table)} ({columns}) FROM STDIN (FORMAT csv)"
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            self._local.written.add(table)
        if conn is None:  # no transaction: one COPY, committed at once
            with self._connection() as pooled, pooled.cursor() as cur, cur.copy(sql) as copy:
                for block in pgconvert.csv_batches(rows):
                    copy.write(block)
            return
        key = (table, *rows.column_names)
        stream: CopyStream | None = getattr(self._local, "copy", None)
        if stream is None or stream.key != key:
            self._finish_copy()
            stream = self._local.copy = CopyStream(conn, sql, key)
        for block in pgconvert.csv_batches(rows):
            stream.send(block)

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Run the block in one transaction on one connection; nested calls join the outer one."""
        if getattr(self._local, "conn", None) is not None or self._snapshot is not None:
            yield self
            return
        self._local.written = set()
        with self._pool.connection() as conn, conn.transaction():
            self._local.conn = conn
            try:
                yield self
                self._finish_copy()
            except BaseException:
                with suppress(Exception):  # the first error is the one to raise
                    self._finish_copy()
                raise
            finally:
                self._local.conn = None
                self._local.copy = None
        self._analyze(self._local.written)

    def _analyze(self, tables: set[str]) -> None:
        """Refresh the planner's statistics of tables a committed bulk load wrote.

        Autovacuum analyses a table only some time after a load; until then the
        planner guesses its size, and the placement joins of the metrics took
        minutes instead of seconds on the demo.
        """
        for table in sorted(tables):
            self.execute(f"ANALYZE {quote(table)}")

    def key_hash(self, keys: str) -> str:
        """Return PostgreSQL's ``hash_record_extended`` of the key columns (a key hash)."""
        return f"hash_record_extended(ROW({keys}), 0)"

    # -- locks ---------------------------------------------------------------

    def lock_schema(self) -> None:
        """Keep other processes from creating or migrating the schema until the transaction ends."""
        self.execute("SELECT pg_advisory_xact_lock(?)", [lock_key("schema", self.schema)])

    def lock_vintage(self, name: str) -> None:
        """Take the vintage's write lock until the transaction ends, waiting up to ``wait``.

        Raises
        ------
        StoreBusyError
            If another process still holds it when the wait is over; the message
            names that process and its command.
        """
        if getattr(self._local, "conn", None) is None:
            raise RuntimeError("lock_vintage needs a transaction")
        key = lock_key("vintage", self.schema, name)

        def attempt() -> None:
            if not self.scalar("SELECT pg_try_advisory_xact_lock(?)", [key]):
                raise DatabaseBusyError(f"{self._holder(key)} is writing to vintage {name!r} "
                                        f"in {self.location()}")

        retry_while_busy(attempt, self.wait)

    def _holder(self, key: int) -> str:
        """Return who holds the advisory lock ``key``, as busy.py words it."""
        unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
        found = self.query(
            "SELECT a.pid, a.application_name, CAST(a.client_addr AS TEXT) AS client, "
            "a.client_hostname FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND CAST(l.classid AS BIGINT) = ? AND CAST(l.objid AS BIGINT) = ?",
            [unsigned >> 32, unsigned & 0xFFFF_FFFF])
        if found.empty:
            return "another process"
        row = found.iloc[0]
        app = _APP.match(str(row["application_name"] or ""))
        if app is None:
            return (f"another connection (server pid {int(row['pid'])}, application "
                    f"{str(row['application_name'] or 'unnamed')!r})")
        pid = int(app.group(1))
        local = pd.isna(row["client"]) or str(row["client"]).split("/")[0] in ("127.0.0.1", "::1")
        command = (command_of(pid) if local else None) or app.group(2) or None
        where = "" if local else f" on {row['client_hostname'] or row['client']}"
        return f"another process (pid {pid}{where}" + (f", `{command}`)" if command else ")")

    def ensure_writable_vintage(self, name: str) -> None:
        """Take the vintage's write lock, then create it if new or refuse it if frozen."""
        with self.transaction():
            self.lock_vintage(name)
            super().ensure_writable_vintage(name)

    def freeze_vintage(self, name: str) -> None:
        """Freeze a vintage once no other process writes to it."""
        with self.transaction():
            self.lock_vintage(name)
            super().freeze_vintage(name)


__all__ = ["PostgresStore", "StoreBusyError"]
