"""The end-to-end benchmark runs in its quick mode and prints one JSON line per command.

No timing is asserted: the figures belong in benchmarks/RESULTS.md, measured on a
quiet machine. The commands run here are those that take seconds at 20 draws;
``assess`` and ``verify`` take minutes even then (the report and its PDF).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ("project icb", "project icb cached", "project org", "metrics org table", "ingest")


def test_quick_run_prints_a_line_per_command_and_the_yardstick(demo_vintage):
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_end_to_end.py"), "--quick",
         "--db", str(demo_vintage.db), "--only", ",".join(COMMANDS)],
        capture_output=True, text=True, check=True, cwd=ROOT, timeout=600)
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [line["command"] for line in lines] == [*COMMANDS, "yardstick"]
    *runs, ruler = lines
    assert ruler["seconds"] > 0
    assert ruler["draws"] == 20
    for run in runs:
        assert run["seconds"] > 0
        assert run["peak_rss_mb"] > 0
        assert run["ratio"] == pytest.approx(run["seconds"] / ruler["seconds"], rel=0.01)
    assert runs[-1]["rows_per_second"] > 0


def test_a_failing_command_is_reported_with_its_exit_status(tmp_path):
    missing = tmp_path / "no-demo.duckdb"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_end_to_end.py"), "--quick",
         "--db", str(missing), "--only", "project icb"],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode != 0
    assert "project icb: exit" in result.stderr
