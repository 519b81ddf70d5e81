"""A vintage copied from DuckDB into a throwaway PostgreSQL schema, read through the Store API.

Until the PostgreSQL store exists (issue 10), this minimal read-only
:class:`~wfplan.dataset.store.Store` runs the domain queries' SQL on
PostgreSQL 15 as the real one will: ``?`` placeholders become ``%s``. The
tests compare each query's rows on both engines.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import pyarrow as pa

from wfplan.dataset.store import DuckDBStore, Store

DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
_TYPES = {"VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "DOUBLE": "double precision",
          "DATE": "date", "TIMESTAMP": "timestamp", "BOOLEAN": "boolean", "SMALLINT": "smallint",
          "HUGEINT": "numeric", "FLOAT": "real", "TIMESTAMP WITH TIME ZONE": "timestamptz"}


def _pg(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class PostgresMirror(Store):
    """A read-only store on a PostgreSQL schema holding a copy of a DuckDB database."""

    def __init__(self, con: Any, schema: str) -> None:
        self.con = con
        self.schema = schema

    def close(self) -> None:
        """Drop the schema and close the connection."""
        self.con.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        self.con.close()

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a read query; return its rows as a DataFrame."""
        with self.con.cursor() as cursor:
            cursor.execute(_pg(sql), list(params) if params else None)
            names = [column.name for column in cursor.description]
            return pd.DataFrame(cursor.fetchall(), columns=names)

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a read query; return its rows as an Arrow table (types as PostgreSQL gives)."""
        with self.con.cursor() as cursor:
            cursor.execute(_pg(sql), list(params) if params else None)
            names = [column.name for column in cursor.description]
            found = cursor.fetchall()
        return pa.Table.from_pydict({name: [row[i] for row in found]
                                     for i, name in enumerate(names)})

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Refuse: the mirror is read-only."""
        raise NotImplementedError("the PostgreSQL mirror is read-only")

    def insert(self, table: str, rows: pa.Table) -> None:
        """Refuse: the mirror is read-only."""
        raise NotImplementedError("the PostgreSQL mirror is read-only")

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Yield the store (reads only)."""
        yield self


def connect() -> Any:
    """Return an autocommit connection to the test database (raises if it is not running)."""
    import psycopg

    return psycopg.connect(DSN, autocommit=True)


def mirror(duck: DuckDBStore) -> PostgresMirror:
    """Copy every table of ``duck`` into a new PostgreSQL schema; return a store on it."""
    con = connect()
    schema = f"wfplan_test_{uuid.uuid4().hex[:12]}"
    con.execute(f'CREATE SCHEMA "{schema}"')
    con.execute(f'SET search_path TO "{schema}"')
    columns = duck.query("SELECT table_name, column_name, data_type FROM "
                         "information_schema.columns WHERE table_schema = 'main' "
                         "ORDER BY table_name, ordinal_position")
    for table, part in columns.groupby("table_name", sort=True):
        names = list(part["column_name"])
        ddl = ", ".join(f'"{n}" {_TYPES.get(t, "text")}'
                        for n, t in zip(names, part["data_type"], strict=True))
        con.execute(f'CREATE TABLE "{table}" ({ddl})')
        rows = duck.con.execute(f'SELECT * FROM "{table}"').fetchall()
        quoted = ", ".join(f'"{n}"' for n in names)
        with con.cursor() as cursor, cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    return PostgresMirror(con, schema)


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):
        return _cell(value.item())
    return value


def rows(data: pd.DataFrame | pa.Table) -> list[tuple[Any, ...]]:
    """Return a result's rows as plain tuples (dates as ISO text, numbers as Python numbers)."""
    frame = data.to_pandas() if isinstance(data, pa.Table) else data
    frame = frame.astype(object)
    return [tuple(_cell(v) for v in row) for row in frame.itertuples(index=False, name=None)]


def value(found: Any) -> Any:
    """Return a scalar or list result in the form :func:`rows` gives cells."""
    if isinstance(found, list | tuple):
        return [value(item) for item in found]
    return _cell(found)
