"""`wfplan demo` end to end through the CLI, then `wfplan metrics` on its vintage."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from wfplan.cli import app
from wfplan.dataset import codelists

if TYPE_CHECKING:
    from conftest import DemoRun

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_db(demo_command: DemoRun) -> Path:
    db, result = demo_command.db, demo_command.result  # `wfplan demo --db DB`, once a session
    assert result.exit_code == 0, result.output
    assert "built vintage 'demo'" in result.output
    bundle = db.parent / "wfplan-demo-assessment"
    assert f"assessment bundle: {bundle}" in result.output
    assert "VERIFIED by re-running it" in result.output
    assert f"report: {bundle / 'report.html'}" in result.output
    assert f"report (PDF): {bundle / 'report.pdf'}" in result.output
    assert (bundle / "report.pdf").stat().st_size > 10_000
    assert (bundle / "manifest.json").is_file()
    return db


def _metrics(db: Path, *args: str) -> dict:
    result = runner.invoke(app, ["metrics", "--db", str(db), "--vintage", "demo",
                                 "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_region_metrics_list_exactly_the_seven_regions_summing_to_england(demo_db: Path) -> None:
    regions = _metrics(demo_db, "--level", "region")["current_position"]
    england = _metrics(demo_db, "--level", "england")["current_position"]
    assert [r["area_code"] for r in regions] == sorted(codelists.get("region").codes)
    assert len(england) == 1
    assert sum(r["fte"] for r in regions) == pytest.approx(england[0]["fte"], rel=1e-12)
    assert sum(r["headcount"] for r in regions) == england[0]["headcount"]


def test_icbs_sum_to_their_regions(demo_db: Path) -> None:
    icbs = _metrics(demo_db, "--level", "icb")["current_position"]
    regions = {r["area_code"]: r for r in _metrics(demo_db, "--level", "region")[
        "current_position"]}
    assert len(icbs) == 42
    parent = {r["code"]: r["region_code"] for r in codelists.get("icb").rows}
    for code, region in regions.items():
        fte = sum(i["fte"] for i in icbs if parent[i["area_code"]] == code)
        assert fte == pytest.approx(region["fte"], rel=1e-12)


def test_demo_a_second_time_shows_the_existing_vintage(demo_db: Path,
                                                       demo_command_copy: Path) -> None:
    result = runner.invoke(app, ["demo", "--db", str(demo_command_copy)])
    assert result.exit_code == 0, result.output
    assert "already exists" in result.output
    assert "VERIFIED by re-running it" in result.output
