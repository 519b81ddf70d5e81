"""What assessment bundles read and write through a store: a vintage's rows, logs, extracts.

An assessment copies the vintage's rows up to its base period into an
in-memory store, extracts from it, and loads the extracts back into one to
compute and to verify; the functions here are those steps' reads and writes.
Reads order their rows by every column, so the same data gives the same files.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa

from wfplan.dataset.store import DuckDBStore, Store
from wfplan.dataset.store.queries._binding import order_by, quote

#: The column that dates each row, for tables cut at the base period.
DATED = {"staff_in_post": "period", "vacancies": "period", "flows": "period_end",
         "sickness_absence": "period", "staff_survey": "year", "distinct_headcount": "period",
         "asc_workforce": "period"}


def memory_store() -> DuckDBStore:
    """Return an empty in-memory store that adds numbers in one order on every run.

    One thread: parallel aggregation adds floating-point numbers in varying
    order, and an assessment must give the same figures on every re-run.
    """
    memory = DuckDBStore(":memory:")
    memory.execute("SET threads = 1")
    return memory


def add_frozen_vintage(store: Store, vintage: str) -> None:
    """Create vintage ``vintage``, frozen, without seeding its areas (extracts carry them)."""
    store.execute("INSERT INTO vintages (name, created_at, frozen) VALUES "
                  "(?, current_timestamp, TRUE)", [vintage])


def table_schema(store: Store, table: str) -> pa.Schema:
    """Return a table's columns and types, in table order."""
    return store.query_arrow(f"SELECT * FROM {quote(table)} WHERE 1 = 0").schema


def vintage_table(store: Store, table: str, vintage: str,
                  up_to: date | None = None) -> pa.Table:
    """Return a table's rows of a vintage, ordered by every column.

    With ``up_to``, a table dated by :data:`DATED` keeps its rows up to that day
    (a table dated by year, up to its year).
    """
    where = "vintage = ?"
    params: list[object] = [vintage]
    if up_to is not None and table in DATED:
        column = DATED[table]
        where += f" AND {quote(column)} <= ?"
        params.append(up_to.year if column == "year" else up_to)
    names = table_schema(store, table).names
    return store.query_arrow(f"SELECT * FROM {quote(table)} WHERE {where} {order_by(names)}",
                             params)


def ingest_log(store: Store) -> pd.DataFrame:
    """Return the whole ingest log, in ingest order."""
    return store.query("SELECT * FROM ingests ORDER BY ingest_id")


def table_names(store: Store) -> set[str]:
    """Return the names of the tables the store holds."""
    return set(store.query("SELECT table_name FROM information_schema.tables")["table_name"])


def carried_table(store: Store, name: str) -> pd.DataFrame:
    """Return a table loaded from a bundle's file, rows in the file's order.

    Only for the in-memory store of :func:`memory_store` (the extracts loaded
    back), which keeps the rows of a table in the order they were loaded.
    """
    return store.query(f"SELECT * FROM {quote(name)}")
