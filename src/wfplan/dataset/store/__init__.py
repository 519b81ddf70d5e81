"""The store: one interface to the workforce dataset, on DuckDB (default) or PostgreSQL.

``open_store(db)`` opens the database ``db`` names: a ``postgresql://`` URL
(:class:`PostgresStore`, a shared server) or a file path (:class:`DuckDBStore`,
embedded). Without ``db`` it is ``$WFPLAN_DB``, else ``./wfplan.duckdb``. Every
store is a context manager::

    with open_store(db, read_only=True) as store:
        store.resolve_vintage(None)

The modules: :mod:`~wfplan.dataset.store.base` (the :class:`Store` interface,
vintages and the ingest log), :mod:`~wfplan.dataset.store.duckdb`,
:mod:`~wfplan.dataset.store.postgres`, :mod:`~wfplan.dataset.store.ddl` (the
schema's DDL for each engine) and :mod:`~wfplan.dataset.store.migrations`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from wfplan.dataset.busy import BUSY_WAIT, BusyWait, retry_while_busy
from wfplan.dataset.store.base import (
    CODELIST_INGEST_FORMAT,
    DB_ENV,
    DEFAULT_DB,
    Store,
    VintageChoice,
    default_db,
    default_db_path,
    is_postgres_url,
)
from wfplan.dataset.store.duckdb import DuckDBStore
from wfplan.dataset.store.migrations import COMPACTING, LEGACY_SALT_KEY, MIGRATIONS

if TYPE_CHECKING:
    from wfplan.dataset.store.postgres import PostgresStore

__all__ = ["CODELIST_INGEST_FORMAT", "COMPACTING", "DB_ENV", "DEFAULT_DB", "LEGACY_SALT_KEY",
           "MIGRATIONS", "DuckDBStore", "PostgresStore", "Store", "VintageChoice", "default_db",
           "default_db_path", "is_postgres_url", "open_store"]


def __getattr__(name: str) -> Any:
    """Import :class:`PostgresStore` when it is first asked for.

    The PostgreSQL driver takes about half a second to import; a command on a
    DuckDB file never needs it.
    """
    if name == "PostgresStore":
        from wfplan.dataset.store.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def open_store(db: str | os.PathLike[str] | None = None, *, read_only: bool = False,
               wait: BusyWait | None = None) -> Store:
    """Open the store named by ``db`` (or ``$WFPLAN_DB``, or ``./wfplan.duckdb``).

    A ``postgresql://`` (or ``postgres://``) URL opens a :class:`PostgresStore`;
    anything else is a DuckDB file. While another process holds a DuckDB file,
    the open is retried for ``wait.seconds`` (default:
    :data:`~wfplan.dataset.busy.BUSY_WAIT`, which the CLI's ``--wait`` sets;
    otherwise no retry). A PostgreSQL store opens at once and waits, the same
    way, only for a vintage another process is writing to.

    Raises
    ------
    StoreBusyError
        If the file is still held when the wait is over; the message says which
        process holds it and whether it reads or writes.
    """
    named = default_db(db)
    chosen = wait or BUSY_WAIT.get()
    if is_postgres_url(named):
        from wfplan.dataset.store.postgres import PostgresStore

        return PostgresStore(named, read_only=read_only, wait=chosen)
    return retry_while_busy(lambda: DuckDBStore(named, read_only=read_only), chosen)
