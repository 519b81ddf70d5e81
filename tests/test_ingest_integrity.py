"""No silent data changes: detection, reference data, required measures, checks, row places."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pandas as pd
import pytest

from wfplan.dataset import schema
from wfplan.dataset.checks import FTE_PER_HEAD_TOLERANCE
from wfplan.dataset.ingest import ingest
from wfplan.dataset.schema import Check, TableSpec
from wfplan.dataset.store import DuckDBStore
from wfplan.dataset.validate import ChunkValidator

if TYPE_CHECKING:
    from conftest import Kit

FULL = "period,org_code,staff_group,role,grade,age_band,sex,ethnicity,nationality,headcount,fte"
HCHS = "Month,Organisation code,Organisation name,Staff group,Nationality,FTE"


def _organisations(store: DuckDBStore) -> list[list[object]]:
    rows = store.query("SELECT org_code, name, sector, icb_code, region_code FROM organisations "
                       "WHERE vintage = 'v' ORDER BY org_code, ingest_id").astype(object)
    return rows.where(rows.notna(), None).values.tolist()


# -- detection: a tidy file with an extra column stays a tidy file --------------------------


def test_tidy_file_with_an_unknown_column_is_refused_listing_it(kit: Kit, base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "sip.csv", f"{FULL},cost_centre\n"
                     "2024-03,RAA,hchs_doctors,consultant,,55_59,female,white,british,12,11,CC1\n")
    message = kit.refused(base_db, path)
    assert "sip.csv: has column(s) 'cost_centre' that staff_in_post does not have" in message
    assert "--ignore-extra-columns" in message
    assert "hchs_nationality" not in message


def test_tidy_file_with_an_unknown_column_loads_without_it_when_asked(kit: Kit,
                                                                       base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "sip.csv", f"{FULL},cost_centre\n"
                     "2024-03,RBB,hchs_doctors,consultant,,55_59,female,white,british,12,11,CC1\n")
    result = kit.loaded(base_db, path, extra=("--ignore-extra-columns",))
    assert "sip.csv: tidy: 1 staff_in_post" in kit.plain(result.stdout)
    assert "1 warning(s)" in kit.plain(result.stdout)
    assert ("warning: sip.csv: column(s) 'cost_centre' are not columns of staff_in_post and "
            "were not read") in kit.plain(result.stderr)
    row = kit.read_back(base_db, "SELECT role, age_band, sex, ethnicity, headcount, fte FROM "
                                 "staff_in_post WHERE org_code = 'RBB'").values.tolist()
    assert row == [["consultant", "55_59", "female", "white", 12, 11.0]]
    names = kit.read_back(base_db, "SELECT name FROM organisations WHERE org_code = 'RBB'")
    assert names["name"].tolist() == ["Trust B"]


# -- reference data wins over the organisations fact files name ------------------------------


@pytest.mark.parametrize("order", ["reference first, one call", "reference first, two calls",
                                   "fact file first, two calls"])
def test_a_fact_file_never_overwrites_reference_organisations(kit: Kit, store: DuckDBStore,
                                                              order: str) -> None:
    reference = kit.org_csv(kit.tmp_path / "orgs.csv")
    fact = kit.write(kit.tmp_path / "hchs.csv", "\n".join([
        HCHS, "2024-MAR,RAA,A weaker name,Nurses & health visitors,British,10",
        "2024-MAR,RZZ,Trust Z,Nurses & health visitors,British,5"]) + "\n")
    if order == "reference first, one call":
        ingest(store, [fact, reference], "v")
    elif order == "reference first, two calls":
        ingest(store, [reference], "v")
        ingest(store, [fact], "v")
    else:
        ingest(store, [fact], "v")
        report = ingest(store, [reference], "v")
        assert ("replaced the description of 1 organisation(s) that earlier fact file(s) gave "
                "(hchs.csv): reference data wins") in report.notes[0]
    assert _organisations(store) == [
        ["RAA", "Trust A", "nhs_trust", "QMJ", "Y56"],
        ["RBB", "Trust B", "nhs_trust", "QMJ", "Y56"],
        ["RCC", "Trust C", "nhs_trust", "QKK", "Y56"],
        ["RDD", "Trust D", "nhs_trust", "QJK", "Y58"],
        ["RZZ", "Trust Z", "nhs_trust", None, None],  # the reference data does not know it
    ]
    log = store.query("SELECT source_file, rows FROM ingests WHERE source_file = 'hchs.csv'")
    assert log["rows"].tolist() == [3]  # 2 staff rows and RZZ: the ingest log stays true


def test_a_reference_area_file_loaded_later_replaces_a_fact_files_areas(kit: Kit,
                                                                       store: DuckDBStore) -> None:
    ages = ",".join(str(a) for a in range(90))
    people = ",".join("1" for _ in range(91))
    fact = kit.write(kit.tmp_path / "la_mid-2023.csv",
                     f"code,name,all,{ages},90+\nE06000001,Hartlepool,91,{people}\n")
    ingest(store, [fact], "v")
    areas = kit.write(kit.tmp_path / "areas.csv",
                      "code,name,level\nE06000001,Hartlepool Borough,la\n")
    ingest(store, [areas], "v")
    rows = store.query("SELECT name FROM areas WHERE code = 'E06000001'")
    assert rows["name"].tolist() == ["Hartlepool Borough"]


def test_fact_file_organisations_named_only_by_code_are_not_added(kit: Kit,
                                                                 store: DuckDBStore) -> None:
    fact = kit.write(kit.tmp_path / "hchs.csv", "\n".join([
        "Month,Organisation code,Staff group,Nationality,FTE",
        "2024-MAR,RXX,Nurses & health visitors,British,10"]) + "\n")
    report = ingest(store, [fact], "v")
    assert store.scalar("SELECT count(*) FROM organisations") == 0
    assert store.scalar("SELECT count(*) FROM staff_in_post") == 1
    assert any("1 organisation or area row(s) give only a code, no name" in n
               for n in report.notes)
    assert any("'RXX' matches no known code" in w for w in report.unmapped_warnings)


# -- required measures: merged header cells, empty columns -----------------------------------


def test_merged_headcount_and_fte_header_cells_are_refused(kit: Kit, base_db: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "staff_in_post"
    sheet.append(["Staff in post, March 2024"])
    sheet.append(["period", "org_code", "staff_group", "headcount", "fte"])
    sheet.append(["2024-03", "RBB", "managers", 12, 10.5])
    sheet.merge_cells("D2:E2")
    path = kit.tmp_path / "merged.xlsx"
    book.save(path)
    message = kit.refused(base_db, path)
    assert "merged.xlsx: has no column 'fte' (rule: a staff_in_post file has the columns " \
           "period, org_code, staff_group, headcount, fte)" in message
    assert "empty cell at E2: merged header cells" in message


def test_values_under_a_merged_optional_header_cell_are_refused(kit: Kit, base_db: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["period", "org_code", "staff_group", "age_band", "sex", "headcount", "fte"])
    sheet.append(["2024-03", "RBB", "managers", "25_29", "female", 12, 10.5])
    sheet.merge_cells("D1:E1")
    path = kit.tmp_path / "merged.xlsx"
    book.save(path)
    message = kit.refused(base_db, path)
    assert ("merged.xlsx, row 1 (spreadsheet row 2), column E: value 'female': has no name in "
            "the header") in message


def test_an_empty_unnamed_column_of_a_workbook_is_no_error(kit: Kit, base_db: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["period", "org_code", "staff_group", "headcount", "fte", None, "note"])
    sheet.append(["2024-03", "RBB", "managers", 12, 10.5])
    path = kit.tmp_path / "notes.xlsx"
    book.save(path)
    result = kit.loaded(base_db, path, extra=("--ignore-extra-columns",))
    assert "notes.xlsx: tidy: 1 staff_in_post" in kit.plain(result.stdout)


def test_a_required_measure_empty_in_every_row_is_refused(kit: Kit, base_db: Path) -> None:
    path = kit.sip_file("no_fte.csv", ["2024-03,RBB,managers,25_29,female,3,",
                                       "2024-03,RBB,managers,30_34,female,4, "])
    message = kit.refused(base_db, path)
    assert ("no_fte.csv, column 'fte': is empty in every row (rule: required measure: a "
            "staff_in_post file gives fte in at least one row") in message


def test_an_optional_measure_empty_in_every_row_is_a_warning(kit: Kit, base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "flows.csv", "\n".join([
        "period_start,period_end,org_code,staff_group,direction,headcount,fte",
        "2023-03,2024-03,RBB,managers,joiner,3,"]) + "\n")
    result = kit.loaded(base_db, path)
    assert ("warning: flows.csv, column 'fte': is empty in every row; loaded as not reported"
            in kit.plain(result.stderr))


# -- plausibility checks: warnings with file, row, column, value, rule and count --------------


def test_a_period_in_the_future_is_a_warning_counted_with_its_first_row(kit: Kit,
                                                                        base_db: Path) -> None:
    future = (date.today() + timedelta(days=400)).strftime("%Y-%m")
    lines = kit.sip_lines(3, org="RBB") + kit.sip_lines(4, org="RCC", period=future)
    result = kit.loaded(base_db, kit.sip_file("future.csv", lines))
    warning = kit.plain(result.stderr)
    assert (f"warning: future.csv, row 4 (line 5), column 'period': value '{future}': is after "
            f"the day of the ingest ({date.today().isoformat()}) (rule: not_future") in warning
    assert "; 4 rows like this, the first shown" in warning
    assert "1 warning(s)" in kit.plain(result.stdout)
    stored = kit.read_back(base_db, "SELECT count(*) AS n FROM staff_in_post "
                                    "WHERE org_code = 'RCC'")
    assert stored["n"].iat[0] == 4
    log = kit.read_back(base_db, "SELECT warnings, notes FROM ingests "
                                 "WHERE source_file = 'future.csv'")
    assert log["warnings"].iat[0] == 1
    assert "not_future" in log["notes"].iat[0]


def test_a_mid_month_census_date_is_a_warning(kit: Kit, base_db: Path) -> None:
    lines = ["2024-03-15,RBB,managers,25_29,female,3,3", "2024-03-31,RBB,managers,30_34,male,3,3"]
    result = kit.loaded(base_db, kit.sip_file("mid.csv", lines))
    assert ("warning: mid.csv, row 1 (line 2), column 'period': value '2024-03-15': is not the "
            "last day of a month (rule: month_end") in kit.plain(result.stderr)
    assert "2 rows like this" not in kit.plain(result.stderr)


def test_fte_above_headcount_beyond_the_tolerance_is_a_warning(kit: Kit, base_db: Path) -> None:
    assert FTE_PER_HEAD_TOLERANCE == 1.05
    lines = ["2024-03,RBB,managers,25_29,female,10,10.5",   # at the tolerance: fine
             "2024-03,RBB,managers,30_34,female,10,10.6",   # beyond it
             "2024-03,RBB,managers,35_39,female,0,1",
             "2024-03,RBB,managers,40_44,female,10,"]
    result = kit.loaded(base_db, kit.sip_file("fte.csv", lines))
    warning = kit.plain(result.stderr)
    assert ("warning: fte.csv, row 2 (line 3), column 'fte': value '10.6': FTE 10.6 is more "
            "than headcount 10 × 1.05 (rule: fte_per_head: FTE ≤ headcount × 1.05); 2 rows "
            "like this, the first shown") in warning


def test_ambiguous_day_first_dates_are_warned_once_per_file(kit: Kit, base_db: Path) -> None:
    lines = ["01/02/2025,RBB,managers,25_29,female,3,3", "01/02/2025,RBB,managers,30_34,male,3,3",
             "05/03/2025,RBB,managers,35_39,male,3,3"]
    result = kit.loaded(base_db, kit.sip_file("dmy.csv", lines))
    warning = kit.plain(result.stderr)
    assert ("warning: dmy.csv, row 1 (line 2), column 'period': value '01/02/2025': could be "
            "day first or month first; read day first (1 February 2025), as UK publications "
            "write dates (rule: dd/mm/yyyy is read day first") in warning
    assert warning.count("could be day first") == 1
    assert "3 rows like this" in warning
    stored = kit.read_back(base_db, "SELECT DISTINCT period FROM staff_in_post "
                                    "WHERE org_code = 'RBB' ORDER BY 1")
    assert [pd.Timestamp(p).date() for p in stored["period"]] == [date(2025, 2, 1),
                                                                  date(2025, 3, 5)]


def test_day_first_dates_that_other_dates_disambiguate_get_a_note(kit: Kit,
                                                                  base_db: Path) -> None:
    lines = ["28/02/2025,RBB,managers,25_29,female,3,3", "01/02/2025,RBB,managers,30_34,male,3,3"]
    result = kit.loaded(base_db, kit.sip_file("dmy.csv", lines))
    assert "could be day first or month first" not in kit.plain(result.stderr)
    assert ("note: dmy.csv: 1 dd/mm/yyyy date(s) such as '01/02/2025' (row 2 (line 3)) could be "
            "read either way; they were read day first (1 February 2025), as the file's other "
            "dates such as '28/02/2025' (row 1 (line 2)) can only be read"
            ) in kit.plain(result.stdout)


def test_a_check_marked_as_an_error_refuses_the_rows() -> None:
    spec = schema.table("staff_in_post")
    period = next(c for c in spec.columns if c.name == "period")
    strict = TableSpec(spec.name, tuple(
        c if c is not period else type(c)(**{**c.__dict__, "checks": (Check.parse("month_end!"),)})
        for c in spec.columns))
    chunk = pd.DataFrame({"period": ["2024-03-15", "2024-03-31"], "org_code": ["RAA", "RAA"],
                          "staff_group": ["managers", "midwives"], "headcount": ["1", "1"],
                          "fte": ["1", "1"]}, dtype="string[pyarrow]", index=pd.RangeIndex(1, 3))
    result = ChunkValidator(strict, "f.csv", {"organisation": {"RAA"}}).validate(chunk)
    assert result.frame is None
    assert [str(e) for e in result.errors] == [
        "f.csv, row 1, column 'period': value '2024-03-15': is not the last day of a month "
        "(rule: month_end: census dates are month ends; write YYYY-MM for a month)"]


def test_an_unknown_check_in_tables_csv_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown check 'month_ends'"):
        Check.parse("month_ends")


# -- row numbers a reader of the file can find ------------------------------------------------


def test_xlsx_messages_give_the_spreadsheet_row(kit: Kit, base_db: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "staff_in_post"
    sheet.append(["Staff in post"])
    sheet.append([])
    sheet.append(["period", "org_code", "staff_group", "headcount", "fte"])
    sheet.append(["2024-03", "RBB", "managers", 3, 3])
    sheet.append(["2024-03", "RBB", "midwives", 3, -1])
    path = kit.tmp_path / "book.xlsx"
    book.save(path)
    message = kit.refused(base_db, path)
    assert "book.xlsx, row 2 (spreadsheet row 5), column 'fte': value '-1'" in message


def test_csv_messages_give_the_line_counting_blank_lines(kit: Kit, base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "gaps.csv", "\n".join([
        kit.SIP_HEADER, "", "2024-03,RBB,managers,25_29,female,3,3", "",
        "2024-03,RBB,managers,30_34,female,3,-1"]) + "\n")
    message = kit.refused(base_db, path)
    assert "gaps.csv, row 2 (line 5), column 'fte': value '-1'" in message


def test_unmapped_warnings_give_the_spreadsheet_row(kit: Kit, base_db: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["period", "org_code", "staff_group", "headcount", "fte"])
    sheet.append(["2024-03", "RBB", "managers", 3, 3])
    sheet.append(["2024-03", "NOPE1", "managers", 3, 3])
    path = kit.tmp_path / "book.xlsx"
    book.save(path)
    result = kit.loaded(base_db, path)
    assert "'NOPE1' matches no known code (1 rows, first at row 2 (spreadsheet row 3))" in \
        kit.plain(result.stderr)


# -- record-level extracts --------------------------------------------------------------------


def _pseudonym_key(kit: Kit) -> tuple[str, ...]:
    """Make a pseudonym key outside the database, as a user would, and name it for ingest."""
    key = kit.tmp_path / "person.key"
    assert kit.cli("keys", "pseudonym", "--out", key).exit_code == 0
    return ("--pseudonym-key", str(key))


def test_ambiguous_periods_of_a_record_level_extract_are_warned(kit: Kit, base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "esr.csv", "\n".join([
        "period,person_id,org_code,staff_group,fte", "01/02/2025,a,RBB,managers,1",
        "03/04/2025,a,RBB,managers,1", "03/04/2025,b,RBB,managers,1"]) + "\n")
    result = kit.loaded(base_db, path, extra=_pseudonym_key(kit))
    warning = kit.plain(result.stderr)
    assert ("warning: esr.csv, row 1 (line 2), column 'period': value '01/02/2025': could be day "
            "first or month first; read day first (1 February 2025)") in warning
    assert "3 rows like this" in warning


def test_a_record_level_extract_without_fte_still_loads(kit: Kit, base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "esr.csv", "\n".join([
        "period,person_id,org_code,staff_group", "2025-03,a,RBB,managers",
        "2025-03,b,RBB,managers"]) + "\n")
    result = kit.loaded(base_db, path, extra=_pseudonym_key(kit))
    assert "empty in every row" not in kit.plain(result.stderr)
    stored = kit.read_back(base_db, "SELECT headcount, fte FROM staff_in_post "
                                    "WHERE org_code = 'RBB'")
    assert stored["headcount"].tolist() == [2]
    assert stored["fte"].isna().all()
