"""Every real publication in ../shared/data loads into one vintage through the CLI.

``international_who/`` is optional (international comparison) and the download
manifest and data profile describe files rather than hold data, so they are
left out. Runs in CI; skipped locally only when the data is missing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import RealVintage

pytestmark = pytest.mark.realdata


def _wfplan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wfplan.cli", *args], capture_output=True,
                          text=True, check=False, timeout=600)


@pytest.fixture(scope="module")
def real_db(real_vintage: RealVintage) -> Path:
    # `wfplan ingest --db DB --vintage real FILE...` of every file, once a session
    db, files, result = real_vintage.db, real_vintage.files, real_vintage.result
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"{len(files)} file(s) loaded" in result.stdout
    return db


def test_all_real_files_load_into_one_vintage_without_errors(real_db: Path) -> None:
    result = _wfplan("vintages", "--db", str(real_db))
    assert result.returncode == 0, result.stderr
    assert "real" in result.stdout


def test_metrics_and_gaps_run_on_the_real_vintage(real_db: Path) -> None:
    metrics = _wfplan("metrics", "--db", str(real_db), "--vintage", "real", "--level", "region",
                      "--format", "json")
    assert metrics.returncode == 0, metrics.stderr
    regions = json.loads(metrics.stdout)["current_position"]
    assert len([r for r in regions if r["area_code"].startswith("Y")]) == 7
    gaps = _wfplan("gaps", "--db", str(real_db), "--vintage", "real", "--format", "csv")
    assert gaps.returncode == 0, gaps.stderr
    assert "flows" in gaps.stdout


def test_metrics_report_net_change_for_pcn_roles(real_db: Path) -> None:
    as_json = _wfplan("metrics", "--db", str(real_db), "--vintage", "real", "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    change = json.loads(as_json.stdout)["net_change"]
    pcn = [row for row in change if row["source"] == "pcn_workforce"]
    assert pcn, "no net change reported for the PCN publication"
    assert {str(row["period_end"])[:10] for row in pcn} == {"2021-09-30"}
    assert any(row["role"] == "clinical_pharmacist" for row in pcn)
    table = _wfplan("metrics", "--db", str(real_db), "--vintage", "real")
    assert "Net change" in table.stdout
    assert "flows unavailable" in table.stdout


def test_metrics_say_when_the_latest_census_misses_sectors(real_db: Path) -> None:
    result = _wfplan("metrics", "--db", str(real_db), "--vintage", "real", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert "does not cover every sector" in result.stderr
    assert "NHS trusts 2018-06-30" in result.stderr
    older = _wfplan("metrics", "--db", str(real_db), "--vintage", "real", "--format", "json",
                    "--period", "2018-06-30", "--sector", "nhs_trust")
    assert older.returncode == 0, older.stderr
    england = json.loads(older.stdout)["current_position"][0]
    assert england["fte"] > 900_000


def test_the_default_england_view_shows_each_figures_coverage(real_db: Path) -> None:
    # The latest census is primary care's; the trusts' sickness and survey do not cover it.
    result = _wfplan("metrics", "--db", str(real_db), "--vintage", "real", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    england = data["current_position"][0]
    assert england["headcount"] > 0
    assert england["sickness_absence_rate"] is None
    assert england["burnout_rate"] is None
    coverage = {item["metric"]: item for item in data["coverage"]}
    assert coverage["headcount"]["sectors"] == ["primary_care"]
    assert coverage["headcount"]["period"] == england["period"]
    for figure in ("sickness_absence_rate", "burnout_rate"):
        assert "nhs_trust" in coverage[figure]["sectors"]
        assert "Primary care only" in coverage[figure]["note"]
    trusts = _wfplan("metrics", "--db", str(real_db), "--vintage", "real", "--format", "json",
                     "--period", "2017-09-30", "--sector", "nhs_trust")
    burnout = {item["metric"]: item for item in json.loads(trusts.stdout)["coverage"]}[
        "burnout_rate"]
    assert "no staff survey for the census 2017-09" in burnout["note"]


def test_ons_region_and_uk_codes_are_not_unknown(real_db: Path) -> None:
    import duckdb

    with duckdb.connect(str(real_db), read_only=True) as con:
        found = con.execute("SELECT count(*) FROM unmapped WHERE value LIKE 'E12%' "
                            "OR value = 'K02000001'").fetchone()
    assert found == (0,)
