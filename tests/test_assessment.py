"""Assessment bundles: assess, verify (also moved, with no database), tampering, compare."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from wfplan.assessment.bundle import assess
from wfplan.assessment.compare import compare_bundles
from wfplan.assessment.verify import verify
from wfplan.dataset.demo import build_demo
from wfplan.dataset.store import DuckDBStore

if TYPE_CHECKING:
    from conftest import DemoBuild, DemoBundle

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "wfplan" / "data"


def _config(folder: Path, name: str, vintage: str, scenarios: list[Path], draws: int = 20) -> Path:
    listed = ", ".join(json.dumps(str(p)) for p in scenarios)
    path = folder / f"{name}.toml"
    path.write_text(f'title = "Test assessment {name}"\nperiod = "2026"\nvintage = "{vintage}"\n'
                    f"scenarios = [{listed}]\nhorizon = 15\ndraws = {draws}\nseed = 7\n"
                    'level = "region"\n', encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world(demo_vintage: DemoBuild, demo_bundle: DemoBundle,
          tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two demo vintages (different seeds), a changed scenario, and two bundles.

    The first bundle is the run's ``demo_bundle`` (vintage 'demo', configuration
    ``first.toml``); the second assesses 'demo2' with a changed baseline, against it.
    Only the tests of the second need this fixture (``shared`` is the first alone).
    """
    folder = tmp_path_factory.mktemp("assessment")
    db = demo_vintage.copy(folder / "demo.duckdb")  # vintage 'demo'
    with DuckDBStore(db) as store:
        build_demo(store, vintage="demo2", seed=99, workdir=folder / "files2")
    baseline, ltwp = DATA / "demo_baseline.toml", DATA / "demo_ltwp.toml"
    changed = folder / "changed" / "baseline.toml"
    changed.parent.mkdir()
    text = baseline.read_text(encoding="utf-8")
    edited = text.replace("\nproductivity_growth = 0.01\n", "\nproductivity_growth = 0.02\n", 1)
    assert edited != text  # the demo baseline sets NHS productivity growth at 1% a year
    changed.write_text(edited, encoding="utf-8")
    second = _config(folder, "second", "demo2", [changed, ltwp])
    with DuckDBStore(db, read_only=True) as store:
        assess(store, second, folder / "bundle-2028", previous=demo_bundle.bundle)
    return {"folder": folder, "db": db, "first": demo_bundle.config, "old": demo_bundle.bundle,
            "new": folder / "bundle-2028"}


#: Run a test in the module's group, in the worker that assessed ``demo_bundle``
#: (the first group of the run, tests/sharing.py): its verify re-renders the report of
#: data that worker rendered already, so the rendering is not done a second time.
SAME_WORKER = pytest.mark.xdist_group("tests/test_assessment.py")


@pytest.fixture
def shared(demo_bundle: DemoBundle, demo_vintage: DemoBuild) -> dict[str, Path]:
    """The run's demo bundle ``bundle-2026``, its configuration and database (read them only).

    Function-scoped, so that the tests that need nothing else of ``world`` are
    scheduled one by one on either worker rather than with the module's group; those
    that render the bundle's report again in this process (:data:`SAME_WORKER`) run
    with the module's group instead, in the worker that made the bundle, which still
    holds that rendering (:mod:`wfplan.assessment.rendered`).
    """
    return {"old": demo_bundle.bundle, "first": demo_bundle.config, "db": demo_vintage.db}


@SAME_WORKER
def test_a_fresh_bundle_verifies(shared: dict[str, Path]) -> None:
    verdict = verify(shared["old"])
    assert verdict.ok, [str(f) for f in verdict.findings]
    assert verdict.exact
    assert verdict.checked["result figures"] > 10_000
    for name in ("manifest.json", "report.html", "report.pdf", "tables.xlsx",
                 "results.parquet", "assessment.toml", "inputs/staff_in_post.parquet",
                 "scenarios/demo_baseline.toml"):
        assert (shared["old"] / name).is_file(), name


