"""Demand by service: each staff group's age profile is its services' mix; ICBs from LAs.

Before, every staff group took one hospital-activity age profile, and below
region level every ICB took its NHS region's population. Each test builds a
small hand-made vintage whose expected figures are worked out in its comments.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from wfplan.dataset.ingest import ingest
from wfplan.dataset.ingest_report import IngestError
from wfplan.dataset.store import DuckDBStore
from wfplan.inputs import services
from wfplan.inputs.build import build_inputs
from wfplan.model.demand import demographic_ratio

if TYPE_CHECKING:
    from backends import Backend
    from conftest import Kit

BASE = "2024-03-31"
GROUPS = ("gp", "asc_direct_care", "hchs_doctors")
BANDS = ("0_64", "65_84", "85_plus")
# England: the 85+ grow fastest (x2 over six years), 65-84 by 20%, under 65 flat
ENGLAND = {2024: (1000.0, 200.0, 50.0), 2030: (1000.0, 240.0, 100.0)}
# Y56 (London) grows by band; two local authorities, the second split 0.6 / 0.4
Y56 = {2024: (400.0, 50.0, 10.0), 2030: (400.0, 60.0, 15.0)}
LA = {"E09000007": (100.0, 20.0, 4.0), "E09000033": (200.0, 10.0, 2.0)}
LOOKUP = [("E09000007", "QMJ", ""), ("E09000033", "QMJ", "0.6"), ("E09000033", "QRV", "0.4")]


def _csv(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


def _files(folder: Path, lookup: list[tuple[str, str, str]] | None) -> list[Path]:
    orgs = pd.DataFrame([("RAA", "Trust A", "nhs_trust", "QMJ", "Y56"),
                         ("RDD", "Trust D", "nhs_trust", "QJK", "Y58")],
                        columns=["org_code", "name", "sector", "icb_code", "region_code"])
    staff = pd.DataFrame([(BASE, org, group, 10, 10.0) for org in ("RAA", "RDD")
                          for group in GROUPS],
                         columns=["period", "org_code", "staff_group", "headcount", "fte"])
    rows = [(year, area, band, persons)
            for area, years in (("E92000001", ENGLAND), ("Y56", Y56), ("Y58", Y56))
            for year, values in years.items()
            for band, persons in zip(BANDS, values, strict=True)]
    rows += [(2024, la, band, persons) for la, values in LA.items()
             for band, persons in zip(BANDS, values, strict=True)]
    population = pd.DataFrame(rows, columns=["year", "area_code", "age_band", "persons"])
    written = [_csv(folder / "orgs.csv", orgs), _csv(folder / "staff.csv", staff),
               _csv(folder / "population.csv", population)]
    if lookup is not None:
        written.append(_csv(folder / "la_icb_lookup.csv",
                            pd.DataFrame(lookup, columns=["la_code", "icb_code", "share"])))
    return written


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    folder = tmp_path_factory.mktemp("services")
    with DuckDBStore(folder / "s.duckdb") as opened:
        ingest(opened, _files(folder, LOOKUP), "v")
        ingest(opened, _files(folder, None), "nolookup")
        yield opened


def test_gp_social_care_and_hospital_staff_get_different_age_profiles(
        store: DuckDBStore) -> None:
    inputs = build_inputs(store, "v", BASE, "england")
    profile = {g: inputs.utilisation.sel(staff_group=g).values for g in GROUPS}
    for first, second in (("gp", "asc_direct_care"), ("gp", "hchs_doctors"),
                          ("asc_direct_care", "hchs_doctors")):
        assert not np.allclose(profile[first], profile[second]), (first, second)
    # social care serves adults: its use per head is lowest under 65 of the three
    assert profile["asc_direct_care"][0] < min(profile["gp"][0], profile["hchs_doctors"][0])
    record = next(a for a in inputs.assumptions if a.name == "utilisation")
    assert "adult_social_care: data/service_utilisation.csv" in record.reason
    assert "gp 1" in record.reason
    assert "asc_direct_care 1" in record.reason


def test_social_care_demand_grows_faster_than_hospital_when_the_85_plus_grow_fastest(
        store: DuckDBStore) -> None:
    inputs = build_inputs(store, "v", BASE, "england")
    ratio = demographic_ratio(inputs, 6)[0, -1, 0]  # principal, 2030, England
    groups = inputs.coords.staff_group
    asc, hospital = ratio[groups.index("asc_direct_care")], ratio[groups.index("hchs_doctors")]
    assert asc > hospital > 1.0
    # each is the population growth weighted by its own profile (worked from the arrays)
    for group in ("asc_direct_care", "hchs_doctors"):
        util = inputs.utilisation.sel(staff_group=group).values
        expected = np.dot(ENGLAND[2030], util) / np.dot(ENGLAND[2024], util)
        assert ratio[groups.index(group)] == pytest.approx(expected)


def test_an_icb_takes_the_sum_of_its_local_authorities_split_by_share(
        store: DuckDBStore) -> None:
    inputs = build_inputs(store, "v", BASE, "icb")
    population = inputs.population
    qmj_2024 = np.array(LA["E09000007"]) + 0.6 * np.array(LA["E09000033"])
    assert population.sel(variant="principal", year=2024, area="QMJ").values == pytest.approx(
        qmj_2024)
    # after the local year, the ICB grows with its region (Y56) band by band
    growth = np.array(Y56[2030]) / np.array(Y56[2024])
    assert population.sel(variant="principal", year=2030, area="QMJ").values == pytest.approx(
        qmj_2024 * growth)
    # QJK has no lookup rows: its region's population, and the assumptions say so
    assert population.sel(variant="principal", year=2024, area="QJK").values == pytest.approx(
        Y56[2024])
    records = [a for a in inputs.assumptions if a.name == "population below region level"]
    assert {r.value for r in records} == {"local authorities (la_icb_lookup)",
                                         "NHS region's population"}
    regional = next(r for r in records if r.value == "NHS region's population")
    assert "QJK" in regional.reason
    assert "QMJ" not in regional.reason


def test_without_a_lookup_every_icb_takes_its_region_and_that_is_recorded(
        store: DuckDBStore) -> None:
    inputs = build_inputs(store, "nolookup", BASE, "icb")
    assert inputs.population.sel(variant="principal", year=2024, area="QMJ").values == (
        pytest.approx(Y56[2024]))
    records = [a for a in inputs.assumptions if a.name == "population below region level"]
    assert [r.value for r in records] == ["NHS region's population"]
    assert "QJK" in records[0].reason
    assert "QMJ" in records[0].reason


def test_a_lookup_valid_later_is_not_used_before_it_starts(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "later.duckdb") as opened:
        later = [(la, icb, share) for la, icb, share in LOOKUP]
        files = _files(tmp_path, None)
        frame = pd.DataFrame(later, columns=["la_code", "icb_code", "share"])
        frame["valid_from"] = "2025-04-01"
        files.append(_csv(tmp_path / "lookup.csv", frame))
        ingest(opened, files, "v")
        inputs = build_inputs(opened, "v", BASE, "icb")
    assert inputs.population.sel(variant="principal", year=2024, area="QMJ").values == (
        pytest.approx(Y56[2024]))


def test_every_staff_group_has_a_service_mix_summing_to_one() -> None:
    from wfplan.dataset import codelists

    mix = services.staff_group_mix()
    assert set(mix) == set(codelists.get("staff_group").codes)
    for group, weights in mix.items():
        assert sum(weights.values()) == pytest.approx(1.0), group
    profiles = services.package_profiles()
    assert set(profiles) == set(services.SERVICES)
    asc = profiles["adult_social_care"]
    old = dict(zip(asc.bands, asc.values, strict=True))
    assert old["85_89"] > 2 * old["75_79"] > 2 * old["65_69"]  # steep over 65 and over 85


def test_shares_over_one_and_an_unknown_icb_are_refused_where_they_are(
        kit: Kit, base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "lookup.csv", "la_code,icb_code,share\n"
                     "E09000033,QMJ,0.7\nE09000033,QRV,0.5\nE09000007,QZZ,1\n")
    message = kit.refused(base_db, path)
    assert ("lookup.csv, row 2 (line 3), column 'share': value '0.5': the shares of local "
            "authority E09000033 sum to 1.2 (rule: the shares of one local authority in "
            "la_icb_lookup sum to at most 1") in message
    assert "lookup.csv, row 1 (line 2), column 'share'" in message
    assert ("lookup.csv, row 3 (line 4), column 'icb_code': value 'QZZ': is not a known ICB "
            "(rule: known icb") in message


def test_the_lookup_and_its_checks_work_on_both_engines(backend: Backend,
                                                       tmp_path: Path) -> None:
    with backend.open() as opened:
        ingest(opened, _files(tmp_path, LOOKUP), "v")
        inputs = build_inputs(opened, "v", BASE, "icb")
        bad = _csv(tmp_path / "bad.csv", pd.DataFrame(
            [("E09000001", "QMJ", 0.9), ("E09000001", "QRV", 0.2)],
            columns=["la_code", "icb_code", "share"]))
        with pytest.raises(IngestError, match=r"bad.csv, row 2 \(line 3\), column 'share'"):
            ingest(opened, [bad], "v")
    qmj = np.array(LA["E09000007"]) + 0.6 * np.array(LA["E09000033"])
    assert inputs.population.sel(variant="principal", year=2024, area="QMJ").values == (
        pytest.approx(qmj))


def test_an_assessment_extract_carries_the_lookup_and_its_local_authorities(
        store: DuckDBStore) -> None:
    from datetime import date

    from wfplan.assessment.extract import model_tables

    tables = model_tables(store, "v", date.fromisoformat(BASE))
    assert tables["la_icb_lookup"].num_rows == len(LOOKUP)
    held = set(tables["population"].column("area_code").to_pylist())
    assert set(LA) <= held


NCL = ("E09000003", "E09000007", "E09000010", "E09000014", "E09000019")  # North Central London


@pytest.mark.realdata
def test_real_local_authorities_make_an_icb_population(tmp_path: Path) -> None:
    from shared_data import real

    regions_file = real("population", "ons_region_population_by_age_2022_2028.csv")
    la_file = real("population", "la_population_single_year_of_age.csv")
    files = _files(tmp_path, [(la, "QMJ", "") for la in NCL])
    files = [files[0], files[1], files[3], regions_file, la_file]  # no hand-made population
    with DuckDBStore(tmp_path / "real.duckdb") as opened:
        ingest(opened, files, "v")
        inputs = build_inputs(opened, "v", BASE, "icb")
    # the LA file holds mid-2023 by single year; the model's bands are the ONS ten-year ones
    la = pd.read_csv(la_file).set_index("code").loc[list(NCL)]
    ages = [str(a) for a in range(10)]
    local_0_9 = float(la[ages].to_numpy().sum())
    london = pd.read_csv(regions_file)
    london = london[(london["region"] == "london") & (london["age_band"] == "0_9")]
    by_year = london.set_index("year")["population_thousands"]
    expected = local_0_9 * by_year[2024] / by_year[2023]
    population = inputs.population
    assert population.coords["population_age_band"][0] == "0_9"
    assert population.sel(variant="principal", year=2024, area="QMJ").values[0] == (
        pytest.approx(expected))
    assert population.sel(variant="principal", year=2024, area="QJK").values[0] != (
        pytest.approx(expected))
