"""Time the whole test suite as CI runs it, with the load average before and after.

Run from the repository root, in the environment the README's second command made:

    python benchmarks/bench_suite.py [-- PYTEST ARGS]

It runs ``python -m pytest -q`` with ``CI=true`` (so no test may skip for want of
PostgreSQL, Chromium or ../shared/data), and prints one JSON line: wall seconds,
the pytest summary line, and the 1-minute load average before and after. The
suite itself is single-threaded, so on a quiet machine the load during the run is
about 1; "quiet" means the load before the run, from other work, is below 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path


def load_average() -> float:
    """Return the 1-minute load average."""
    return os.getloadavg()[0]


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[1]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    before = load_average()
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *extra], cwd=root, env={**os.environ, "CI": "true"},
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    print(json.dumps({
        "date": datetime.now(UTC).date().isoformat(),
        "command": "python -m pytest -q (CI=true)",
        "wall_seconds": round(seconds, 1),
        "summary": lines[-1] if lines else "",
        "exit_code": done.returncode,
        "load_before": round(before, 2),
        "load_after": round(load_average(), 2),
        "cpus": os.cpu_count(),
    }))
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
