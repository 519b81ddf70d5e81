"""What the PostgreSQL store converts: ``?`` placeholders, result rows, Arrow rows for COPY.

wfplan's SQL uses ``?`` placeholders (DuckDB's), or DuckDB's named ``$name``
with a mapping of parameters; psycopg takes ``%s`` and ``%(name)s``.
:func:`placeholders` rewrites them outside string literals, quoted identifiers
and comments, and doubles every other ``%``. Results come back as Arrow tables
typed from the columns' PostgreSQL types (:func:`rows_to_arrow`), so that they
convert to pandas exactly as DuckDB's do. Rows to insert are cast to the
table's column types and written as CSV for ``COPY`` (:func:`csv_batches`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

#: A string literal, quoted identifier or comment (kept as they are), a ``?`` or a ``%``.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\?|%"
                    r"|\$[A-Za-z_][A-Za-z0-9_]*", re.DOTALL)

#: PostgreSQL type OID → the Arrow type DuckDB would give the same column.
ARROW_OF_OID: dict[int, pa.DataType] = {
    16: pa.bool_(), 20: pa.int64(), 21: pa.int16(), 23: pa.int32(), 26: pa.int64(),
    700: pa.float32(), 701: pa.float64(), 1700: pa.float64(),
    25: pa.string(), 1043: pa.string(), 1042: pa.string(), 19: pa.string(), 705: pa.string(),
    1082: pa.date32(), 1114: pa.timestamp("us"), 1184: pa.timestamp("us", tz="UTC"),
    1000: pa.list_(pa.bool_()), 1016: pa.list_(pa.int64()), 1005: pa.list_(pa.int16()),
    1007: pa.list_(pa.int32()), 1021: pa.list_(pa.float32()), 1022: pa.list_(pa.float64()),
    1231: pa.list_(pa.float64()), 1009: pa.list_(pa.string()), 1015: pa.list_(pa.string()),
    1182: pa.list_(pa.date32()), 1115: pa.list_(pa.timestamp("us")),
}

#: ``information_schema.columns.data_type`` → the Arrow type rows are cast to for COPY.
ARROW_OF_COLUMN: dict[str, pa.DataType] = {
    "bigint": pa.int64(), "integer": pa.int32(), "smallint": pa.int16(),
    "double precision": pa.float64(), "real": pa.float32(), "numeric": pa.float64(),
    "text": pa.string(), "character varying": pa.string(), "character": pa.string(),
    "date": pa.date32(), "timestamp without time zone": pa.timestamp("us"),
    "timestamp with time zone": pa.timestamp("us", tz="UTC"), "boolean": pa.bool_(),
}

#: PostgreSQL type OIDs whose ``COPY ... TO STDOUT (FORMAT csv)`` text Arrow's CSV reader
#: reads exactly (with the options of :func:`csv_to_arrow`); a result with another type is
#: fetched row by row instead.
CSV_READABLE = frozenset({16, 20, 21, 23, 26, 700, 701, 1700, 25, 1043, 1042, 19, 705,
                          1082, 1114})

#: A statement ``COPY (...) TO STDOUT`` can run: a query that returns rows.
_QUERY = re.compile(r"^\s*(SELECT|WITH|VALUES|TABLE)\b", re.IGNORECASE)

#: Rows per CSV block sent to COPY.
COPY_BATCH_ROWS = 65_536


def _positional(match: re.Match[str]) -> str:
    found = match.group(0)
    return "%s" if found == "?" else found.replace("%", "%%")


def _named(match: re.Match[str]) -> str:
    found = match.group(0)
    return f"%({found[1:]})s" if found.startswith("$") else found.replace("%", "%%")


@lru_cache(maxsize=2048)
def placeholders(sql: str, named: bool = False) -> str:
    """Return ``sql`` with its placeholders as psycopg's, and every other ``%`` doubled.

    ``?`` becomes ``%s``; with ``named``, ``$name`` becomes ``%(name)s`` instead. A
    placeholder inside a string literal (``'?'``), a quoted identifier or a
    comment is left as it is.
    """
    return _TOKEN.sub(_named if named else _positional, sql)


def _value(value: Any) -> Any:
    return None if value is pd.NaT else value


def params_for(params: Sequence[Any] | Mapping[str, Any]) -> list[Any] | dict[str, Any]:
    """Return query parameters psycopg can send: pandas' missing time (NaT) as NULL."""
    if isinstance(params, Mapping):
        return {name: _value(value) for name, value in params.items()}
    return [_value(value) for value in params]


def rows_to_arrow(names: Sequence[str], oids: Sequence[int],
                  rows: Sequence[Sequence[Any]]) -> pa.Table:
    """Return result rows as an Arrow table, each column typed from its PostgreSQL type."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    arrays = []
    for values, oid in zip(columns, oids, strict=True):
        wanted = ARROW_OF_OID.get(oid)
        arrays.append(pa.array(values, type=wanted) if wanted is not None or values
                      else pa.array(values, type=pa.string()))
    return pa.Table.from_arrays(arrays, names=list(names))


def copyable(sql: str, names: Sequence[str], oids: Sequence[int]) -> bool:
    """Return whether a query's result can come through ``COPY ... TO STDOUT`` as CSV."""
    return (bool(_QUERY.match(sql)) and len(set(names)) == len(names)
            and all(oid in CSV_READABLE for oid in oids))


def csv_to_arrow(data: bytes, names: Sequence[str], oids: Sequence[int]) -> pa.Table:
    """Return the CSV of ``COPY (query) TO STDOUT (FORMAT csv)`` as a typed Arrow table.

    COPY writes NULL as nothing and an empty string as ``""``; booleans as ``t``
    and ``f``; dates and times in ISO form (the store sets ``DateStyle``). A row of
    one NULL column is an empty line, so empty lines are rows, not blanks to skip.
    """
    types = {name: ARROW_OF_OID[oid] for name, oid in zip(names, oids, strict=True)}
    if not data:
        return pa.Table.from_arrays([pa.array([], type=t) for t in types.values()],
                                    names=list(names))
    read = pacsv.ReadOptions(column_names=list(names), block_size=1 << 24)
    parse = pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False)
    convert = pacsv.ConvertOptions(column_types=types, strings_can_be_null=True,
                                   quoted_strings_can_be_null=False, true_values=["t"],
                                   false_values=["f"], null_values=[""])
    return pacsv.read_csv(io.BytesIO(data), read_options=read, parse_options=parse,
                          convert_options=convert)


def cast_for(rows: pa.Table, column_types: dict[str, str]) -> pa.Table:
    """Return ``rows`` with each column cast to its table column's type (for a CSV COPY)."""
    arrays = []
    for name, column in zip(rows.column_names, rows.columns, strict=True):
        wanted = ARROW_OF_COLUMN.get(column_types[name])
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if wanted is not None and column.type != wanted:
            lossy = pa.types.is_timestamp(column.type) and pa.types.is_timestamp(wanted)
            column = pc.cast(column, wanted, safe=not lossy)
        arrays.append(column)
    return pa.Table.from_arrays(arrays, names=rows.column_names)


def csv_batches(rows: pa.Table) -> Iterator[bytes]:
    """Yield the rows as CSV blocks for ``COPY ... (FORMAT csv)``: NULL unquoted, text quoted.

    An empty string is written ``""`` and NULL as nothing, which COPY reads back
    as an empty string and NULL respectively.
    """
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    for batch in rows.to_batches(max_chunksize=COPY_BATCH_ROWS):
        buffer = io.BytesIO()
        pacsv.write_csv(batch, buffer, write_options=options)
        yield buffer.getvalue()
