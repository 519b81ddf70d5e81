"""Benchmark ``wfplan plan``: England, 20 groups x 15 years x 1,000 draws x 7 levers (issue 15).

Builds the demo vintage (not timed) and writes a plan file: the first ``--groups``
staff groups of the vintage as targets (the funded gap in each of ``--years``
target years, the last years of the projection), and seven levers in every one
of them (``staff_group = "each"``): training places, apprenticeships,
international recruitment, return to practice, an employer hub (England is its
area), retention and flexible working, with a national budget a year. Each
objective (``p50``, ``p90``, ``cvar``) runs in a child process, with a
wall-clock limit (``--timeout``), timed by phase (inputs, base run, responses,
solve, re-simulation) with its peak RSS and CPU seconds. Above 2,000 draw x
cells the solve is the scalable path (:mod:`wfplan.plan.chance`), whose bound
and gap are reported. The response is kept per lever's own cells (lever x
start x draw x year x its own group); a case whose response would exceed
``--max-gb`` is refused and reported, not run. The last line is JSON.

Usage: python benchmarks/bench_plan.py [--draws 1000] [--groups 20] [--years 15]
    [--objectives p50,p90] [--timeout 600] [--max-gb 4]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LEVERS = (  # type, max_per_year, cost_per_unit, options
    ("training_places", 50000, 26000, ""),
    ("apprenticeship", 20000, 30000, ""),
    ("international_recruitment", 20000, 12000, ""),
    ("return_to_practice", 5000, 8000, ""),
    ("employer_hub", 5000, 20000, 'area = "E92000001"\n'),
    ("retention", 0.1, 1500, ""),
    ("flexible_working", 0.05, 10000, ""),
)
def plan_text(groups: list[str], base_year: int, years: int, draws: int,
              objective: str) -> str:
    """The plan file of the benchmark (figures: benchmark illustrations, not evidence)."""
    probability = {"p50": 0.5, "p90": 0.9, "cvar": 0.9}[objective]
    target_years = list(range(base_year + 15 - years + 1, base_year + 16))  # the last years
    lines = [
        'name = "bench-plan"', 'base_scenario = "baseline"',
        'base_vintage = "demo"', 'level = "england"', f"draws = {draws}",
        f'objective = "{"cvar" if objective == "cvar" else "least_cost"}"', "",
        "[target]", f"staff_groups = {json.dumps(groups)}", f"years = {target_years}",
        f"probability = {probability}", "", "[constraints]",
        f"budget_per_year = {20e9 * len(groups) / 20:.0f}", "",
    ]
    for kind, top, cost, options in LEVERS:
        lines += ["[[levers]]", f'name = "{kind}"', f'type = "{kind}"',
                  'staff_group = "each"', f"max_per_year = {top}", f"cost_per_unit = {cost}",
                  'cost_source = "benchmark illustration"', options]
    return "\n".join(lines) + "\n"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def one(db: Path, plan_path: Path) -> dict[str, Any]:
    """Run one plan by phase in this process; return the timings, sizes and peak RSS."""
    from wfplan.dataset.store import DuckDBStore
    from wfplan.model import run
    from wfplan.plan import run as plan_run
    from wfplan.plan.solve import solve
    from wfplan.plan.spec import PlanFile, expand_levers, read_plan

    timings: dict[str, float] = {}
    clock, cpu = time.perf_counter(), _cpu_seconds()

    def lap(name: str) -> None:
        nonlocal clock, cpu
        now, used = time.perf_counter(), _cpu_seconds()
        timings[name] = round(now - clock, 3)
        timings[name.replace("_seconds", "_cpu_seconds")] = round(used - cpu, 3)
        clock, cpu = now, used

    source = read_plan(plan_path)
    with DuckDBStore(db, read_only=True) as store:
        scenario = plan_run._base_scenario(source)
        inputs = plan_run._inputs(store, scenario, "demo")
    lap("inputs_seconds")
    base = run(inputs, scenario)
    lap("base_run_seconds")
    expanded, families = expand_levers(source.plan, tuple(inputs.coords.area))
    source = PlanFile(source.path, expanded, source.sha256)
    problem, _ = plan_run.build_problem(source, inputs, scenario, base, families)
    lap("responses_seconds")
    solution = solve(problem)
    lap("solve_seconds")
    result: dict[str, Any] = {"levers": len(problem.levers), "starts": len(problem.start_years),
                              "response_mb": round(problem.response.nbytes / 2**20, 1),
                              "feasible": solution is not None}
    if solution is not None:
        result |= {"path": "milp" if solution.gap is None else "scalable",
                   "bound_gbp": solution.bound, "gap": solution.gap}
        out = plan_path.with_suffix(".scenario.toml")
        plan_run.write_scenario(source, scenario, problem, solution, out)
        check = plan_run.resimulate(source, inputs, problem, solution, out)
        lap("resimulate_seconds")
        result |= {"cost_gbp": solution.cost, "closed": int(solution.closed.sum()),
                   "max_abs_difference": float(check["max_abs_difference"].max())}
    wall = sum(v for k, v in timings.items() if not k.endswith("_cpu_seconds"))
    return {**result, **timings, "seconds": round(wall, 3),
            "cpu_seconds": round(_cpu_seconds(), 3), "peak_rss_mb": round(_rss_mb(), 1)}


def main() -> None:
    """Parse the options, build the vintage, run each objective in a child process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--objectives", default="p50,p90")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--max-gb", type=float, default=4.0)
    parser.add_argument("--one", nargs=2, metavar=("DB", "PLAN"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(Path(args.one[0]), Path(args.one[1]))))
        return
    from wfplan.dataset.demo import build_demo
    from wfplan.dataset.store import DuckDBStore

    # lever x start x draw x year x group, float64 (levers: 7 per group; starts: 15);
    # kept per lever's own group: 1 / groups of that
    dense_gb = (7 * args.groups) * 15 * args.draws * args.years * args.groups * 8 / 1e9
    kept_gb = dense_gb / args.groups
    report: dict[str, Any] = {"draws": args.draws, "groups": args.groups,
                              "years": args.years, "levers_per_group": 7,
                              "dense_response_gb": round(dense_gb, 2),
                              "kept_response_gb": round(kept_gb, 3),
                              "load_average": os.getloadavg(), "runs": {}}
    if kept_gb > args.max_gb:
        report["refused"] = (f"the response would take {kept_gb:.1f} GB "
                             f"(> --max-gb {args.max_gb:g})")
        print(json.dumps(report))
        return
    with tempfile.TemporaryDirectory(prefix="bench-plan-") as tmp:
        root = Path(tmp)
        with DuckDBStore(root / "demo.duckdb") as store:
            build_demo(store, workdir=root / "files")
        groups, base_year = _groups(root / "demo.duckdb")
        for objective in args.objectives.split(","):
            path = root / f"{objective}.toml"
            path.write_text(plan_text(groups[: args.groups], base_year, args.years,
                                      args.draws, objective),
                            encoding="utf-8")
            started = time.perf_counter()
            try:
                done = subprocess.run([sys.executable, __file__, "--one",
                                       str(root / "demo.duckdb"), str(path)],
                                      capture_output=True, text=True, timeout=args.timeout,
                                      check=False)
                lines = done.stdout.strip().splitlines()
                report["runs"][objective] = json.loads(lines[-1]) if done.returncode == 0 \
                    else {"error": done.stderr.strip().splitlines()[-1:]}
            except subprocess.TimeoutExpired:
                report["runs"][objective] = {"timeout_seconds": args.timeout}
            report["runs"][objective]["wall_seconds"] = round(time.perf_counter() - started, 1)
            print(objective, report["runs"][objective], flush=True)
    report["load_average_after"] = os.getloadavg()
    print(json.dumps(report))


def _groups(db: Path) -> tuple[list[str], int]:
    from wfplan.dataset.store import DuckDBStore
    from wfplan.inputs.build import resolve_period
    from wfplan.inputs.cache import cached_inputs

    with DuckDBStore(db, read_only=True) as store:
        inputs = cached_inputs(store, "demo", resolve_period(store, "demo"), "england", None,
                               use_cache=False)
    return [g for g in inputs.coords.staff_group if g != "unknown_classification"], \
        inputs.base_year


if __name__ == "__main__":
    main()
