"""An assessment reads the social care returns and the programmes by region as ``project`` does.

The hand-made vintage is that of tests/test_asc_supply.py (social care providers in
London Y56 and the South West Y58, the asc_workforce returns of 31 March 2025, whose
Hertfordshire location no ICB can be found for), with two more Camden locations in the
returns and ``education_programmes`` rows
for registered nurses (regulated professions) in both regions. An assessment of it
must give the figures ``wfplan project`` gives on the same vintage, scenario, draws
and seed, and ``wfplan verify`` must reproduce them from the bundle alone.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import backends
import pg_mirror
from test_asc_supply import BASE, RP, _csv, _vintage
from test_asc_workforce import LOOKUP, ROWS, _returns
from wfplan.analysis import disclosure
from wfplan.assessment.bundle import assess, core_digest
from wfplan.assessment.cells import periods
from wfplan.assessment.compute import sort_results
from wfplan.assessment.manifest import bundle_files, seal_manifest
from wfplan.assessment.verify import RESULT_KEYS, compare_frames, verify
from wfplan.dataset.ingest import ingest
from wfplan.dataset.provenance import sha256_file
from wfplan.dataset.store import DuckDBStore
from wfplan.dataset.store.queries import cells
from wfplan.errors import RefusedError
from wfplan.runs.project import project

V = "with"
PROGRAMMES = [("2024/25", "University A", "university", "Y56", "BSc Nursing", RP, 30, 3.0, 0.1,
               None, 0.8),
              ("2024/25", "College B", "fe_college", "Y58", "Nursing Associate", RP, 12, 2.0,
               None, 0.85, None)]
#: Two more Camden locations: the first shares Camden House's care worker cell (it reports
#: all four measures), the second, without leavers, is a cell of its own.
MORE = [("2025-03", "1-000000008", "Camden Court", "E09000007", None, "care_worker", 20, 3, 6,
         5),
        ("2025-03", "1-000000009", "Camden Lodge", "E09000007", None, "care_worker", 15, 2, 5,
         None)]
SCENARIO = ('name = "steady"\ndescription = "No change."\nbase_vintage = "with"\n'
            f'base_period = "{BASE}"\nhorizon = 5\nlevel = "region"\nstaff_groups = "all"\n'
            'draws = 6\nseed = 11\n')


def _assessed(folder: Path, name: str, extra: list[Path], *, public: bool = False) -> Path:
    """Load the vintage, the lookup and ``extra`` files into ``folder/NAME.duckdb``; assess it.

    The assessment (``NAME.toml``: the steady scenario, 5 years, 6 draws, seed 11, by
    region) is written to ``folder/bundle``; returns ``folder``.
    """
    with DuckDBStore(folder / f"{name}.duckdb") as store:
        (folder / V).mkdir()
        _vintage(store, folder / V, V, returns=False)
        lookup = folder / "la_icb_lookup.csv"
        lookup.write_text(LOOKUP, encoding="utf-8")
        ingest(store, [lookup, *extra], V)
    (folder / "steady.toml").write_text(SCENARIO, encoding="utf-8")
    (folder / f"{name}.toml").write_text(
        f'title = "{name.title()}"\nperiod = "2025"\nvintage = "{V}"\nbase_period = "{BASE}"\n'
        f'scenarios = ["{folder / "steady.toml"}"]\nhorizon = 5\ndraws = 6\nseed = 11\n'
        'level = "region"\n', encoding="utf-8")
    with DuckDBStore(folder / f"{name}.duckdb", read_only=True) as store:
        assess(store, folder / f"{name}.toml", folder / "bundle", public=public)
    return folder


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The vintage's database, the scenario, a configuration and its assessment bundle."""
    folder = tmp_path_factory.mktemp("assessment_asc")
    return _assessed(folder, "hand", [
        _returns(folder / "asc_workforce.csv", [*ROWS, *MORE]),
        _csv(folder / "education_programmes.csv", PROGRAMMES, [
            "academic_year", "provider", "provider_type", "region", "programme",
            "staff_group", "starters", "duration_years", "attrition_year_1",
            "completion_rate", "take_up_rate"])])


