"""A header that names a column twice is refused, naming both places, in every reader.

Before, ``fte,fte`` loaded the first column and silently ignored the second,
in tidy CSV, XLSX and Parquet files and in the publication importers alike.
A repeated column that no importer reads is no error: it is named, with its
places, in the note of columns not read.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wfplan.dataset import readers
from wfplan.dataset.importers.headers import repeated

if TYPE_CHECKING:
    from conftest import Kit

RULE = "(rule: a column is named once in the header"
SIP = ["period", "org_code", "staff_group", "headcount", "fte", "fte"]
SIP_ROW = ["2024-03", "RBB", "managers", "3", "3", "30"]
PCN = ("CENSUS_YEAR,CENSUS_MONTH,PCN_CODE,PCN_NAME,SUB_ICB_CODE,SUB_ICB_NAME,ICB_CODE,"
       "ICB_NAME,COMM_REGION_CODE,COMM_REGION_NAME,STAFF_GROUP,STAFF_ROLE,"
       "DETAILED_STAFF_ROLE,FTE,UNIQUE_IDENTIFIER")
PCN_ROW = ("2021,9,U00070,WEST PCN,36L,Sub ICB,QWE,NHS SW London ICB,Y56,London,"
           "Other Direct Patient Care staff,Pharmacists,Pharmacists,1,101")


def test_repeated_header_cells_are_found_by_the_key_columns_are_matched_with() -> None:
    header = ["Period", "FTE", " fte ", "x", "", ""]
    assert repeated(header, readers.normalise_column) == {"fte": [1, 2]}


def test_a_tidy_csv_naming_fte_twice_is_refused_naming_both_fields(kit: Kit,
                                                                  base_db: Path) -> None:
    bad = kit.write(kit.tmp_path / "twice.csv", ",".join(SIP) + "\n" + ",".join(SIP_ROW) + "\n")
    message = kit.refused(base_db, bad)
    assert f"twice.csv: names column 'fte' twice, at fields 5 and 6 {RULE}" in message


def test_a_tidy_csv_naming_a_column_twice_in_other_cases_is_refused(kit: Kit,
                                                                   base_db: Path) -> None:
    header = "period,org_code,staff_group,headcount,FTE,fte"
    bad = kit.write(kit.tmp_path / "cases.csv", header + "\n" + ",".join(SIP_ROW) + "\n")
    message = kit.refused(base_db, bad)
    assert "cases.csv: names one column twice, as 'FTE' and 'fte', at fields 5 and 6" in message


def test_a_tidy_csv_naming_a_column_twice_is_refused_even_with_ignore_extra_columns(
        kit: Kit, base_db: Path) -> None:
    bad = kit.write(kit.tmp_path / "twice.csv", ",".join(SIP) + "\n" + ",".join(SIP_ROW) + "\n")
    message = kit.refused(base_db, bad, extra=("--ignore-extra-columns",))
    assert "names column 'fte' twice, at fields 5 and 6" in message


def test_a_tidy_workbook_naming_fte_twice_is_refused_naming_both_cells(kit: Kit,
                                                                      base_db: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "staff_in_post"
    sheet.append(["Staff in post, March 2024"])
    sheet.append(SIP)
    sheet.append(SIP_ROW)
    path = kit.tmp_path / "twice.xlsx"
    book.save(path)
    message = kit.refused(base_db, path)
    assert "twice.xlsx: names column 'fte' twice, at cells E2 and F2" in message


def test_a_tidy_parquet_file_naming_fte_twice_is_refused(kit: Kit, base_db: Path) -> None:
    table = pa.table([pa.array([v]) for v in SIP_ROW], names=SIP)
    path = kit.tmp_path / "twice.parquet"
    pq.write_table(table, path)
    message = kit.refused(base_db, path)
    assert "twice.parquet: names column 'fte' twice, at fields 5 and 6" in message


def test_a_repeated_column_a_tidy_file_does_not_have_is_listed_once(kit: Kit,
                                                                   base_db: Path) -> None:
    header = "period,org_code,staff_group,headcount,fte,notes,notes"
    bad = kit.write(kit.tmp_path / "notes.csv", header + "\n2024-03,RBB,managers,3,3,a,b\n")
    message = kit.refused(base_db, bad)
    assert "has column(s) 'notes' that staff_in_post does not have" in message


def test_a_publication_reading_a_repeated_column_is_refused(kit: Kit, base_db: Path) -> None:
    sickness = kit.write(kit.tmp_path / "sickness.csv", (
        "DATE,ORG_CODE,ORG_NAME,FTE_DAYS_LOST,FTE_DAYS_AVAILABLE,FTE_DAYS_LOST\n"
        "30/04/2024,RAA,Trust A,10,200,20\n"))
    message = kit.refused(base_db, sickness)
    assert ("sickness.csv: names column 'FTE_DAYS_LOST' twice, at fields 4 and 6 "
            + RULE) in message


def test_a_repeated_column_no_importer_reads_is_named_in_the_note(kit: Kit,
                                                                 base_db: Path) -> None:
    sickness = kit.write(kit.tmp_path / "sickness.csv", (
        "DATE,ORG_CODE,ORG_NAME,FTE_DAYS_LOST,FTE_DAYS_AVAILABLE,NOTES,NOTES\n"
        "30/04/2024,RAA,Trust A,10,200,a,b\n"))
    result = kit.loaded(base_db, sickness)
    assert "columns not read: NOTES (twice: fields 6 and 7)" in kit.plain(result.stdout)


def test_the_pcn_publication_with_fte_twice_is_refused(kit: Kit, base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "pcn.csv", f"{PCN},FTE\n{PCN_ROW},2\n")
    message = kit.refused(base_db, path)
    assert "pcn.csv: names column 'FTE' twice, at fields 14 and 16" in message


def test_the_regional_population_with_year_twice_is_refused(kit: Kit, base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "ons_region_population_by_age_2024_2029.csv",
                     "region,age_band,year,population_thousands,year\nLondon,0-9,2024,1,2025\n")
    message = kit.refused(base_db, path)
    assert "names column 'year' twice, at fields 3 and 5" in message


def test_the_local_authority_population_with_an_age_twice_is_refused(kit: Kit,
                                                                     base_db: Path) -> None:
    ages = ",".join(str(a) for a in range(90))
    values = ",".join("1" for _ in range(90))
    path = kit.write(kit.tmp_path / "la.csv", f"code,name,all,{ages},90+,5\n"
                                              f"E06000001,Hartlepool,92,{values},2,9\n")
    message = kit.refused(base_db, path)
    assert "la.csv: names column '5' twice, at fields 9 and 95" in message


def test_the_gp_practice_file_with_a_measure_twice_is_refused(kit: Kit, base_db: Path) -> None:
    header = ("Practice.Code,Year,ICB_NAME,TOTAL_GP_EXTGL_FTE,TOTAL_LOCUUM_TRN_FTE,"
              "TOTAL_NURSES_FTE,TOTAL_DPC_FTE,TOTAL_ADMIN_FTE,TOTAL_GP_SEN_PTNR_FTE,"
              "TOTAL_GP_PTNR_PROV_FTE,TOTAL_GP_EXTGL_HC,TOTAL_LOCUUM_TRN_HC,TOTAL_NURSES_HC,"
              "TOTAL_DPC_HC,TOTAL_ADMIN_HC,TOTAL_GP_SEN_PTNR_HC,TOTAL_GP_PTNR_PROV_HC,"
              "TOTAL_NURSES_FTE")
    path = kit.write(kit.tmp_path / "gp.csv",
                     header + "\nA81001,2024,Devon," + ",".join(["1"] * 15) + "\n")
    message = kit.refused(base_db, path)
    assert "gp.csv: names column 'TOTAL_NURSES_FTE' twice, at fields 6 and 18" in message


def test_a_record_level_extract_with_person_id_twice_is_refused(kit: Kit,
                                                               base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "records.csv",
                     "period,person_id,org_code,staff_group,person_id\n"
                     "2024-03,P1,RAA,managers,P2\n")
    message = kit.refused(base_db, path)
    assert "records.csv: names column 'person_id' twice, at fields 2 and 5" in message


@pytest.mark.parametrize("blank", ["", ",,"])
def test_a_header_without_repeated_names_still_loads(kit: Kit, base_db: Path,
                                                     blank: str) -> None:
    """Empty header cells are not names: two of them are no repetition."""
    kit.loaded(base_db, kit.write(kit.tmp_path / "ok.csv",
                                  f"period,org_code,staff_group,headcount,fte{blank}\n"
                                  f"2024-03,RBB,managers,3,3{blank}\n"))
