"""Running scenario files on a vintage: checks, tables, metadata, headline and files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import handmade_vintage as hv
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.errors import InputError
from wfplan.inputs.build import build_inputs
from wfplan.model import aggregate, load_scenario_text, run
from wfplan.runs.outputs import LICENCE, write_results
from wfplan.runs.project import (
    combined,
    headline,
    project,
    read_scenario,
    side_by_side,
)

FIELDS = {"base_vintage": '"hand"', "base_period": '"2024-03-31"', "horizon": "15",
          "level": '"icb"', "draws": "30", "seed": "7"}
SCENARIO = """
name = "{name}"
{fields}

[parameters]
leaver_rate_multiplier = {{ dist = "normal", mean = 1.0, sd = 0.05 }}
population_variant = {{ dist = "choice", options = ["principal", "high"], central = "principal" }}
{extra}
"""
RETENTION = """
[[interventions]]
type = "retention"
staff_group = "nurses_health_visitors"
start_year = 2026
amount = 0.1
ramp_years = 2
cost_per_unit = 100
source = "a test"
owner = "the test team"
"""


def scenario_text(name: str = "base", extra: str = "", **changes: str) -> str:
    fields = "\n".join(f"{key} = {value}" for key, value in {**FIELDS, **changes}.items())
    return SCENARIO.format(name=name, fields=fields, extra=extra)


def scenario_file(folder: Path, name: str = "base", extra: str = "", **changes: str) -> Path:
    text = scenario_text(name, extra, **changes)
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def two(hand: DuckDBStore, tmp_path_factory: pytest.TempPathFactory) -> list:
    folder = tmp_path_factory.mktemp("scenarios")
    return project(hand, [scenario_file(folder), scenario_file(folder, "plan", RETENTION)])


def test_the_long_table_has_the_level_and_england(two: list) -> None:
    table = two[0].table
    assert list(table.columns) == ["scenario", "area", "staff_group", "variable", "unit", "year",
                                   "statistic", "value"]
    assert list(dict.fromkeys(table["area"])) == ["QJK", "QMJ", "UNMAPPED", "E92000001"]
    assert table["year"].min() == 2024
    assert table["year"].max() == 2039
    supply = table[(table["variable"] == "supply_fte") & (table["statistic"] == "principal")
                   & table["staff_group"].isin([hv.N, hv.D, hv.M])]
    by_level = supply.groupby([supply["area"] == "E92000001", "staff_group", "year"])["value"]
    sums = by_level.sum().unstack(0)
    np.testing.assert_allclose(sums[True], sums[False], rtol=1e-12)


def test_england_totals_are_summed_within_each_draw_before_percentiles(two: list) -> None:
    """The all-staff and sector totals: percentiles of per-draw sums, not sums of percentiles."""
    plan = two[1]
    table = plan.table
    totals = table[table["staff_group"].isin(["all_staff_groups", "all_nhs_trust"])]
    assert set(totals["area"]) == {"E92000001"}
    assert list(dict.fromkeys(table["staff_group"]))[-2:] == ["all_staff_groups",
                                                              "all_nhs_trust"]
    gap = plan.results.values("demand_funded_fte") - plan.results.values("supply_fte")
    per_draw = gap.sum(axis=(2, 3))[1:]  # draws 1..N: every area and staff group summed
    year = 2034 - plan.results.base_year
    wanted = np.percentile(per_draw[:, year], [5, 50, 95])
    got = totals[(totals["staff_group"] == "all_staff_groups") & (totals["year"] == 2034)
                 & (totals["variable"] == "gap_fte")].set_index("statistic")["value"]
    np.testing.assert_allclose(got[["p5", "p50", "p95"]].to_numpy(), wanted, rtol=1e-9)
    groups = table[(table["area"] == "E92000001") & (table["variable"] == "gap_fte")
                   & (table["year"] == 2034) & table["staff_group"].isin([hv.N, hv.D, hv.M])]
    principal = groups[groups["statistic"] == "principal"]["value"].sum()
    assert got["principal"] == pytest.approx(principal, rel=1e-12)
    # every staff group of the hand vintage is an NHS trust group: the sector total is the total
    nhs = totals[totals["staff_group"] == "all_nhs_trust"]["value"].to_numpy()
    np.testing.assert_allclose(nhs, totals[totals["staff_group"] == "all_staff_groups"][
        "value"].to_numpy(), rtol=1e-12)
    # ratios are recomputed from the sums
    pct = totals[(totals["staff_group"] == "all_staff_groups") & (totals["year"] == 2034)
                 & (totals["variable"] == "gap_pct") & (totals["statistic"] == "principal")]
    demand = table[(table["area"] == "E92000001") & (table["variable"] == "demand_funded_fte")
                   & (table["year"] == 2034) & (table["statistic"] == "principal")
                   & (table["staff_group"] == "all_staff_groups")]["value"].iloc[0]
    assert pct["value"].iloc[0] == pytest.approx(100 * got["principal"] / demand, rel=1e-12)


def test_metadata_names_every_source_and_assumption(two: list, hand: DuckDBStore) -> None:
    meta = two[1].metadata
    assert meta["vintage"] == "hand"
    assert meta["base_period"] == hv.BASE
    assert (meta["seed"], meta["draws"], meta["level"]) == (7, 30, "icb")
    assert meta["scenario_file"] == "plan.toml"
    assert len(meta["scenario_sha256"]) == 64
    names = {item["name"] for item in meta["assumptions"]}
    assert {"stock_hc from FTE", "population below region level", "productivity_growth"} <= names
    parameters = {item["name"]: item for item in meta["parameters"]}
    assert parameters["leaver_rate_multiplier"]["set_by"] == "scenario plan"
    assert parameters["productivity_growth"]["set_by"] == "default"
    assert meta["interventions"][0]["source"] == "a test"
    assert meta["interventions"][0]["owner"] == "the test team"
    _, metadata = combined(hand, two)
    files = {item["source_file"] for item in metadata["data_sources"]}
    assert {"staff.csv", "flows.csv", "population.csv"} <= files
    assert "loaded_at" not in metadata["data_sources"][0]
    assert metadata["licence"] == LICENCE


def test_headline_and_side_by_side(two: list, hand: DuckDBStore) -> None:
    table, _ = combined(hand, two)
    heads = headline(table)
    assert set(heads["scenario"]) == {"base", "plan"}
    assert set(heads["area"]) == {"E92000001"}
    assert heads["horizon"].drop_duplicates().tolist() == [5, 10, 15]
    assert heads["year"].drop_duplicates().tolist() == [2029, 2034, 2039]
    assert (heads["p5"] <= heads["p50"]).all()
    assert (heads["p50"] <= heads["p95"]).all()
    row = heads[(heads["scenario"] == "plan") & (heads["staff_group"] == hv.N)
                & (heads["horizon"] == 10)].iloc[0]
    expected = table[(table["scenario"] == "plan") & (table["area"] == "E92000001")
                     & (table["variable"] == "gap_fte") & (table["staff_group"] == hv.N)
                     & (table["year"] == 2034) & (table["statistic"] == "p50")]["value"]
    assert row["p50"] == expected.iloc[0]
    assert list(dict.fromkeys(heads["staff_group"])) == [
        "all_staff_groups", "all_nhs_trust", hv.D, hv.N, hv.M]  # totals, then the code list
    # a bundle's results are sorted by code (all_nhs_trust < all_staff_groups): same order
    by_code = headline(table.sort_values(["staff_group", "year"], kind="stable"))
    assert list(dict.fromkeys(by_code["staff_group"])) == list(dict.fromkeys(heads["staff_group"]))
    wide = side_by_side(heads)
    assert list(wide.columns) == ["area", "staff_group", "horizon", "base", "plan"]
    assert len(wide) == (2 + 3) * 3
    # retention keeps more nurses, so the plan's gap is smaller
    nurses = wide[(wide["staff_group"] == hv.N) & (wide["horizon"] == 10)].iloc[0]
    assert nurses["plan"][0] < nurses["base"][0]
    icbs = headline(table, years=(5,), areas=None)
    assert set(icbs["area"]) == {"QJK", "QMJ", "UNMAPPED", "E92000001"}


def test_overrides_and_inputs_are_shared(hand: DuckDBStore, tmp_path: Path) -> None:
    path = scenario_file(tmp_path, base_period='"2024-03"')
    [regional] = project(hand, [path], draws=0, seed=1, level="region")
    assert regional.metadata["draws"] == 0
    assert regional.metadata["level"] == "region"
    assert set(regional.table["statistic"]) == {"principal", "p5", "p50", "p95"}
    assert list(dict.fromkeys(regional.table["area"])) == ["Y56", "Y58", "UNMAPPED",
                                                          "E92000001"]


@pytest.mark.parametrize(("changes", "kwargs", "message"), [
    ({}, {"vintage": "other"}, "no vintage named 'other'"),  # --vintage wins over base_vintage
    ({"base_vintage": '"nope"'}, {}, "no vintage named 'nope'"),
    ({"base_period": '"2020-01-31"'}, {}, "no staff in post on 2020-01-31"),
    ({"staff_groups": '["midwives"]'}, {}, "no staff in post"),
])
def test_scenarios_are_checked_against_the_store(hand: DuckDBStore, tmp_path: Path,
                                                 changes: dict, kwargs: dict,
                                                 message: str) -> None:
    with pytest.raises(InputError, match=message):
        project(hand, [scenario_file(tmp_path, **changes)], **kwargs)


def test_scenario_names_must_differ(hand: DuckDBStore, tmp_path: Path) -> None:
    first = scenario_file(tmp_path)
    (tmp_path / "copy").mkdir()
    second = scenario_file(tmp_path / "copy")
    with pytest.raises(InputError, match=r"several scenario files are named \['base'\]"):
        project(hand, [first, second])


def test_a_short_horizon_is_shown_at_its_last_year(hand: DuckDBStore, tmp_path: Path) -> None:
    [short] = project(hand, [scenario_file(tmp_path, horizon="3")], draws=0)
    heads = headline(short.table)
    assert heads["horizon"].drop_duplicates().tolist() == [3]
    assert heads["year"].drop_duplicates().tolist() == [2027]


def test_a_scenario_that_does_not_fit_the_inputs(hand: DuckDBStore, tmp_path: Path) -> None:
    bad = RETENTION.replace("start_year = 2026", "start_year = 2024")
    with pytest.raises(InputError, match=r"interventions\[0\].start_year: must be after"):
        project(hand, [scenario_file(tmp_path, "early", bad)])


def test_reading_scenario_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the scenario file"):
        read_scenario(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("name = \n", encoding="utf-8")
    with pytest.raises(InputError, match="TOML"):
        read_scenario(tmp_path / "bad.toml")
    wrong = scenario_file(tmp_path, "wrong", horizon="40")
    with pytest.raises(InputError, match="horizon: "):
        read_scenario(wrong)


def test_files_parquet_csv_xlsx(two: list, hand: DuckDBStore, tmp_path: Path) -> None:
    table, metadata = combined(hand, two)
    [parquet] = write_results(table, tmp_path / "r.parquet", metadata)
    read = pq.read_table(parquet)
    assert json.loads(read.schema.metadata[b"wfplan"])["scenarios"][0]["vintage"] == "hand"
    pd.testing.assert_frame_equal(read.to_pandas(), table, check_dtype=False)
    csv, side = write_results(table, tmp_path / "r.csv", metadata)
    assert side.name == "r.metadata.json"
    assert len(pd.read_csv(csv)) == len(table)
    [xlsx] = write_results(table, tmp_path / "r.xlsx", metadata)
    sheets = pd.read_excel(xlsx, sheet_name=None)
    assert list(sheets) == ["data", "notes"]
    assert "2039" in sheets["data"].columns
    notes = sheets["notes"]
    assert LICENCE in notes["text"].tolist()
    assert notes["section"].str.startswith("assumption").any()
    for bad, message in (("r.txt", "write results as"), ("no/r.csv", "no such folder")):
        with pytest.raises(InputError, match=message):
            write_results(table, tmp_path / bad, metadata)


# -- conservation: organisations add up to ICBs --------------------------------------------


@pytest.fixture(scope="module")
def no_flows(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    """One census: rates are the defaults everywhere, demography regional."""
    folder = tmp_path_factory.mktemp("plain")
    orgs = pd.DataFrame(hv.ORGS, columns=["org_code", "name", "org_type", "sector", "icb_code",
                                         "region_code"])
    rows = [(hv.BASE, org, group, age, 10 + 7 * i + j, 8.5 + 6 * i + j)
            for i, org in enumerate(["RAA", "RBB", "RDD"])
            for j, (group, age) in enumerate([(hv.N, "25_29"), (hv.N, "50_54"),
                                              (hv.D, "40_44"), (hv.M, "60_64")])]
    staff = pd.DataFrame(rows, columns=["period", "org_code", "staff_group", "age_band",
                                        "headcount", "fte"])
    files = hv.files(folder)
    orgs.to_csv(files[0], index=False)
    staff.to_csv(files[1], index=False)
    with DuckDBStore(folder / "plain.duckdb") as building:
        ingest(building, [files[0], files[1], files[5], files[6]], "plain")
    with DuckDBStore(folder / "plain.duckdb", read_only=True) as store:
        yield store


def test_organisations_add_up_to_icbs_with_regional_demography(no_flows: DuckDBStore) -> None:
    scenario = load_scenario_text(scenario_text("c", base_vintage='"plain"'))
    org = build_inputs(no_flows, "plain", hv.BASE, "org")
    icb = build_inputs(no_flows, "plain", hv.BASE, "icb")
    org_results = run(org, scenario.model_copy(update={"level": "org"}))
    icb_results = run(icb, scenario)
    summed = aggregate(org_results, {"RAA": "QMJ", "RBB": "QMJ", "RDD": "QJK"}, "icb")
    assert set(summed.areas) == set(icb_results.areas) == {"QJK", "QMJ"}
    order = [summed.areas.index(area) for area in icb_results.areas]
    for name in ("supply_hc", "supply_fte", "demand_funded_fte", "gap_fte", "leavers_hc"):
        np.testing.assert_allclose(summed.values(name)[:, :, order],
                                   icb_results.values(name), rtol=1e-10, atol=1e-9)


def test_runs_too_large_for_a_table_are_refused(hand: DuckDBStore, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import wfplan.runs.project as project_module

    monkeypatch.setattr(project_module, "MAX_ROWS", 1_000)
    with pytest.raises(InputError, match="would make a table of about 13,824 rows"):
        project(hand, [scenario_file(tmp_path)])
