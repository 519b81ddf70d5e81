"""What only the PostgreSQL store does: URLs and schemas, connection errors, COPY errors.

The tests every engine passes are in test_store.py; the concurrency of several
processes in test_ingest_concurrency.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pytest

from wfplan.dataset.store import PostgresStore, open_store
from wfplan.errors import InputError

if TYPE_CHECKING:
    from backends import Backend
    from conftest import Kit


def _row_batch(rows: int, **columns: object) -> pa.Table:
    data = {"code": pa.array([f"AREA{i:07d}" for i in range(rows)]),
            "name": pa.array([f"Area number {i}" for i in range(rows)]),
            "level": pa.array(["pcn"] * rows), "vintage": pa.array(["v"] * rows),
            "ingest_id": pa.array([99] * rows, pa.int64()),
            "source_row": pa.array(range(1, rows + 1), pa.int64())}
    data.update({k: pa.array(v) for k, v in columns.items()})  # type: ignore[call-overload]
    return pa.table(data)


def test_a_postgres_server_that_cannot_be_reached_is_a_clear_error() -> None:
    with pytest.raises(InputError, match=r"cannot connect to postgresql://wfplan@127\.0\.0\.1:1/x"):
        open_store("postgresql://wfplan:secret@127.0.0.1:1/x?connect_timeout=2")


def test_a_postgres_schema_name_must_be_an_identifier() -> None:
    with pytest.raises(InputError, match="is not a schema name"):
        PostgresStore("postgresql://postgres@127.0.0.1:5432/test?schema=a;drop")


def test_the_postgres_schema_can_be_named_by_search_path(tmp_path: Path) -> None:
    from backends import SERVER, make_backend

    made = make_backend("postgres", tmp_path)
    backend = next(made)
    try:
        url = f"{SERVER}?options=-csearch_path%3D{backend.schema}"
        with open_store(url) as store:
            assert isinstance(store, PostgresStore)
            assert store.schema == backend.schema
            store.ensure_writable_vintage("by-options")
        with backend.open(read_only=True) as same:
            assert same.vintage_exists("by-options")
    finally:
        next(made, None)


def test_a_postgres_copy_refused_by_the_server_rolls_the_transaction_back(
        pg_backend: Backend) -> None:
    import psycopg

    with pg_backend.open() as store:
        store.ensure_writable_vintage("v")
        before = store.table_counts()

        def insert_then_read() -> None:
            with store.transaction():
                store.insert("areas", _row_batch(3))
                store.insert("areas", _row_batch(2, name=["fine", "a NUL \x00 byte"]))
                store.scalar("SELECT count(*) FROM areas")

        with pytest.raises(psycopg.Error, match="0x00"):
            insert_then_read()
        assert store.table_counts() == before
        store.insert("areas", _row_batch(1))  # the store still works
        assert store.scalar("SELECT count(*) FROM areas WHERE ingest_id = 99") == 1


def test_every_command_takes_a_postgres_url_from_wfplan_db(kit: Kit, pg_backend: Backend,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setenv("WFPLAN_DB", pg_backend.db)
    kit.loaded(pg_backend.db, kit.org_csv(kit.tmp_path / "orgs.csv"),
               kit.sip_csv(kit.tmp_path / "sip.csv", 4))
    listed = kit.cli("vintages")  # no --db: $WFPLAN_DB
    assert listed.exit_code == 0, listed.output
    assert "default" in listed.stdout
    frozen = kit.cli("vintages", "freeze", "default")
    assert frozen.exit_code == 0, frozen.output
    refused = kit.cli("ingest", kit.sip_csv(kit.tmp_path / "late.csv", 2, org="RBB"))
    assert refused.exit_code == 4, refused.output
    assert "vintage 'default' is frozen" in refused.stderr


def test_an_unreachable_postgres_server_is_exit_2_without_a_traceback(kit: Kit) -> None:
    result = kit.cli("vintages", "--db", "postgresql://wfplan:secret@127.0.0.1:1/x")
    assert result.exit_code == 2, result.output
    said = kit.plain(result.stderr)
    assert "cannot connect to postgresql://wfplan@127.0.0.1:1/x" in said
    assert "secret" not in result.output
    assert "Traceback" not in result.output


def test_a_one_column_result_keeps_its_null_rows_on_postgres(pg_backend: Backend) -> None:
    """COPY writes a one-column NULL row as an empty line: it is a row, not a blank to skip.

    The data-gap report's ``max(period)`` of a table with no rows in a vintage came
    back with no row at all on PostgreSQL (an IndexError in ``latest_period``).
    """
    with pg_backend.open() as store:
        empty_max = store.query("SELECT max(source_row) AS m FROM areas WHERE vintage = 'none'")
        assert len(empty_max) == 1
        assert empty_max["m"].isna().all()
        rows = store.query("SELECT x FROM (VALUES (1), (NULL), (3), (NULL)) AS t(x) ORDER BY 1")
        assert len(rows) == 4
        assert int(rows["x"].isna().sum()) == 2
        texts = store.query("SELECT s FROM (VALUES ('a'), (NULL), ('')) AS t(s)")
        assert texts["s"].tolist()[0] == "a"
        assert texts["s"].isna().tolist() == [False, True, False]
