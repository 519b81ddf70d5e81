"""An example report from the demo vintage and a synthetic projection (not real data).

It exercises the whole report layer the way the assessment layer will: the
current position, ethnicity, wellbeing, data gaps and provenance come from the
seeded demo vintage (``wfplan.dataset.demo``) through ``wfplan.analysis.metrics``
and ``wfplan.analysis.gaps``; the projections are a real model run on
``wfplan.model.synthetic`` inputs under a baseline and an interventions
scenario, aggregated to England. Used by the tests and to preview the layout::

    python tests/example_report.py OUT_DIR
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from synthetic import synthetic_inputs
from wfplan import __version__
from wfplan.analysis.gaps import gap_report
from wfplan.analysis.metrics import Query, current_position, ethnic_minority_by_band
from wfplan.dataset import codelists
from wfplan.dataset.demo import build_demo
from wfplan.dataset.store import DuckDBStore
from wfplan.model import aggregate, load_scenario_text, run, to_long
from wfplan.model.aggregate import staff_group_totals, sum_staff_groups
from wfplan.report import derive
from wfplan.report.context import ReportData

#: Staff group -> sector (the code list), for the England totals.
SECTORS = {row["code"]: row["sector"] for row in codelists.get("staff_group").rows}

BASELINE = """
name = "baseline"
title = "Baseline"
description = "Observed leaver rates and joiners continue; demand grows with the population."
horizon = 15
level = "icb"
staff_groups = "all"
draws = DRAWS
seed = 20240601

[parameters]
leaver_rate_multiplier = { dist = "normal", mean = 1.0, sd = 0.05 }
international_joiners_multiplier = { dist = "triangular", low = 0.7, mode = 1.0, high = 1.1 }
population_variant = { dist = "choice", options = ["principal", "high", "low"], \
weights = [0.5, 0.25, 0.25], central = "principal" }
"""

INTERVENTIONS = BASELINE.replace('name = "baseline"', 'name = "interventions"').replace(
    'title = "Baseline"', 'title = "Baseline with interventions"').replace(
    "description = \"Observed leaver rates and joiners continue; demand grows with the "
    "population.\"",
    "description = \"Baseline plus more nursing training places, better nurse retention and "
    "more international recruitment of doctors.\"") + """
[[interventions]]
name = "nurse_training_places"
type = "training_places"
staff_group = "nurses_health_visitors"
start_year = 2025
amount = 3000
ramp_years = 3
cost_per_unit = 30000
source = "example: an illustration, not a plan"
owner = "example owner"

[[interventions]]
name = "nurse_retention"
type = "retention"
staff_group = "nurses_health_visitors"
start_year = 2025
amount = { dist = "triangular", low = 0.03, mode = 0.05, high = 0.08 }
ramp_years = 3
cost_per_unit = 150
source = "example: an illustration, not a plan"
owner = "example owner"

[[interventions]]
name = "doctor_recruitment"
type = "international_recruitment"
staff_group = "hchs_doctors"
start_year = 2026
amount = 1500
ramp_years = 2
cost_per_unit = 12000
source = "example: an illustration, not a plan"
owner = "example owner"
"""


def example_report_data(workdir: Path, *, draws: int = 200, staff_groups: int = 20,
                        areas: int = 42, demo_db: Path | None = None) -> ReportData:
    """Build a realistic :class:`ReportData` (demo vintage plus a synthetic projection).

    Parameters
    ----------
    workdir : Path
        Folder for the demo database and its files (created).
    draws : int
        Monte Carlo draws of each scenario.
    staff_groups, areas : int
        Size of the synthetic model inputs (areas are summed to England).
    demo_db : Path, optional
        A database that holds the demo vintage already (opened read-only);
        by default the demo is built into ``workdir``.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    if demo_db is None:
        demo_db = workdir / "demo.duckdb"
        with DuckDBStore(demo_db) as building:
            build_demo(building, vintage="demo", workdir=workdir / "files")
    store = DuckDBStore(demo_db, read_only=True)
    try:
        region = current_position(store, Query("demo", level="region"))
        icb = current_position(store, Query("demo", level="icb"))
        ethnicity = ethnic_minority_by_band(store, Query("demo"))
        gaps = gap_report(store, "demo")
        ingests = store.query("SELECT * FROM ingests WHERE vintage = 'demo' ORDER BY ingest_id")
    finally:
        store.close()
    inputs = synthetic_inputs(areas=areas, staff_groups=staff_groups, age_bands=6)
    england = dict.fromkeys(inputs.coords.area, codelists.ENGLAND_CODE)
    longs, metadata = [], {}
    for text in (BASELINE, INTERVENTIONS):
        scenario = load_scenario_text(text.replace("DRAWS", str(draws)))
        results = aggregate(run(inputs, scenario), england, level="england")
        summed = sum_staff_groups(results, staff_group_totals(results.staff_groups, SECTORS))
        longs += [to_long(results), to_long(summed)]
        metadata[scenario.name] = results.metadata.record()
    long = pd.concat(longs, ignore_index=True)
    base_year = inputs.base_year
    parameters, assumptions = derive.methods_from_metadata(metadata)
    band_frame, overall = derive.ethnicity_from_metrics(ethnicity)
    scenarios = pd.DataFrame([
        {"scenario": name, "title": meta["scenario"].get("title") or name,
         "description": " ".join(str(meta["scenario"]["description"]).split())}
        for name, meta in metadata.items()])
    groups, totals = derive.split_totals(
        derive.headline_from_results(long, base_year, scenario="baseline"))
    return ReportData(
        title="Health and social care workforce assessment: example",
        assessment_period=f"{base_year} to {base_year + 15}", vintage="demo",
        package_version=__version__, seed=20240601, draws=draws,
        created=datetime(2026, 3, 31, 9, 0, tzinfo=UTC), base_year=base_year,
        area_name="England", sources=derive.sources_from_ingests(ingests),
        totals=totals, headline=groups,
        position_region=region, position_icb=icb,
        projections=derive.projection_frame(long), scenarios=scenarios,
        baseline_scenario="baseline",
        scenario_comparison=derive.scenario_comparison_from_results(long),
        interventions=derive.interventions_from_results(long, metadata),
        intervention_details=derive.intervention_details_from_metadata(metadata),
        data_gaps=gaps.sections(), ethnicity=band_frame, ethnic_minority_overall=overall,
        wellbeing=derive.wellbeing_from_position(region), parameters=parameters,
        assumptions=assumptions, bundle_name="wfplan-example-demo",
        manifest_sha256="0" * 64,
    )


def main(argv: list[str] | None = None) -> int:
    """Write the example report into the folder named on the command line."""
    from wfplan.report.render import write_report

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python tests/example_report.py OUT_DIR", file=sys.stderr)
        return 2
    out = Path(args[0])
    for key, path in write_report(example_report_data(out / "work"), out).items():
        print(f"{key}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
