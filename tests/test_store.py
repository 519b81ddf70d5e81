"""The store on both engines: schema versions, vintages, transactions, inserts, ingest ids.

Most tests take ``backend`` (tests/backends.py) and run twice: on a DuckDB file and
on a fresh PostgreSQL schema. Tests of one engine's own behaviour (a DuckDB file's
lock, a PostgreSQL URL) say so in their names.
"""

from __future__ import annotations

import gc
import math
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pytest

from wfplan.dataset import codelists, schema
from wfplan.dataset.store import (
    DuckDBStore,
    Store,
    default_db,
    default_db_path,
    is_postgres_url,
)
from wfplan.errors import InputError, RefusedError, SchemaVersionError

if TYPE_CHECKING:
    from backends import Backend
    from conftest import Kit

OWN_TABLES = {"schema_meta", "vintages", "ingests", "unmapped"}


def _version(store: Store) -> int:
    return int(store.scalar("SELECT value FROM schema_meta WHERE key = 'schema_version'"))


def _tables(store: Store) -> set[str]:
    return set(store.query("SELECT table_name FROM information_schema.tables "
                           "WHERE table_schema = current_schema()")["table_name"])


def test_a_new_database_gets_the_current_schema(any_store: Store) -> None:
    assert _version(any_store) == schema.SCHEMA_VERSION
    assert set(schema.tables()) | OWN_TABLES <= _tables(any_store)
    assert set(any_store.table_counts().values()) == {0}


def test_the_store_is_a_context_manager(backend: Backend) -> None:
    with backend.open() as store:
        store.ensure_writable_vintage("v1")
    with pytest.raises(Exception):  # noqa: B017 - any engine's "closed" error
        store.vintage_exists("v1")
    with backend.open(read_only=True) as again:
        assert again.vintage_exists("v1")


def test_newer_schema_is_refused_with_upgrade_advice(backend: Backend) -> None:
    with backend.open() as store:
        store.execute("UPDATE schema_meta SET value = ? WHERE key = 'schema_version'",
                      [str(schema.SCHEMA_VERSION + 1)])
    for read_only in (False, True):
        with pytest.raises(SchemaVersionError, match=r"newer wfplan.*Upgrade wfplan"):
            backend.open(read_only=read_only)


def test_a_duckdb_file_refused_is_not_left_locked(tmp_path: Path) -> None:
    db_path = tmp_path / "wfplan.duckdb"
    DuckDBStore(db_path).close()
    with duckdb.connect(str(db_path)) as con:
        con.execute("UPDATE schema_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError) as refused:
        DuckDBStore(db_path)
    # The exception (and its traceback) is still alive: another process must
    # nevertheless be able to take the write lock.
    assert refused.value is not None
    other = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys; duckdb.connect(sys.argv[1]).close()",
         str(db_path)], capture_output=True, text=True, check=False)
    assert other.returncode == 0, other.stderr


def test_a_database_not_written_by_wfplan_is_refused(backend: Backend) -> None:
    backend.sql("CREATE TABLE patients (id INTEGER)")
    for read_only in (True, False):
        with pytest.raises(SchemaVersionError, match="not written by wfplan"):
            backend.open(read_only=read_only)
    backend.sql("INSERT INTO patients VALUES (1)")  # still there, untouched


def test_a_file_that_is_not_a_duckdb_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("shopping list\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a valid DuckDB database"):
        DuckDBStore(path)
    assert path.read_text(encoding="utf-8") == "shopping list\n"


def test_read_only_needs_an_existing_database(backend: Backend) -> None:
    with pytest.raises(InputError, match=r"no database at|no wfplan database in"):
        backend.open(read_only=True)
    if backend.name == "duckdb":
        assert not Path(backend.db).exists()
    else:
        with pytest.raises(InputError, match=f"schema '{backend.schema}' does not exist"):
            backend.open(read_only=True)


