"""Population (ONS regions, UK, local authorities) and utilisation importers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import shared_data
from wfplan.dataset import codelists
from wfplan.dataset.importers.population import ONS_REGIONS, age_code
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
FILES = ("ons_region_population_by_age_2022_2028.csv", "uk_population_2022_2030.csv",
         "la_population_single_year_of_age.csv", "nhs_activity_cost_by_age_sex.csv")


def real(name: str) -> Path:
    return shared_data.real("population", name)


@pytest.fixture
def store(tmp_path: Path):
    with DuckDBStore(tmp_path / "w.duckdb") as db:
        yield db


def area_known_or_unmapped(store: DuckDBStore, code: str) -> bool:
    in_areas = store.scalar("SELECT count(*) FROM areas WHERE code = ?", [code])
    unmapped = store.scalar("SELECT count(*) FROM unmapped WHERE column_name = 'area_code' "
                            "AND value = ?", [code])
    return bool(in_areas or unmapped)


@pytest.mark.parametrize(("label", "code"), [
    ("0 years", "0"), ("01-04 years", "1_4"), ("95 years or older", "95_plus"),
    ("80_89", "80_89"), ("90+", "90_plus"), ("37", "37"), ("all", "all"), ("unknown", None)])
def test_age_codes(label: str, code: str | None) -> None:
    assert age_code(label) == code


# -- the real files --------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory):
    paths = [real(name) for name in FILES]
    with DuckDBStore(tmp_path_factory.mktemp("pop") / "real.duckdb") as db:
        report = ingest(db, list(reversed(paths)), "real")  # population still loads first
        yield db, report


@pytest.mark.realdata
def test_real_regions_nhs_regions_and_england(real_store) -> None:
    store, _ = real_store
    raw = pd.read_csv(real(FILES[0]))
    totals = store.query(
        "SELECT year, variant, sum(persons) AS persons FROM population WHERE area_code = "
        "'E92000001' GROUP BY ALL ORDER BY year").set_index("year")
    assert totals.at[2022, "persons"] == 57_105_000  # README: 57.1m in 2022
    assert totals["persons"].tolist() == (raw.groupby("year")["population_thousands"].sum()
                                          * 1000).tolist()
    assert totals["variant"].isna().tolist() == [True, True] + [False] * 5
    assert set(totals["variant"].dropna()) == {"principal"}
    by_area = store.query("SELECT area_code, year, age_band, persons FROM population "
                          "WHERE year = 2030 - 5 AND area_code IN ('Y60', 'E12000004', "
                          "'E12000005', 'Y63', 'E12000001', 'E12000003')")
    pivot = by_area.pivot_table(index="age_band", columns="area_code", values="persons")
    assert (pivot["Y60"] == pivot["E12000004"] + pivot["E12000005"]).all()
    assert (pivot["Y63"] == pivot["E12000001"] + pivot["E12000003"]).all()
    nhs = store.scalar("SELECT sum(persons) FROM population WHERE area_code LIKE 'Y%' AND "
                       "year = 2022")
    assert nhs == 57_105_000
    bands = set(store.query("SELECT DISTINCT age_band FROM population WHERE area_code = "
                            "'E92000001'")["age_band"])
    assert "80_plus" in bands
    assert "80_89" not in bands
    assert area_known_or_unmapped(store, "E12000007")


@pytest.mark.realdata
def test_real_ons_region_codes_are_known_areas_mapped_to_nhs_regions(real_store) -> None:
    store, report = real_store
    assert store.scalar("SELECT count(*) FROM unmapped WHERE value LIKE 'E12%'") == 0
    assert not any("E12000" in w and "matches no known code" in w for w in report.warnings)
    regions = store.query("SELECT code, name, parent_code FROM areas WHERE level = "
                          "'ons_region' ORDER BY code")
    assert regions["code"].tolist() == [f"E1200000{i}" for i in range(1, 10)]
    assert set(regions["parent_code"]) == {"E92000001"}
    note = next(w for w in report.warnings if "mapped to NHS England regions" in w)
    assert "one-to-one Y56 = E12000007, Y58 = E12000009" in note
    assert "Y60 = E12000004 + E12000005" in note
    for approximate in ("Y63 ≈ E12000001 + E12000003", "Y62 ≈ E12000002", "Y61 ≈ E12000006",
                        "Y59 ≈ E12000008"):
        assert approximate in note


@pytest.mark.realdata
def test_the_ons_region_code_list_matches_the_gp_practice_region_mapping() -> None:
    # NHS Digital's practice → CCG → commissioning region mapping of January 2022 shows the
    # boundary areas the code list names: each is in the NHS region the list says.
    mapping = pd.read_csv(real("../reference/gp-reg-pat-prac-map_2022-01.csv"), dtype=str)
    regions = mapping.groupby("CCG_NAME")["COMM_REGION_CODE"].agg(set)
    assert regions["NHS Bedfordshire, Luton and Milton Keynes CCG"] == {"Y61"}  # MK: ONS SE
    assert regions["NHS North Cumbria CCG"] == {"Y63"}  # ONS North West
    assert regions["NHS Tameside and Glossop CCG"] == {"Y62"}  # Glossop: ONS East Midlands
    assert regions["NHS Bassetlaw CCG"] == {"Y63"}  # ONS East Midlands
    ons = pd.DataFrame(codelists.get("ons_region").rows).set_index("code")
    assert set(ons["nhs_region_code"]) == set(codelists.get("region").codes)
    assert ons.loc[["E12000007", "E12000009"], "correspondence"].tolist() == ["one_to_one"] * 2
    assert ons.loc[["E12000002", "E12000006", "E12000008"], "correspondence"].eq(
        "approximate").all()
    assert ons["source"].str.len().gt(0).all()


def test_ons_regions_from_two_regional_files_are_one_area_each(tmp_path: Path, store) -> None:
    lines = ["region,age_band,year,population_thousands"]
    for _code, name in ONS_REGIONS.values():
        lines += [f"{name},0_9,2029,1", f"{name},80_89,2029,2"]
    first = tmp_path / "ons_region_population_by_age_2024_2029.csv"
    first.write_text("\n".join(lines) + "\n", encoding="utf-8")
    second = tmp_path / "ons_region_population_by_age_2024_2030.csv"
    second.write_text("\n".join(lines).replace(",2029,", ",2030,") + "\n", encoding="utf-8")
    ingest(store, [first], "v")
    report = ingest(store, [second], "v")
    assert store.scalar("SELECT count(*) FROM areas WHERE level = 'ons_region'") == 9
    assert store.scalar("SELECT count(*) FROM unmapped") == 0
    assert report.unmapped_warnings == []
    london = store.query("SELECT area_code, sum(persons) AS p FROM population WHERE year = "
                         "2030 AND area_code IN ('E12000007', 'Y56') GROUP BY 1 ORDER BY 1")
    assert london["p"].tolist() == [3000.0, 3000.0]  # one-to-one: the same area


@pytest.mark.realdata
def test_real_uk_and_local_authorities(real_store) -> None:
    store, report = real_store
    uk = store.query("SELECT year, persons, variant, age_band FROM population WHERE "
                     "area_code = 'K02000001' ORDER BY year")
    assert uk["persons"].iloc[0] == pytest.approx(67_600_000)
    assert set(uk["variant"]) == {"principal"}
    assert set(uk["age_band"]) == {"all"}
    assert store.scalar("SELECT count(*) FROM unmapped WHERE value = 'K02000001'") == 0
    assert store.scalar("SELECT level FROM areas WHERE code = 'K02000001'") == "uk"
    raw = pd.read_csv(real(FILES[2]))
    english = raw[raw["code"].str.startswith("E")]
    la = store.query("SELECT count(DISTINCT area_code) AS n, count(*) AS rows, "
                     "sum(persons) AS persons FROM population WHERE year = 2023 AND "
                     "area_code LIKE 'E0%'")
    assert la["n"].item() == len(english) == 296
    assert la["rows"].item() == 296 * 91
    assert la["persons"].item() == pytest.approx(english.drop(columns=["code", "name", "all"])
                                                 .to_numpy().sum())
    assert store.scalar("SELECT count(*) FROM population WHERE area_code LIKE 'S%' OR "
                        "area_code LIKE 'N%' OR area_code LIKE 'W%'") == 0
    assert any("left out 64 rows outside England" in w for w in report.warnings)
    assert store.scalar("SELECT count(*) FROM areas WHERE level = 'la'") == 296
    assert store.scalar("SELECT count(*) FROM unmapped WHERE value LIKE 'E0%'") == 0


@pytest.mark.realdata
def test_real_utilisation_per_head(real_store) -> None:
    store, report = real_store
    util = store.query("SELECT * FROM utilisation ORDER BY service, age_band")
    assert len(util) == 3 * 20
    assert util["sex"].isna().all()
    assert util["activity_per_head"].notna().all()
    activity = pd.read_csv(real(FILES[3]))
    pop = pd.read_csv(real(FILES[2]))
    pop = pop[pop["code"].str.startswith("E")]
    ae_babies = activity[(activity["Service"] == "AE") & (activity["Age group"] == "0 years")
                         & (activity["Metric"] == "Activity Count")]["Total"].sum()
    expected = ae_babies / pop["0"].sum()
    got = util[(util["service"] == "AE") & (util["age_band"] == "0")]["activity_per_head"]
    assert got.item() == pytest.approx(expected)
    old = activity[(activity["Service"] == "APC") & activity["Age group"].isin(
        ["90-94 years", "95 years or older"]) & (activity["Metric"] == "Total Cost")]
    got = util[(util["service"] == "APC") & (util["age_band"] == "90_plus")]["cost_per_head"]
    assert got.item() == pytest.approx(old["Total"].sum() / pop["90+"].sum())
    assert any("summed over sex" in w for w in report.warnings)
    assert any("no England population by sex" in w for w in report.warnings)


# -- hand-made files -----------------------------------------------------------------


def activity_file(path: Path, rows: list[str]) -> Path:
    path.write_text("Service,Gender,Age group,Metric,Total\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    return path


def test_utilisation_needs_a_population(tmp_path: Path, store) -> None:
    path = activity_file(tmp_path / "act.csv", ["AE,Female,0 years,Activity Count,10"])
    with pytest.raises(InputError, match="needs the England population"):
        ingest(store, [path], "v")
    assert store.scalar("SELECT count(*) FROM utilisation") == 0


def test_by_sex_rates_when_the_vintage_has_population_by_sex(tmp_path: Path, store) -> None:
    ages = [str(a) for a in range(90)] + ["90_plus"]
    pop = pd.DataFrame([{"year": 2023, "area_code": "E92000001", "age_band": a, "sex": s,
                         "persons": 100 if s == "female" else 50}
                        for a in ages for s in ("female", "male")])
    pop.to_csv(tmp_path / "population.csv", index=False)
    path = activity_file(tmp_path / "act.csv", [
        "AE,Female,01-04 years,Activity Count,80", "AE,Male,01-04 years,Activity Count,20",
        "AE,Female,01-04 years,Total Cost,400", "AE,Male,01-04 years,Total Cost,200",
        "AE,Female,Unknown age,Activity Count,5", "AE,Female,0 years,Bed days,3"])
    report = ingest(store, [tmp_path / "population.csv", path], "v")
    util = store.query("SELECT coalesce(sex, 'persons') AS sex, activity_per_head, "
                       "cost_per_head FROM utilisation ORDER BY 1")
    assert util.values.tolist() == [["female", 80 / 400, 400 / 400],
                                    ["male", 20 / 200, 200 / 200],
                                    ["persons", 100 / 600, 600 / 600]]
    assert any("'Unknown age' not understood" in w for w in report.warnings)
    assert any("'Bed days' is neither activity nor cost" in w for w in report.warnings)


def test_unseen_later_editions_import_with_warnings(tmp_path: Path, store) -> None:
    # Regional file: a region that is not English, a 90+ band, cp1252 with CRLF and notes.
    lines = ["Region,Age Band,Year,Population (thousands)"]
    for region in ("north_east", "north_west", "yorkshire_and_the_humber", "east_midlands",
                   "west_midlands", "East of England", "london", "south_east", "south_west",
                   "Wales \u2013 Cymru"):
        lines += [f"{region},0_9,2029,\"1,000\"", f"{region},80_89,2029,10",
                  f"{region},90+,2029,1"]
    lines += ["", "Source: ONS, 2024-based projections"]
    regional = tmp_path / "ons_region_population_by_age_2024_2034.csv"
    regional.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    # Local authorities: mid-2024 in the name, a county code, a Welsh row.
    ages = ",".join(str(a) for a in range(90))
    la = tmp_path / "la_population_mid-2024.csv"
    la.write_text(f"code,name,all,{ages},90+\n"
                  f"E06000001,Hartlepool,91,{','.join('1' for _ in range(90))},1\n"
                  f"E10000002,A New County,182,{','.join('2' for _ in range(90))},2\n"
                  f"W06000001,Anglesey,91,{','.join('1' for _ in range(90))},1\n",
                  encoding="utf-8-sig")
    act = activity_file(tmp_path / "act.csv", ["CC,Female,100 years or older,Activity Count,9",
                                               "CC,Male,95 years or older,Activity Count,3"])
    report = ingest(store, [regional, la, act], "v")
    england = store.query("SELECT age_band, persons FROM population WHERE area_code = "
                          "'E92000001' ORDER BY age_band")
    assert england.values.tolist() == [["0_9", 9_000_000.0], ["80_89", 90_000.0],
                                       ["90_plus", 9_000.0]]
    assert store.scalar("SELECT count(*) FROM population WHERE area_code = "
                        "'Wales \u2013 Cymru'") == 3
    assert any("'Wales \u2013 Cymru' are not ONS regions of England" in w
               for w in report.warnings)
    assert set(store.query("SELECT DISTINCT year FROM population WHERE area_code LIKE 'E0%' "
                           "OR area_code LIKE 'E1%'")["year"]) == {2024, 2029}
    rate = store.query("SELECT service, age_band, activity_per_head FROM utilisation")
    assert rate.values.tolist() == [["CC", "90_plus", 12 / 1]]  # lower tier only: not E10
    assert any("left out 1 rows outside England" in w for w in report.warnings)


def test_local_authorities_already_known_keep_their_area(tmp_path: Path, store) -> None:
    areas = tmp_path / "areas.csv"
    areas.write_text("code,name,level,parent_code\nE06000001,Hartlepool (lookup),la,E06000001\n",
                     encoding="utf-8")
    ages = ",".join(str(a) for a in range(90))
    la = tmp_path / "la_population.csv"
    la.write_text(f"code,name,{ages},90+\n"
                  f"E06000001,Hartlepool,{','.join('1' for _ in range(90))},1\n"
                  f"E06000063,Cumberland,{','.join('2' for _ in range(90))},2\n",
                  encoding="utf-8")
    report = ingest(store, [la, areas], "v")
    got = store.query("SELECT code, name, coalesce(parent_code, '-') FROM areas "
                      "WHERE level = 'la' ORDER BY 1")
    assert got.values.tolist() == [["E06000001", "Hartlepool (lookup)", "E06000001"],
                                   ["E06000063", "Cumberland", "-"]]
    assert any("1 area(s) named in this file are described by reference data in the vintage"
               in w for w in report.warnings)
    assert any("1 local authorities added as areas (level la)" in w for w in report.warnings)
    assert store.scalar("SELECT count(*) FROM unmapped") == 0
