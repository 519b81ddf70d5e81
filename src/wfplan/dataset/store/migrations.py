"""Versioned schema migrations, the same for every engine.

``schema_meta.schema_version`` records the layout a database has. Opening an
older one for writing runs the migrations from its version to
:data:`wfplan.dataset.schema.SCHEMA_VERSION`, in order, in one transaction, and
records the new version; a read-only open refuses it. Each step is written with
the store's primitives and :mod:`wfplan.dataset.store.ddl`, so it runs on DuckDB
and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from wfplan.dataset import schema
from wfplan.dataset.store import ddl
from wfplan.errors import SchemaVersionError

if TYPE_CHECKING:
    from wfplan.dataset.store.base import Store

Migration = Callable[["Store"], None]

#: The ``schema_meta`` key under which schemas 2 and 3 kept the pseudonym salt.
LEGACY_SALT_KEY = "person_salt"


def _create(store: Store, tables: tuple[schema.StoreTable, ...]) -> None:
    for table in tables:
        store.execute(ddl.create_table(table, store.dialect))


def _add_source_flags_and_person_records(store: Store) -> None:
    """Version 1 → 2: add ``source_flags`` and the private ``person_records``."""
    _create(store, schema.META_TABLES_V2)


def _add_distinct_headcount(store: Store) -> None:
    """Version 2 → 3: add ``distinct_headcount``, counted from the person records kept."""
    from wfplan.dataset import distinct

    _create(store, schema.META_TABLES_V3)
    distinct.backfill(store)


def _pseudonym_key_outside(store: Store) -> None:
    """Version 3 → 4: the pseudonym key leaves the database; person records keep less.

    Schemas 2 and 3 kept the HMAC salt of the person identifiers in the same
    file (``schema_meta.person_salt``), so anyone with the file could recover
    every identifier by hashing the candidates. The salt is deleted, and with it
    every person record hashed under it (they could never be linked to records
    hashed with a key from outside). The counts derived from them
    (``distinct_headcount``, ``flows``) stay. A later staff_records extract into a
    vintage whose person records were deleted is refused (load the series again,
    with a key, into a new vintage). The columns flow derivation never needed
    (grade, sex, ethnicity) are dropped. The storage is then rewritten (see
    :meth:`DuckDBStore._compact`), so no deleted byte stays in it.
    """
    store.execute("DELETE FROM schema_meta WHERE key = ?", [LEGACY_SALT_KEY])
    store.execute("DELETE FROM person_records")
    for column in ("grade", "sex", "ethnicity"):
        store.execute(f"ALTER TABLE person_records DROP COLUMN IF EXISTS {column}")
    _create(store, schema.META_TABLES_V4)


def _ingest_ids_from_a_sequence(store: Store) -> None:
    """Version 4 → 5: ingest ids come from a sequence, not max + 1 (which races on a server).

    The sequence starts after the largest id in use, so that ids stay unique.
    """
    start = int(store.scalar("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingests"))
    store.execute(ddl.create_sequence(schema.INGEST_ID_SEQUENCE, start))


def _add_la_icb_lookup(store: Store) -> None:
    """Version 5 → 6: add the tidy table ``la_icb_lookup`` (local authority → ICB)."""
    store.execute(ddl.create_table(schema.fact_table(schema.table("la_icb_lookup")),
                                   store.dialect))


def _add_accounts(store: Store) -> None:
    """Version 6 → 7: add the service's ``users``, ``tokens`` and append-only ``audit``."""
    _create(store, schema.META_TABLES_V7)
    store.execute(ddl.create_sequence(schema.AUDIT_ID_SEQUENCE, 1))
    for table in schema.APPEND_ONLY:
        for statement in ddl.append_only(table, store.dialect):
            store.execute(statement)


def _add_jobs(store: Store) -> None:
    """Version 7 → 8: add the service's ``scenarios`` and background ``jobs``."""
    _create(store, schema.META_TABLES_V8)


def _add_icb_boundaries(store: Store) -> None:
    """Version 8 → 9: add ``icb_boundaries`` (the ICB boundaries a vintage may hold)."""
    _create(store, schema.META_TABLES_V9)


def _add_education_programmes(store: Store) -> None:
    """Version 9 → 10: add the tidy table ``education_programmes`` (docs/education.md)."""
    store.execute(ddl.create_table(schema.fact_table(schema.table("education_programmes")),
                                   store.dialect))


def _add_asc_workforce(store: Store) -> None:
    """Version 10 → 11: add the tidy table ``asc_workforce`` (docs/social-care.md)."""
    store.execute(ddl.create_table(schema.fact_table(schema.table("asc_workforce")),
                                   store.dialect))


#: Migrations from version N to N+1, run in order inside one transaction.
MIGRATIONS: dict[int, Migration] = {1: _add_source_flags_and_person_records,
                                    2: _add_distinct_headcount,
                                    3: _pseudonym_key_outside,
                                    4: _ingest_ids_from_a_sequence,
                                    5: _add_la_icb_lookup,
                                    6: _add_accounts,
                                    7: _add_jobs,
                                    8: _add_icb_boundaries,
                                    9: _add_education_programmes,
                                    10: _add_asc_workforce}
#: Migrations that delete secrets: the storage is rewritten after them.
COMPACTING = frozenset({3})


def migrate(store: Store) -> set[int]:
    """Migrate the store to the current schema in one transaction; return the steps run.

    Raises
    ------
    SchemaVersionError
        If a step is missing (a version no wfplan could migrate from).
    """
    ran: set[int] = set()
    with store.transaction():
        store.lock_schema()
        version = int(store.scalar("SELECT value FROM schema_meta WHERE key = 'schema_version'"))
        while version < schema.SCHEMA_VERSION:
            step = MIGRATIONS.get(version)
            if step is None:
                raise SchemaVersionError(
                    f"no migration from schema version {version}; re-create the database "
                    "with this wfplan and ingest the source files again")
            step(store)
            ran.add(version)
            version += 1
        store.execute("UPDATE schema_meta SET value = ? WHERE key = 'schema_version'",
                      [str(version)])
    return ran