def test_a_moved_bundle_verifies_without_any_database(shared: dict[str, Path],
                                                      tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere" / "published"
    shutil.copytree(shared["old"], moved)
    env = {**os.environ, "WFPLAN_DB": str(tmp_path / "no-such.duckdb")}
    result = subprocess.run([sys.executable, "-m", "wfplan.cli", "verify", str(moved)],
                            cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED" in result.stdout
    assert not (tmp_path / "no-such.duckdb").exists()
    assert not (tmp_path / "wfplan.duckdb").exists()


def _tampered(shared: dict[str, Path], tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    shutil.copytree(shared["old"], copy)
    return copy


def _edit_number(path: Path, column: str, index: int) -> None:
    table = pq.read_table(path)
    values = table.column(column).to_pylist()
    index = next(i for i in range(index, len(values)) if values[i] is not None)
    values[index] = values[index] + 1
    position = table.schema.get_field_index(column)
    pq.write_table(table.set_column(position, column,
                                    pa.array(values, type=table.schema.field(column).type)), path)


def _problems(bundle: Path) -> str:
    """Run ``wfplan verify`` in this process (the moved-bundle test runs it as a program)."""
    from wfplan.cli import app

    result = CliRunner().invoke(app, ["verify", str(bundle)])
    assert result.exit_code == 4, result.output
    assert "NOT VERIFIED" in result.stdout
    assert "Traceback" not in result.output
    return result.stdout


def test_editing_one_number_in_an_input_fails_naming_it(shared: dict[str, Path],
                                                         tmp_path: Path) -> None:
    bundle = _tampered(shared, tmp_path)
    _edit_number(bundle / "inputs" / "staff_in_post.parquet", "headcount", 0)
    shown = _problems(bundle)
    assert "inputs/staff_in_post.parquet: changed" in shown


@pytest.mark.parametrize("extract", ["ingests", "staff_in_post"])
def test_an_extract_that_is_not_parquet_fails_naming_it_without_a_traceback(
        shared: dict[str, Path], tmp_path: Path, extract: str) -> None:
    bundle = _tampered(shared, tmp_path)
    (bundle / "inputs" / f"{extract}.parquet").write_bytes(b"not a parquet file")
    shown = _problems(bundle)
    assert f"inputs/{extract}.parquet: changed" in shown


def test_editing_one_result_fails_naming_the_figure(shared: dict[str, Path],
                                                    tmp_path: Path) -> None:
    bundle = _tampered(shared, tmp_path)
    _edit_number(bundle / "results.parquet", "value", 5)
    shown = _problems(bundle)
    assert "results.parquet: changed" in shown
    assert "in the bundle but" in shown
    assert "when re-run" in shown
    # the figures already differ: the report is not rendered again from them, and it says so
    assert "0 report files re-rendered" in shown
    assert ("REPORT NOT RE-RENDERED: the manifest or the figures already differ from the "
            "re-run (above), so report.html, report.pdf, tables.xlsx were not rendered") in shown


def test_results_carry_england_totals_that_verify_recomputes(shared: dict[str, Path],
                                                             tmp_path: Path) -> None:
    results = pq.read_table(shared["old"] / "results.parquet").to_pandas()
    totals = results[results["staff_group"].str.startswith("all_")]
    assert set(totals["staff_group"]) == {"all_staff_groups", "all_nhs_trust",
                                          "all_primary_care", "all_social_care"}
    assert set(totals["area"]) == {"E92000001"}
    gap = totals[(totals["variable"] == "gap_fte") & (totals["statistic"] == "principal")]
    groups = results[(results["area"] == "E92000001") & (results["variable"] == "gap_fte")
                     & (results["statistic"] == "principal")
                     & ~results["staff_group"].str.startswith("all_")]
    by_year = groups.groupby(["scenario", "year"])["value"].sum()
    everyone = gap[gap["staff_group"] == "all_staff_groups"].set_index(["scenario", "year"])
    pd.testing.assert_series_equal(everyone["value"].sort_index(), by_year.sort_index(),
                                   check_names=False, rtol=1e-12)
    report = (shared["old"] / "report.html").read_text(encoding="utf-8")
    first = report[report.index("<table"):]
    assert "Table 1. England total gap (FTE), all staff groups and by sector" in \
        first[:first.index("</caption>")]
    bundle = _tampered(shared, tmp_path)
    index = int(results.index[(results["staff_group"] == "all_social_care")][0])
    _edit_number(bundle / "results.parquet", "value", index)
    shown = _problems(bundle)
    assert "staff_group=all_social_care" in shown


def test_the_bundle_carries_each_scenarios_sensitivity_and_verify_recomputes_it(
        shared: dict[str, Path], tmp_path: Path) -> None:
    tornado = pq.read_table(shared["old"] / "tables" / "sensitivity_tornado.parquet").to_pandas()
    shares = pq.read_table(shared["old"] / "tables" / "sensitivity_variance.parquet").to_pandas()
    assert set(tornado["scenario"]) == set(shares["scenario"]) == {"baseline", "ltwp"}
    assert set(tornado["area"]) == {"E92000001"}
    assert set(tornado["year"]) == {2040}
    results = pq.read_table(shared["old"] / "results.parquet").to_pandas()
    central = results[(results["area"] == "E92000001") & (results["year"] == 2040)
                      & (results["staff_group"] == "all_staff_groups")
                      & (results["variable"] == "gap_fte")
                      & (results["statistic"] == "principal")].set_index("scenario")["value"]
    for name, rows in tornado.groupby("scenario"):
        # every tornado point moves one quantity away from the principal run of the results
        assert rows["gap_central"].to_numpy() == pytest.approx(central[name], rel=1e-9)
        assert list(rows["rank"]) == list(range(1, len(rows) + 1))
        assert (rows["swing"].diff().dropna() <= 0).all()
    ltwp = set(tornado[tornado["scenario"] == "ltwp"]["quantity"])
    assert {"leaver_rate_multiplier", "productivity_growth",
            "interventions.nurse_retention.amount"} <= ltwp
    assert (shares["draws"] == 20).all()
    report = (shared["old"] / "report.html").read_text(encoding="utf-8")
    assert '<h2 id="sensitivity">Sensitivity: what moves the headline gap</h2>' in report
    assert "Long Term Workforce Plan style: England gap over every staff group in 2040" in report
    bundle = _tampered(shared, tmp_path)
    _edit_number(bundle / "tables" / "sensitivity_tornado.parquet", "swing", 0)
    assert "tables/sensitivity_tornado.parquet: changed" in _problems(bundle)


@SAME_WORKER
def test_deleting_a_file_fails_naming_it(shared: dict[str, Path], tmp_path: Path) -> None:
    bundle = _tampered(shared, tmp_path)
    (bundle / "report.pdf").unlink()
    assert "report.pdf: missing" in _problems(bundle)


def test_editing_the_manifest_fails_naming_it(shared: dict[str, Path], tmp_path: Path) -> None:
    bundle = _tampered(shared, tmp_path)
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    manifest["seed"] = manifest["seed"] + 1
    (bundle / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert "manifest.json: its content does not match its own hash" in _problems(bundle)


def test_changing_a_scenario_parameter_fails_naming_it(shared: dict[str, Path],
                                                       tmp_path: Path) -> None:
    bundle = _tampered(shared, tmp_path)
    scenario = bundle / "scenarios" / "demo_ltwp.toml"
    text = scenario.read_text(encoding="utf-8")
    changed = text.replace("amount = 5000", "amount = 6000", 1)
    assert changed != text
    scenario.write_text(changed, encoding="utf-8")
    shown = _problems(bundle)
    assert "scenarios/demo_ltwp.toml: changed" in shown
    assert "scenario=ltwp" in shown


def test_compare_splits_the_change_into_data_and_assumptions(world: dict[str, Path]) -> None:
    table = compare_bundles(world["old"], world["new"])
    assert not table.empty
    assert set(table["scenario"]) == {"baseline", "ltwp"}
    total = table["data_effect_fte"] + table["assumptions_effect_fte"]
    assert (total - table["change_fte"]).abs().max() <= 1e-6 * table["change_fte"].abs().max()
    baseline = table[table["scenario"] == "baseline"]
    assert baseline["data_effect_fte"].abs().max() > 0
    assert baseline["assumptions_effect_fte"].abs().max() > 0
    ltwp = table[table["scenario"] == "ltwp"]
    assert ltwp["assumptions_effect_fte"].abs().max() == pytest.approx(0, abs=1e-6)


def test_assess_previous_puts_the_comparison_in_the_report(world: dict[str, Path]) -> None:
    comparison = pq.read_table(world["new"] / "tables" / "comparison.parquet").to_pandas()
    assert len(comparison) > 0
    html = (world["new"] / "report.html").read_text(encoding="utf-8")
    assert "bundle-2026" in html
    assert "changed assumptions" in html
    assert verify(world["new"]).ok


def test_an_existing_bundle_is_never_overwritten(world: dict[str, Path]) -> None:
    result = subprocess.run([sys.executable, "-m", "wfplan.cli", "assess",
                             str(world["first"]), "--out", str(world["old"]),
                             "--db", str(world["db"])], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 2
    assert "never overwritten" in result.stderr


def test_a_vintage_without_ethnicity_data_is_assessed_and_verifies(hand_bundles: Path) -> None:
    """The hand-made vintage has no ethnicity rows; the run's bundle of it was assessed."""
    bundle = hand_bundles / "unsigned"
    verdict = verify(bundle)
    assert verdict.ok, [str(f) for f in verdict.findings]
    assert (bundle / "report.pdf").stat().st_size > 10_000


def test_the_demo_bundle_is_marked_restricted_for_its_small_cells(shared: dict[str, Path]) -> None:
    from wfplan.assessment.extract import disclosure_of

    manifest = json.loads((shared["old"] / "manifest.json").read_text(encoding="utf-8"))
    small = disclosure_of(shared["old"] / "inputs")
    assert manifest["disclosure"]["status"] == "restricted"
    assert manifest["disclosure"]["small_cells_before_control"] == small
    assert small["staff_in_post"] > 0
    assert small["flows"] > 0
    report = (shared["old"] / "report.html").read_text(encoding="utf-8")
    assert "restricted: for accredited verifiers" in report


def test_assess_public_on_the_demo_writes_a_bundle_without_small_cells_that_verifies(
        shared: dict[str, Path], tmp_path: Path) -> None:
    from wfplan.assessment.extract import disclosure_of

    bundle = tmp_path / "bundle-public"
    with DuckDBStore(shared["db"], read_only=True) as store:
        assess(store, shared["first"], bundle, public=True)
    assert disclosure_of(bundle / "inputs") == {}
    staff = pq.read_table(bundle / "inputs" / "staff_in_post.parquet").to_pandas()
    assert (staff["headcount"].dropna() % 5 == 0).all()
    marked = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))["disclosure"]
    assert marked["status"] == "public"
    assert marked["control_applied"]
    assert marked["controlled"]["staff_in_post"]["cells_suppressed"] > 0
    assert "public: disclosure control applied" in (bundle / "report.html").read_text(
        encoding="utf-8")
    verdict = verify(bundle)
    assert verdict.ok, [str(f) for f in verdict.findings]
    assert verdict.exact


def test_the_demo_from_aggregated_extracts_gives_the_figures_of_its_organisations_rows(
        shared: dict[str, Path], tmp_path: Path) -> None:
    """Aggregation changes no figure; FTE sums may differ in the last bits (addition order)."""
    from wfplan.assessment.compute import RESULT_KEYS, compute
    from wfplan.assessment.config import load_config, scenario_paths
    from wfplan.assessment.extract import extract, load_extracts, vintage_rows
    from wfplan.assessment.verify import compare_frames
    from wfplan.runs.project import read_scenario

    config = load_config(shared["first"]).model_copy(update={"draws": 5})
    files = [read_scenario(p) for p in scenario_paths(config, shared["first"])]
    base = pd.Timestamp("2025-03-31").date()
    with DuckDBStore(shared["db"], read_only=True) as store:
        rows = vintage_rows(store, "demo", base)
        extract(store, "demo", base, tmp_path / "inputs")
    aggregated = load_extracts(tmp_path / "inputs", "demo")
    try:
        before, after = compute(rows, config, files, base), compute(aggregated, config, files,
                                                                    base)
    finally:
        rows.close()
        aggregated.close()
    assert compare_frames("results", before.results, after.results, RESULT_KEYS,
                          exact=False) == []
    for name, frame in before.tables.items():
        found = compare_frames(name, frame, after.tables[name], [], exact=False)
        assert found == [], [str(f) for f in found]
