"""Time `wfplan metrics --level org` as a terminal table and as CSV on the demo vintage.

Usage: python benchmarks/bench_metrics_table.py [DB]   (default /tmp/wfplan-bench-demo.duckdb;
built with `wfplan demo --db DB` first if missing). Each format is run three times in a
fresh process with COLUMNS=120; the best time is printed with the load average.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def run(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "wfplan.cli", *args], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    db = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/wfplan-bench-demo.duckdb")
    env = {**os.environ, "COLUMNS": "120"}
    if not db.exists():
        run(["demo", "--db", str(db)], env)
    base = ["metrics", "--db", str(db), "--vintage", "demo", "--level", "org"]
    for label, extra in (("table", []), ("csv", ["--format", "csv"])):
        best = min(run([*base, *extra], env) for _ in range(3))
        print(f"{label}: {best:.1f} s (load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
