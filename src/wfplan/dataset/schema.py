"""The schema of the single workforce dataset, driven by ``tables.csv``.

``tables.csv`` lists every column of every tidy table with its type, role
(key, attribute or measure), whether it is required, the code list its values
come from, its allowed range, unit, plausibility checks and description. The
same table drives the database DDL (rendered for each engine by
:mod:`wfplan.dataset.store.ddl`), validation, the ingest templates and the
documentation.

``required`` means, for a key or attribute, that every cell must be filled;
for a measure, that a tidy file must have the column and that it may not be
empty in every row (single cells may be empty or suppressed).

``checks`` names plausibility checks (:data:`CHECKS`), separated by spaces. A
row that fails one is loaded and counted in a warning; a check written with a
trailing ``!`` (``month_end!``) is an error instead.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

#: Bump when the database layout changes, and add a migration in ``store/migrations.py``.
SCHEMA_VERSION = 11

#: Columns every fact table carries in the store, besides those of ``tables.csv``.
LINEAGE_COLUMNS = ("vintage", "ingest_id", "source_row", "suppressed")

#: The plausibility checks a column of ``tables.csv`` may name, with what each means.
CHECKS = {
    "not_future": "a date after the day of the ingest",
    "month_end": "a date that is not the last day of a month",
    "fte_per_head": "FTE above headcount × 1.05",
    "strip_controls": "a name holding control characters (removed, or refused with !)",
    "period_order": "a period_end on or before period_start",
    "lost_within_available": "FTE days lost above FTE days available",
}


@dataclass(frozen=True)
class Check:
    """One plausibility check of a column: its name and whether failing it is an error."""

    name: str
    error: bool = False

    @classmethod
    def parse(cls, token: str) -> Check:
        """Return the check a ``tables.csv`` token names (``month_end`` or ``month_end!``)."""
        name = token.rstrip("!")
        if name not in CHECKS:
            raise ValueError(f"tables.csv: unknown check {token!r}; checks are "
                             + ", ".join(CHECKS))
        return cls(name, error=token.endswith("!"))


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a tidy table."""

    table: str
    name: str
    type: str
    role: str
    required: bool
    codelist: str | None
    min: float | None
    max: float | None
    unit: str
    description: str
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class TableSpec:
    """One tidy table: its columns in order."""

    name: str
    columns: tuple[ColumnSpec, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        """Return every column name, in order."""
        return tuple(c.name for c in self.columns)

    @property
    def key_columns(self) -> tuple[str, ...]:
        """Return the columns that together identify a row."""
        return tuple(c.name for c in self.columns if c.role == "key")

    @property
    def measure_columns(self) -> tuple[str, ...]:
        """Return the numeric measure columns."""
        return tuple(c.name for c in self.columns if c.role == "measure")

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Return the columns a file must have."""
        return tuple(c.name for c in self.columns if c.required)

    @property
    def required_keys(self) -> tuple[str, ...]:
        """Return the required columns that are not measures: what identifies the table."""
        return tuple(c.name for c in self.columns if c.required and c.role != "measure")

    def column(self, name: str) -> ColumnSpec:
        """Return one column's spec."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def tables() -> dict[str, TableSpec]:
    """Return every tidy table spec, keyed by table name, in file order."""
    path = resources.files(__package__).joinpath("tables.csv")
    by_table: dict[str, list[ColumnSpec]] = {}
    with io.StringIO(path.read_text(encoding="utf-8"), newline="") as handle:
        for row in csv.DictReader(handle):
            by_table.setdefault(row["table"], []).append(
                ColumnSpec(
                    table=row["table"],
                    name=row["column"],
                    type=row["type"],
                    role=row["role"],
                    required=row["required"] == "true",
                    codelist=row["codelist"] or None,
                    min=_number(row["min"]),
                    max=_number(row["max"]),
                    unit=row["unit"],
                    description=row["description"],
                    checks=tuple(Check.parse(t) for t in row["checks"].split()),
                )
            )
    return {name: TableSpec(name, tuple(cols)) for name, cols in by_table.items()}


def table(name: str) -> TableSpec:
    """Return one table's spec.

    Raises
    ------
    KeyError
        If there is no such table.
    """
    try:
        return tables()[name]
    except KeyError:
        raise KeyError(f"no table {name!r}; tables are {', '.join(tables())}") from None


@dataclass(frozen=True)
class StoreColumn:
    """One column of a table of the store, in engine-neutral terms.

    Attributes
    ----------
    name : str
        The column name.
    type : str
        One of :data:`STORE_TYPES`; :mod:`wfplan.dataset.store.ddl` maps it to each
        engine's type.
    not_null : bool
        Whether the column refuses NULL.
    default : str or None
        The default, as a portable SQL literal (``FALSE``), or None.
    """

    name: str
    type: str
    not_null: bool = False
    default: str | None = None


@dataclass(frozen=True)
class StoreTable:
    """One table of the store: its columns and primary key."""

    name: str
    columns: tuple[StoreColumn, ...]
    primary_key: tuple[str, ...] = ()


#: The engine-neutral column types: the types of ``tables.csv`` and two more.
STORE_TYPES = ("text", "date", "integer", "double", "boolean", "timestamp")


def _table(name: str, *columns: str, key: tuple[str, ...] = ()) -> StoreTable:
    """Return a table from ``"name type [required] [default VALUE]"`` lines."""
    parsed = []
    for line in columns:
        words = line.split()
        if words[1] not in STORE_TYPES:
            raise ValueError(f"{name}.{words[0]}: unknown type {words[1]!r}")
        default = words[words.index("default") + 1] if "default" in words else None
        parsed.append(StoreColumn(words[0], words[1], "required" in words, default))
    return StoreTable(name, tuple(parsed), key)


def fact_table(spec: TableSpec) -> StoreTable:
    """Return the store table of a tidy table: its columns, then the lineage columns."""
    columns = [StoreColumn(c.name, c.type) for c in spec.columns]
    columns += [
        StoreColumn("vintage", "text", not_null=True),
        StoreColumn("ingest_id", "integer", not_null=True),
        StoreColumn("source_row", "integer", not_null=True),
        StoreColumn("suppressed", "boolean", not_null=True, default="FALSE"),
    ]
    return StoreTable(spec.name, tuple(columns))


#: The store's own tables in schema version 1: its version, vintages and ingest log.
META_TABLES_V1: tuple[StoreTable, ...] = (
    _table("schema_meta", "key text required", "value text required", key=("key",)),
    _table("vintages", "name text required", "description text",
           "created_at timestamp required", "frozen boolean required default FALSE",
           "frozen_at timestamp", key=("name",)),
    _table("ingests", "ingest_id integer required", "vintage text required",
           "source_file text required", "sha256 text required", "format text required",
           "tables text required", "publisher text", "title text", "period text",
           "licence text", "rows integer required", "warnings integer required", "notes text",
           "loaded_at timestamp required", key=("ingest_id",)),
    _table("unmapped", "vintage text required", "ingest_id integer required",
           "table_name text required", "column_name text required", "value text required",
           "rows integer required"),
)

#: Tables added in schema version 2.
#: ``source_flags`` holds importers' findings about a source (e.g. "flows
#: unavailable: identifiers not stable") for the data-gap report.
#: ``person_records`` is private: pseudonymised (HMAC-SHA256) record-level rows
#: kept only so that flows can be derived when a later extract adds a period
#: (and distinct people counted): no report, API or export reads it. Since
#: schema 4 it holds only what that needs (no grade, sex or ethnicity), and the
#: key of its hashes is never in the database (:mod:`wfplan.dataset.pseudonym`).
META_TABLES_V2: tuple[StoreTable, ...] = (
    _table("source_flags", "vintage text required", "ingest_id integer required",
           "source text required", "period date", "flag text required", "value double",
           "detail text required"),
    _table("person_records", "vintage text required", "ingest_id integer required",
           "source text required", "period date required", "person_hash text required",
           "org_code text", "staff_group text", "role text", "age_band text", "fte double"),
)

#: Tables added in schema version 3.
#: ``distinct_headcount`` holds, for sources whose records identify people (the
#: PCN workforce publication), the number of distinct people at each level of
#: aggregation (organisation, ICB, region, England), by staff group and role,
#: with the FTE of their records. It is computed at ingest from the hashed
#: identifiers (:mod:`wfplan.dataset.distinct`) and holds no identifiers.
#: ``staff_group`` and ``role`` NULL mean all staff groups and all roles;
#: ``sector`` is the sector of everyone counted, NULL when they span several.
META_TABLES_V3: tuple[StoreTable, ...] = (
    _table("distinct_headcount", "vintage text required", "ingest_id integer required",
           "source text required", "period date required", "level text required",
           "area_code text required", "sector text", "staff_group text", "role text",
           "headcount integer required", "fte double"),
)

#: Tables added in schema version 4.
#: ``pseudonym_keys`` holds, per vintage and record-level source, the fingerprint
#: of the key its person identifiers were hashed with (never the key: see
#: :mod:`wfplan.dataset.pseudonym`), so that another key is refused.
META_TABLES_V4: tuple[StoreTable, ...] = (
    _table("pseudonym_keys", "vintage text required", "source text required",
           "fingerprint text required", "created_at timestamp required",
           key=("vintage", "source")),
)

#: Tables added in schema version 7: the service's accounts (:mod:`wfplan.dataset.accounts`).
#: ``users`` holds each account's role (``national``, ``region:CODE``, ``icb:CODE``,
#: ``org:CODE`` or ``public``) and, optionally, an argon2 hash of its password;
#: ``tokens`` holds API tokens as their SHA-256 only, found by a short public prefix;
#: ``audit`` is append-only: who did what, in which scope, when (ids from
#: :data:`AUDIT_ID_SEQUENCE`; on PostgreSQL a trigger refuses UPDATE and DELETE).
META_TABLES_V7: tuple[StoreTable, ...] = (
    _table("users", "name text required", "role text required", "password_hash text",
           "created_at timestamp required", key=("name",)),
    _table("tokens", "prefix text required", "user_name text required", "sha256 text required",
           "created_at timestamp required", "expires_at timestamp", "revoked_at timestamp",
           key=("prefix",)),
    _table("audit", "audit_id integer required", "recorded_at timestamp required",
           "actor text required", "action text required", "scope text", "detail text",
           key=("audit_id",)),
)

#: Tables added in schema version 8: the service's scenarios and background jobs
#: (:mod:`wfplan.dataset.store.queries.jobs`). ``scenarios`` keeps each scenario's TOML text as
#: submitted; ``jobs`` one row per run: its kind (``project``, ``sensitivity`` or
#: ``assess``), status (``queued``, ``running``, ``done`` or ``failed``), progress
#: (0 to 1), the worker that holds it and that worker's last heartbeat, how often
#: it was claimed, and where its result is (a file under the results folder and
#: that file's SHA-256).
META_TABLES_V8: tuple[StoreTable, ...] = (
    _table("scenarios", "scenario_id text required", "name text required",
           "owner text required", "scope text required", "toml text required",
           "sha256 text required", "created_at timestamp required", key=("scenario_id",)),
    _table("jobs", "job_id text required", "kind text required", "scenario_id text",
           "config text required", "seed integer", "draws integer", "owner text required",
           "scope text required", "status text required", "progress double required",
           "message text", "worker text", "heartbeat_at timestamp", "attempts integer required",
           "created_at timestamp required", "started_at timestamp", "finished_at timestamp",
           "result_path text", "result_sha256 text", key=("job_id",)),
)

#: Tables added in schema version 9: the ICB boundaries a vintage may hold
#: (:mod:`wfplan.dataset.boundaries`), one row per feature of a GeoJSON file as given:
#: its index in the file's ``features``, the ICB (ODS code of the code list; NULL when
#: the feature names none wfplan knows, counted in ``unmapped``), the ONS code and name
#: it carries, and its geometry (a Polygon or MultiPolygon in WGS 84 longitude and
#: latitude) as GeoJSON text, unchanged. Public data: no person or small count in it.
META_TABLES_V9: tuple[StoreTable, ...] = (
    _table("icb_boundaries", "vintage text required", "ingest_id integer required",
           "feature_index integer required", "icb_code text", "ons_code text", "name text",
           "geometry text required"),
)

#: Every table of the store's own, in the current schema (version 5 added no table:
#: only the sequence that numbers ingests, :data:`INGEST_ID_SEQUENCE`; version 6 added
#: the tidy table ``la_icb_lookup`` of ``tables.csv``, not one of these).
META_TABLES = (META_TABLES_V1 + META_TABLES_V2 + META_TABLES_V3 + META_TABLES_V4
               + META_TABLES_V7 + META_TABLES_V8 + META_TABLES_V9)

#: The tables no statement may change or delete a row of.
APPEND_ONLY = ("audit",)
#: The sequence audit ids come from (schema version 7).
AUDIT_ID_SEQUENCE = "audit_ids"

#: The sequence ingest ids come from (schema version 5; before, max + 1).
INGEST_ID_SEQUENCE = "ingest_ids"
