"""Disclosure: input extracts at the level the model reads, small cells, restricted and public.

The hand-made vintage (tests/handmade_vintage.py) is small enough that most of
its cells hold fewer than 5 people: its bundle is restricted, and a public one
is refused. The demo's bundles are in tests/test_assessment.py.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import handmade_vintage as hv
from wfplan.analysis import disclosure
from wfplan.assessment.bundle import assess
from wfplan.assessment.compute import compute
from wfplan.assessment.config import load_config
from wfplan.assessment.extract import extract, load_extracts, vintage_rows
from wfplan.assessment.manifest import _self_hash
from wfplan.assessment.verify import compare_frames, verify
from wfplan.cli import app
from wfplan.dataset.store import DuckDBStore
from wfplan.inputs.build import build_inputs
from wfplan.model import LabelledArray, ModelInputs
from wfplan.runs.project import read_scenario

BASE = pd.Timestamp(hv.LATER).date()


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made vintage's database, a scenario and an assessment configuration."""
    folder = tmp_path_factory.mktemp("disclosure")
    with DuckDBStore(folder / "hand.duckdb") as store:
        hv.build(store, folder)
    (folder / "steady.toml").write_text(
        'name = "steady"\ndescription = "No change."\nhorizon = 5\nlevel = "region"\n'
        'staff_groups = "all"\ndraws = 5\nseed = 1\n', encoding="utf-8")
    (folder / "hand.toml").write_text(
        f'title = "Hand"\nperiod = "2026"\nvintage = "{hv.VINTAGE}"\n'
        f'scenarios = ["{folder / "steady.toml"}"]\nhorizon = 5\ndraws = 5\nseed = 7\n'
        'level = "region"\n', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def extracted(hand: Path) -> Path:
    folder = hand / "inputs"
    with DuckDBStore(hand / "hand.duckdb", read_only=True) as store:
        extract(store, hv.VINTAGE, BASE, folder)
    return folder


def _same(a: ModelInputs, b: ModelInputs) -> list[str]:
    """Return the names of the inputs that differ."""
    out = []
    for item in fields(ModelInputs):
        if item.name.startswith("_"):
            continue
        x, y = getattr(a, item.name), getattr(b, item.name)
        if isinstance(x, LabelledArray) and isinstance(y, LabelledArray):
            if x.dims != y.dims or not np.array_equal(x.values, y.values, equal_nan=True):
                out.append(item.name)
        elif x != y:
            out.append(item.name)
    return out


@pytest.mark.parametrize("level", ["england", "region", "icb"])
def test_model_inputs_from_the_extracts_are_those_of_the_organisations_rows(
        hand: Path, extracted: Path, level: str) -> None:
    with DuckDBStore(hand / "hand.duckdb", read_only=True) as store:
        rows = vintage_rows(store, hv.VINTAGE, BASE)
    aggregated = load_extracts(extracted, hv.VINTAGE)
    try:
        assert _same(build_inputs(rows, hv.VINTAGE, BASE, level),
                     build_inputs(aggregated, hv.VINTAGE, BASE, level)) == []
    finally:
        rows.close()
        aggregated.close()


def test_an_assessment_from_the_extracts_gives_the_figures_of_the_organisations_rows(
        hand: Path, extracted: Path) -> None:
    config = load_config(hand / "hand.toml")
    files = [read_scenario(hand / "steady.toml")]
    with DuckDBStore(hand / "hand.duckdb", read_only=True) as store:
        rows = vintage_rows(store, hv.VINTAGE, BASE)
    aggregated = load_extracts(extracted, hv.VINTAGE)
    try:
        before, after = compute(rows, config, files, BASE), compute(aggregated, config, files,
                                                                    BASE)
    finally:
        rows.close()
        aggregated.close()
    keys = ["scenario", "area", "staff_group", "variable", "unit", "year", "statistic"]
    assert compare_frames("results", before.results, after.results, keys, exact=True) == []
    assert before.tables.keys() == after.tables.keys()
    for name, frame in before.tables.items():
        found = compare_frames(name, frame, after.tables[name], [], exact=True)
        assert found == [], [str(f) for f in found]


def test_input_extracts_hold_no_organisation_and_no_dimension_the_model_does_not_read(
        extracted: Path) -> None:
    staff = pq.read_table(extracted / "staff_in_post.parquet").to_pandas()
    flows = pq.read_table(extracted / "flows.parquet").to_pandas()
    codes = {code for code, *_ in hv.ORGS} | {"ZZ9", "REE"}
    for frame in (staff, flows):
        assert not set(frame["org_code"]) & codes
        assert frame["org_code"].str.startswith("~").all()
    for column in ("role", "sex", "ethnicity", "grade"):
        assert staff[column].isna().all(), column
    assert flows["fte"].isna().all()
    organisations = pq.read_table(extracted / "organisations.parquet").to_pandas()
    assert not set(organisations["org_code"]) & codes
    assert set(organisations["icb_code"]) == {"QMJ", "QJK"}
    # RAA and RBB (both QMJ) report different flows and vacancies: two cells
    assert sorted(organisations["org_code"]) == ["~QJK~Y58~nhs_trust~000",
                                                 "~QMJ~Y56~nhs_trust~000",
                                                 "~QMJ~Y56~nhs_trust~100",
                                                 "~QMJ~Y56~nhs_trust~101"]


def _table(**columns: list[object]) -> pa.Table:
    return pa.table({name: pa.array(values) for name, values in columns.items()})


def test_disclosure_control_suppresses_counts_of_1_to_4_and_rounds_the_rest_to_5() -> None:
    staff = _table(headcount=pa.array([0, 1, 4, 5, 7, 8, 13, None, None], pa.int64()),
                   fte=[0.0, 0.8, 3.5, 4.5, 6.0, 7.9, 12.0, 3.0, 40.0],
                   suppressed=[False] * 9)
    assert disclosure.small_cells({"staff_in_post": staff}) == {"staff_in_post": 3}
    controlled, done = disclosure.control(staff, "staff_in_post")
    assert controlled.column("headcount").to_pylist() == [0, None, None, 5, 5, 10, 15, None,
                                                          None]
    # the FTE of a suppressed cell would reveal it; an FTE-only row is judged by its FTE
    assert controlled.column("fte").to_pylist() == [0.0, None, None, 4.5, 6.0, 7.9, 12.0,
                                                    None, 40.0]
    assert controlled.column("suppressed").to_pylist() == [False, True, True, False, False,
                                                           False, False, True, False]
    assert (done.suppressed, done.rounded) == (3, 3)
    assert disclosure.small_cells({"staff_in_post": controlled}) == {}


@pytest.fixture(scope="module")
def restricted(hand: Path) -> Path:
    """The hand-made vintage's bundle (it holds small cells): read it, or edit a copy."""
    bundle = hand / "restricted"
    with DuckDBStore(hand / "hand.duckdb", read_only=True) as store:
        assess(store, hand / "hand.toml", bundle)
    return bundle


def test_a_bundle_whose_inputs_hold_small_cells_is_marked_restricted(restricted: Path) -> None:
    bundle = restricted
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    marked = manifest["disclosure"]
    assert marked["status"] == "restricted"
    assert marked["small_cells_before_control"]["staff_in_post"] >= 1
    assert marked["small_cells_before_control"]["flows"] >= 1
    assert "restricted: for accredited verifiers" in (bundle / "report.html").read_text(
        encoding="utf-8")
    assert verify(bundle).ok


def test_verify_refuses_a_restricted_bundle_relabelled_public(restricted: Path,
                                                              tmp_path: Path) -> None:
    bundle = Path(shutil.copytree(restricted, tmp_path / "relabelled"))
    path = bundle / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["disclosure"]["status"] = "public"
    manifest["manifest_sha256"] = _self_hash(manifest)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    found = [str(f) for f in verify(bundle).findings]
    assert any("disclosure status is 'public' but the input extracts hold counts of 1 to 4"
               in f for f in found), found


def test_assess_public_refuses_when_control_would_leave_the_run_meaningless(
        hand: Path) -> None:
    out = hand / "public"
    result = CliRunner().invoke(app, ["assess", str(hand / "hand.toml"), "--out", str(out),
                                      "--db", str(hand / "hand.duckdb"), "--public"])
    assert result.exit_code == 4, result.output
    shown = " ".join(result.stderr.split())
    assert "a public bundle would be meaningless" in shown
    assert "flows" in shown
    assert "staff_in_post" in shown
    assert "of its people (more than 5%)" in shown
    assert "without --public" in shown
    assert not out.exists()
    assert not [p for p in hand.iterdir() if p.name.startswith(".public")]
