"""Time the commands a user runs, end to end, on the demo vintage (issue 12).

Each command runs as a subprocess (``python -m wfplan.cli ...``), as a user runs
it; one JSON line is printed per command with its wall seconds, CPU seconds (user and
system, every thread) and peak RSS (``wait4``'s resource usage of that child and its
waited-for children), then a
``yardstick`` line: a plain NumPy percentile summary of the same size as the
ICB projection (``np.percentile(values, (5, 50, 95), axis=0)`` over the draws of
every variable), timed in this process. Each command's ``ratio`` is its wall
time over the yardstick's: that ratio, not the seconds, should hold on another
machine.

Commands (the issue's table): ``wfplan demo`` (it builds the database the others
use; skipped with ``--db``), ``wfplan project`` LTWP-style at ICB level to
Parquet, the same on a frozen copy of the demo with its inputs already cached
(``project icb cached``: a planner's second run; the cache is warmed by one untimed
run, in a folder of the benchmark's own), the same at organisation level (the NHS
trust staff groups: the demo's 8,741 organisations with every staff group are refused
as too large),
``wfplan assess examples/assessment-demo.toml``, ``wfplan verify`` of that bundle
(and ``verify --full``, which also prints ``report.pdf`` again),
``wfplan metrics --level org`` as a table (``COLUMNS=120``), and the ingest of a
tidy CSV with full validation (``benchmarks/bench_ingest.py``, whose own JSON
gives rows per second).

Usage: python benchmarks/bench_end_to_end.py [--quick] [--db DEMO.duckdb] [--draws N]
[--rows N] [--only "project icb,verify"]. ``--quick`` runs tiny sizes (20 draws, 20,000
ingest rows) for a smoke test; ``--db`` reuses a database that already holds the demo
vintage; ``--only`` runs the named commands alone (``verify`` and ``verify full`` need
``assess``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
#: The ICB projection's shape: 42 ICBs x 22 staff groups, 15 years ahead.
ICB_SHAPE = {"areas": 42, "groups": 22, "years": 16}
#: Variables in the long table (the parameter table's variable rows).
VARIABLES = 22
TRUST_GROUPS = (
    "hchs_doctors", "nurses_health_visitors", "midwives", "ambulance_staff",
    "scientific_therapeutic_technical", "support_doctors_nurses_midwives", "support_ambulance",
    "support_stt", "central_functions", "hotel_property_estates", "senior_managers",
    "managers", "unknown_classification",
)


def timed(name: str, args: Sequence[str], env: dict[str, str], folder: Path, *,
          script: Path | None = None) -> dict[str, Any]:
    """Run ``wfplan ARGS`` (or ``python SCRIPT ARGS``); return wall seconds, peak RSS, stdout.

    The child is reaped with ``os.wait4``, whose resource usage is that child's
    (and its waited-for children's) alone.
    """
    command = [sys.executable, *([str(script)] if script else ["-m", "wfplan.cli"]), *args]
    out_path, err_path = folder / "stdout.txt", folder / "stderr.txt"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        errors = err_path.read_text(encoding="utf-8", errors="replace")
        raise SystemExit(f"{name}: exit {child.returncode}\n{errors[-2000:]}")
    return {"command": name, "seconds": round(seconds, 2),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "stdout": out_path.read_text(encoding="utf-8", errors="replace")}


def yardstick(draws: int) -> float:
    """Seconds of a plain NumPy P5/P50/P95 summary of the ICB projection's size."""
    rng = np.random.default_rng(20261201)
    shape = (draws, ICB_SHAPE["years"], ICB_SHAPE["areas"], ICB_SHAPE["groups"])
    values = rng.normal(size=shape)
    started = time.perf_counter()
    for _ in range(VARIABLES):
        np.percentile(values, (5.0, 50.0, 95.0), axis=0)
    return time.perf_counter() - started


def scenario_files(folder: Path) -> tuple[Path, Path]:
    """Write the organisation-level scenario and the assessment configuration into ``folder``."""
    ltwp = (ROOT / "scenarios" / "ltwp.toml").read_text(encoding="utf-8")
    groups = ", ".join(f'"{g}"' for g in TRUST_GROUPS)
    org = ltwp.replace('level = "icb"', 'level = "org"').replace(
        'staff_groups = "all"', f"staff_groups = [{groups}]")
    org_path = folder / "ltwp-org.toml"
    org_path.write_text(org, encoding="utf-8")
    config = (ROOT / "examples" / "assessment-demo.toml").read_text(encoding="utf-8")
    config_path = folder / "assessment.toml"
    config_path.write_text(config.replace('"../src/', f'"{ROOT}/src/'), encoding="utf-8")
    return org_path, config_path


def commands(folder: Path, db: Path, draws: int, rows: int) -> list[tuple[str, list[str]]]:
    """Return (name, arguments) of each command after the demo, in the issue's order."""
    org, config = scenario_files(folder)
    on_demo = ["--db", str(db), "--vintage", "demo"]
    config.write_text(config.read_text(encoding="utf-8").replace("draws = 1000",
                                                                 f"draws = {draws}"))
    return [
        ("project icb", ["project", "ltwp", *on_demo, "--draws", str(draws),
                         "--out", str(folder / "icb.parquet")]),
        ("project icb cached", ["project", "ltwp", "--db", str(folder / FROZEN), "--vintage",
                                "demo", "--draws", str(draws),
                                "--out", str(folder / "icb-cached.parquet")]),
        ("project org", ["project", str(org), *on_demo, "--draws", str(draws),
                         "--out", str(folder / "org.parquet")]),
        ("assess", ["assess", str(config), "--db", str(db), "--out", str(folder / "bundle")]),
        ("verify", ["verify", str(folder / "bundle")]),
        ("verify full", ["verify", str(folder / "bundle"), "--full"]),
        ("metrics org table", ["metrics", *on_demo, "--level", "org"]),
        ("ingest", ["--rows", str(rows)]),
    ]


#: The frozen copy of the demo database that "project icb cached" runs on.
FROZEN = "frozen.duckdb"


def warm_cache(db: Path, folder: Path, env: dict[str, str], command: list[str]) -> None:
    """Copy the demo database, freeze its vintage and run ``command`` once, untimed.

    The run leaves the vintage's inputs in the cache (``$WFPLAN_INPUTS_CACHE``, a
    folder of the benchmark's own), so the timed run is a planner's second run.
    """
    shutil.copyfile(db, folder / FROZEN)
    for args in (["vintages", "freeze", "demo", "--db", str(folder / FROZEN)], command):
        subprocess.run([sys.executable, "-m", "wfplan.cli", *args], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    """Run every command and print one JSON line each, then the yardstick's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test)")
    parser.add_argument("--db", type=Path, help="a database holding the demo vintage (reused)")
    parser.add_argument("--draws", type=int, help="draws (default 1000, --quick 20)")
    parser.add_argument("--rows", type=int, help="ingest rows (default 5,000,000, --quick 20,000)")
    parser.add_argument("--only", help="run only these commands (names, comma-separated)")
    args = parser.parse_args(argv)
    draws = args.draws or (20 if args.quick else 1000)
    rows = args.rows or (20_000 if args.quick else 5_000_000)
    env = {**os.environ, "COLUMNS": "120"}
    src = str(ROOT / "src")
    env["PYTHONPATH"] = os.pathsep.join([src, *filter(None, [env.get("PYTHONPATH")])])
    ruler = yardstick(draws)
    results = []
    with tempfile.TemporaryDirectory(prefix="wfplan-e2e-") as tmp:
        folder = Path(tmp)
        env["WFPLAN_INPUTS_CACHE"] = str(folder / "inputs-cache")  # never the user's cache
        db = args.db
        if db is None:
            db = folder / "demo.duckdb"
            results.append(timed("demo", ["demo", "--db", str(db)], env, folder))
        wanted = None if args.only is None else {n.strip() for n in args.only.split(",")}
        for name, command in commands(folder, db, draws, rows):
            if wanted is not None and name not in wanted:
                continue
            if name == "project icb cached":
                warm_cache(db, folder, env, command)
            script = ROOT / "benchmarks" / "bench_ingest.py" if name == "ingest" else None
            results.append(timed(name, command, env, folder, script=script))
    load = os.getloadavg()[0]
    for result in results:
        output = result.pop("stdout")
        if result["command"] == "ingest":
            result["rows_per_second"] = json.loads(output.strip().splitlines()[-1])[
                "rows_per_second"]
        result.update(draws=draws, ratio=round(result["seconds"] / ruler, 2))
        print(json.dumps(result))
    print(json.dumps({"command": "yardstick", "seconds": round(ruler, 3), "draws": draws,
                      "what": f"np.percentile over {draws} draws of {VARIABLES} variables x "
                              f"{np.prod(list(ICB_SHAPE.values())):,} cells",
                      "load_average": round(load, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
