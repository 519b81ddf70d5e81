"""Back-tests: project from an earlier census with the data known then; compare with a later one.

The hand-made vintage checks the arithmetic; the real HCHS (September 2017 →
June 2018, organisation × staff group) and PCN (March 2020 → September 2021)
series check it on published data and give the figures in docs/backtest.md.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

import handmade_vintage as hv
from shared_data import real
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.errors import InputError
from wfplan.inputs.build import build_inputs
from wfplan.model import parse_scenario, run
from wfplan.runs.backtest import CELL_COLUMNS, SUMMARY_COLUMNS, backtest, rolling_backtest

if TYPE_CHECKING:
    from conftest import Kit

HCHS = ("nhs_workforce_by_org", "hchs_staff_by_staff_group_nationality_org_2017-09_2018-06.csv")
PCN = "pcn_workforce"
ETR = ("reference", "etr_2022-03_nhsx.csv")


def test_cells_and_interpolation(hand: DuckDBStore) -> None:
    result = backtest(hand, hv.VINTAGE, hv.BASE, hv.LATER, level="org")
    assert list(result.cells.columns) == list(CELL_COLUMNS)
    assert list(result.summary.columns) == list(SUMMARY_COLUMNS)
    assert result.metadata["years"] == 0.25
    cells = result.cells.set_index(["area", "staff_group"])
    assert cells.loc[("REE", hv.N), "status"] == "appeared"
    assert cells.loc[("RBB", hv.D), "status"] == "disappeared"
    # the projection a quarter of a year on, by hand from the same inputs
    inputs = build_inputs(hand, hv.VINTAGE, hv.BASE, "org", known_at=date(2024, 3, 31),
                          demography=False)
    results = run(inputs, parse_scenario({"name": "x", "horizon": 1, "level": "org"}))
    fte = results.values("supply_fte")[0]
    raa = inputs.coords.area.index("RAA"), inputs.coords.staff_group.index(hv.N)
    expected = fte[0][raa] + 0.25 * (fte[1][raa] - fte[0][raa])
    row = cells.loc[("RAA", hv.N)]
    assert row["projected_fte"] == pytest.approx(expected, rel=1e-12)
    assert row["actual_fte"] == 37 + 8
    assert row["error_fte"] == pytest.approx(expected - 45)
    assert row["ape"] == pytest.approx(abs(expected - 45) / 45 * 100)
    assert row["naive_ape"] == pytest.approx(abs(44 - 45) / 45 * 100)
    assert row["actual_hc"] == 51


def test_summary_measures(hand: DuckDBStore) -> None:
    result = backtest(hand, hv.VINTAGE, hv.BASE, hv.LATER, level="icb")
    compared = result.cells[result.cells["status"] == "compared"]
    overall = result.summary.set_index("staff_group").loc["all"]
    assert overall["cells"] == len(compared)
    assert overall["mape"] == pytest.approx(compared["ape"].mean())
    assert overall["wape"] == pytest.approx(compared["error_fte"].abs().sum()
                                            / compared["actual_fte"].sum() * 100)
    assert overall["error_fte"] == pytest.approx(compared["error_fte"].sum())
    assert overall["appeared"] + overall["disappeared"] == (
        len(result.cells) - len(compared))
    groups = result.summary["staff_group"].tolist()
    assert groups[-1] == "all"
    assert groups[:-1] == sorted(groups[:-1])


def test_the_projection_uses_only_what_was_known(hand: DuckDBStore) -> None:
    result = backtest(hand, hv.VINTAGE, hv.START, hv.BASE, level="england")
    names = {item["name"] for item in result.metadata["assumptions"]}
    assert "other_joiners" in names  # no flows end by March 2023: stock held steady
    compared = result.cells[result.cells["status"] == "compared"]
    np.testing.assert_allclose(compared["projected_fte"], compared["base_fte"], rtol=1e-12)


def test_an_intake_starting_after_the_from_census_is_not_used(tmp_path: Path) -> None:
    # From the March 2024 census: the 2024/25 intake starts in September 2024, after it.
    # Its 10,000 places (one-year courses) would arrive within the first projected year.
    known = [("2022/23", "U1", "BSc Nursing", hv.N, "Y56", 100, 0.8, 1.0),
             ("2023/24", "U1", "BSc Nursing", hv.N, "Y56", 120, 0.8, 1.0)]
    later = ("2024/25", "U1", "BSc Nursing", hv.N, "Y56", 10_000, 0.8, 1.0)
    with DuckDBStore(tmp_path / "t.duckdb") as store:
        hv.build_with_education(store, tmp_path / "known", "known", known)
        hv.build_with_education(store, tmp_path / "later", "later", [*known, later])
        results = {name: backtest(store, name, hv.BASE, hv.LATER, level="england")
                   for name in ("known", "later")}
    cells = {name: r.cells.set_index("staff_group") for name, r in results.items()}
    assert cells["later"].loc[hv.N, "projected_fte"] == pytest.approx(
        cells["known"].loc[hv.N, "projected_fte"], rel=1e-12)
    assert results["later"].summary.equals(results["known"].summary)


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made vintage in a closed database file, for the command line."""
    folder = tmp_path_factory.mktemp("hand_cli")
    with DuckDBStore(folder / "hand.duckdb") as building:
        hv.build(building, folder)
    return folder / "hand.duckdb"


