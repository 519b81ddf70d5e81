"""build_inputs: the model's inputs from a vintage, checked against values worked out by hand.

The hand-made vintage is described in tests/handmade_vintage.py; every expected
number below is derived there in a comment. The demo vintage then checks that
inputs at every level add up to the dataset's own totals.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pytest

import handmade_vintage as hv
from wfplan.dataset.store import DuckDBStore
from wfplan.errors import InputError
from wfplan.inputs import bands, services
from wfplan.inputs.build import build_inputs
from wfplan.inputs.demography import read_demography
from wfplan.inputs.resolve import resolve
from wfplan.inputs.source import Assumptions, years_between
from wfplan.model import ModelInputs, parse_scenario, run

if TYPE_CHECKING:
    from conftest import DemoBuild

AGES = ("under_25", "25_29", "30_34", "35_39", "40_44", "45_49", "50_54", "55_59", "60_64",
        "65_plus")
Y25, Y35, Y55 = AGES.index("25_29"), AGES.index("35_39"), AGES.index("55_59")


@pytest.fixture(scope="module")
def icb(hand: DuckDBStore) -> ModelInputs:
    return build_inputs(hand, hv.VINTAGE, hv.BASE, "icb")


def _at(inputs: ModelInputs, name: str, area: str, group: str) -> np.ndarray:
    array = getattr(inputs, name)
    return array.sel(area=area, staff_group=group).values


def test_areas_groups_and_bands(icb: ModelInputs) -> None:
    assert icb.coords.area == ("QJK", "QMJ", "UNMAPPED")  # ZZ9 has no reference record
    assert icb.coords.staff_group == (hv.D, hv.M, hv.N)
    assert icb.coords.age_band == AGES
    assert (icb.base_year, icb.level, icb.vintage) == (2024, "icb", hv.VINTAGE)
    assert icb.age_band_width.values[:-1].tolist() == [9, 5, 5, 5, 5, 5, 5, 5, 5]


def test_stock_by_age_band(icb: ModelInputs) -> None:
    expected = np.zeros(10)
    expected[[Y25, Y55]] = [40 + 30, 10 + 20]
    assert _at(icb, "stock_hc", "QMJ", hv.N) == pytest.approx(expected)
    # managers: RAA's 6 with no age band follow the national profile (RDD: all 35-39)
    assert _at(icb, "stock_hc", "QMJ", hv.M)[Y35] == 6
    assert _at(icb, "stock_hc", "QJK", hv.M).sum() == 4  # headcount without FTE
    # ZZ9 gives 17 FTE and no headcount: 17 / national nurse FTE per head (105 / 120)
    assert _at(icb, "stock_hc", "UNMAPPED", hv.N)[Y25] == pytest.approx(17 / (105 / 120))
    assert icb.stock_hc.values.sum() == pytest.approx(155 + 17 / 0.875)


def test_fte_per_head(icb: ModelInputs) -> None:
    assert _at(icb, "fte_per_head", "QMJ", hv.N) == pytest.approx((36 + 8 + 27 + 16) / 100)
    assert _at(icb, "fte_per_head", "QMJ", hv.D) == pytest.approx(23.5 / 25)
    assert _at(icb, "fte_per_head", "QJK", hv.N) == pytest.approx(0.9)
    assert _at(icb, "fte_per_head", "QJK", hv.M) == pytest.approx(1.0)  # national managers
    assert _at(icb, "fte_per_head", "UNMAPPED", hv.N) == pytest.approx(0.875)


def test_leaver_rates_from_flows(icb: ModelInputs) -> None:
    nurses = _at(icb, "leaver_rate", "QMJ", hv.N)
    # reporting staff at the start: RAA 38 + RBB 30 aged 25-29, 12 + 20 aged 55-59; RBB's 5
    # leavers without an age band add 5 / 100 to every band; internal moves do not count
    assert nurses[Y25] == pytest.approx(4 / 68 + 5 / 100)
    assert nurses[Y55] == pytest.approx(3 / 32 + 5 / 100)
    assert nurses[0] == pytest.approx(12 / 100)  # no staff in the band: the all-age rate
    # QJK and UNMAPPED report no flows: the national nurse rates (only QMJ reports)
    assert _at(icb, "leaver_rate", "QJK", hv.N) == pytest.approx(nurses)
    assert _at(icb, "leaver_rate", "UNMAPPED", hv.N) == pytest.approx(nurses)
    assert _at(icb, "leaver_rate", "QMJ", hv.D) == pytest.approx(np.full(10, 2 / 18))
    # managers have no flows: the evidence library's rate for NHS trust staff (annual already)
    assert _at(icb, "leaver_rate", "QMJ", hv.M) == pytest.approx(np.full(10, _library(hv.M)))


def test_published_leaver_rates_for_every_group(icb: ModelInputs) -> None:
    published = icb.published_leaver_rate
    assert published is not None
    for group in (hv.D, hv.M, hv.N):
        found = resolve("leaver_rate", group)
        assert published.sel(staff_group=group).values == pytest.approx(np.full(10, found.value))
        source = icb.published_leaver_rate_sources[group]
        assert source.tier == found.tier
        assert found.row is not None
        assert found.row.id in str(source.source)
    # the nurses' published rate is not the rate their flows give
    assert published.sel(staff_group=hv.N).values[Y25] != pytest.approx(
        _at(icb, "leaver_rate", "QMJ", hv.N)[Y25])
    # managers have no flows: their leaver rates are the published ones, so the stock held
    # by other joiners = leavers stays held under published_rates too
    for area in icb.coords.area:
        assert _at(icb, "leaver_rate", area, hv.M) == pytest.approx(
            published.sel(staff_group=hv.M).values, abs=0)
    # built for every run, but recorded only by the runs that use it
    assert not any(a.name == "published_leaver_rate" for a in icb.assumptions)


def test_a_run_with_published_rates_names_the_library_row(icb: ModelInputs) -> None:
    scenario = parse_scenario({"name": "x", "horizon": 1, "level": "icb",
                               "staff_group_parameters": {hv.N: {
                                   "supply_calibration": "published_rates"}}})
    results = run(icb, scenario)
    g = icb.coords.staff_group.index(hv.N)
    stock = icb.stock_hc.values[:, g]  # (A, K)
    assert icb.published_leaver_rate is not None
    published = icb.published_leaver_rate.values[g]
    leavers = results.values("leavers_hc")[0, 1, :, g]
    np.testing.assert_allclose(leavers, (stock * published).sum(axis=1), rtol=1e-12)
    row = resolve("leaver_rate", hv.N).row
    assert row is not None
    used = [a for a in results.metadata.assumptions if a.name == "published_leaver_rate"]
    assert len(used) == 1
    assert row.id in str(used[0].source)


def _library(group: str) -> float:
    """The evidence library's leaver rate of ``group``; it is not the parameter table's 0.1."""
    found = resolve("leaver_rate", group)
    assert found.tier == "evidence"
    assert found.value != pytest.approx(0.1)
    return found.value


def test_joiners_by_route(icb: ModelInputs) -> None:
    assert _at(icb, "international_joiners", "QMJ", hv.N) == 5
    assert _at(icb, "other_joiners", "QMJ", hv.N) == 6  # newly qualified come from training
    # doctors: RBB does not report flows, so RAA's joiners scale by 25 / 20
    assert _at(icb, "return_to_practice_joiners", "QMJ", hv.D) == pytest.approx(1.25)
    assert _at(icb, "other_joiners", "QMJ", hv.D) == pytest.approx(3.75)
    # QJK nurses: national joiners per reporting head (QMJ's 100) x its 20
    assert _at(icb, "international_joiners", "QJK", hv.N) == pytest.approx(1.0)
    assert _at(icb, "other_joiners", "QJK", hv.N) == pytest.approx(1.2)
    # managers have no flows: joiners replace leavers (6 at RAA) at the library's rate
    assert _at(icb, "other_joiners", "QMJ", hv.M) == pytest.approx(6 * _library(hv.M))


def test_joiner_age_profiles(icb: ModelInputs) -> None:
    nurses = icb.joiner_age_profile.sel(staff_group=hv.N).values
    assert nurses[[Y25, Y55]] == pytest.approx([10 / 11, 1 / 11])
    assert icb.newly_qualified_age_profile is not None
    assert icb.newly_qualified_age_profile.sel(staff_group=hv.N).values[Y25] == 1
    managers = icb.joiner_age_profile.sel(staff_group=hv.M).values
    assert managers[[0, 9]] == pytest.approx([0.25, 0.01])  # the default profile


def test_vacancies_training_and_population(icb: ModelInputs) -> None:
    assert _at(icb, "vacancy_fte", "QMJ", hv.N) == 3.5  # 2023-12, not June 2024
    assert _at(icb, "vacancy_fte", "QJK", hv.N) == 2.0
    assert icb.training_places is not None
    # a March census: 2022/23 starts in the census year to March 2023, 2023/24 in 2024
    assert icb.training_places.coords["year"] == (2023, 2024)
    assert icb.training_places.sel(staff_group=hv.N).values.tolist() == [150, 120]
    assert icb.training_places.sel(staff_group=hv.D).values.tolist() == [0, 0]
    assert icb.training_duration.sel(staff_group=hv.N).values == 3  # 860 / 270, rounded
    assert icb.completion_rate.sel(staff_group=hv.N).values == pytest.approx(125 / 150)
    population = icb.population
    assert population.coords["variant"] == ("principal", "high")
    assert population.coords["population_age_band"] == hv.POP_BANDS
    assert population.coords["year"] == tuple(range(2024, 2050))
    # ICBs take their region's population; UNMAPPED England's; 2024 is an estimate for both
    assert population.sel(variant="high", year=2024, area="QJK").values.tolist() == [10, 20, 12]
    assert population.sel(variant="high", year=2026, area="QMJ").values.tolist() == [33, 74, 15]
    assert population.sel(variant="principal", year=2040,
                          area="UNMAPPED").values.tolist() == [100, 202, 65]


def test_utilisation_merged_to_the_population_bands(hand: DuckDBStore, icb: ModelInputs) -> None:
    # The vintage's AE and APC rows are hospital activity, summed: 0-4 and 5-19 merge
    # into 0-19 weighted by width (5, 15); 65-84 and 85+ by (20, 10)
    hospital = np.array([(1.0 * 5 + 0.2 * 15) / 20 + (0.5 * 5 + 0.1 * 15) / 20, 0.3 + 0.2,
                         (0.6 * 20 + 1.2 * 10) / 30 + (1.0 * 20 + 2.0 * 10) / 30])
    groups = icb.coords.staff_group
    found = read_demography(hand, hv.VINTAGE, "icb", {"QJK": "Y58", "QMJ": "Y56",
                                                      "UNMAPPED": None},
                            groups, 2024, 2050, Assumptions())
    assert found is not None
    # scaled to a mean of 1 weighted by England's base-year population (the 2024 estimate)
    weights = np.array([100, 200, 55])
    assert found.services["hospital"] == pytest.approx(
        hospital / (hospital @ weights / weights.sum()))
    # each group's profile is the weighted mix of its services (data/staff_group_services.csv)
    for i, group in enumerate(groups):
        mix = services.mix_for(group)
        assert mix["hospital"] > 0
        expected = sum(w * found.services[s] for s, w in mix.items())
        assert found.utilisation[i] == pytest.approx(expected)
        assert icb.utilisation.sel(staff_group=group).values == pytest.approx(expected)
    assert not np.allclose(found.utilisation[groups.index(hv.N)],
                           found.utilisation[groups.index(hv.D)])


def test_every_default_is_an_assumption(icb: ModelInputs) -> None:
    names = {item.name for item in icb.assumptions}
    assert {"fte_per_head", "stock_hc age bands", "stock_hc from FTE", "leaver_rate",
            "joiners", "joiner_age_profile", "other_joiners", "training_places",
            "vacancy_fte", "population years", "population below region level",
            "utilisation", "utilisation age weights", "take_up_rate"} <= names
    for item in icb.assumptions:
        assert item.reason
        assert item.value is not None


def test_levels_add_up(hand: DuckDBStore, icb: ModelInputs) -> None:
    stock = icb.stock_hc.values.sum()
    for level, areas in (("england", ("E92000001",)), ("region", ("Y56", "Y58", "UNMAPPED")),
                         ("org", ("RAA", "RBB", "RDD", "ZZ9"))):
        inputs = build_inputs(hand, hv.VINTAGE, hv.BASE, level)
        assert inputs.coords.area == areas
        assert inputs.stock_hc.values.sum() == pytest.approx(stock)
        fte = (inputs.stock_hc.values.sum(axis=2) * inputs.fte_per_head.values).sum()
        assert fte == pytest.approx(36 + 8 + 19 + 6 + 27 + 16 + 4.5 + 9 + 9 + 4 + 17)


def test_org_level_leaver_rates_are_each_organisations(hand: DuckDBStore) -> None:
    org = build_inputs(hand, hv.VINTAGE, hv.BASE, "org", staff_groups=["Nurses & health "
                                                                       "visitors"])
    assert org.coords.staff_group == (hv.N,)
    raa = org.leaver_rate.sel(area="RAA", staff_group=hv.N).values
    assert raa[[Y25, Y55]] == pytest.approx([4 / 38, 3 / 12])
    assert org.leaver_rate.sel(area="RBB", staff_group=hv.N).values[Y25] == pytest.approx(0.1)


def test_known_at_uses_only_earlier_data(hand: DuckDBStore) -> None:
    early = build_inputs(hand, hv.VINTAGE, hv.START, "england", known_at=date(2023, 3, 31),
                         demography=False)
    names = {item.name for item in early.assumptions}
    assert early.base_year == 2023
    # no flows before the start: every group takes its evidence library rate
    for group in early.coords.staff_group:
        rates = early.leaver_rate.sel(staff_group=group).values
        assert rates == pytest.approx(np.full(rates.shape, _library(group)))
    assert "population" in names
    assert "other_joiners" in names
    # only intakes started by the census: 2022/23 (September 2022), not 2023/24
    assert early.training_places.coords["year"] == (2023,)


def test_the_latest_census_is_the_default_period(hand: DuckDBStore) -> None:
    later = build_inputs(hand, hv.VINTAGE, level="england")
    assert later.base_year == 2024
    assert "flow period" in {item.name for item in later.assumptions}
    assert later.vacancy_fte.values.sum() == 99  # the June 2024 vacancies only


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"period": "2022-03-31"}, "no staff in post on 2022-03-31"),
    ({"period": "March"}, "is not a date"),
    ({"level": "ward"}, "level must be one of"),
    ({"sector": "pubs"}, "sector must be one of"),
    ({"staff_groups": ["midwives"]}, "no staff in post"),
])
def test_bad_requests_are_input_errors(hand: DuckDBStore, kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        build_inputs(hand, hv.VINTAGE, **kwargs)


def test_unknown_vintage(hand: DuckDBStore) -> None:
    with pytest.raises(InputError, match="no vintage named 'nope'"):
        build_inputs(hand, "nope")


def test_years_between_censuses() -> None:
    assert years_between(date(2017, 9, 30), date(2018, 6, 30)) == 0.75
    assert years_between(date(2020, 3, 31), date(2021, 9, 30)) == 1.5
    assert years_between(date(2023, 3, 31), date(2024, 3, 31)) == 1.0
    assert years_between(date(2023, 3, 1), date(2024, 3, 1)) == pytest.approx(366 / 365.25)


def test_common_age_bands() -> None:
    ons = ["0_9", "10_19", "20_29", "30_39", "40_49", "50_59", "60_69", "70_79", "80_plus"]
    hes = ["0", "1_4", *(f"{a}_{a + 4}" for a in range(5, 90, 5)), "90_plus"]
    assert bands.partition(reversed(ons)) == ons
    assert bands.partition(hes) == hes
    assert bands.partition(["0_9", "20_plus"]) is None
    lowers = bands.common_lowers([ons, hes])
    assert bands.common_labels(lowers) == tuple(ons)
    assert bands.coarsen(np.ones(len(hes)), hes, lowers).tolist() == [3, 2, 2, 2, 2, 2, 2, 2, 3]
    assert bands.nests(hes[2:], ons)
    assert not bands.nests(ons, hes)


# -- the demo vintage --------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo(demo_vintage: DemoBuild) -> Iterator[DuckDBStore]:
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        yield store


def test_demo_inputs_match_the_dataset_at_every_level(demo: DuckDBStore) -> None:
    totals = demo.query("SELECT sum(headcount) AS hc, sum(fte) AS fte FROM staff_in_post "
                        "WHERE vintage = 'demo' AND period = '2025-03-31'").iloc[0]
    stocks = {}
    for level in ("england", "region", "icb"):
        inputs = build_inputs(demo, "demo", level=level)
        assert inputs.base_year == 2025
        stock = inputs.stock_hc.values
        stocks[level] = stock.sum(axis=(0, 2))
        assert stock.sum() == pytest.approx(totals["hc"], rel=1e-12)
        fte = (stock.sum(axis=2) * inputs.fte_per_head.values).sum()
        assert fte == pytest.approx(totals["fte"], rel=1e-9)
        assert ((inputs.leaver_rate.values >= 0) & (inputs.leaver_rate.values <= 1)).all()
        assert inputs.population_variants == ("principal", "high", "low")
    assert len(build_inputs(demo, "demo", level="icb").coords.area) == 42
    np.testing.assert_allclose(stocks["icb"], stocks["england"], rtol=1e-12)
    np.testing.assert_allclose(stocks["region"], stocks["england"], rtol=1e-12)


def test_demo_inputs_use_its_flows_and_education(demo: DuckDBStore) -> None:
    inputs = build_inputs(demo, "demo", level="england", sector="nhs_trust")
    names = {item.name for item in inputs.assumptions}
    assert "population below region level" not in names
    assert inputs.training_places is not None
    nurses = inputs.training_places.sel(staff_group="nurses_health_visitors").values
    assert (nurses > 0).all()
    assert inputs.international_joiners.sel(staff_group="nurses_health_visitors").values > 0
    assert "gp" not in inputs.coords.staff_group  # primary care left out by the sector
