"""The GP practice workforce (HEEC yearly averages) importer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shared_data import real
from wfplan.dataset.importers.gp_practice import icb_code
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore

ROOT = Path(__file__).resolve().parents[1]
HEADER = ('"Practice.Code","Year","ICB_NAME","TOTAL_PATIENTS","TOTAL_GP_EXTGL_FTE",'
          '"TOTAL_LOCUUM_TRN_FTE","TOTAL_NURSES_FTE","TOTAL_DPC_FTE","TOTAL_ADMIN_FTE",'
          '"TOTAL_GP_SEN_PTNR_FTE","TOTAL_GP_PTNR_PROV_FTE","TOTAL_N_NURSE_PTNR_FTE",'
          '"TOTAL_ADMIN_MANAGE_PTNR_FTE","TOTAL_PTNR_PER_GP_FTE","TOTAL_GP_EXTGL_HC",'
          '"TOTAL_LOCUUM_TRN_HC","TOTAL_NURSES_HC","TOTAL_DPC_HC","TOTAL_ADMIN_HC",'
          '"TOTAL_GP_SEN_PTNR_HC","TOTAL_GP_PTNR_PROV_HC","TOTAL_N_NURSE_PTNR_HC",'
          '"TOTAL_ADMIN_MANAGE_PTNR_HC","TOTAL_PTNR_PER_GP_HC","IMD","IMD_quintile"')


def real_file() -> Path:
    return real("gp_practice_workforce", "heec_gp_workforce_practice_year_derived.csv")


def line(code: str, year: str, icb: str, gp: str, locum: str, nurses: str, dpc: str,
         admin: str, sen: str, prov: str, gp_hc: str = "4.4", sen_hc: str = "1",
         prov_hc: str = "2") -> str:
    return (f'"{code}","{year}","{icb}",5000,{gp},{locum},{nurses},{dpc},{admin},{sen},{prov},'
            f"0,0,0.5,{gp_hc},1.2,{nurses},{dpc},{admin},{sen_hc},{prov_hc},0,0,0.5,20,3")


@pytest.fixture
def store(tmp_path: Path):
    with DuckDBStore(tmp_path / "w.duckdb") as db:
        yield db


def test_icb_names_map_with_or_without_nhs_and_icb() -> None:
    assert icb_code("Devon") == icb_code("NHS Devon ICB") == "QJK"
    assert icb_code("Cornwall and The Isles Of Scilly") == "QT6"
    assert icb_code("Atlantis") is None


def test_gp_roles_add_up_without_counting_partners_twice(tmp_path: Path, store) -> None:
    path = tmp_path / "gp.csv"
    path.write_text("\n".join([
        HEADER,
        line("A81001", "2024", "North East and North Cumbria", "4", "1.5", "2", "1", "7", "1",
             "2"),
        # partners exceed qualified GPs after rounding of averages: capped
        line("A81002", "2024", "Devon", "1.9", "NA", "NA", "NA", "3", "1", "1"),
    ]) + "\n", encoding="utf-8")
    report = ingest(store, [path], "v")
    rows = store.query("SELECT org_code, staff_group, coalesce(role, '') AS role, fte, "
                       "headcount, strftime(period, '%Y-%m-%d') AS period FROM staff_in_post "
                       "ORDER BY org_code, staff_group, role")
    a = rows[rows["org_code"] == "A81001"].set_index(["staff_group", "role"])
    assert a.loc[("gp", "gp_partner"), "fte"] == 3
    assert a.loc[("gp", "gp_salaried"), "fte"] == pytest.approx(1)
    assert a.loc[("gp", "GP locums and trainees"), "fte"] == 1.5
    assert a.loc[[("gp", "gp_partner"), ("gp", "gp_salaried")], "fte"].sum() == 4
    assert a.loc[("pc_nurses", ""), "fte"] == 2
    assert a.loc[("gp", "gp_partner"), "headcount"] == 3
    assert a.loc[("gp", "gp_salaried"), "headcount"] == 1  # 4.4 − 3 = 1.4, rounded
    assert set(rows["period"]) == {"2023-09-30"}
    b = rows[rows["org_code"] == "A81002"].set_index(["staff_group", "role"])
    assert b.loc[("gp", "gp_partner"), "fte"] == pytest.approx(1.9)
    assert b.loc[("gp", "gp_salaried"), "fte"] == 0
    assert ("pc_nurses", "") not in b.index  # NA: not reported, not loaded
    assert any("partners capped" in w for w in report.warnings)
    orgs = store.query("SELECT org_code, icb_code, region_code, sector, valid_from "
                       "FROM organisations ORDER BY 1")
    assert orgs[["icb_code", "region_code"]].values.tolist() == [["QHM", "Y63"],
                                                                 ["QJK", "Y58"]]
    assert str(orgs["valid_from"].iloc[0])[:10] == "2023-04-01"


def test_practices_already_known_keep_their_record(tmp_path: Path, store) -> None:
    reference = tmp_path / "organisations.csv"
    reference.write_text("org_code,name,sector,org_type,icb_code\n"
                         "A81001,The Real Surgery,primary_care,GP practice,QHM\n",
                         encoding="utf-8")
    path = tmp_path / "gp.csv"
    path.write_text("\n".join([
        HEADER,
        line("A81001", "2023", "North East and North Cumbria", "4", "1", "2", "1", "7", "1",
             "2"),
        line("Z99999", "2023", "Atlantis", "4", "1", "2", "1", "7", "1", "2"),
        "",
    ]), encoding="utf-8")
    report = ingest(store, [path, reference], "v")
    orgs = store.query("SELECT org_code, name, icb_code FROM organisations ORDER BY 1")
    assert orgs.values.tolist() == [["A81001", "The Real Surgery", "QHM"],
                                    ["Z99999", "GP practice Z99999", "Atlantis"]]
    assert ("organisations", "icb_code", "Atlantis") in set(map(tuple, store.query(
        "SELECT table_name, column_name, value FROM unmapped").values.tolist()))
    assert any("1 organisation(s) named in this file are described by reference data"
               in w for w in report.warnings)
    assert store.scalar("SELECT count(*) FROM ingests WHERE format LIKE 'heec%' "
                        "AND rows = 13") == 1  # 1 new practice + 2 × 6 cells


@pytest.mark.realdata
def test_real_totals_match_the_file(tmp_path: Path, store) -> None:
    path = real_file()
    report = ingest(store, [path], "real")
    raw = pd.read_csv(path, na_values=["NA"])
    assert store.scalar("SELECT count(*) FROM organisations") == raw["Practice.Code"].nunique()
    got = store.query("SELECT year(period) + 1 AS year, staff_group, sum(fte) AS fte "
                      "FROM staff_in_post GROUP BY ALL").pivot_table(
        index="year", columns="staff_group", values="fte")
    want = raw.groupby("Year")[["TOTAL_GP_EXTGL_FTE", "TOTAL_LOCUUM_TRN_FTE",
                                "TOTAL_NURSES_FTE", "TOTAL_DPC_FTE", "TOTAL_ADMIN_FTE"]].sum()
    for year in (2023, 2024, 2025):
        assert got.at[year, "gp"] == pytest.approx(
            want.at[year, "TOTAL_GP_EXTGL_FTE"] + want.at[year, "TOTAL_LOCUUM_TRN_FTE"])
        assert got.at[year, "pc_nurses"] == pytest.approx(want.at[year, "TOTAL_NURSES_FTE"])
        assert got.at[year, "pc_direct_patient_care"] == pytest.approx(
            want.at[year, "TOTAL_DPC_FTE"])
        assert got.at[year, "pc_admin"] == pytest.approx(want.at[year, "TOTAL_ADMIN_FTE"])
    assert round(got.at[2023, "pc_nurses"], 1) == 16473.3
    unmapped = store.query("SELECT column_name, value FROM unmapped")
    assert unmapped.values.tolist() == [["role", "GP locums and trainees"]] or \
        unmapped.empty  # empty once the role code list has the combined role
    assert any("6,486 practices added" in w for w in report.warnings)


@pytest.mark.realdata
def test_unseen_later_edition_imports_with_warnings(tmp_path: Path, store) -> None:
    raw = real_file().read_text(encoding="utf-8").splitlines()
    header = raw[0].replace('"IMD_quintile"', '"IMD_quintile","NEW_MEASURE_FTE"')
    rows = [r.replace('"2025"', '"2026"') + ",1" for r in raw[1:] if '"2025"' in r][:300]
    rows = [r.replace("Sussex", "Sussex and Surrey") for r in rows]
    rows.append(line("ZZ0001", "2025/26", "A Brand New ICB", "1", "1", "1", "1", "1", "0",
                     "0") + ",1")
    path = tmp_path / "heec_gp_workforce_practice_year_2026.csv"
    path.write_bytes(("\r\n".join([header, *rows, "", "Source: NHS Digital"]) + "\r\n")
                     .encode("utf-8-sig"))
    report = ingest(store, [path], "later")
    assert str(store.scalar("SELECT max(period) FROM staff_in_post"))[:10] == "2025-09-30"
    assert store.scalar("SELECT count(*) FROM organisations WHERE org_code = 'ZZ0001'") == 1
    assert any("columns not read: new_measure_fte" in w for w in report.warnings)
    assert any("'A Brand New ICB'" in w for w in report.warnings)


def test_every_bad_cell_is_reported_with_its_row_column_and_rule(tmp_path: Path,
                                                                 store) -> None:
    """The publication toolkit lists every bad cell of a file, not the first column's."""
    from wfplan.dataset.ingest_report import IngestError

    path = tmp_path / "gp.csv"
    path.write_text("\n".join([
        HEADER,
        line("A81001", "2024", "Devon", "four", "1.5", "2", "1", "7", "1", "2"),
        line("A81002", "last year", "Devon", "1.9", "NA", "lots", "NA", "3", "1", "1"),
    ]) + "\n", encoding="utf-8")
    with pytest.raises(IngestError) as caught:
        ingest(store, [path], "v")
    message = str(caught.value)
    assert caught.value.total == 4, message
    for expected in [
        "gp.csv, row 1 (line 2), column 'total_gp_extgl_fte': value 'four': must be a number "
        "(rule: type double)",
        "gp.csv, row 2 (line 3), column 'year': value 'last year': must be a financial year",
        "gp.csv, row 2 (line 3), column 'total_nurses_fte': value 'lots': must be a number",
        "gp.csv, row 2 (line 3), column 'total_nurses_hc': value 'lots': must be a number",
    ]:
        assert expected in message, message
    assert store.query("SELECT count(*) AS n FROM ingests")["n"].iloc[0] == 0
