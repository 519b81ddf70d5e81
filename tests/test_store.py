"""The DuckDB store: schema versions, vintages, transactions and inserts, on real files."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pytest

from wfplan.dataset import codelists, schema
from wfplan.dataset.store import DuckDBStore, default_db_path
from wfplan.errors import InputError, RefusedError, SchemaVersionError

if TYPE_CHECKING:
    from conftest import Kit


def test_a_new_database_gets_the_current_schema(store: DuckDBStore) -> None:
    version = store.scalar("SELECT value FROM schema_meta WHERE key = 'schema_version'")
    assert int(version) == schema.SCHEMA_VERSION
    tables = set(store.query("SELECT table_name FROM information_schema.tables")["table_name"])
    assert set(schema.tables()) | {"schema_meta", "vintages", "ingests", "unmapped"} <= tables
    assert set(store.table_counts().values()) == {0}


def test_reopening_keeps_the_data(db_path: Path) -> None:
    first = DuckDBStore(db_path)
    first.ensure_writable_vintage("v1")
    first.close()
    again = DuckDBStore(db_path, read_only=True)
    try:
        assert again.vintage_exists("v1")
    finally:
        again.close()


def test_newer_schema_is_refused_with_upgrade_advice(db_path: Path) -> None:
    store = DuckDBStore(db_path)
    store.execute("UPDATE schema_meta SET value = ? WHERE key = 'schema_version'",
                  [str(schema.SCHEMA_VERSION + 1)])
    store.close()
    for read_only in (False, True):
        with pytest.raises(SchemaVersionError, match=r"newer wfplan.*Upgrade wfplan"):
            DuckDBStore(db_path, read_only=read_only)


def test_a_refused_database_is_not_left_locked(db_path: Path) -> None:
    store = DuckDBStore(db_path)
    store.execute("UPDATE schema_meta SET value = '999' WHERE key = 'schema_version'")
    store.close()
    with pytest.raises(SchemaVersionError) as refused:
        DuckDBStore(db_path)
    # The exception (and its traceback) is still alive: another process must
    # nevertheless be able to take the write lock.
    assert refused.value is not None
    other = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).close()",
         str(db_path)], capture_output=True, text=True, check=False)
    assert other.returncode == 0, other.stderr


def test_a_database_not_written_by_wfplan_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE patients (id INTEGER)")
    con.close()
    with pytest.raises(SchemaVersionError, match="not written by wfplan"):
        DuckDBStore(path)
    with pytest.raises(SchemaVersionError, match="not written by wfplan"):
        DuckDBStore(path, read_only=True)
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    finally:
        con.close()
    assert tables == [("patients",)], "the foreign database must be left untouched"


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("shopping list\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a valid DuckDB database"):
        DuckDBStore(path)
    assert path.read_text(encoding="utf-8") == "shopping list\n"


def test_read_only_needs_an_existing_database(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no database at"):
        DuckDBStore(tmp_path / "missing.duckdb", read_only=True)
    assert not (tmp_path / "missing.duckdb").exists()


def test_default_db_path_prefers_argument_then_environment(monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    monkeypatch.setenv("WFPLAN_DB", str(tmp_path / "env.duckdb"))
    assert default_db_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"
    assert default_db_path() == tmp_path / "env.duckdb"
    monkeypatch.delenv("WFPLAN_DB")
    assert default_db_path() == Path("wfplan.duckdb")


def test_an_older_schema_is_migrated_on_open(db_path: Path) -> None:
    store = DuckDBStore(db_path)
    added = {n for t in schema.META_DDL_V2 for n in ("source_flags", "person_records") if n in t}
    for name in added:
        store.execute(f"DROP TABLE {name}")
    store.execute("UPDATE schema_meta SET value = '1' WHERE key = 'schema_version'")
    store.close()
    with pytest.raises(SchemaVersionError, match="Open it once for writing"):
        DuckDBStore(db_path, read_only=True)
    migrated = DuckDBStore(db_path)
    try:
        version = migrated.scalar("SELECT value FROM schema_meta WHERE key = 'schema_version'")
        tables = set(migrated.query(
            "SELECT table_name FROM information_schema.tables")["table_name"])
    finally:
        migrated.close()
    assert int(version) == schema.SCHEMA_VERSION
    assert added <= tables


def test_a_new_vintage_is_seeded_with_england_regions_and_icbs(store: DuckDBStore) -> None:
    store.ensure_writable_vintage("v")
    levels = store.query("SELECT level, count(*) AS n FROM areas WHERE vintage = 'v' "
                         "GROUP BY level ORDER BY level")
    assert dict(zip(levels["level"], levels["n"], strict=True)) == {
        "england": 1, "region": 7, "icb": 42}
    parents = store.query("SELECT code, parent_code FROM areas WHERE vintage = 'v' "
                          "AND level = 'region'")
    assert set(parents["parent_code"]) == {codelists.ENGLAND_CODE}
    vintages = store.vintages()
    assert vintages["name"].tolist() == ["v"]
    assert vintages["ingests"].tolist() == [0], "the code-list seed is not a user ingest"
    assert vintages["rows"].tolist() == [50]


def test_frozen_vintage_refuses_writes(store: DuckDBStore) -> None:
    store.ensure_writable_vintage("v")
    store.freeze_vintage("v")
    with pytest.raises(RefusedError, match="vintage 'v' is frozen"):
        store.ensure_writable_vintage("v")
    frozen = store.query("SELECT frozen, frozen_at FROM vintages WHERE name = 'v'")
    assert bool(frozen["frozen"].iat[0])
    first = frozen["frozen_at"].iat[0]
    store.freeze_vintage("v")
    assert store.scalar("SELECT frozen_at FROM vintages WHERE name = 'v'") == first


def test_unknown_vintage_is_a_clear_error(store: DuckDBStore) -> None:
    store.ensure_writable_vintage("2024-03")
    with pytest.raises(InputError, match=r"no vintage named 'nope' \(vintages: 2024-03\)"):
        store.require_vintage("nope")
    with pytest.raises(InputError, match="no vintage named"):
        store.freeze_vintage("nope")


def test_transaction_rolls_back_on_error(store: DuckDBStore) -> None:
    store.ensure_writable_vintage("v")
    before = store.table_counts()
    seen_inside = []

    def create_then_fail() -> None:
        with store.transaction():
            store.ensure_writable_vintage("w")
            seen_inside.append(store.vintage_exists("w"))
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        create_then_fail()
    assert seen_inside == [True]
    assert not store.vintage_exists("w")
    assert store.table_counts() == before


def test_nested_transactions_join_the_outer_one(store: DuckDBStore) -> None:
    def inner_commits_outer_fails() -> None:
        with store.transaction():
            with store.transaction():
                store.ensure_writable_vintage("inner")
            raise RuntimeError("outer fails")

    with pytest.raises(RuntimeError, match="outer fails"):
        inner_commits_outer_fails()
    assert not store.vintage_exists("inner")


def test_table_counts_by_vintage(kit: Kit, loaded_store: DuckDBStore) -> None:
    counts = loaded_store.table_counts("default")
    assert counts["staff_in_post"] == 20
    assert counts["organisations"] == len(kit.ORGANISATIONS)
    assert counts["areas"] == 50
    assert loaded_store.table_counts("other")["staff_in_post"] == 0


def _row_batch(rows: int, **columns: object) -> pa.Table:
    data = {"code": pa.array([f"AREA{i:07d}-with-a-long-name" for i in range(rows)]),
            "name": pa.array([f"Area number {i} of a large batch" for i in range(rows)]),
            "level": pa.array(["pcn"] * rows), "vintage": pa.array(["v"] * rows),
            "ingest_id": pa.array([99] * rows, pa.int64()),
            "source_row": pa.array(range(1, rows + 1), pa.int64())}
    data.update({k: pa.array(v) for k, v in columns.items()})  # type: ignore[call-overload]
    return pa.table(data)


def test_insert_matches_columns_by_name_and_fills_defaults(store: DuckDBStore) -> None:
    batch = _row_batch(3).select(["source_row", "name", "level", "code", "vintage",
                                  "ingest_id"])
    store.insert("areas", batch)
    rows = store.query("SELECT code, parent_code, valid_from, suppressed FROM areas "
                       "WHERE ingest_id = 99 ORDER BY source_row")
    assert rows["code"].tolist() == batch.column("code").to_pylist()
    assert rows["parent_code"].isna().all()
    assert rows["valid_from"].isna().all()
    assert rows["suppressed"].tolist() == [False, False, False]


def test_insert_refuses_unknown_columns(store: DuckDBStore) -> None:
    with pytest.raises(ValueError, match="no column"):
        store.insert("areas", _row_batch(2, colour=["red", "blue"]))
    assert store.scalar("SELECT count(*) FROM areas") == 0


def test_insert_inside_a_transaction_keeps_no_reference_to_its_batches(
        store: DuckDBStore) -> None:
    # A large ingest inserts many batches in one transaction; if the database
    # held on to each batch's Arrow memory until COMMIT, memory would grow with
    # the file. Every batch must be freed as soon as it has been inserted.
    gc.collect()
    baseline = pa.total_allocated_bytes()
    with store.transaction():
        for start in range(3):
            batch = _row_batch(20_000).set_column(
                5, "source_row", pa.array(range(start * 20_000, (start + 1) * 20_000),
                                          pa.int64()))
            size = batch.nbytes
            store.insert("areas", batch)
            del batch
            gc.collect()
            assert pa.total_allocated_bytes() - baseline < size / 4
    assert store.scalar("SELECT count(*) FROM areas WHERE ingest_id = 99") == 60_000
