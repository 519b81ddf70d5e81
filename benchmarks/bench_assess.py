"""Time `wfplan assess` on the demo vintage with 1,000 draws (issue 5's 60-second target).

Builds the demo vintage into a temporary database (not timed), then runs the
assessment of ``examples/assessment-demo.toml`` (two scenarios, 1,000 draws,
region level summed to England, HTML and PDF report) and verifies the bundle.
The last line is JSON: ``draws``, ``assess_seconds``, ``verify_seconds``,
``peak_rss_mb``.

    python benchmarks/bench_assess.py [--draws N]
"""

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from wfplan.assessment.bundle import assess
from wfplan.assessment.verify import verify
from wfplan.dataset.demo import build_demo
from wfplan.dataset.store import DuckDBStore

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with DuckDBStore(folder / "demo.duckdb") as store:
            build_demo(store, workdir=folder / "files")
        example = (ROOT / "examples" / "assessment-demo.toml").read_text(encoding="utf-8")
        config = ROOT / "examples" / f".bench-{args.draws}.toml"
        config.write_text(example.replace("draws = 1000", f"draws = {args.draws}"),
                          encoding="utf-8")
        try:
            with DuckDBStore(folder / "demo.duckdb", read_only=True) as store:
                started = time.perf_counter()
                bundle = assess(store, config, folder / "bundle")
                assess_seconds = time.perf_counter() - started
        finally:
            config.unlink()
        started = time.perf_counter()
        verdict = verify(bundle.path)
        verify_seconds = time.perf_counter() - started
        if not verdict.ok:
            print("\n".join(str(f) for f in verdict.findings), file=sys.stderr)
            return 1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"draws": args.draws, "assess_seconds": round(assess_seconds, 2),
                      "verify_seconds": round(verify_seconds, 2),
                      "peak_rss_mb": round(peak, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