def test_default_db_prefers_argument_then_environment(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("WFPLAN_DB", str(tmp_path / "env.duckdb"))
    assert default_db_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"
    assert default_db_path() == tmp_path / "env.duckdb"
    url = "postgresql://postgres@127.0.0.1:5432/test?schema=s"
    monkeypatch.setenv("WFPLAN_DB", url)
    assert default_db() == url
    assert is_postgres_url(default_db())
    assert default_db_path() == Path("wfplan.duckdb"), "files beside a server go to ./"
    monkeypatch.delenv("WFPLAN_DB")
    assert default_db_path() == Path("wfplan.duckdb")
    assert not is_postgres_url(default_db())


def test_an_older_duckdb_schema_is_migrated_on_open(tmp_path: Path) -> None:
    db_path = tmp_path / "wfplan.duckdb"
    DuckDBStore(db_path).close()
    with duckdb.connect(str(db_path)) as con:
        for table in schema.META_TABLES_V2:
            con.execute(f"DROP TABLE {table.name}")
        con.execute("DROP SEQUENCE ingest_ids")
        con.execute("UPDATE schema_meta SET value = '1' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError, match="Open it once for writing"):
        DuckDBStore(db_path, read_only=True)
    with DuckDBStore(db_path) as migrated:
        assert _version(migrated) == schema.SCHEMA_VERSION
        assert {t.name for t in schema.META_TABLES_V2} <= _tables(migrated)


def test_migration_to_5_starts_ingest_ids_after_those_in_use(backend: Backend) -> None:
    with backend.open() as store:
        store.ensure_writable_vintage("v")
        used = int(store.scalar("SELECT max(ingest_id) FROM ingests"))
        store.execute("UPDATE ingests SET ingest_id = ? WHERE ingest_id = ?", [used + 40, used])
    backend.sql("DROP SEQUENCE ingest_ids")
    backend.sql("UPDATE schema_meta SET value = '4' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError, match="schema version 4"):
        backend.open(read_only=True)
    with backend.open() as migrated:
        assert _version(migrated) == schema.SCHEMA_VERSION
        assert migrated.next_ingest_id() == used + 41


def test_migration_to_6_adds_the_la_icb_lookup_table(backend: Backend) -> None:
    with backend.open() as store:
        store.ensure_writable_vintage("v")
    backend.sql("DROP TABLE la_icb_lookup")
    backend.sql("UPDATE schema_meta SET value = '5' WHERE key = 'schema_version'")
    with pytest.raises(SchemaVersionError, match="schema version 5"):
        backend.open(read_only=True)
    with backend.open() as migrated:
        assert _version(migrated) == schema.SCHEMA_VERSION
        assert "la_icb_lookup" in _tables(migrated)
        columns = set(migrated.query("SELECT * FROM la_icb_lookup").columns)
    assert {"la_code", "icb_code", "share", "valid_from", "vintage", "source_row"} <= columns


def test_ingest_ids_come_from_a_sequence_and_are_never_reused(backend: Backend) -> None:
    with backend.open() as first, backend.open() as second:
        taken = [first.next_ingest_id(), second.next_ingest_id()]

        def take_then_fail() -> None:
            with first.transaction():
                taken.append(first.next_ingest_id())
                raise RuntimeError("stop")

        with pytest.raises(RuntimeError, match="stop"):
            take_then_fail()
        taken.append(second.next_ingest_id())
    assert len(set(taken)) == 4
    assert taken == sorted(taken)


def test_a_new_vintage_is_seeded_with_england_regions_and_icbs(any_store: Store) -> None:
    any_store.ensure_writable_vintage("v")
    levels = any_store.query("SELECT level, count(*) AS n FROM areas WHERE vintage = 'v' "
                             "GROUP BY level ORDER BY level")
    assert dict(zip(levels["level"], levels["n"], strict=True)) == {
        "england": 1, "region": 7, "icb": 42}
    parents = any_store.query("SELECT code, parent_code FROM areas WHERE vintage = 'v' "
                              "AND level = 'region'")
    assert set(parents["parent_code"]) == {codelists.ENGLAND_CODE}
    vintages = any_store.vintages()
    assert vintages["name"].tolist() == ["v"]
    assert vintages["ingests"].tolist() == [0], "the code-list seed is not a user ingest"
    assert vintages["rows"].tolist() == [50]


def test_frozen_vintage_refuses_writes(any_store: Store) -> None:
    any_store.ensure_writable_vintage("v")
    any_store.freeze_vintage("v")
    with pytest.raises(RefusedError, match="vintage 'v' is frozen"):
        any_store.ensure_writable_vintage("v")
    frozen = any_store.query("SELECT frozen, frozen_at FROM vintages WHERE name = 'v'")
    assert bool(frozen["frozen"].iat[0])
    first = frozen["frozen_at"].iat[0]
    any_store.freeze_vintage("v")
    assert any_store.scalar("SELECT frozen_at FROM vintages WHERE name = 'v'") == first


def test_unknown_vintage_is_a_clear_error(any_store: Store) -> None:
    any_store.ensure_writable_vintage("2024-03")
    with pytest.raises(InputError, match=r"no vintage named 'nope' \(vintages: 2024-03\)"):
        any_store.require_vintage("nope")
    with pytest.raises(InputError, match="no vintage named"):
        any_store.freeze_vintage("nope")


def test_transaction_rolls_back_on_error(any_store: Store) -> None:
    any_store.ensure_writable_vintage("v")
    before = any_store.table_counts()
    seen_inside = []

    def create_then_fail() -> None:
        with any_store.transaction():
            any_store.ensure_writable_vintage("w")
            seen_inside.append(any_store.vintage_exists("w"))
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        create_then_fail()
    assert seen_inside == [True]
    assert not any_store.vintage_exists("w")
    assert any_store.table_counts() == before


def test_nested_transactions_join_the_outer_one(any_store: Store) -> None:
    def inner_commits_outer_fails() -> None:
        with any_store.transaction():
            with any_store.transaction():
                any_store.ensure_writable_vintage("inner")
            raise RuntimeError("outer fails")

    with pytest.raises(RuntimeError, match="outer fails"):
        inner_commits_outer_fails()
    assert not any_store.vintage_exists("inner")


def test_table_counts_by_vintage(kit: Kit, any_store: Store) -> None:
    from wfplan.dataset.ingest import ingest

    ingest(any_store, [kit.org_csv(kit.tmp_path / "orgs.csv"),
                       kit.sip_csv(kit.tmp_path / "base.csv", 20)], "default")
    counts = any_store.table_counts("default")
    assert counts["staff_in_post"] == 20
    assert counts["organisations"] == len(kit.ORGANISATIONS)
    assert counts["areas"] == 50
    assert any_store.table_counts("other")["staff_in_post"] == 0


def test_placeholders_inside_literals_and_percent_signs_are_kept(any_store: Store) -> None:
    any_store.ensure_writable_vintage("50% of ?")
    found = any_store.query(
        "SELECT name, '?' AS mark, name LIKE '50%' AS starts FROM vintages "
        "WHERE name = ? AND name LIKE ? -- a comment with a ? in it", ["50% of ?", "%?"])
    assert found.to_dict("records") == [{"name": "50% of ?", "mark": "?", "starts": True}]


def _row_batch(rows: int, **columns: object) -> pa.Table:
    data = {"code": pa.array([f"AREA{i:07d}-with-a-long-name" for i in range(rows)]),
            "name": pa.array([f"Area number {i} of a large batch" for i in range(rows)]),
            "level": pa.array(["pcn"] * rows), "vintage": pa.array(["v"] * rows),
            "ingest_id": pa.array([99] * rows, pa.int64()),
            "source_row": pa.array(range(1, rows + 1), pa.int64())}
    data.update({k: pa.array(v) for k, v in columns.items()})  # type: ignore[call-overload]
    return pa.table(data)


def test_insert_matches_columns_by_name_and_fills_defaults(any_store: Store) -> None:
    batch = _row_batch(3, parent_code=["", None, 'quoted "x", with a comma\nand a line']).select(
        ["source_row", "name", "level", "code", "vintage", "ingest_id", "parent_code"])
    any_store.insert("areas", batch)
    rows = any_store.query("SELECT code, parent_code, valid_from, suppressed FROM areas "
                           "WHERE ingest_id = 99 ORDER BY source_row")
    assert rows["code"].tolist() == batch.column("code").to_pylist()
    assert rows["parent_code"].tolist()[0] == "", "an empty string stays empty, not NULL"
    assert rows["parent_code"].isna().tolist() == [False, True, False]
    assert rows["parent_code"].tolist()[2] == 'quoted "x", with a comma\nand a line'
    assert rows["valid_from"].isna().all()
    assert rows["suppressed"].tolist() == [False, False, False]


def test_insert_refuses_unknown_columns(any_store: Store) -> None:
    with pytest.raises(ValueError, match="no column"):
        any_store.insert("areas", _row_batch(2, colour=["red", "blue"]))
    assert any_store.scalar("SELECT count(*) FROM areas") == 0


def test_insert_inside_a_transaction_keeps_no_reference_to_its_batches(
        any_store: Store) -> None:
    # A large ingest inserts many batches in one transaction; if the database
    # held on to each batch's Arrow memory until COMMIT, memory would grow with
    # the file. Every batch must be freed as soon as it has been inserted.
    gc.collect()
    baseline = pa.total_allocated_bytes()
    with any_store.transaction():
        for start in range(3):
            batch = _row_batch(20_000).set_column(
                5, "source_row", pa.array(range(start * 20_000, (start + 1) * 20_000),
                                          pa.int64()))
            size = batch.nbytes
            any_store.insert("areas", batch)
            del batch
            gc.collect()
            assert pa.total_allocated_bytes() - baseline < size / 4
    assert any_store.scalar("SELECT count(*) FROM areas WHERE ingest_id = 99") == 60_000


def test_both_engines_return_the_same_frames_and_arrow_types(kit: Kit, tmp_path: Path,
                                                             request: pytest.FixtureRequest
                                                             ) -> None:
    from backends import make_backend
    from wfplan.dataset.ingest import ingest

    files = [kit.org_csv(tmp_path / "orgs.csv"), kit.sip_csv(tmp_path / "sip.csv", 30)]
    results = []
    for name in ("duckdb", "postgres"):
        made = make_backend(name, tmp_path)
        backend = next(made)
        request.addfinalizer(lambda made=made: next(made, None))  # type: ignore[misc]
        with backend.open() as store:
            ingest(store, files, "v")
            sql = ("SELECT s.*, o.name, count(*) OVER () AS n, CAST(s.fte AS DOUBLE PRECISION) "
                   "/ s.headcount AS share FROM staff_in_post s JOIN organisations o "
                   "USING (org_code) ORDER BY source_row")
            results.append((store.query(sql).drop(columns="ingest_id"),
                            store.query_arrow(sql).drop_columns("ingest_id"),
                            store.vintages().dtypes))
    (frame_d, arrow_d, vint_d), (frame_p, arrow_p, vint_p) = results
    assert frame_d.dtypes.to_dict() == frame_p.dtypes.to_dict()
    assert frame_d.equals(frame_p)
    assert arrow_d.schema == arrow_p.schema
    assert arrow_d.equals(arrow_p)
    assert vint_d.to_dict() == vint_p.to_dict()


def test_rows_inserted_in_a_transaction_are_seen_by_its_next_query(any_store: Store) -> None:
    with any_store.transaction():
        for start in (1, 4):
            any_store.insert("areas", _row_batch(3).set_column(
                5, "source_row", pa.array(range(start, start + 3), pa.int64())))
        inside = any_store.scalar("SELECT count(*) FROM areas WHERE ingest_id = 99")
        any_store.insert("organisations", pa.table({
            "org_code": ["RAA"], "name": ["Trust A"], "sector": ["nhs_trust"],
            "vintage": ["v"], "ingest_id": pa.array([99], pa.int64()),
            "source_row": pa.array([1], pa.int64())}))
        both = any_store.query("SELECT (SELECT count(*) FROM areas) AS areas, "
                               "(SELECT count(*) FROM organisations) AS orgs")
    assert inside == 6
    assert both.to_dict("records") == [{"areas": 6, "orgs": 1}]


def test_numbers_times_and_missing_values_come_back_exactly(any_store: Store) -> None:
    values = [1.5, float("nan"), float("inf"), float("-inf"), None, 1e-300, 0.1 + 0.2]
    rows = len(values)
    any_store.insert("source_flags", pa.table({
        "vintage": ["v"] * rows, "ingest_id": pa.array(range(rows), pa.int64()),
        "source": ["s"] * rows, "period": pa.array([None, *[date(2024, 3, 31)] * (rows - 1)]),
        "flag": ["f"] * rows, "value": pa.array(values, pa.float64()),
        "detail": ["", "t", "line\nbreak", '"quoted"', "a,b", " ", "NULL"]}))
    back = any_store.query_arrow("SELECT period, value, detail, value > 1 AS big, "
                                 "CAST(? AS TIMESTAMP) AS at FROM source_flags "
                                 "ORDER BY ingest_id", [datetime(2024, 1, 2, 3, 4, 5, 6)])
    got = back.column("value").to_pylist()
    assert got[0] == 1.5
    assert math.isnan(got[1])
    assert got[2:6] == [math.inf, -math.inf, None, 1e-300]
    assert got[6] == 0.1 + 0.2
    assert back.column("detail").to_pylist() == ["", "t", "line\nbreak", '"quoted"', "a,b",
                                                 " ", "NULL"]
    assert back.column("period").to_pylist()[:2] == [None, date(2024, 3, 31)]
    assert back.column("big").to_pylist() == [True, True, True, False, None, False, False]
    assert set(back.column("at").to_pylist()) == {datetime(2024, 1, 2, 3, 4, 5, 6)}
    assert back.schema.field("at").type == pa.timestamp("us")


def test_duckdb_never_draws_its_progress_bar_on_standard_output(tmp_path: Path) -> None:
    """The store's DuckDB connection has the progress bar off, as a command runs it.

    DuckDB draws its bar on stdout for a query over 2 s (a loaded machine), which broke
    ``wfplan sensitivity --format json`` in the service tests. Under pytest DuckDB starts
    with the bar off, so the store is opened in a child process, as a command opens it.
    """
    code = ("import sys; from wfplan.dataset.store import DuckDBStore\n"
            "with DuckDBStore(sys.argv[1]) as store:\n"
            "    print(store.scalar(\"SELECT current_setting('enable_progress_bar')\"))\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "bar.duckdb")],
                          capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == "False", done.stdout