def test_a_projection_with_no_flows_says_in_its_table_it_is_the_no_change_forecast(
        hand: DuckDBStore, hand_db: Path, kit: Kit) -> None:
    early = backtest(hand, hv.VINTAGE, hv.START, hv.BASE, level="england")
    assert early.metadata["equals_no_change"]  # no flows end by March 2023
    assert early.metadata["no_flows_staff_groups"] == [hv.D, hv.M, hv.N]
    later = backtest(hand, hv.VINTAGE, hv.BASE, hv.LATER, level="england")
    assert not later.metadata["equals_no_change"]
    assert later.metadata["no_flows_staff_groups"] == [hv.M]  # managers report no flows
    table = kit.cli("backtest", "--db", hand_db, "--vintage", hv.VINTAGE, "--from", hv.START,
                    "--to", hv.BASE, "--level", "england")
    assert table.exit_code == 0, table.output
    assert "the projection IS the no-change forecast" in kit.plain(table.stdout)
    partial = kit.cli("backtest", "--db", hand_db, "--vintage", hv.VINTAGE, "--from", hv.BASE,
                      "--to", hv.LATER, "--level", "england")
    # managers have no flows but two censuses up to March 2024: calibrated to their trend
    assert later.metadata["trend_censuses"] == {hv.M: 2}
    assert later.metadata["held_steady_staff_groups"] == []
    assert f"No flows up to {hv.BASE} for {hv.M}: calibrated to their census trend (linear, " \
        "2 censuses up to the origin)" in kit.plain(partial.stdout)


def test_a_comparison_that_is_not_like_for_like_is_warned(hand: DuckDBStore, hand_db: Path,
                                                          kit: Kit) -> None:
    same = backtest(hand, hv.VINTAGE, hv.START, hv.BASE, level="england")
    assert same.metadata["comparability"]["like_for_like"]  # the same four organisations
    # June 2024: REE appears, and neither it nor ZZ9 has a reference record
    moved = backtest(hand, hv.VINTAGE, hv.BASE, hv.LATER, level="icb")
    found = moved.metadata["comparability"]
    assert not found["like_for_like"]
    assert (found["organisations_from_only"], found["organisations_to_only"]) == (0, 1)
    assert found["fte_to_only"] == 3
    assert found["organisations_placed_at_neither"] == 2
    result = kit.cli("backtest", "--db", hand_db, "--vintage", hv.VINTAGE, "--from", hv.BASE,
                     "--to", hv.LATER, "--level", "icb")
    assert result.exit_code == 0, result.output
    warned = kit.plain(result.stderr)
    assert ("warning: not like for like: 1 organisation(s) have staff on 2024-06-30 only "
            "(3 FTE)") in warned
    assert "2 organisation(s) with staff have no reference record valid at either census" in warned
    quiet = kit.cli("backtest", "--db", hand_db, "--vintage", hv.VINTAGE, "--from", hv.START,
                    "--to", hv.BASE, "--level", "england")
    assert "not like for like" not in quiet.stderr


