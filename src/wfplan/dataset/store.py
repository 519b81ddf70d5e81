"""The store: one interface to the workforce dataset, DuckDB by default.

All access to the database goes through :class:`Store`, so that another
engine (PostgreSQL for a shared server) can be added without touching the
callers. A store owns the schema (created and migrated on open), the vintages
and the ingest log. Writes happen inside :meth:`Store.transaction`: one
``wfplan ingest`` call is one transaction, so a failure or a killed process
leaves the database as it was.
"""

from __future__ import annotations

import hashlib
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from wfplan.dataset import codelists, schema
from wfplan.dataset.busy import BUSY_WAIT, BusyWait, busy_error, retry_while_busy
from wfplan.errors import InputError, RefusedError, SchemaVersionError

DEFAULT_DB = "wfplan.duckdb"
DB_ENV = "WFPLAN_DB"
CODELIST_INGEST_FORMAT = "codelists"


def default_db_path(db: str | os.PathLike[str] | None = None) -> Path:
    """Return the database path: ``db``, else ``$WFPLAN_DB``, else ``./wfplan.duckdb``."""
    return Path(db or os.environ.get(DB_ENV) or DEFAULT_DB)


def _now() -> datetime:
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
    """What every storage engine provides to the rest of wfplan."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a read query and return its rows as a DataFrame."""

    @abstractmethod
    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a read query and return its rows as an Arrow table (types kept exactly)."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run a statement that returns nothing."""

    @abstractmethod
    def insert(self, table: str, rows: pa.Table) -> None:
        """Append Arrow rows to a table, matching columns by name."""

    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Run the block in one transaction: commit on success, roll back on error."""

    # -- shared behaviour built on the primitives above -----------------------

    def scalar(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Return the first column of the first row, or ``None``."""
        frame = self.query(sql, params)
        return None if frame.empty else frame.iat[0, 0]

    def vintages(self) -> pd.DataFrame:
        """Return every vintage with its state and row counts per table."""
        counts = " + ".join(
            f"(SELECT count(*) FROM {t} WHERE vintage = v.name)" for t in schema.tables()
        )
        return self.query(
            f"SELECT name, frozen, created_at, frozen_at, "
            f"(SELECT count(*) FROM ingests i WHERE i.vintage = v.name "
            f" AND i.format <> '{CODELIST_INGEST_FORMAT}') AS ingests, "
            f"{counts} AS rows FROM vintages v ORDER BY created_at, name"
        )

    def vintage_exists(self, name: str) -> bool:
        """Return whether a vintage exists."""
        return bool(self.scalar("SELECT count(*) FROM vintages WHERE name = ?", [name]))

    def location(self) -> str:
        """Return where the data is, for messages (the database file of a file store)."""
        return "the database"

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
            f"FROM ingests WHERE format <> '{CODELIST_INGEST_FORMAT}' GROUP BY vintage) i "
            "ON i.vintage = v.name ORDER BY coalesce(i.loaded, v.created_at) DESC, "
            "v.created_at DESC, v.name DESC")
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
        """Create the vintage if new; refuse if it is frozen."""
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
            [_now(), name],
        )

    def next_ingest_id(self) -> int:
        """Return a new ingest id."""
        return int(self.scalar("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingests"))

    def find_ingest(self, vintage: str, sha256: str) -> int | None:
        """Return the id of an earlier ingest of the same file into the vintage, if any."""
        found = self.scalar(
            "SELECT min(ingest_id) FROM ingests WHERE vintage = ? AND sha256 = ?",
            [vintage, sha256],
        )
        return None if found is None or pd.isna(found) else int(found)

    def record_ingest(self, **fields: Any) -> None:
        """Add one row to the ingest log."""
        fields.setdefault("loaded_at", _now())
        names = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        self.execute(f"INSERT INTO ingests ({names}) VALUES ({marks})", list(fields.values()))

    def table_counts(self, vintage: str | None = None) -> dict[str, int]:
        """Return the row count of every table (of one vintage, if given)."""
        where, params = ("WHERE vintage = ?", [vintage]) if vintage else ("", [])
        names = [*schema.tables(), "ingests", "unmapped", "vintages"]
        out: dict[str, int] = {}
        for name in names:
            if name == "vintages":
                out[name] = int(self.scalar("SELECT count(*) FROM vintages"))
            else:
                out[name] = int(self.scalar(f"SELECT count(*) FROM {name} {where}", params or None))
        return out

    def _create_vintage(self, name: str) -> None:
        """Create a vintage and seed its areas (England, regions, ICBs) from the code lists."""
        self.execute(
            "INSERT INTO vintages (name, created_at, frozen) VALUES (?, ?, FALSE)", [name, _now()]
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


Migration = Callable[[Store], None]


def _add_source_flags_and_person_records(store: Store) -> None:
    """Version 1 → 2: add ``source_flags`` and the private ``person_records``."""
    for ddl in schema.META_DDL_V2:
        store.execute(ddl)


def _add_distinct_headcount(store: Store) -> None:
    """Version 2 → 3: add ``distinct_headcount``, counted from the person records kept."""
    from wfplan.dataset import distinct

    for ddl in schema.META_DDL_V3:
        store.execute(ddl)
    distinct.backfill(store)


#: The ``schema_meta`` key under which schemas 2 and 3 kept the pseudonym salt.
LEGACY_SALT_KEY = "person_salt"


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
    (grade, sex, ethnicity) are dropped. The file is then rewritten (see
    :meth:`DuckDBStore._compact`), so no deleted byte stays in it.
    """
    store.execute("DELETE FROM schema_meta WHERE key = ?", [LEGACY_SALT_KEY])
    store.execute("DELETE FROM person_records")
    for column in ("grade", "sex", "ethnicity"):
        store.execute(f"ALTER TABLE person_records DROP COLUMN IF EXISTS {column}")
    for ddl in schema.META_DDL_V4:
        store.execute(ddl)


#: Migrations from version N to N+1, run in order inside one transaction.
MIGRATIONS: dict[int, Migration] = {1: _add_source_flags_and_person_records,
                                    2: _add_distinct_headcount,
                                    3: _pseudonym_key_outside}
#: Migrations that delete secrets: the file is rewritten after them.
COMPACTING = frozenset({3})


class DuckDBStore(Store):
    """The embedded DuckDB store: one database file, one writer at a time.

    Parameters
    ----------
    path : str or Path
        The database file; created if missing (unless ``read_only``).
    read_only : bool
        Open without taking the write lock, so several readers can share a file.
    """

    def __init__(self, path: str | os.PathLike[str], *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise InputError(
                f"no database at {self.path}; run 'wfplan demo' or 'wfplan ingest' first, "
                f"or name one with --db or ${DB_ENV}"
            )
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
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

    def location(self) -> str:
        """Return the database file, for messages."""
        return str(self.path)

    def __enter__(self) -> DuckDBStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run a read query and return its rows as a DataFrame."""
        return self.con.execute(sql, params).df() if params else self.con.execute(sql).df()

    def query_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        """Run a read query and return its rows as an Arrow table (types kept exactly)."""
        return self.con.sql(sql, params=params).to_arrow_table()

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
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
            _quote(name) if name in given else f"{default or 'NULL'} AS {_quote(name)}"
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

    def _open_schema(self) -> None:
        has_meta = bool(
            self.scalar(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_meta'"
            )
        )
        if not has_meta:
            others = self.scalar("SELECT count(*) FROM information_schema.tables")
            if others:
                raise SchemaVersionError(
                    f"{self.path} holds tables but no wfplan schema version; it was not "
                    "written by wfplan. Name another file with --db."
                )
            if self.read_only:
                raise InputError(f"{self.path} is an empty database; load data first")
            with self.transaction():
                self._create_schema()
            return
        version = int(self.scalar("SELECT value FROM schema_meta WHERE key = 'schema_version'"))
        if version > schema.SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.path} was written by a newer wfplan (schema version {version}; this "
                f"wfplan reads up to {schema.SCHEMA_VERSION}). Upgrade wfplan to open it."
            )
        if version < schema.SCHEMA_VERSION:
            self._migrate(version)

    def _create_schema(self) -> None:
        for ddl in schema.META_DDL:
            self.execute(ddl)
        for spec in schema.tables().values():
            self.execute(schema.fact_table_ddl(spec))
        self.execute(
            "INSERT INTO schema_meta VALUES ('schema_version', ?)", [str(schema.SCHEMA_VERSION)]
        )

    def _migrate(self, version: int) -> None:
        if self.read_only:
            raise SchemaVersionError(
                f"{self.path} uses schema version {version}; this wfplan needs "
                f"{schema.SCHEMA_VERSION}. Open it once for writing (e.g. 'wfplan vintages "
                "--db FILE') to migrate it, after taking a backup."
            )
        start = version
        with self.transaction():
            while version < schema.SCHEMA_VERSION:
                step = MIGRATIONS.get(version)
                if step is None:
                    raise SchemaVersionError(
                        f"no migration from schema version {version}; re-create the database "
                        "with this wfplan and ingest the source files again"
                    )
                step(self)
                version += 1
            self.execute(
                "UPDATE schema_meta SET value = ? WHERE key = 'schema_version'", [str(version)]
            )
        if COMPACTING & set(range(start, version)):
            self._compact()

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
        self.con = duckdb.connect(str(self.path))


def _literal(path: Path) -> str:
    """Return a path for an SQL string literal."""
    return str(path).replace("'", "''")


def _quote(name: str) -> str:
    """Return a column name quoted for SQL."""
    return '"' + name.replace('"', '""') + '"'


def open_store(db: str | os.PathLike[str] | None = None, *, read_only: bool = False,
               wait: BusyWait | None = None) -> Store:
    """Open the store named by ``db`` (or ``$WFPLAN_DB``, or ``./wfplan.duckdb``).

    While another process holds the file, the open is retried for
    ``wait.seconds`` (default: :data:`~wfplan.dataset.busy.BUSY_WAIT`, which
    the CLI's ``--wait`` sets; otherwise no retry).

    Raises
    ------
    StoreBusyError
        If the file is still held when the wait is over; the message says which
        process holds it and whether it reads or writes.
    """
    path = default_db_path(db)
    return retry_while_busy(lambda: DuckDBStore(path, read_only=read_only),
                            wait or BUSY_WAIT.get())
