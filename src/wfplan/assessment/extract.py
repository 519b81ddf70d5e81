"""Input extracts: the vintage's rows an assessment reads, as Parquet, and back.

An assessment never computes from the database directly. It first extracts
the rows it may read (the vintage's rows of every tidy table up to the base
period, plus the ingest log, the unmapped counts and the importers' findings)
to ``inputs/*.parquet``, loads those into an in-memory store, and computes
everything from that. ``wfplan verify`` loads the same files the same way, so
an assessment and its verification read exactly the same data. Record-level
rows (``person_records``) are never extracted.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from wfplan.dataset import schema
from wfplan.dataset.store import DuckDBStore, Store
from wfplan.errors import InputError

#: Tables extracted besides the tidy tables, with the vintage's rows only.
LOG_TABLES = ("ingests", "unmapped", "source_flags")
#: Counts derived at ingest that the metrics read (no identifiers); bundles made
#: before they existed lack their file, which then loads as empty.
DERIVED_TABLES = ("distinct_headcount",)
#: The column that dates each row, for tables cut at the base period.
DATED = {"staff_in_post": "period", "vacancies": "period", "flows": "period_end",
         "sickness_absence": "period", "staff_survey": "year", "distinct_headcount": "period"}


def extract_tables() -> tuple[str, ...]:
    """Return the names of the tables an assessment extracts."""
    return (*schema.tables(), *LOG_TABLES, *DERIVED_TABLES)


def extract(store: Store, vintage: str, base_period: date, folder: Path) -> dict[str, int]:
    """Write the vintage's rows that an assessment may read to ``folder/<table>.parquet``.

    Rows dated after ``base_period`` are left out, so a projection can only see
    the data up to its base. Rows are sorted, so the same data gives the same
    files. Returns the row count of each table written.
    """
    store.require_vintage(vintage)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for table in extract_tables():
        where = "vintage = ?"
        params: list[object] = [vintage]
        if table in DATED:
            column = DATED[table]
            where += f" AND {column} <= ?"
            params.append(base_period.year if column == "year" else base_period)
        rows = store.query_arrow(f"SELECT * FROM {table} WHERE {where} ORDER BY ALL", params)
        pq.write_table(rows, folder / f"{table}.parquet", compression="zstd")
        counts[table] = rows.num_rows
    return counts


def load_extracts(folder: Path, vintage: str) -> DuckDBStore:
    """Return an in-memory store holding a bundle's extracts as vintage ``vintage``.

    Raises
    ------
    InputError
        If an extract is missing or unreadable.
    """
    store = DuckDBStore(":memory:")
    # One thread: parallel aggregation adds floating-point numbers in varying
    # order, and an assessment must give the same figures on every re-run.
    store.execute("SET threads = 1")
    with store.transaction():
        store.execute("INSERT INTO vintages (name, created_at, frozen) VALUES "
                      "(?, current_timestamp, TRUE)", [vintage])
        for table in extract_tables():
            path = folder / f"{table}.parquet"
            if not path.is_file() and table in DERIVED_TABLES:
                continue
            if not path.is_file():
                raise InputError(f"{path}: input extract missing")
            try:
                rows = pq.read_table(path)
            except OSError as exc:
                raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
            if rows.num_rows:
                store.insert(table, rows)
    return store
