"""Ingest of good files: stored values, the ingest log, re-ingest, frozen vintages, schemas.

Tests taking ``any_store`` or ``any_base_db`` run on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import pytest

from wfplan.dataset.ingest import IngestError, ingest
from wfplan.dataset.provenance import sha256_file
from wfplan.dataset.store import DuckDBStore, Store
from wfplan.errors import InputError, RefusedError

if TYPE_CHECKING:
    from conftest import Kit

ROOT = Path(__file__).resolve().parents[1]


def test_rows_are_stored_typed_with_lineage(kit: Kit, store: DuckDBStore) -> None:
    path = kit.write(kit.tmp_path / "sip.csv", "\n".join([
        "period,org_code,staff_group,role,age_band,sex,headcount,fte",
        "2024-03,RAA,hchs_doctors,consultant,55_59,female,12,11.25",
        "31/03/2024,RAA,managers,,,male,3,",
        "2024-03-31,RAA,midwives,,60_64,,*,2.5",
    ]) + "\n")
    report = ingest(store, [kit.org_csv(kit.tmp_path / "orgs.csv"), path], "2024-03")
    assert [f.status for f in report.files] == ["loaded", "loaded"]
    assert report.files[1].rows == {"staff_in_post": 3}
    assert report.warnings == []
    rows = store.query("SELECT * FROM staff_in_post ORDER BY source_row")
    assert rows["period"].map(lambda d: pd.Timestamp(d).date()).tolist() == [
        date(2024, 3, 31)] * 3
    assert rows["role"].tolist()[0] == "consultant"
    assert rows["role"].isna().tolist() == [False, True, True]
    assert rows["age_band"].isna().tolist() == [False, True, False]
    assert rows["grade"].isna().all()
    assert rows["headcount"].tolist()[:2] == [12, 3]
    assert pd.isna(rows["headcount"].iat[2])
    assert rows["fte"].tolist()[0] == 11.25
    assert pd.isna(rows["fte"].iat[1])
    assert rows["suppressed"].tolist() == [False, False, True]
    assert rows["source_row"].tolist() == [1, 2, 3]
    assert rows["vintage"].unique().tolist() == ["2024-03"]
    column_types = dict(store.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'staff_in_post'").values.tolist())
    assert column_types["period"] == "DATE"
    assert column_types["headcount"] == "BIGINT"
    assert column_types["fte"] == "DOUBLE"


def test_ingest_log_records_each_file(kit: Kit, any_store: Store) -> None:
    orgs = kit.org_csv(kit.tmp_path / "orgs.csv")
    sip = kit.sip_csv(kit.tmp_path / "sip.csv", 6)
    ingest(any_store, [sip, orgs], "v")
    log = any_store.query("SELECT * FROM ingests WHERE format <> 'codelists' ORDER BY ingest_id")
    assert log["source_file"].tolist() == ["orgs.csv", "sip.csv"], "reference data first"
    assert log["sha256"].tolist() == [sha256_file(orgs), sha256_file(sip)]
    assert log["rows"].tolist() == [len(kit.ORGANISATIONS), 6]
    assert log["tables"].tolist() == ["organisations", "staff_in_post"]
    assert log["format"].tolist() == ["tidy", "tidy"]
    ids = any_store.query("SELECT DISTINCT ingest_id FROM staff_in_post")["ingest_id"].tolist()
    assert ids == [int(log["ingest_id"].iat[1])]


def test_reference_data_in_the_same_call_maps_organisations(kit: Kit,
                                                             store: DuckDBStore) -> None:
    report = ingest(store, [kit.sip_csv(kit.tmp_path / "sip.csv", 3, org="RDD"),
                            kit.org_csv(kit.tmp_path / "orgs.csv")], "v")
    assert report.warnings == []
    assert store.scalar("SELECT count(*) FROM unmapped") == 0


def test_area_codes_are_known_organisations(kit: Kit, store: DuckDBStore) -> None:
    # National or regional totals use the area's code as org_code.
    report = ingest(store, [kit.sip_csv(kit.tmp_path / "england.csv", 2, org="E92000001"),
                            kit.sip_csv(kit.tmp_path / "region.csv", 2, org="y56")], "v")
    assert report.warnings == []
    codes = store.query("SELECT DISTINCT org_code FROM staff_in_post ORDER BY 1")["org_code"]
    assert codes.tolist() == ["E92000001", "Y56"]


def test_same_file_twice_is_already_loaded(kit: Kit, any_store: Store) -> None:
    sip = kit.sip_csv(kit.tmp_path / "sip.csv", 5)
    ingest(any_store, [sip], "v")
    before = kit.snapshot(any_store)
    copy = kit.write(kit.tmp_path / "renamed.csv", sip.read_text(encoding="utf-8"))
    report = ingest(any_store, [sip, copy], "v")
    assert [f.status for f in report.files] == ["already loaded", "already loaded"]
    assert kit.snapshot(any_store) == before
    # Another vintage takes the same file.
    assert ingest(any_store, [sip], "w").files[0].status == "loaded"


def test_cli_reports_already_loaded_and_adds_no_rows(kit: Kit, any_base_db: str) -> None:
    before = kit.db_snapshot(any_base_db)
    result = kit.loaded(any_base_db, kit.tmp_path / "base.csv")
    assert "base.csv: already loaded" in result.stdout
    assert "0 file(s) loaded" in result.stdout
    assert kit.db_snapshot(any_base_db) == before


def test_frozen_vintage_refuses_the_ingest(kit: Kit, any_base_db: str) -> None:
    freeze = kit.cli("vintages", "freeze", "default", "--db", any_base_db)
    assert freeze.exit_code == 0, freeze.output
    assert "vintage 'default' is frozen" in freeze.stdout
    message = kit.refused(any_base_db, kit.sip_csv(kit.tmp_path / "late.csv", 2, org="RBB"),
                          code=4)
    assert "vintage 'default' is frozen" in message
    assert "ingest into a new vintage instead" in message
    kit.loaded(any_base_db, kit.tmp_path / "late.csv", extra=("--vintage", "default-2"))


def test_frozen_vintage_refuses_even_an_already_loaded_file(kit: Kit, any_store: Store) -> None:
    sip = kit.sip_csv(kit.tmp_path / "sip.csv", 2)
    ingest(any_store, [sip], "v")
    any_store.freeze_vintage("v")
    with pytest.raises(RefusedError):
        ingest(any_store, [sip], "v")


def test_newer_database_is_refused_by_every_command(kit: Kit, base_db: Path) -> None:
    con = duckdb.connect(str(base_db))
    con.execute("UPDATE schema_meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    for args in (("ingest", kit.sip_csv(kit.tmp_path / "x.csv", 1)), ("vintages",),
                 ("metrics",)):
        result = kit.cli(*args, "--db", base_db)
        assert result.exit_code == 4, result.output
        assert "Upgrade wfplan" in kit.plain(result.stderr)
        assert "Traceback" not in result.output


def test_foreign_duckdb_file_is_refused(kit: Kit, tmp_path: Path) -> None:
    path = tmp_path / "theirs.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE beds (ward VARCHAR, beds INTEGER)")
    con.close()
    result = kit.cli("ingest", kit.sip_csv(tmp_path / "x.csv", 1), "--db", path)
    assert result.exit_code == 4, result.output
    assert "not written by wfplan" in kit.plain(result.stderr)
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM information_schema.tables").fetchone() == (1,)
    finally:
        con.close()


def test_no_files_is_an_input_error(store: DuckDBStore) -> None:
    with pytest.raises(InputError, match="no files"):
        ingest(store, [], "v")


def test_a_failed_ingest_creates_no_vintage(kit: Kit, any_store: Store) -> None:
    lines = kit.sip_lines(2)
    lines[0] = lines[0].rsplit(",", 1)[0] + ",-1"
    with pytest.raises(IngestError):
        ingest(any_store, [kit.sip_file("bad.csv", lines)], "new")
    assert not any_store.vintage_exists("new")
    assert set(any_store.table_counts().values()) == {0}


def test_ingest_error_lists_issues_and_counts(kit: Kit, any_store: Store) -> None:
    lines = [line.rsplit(",", 1)[0] + ",-1" for line in kit.sip_lines(60)]
    with pytest.raises(IngestError) as raised:
        ingest(any_store, [kit.sip_file("bad.csv", lines)], "v")
    assert raised.value.total == 60
    assert len(raised.value.errors) == 50
    assert [e.row for e in raised.value.errors] == list(range(1, 51))
    assert raised.value.exit_code == 2


def test_progress_is_reported_per_chunk(kit: Kit, store: DuckDBStore,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from wfplan.dataset import readers

    monkeypatch.setattr(readers, "CHUNK_ROWS", 10)
    calls: list[tuple[str, int]] = []
    ingest(store, [kit.sip_csv(kit.tmp_path / "sip.csv", 25)], "v",
           progress=lambda path, rows: calls.append((path.name, rows)))
    assert calls == [("sip.csv", 10), ("sip.csv", 20), ("sip.csv", 25)]
    assert store.scalar("SELECT count(*) FROM staff_in_post") == 25


def test_benchmark_runs_and_prints_its_figures(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_ingest.py"), "--rows", "20000",
         "--keep", str(tmp_path)], capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(figures) == {"engine", "rows", "seconds", "rows_per_second", "peak_rss_mb",
                            "cpu_seconds"}
    assert figures["engine"] == "duckdb"
    assert figures["rows"] == 20000
    assert figures["seconds"] > 0
    assert figures["peak_rss_mb"] > 0
    store = DuckDBStore(tmp_path / "bench.duckdb", read_only=True)
    try:
        assert store.scalar("SELECT count(*) FROM staff_in_post") == 20000
        assert store.scalar("SELECT count(*) FROM unmapped") == 0
    finally:
        store.close()


def test_benchmark_runs_on_postgres_and_drops_its_schema(tmp_path: Path) -> None:
    import backends

    backends.require_postgres()
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_ingest.py"), "--rows", "20000",
         "--keep", str(tmp_path), "--db", backends.SERVER], capture_output=True, text=True,
        check=False, timeout=600)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["engine"] == "postgres"
    assert figures["rows"] == 20000
    assert figures["rows_per_second"] > 0
    import psycopg

    with psycopg.connect(backends.SERVER) as conn:
        left = conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE "
                            "'wfplan_bench_%'").fetchone()
    assert left == (0,)