def _projected(hand: Path) -> pd.DataFrame:
    with DuckDBStore(hand / "hand.duckdb", read_only=True) as store:
        run = project(store, [hand / "steady.toml"], draws=6, seed=11, level="region")[0]
    names = [a["name"] for a in run.metadata["assumptions"]]
    assert "asc_workforce" in names, names
    assert "newly qualified joiners by region" in names, names
    # College B gives no take-up: the staff group's, recorded with its source (a string)
    filled = [a for a in run.metadata["assumptions"] if a["name"] == f"take_up_rate ({RP})"]
    assert len(filled) == 1, filled
    assert "parameter table default" in filled[0]["source"], filled
    return sort_results(run.table)


def test_an_assessment_projects_social_care_from_the_returns_as_project_does(hand: Path):
    bundle = hand / "bundle"
    assessed = pq.read_table(bundle / "results.parquet").to_pandas()
    projected = _projected(hand)
    assert set(projected["staff_group"]) >= {"asc_direct_care", RP}
    found = compare_frames("results", assessed, projected, RESULT_KEYS, exact=True)
    assert found == [], [str(f) for f in found[:5]]
    meta = json.loads((bundle / "metadata.json").read_text(encoding="utf-8"))
    text = json.dumps(meta)
    assert "from the asc_workforce returns of 2025-03-31" in text
    assert "newly qualified joiners by region" in text


def test_the_bundle_carries_the_returns_by_location_cell_and_the_programmes(hand: Path):
    inputs = hand / "bundle" / "inputs"
    asc = pq.read_table(inputs / "asc_workforce.parquet").to_pandas()
    # only the returns the projections read (2025-03-31, not 2024-03), no location named
    assert {str(p)[:10] for p in asc["period"]} == {BASE}
    assert asc["location_id"].str.startswith("~").all()
    assert asc["location_name"].isna().all()
    assert "~E10000015~-~1111" in set(asc["location_id"])
    camden = asc[(asc["la_code"] == "E09000007") & (asc["job_role"] == "care_worker")]
    assert sorted(zip(camden["location_id"], camden["filled_posts"], strict=True)) == [
        ("~E09000007~-~1110", 15), ("~E09000007~-~1111", 60)]
    programmes = pq.read_table(inputs / "education_programmes.parquet")
    assert programmes.num_rows == 2
    assert verify(hand / "bundle").ok


def test_verify_catches_a_tampered_asc_extract(hand: Path, tmp_path: Path):
    bundle = Path(shutil.copytree(hand / "bundle", tmp_path / "tampered"))
    path = bundle / "inputs" / "asc_workforce.parquet"
    table = pq.read_table(path)
    leavers = table.schema.get_field_index("leavers")
    doubled = pc.multiply(table.column("leavers"), pa.scalar(2, table.schema.field(
        "leavers").type))
    pq.write_table(table.set_column(leavers, "leavers", doubled), path, compression="zstd")
    found = [str(f) for f in verify(bundle).findings]
    assert any("inputs/asc_workforce.parquet" in f and "changed" in f for f in found), found
    # re-sealed as an attacker can: the re-run from the tampered returns differs
    content = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    content["core_sha256"] = core_digest({n: sha256_file(bundle / n)
                                          for n in bundle_files(bundle)})
    seal_manifest(bundle, content)
    found = [str(f) for f in verify(bundle).findings]
    assert any(f.startswith("results.parquet") for f in found), found


def test_verify_catches_a_deleted_asc_extract(hand: Path, tmp_path: Path):
    bundle = Path(shutil.copytree(hand / "bundle", tmp_path / "deleted"))
    (bundle / "inputs" / "asc_workforce.parquet").unlink()
    found = [str(f) for f in verify(bundle).findings]
    assert any("inputs/asc_workforce.parquet" in f and "missing" in f for f in found), found
    content = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    content["core_sha256"] = core_digest({n: sha256_file(bundle / n)
                                          for n in bundle_files(bundle)})
    seal_manifest(bundle, content)
    found = [str(f) for f in verify(bundle).findings]
    assert any(f.startswith("results.parquet") for f in found), found


