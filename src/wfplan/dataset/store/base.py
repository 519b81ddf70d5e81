"""The store interface: primitives each engine provides, and what wfplan builds on them.

All access to the database goes through :class:`Store`. An engine provides the
primitives (:meth:`Store.query`, :meth:`~Store.query_arrow`,
:meth:`~Store.execute`, :meth:`~Store.insert`, :meth:`~Store.transaction`);
the store's own records (vintages, the ingest log, row counts, the schema and
its migrations) are written here once, in SQL that runs unchanged on DuckDB
and PostgreSQL (``?`` placeholders; the PostgreSQL store translates them).
Writes happen inside :meth:`Store.transaction`: one ``wfplan ingest`` call is
one transaction, so a failure or a killed process leaves the database as it was.
A store is a context manager: ``with open_store(db) as store:`` closes it.

Over 400 lines (issue 10 allows it with a reason): the store's own records and the
one duplicate-key check both engines share are kept in one place, so that the two
engines cannot drift; the engines' own code is in ``duckdb.py`` and ``postgres.py``.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pandas as pd
import pyarrow as pa

from wfplan.dataset import codelists, schema
from wfplan.dataset.store import ddl
from wfplan.errors import InputError, RefusedError, SchemaVersionError

#: Query parameters, positional for ``?`` placeholders. (Both stores also take a mapping
#: for DuckDB's ``$name`` placeholders, which code not yet moved to ``?`` passes.)
Params = Sequence[Any] | None

DEFAULT_DB = "wfplan.duckdb"
DB_ENV = "WFPLAN_DB"
CODELIST_INGEST_FORMAT = "codelists"
_INGEST_COLUMNS = frozenset(c.name for t in schema.META_TABLES if t.name == "ingests"
                            for c in t.columns)


def default_db(db: str | os.PathLike[str] | None = None) -> str:
    """Return the database named: ``db``, else ``$WFPLAN_DB``, else ``./wfplan.duckdb``.

    The name is a file path (DuckDB) or a ``postgresql://`` URL.
    """
    return os.fspath(db or os.environ.get(DB_ENV) or DEFAULT_DB)


def is_postgres_url(db: str | os.PathLike[str]) -> bool:
    """Return whether ``db`` names a PostgreSQL database (``postgresql://`` or ``postgres://``)."""
    return os.fspath(db).startswith(("postgresql://", "postgres://"))


def default_db_path(db: str | os.PathLike[str] | None = None) -> Path:
    """Return the database file: ``db``, else ``$WFPLAN_DB``, else ``./wfplan.duckdb``.

    For a PostgreSQL URL, which names no file, return the current folder's
    ``wfplan.duckdb`` path, so that files written "beside the database" (the
    demo's bundle) go to the current folder.
    """
    named = default_db(db)
    return Path(DEFAULT_DB) if is_postgres_url(named) else Path(named)


def now() -> datetime:
    """Return the time now, in UTC without a time zone (as the store keeps times)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class VintageChoice:
    """The vintage a command reads, and why (see :meth:`Store.resolve_vintage`).

    Attributes
    ----------
    name : str
        The vintage.
    note : str or None
        ``None`` when the user named the vintage; otherwise one line saying which
        vintage was chosen and why, e.g. ``using vintage 'demo' (the only one in
        wfplan.duckdb)``.
    """

    name: str
    note: str | None


class Store(ABC):
    """What every storage engine provides to the rest of wfplan.

    Attributes
    ----------
    dialect : str
        The engine: ``"duckdb"`` or ``"postgres"`` (:data:`~wfplan.dataset.store.ddl.DIALECTS`).
    read_only : bool
        Whether the store refuses writes.
    writes_from_any_thread : bool
        Whether :meth:`insert` may be called from another thread than the one that
        opened the transaction, and write inside it (never two writes at once).
    """

    dialect: str
    read_only: bool = False
    #: Whether another thread may write inside this thread's transaction (one at a time).
    writes_from_any_thread: bool = False

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    @abstractmethod
    def query(self, sql: str, params: Params = None) -> pd.DataFrame:
        """Run a read query and return its rows as a DataFrame."""

    @abstractmethod
    def query_arrow(self, sql: str, params: Params = None) -> pa.Table:
        """Run a read query and return its rows as an Arrow table (types kept exactly)."""

    @abstractmethod
    def execute(self, sql: str, params: Params = None) -> None:
        """Run a statement that returns nothing."""

    @abstractmethod
    def insert(self, table: str, rows: pa.Table) -> None:
        """Append Arrow rows to a table, matching columns by name.

        A column the rows lack gets its default (NULL unless the table says
        otherwise); a column the table lacks is a ``ValueError``.
        """

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Run the block in one transaction: commit on success, roll back on error.

        Nested calls join the outer transaction.
        """

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # -- shared behaviour built on the primitives above -----------------------

    def scalar(self, sql: str, params: Params = None) -> Any:
        """Return the first column of the first row, or ``None``."""
        frame = self.query(sql, params)
        return None if frame.empty else frame.iat[0, 0]

    def location(self) -> str:
        """Return where the data is, for messages (the database file of a file store)."""
        return "the database"

    def vintages(self) -> pd.DataFrame:
        """Return every vintage with its state and row counts per table."""
        counts = " + ".join(
            f"(SELECT count(*) FROM {t} WHERE vintage = v.name)" for t in schema.tables()
        )
        return self.query(
            f"SELECT name, frozen, created_at, frozen_at, "
            f"(SELECT count(*) FROM ingests i WHERE i.vintage = v.name "
            f" AND i.format <> ?) AS ingests, "
            f"{counts} AS rows FROM vintages v ORDER BY created_at, name",
            [CODELIST_INGEST_FORMAT])

    def vintage_exists(self, name: str) -> bool:
        """Return whether a vintage exists."""
        return bool(self.scalar("SELECT count(*) FROM vintages WHERE name = ?", [name]))

    def resolve_vintage(self, name: str | None) -> VintageChoice:
        """Return the vintage to read: ``name`` if given, else the default one.

        The default is the only vintage if there is one; otherwise the one
        loaded most recently (its latest ingest, or its creation if it has no
        ingest). The choice says why it was made, so that a command can tell
        the user which vintage it reads.

        Raises
        ------
        InputError
            If ``name`` is not a vintage, or there is no vintage at all.
        """
        if name is not None:
            self.require_vintage(name)
            return VintageChoice(name, None)
        frame = self.query(
            "SELECT v.name FROM vintages v LEFT JOIN (SELECT vintage, max(loaded_at) AS loaded "
            "FROM ingests WHERE format <> ? GROUP BY vintage) i "
            "ON i.vintage = v.name ORDER BY coalesce(i.loaded, v.created_at) DESC, "
            "v.created_at DESC, v.name DESC", [CODELIST_INGEST_FORMAT])
        if frame.empty:
            raise InputError(f"no vintages in {self.location()} yet: load data with "
                             "'wfplan ingest' or 'wfplan demo'")
        chosen = str(frame["name"].iat[0])
        why = ("the only one" if len(frame) == 1
               else f"the most recently loaded of {len(frame)}; choose another with --vintage")
        return VintageChoice(chosen, f"using vintage {chosen!r} ({why} in {self.location()})")

    def require_vintage(self, name: str) -> None:
        """Raise a clear error if a vintage does not exist."""
        if not self.vintage_exists(name):
            known = ", ".join(self.vintages()["name"]) or "none yet"
            raise InputError(f"no vintage named {name!r} (vintages: {known})")

    def ensure_writable_vintage(self, name: str) -> None:
        """Create the vintage if new; refuse if it is frozen.

        Call it inside the transaction that writes to the vintage: a store shared
        by several processes (PostgreSQL) takes the vintage's write lock here.
        """
        frozen = self.query("SELECT frozen, frozen_at FROM vintages WHERE name = ?", [name])
        if frozen.empty:
            self._create_vintage(name)
        elif bool(frozen.iat[0, 0]):
            since = str(frozen.iat[0, 1])[:16]
            raise RefusedError(
                f"vintage {name!r} is frozen (since {since} UTC) and "
                f"refuses further writes; ingest into a new vintage instead, "
                f"e.g. --vintage {name}-2"
            )

    def freeze_vintage(self, name: str) -> None:
        """Freeze a vintage so it refuses further writes."""
        self.require_vintage(name)
        self.execute(
            "UPDATE vintages SET frozen = TRUE, frozen_at = ? WHERE name = ? AND NOT frozen",
            [now(), name],
        )

    def next_ingest_id(self) -> int:
        """Return a new ingest id, from the store's sequence (never reused, even if rolled back)."""
        return int(self.scalar(f"SELECT nextval('{schema.INGEST_ID_SEQUENCE}')"))

    def find_ingest(self, vintage: str, sha256: str) -> int | None:
        """Return the id of an earlier ingest of the same file into the vintage, if any."""
        found = self.scalar(
            "SELECT min(ingest_id) FROM ingests WHERE vintage = ? AND sha256 = ?",
            [vintage, sha256],
        )
        return None if found is None or pd.isna(found) else int(found)

    def record_ingest(self, **fields: Any) -> None:
        """Add one row to the ingest log."""
        fields.setdefault("loaded_at", now())
        unknown = set(fields) - _INGEST_COLUMNS
        if unknown:
            raise ValueError(f"the ingest log has no column(s) {', '.join(sorted(unknown))}")
        names = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        self.execute(f"INSERT INTO ingests ({names}) VALUES ({marks})", list(fields.values()))

    def table_counts(self, vintage: str | None = None) -> dict[str, int]:
        """Return the row count of every table (of one vintage, if given)."""
        where, params = ("WHERE vintage = ?", [vintage]) if vintage else ("", [])
        names = [*schema.tables(), "icb_boundaries", "ingests", "unmapped", "vintages"]
        out: dict[str, int] = {}
        for name in names:
            if name == "vintages":
                out[name] = int(self.scalar("SELECT count(*) FROM vintages"))
            else:
                out[name] = int(self.scalar(f"SELECT count(*) FROM {name} {where}", params or None))
        return out

    def duplicate_keys(self, table: str, key_columns: Sequence[str], vintage: str,
                       limit: int) -> pd.DataFrame:
        """Return the keys that more than one row of the vintage shares, wherever rows came from.

        Returns
        -------
        DataFrame
            One row per duplicated key, by its first row (at most ``limit``): the
            key columns (as text), ``n`` (rows sharing it), ``first_row``,
            ``ingests`` and ``source_rows`` (the first three rows' ingest ids and
            row numbers, in that order) and ``total`` (the number of duplicated
            keys). Empty if every key is unique.
        """
        keys = ", ".join(key_columns)
        hashed = self.key_hash(keys)
        if self.scalar(f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE vintage = ? "
                       f"GROUP BY {hashed} HAVING count(*) > 1 LIMIT 1) d", [vintage]) == 0:
            return pd.DataFrame()
        shown = ", ".join(f"CAST({k} AS VARCHAR) AS {k}" for k in key_columns)
        return self.query(
            f"WITH h AS (SELECT {hashed} AS key_hash FROM {table} WHERE vintage = ? "
            f"GROUP BY {hashed} HAVING count(*) > 1) "
            f"SELECT {shown}, n, first_row, ingests, source_rows, count(*) OVER () AS total "
            f"FROM (SELECT {keys}, count(*) AS n, min(source_row) AS first_row, "
            f"(array_agg(ingest_id ORDER BY ingest_id, source_row))[1:3] AS ingests, "
            f"(array_agg(source_row ORDER BY ingest_id, source_row))[1:3] AS source_rows "
            f"FROM {table} WHERE vintage = ? AND {hashed} IN (SELECT key_hash FROM h) "
            f"GROUP BY {keys} HAVING count(*) > 1) d "
            f"ORDER BY first_row, {keys} LIMIT {int(limit)}", [vintage, vintage])

    def key_hash(self, keys: str) -> str:
        """Return SQL hashing the key columns ``keys``: the row value here; engines hash faster.

        Exact keys are compared only on rows sharing a hash (two keys may share one).
        """
        return f"ROW({keys})"

    def _create_vintage(self, name: str) -> None:
        """Create a vintage and seed its areas (England, regions, ICBs) from the code lists."""
        self.execute(
            "INSERT INTO vintages (name, created_at, frozen) VALUES (?, ?, FALSE)", [name, now()]
        )
        ingest_id = self.next_ingest_id()
        areas = _codelist_areas()
        frame = areas.assign(vintage=name, ingest_id=ingest_id, source_row=range(1, len(areas) + 1))
        frame["suppressed"] = False
        self.insert("areas", pa.Table.from_pandas(frame, preserve_index=False))
        self.record_ingest(
            ingest_id=ingest_id,
            vintage=name,
            source_file="wfplan code lists (regions.csv, icbs.csv)",
            sha256=_codelist_digest(),
            format=CODELIST_INGEST_FORMAT,
            tables="areas",
            publisher="wfplan (from NHS England ODS codes)",
            title="NHS England regions and integrated care boards",
            licence="Open Government Licence v3.0",
            rows=len(frame),
            warnings=0,
        )

    # -- the schema: created, checked and migrated on open --------------------

    def _open_schema(self) -> None:
        """Create the schema of an empty database, or check and migrate an existing one."""
        from wfplan.dataset.store import migrations

        version = self._schema_version()
        if version is None:
            if self._has_foreign_tables():
                raise SchemaVersionError(
                    f"{self.location()} holds tables but no wfplan schema version; it was "
                    "not written by wfplan. Name another database with --db.")
            if self.read_only:
                raise InputError(f"{self.location()} is an empty database; load data first")
            with self.transaction():
                self.lock_schema()
                if self._schema_version() is None:
                    self._create_schema()
            return
        if version > schema.SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.location()} was written by a newer wfplan (schema version {version}; "
                f"this wfplan reads up to {schema.SCHEMA_VERSION}). Upgrade wfplan to open it.")
        if version < schema.SCHEMA_VERSION:
            if self.read_only:
                raise SchemaVersionError(
                    f"{self.location()} uses schema version {version}; this wfplan needs "
                    f"{schema.SCHEMA_VERSION}. Open it once for writing (e.g. 'wfplan vintages "
                    "--db DB') to migrate it, after taking a backup.")
            if migrations.migrate(self) & migrations.COMPACTING:
                self._compact()

    def _schema_version(self) -> int | None:
        """Return the schema version the database records, or None if it has no ``schema_meta``."""
        if not self.scalar("SELECT count(*) FROM information_schema.tables WHERE "
                           "table_name = 'schema_meta' AND table_schema = current_schema()"):
            return None
        return int(self.scalar("SELECT value FROM schema_meta WHERE key = 'schema_version'"))

    def _has_foreign_tables(self) -> bool:
        """Return whether the database (its current schema) holds any table."""
        return bool(self.scalar("SELECT count(*) FROM information_schema.tables "
                                "WHERE table_schema = current_schema()"))

    def _create_schema(self) -> None:
        for statement in ddl.current_schema(self.dialect):
            self.execute(statement)
        self.execute("INSERT INTO schema_meta VALUES ('schema_version', ?)",
                     [str(schema.SCHEMA_VERSION)])

    def lock_schema(self) -> None:  # noqa: B027 - a hook: only a shared server needs the lock
        """Keep other processes from creating or migrating the schema until the transaction ends."""

    def _compact(self) -> None:  # noqa: B027 - a hook: only a file store needs it
        """Rewrite the storage after a migration that deleted secrets (a file store's job)."""


def _codelist_areas() -> pd.DataFrame:
    rows: list[dict[str, Any]] = [
        {"code": codelists.ENGLAND_CODE, "name": "England", "level": "england", "parent_code": None}
    ]
    rows += [
        {"code": r["code"], "name": r["name"], "level": "region",
         "parent_code": codelists.ENGLAND_CODE}
        for r in codelists.get("region").rows
    ]
    rows += [
        {"code": r["code"], "name": r["name"], "level": "icb", "parent_code": r["region_code"]}
        for r in codelists.get("icb").rows
    ]
    frame = pd.DataFrame(rows)
    frame["valid_from"] = pd.NaT
    frame["valid_to"] = pd.NaT
    return frame.astype({"valid_from": "datetime64[s]", "valid_to": "datetime64[s]"})


def _codelist_digest() -> str:
    digest = hashlib.sha256()
    folder = resources.files(codelists.__name__)
    for name in ("regions.csv", "icbs.csv"):
        digest.update(folder.joinpath(name).read_bytes())
    return digest.hexdigest()
