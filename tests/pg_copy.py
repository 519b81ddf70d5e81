"""Run the analysis queries on PostgreSQL: copy a DuckDB database to a throwaway schema.

Until the PostgreSQL store exists, :class:`PgReader` is the least a store needs
to run read queries: ``?`` placeholders become psycopg's ``%s`` and numbers
PostgreSQL returns as ``numeric`` (``sum`` of integers) become floats, as
DuckDB returns them. :func:`pg_copy` creates a schema, copies every table of a
DuckDB database into it (types mapped), analyses it, and drops the schema afterwards.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from wfplan.dataset.store import Store

PG_URL = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"

#: DuckDB column type → PostgreSQL column type.
_TYPES = {"VARCHAR": "text", "INTEGER": "integer", "BIGINT": "bigint", "SMALLINT": "smallint",
          "DOUBLE": "double precision", "FLOAT": "real", "DATE": "date",
          "TIMESTAMP": "timestamp", "BOOLEAN": "boolean", "HUGEINT": "numeric"}


class PgReader(Store):
    """A read-only store over one psycopg connection (the schema set by ``search_path``)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def close(self) -> None:
        """Leave the connection to its owner."""

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a read query with ``?`` placeholders and return its rows."""
        with self.connection.cursor() as cursor:
            cursor.execute(sql.replace("%", "%%").replace("?", "%s"),
                           None if params is None else list(params))
            columns = [d.name for d in cursor.description]
            rows = [[float(v) if isinstance(v, Decimal) else v for v in row]
                    for row in cursor.fetchall()]
        return pd.DataFrame(rows, columns=columns)

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Not needed by the analysis queries."""
        raise NotImplementedError

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Not needed by the analysis queries."""
        raise NotImplementedError

    def insert(self, table: str, rows: pa.Table) -> None:
        """Not needed by the analysis queries."""
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Not needed by the analysis queries."""
        raise NotImplementedError
        yield self  # pragma: no cover


def _pg_type(duck: str) -> str:
    if duck.endswith("[]"):
        return f"{_pg_type(duck[:-2])}[]"
    return _TYPES.get(duck.split("(")[0], "text")


@contextmanager
def pg_copy(psycopg: Any, source: Store) -> Iterator[PgReader]:
    """Copy every table of a DuckDB store to a new PostgreSQL schema; drop it afterwards."""
    schema = f"wfplan_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        try:
            connection.execute(f'SET search_path TO "{schema}"')
            tables = source.query("SELECT table_name FROM information_schema.tables "
                                  "WHERE table_schema = 'main' ORDER BY table_name")
            for table in tables["table_name"]:
                _copy_table(connection, source, str(table))
            # Without statistics, PostgreSQL plans the placement join as nested loops
            # (minutes on the demo instead of seconds): a store must ANALYZE after loads.
            connection.execute("ANALYZE")
            yield PgReader(connection)
        finally:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _copy_table(connection: Any, source: Store, table: str) -> None:
    columns = source.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
        "'main' AND table_name = ? ORDER BY ordinal_position", [table])
    pairs = list(zip(columns["column_name"], columns["data_type"], strict=True))
    names = ", ".join(f'"{c}"' for c, _ in pairs)
    connection.execute(f'CREATE TABLE "{table}" ('
                       + ", ".join(f'"{c}" {_pg_type(str(t))}' for c, t in pairs) + ")")
    rows = source.query_arrow(f'SELECT {names} FROM "{table}"').to_pylist()
    with connection.cursor() as cursor, cursor.copy(
            f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(list(row.values()))


def normal(frame: pd.DataFrame) -> list[list[Any]]:
    """Return a frame's rows as plain values to compare across engines.

    Dates and times become ISO text, numbers floats, arrays lists, and every kind
    of missing value ``None``.
    """
    return [[_value(v) for v in row] for row in frame.itertuples(index=False)]


def _value(value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        return [_value(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, datetime | date | np.datetime64 | pd.Timestamp):
        return pd.Timestamp(value).isoformat()
    if isinstance(value, int | float | np.integer | np.floating | Decimal):
        return None if np.isnan(float(value)) else float(value)
    return value


def assert_same(a: Any, b: Any, where: str = "") -> None:
    """Assert two :func:`normal` results are equal, floats to 1e-9 (sums add up in any order)."""
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{where}: {a} != {b}"
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{where}: {len(a)} != {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"