@pytest.mark.parametrize(("start", "end", "message"), [
    (hv.BASE, hv.START, "must be after"),
    (hv.BASE, "2025-01-31", "no staff in post on 2025-01-31"),
])
def test_bad_periods(hand: DuckDBStore, start: str, end: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        backtest(hand, hv.VINTAGE, start, end)


# -- the real series -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    hchs = real(*HCHS)
    pcn = sorted(real(PCN).glob("*Individual_Level.csv"))
    assert len(pcn) == 7
    path = tmp_path_factory.mktemp("real") / "real.duckdb"
    with DuckDBStore(path) as building:
        ingest(building, [hchs, real(*ETR)], "hchs")
        ingest(building, pcn, "pcn")
    with DuckDBStore(path, read_only=True) as store:
        yield store


@pytest.mark.realdata
def test_hchs_by_organisation_september_2017_to_june_2018(real_store: DuckDBStore) -> None:
    result = backtest(real_store, "hchs", "2017-09", "2018-06", level="org")
    assert result.metadata["years"] == 0.75
    assert not result.metadata["headcount_compared"]  # the publication gives FTE only
    overall = result.summary.set_index("staff_group").loc["all"]
    # every FTE is in a compared, appeared or disappeared cell (README totals)
    assert overall["base_fte"] + overall["disappeared_fte"] == pytest.approx(1_052_963, abs=1)
    assert overall["actual_fte"] + overall["appeared_fte"] == pytest.approx(1_061_617, abs=1)
    # no flows in the publication: the projection holds each cell steady, so it is the
    # no-change forecast (docs/backtest.md reports the figures)
    assert overall["mape"] == pytest.approx(overall["naive_mape"])
    assert 0 < overall["wape"] < overall["mape"] < 100
    assert overall["cells"] > 3000
    assert math.isfinite(overall["mape"])


@pytest.mark.realdata
def test_hchs_by_region_with_the_2022_ods_edition_is_not_like_for_like(
        real_store: DuckDBStore) -> None:
    result = backtest(real_store, "hchs", "2017-09", "2018-06", level="region")
    assert result.metadata["equals_no_change"]
    found = result.metadata["comparability"]
    assert not found["like_for_like"]
    # counted from the files with pandas: 24 organisations (33,153 FTE) report in
    # September 2017 only and 7 (19,032 FTE) in June 2018 only; 225 organisations with
    # staff (CCGs, and trusts closed before March 2022) are not in the 2022 ODS edition;
    # R0A opened on 1 October 2017, between the censuses.
    assert (found["organisations_from_only"], found["organisations_to_only"]) == (24, 7)
    assert found["fte_from_only"] == pytest.approx(33_152.8, abs=0.1)
    assert found["fte_to_only"] == pytest.approx(19_032.1, abs=0.1)
    assert found["organisations_placed_at_neither"] == 225
    assert found["organisations_placed_at_one_census"] == 1
    assert any("98,512 FTE on 2017-09-30, 67,540 on 2018-06-30" in w for w in found["warnings"])


@pytest.mark.realdata
def test_pcn_by_icb_march_2020_to_september_2021(real_store: DuckDBStore) -> None:
    result = backtest(real_store, "pcn", "2020-03", "2021-09", level="icb")
    assert result.metadata["years"] == 1.5
    overall = result.summary.set_index("staff_group").loc["all"]
    assert overall["actual_fte"] + overall["appeared_fte"] == pytest.approx(8_415.0, abs=0.1)
    # ARRS-funded growth: the projection from March 2020 misses almost all of it
    assert overall["error_fte"] < -5_000
    assert overall["mape"] > 50
    england = backtest(real_store, "pcn", "2020-03", "2021-09", level="england")
    total = england.summary.set_index("staff_group").loc["all"]
    assert total["base_fte"] == pytest.approx(343.9, abs=0.1)
    assert total["actual_fte"] == pytest.approx(8_415.0, abs=0.1)


@pytest.mark.realdata
def test_pcn_rolling_origin_with_the_census_trend_beats_no_change(real_store: DuckDBStore) -> None:
    results = rolling_backtest(real_store, "pcn", level="icb")
    assert len(results) == 21  # 7 censuses: every pair
    calibrated = [r for r in results if r.metadata["trend_staff_groups"]]
    # a trend needs two censuses up to the origin: every origin but March 2020
    assert {r.metadata["from"] for r in calibrated} == {
        "2020-06-30", "2020-09-30", "2020-12-31", "2021-03-31", "2021-06-30"}
    for result in calibrated:
        overall = result.summary.set_index("staff_group").loc["all"]
        for column in ("naive_wape", "linear_trend_wape", "last_interval_wape"):
            assert math.isfinite(overall[column])
        assert overall["wape"] < overall["naive_wape"], (result.metadata["from"],
                                                         result.metadata["to"])
    first = [r for r in results if r.metadata["from"] == "2020-03-31"]
    assert all(r.metadata["equals_no_change"] and not r.metadata["naive_trends_estimable"]
               for r in first)


@pytest.mark.realdata
def test_pcn_census_trend_is_the_ols_line_through_the_published_totals(
        real_store: DuckDBStore) -> None:
    # the England FTE at each census, as the back-test reads it (a query of its own)
    censuses = ["2020-06", "2020-09", "2020-12", "2021-03"]
    totals = [backtest(real_store, "pcn", "2020-03", when, level="england")
              .summary.set_index("staff_group").loc["all", "actual_fte"] for when in censuses]
    first = backtest(real_store, "pcn", "2020-03", "2020-06", level="england")
    series = np.array([first.summary.set_index("staff_group").loc["all", "base_fte"], *totals])
    times = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    slope = np.polyfit(times, series, 1)[0]
    result = backtest(real_store, "pcn", "2021-03", "2021-06", level="england")
    assert result.metadata["trend_censuses"] == dict.fromkeys(result.metadata["staff_groups"], 5)
    cells = result.cells[result.cells["status"] == "compared"]
    projected = cells["projected_fte"].sum() - cells["base_fte"].sum()
    # each staff group follows its own line; their sum is the line of the total
    assert projected == pytest.approx(slope * 0.25, rel=1e-9)
    line = cells["linear_trend_fte"].sum()
    assert line == pytest.approx(np.polyval(np.polyfit(times, series, 1), 1.25), rel=1e-9)


@pytest.mark.realdata
def test_hchs_has_no_census_before_september_2017_for_a_trend(real_store: DuckDBStore) -> None:
    result = backtest(real_store, "hchs", "2017-09", "2018-06", level="england")
    assert not result.metadata["naive_trends_estimable"]
    assert result.metadata["trend_staff_groups"] == []
    overall = result.summary.set_index("staff_group").loc["all"]
    assert math.isnan(overall["linear_trend_wape"])
    assert math.isnan(overall["last_interval_wape"])


def test_rolling_origin_gives_a_table_per_pair_of_censuses(hand_db: Path, kit: Kit) -> None:
    result = kit.cli("backtest", "--db", hand_db, "--vintage", hv.VINTAGE, "--rolling",
                     "--level", "england")
    assert result.exit_code == 0, result.output
    text = kit.plain(result.stdout)
    for start, end in ((hv.START, hv.BASE), (hv.START, hv.LATER), (hv.BASE, hv.LATER)):
        assert f"{start} → {end}" in text
    assert "One census up to the origin: the linear-trend and last-interval forecasts " \
        "cannot be made" in text
    table = kit.cli("backtest", "--db", hand_db, "--vintage", hv.VINTAGE, "--rolling",
                    "--level", "england", "--format", "csv")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[0].startswith("from,to,area,staff_group,status")
    both = kit.cli("backtest", "--db", hand_db, "--vintage", hv.VINTAGE, "--rolling",
                   "--from", hv.START)
    assert both.exit_code != 0
    assert "give --from and --to, or --rolling" in kit.plain(both.output)


def test_naive_forecasts_by_hand(hand: DuckDBStore) -> None:
    # March 2024 -> June 2024, from the two censuses March 2023 and March 2024
    result = backtest(hand, hv.VINTAGE, hv.BASE, hv.LATER, level="england")
    early = backtest(hand, hv.VINTAGE, hv.START, hv.BASE, level="england")
    cells = result.cells.set_index("staff_group")
    first = early.cells.set_index("staff_group")
    for group in (hv.N, hv.D):
        x0, x1 = first.loc[group, "base_fte"], cells.loc[group, "base_fte"]
        # two points: the line through them, read a quarter of a year on
        assert cells.loc[group, "linear_trend_fte"] == pytest.approx(x1 + 0.25 * (x1 - x0))
        assert cells.loc[group, "last_interval_fte"] == pytest.approx(x1 * (x1 / x0) ** 0.25)
    for row in result.summary.to_dict("records"):
        scores = {"model": row["wape"], "no_change": row["naive_wape"],
                  "linear_trend": row["linear_trend_wape"],
                  "last_interval": row["last_interval_wape"]}
        best = row["best"].split(" = ")
        assert all(scores[name] == pytest.approx(min(scores.values())) for name in best)


@pytest.mark.realdata
def test_pcn_census_trends_and_standard_errors_by_staff_group(real_store: DuckDBStore) -> None:
    # each staff group's England FTE at March 2020 .. March 2021, read by the back-test
    ends = ["2020-06", "2020-09", "2020-12", "2021-03"]
    runs = [backtest(real_store, "pcn", "2020-03", end, level="england") for end in ends]
    first = runs[0].cells.set_index("staff_group")["base_fte"]
    later = [r.cells.set_index("staff_group")["actual_fte"] for r in runs]
    inputs = build_inputs(real_store, "pcn", "2021-03", "england", known_at=date(2021, 3, 31),
                          demography=False)
    times = np.array([-1.0, -0.75, -0.5, -0.25, 0.0])
    for g, group in enumerate(inputs.coords.staff_group):
        series = np.array([first[group], *(part[group] for part in later)])
        for form, values in (("linear", series), ("log_linear", np.log(series))):
            (slope, intercept) = np.polyfit(times, values, 1)
            residual = values - (slope * times + intercept)
            se = math.sqrt((residual ** 2).sum() / 3 / ((times - times.mean()) ** 2).sum())
            scale = series[-1] if form == "linear" else 1.0
            assert inputs.array(f"supply_trend_{form}")[0, g] == pytest.approx(slope / scale)
            assert inputs.array(f"supply_trend_{form}_se")[0, g] == pytest.approx(se / scale)
    assert list(inputs.array("supply_trend_points")) == [5.0, 5.0, 5.0]
    names = {(a.name, str(a.value)) for a in inputs.assumptions}
    assert ("policy-driven expansion", "pc_direct_patient_care") in names
    three = build_inputs(real_store, "pcn", "2021-03", "england", known_at=date(2021, 3, 31),
                         demography=False, trend_censuses=3)
    assert list(three.array("supply_trend_points")) == [3.0, 3.0, 3.0]
