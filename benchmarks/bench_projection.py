"""Benchmark the projection model: vectorised run vs the pure-Python reference.

Synthetic inputs (42 ICBs x 20 staff groups x 10 age bands, 15 years, 1,000
draws) with several uncertain parameters and interventions. Times the model
only (inputs are built first), measures peak RSS, times the reference on a
subset and scales it by cells x draws, then runs an organisation-level case
(~220 areas). The last line printed is JSON.

``seconds`` is the best of ``--repeat`` runs; every run's time is listed too (the
first run in a fresh process also pays for the operating system handing over
fresh memory). ``to_long_seconds`` (all variables to the long table) is reported
separately: it is not part of the model time.

Usage: python benchmarks/bench_projection.py [--small] [--repeat N] [--workers N]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from wfplan.model import parse_scenario, run, to_long
from wfplan.model.reference import reference_run

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from synthetic import synthetic_inputs

FULL = {"areas": 42, "groups": 20, "ages": 10, "years": 15, "draws": 1000, "org_areas": 220}
SMALL = {"areas": 4, "groups": 8, "ages": 4, "years": 5, "draws": 20, "org_areas": 12}
REFERENCE_SUBSET = {"areas": 2, "draws": 4}


def scenario(years: int, draws: int) -> dict[str, Any]:
    """Benchmark scenario: six uncertain parameters and nine interventions."""
    common = {"start_year": 2025, "source": "benchmark (synthetic)", "owner": "wfplan"}
    return {
        "name": "benchmark",
        "horizon": years,
        "level": "icb",
        "draws": draws,
        "seed": 20240601,
        "parameters": {
            "leaver_rate_multiplier": {"dist": "triangular", "low": 0.9, "mode": 1.0, "high": 1.1},
            "international_joiners_multiplier": {"dist": "uniform", "low": 0.6, "high": 1.0},
            "completion_rate_multiplier": {"dist": "normal", "mean": 1.0, "sd": 0.05, "high": 1.2},
            "productivity_growth": {
                "dist": "triangular",
                "low": 0.015,
                "mode": 0.0175,
                "high": 0.02,
            },
            "non_demographic_growth": {"dist": "uniform", "low": 0.005, "high": 0.015},
            "population_variant": {
                "dist": "choice",
                "options": ["principal", "high", "low"],
                "weights": [0.5, 0.25, 0.25],
                "central": "principal",
            },
        },
        "interventions": [
            {
                "type": "training_places",
                "staff_group": "nurses_health_visitors",
                "amount": 5000,
                "ramp_years": 3,
                "cost_per_unit": 60000,
                **common,
            },
            {
                "type": "retention",
                "staff_group": "nurses_health_visitors",
                "ramp_years": 3,
                "amount": {"dist": "triangular", "low": 0.05, "mode": 0.1, "high": 0.15},
                "cost_per_unit": 300,
                **common,
            },
            {
                "type": "international_recruitment",
                "staff_group": "hchs_doctors",
                "amount": 200,
                "cost_per_unit": 12000,
                **common,
            },
            {
                "type": "return_to_practice",
                "staff_group": "midwives",
                "amount": 100,
                "cost_per_unit": 5000,
                **common,
            },
            {
                "type": "apprenticeship",
                "staff_group": "nurses_health_visitors",
                "amount": 1000,
                "ramp_years": 2,
                "cost_per_unit": 30000,
                **common,
            },
            {
                "type": "employer_hub",
                "staff_group": "support_doctors_nurses_midwives",
                "area": "A001",
                "amount": 50,
                "cost_per_unit": 4000,
                **common,
            },
            {"type": "flexible_working", "staff_group": "all", "amount": -0.01, **common},
            {"type": "productivity", "staff_group": "hchs_doctors", "amount": 0.005, **common},
            {
                "type": "skill_mix",
                "staff_group": "hchs_doctors",
                "to_staff_group": "scientific_therapeutic_technical",
                "fraction": 0.05,
                "ramp_years": 5,
                **common,
            },
        ],
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_model(
    areas: int, size: dict[str, int], repeat: int, workers: int | None
) -> tuple[list[float], Any]:
    """Wall times of ``repeat`` model runs (inputs built before timing), and the inputs."""
    inputs = synthetic_inputs(areas, size["groups"], size["ages"], seed=1)
    spec = parse_scenario(scenario(size["years"], size["draws"]))
    run(synthetic_inputs(2, size["groups"], size["ages"]), spec.model_copy(update={"draws": 2}))
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        results = run(inputs, spec, workers=workers)
        times.append(time.perf_counter() - start)
        del results
    return times, (inputs, spec)


def time_to_long(case: Any, workers: int | None) -> float:
    """Seconds to turn one run's results into the long table (every variable)."""
    inputs, spec = case
    results = run(inputs, spec, workers=workers)
    start = time.perf_counter()
    to_long(results)
    return time.perf_counter() - start


def time_reference(size: dict[str, int]) -> tuple[float, float]:
    """Reference seconds on a subset, and that time scaled to the full cells x draws."""
    areas, draws = REFERENCE_SUBSET["areas"], REFERENCE_SUBSET["draws"]
    inputs = synthetic_inputs(areas, size["groups"], size["ages"], seed=1)
    spec = parse_scenario(scenario(size["years"], draws))
    start = time.perf_counter()
    reference_run(inputs, spec)
    seconds = time.perf_counter() - start
    scale = (size["areas"] * (size["draws"] + 1)) / (areas * (draws + 1))
    return seconds, seconds * scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="quick smoke run")
    parser.add_argument("--repeat", type=int, default=3, help="timed model runs (best kept)")
    parser.add_argument("--workers", type=int, default=None, help="kernel threads")
    args = parser.parse_args()
    size = SMALL if args.small else FULL
    times, case = time_model(size["areas"], size, args.repeat, args.workers)
    rss = peak_rss_mb()
    long_seconds = time_to_long(case, args.workers)
    reference_seconds, reference_scaled = time_reference(size)
    org_times, _ = time_model(size["org_areas"], size, max(1, args.repeat - 1), args.workers)
    seconds = min(times)
    report = {
        "cells": size["areas"] * size["groups"] * size["ages"],
        "draws": size["draws"],
        "years": size["years"],
        "seconds": round(seconds, 4),
        "seconds_runs": [round(value, 4) for value in times],
        "peak_rss_mb": round(rss, 1),
        "reference_seconds_subset": round(reference_seconds, 3),
        "reference_seconds_scaled": round(reference_scaled, 1),
        "speedup": round(reference_scaled / seconds, 1),
        "to_long_seconds": round(long_seconds, 3),
        "org_cells": size["org_areas"] * size["groups"] * size["ages"],
        "org_seconds": round(min(org_times), 4),
        "org_seconds_runs": [round(value, 4) for value in org_times],
        "org_peak_rss_mb": round(peak_rss_mb(), 1),
        "workers": args.workers,
        "cpus": len(os.sched_getaffinity(0)),
    }
    print(
        f"model {seconds:.3f} s (best of {len(times)}), peak RSS {rss:.0f} MB, reference "
        f"(scaled) {reference_scaled:.0f} s, speed-up {reference_scaled / seconds:.0f}x, "
        f"org level {min(org_times):.3f} s, to_long {long_seconds:.2f} s"
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
