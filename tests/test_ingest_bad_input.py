"""Bad input files: each is refused with a message naming what is wrong, and nothing is written.

Every test runs ``wfplan ingest`` through the CLI against a real database file
that already holds data, and checks the exit code, the message, and that the
database is exactly as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from wfplan.dataset import readers
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore

if TYPE_CHECKING:
    from conftest import Kit

# -- acceptance point 1 --------------------------------------------------------------


def test_negative_fte_on_third_row_names_file_row_and_column(kit: Kit, base_db: Path,
                                                             tmp_path: Path) -> None:
    lines = kit.sip_lines(5, org="RBB")
    lines[2] = lines[2].rsplit(",", 1)[0] + ",-2.5"
    bad = kit.sip_file("negative_fte.csv", lines)
    message = kit.refused(base_db, bad)
    assert "negative_fte.csv, row 3 (line 4), column 'fte'" in message
    assert "'-2.5'" in message
    assert "fte ≥ 0" in message
    assert "1 error in the input" in message
    assert "Nothing was written" in message


# -- structural problems ---------------------------------------------------------------


def test_empty_file(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    message = kit.refused(base_db, kit.write(tmp_path / "empty.csv", ""))
    assert "empty.csv" in message
    assert "the file is empty (no header row)" in message


def test_blank_lines_only_count_as_empty(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    message = kit.refused(base_db, kit.write(tmp_path / "blank.csv", "\n\n"))
    assert "the file is empty" in message


def test_header_only(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    message = kit.refused(base_db, kit.write(tmp_path / "header_only.csv", kit.SIP_HEADER + "\n"))
    assert "header_only.csv" in message
    assert "has a header but no data rows" in message


def test_truncated_last_line(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    lines = kit.sip_lines(4, org="RBB")
    lines[-1] = lines[-1][:20]
    bad = kit.sip_file("truncated.csv", lines)
    message = kit.refused(base_db, bad)
    assert "truncated.csv: row 4 (line 5): expected 7 fields" in message
    assert "found 3" in message
    assert "truncated last line" in message


def test_row_with_too_many_fields(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    lines = kit.sip_lines(4, org="RBB")
    lines[1] += ",extra"
    message = kit.refused(base_db, kit.sip_file("wide.csv", lines))
    assert "wide.csv: row 2 (line 3): expected 7 fields" in message
    assert "found 8" in message


def test_cp1252_text_read_as_utf8_then_loads_with_encoding_option(kit: Kit, base_db: Path,
                                                                  tmp_path: Path) -> None:
    orgs = kit.org_csv(tmp_path / "orgs_cp1252.csv", [
        ("REE", "St Mary\u2019s Hospital", "Acute", "nhs_trust", "QMJ", "Y56"),
        ("RFF", "Caf\u00e9 Trust", "Acute", "nhs_trust", "QMJ", "Y56"),
    ])
    orgs.write_bytes(orgs.read_text(encoding="utf-8").encode("cp1252"))
    message = kit.refused(base_db, orgs)
    assert "orgs_cp1252.csv" in message
    assert "row 1" in message
    assert "not valid UTF-8" in message
    assert "0x92" in message
    assert "--encoding cp1252" in message

    kit.loaded(base_db, orgs, extra=("--encoding", "cp1252"))
    names = kit.read_back(base_db, "SELECT name FROM organisations "
                          "WHERE org_code IN ('REE', 'RFF') ORDER BY org_code")["name"].tolist()
    assert names == ["St Mary\u2019s Hospital", "Caf\u00e9 Trust"]


def test_unknown_encoding_is_a_clear_error(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    message = kit.refused(base_db, kit.sip_csv(tmp_path / "ok.csv", 2, org="RBB"),
                      extra=("--encoding", "no-such-codec"))
    assert "no-such-codec" in message


def test_missing_file_and_unsupported_suffix(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    assert "no such file" in kit.refused(base_db, tmp_path / "missing.csv")
    notes = kit.write(tmp_path / "notes.docx", "hello")
    message = kit.refused(base_db, notes)
    assert "unsupported file type '.docx'" in message
    assert ".csv" in message
    assert ".xlsx" in message


# -- cell values --------------------------------------------------------------------


def test_text_in_numeric_columns(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    lines = kit.sip_lines(3, org="RBB")
    lines[0] = lines[0].rsplit(",", 2)[0] + ",ten,9.5"
    lines[1] = lines[1].rsplit(",", 1)[0] + ",nine and a half"
    message = kit.refused(base_db, kit.sip_file("text.csv", lines))
    assert ("text.csv, row 1 (line 2), column 'headcount': value 'ten': must be a whole number"
            in message)
    assert ("text.csv, row 2 (line 3), column 'fte': value 'nine and a half': must be a number"
            in message)
    assert "2 errors in the input" in message


def test_fractional_headcount(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    lines = kit.sip_lines(2, org="RBB")
    lines[1] = lines[1].rsplit(",", 2)[0] + ",10.5,9.5"
    message = kit.refused(base_db, kit.sip_file("half.csv", lines))
    assert "half.csv, row 2 (line 3), column 'headcount': value '10.5'" in message
    assert "whole number" in message


@pytest.mark.parametrize("value", ["1e300", "9007199254740993", "99999999999999999999"])
def test_headcount_too_large_to_store_exactly(kit: Kit, base_db: Path, value: str) -> None:
    lines = kit.sip_lines(2, org="RBB")
    lines[1] = lines[1].rsplit(",", 2)[0] + f",{value},1"
    message = kit.refused(base_db, kit.sip_file("huge.csv", lines))
    assert (f"huge.csv, row 2 (line 3), column 'headcount': value '{value}': must be at most"
            in message)
    assert "Traceback" not in message


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity", "NaN", "1e999"])
def test_non_finite_measure_is_refused(kit: Kit, base_db: Path, tmp_path: Path, value: str) -> None:
    lines = kit.sip_lines(2, org="RBB")
    lines[1] = lines[1].rsplit(",", 1)[0] + f",{value}"
    message = kit.refused(base_db, kit.sip_file("inf.csv", lines))
    assert f"inf.csv, row 2 (line 3), column 'fte': value '{value}': must be a number" in message
    assert "1 error in the input" in message


def test_bad_dates_and_missing_required_cells(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    lines = kit.sip_lines(4, org="RBB")
    lines[0] = "2024-13" + lines[0][7:]
    lines[1] = "31/02/2024" + lines[1][7:]
    lines[2] = "soon" + lines[2][7:]
    lines[3] = "2024-03,RBB,,25_29,female,1,1"
    message = kit.refused(base_db, kit.sip_file("dates.csv", lines))
    assert ("dates.csv, row 1 (line 2), column 'period': value '2024-13': must be a valid date"
            in message)
    assert "dates.csv, row 2 (line 3), column 'period'" in message
    assert "dates.csv, row 3 (line 4), column 'period': value 'soon'" in message
    assert "dates.csv, row 4 (line 5), column 'staff_group': is required but empty" in message


def test_strict_codelist_value_is_an_error(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    orgs = kit.org_csv(tmp_path / "orgs_bad_sector.csv",
                   [("RGG", "Trust G", "Acute", "hospital", "QMJ", "Y56")])
    message = kit.refused(base_db, orgs)
    assert "orgs_bad_sector.csv, row 1 (line 2), column 'sector': value 'hospital'" in message
    assert "nhs_trust" in message


def test_at_most_50_errors_are_listed(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    lines = [line.rsplit(",", 1)[0] + ",-1" for line in kit.sip_lines(73, org="RBB")]
    message = kit.refused(base_db, kit.sip_file("many.csv", lines))
    assert "73 errors in the input" in message
    assert "many.csv, row 50 (line 51), column 'fte'" in message
    assert "many.csv, row 51 " not in message
    assert "... and 23 more errors" in message


def test_errors_in_two_files_are_all_reported_and_nothing_written(kit: Kit, base_db: Path,
                                                                  tmp_path: Path) -> None:
    one = kit.sip_lines(2, org="RBB")
    one[0] = one[0].rsplit(",", 1)[0] + ",-1"
    two = kit.sip_lines(2, org="RCC")
    two[1] = two[1].rsplit(",", 2)[0] + ",many,1"
    good = kit.sip_csv(tmp_path / "good.csv", 3, org="RDD")
    message = kit.refused(base_db, good,
                      kit.write(tmp_path / "one.csv", "\n".join([kit.SIP_HEADER, *one])),
                      kit.write(tmp_path / "two.csv", "\n".join([kit.SIP_HEADER, *two])))
    assert "one.csv, row 1 (line 2), column 'fte'" in message
    assert "two.csv, row 2 (line 3), column 'headcount'" in message
    assert "2 errors in the input" in message


# -- duplicate keys -------------------------------------------------------------------


def test_duplicate_key_within_one_file(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    lines = kit.sip_lines(4, org="RBB")
    lines.append(lines[1].rsplit(",", 2)[0] + ",99,99")
    message = kit.refused(base_db, kit.sip_file("dupes.csv", lines))
    assert "dupes.csv, row 5 (line 6): duplicate key" in message
    assert "org_code=RBB" in message
    assert "dupes.csv row 2 (line 3) and dupes.csv row 5 (line 6)" in message


def test_duplicate_key_across_two_chunks(kit: Kit, base_db: Path, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "CHUNK_ROWS", 4)
    lines = kit.sip_lines(10, org="RBB")
    lines.append(lines[0])
    bad = kit.sip_file("chunks.csv", lines)
    calls: list[int] = []
    store = DuckDBStore(tmp_path / "probe.duckdb")
    try:
        with pytest.raises(Exception, match="duplicate key"):
            ingest(store, [bad], "v", progress=lambda _path, rows: calls.append(rows))
    finally:
        store.close()
    assert calls == [4, 8, 11], "the file must really be read in several chunks"
    message = kit.refused(base_db, bad)
    assert "chunks.csv row 1 (line 2) and chunks.csv row 11 (line 12)" in message


def test_duplicate_key_across_two_files_in_one_call(kit: Kit, base_db: Path,
                                                    tmp_path: Path) -> None:
    one = kit.sip_csv(tmp_path / "one.csv", 3, org="RBB")
    two = kit.sip_file("two.csv", kit.sip_lines(3, org="RBB")[2:])
    message = kit.refused(base_db, one, two)
    assert "one.csv row 3 (line 4) and two.csv row 1 (line 2)" in message


def test_duplicate_key_with_a_file_loaded_earlier(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    # base.csv (20 rows of RAA) is already in the vintage; repeat its 7th row.
    again = kit.write(tmp_path / "again.csv",
                  "\n".join([kit.SIP_HEADER, *kit.sip_lines(1, org="RBB"), kit.sip_lines(7)[6]]))
    message = kit.refused(base_db, again)
    assert "base.csv row 7 and again.csv row 2 (line 3)" in message
    # The same rows in another vintage are fine.
    kit.loaded(base_db, again, extra=("--vintage", "other"))


def test_null_dimensions_take_part_in_the_key(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    text = "\n".join(["period,org_code,staff_group,headcount,fte",
                      "2024-03,RBB,managers,5,5", "2024-03,RBB,managers,6,6"])
    message = kit.refused(base_db, kit.write(tmp_path / "null_dims.csv", text))
    assert "null_dims.csv row 1 (line 2) and null_dims.csv row 2 (line 3)" in message


# -- warnings and markers, which do write ---------------------------------------------


def test_unknown_organisation_is_a_warning_and_counted_as_unmapped(kit: Kit, base_db: Path,
                                                                   tmp_path: Path) -> None:
    lines = kit.sip_lines(3, org="RBB") + kit.sip_lines(2, org="ZZZ9")
    result = kit.loaded(base_db, kit.sip_file("unknown.csv", lines))
    warning = kit.plain(result.stderr)
    assert "warning: unknown.csv: column 'org_code': 'ZZZ9' matches no known code" in warning
    assert "2 rows, first at row 4 (line 5)" in warning
    unmapped = kit.read_back(base_db, "SELECT table_name, column_name, value, rows FROM unmapped")
    assert unmapped.to_dict("records") == [
        {"table_name": "staff_in_post", "column_name": "org_code", "value": "ZZZ9", "rows": 2}]
    kept = kit.read_back(base_db, "SELECT count(*) AS n FROM staff_in_post WHERE org_code = 'ZZZ9'")
    assert kept["n"].iat[0] == 2


def test_unknown_labels_in_package_codelists_are_kept_as_given(kit: Kit, base_db: Path,
                                                               tmp_path: Path) -> None:
    text = "\n".join([kit.SIP_HEADER, "2024-03,RBB,Astronauts,25_29,female,1,1"])
    result = kit.loaded(base_db, kit.write(tmp_path / "astro.csv", text))
    assert "'Astronauts' matches no known code" in kit.plain(result.stderr)
    group = kit.read_back(base_db, "SELECT staff_group FROM staff_in_post WHERE org_code = 'RBB'")
    assert group["staff_group"].tolist() == ["Astronauts"]


def test_publication_labels_map_to_codes(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    text = "\n".join([kit.SIP_HEADER,
                      "2024-03,rbb,Nurses & Health Visitors,25-29,F,1,1",
                      "2024-03,RBB,HCHS Doctors,65 and over,Male,2,2"])
    kit.loaded(base_db, kit.write(tmp_path / "labels.csv", text))
    rows = kit.read_back(base_db, "SELECT org_code, staff_group, age_band, sex FROM staff_in_post "
                              "WHERE org_code = 'RBB' ORDER BY source_row")
    assert rows.values.tolist() == [["RBB", "nurses_health_visitors", "25_29", "female"],
                                    ["RBB", "hchs_doctors", "65_plus", "male"]]


@pytest.mark.parametrize("marker", ["*", "-", ".."])
def test_suppression_markers_are_null_and_flagged_never_zero(kit: Kit, base_db: Path,
                                                            marker: str) -> None:
    text = "\n".join([kit.SIP_HEADER,
                      f"2024-03,RBB,managers,25_29,female,{marker},{marker}",
                      f"2024-03,RBB,managers,30_34,female,3,{marker}",
                      "2024-03,RBB,managers,35_39,female,4,3.5"])
    kit.loaded(base_db, kit.write(kit.tmp_path / "marked.csv", text))
    rows = kit.read_back(base_db, "SELECT headcount, fte, suppressed FROM staff_in_post "
                              "WHERE org_code = 'RBB' ORDER BY source_row")
    assert rows["suppressed"].tolist() == [True, True, False]
    assert rows["headcount"].isna().tolist() == [True, False, False]
    assert rows["fte"].isna().tolist() == [True, True, False]
    assert rows["headcount"].iloc[1:].tolist() == [3, 4]
    zeros = kit.read_back(base_db, "SELECT count(*) AS n FROM staff_in_post "
                               "WHERE org_code = 'RBB' AND (fte = 0 OR headcount = 0)")
    assert zeros["n"].iat[0] == 0


def test_empty_measure_is_null_but_not_suppressed(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    text = "\n".join([kit.SIP_HEADER, "2024-03,RBB,managers,25_29,female,3,",
                      "2024-03,RBB,managers,30_34,female,3,2.5"])
    kit.loaded(base_db, kit.write(tmp_path / "blank_fte.csv", text))
    row = kit.read_back(base_db, "SELECT fte, suppressed FROM staff_in_post WHERE org_code = 'RBB' "
                                 "ORDER BY source_row")
    assert row["fte"].isna().tolist() == [True, False]
    assert not row["suppressed"].any()


# -- formats ----------------------------------------------------------------------------


def test_file_matching_no_format_lists_supported_formats(kit: Kit, base_db: Path,
                                                         tmp_path: Path) -> None:
    message = kit.refused(base_db, kit.write(tmp_path / "mystery.csv", "colour,size\nred,3\n"))
    assert "mystery.csv: the file matches no supported format" in message
    assert "Found: colour, size" in message
    assert "Supported formats:" in message
    assert "wfplan tidy template" in message
    assert "staff_in_post" in message


def test_xlsx_with_data_on_an_unrecognised_sheet(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    book = tmp_path / "workbook.xlsx"
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        pd.DataFrame({"Notes": ["Published by nobody"]}).to_excel(
            writer, sheet_name="Notes", index=False)
        pd.DataFrame({"Trust": ["RBB"], "Staff": ["managers"], "People": [3]}).to_excel(
            writer, sheet_name="Data", index=False)
    message = kit.refused(base_db, book)
    assert "workbook.xlsx: the file matches no supported format" in message
    assert "sheet 'Notes'" in message
    assert "sheet 'Data': Trust, Staff, People" in message
    assert "Supported formats:" in message


def test_not_really_an_xlsx(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    message = kit.refused(base_db, kit.write(tmp_path / "fake.xlsx", "period,fte\n"))
    assert "fake.xlsx: not a readable XLSX workbook" in message


def test_xlsx_on_a_named_sheet_loads(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    book = tmp_path / "staff.xlsx"
    frame = pd.DataFrame([line.split(",") for line in kit.sip_lines(3, org="RBB")],
                         columns=kit.SIP_HEADER.split(","))
    frame["headcount"] = frame["headcount"].astype(int)
    frame["fte"] = frame["fte"].astype(float)
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        pd.DataFrame({"About": ["x"]}).to_excel(writer, sheet_name="About", index=False)
        frame.to_excel(writer, sheet_name="staff_in_post", index=False)
    kit.loaded(base_db, book)
    rows = kit.read_back(base_db, "SELECT headcount, fte FROM staff_in_post WHERE org_code = 'RBB' "
                              "ORDER BY source_row")
    assert rows["headcount"].tolist() == frame["headcount"].tolist()
    assert rows["fte"].tolist() == frame["fte"].tolist()


def test_header_case_and_spacing_do_not_matter(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    header = " Period ,ORG CODE,Staff-Group,Age Band,SEX,HeadCount,  FTE"
    text = "\n".join([header, *kit.sip_lines(3, org="RBB")])
    kit.loaded(base_db, kit.write(tmp_path / "header.csv", text))
    count = kit.read_back(base_db, "SELECT count(*) AS n FROM staff_in_post WHERE org_code = 'RBB'")
    assert count["n"].iat[0] == 3


def test_header_naming_a_column_twice(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    text = "\n".join([kit.SIP_HEADER + ",FTE", "2024-03,RBB,managers,25_29,female,3,3,3"])
    message = kit.refused(base_db, kit.write(tmp_path / "twice.csv", text))
    assert "twice.csv" in message
    assert "twice" in message


def test_utf8_bom_and_crlf_line_endings_load(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    text = "\ufeff" + "\n".join([kit.SIP_HEADER, *kit.sip_lines(3, org="RBB")]) + "\n"
    kit.loaded(base_db, kit.write(tmp_path / "bom_crlf.csv", text, newline="\r\n"))
    rows = kit.read_back(base_db, "SELECT period, sex, fte FROM staff_in_post "
                              "WHERE org_code = 'RBB' ORDER BY source_row")
    assert len(rows) == 3
    assert rows["sex"].tolist() == ["female", "male", "female"]
    assert str(rows["period"].iat[0])[:10] == "2024-03-31"


def test_thousands_separators_in_measures(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    text = "\n".join([kit.SIP_HEADER,
                      '2024-03,RBB,managers,25_29,female,"1,234","1,100.5"',
                      '2024-03,RBB,managers,30_34,female,"12,345,678",2'])
    kit.loaded(base_db, kit.write(tmp_path / "thousands.csv", text))
    rows = kit.read_back(base_db, "SELECT headcount, fte FROM staff_in_post "
                              "WHERE org_code = 'RBB' ORDER BY source_row")
    assert rows["headcount"].tolist() == [1234, 12345678]
    assert rows["fte"].tolist() == [1100.5, 2.0]


def test_misplaced_commas_are_not_thousands_separators(kit: Kit, base_db: Path,
                                                       tmp_path: Path) -> None:
    text = "\n".join([kit.SIP_HEADER, '2024-03,RBB,managers,25_29,female,"12,34",1'])
    message = kit.refused(base_db, kit.write(tmp_path / "commas.csv", text))
    assert "commas.csv, row 1 (line 2), column 'headcount': value '12,34'" in message


def test_parquet_file_loads(kit: Kit, base_db: Path, tmp_path: Path) -> None:
    frame = pd.DataFrame([line.split(",") for line in kit.sip_lines(3, org="RBB")],
                         columns=kit.SIP_HEADER.split(","))
    frame["headcount"] = frame["headcount"].astype("int64")
    frame["fte"] = frame["fte"].astype("float64")
    path = tmp_path / "staff.parquet"
    frame.to_parquet(path, index=False)
    kit.loaded(base_db, path)
    rows = kit.read_back(base_db, "SELECT headcount, fte FROM staff_in_post WHERE org_code = 'RBB' "
                              "ORDER BY source_row")
    assert rows["headcount"].tolist() == frame["headcount"].tolist()
    assert rows["fte"].tolist() == frame["fte"].tolist()
