"""The store's DDL, rendered for each engine from :mod:`wfplan.dataset.schema`.

``tables.csv`` and the store's own tables (:data:`wfplan.dataset.schema.META_TABLES`)
are described in engine-neutral types (``text``, ``integer``, ``double``,
``date``, ``timestamp``, ``boolean``); :data:`TYPES` maps them to DuckDB's and
PostgreSQL's. The DuckDB DDL is the one wfplan wrote before PostgreSQL was added,
so existing database files keep their exact types.
"""

from __future__ import annotations

from wfplan.dataset import schema

#: The engines a store runs on.
DIALECTS = ("duckdb", "postgres")

#: Engine-neutral column type → each engine's SQL type.
TYPES: dict[str, dict[str, str]] = {
    "duckdb": {"text": "VARCHAR", "date": "DATE", "integer": "BIGINT", "double": "DOUBLE",
               "boolean": "BOOLEAN", "timestamp": "TIMESTAMP"},
    "postgres": {"text": "TEXT", "date": "DATE", "integer": "BIGINT",
                 "double": "DOUBLE PRECISION", "boolean": "BOOLEAN",
                 "timestamp": "TIMESTAMP"},
}


def quote(name: str) -> str:
    """Return an identifier quoted for SQL (both engines quote with double quotes)."""
    return '"' + name.replace('"', '""') + '"'


def create_table(table: schema.StoreTable, dialect: str) -> str:
    """Return the ``CREATE TABLE IF NOT EXISTS`` statement of a table for ``dialect``."""
    types = TYPES[dialect]
    lines = []
    for column in table.columns:
        line = f"{column.name} {types[column.type]}"
        if column.not_null:
            line += " NOT NULL"
        if column.default is not None:
            line += f" DEFAULT {column.default}"
        lines.append(line)
    if table.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(table.primary_key)})")
    return f"CREATE TABLE IF NOT EXISTS {table.name} (\n  " + ",\n  ".join(lines) + "\n)"


def create_sequence(name: str, start: int) -> str:
    """Return the ``CREATE SEQUENCE`` statement of a sequence starting at ``start``."""
    return f"CREATE SEQUENCE IF NOT EXISTS {name} START {int(start)}"


def append_only(table: str, dialect: str) -> list[str]:
    """Return the statements that make ``table`` refuse UPDATE and DELETE on ``dialect``.

    PostgreSQL gets a trigger that raises an error; DuckDB has no triggers, so there
    the table is append-only through wfplan's API alone (whoever holds a DuckDB file
    can rewrite any of it anyway).
    """
    if dialect != "postgres":
        return []
    function = f"wfplan_{table}_append_only"
    return [
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION 'table {table} is append-only'; END $$",
        f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def current_schema(dialect: str) -> list[str]:
    """Return every statement that creates the current schema's tables and sequences."""
    tables = [*schema.META_TABLES, *(schema.fact_table(s) for s in schema.tables().values())]
    return [*(create_table(t, dialect) for t in tables),
            create_sequence(schema.INGEST_ID_SEQUENCE, 1),
            create_sequence(schema.AUDIT_ID_SEQUENCE, 1),
            *(s for t in schema.APPEND_ONLY for s in append_only(t, dialect))]
