"""`wfplan demo` end to end through the CLI, run in an empty folder, then the commands a
new user types next, with no --db and no --vintage."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from wfplan.cli import app
from wfplan.dataset import codelists

if TYPE_CHECKING:
    from conftest import DemoRun

runner = CliRunner()
OUTPUT: dict[str, str] = {}


@pytest.fixture(scope="module")
def demo_db(demo_command: DemoRun) -> Path:
    """``wfplan demo`` with no options in an empty folder (once a session): ./wfplan.duckdb."""
    db, result = demo_command.db, demo_command.result
    OUTPUT["demo"] = result.output
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


def _csv(args: list[str], db: Path) -> list[dict[str, str]]:
    result = runner.invoke(app, [*args, "--db", str(db), "--vintage", "demo", "--format", "csv"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_demo_a_second_time_in_80_columns_shows_every_number_whole(
        demo_db: Path, demo_command_copy: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "WFPLAN_DB"}
    result = subprocess.run([sys.executable, "-m", "wfplan.cli", "demo"],
                            cwd=demo_command_copy.parent,
                            env={**env, "COLUMNS": "80"}, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "already exists" in result.stdout
    assert "VERIFIED by re-running it" in result.stdout
    assert not re.search(r"[\d,.]…", result.stdout)  # no number cut short ("3,…")
    drawn = [line for line in result.stdout.splitlines() if line[:1] in "┏┃┡│└"]
    assert drawn
    assert max(len(line) for line in drawn) <= 80
    numbers = set(re.findall(r"-?\d[\d,]*(?:\.\d+)?", result.stdout))
    england = _csv(["metrics"], demo_db)
    regions = _csv(["metrics", "--level", "region", "--sector", "nhs_trust"], demo_db)
    for row in england + regions:
        for column, digits in (("headcount", 0), ("fte", 1), ("vacancy_fte", 1)):
            value = float(row[column])  # CSV keeps 12 digits: allow for the last one
            shown = {f"{value + d:,.{digits}f}" for d in (-1e-6, 0, 1e-6)}
            assert shown & numbers, (row["area_code"], column, value)
    assert "England: NHS trusts" in " ".join(result.stdout.split())


def _next(output: str) -> list[str]:
    hint = " ".join(output.split()).split("Next: ", 1)[1]
    return re.findall(r"'(wfplan [^']+)'", hint)


def test_the_demo_hint_names_commands_that_work_as_typed(demo_db: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    commands = _next(OUTPUT["demo"])
    assert commands == ["wfplan metrics --level icb", "wfplan gaps",
                        "wfplan project baseline --draws 50", "wfplan verify "
                        "wfplan-demo-assessment", "wfplan --help"]
    monkeypatch.chdir(demo_db.parent)
    monkeypatch.delenv("WFPLAN_DB", raising=False)
    for command in commands[:3]:
        result = runner.invoke(app, shlex.split(command)[1:])
        assert result.exit_code == 0, (command, result.output)
        assert "using vintage 'demo' (the only one in wfplan.duckdb)" in result.stderr
    assert (demo_db.parent / "wfplan-demo-assessment" / "manifest.json").is_file()


def test_after_the_demo_region_metrics_need_no_vintage(demo_db: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo_db.parent)
    monkeypatch.delenv("WFPLAN_DB", raising=False)
    regions = json.loads(runner.invoke(app, ["metrics", "--level", "region", "--format",
                                             "json"]).stdout)["current_position"]
    england = json.loads(runner.invoke(app, ["metrics", "--format", "json"]).stdout)[
        "current_position"]
    assert [r["area_code"] for r in regions] == sorted(codelists.get("region").codes)
    assert sum(r["headcount"] for r in regions) == england[0]["headcount"]
    assert sum(r["fte"] for r in regions) == pytest.approx(england[0]["fte"], rel=1e-9)


def test_after_the_demo_gaps_need_no_vintage_and_show_no_minus_zero(
        demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo_db.parent)
    monkeypatch.delenv("WFPLAN_DB", raising=False)
    result = runner.invoke(app, ["gaps"])
    assert result.exit_code == 0, result.output
    assert "Data gaps in vintage 'demo'; newest workforce period: 2025-03-31" in result.stdout
    assert "-0.0" not in result.stdout
    assert "staff_survey.parquet (tidy template)" in " ".join(result.stdout.split())


def test_comparing_a_bundle_with_itself_says_no_change_in_one_line(demo_db: Path) -> None:
    bundle = demo_db.parent / "wfplan-demo-assessment"
    result = runner.invoke(app, ["compare", str(bundle), str(bundle)])
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1
    assert result.stdout.startswith("No change: the England gap of every scenario, staff "
                                    "group and horizon (principal run) is the same")
    assert result.stdout.rstrip().endswith("exactly.")