def test_disclosure_control_applies_to_the_returns_and_the_programmes(hand: Path):
    manifest = json.loads((hand / "bundle" / "manifest.json").read_text(encoding="utf-8"))
    small = manifest["disclosure"]["small_cells_before_control"]
    # the five cells of the refused public run below
    assert small.get("asc_workforce") == 5, small
    assert manifest["disclosure"]["status"] == "restricted"
    asc = pq.read_table(hand / "bundle" / "inputs" / "asc_workforce.parquet")
    controlled, done = disclosure.control(asc, "asc_workforce")
    assert done.suppressed == small["asc_workforce"]
    assert disclosure.small_cells({"asc_workforce": controlled}) == {}
    for column in ("filled_posts", "starters", "leavers"):
        values = controlled.column(column).drop_null().to_pylist()
        assert all(v % 5 == 0 for v in values), (column, values)
    programmes = pq.read_table(hand / "bundle" / "inputs" / "education_programmes.parquet")
    assert disclosure.small_mask(programmes.set_column(
        programmes.schema.get_field_index("starters"), "starters",
        pa.array([3, 30], programmes.schema.field("starters").type)),
        "education_programmes").tolist() == [True, False]


def test_a_public_assessment_is_refused_when_the_returns_are_mostly_small_cells(hand: Path):
    with DuckDBStore(hand / "hand.duckdb", read_only=True) as store, \
            pytest.raises(RefusedError) as refused:
        assess(store, hand / "hand.toml", hand / "public", public=True)
    # Camden's senior care workers (2 starters, 2 leavers: 14 people with their 10 posts),
    # its registered manager (1), Kernow's nurses (8) and other roles (11), Hertfordshire's
    # care workers (4 leavers: 29): 63 of the 224 people the returns count
    assert "asc_workforce: 5 small cells hold 28.1% of its people" in str(refused.value)


def _scaled(row: tuple[object, ...]) -> tuple[object, ...]:
    """Return a return with its counts times 10, but Camden's one registered manager."""
    if row[5] == "registered_manager":
        return row
    return (*row[:6], *(None if v is None else int(v) * 10 for v in row[6:]))


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A public bundle of the vintage with ten times the returns (one small cell left)."""
    folder = tmp_path_factory.mktemp("assessment_asc_public")
    returns = _returns(folder / "asc_workforce.csv", [_scaled(row) for row in ROWS])
    return _assessed(folder, "big", [returns], public=True) / "bundle"


def test_a_public_bundle_controls_the_returns_and_verifies(public: Path):
    marked = json.loads((public / "manifest.json").read_text(encoding="utf-8"))["disclosure"]
    assert marked["status"] == "public"
    assert marked["small_cells_before_control"] == {"asc_workforce": 1}
    assert marked["controlled"]["asc_workforce"]["cells_suppressed"] == 1
    asc = pq.read_table(public / "inputs" / "asc_workforce.parquet")
    assert disclosure.small_cells({"asc_workforce": asc}) == {}
    manager = asc.filter(pc.equal(asc.column("job_role"), "registered_manager")).to_pylist()
    assert [(r["filled_posts"], r["suppressed"]) for r in manager] == [(None, True)]
    assert verify(public).ok


def test_the_returns_cells_are_the_same_on_postgresql(hand: Path):
    """The cell query is portable: PostgreSQL gives the rows DuckDB gives, in order."""
    backends.require_postgres()
    with DuckDBStore(hand / "hand.duckdb", read_only=True) as duck:
        found = periods(duck, V, date.fromisoformat(BASE))
        on_duck = cells.asc_rows(duck, V, found)
        pg = pg_mirror.mirror(duck)
        try:
            on_pg = cells.asc_rows(pg, V, found)
        finally:
            pg.close()
    assert on_duck.num_rows == 8  # nine rows of 2025-03, two in one cell
    assert on_duck.schema.names == on_pg.schema.names
    assert pg_mirror.rows(on_duck) == pg_mirror.rows(on_pg)
