"""The projection benchmark runs end to end in its quick mode (no timing is asserted)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_small_run_prints_the_json_summary():
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "bench_projection.py"),
            "--small",
            "--repeat",
            "1",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=300,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    for key in (
        "cells",
        "draws",
        "years",
        "seconds",
        "peak_rss_mb",
        "reference_seconds_scaled",
        "speedup",
        "org_seconds",
    ):
        assert key in summary
    assert summary["draws"] == 20
    assert summary["seconds"] > 0
