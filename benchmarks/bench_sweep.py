"""Benchmark ``wfplan sweep``: 200 ICB-level variants x 200 draws on 1 and 2 workers.

Builds the demo vintage in a temporary folder, then runs one sweep (the LTWP-style
scenario at ICB level, a 20 x 10 grid of leaver rates and international nurse
recruitment, 200 draws, every staff group reported in 2030 and 2035 for England
and every ICB) on each executor: the local pool with 1 worker (in this process)
and 2 workers, and a Dask LocalCluster with 1 and 2 worker processes. Times the
variants only (the inputs are built once before), checks that every executor
gives the same table, and prints JSON last.

``--memory`` instead measures the peak RSS of a Dask worker that runs one variant
at each level (england, region, icb, org) with ``--draws`` draws (``--org-draws``
at org level): the worker's RSS before the variant (Python, NumPy, pandas,
wfplan and Dask loaded, the inputs received) and its peak while it runs.

Usage: python benchmarks/bench_sweep.py [--quick] [--memory] [--draws N]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from wfplan.dataset.demo import build_demo
from wfplan.dataset.store import DuckDBStore
from wfplan.runs.executor import open_executor
from wfplan.runs.sweep import Task, collect, run_variant, variant_tasks
from wfplan.runs.sweep_spec import read_sweep

FULL = {"leavers": 20, "international": 10, "draws": 200}
QUICK = {"leavers": 4, "international": 2, "draws": 20}
EXECUTORS = (("local", 1), ("local", 2), ("local-cluster", 1), ("local-cluster", 2))
LEVELS = ("england", "region", "icb", "org")


def sweep_text(size: dict[str, int], level: str = "icb") -> str:
    return f"""
name = "bench"
scenarios = ["ltwp"]
vintage = "demo"
level = "{level}"
draws = {size["draws"]}
seed = 1
years = [2030, 2035]
areas = "all"
staff_groups = "each"
[[parameters]]
key = "leaver_rate_multiplier"
low = 0.8
high = 1.2
steps = {size["leavers"]}
[[parameters]]
key = "international_joiners_multiplier[nurses_health_visitors]"
low = 0.4
high = 1.0
steps = {size["international"]}
"""


def _timings(db: Path, folder: Path, size: dict[str, int]) -> dict[str, Any]:
    path = folder / "bench.toml"
    path.write_text(sweep_text(size), encoding="utf-8")
    source = read_sweep(path)
    with DuckDBStore(db, read_only=True) as store:
        tasks, inputs = variant_tasks(store, source)
    runs, first = [], None
    for scheduler, workers in EXECUTORS:
        start = time.perf_counter()
        with open_executor(scheduler, workers) as executor:
            ready = time.perf_counter()
            table = collect(source, tasks, inputs, executor).table
        seconds = time.perf_counter() - start
        if first is None:
            first = table
        pd.testing.assert_frame_equal(first, table, check_exact=True)
        runs.append({"scheduler": scheduler, "workers": workers,
                     "seconds": round(seconds, 2), "startup_seconds": round(ready - start, 2),
                     "variants_per_second": round(len(tasks) / seconds, 2)})
        print(f"{scheduler} x {workers}: {seconds:.1f} s", flush=True)
    key = next(iter(inputs))
    return {"variants": len(tasks), "draws": size["draws"], "level": "icb",
            "areas": len(inputs[key].coords.area), "staff_groups":
            len(inputs[key].coords.staff_group), "rows": len(first) if first is not None
            else 0, "identical": True, "runs": runs}


def _status_mib(field: str) -> float:
    """Return a figure of /proc/self/status (VmRSS: now; VmHWM: peak) in MiB."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _measured(shared: Any, task: Task) -> tuple[float, float]:
    """Run one variant; return the worker's RSS before it and its peak RSS during it.

    The peak is VmHWM, reset before the variant (``5`` to /proc/self/clear_refs);
    ``ru_maxrss`` would not do: Linux keeps it across the exec that started the worker.
    """
    before = _status_mib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5", encoding="ascii")
    run_variant(shared, task)
    return before, _status_mib("VmHWM")


def _memory(db: Path, folder: Path, draws: int, org_draws: int) -> list[dict[str, Any]]:
    out = []
    for level in LEVELS:
        path = folder / f"memory-{level}.toml"
        size = {"leavers": 2, "international": 2,
                "draws": org_draws if level == "org" else draws}
        text = sweep_text(size, level).replace('areas = "all"', 'areas = ["E92000001"]')
        path.write_text(text, encoding="utf-8")
        source = read_sweep(path)
        with DuckDBStore(db, read_only=True) as store:
            tasks, inputs = variant_tasks(store, source)
        with open_executor("local-cluster", 1) as executor:  # a fresh worker per level
            before, after = executor.map(_measured, tasks[:1], inputs)[0]
        key = next(iter(inputs))
        out.append({"level": level, "areas": len(inputs[key].coords.area),
                    "staff_groups": len(inputs[key].coords.staff_group), "draws": size["draws"],
                    "worker_rss_before_mib": round(before), "worker_peak_mib": round(after),
                    "variant_mib": round(after - before)})
        print(json.dumps(out[-1]), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="8 variants x 20 draws")
    parser.add_argument("--memory", action="store_true",
                        help="peak RSS of one variant at each level instead")
    parser.add_argument("--draws", type=int, default=200, help="draws for --memory")
    parser.add_argument("--org-draws", type=int, default=10,
                        help="draws for --memory at org level (the demo has ~8,700 orgs)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ.setdefault("WFPLAN_INPUTS_CACHE", str(folder / "cache"))
        db = folder / "demo.duckdb"
        with DuckDBStore(db) as store:
            build_demo(store, workdir=folder / "files")
        if args.memory:
            result: dict[str, Any] = {"memory": _memory(db, folder, args.draws, args.org_draws)}
        else:
            result = _timings(db, folder, QUICK if args.quick else FULL)
        result["load_average"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(result))


if __name__ == "__main__":
    main()
