"""The schema of the single workforce dataset, driven by ``tables.csv``.

``tables.csv`` lists every column of every tidy table with its type, role
(key, attribute or measure), whether it is required, the code list its values
come from, its allowed range, unit, plausibility checks and description. The
same table drives the database DDL, validation, the ingest templates and the
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

#: Bump when the database layout changes, and add a migration in ``store.py``.
SCHEMA_VERSION = 4

#: Columns every fact table carries in the store, besides those of ``tables.csv``.
LINEAGE_COLUMNS = ("vintage", "ingest_id", "source_row", "suppressed")

SQL_TYPES = {"text": "VARCHAR", "date": "DATE", "integer": "BIGINT", "double": "DOUBLE"}

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

    @property
    def sql_type(self) -> str:
        """Return the SQL type of the column."""
        return SQL_TYPES[self.type]


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


def fact_table_ddl(spec: TableSpec) -> str:
    """Return the ``CREATE TABLE`` statement for a tidy table with lineage columns."""
    cols = [f"{c.name} {c.sql_type}" for c in spec.columns]
    cols += [
        "vintage VARCHAR NOT NULL",
        "ingest_id BIGINT NOT NULL",
        "source_row BIGINT NOT NULL",
        "suppressed BOOLEAN NOT NULL DEFAULT FALSE",
    ]
    return f"CREATE TABLE IF NOT EXISTS {spec.name} (\n  " + ",\n  ".join(cols) + "\n)"


META_DDL: tuple[str, ...] = (
    "CREATE TABLE IF NOT EXISTS schema_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
    """CREATE TABLE IF NOT EXISTS vintages (
  name VARCHAR PRIMARY KEY,
  description VARCHAR,
  created_at TIMESTAMP NOT NULL,
  frozen BOOLEAN NOT NULL DEFAULT FALSE,
  frozen_at TIMESTAMP
)""",
    """CREATE TABLE IF NOT EXISTS ingests (
  ingest_id BIGINT PRIMARY KEY,
  vintage VARCHAR NOT NULL,
  source_file VARCHAR NOT NULL,
  sha256 VARCHAR NOT NULL,
  format VARCHAR NOT NULL,
  tables VARCHAR NOT NULL,
  publisher VARCHAR,
  title VARCHAR,
  period VARCHAR,
  licence VARCHAR,
  rows BIGINT NOT NULL,
  warnings BIGINT NOT NULL,
  notes VARCHAR,
  loaded_at TIMESTAMP NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS unmapped (
  vintage VARCHAR NOT NULL,
  ingest_id BIGINT NOT NULL,
  table_name VARCHAR NOT NULL,
  column_name VARCHAR NOT NULL,
  value VARCHAR NOT NULL,
  rows BIGINT NOT NULL
)""",
)

#: Tables added in schema version 2 (also part of :data:`META_DDL`).
#: ``source_flags`` holds importers' findings about a source (e.g. "flows
#: unavailable: identifiers not stable") for the data-gap report.
#: ``person_records`` is private: pseudonymised (HMAC-SHA256) record-level rows
#: kept only so that flows can be derived when a later extract adds a period
#: (and distinct people counted): no report, API or export reads it. Since
#: schema 4 it holds only what that needs (no grade, sex or ethnicity), and the
#: key of its hashes is never in the database (:mod:`wfplan.dataset.pseudonym`).
META_DDL_V2 = (
    """CREATE TABLE IF NOT EXISTS source_flags (
  vintage VARCHAR NOT NULL,
  ingest_id BIGINT NOT NULL,
  source VARCHAR NOT NULL,
  period DATE,
  flag VARCHAR NOT NULL,
  value DOUBLE,
  detail VARCHAR NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS person_records (
  vintage VARCHAR NOT NULL,
  ingest_id BIGINT NOT NULL,
  source VARCHAR NOT NULL,
  period DATE NOT NULL,
  person_hash VARCHAR NOT NULL,
  org_code VARCHAR,
  staff_group VARCHAR,
  role VARCHAR,
  age_band VARCHAR,
  fte DOUBLE
)""",
)

#: Tables added in schema version 3 (also part of :data:`META_DDL`).
#: ``distinct_headcount`` holds, for sources whose records identify people (the
#: PCN workforce publication), the number of distinct people at each level of
#: aggregation (organisation, ICB, region, England), by staff group and role,
#: with the FTE of their records. It is computed at ingest from the hashed
#: identifiers (:mod:`wfplan.dataset.distinct`) and holds no identifiers.
#: ``staff_group`` and ``role`` NULL mean all staff groups and all roles;
#: ``sector`` is the sector of everyone counted, NULL when they span several.
META_DDL_V3 = (
    """CREATE TABLE IF NOT EXISTS distinct_headcount (
  vintage VARCHAR NOT NULL,
  ingest_id BIGINT NOT NULL,
  source VARCHAR NOT NULL,
  period DATE NOT NULL,
  level VARCHAR NOT NULL,
  area_code VARCHAR NOT NULL,
  sector VARCHAR,
  staff_group VARCHAR,
  role VARCHAR,
  headcount BIGINT NOT NULL,
  fte DOUBLE
)""",
)
#: Tables added in schema version 4 (also part of :data:`META_DDL`).
#: ``pseudonym_keys`` holds, per vintage and record-level source, the fingerprint
#: of the key its person identifiers were hashed with (never the key: see
#: :mod:`wfplan.dataset.pseudonym`), so that another key is refused.
META_DDL_V4 = (
    """CREATE TABLE IF NOT EXISTS pseudonym_keys (
  vintage VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  fingerprint VARCHAR NOT NULL,
  created_at TIMESTAMP NOT NULL,
  PRIMARY KEY (vintage, source)
)""",
)
META_DDL = META_DDL + META_DDL_V2 + META_DDL_V3 + META_DDL_V4
