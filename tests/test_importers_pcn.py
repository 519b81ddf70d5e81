"""The PCN workforce (individual level) importer, on real files and on hand-made ones."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from shared_data import missing, real
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore

ROOT = Path(__file__).resolve().parents[1]

# README table: census, rows, FTE, identifiers, PCNs.
README = {
    "2020-03-31": (534, 343.9, 499, 188),
    "2020-06-30": (2044, 1362.2, 1915, 497),
    "2020-09-30": (3159, 2224.0, 2945, 632),
    "2020-12-31": (5007, 3639.4, 4705, 758),
    "2021-03-31": (7371, 5571.4, 6860, 855),
    "2021-06-30": (9249, 7028.5, 8621, 920),
    "2021-09-30": (10730, 8415.0, 9616, 984),
}
HEADER = ("Data_source,CENSUS_YEAR,CENSUS_MONTH,PCN_CODE,PCN_NAME,SUB_ICB_CODE,SUB_ICB_NAME,"
          "ICB_CODE,ICB_NAME,COMM_REGION_CODE,COMM_REGION_NAME,STAFF_GROUP,STAFF_ROLE,"
          "DETAILED_STAFF_ROLE,FTE,UNIQUE_IDENTIFIER")


def real_files() -> list[Path]:
    folder = real("pcn_workforce")
    files = sorted(folder.glob("*Individual_Level.csv"))
    if len(files) != 7:
        missing(f"the real PCN files are missing from {folder}")
    return files


def row(year: int, month: int, pcn: str, group: str, role: str, fte: str, ident: str, *,
        icb: str = "QWE", sub: str = "36L", source: str = "NWRS Staff",
        pcn_name: str = "WEST MERTON PCN", detailed: str | None = None) -> str:
    return (f"{source},{year},{month},{pcn},{pcn_name},{sub},NHS South West London ICB - {sub},"
            f"{icb},NHS South West London ICB,Y56,London,{group},{role},{detailed or role},"
            f"{fte},{ident}")


DPC = "Other Direct Patient Care staff"


def write(path: Path, lines: list[str], *, encoding: str = "cp1252", newline: str = "\n",
          bom: bool = False) -> Path:
    text = newline.join(lines) + newline
    data = text.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


@pytest.fixture
def store(tmp_path: Path):
    with DuckDBStore(tmp_path / "w.duckdb") as db:
        yield db


# -- hand-made files ---------------------------------------------------------------


def test_headcount_is_distinct_identifiers_and_fte_the_sum(tmp_path: Path, store) -> None:
    lines = [
        HEADER,
        row(2021, 9, "U00070", DPC, "Pharmacists", "1", "101"),
        row(2021, 9, "U00070", DPC, "Pharmacists", "0.5", "101"),  # same person, 2nd record
        row(2021, 9, "U00070", DPC, "Pharmacists", "0.4", "102"),
        row(2021, 9, "U00070", DPC, "Pharmacists", "0.6", "NULL",
            source="NWRS contracted services"),
        row(2021, 9, "U00070", "Directors", "Clinical Director", "0.25", "103"),
        row(2021, 9, "U00071", DPC, "Social Prescribing Link Workers", "1", "NULL",
            source="NWRS contracted services", pcn_name="EAST MERTON PCN"),
    ]
    report = ingest(store, [write(tmp_path / "pcn.csv", lines)], "v")
    rows = store.query("SELECT org_code, staff_group, role, headcount, fte FROM staff_in_post "
                       "WHERE vintage = 'v' ORDER BY org_code, role")
    assert rows.to_dict("records") == [
        {"org_code": "U00070", "staff_group": "pc_directors", "role": "clinical_director",
         "headcount": 1, "fte": 0.25},
        {"org_code": "U00070", "staff_group": "pc_direct_patient_care",
         "role": "clinical_pharmacist", "headcount": 2, "fte": pytest.approx(2.5)},
        {"org_code": "U00071", "staff_group": "pc_direct_patient_care",
         "role": "social_prescribing_link_worker", "headcount": None, "fte": 1.0},
    ]
    assert store.scalar("SELECT count(*) FROM flows") == 0
    orgs = store.query("SELECT org_code, sector, org_type, icb_code, region_code, parent_code, "
                       "valid_from FROM organisations WHERE vintage = 'v' ORDER BY 1")
    assert orgs["sector"].eq("primary_care").all()
    assert orgs["org_type"].eq("PCN").all()
    assert orgs.iloc[0][["icb_code", "region_code", "parent_code"]].tolist() == \
        ["QWE", "Y56", "36L"]
    assert str(orgs.iloc[0]["valid_from"])[:10] == "2021-09-01"
    areas = store.query("SELECT code, level, parent_code FROM areas WHERE vintage = 'v' "
                        "AND level IN ('pcn', 'sub_icb') ORDER BY level, code")
    assert areas.values.tolist() == [["U00070", "pcn", "36L"], ["U00071", "pcn", "36L"],
                                     ["36L", "sub_icb", "QWE"]]
    notes = report.warnings
    assert any("3 distinct identifiers" in n and "2 record(s) without an identifier" in n
               for n in notes)
    assert any("flows unavailable" in n for n in notes)


def test_cp1252_crlf_bom_case_and_notes_rows_are_tolerated(tmp_path: Path, store) -> None:
    header = HEADER.lower().replace("pcn_code", "Pcn Code").replace("fte", " FTE ")
    lines = [header,
             row(2021, 6, "U00070", "Directors", "Clinical Director", "1", "7",
                 detailed="Clinical Director \u2013 Nurse"),
             row(2021, 6, "U00070", DPC, "Pharmacists", '"1,000"', "8"),  # thousands separator
             "", "Source: NHS Digital, notes row", ""]
    # cp1252 with an en dash, CRLF line ends
    path = write(tmp_path / "cp.csv", lines, encoding="cp1252", newline="\r\n")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    report = ingest(store, [path], "v")  # no encoding given: detected
    assert store.scalar("SELECT sum(fte) FROM staff_in_post") == pytest.approx(1001)
    assert any("skipped 1 notes or blank rows" in n for n in report.warnings)
    # UTF-8 with a byte-order mark reads too
    utf = write(tmp_path / "utf.csv", [HEADER, row(2021, 9, "U00070", DPC, "Pharmacists", "1",
                                                   "9")], encoding="utf-8", bom=True)
    ingest(store, [utf], "v2")
    assert store.scalar("SELECT count(*) FROM staff_in_post WHERE vintage = 'v2'") == 1


def test_negative_fte_cell_is_missing_with_a_warning(tmp_path: Path, store) -> None:
    lines = [HEADER,
             row(2021, 9, "U00070", DPC, "Pharmacy Technicians", "-0.026666667", "1"),
             row(2021, 9, "U00070", DPC, "Pharmacists", "-0.1", "2"),
             row(2021, 9, "U00070", DPC, "Pharmacists", "1", "3")]
    report = ingest(store, [write(tmp_path / "neg.csv", lines)], "v")
    cells = store.query("SELECT role, fte, headcount FROM staff_in_post ORDER BY role")
    assert cells["fte"].isna().tolist() == [False, True]
    assert cells["fte"].iloc[0] == pytest.approx(0.9)
    assert cells["headcount"].tolist() == [2, 1]
    assert any("below zero" in n for n in report.warnings)


def test_consecutive_censuses_in_one_file_are_checked(tmp_path: Path, store) -> None:
    # Identifier 1 is a pharmacist in U00070 in June and a link worker elsewhere in
    # September: a reused number, not the same person.
    lines = [HEADER,
             row(2021, 6, "U00070", DPC, "Pharmacists", "1", "1"),
             row(2021, 6, "U00070", DPC, "Pharmacists", "1", "2"),
             row(2021, 9, "U00072", DPC, "Social Prescribing Link Workers", "1", "1"),
             row(2021, 9, "U00070", DPC, "Pharmacists", "1", "5")]
    report = ingest(store, [write(tmp_path / "two.csv", lines)], "v")
    flags = store.query("SELECT flag, value, detail FROM source_flags ORDER BY flag")
    overlap = flags[flags["flag"] == "identifier_overlap"].iloc[0]
    assert overlap["value"] == 0
    assert "of 1 identifiers present in both 2021-06 and 2021-09, 0 keep" in overlap["detail"]
    assert any("identifiers not stable" in n for n in report.warnings)
    assert store.scalar("SELECT count(*) FROM flows") == 0
    periods = store.query("SELECT DISTINCT period FROM staff_in_post ORDER BY 1")["period"]
    assert [str(p)[:10] for p in periods] == ["2021-06-30", "2021-09-30"]


def test_identifiers_are_stored_only_hashed(tmp_path: Path, store) -> None:
    lines = [HEADER, row(2021, 9, "U00070", DPC, "Pharmacists", "1", "PCNID-77731")]
    ingest(store, [write(tmp_path / "id.csv", lines)], "v")
    hashes = store.query("SELECT person_hash FROM person_records")["person_hash"].tolist()
    assert len(hashes) == 1
    assert len(hashes[0]) == 64
    assert "77731" not in hashes[0]
    store.execute("CHECKPOINT")
    assert b"PCNID-77731" not in (tmp_path / "w.duckdb").read_bytes()


def test_unknown_role_group_and_icb_are_warnings(tmp_path: Path, store) -> None:
    lines = [HEADER,
             row(2022, 3, "U99999", DPC, "Digital Transformation Leads", "1", "1", icb="QZZ"),
             row(2022, 3, "U99999", "Brand New Staff Group", "Pharmacists", "1", "2", icb="QZZ")]
    report = ingest(store, [write(tmp_path / "new.csv", lines)], "v")
    unmapped = store.query("SELECT table_name, column_name, value FROM unmapped ORDER BY 1, 2")
    assert ("staff_in_post", "role", "Digital Transformation Leads") in \
        set(map(tuple, unmapped.values.tolist()))
    assert ("staff_in_post", "staff_group", "Brand New Staff Group") in \
        set(map(tuple, unmapped.values.tolist()))
    assert ("organisations", "icb_code", "QZZ") in set(map(tuple, unmapped.values.tolist()))
    assert store.scalar("SELECT sum(fte) FROM staff_in_post") == 2
    assert any("matches no known code" in w for w in report.warnings)


def test_a_row_with_a_bad_fte_is_an_error_naming_the_row(tmp_path: Path, store) -> None:
    lines = [HEADER, row(2021, 9, "U00070", DPC, "Pharmacists", "1", "1"),
             row(2021, 9, "U00070", DPC, "Pharmacists", "one", "2")]
    with pytest.raises(Exception, match=r"bad.csv, row 2 \(line 3\), column 'fte': value 'one'"):
        ingest(store, [write(tmp_path / "bad.csv", lines)], "v")
    assert store.scalar("SELECT count(*) FROM staff_in_post") == 0


# -- the real publication ------------------------------------------------------------


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory):
    files = real_files()
    with DuckDBStore(tmp_path_factory.mktemp("pcn") / "real.duckdb") as db:
        report = ingest(db, files, "real")  # no --encoding: the cp1252 files are detected
        yield db, report


@pytest.mark.realdata
def test_real_fte_identifiers_and_pcns_match_the_readme(real_store) -> None:
    store, report = real_store
    totals = store.query(
        "SELECT strftime(period, '%Y-%m-%d') AS census, sum(fte) AS fte, "
        "count(DISTINCT org_code) AS pcns FROM staff_in_post WHERE vintage = 'real' "
        "GROUP BY 1 ORDER BY 1").set_index("census")
    assert list(totals.index) == list(README)
    for census, (_, fte, _, pcns) in README.items():
        assert round(totals.at[census, "fte"], 1) == fte
        assert totals.at[census, "pcns"] == pcns
    # The README counts the literal 'NULL' of contracted-services rows as one identifier.
    for census, (rows, fte, identifiers, _) in README.items():
        year, month = census[:4], int(census[5:7])
        month_name = ["", "January", "February", "March", "April", "May", "June", "July",
                      "August", "September", "October", "November", "December"][month]
        line = next(n for n in report.warnings if f"census {month_name} {year}:" in n)
        assert f"{rows:,} records, {fte:,.1f} FTE, {identifiers - 1:,} distinct identifiers" in line
    orgs = store.query("SELECT strftime(valid_from, '%Y-%m') AS m, count(*) AS n "
                       "FROM organisations GROUP BY 1 ORDER BY 1")
    assert orgs["n"].tolist() == [v[3] for v in README.values()]


@pytest.mark.realdata
def test_real_mapping_flows_and_finding(real_store) -> None:
    store, report = real_store
    assert store.scalar("SELECT count(*) FROM unmapped WHERE vintage = 'real'") == 0
    groups = set(store.query("SELECT DISTINCT staff_group FROM staff_in_post")["staff_group"])
    assert groups == {"pc_direct_patient_care", "pc_admin", "pc_directors"}
    pharmacists = store.scalar(
        "SELECT sum(fte) FROM staff_in_post WHERE role = 'clinical_pharmacist' "
        "AND period = DATE '2021-09-30'")
    assert pharmacists > 2000
    assert store.scalar("SELECT count(*) FROM flows") == 0
    assert store.scalar("SELECT count(*) FROM staff_in_post WHERE fte IS NULL") == 1
    # Of the 1,793 values present in both June and September 2021 (README), one is the
    # literal 'NULL'; of the 1,792 real identifiers only 3 keep PCN and role (4 with 'NULL').
    last = store.query("SELECT detail FROM source_flags WHERE flag = 'identifier_overlap' "
                       "AND period = DATE '2021-09-30'")["detail"].iloc[0]
    assert last == ("of 1,792 identifiers present in both 2021-06 and 2021-09, 3 keep the "
                    "same PCN and role")
    assert "flows unavailable: identifiers not stable" in report.warnings[-1]
    no_keys = store.scalar("SELECT count(*) FROM (SELECT code, valid_from FROM areas "
                           "WHERE vintage = 'real' GROUP BY ALL HAVING count(*) > 1)")
    assert no_keys == 0


@pytest.mark.realdata
def test_real_headcount_counts_each_person_once_at_every_level(real_store) -> None:
    from datetime import date

    from wfplan.analysis.metrics import Query, current_position

    store, report = real_store
    march = date(2021, 3, 31)
    cells = store.scalar("SELECT sum(headcount) FROM staff_in_post WHERE period = ?", [march])
    assert cells == 6_911  # a person in several PCN × role cells is in each
    # Distinct identifiers by level, counted from the file with pandas:
    # PCNs 6,908, ICBs 6,860 (one person in two ICBs), regions 6,859, England 6,859.
    for level, people in (("org", 6_908), ("icb", 6_860), ("region", 6_859),
                          ("england", 6_859)):
        position = current_position(store, Query("real", level, period=march))
        assert position["headcount"].sum() == people, level
    england = current_position(store, Query("real", period=march)).iloc[0]
    assert round(england["fte"], 1) == 5_571.4  # README: every record's FTE
    # FTE per head over the same people: 5,102.6 FTE of identified records ÷ 6,859
    assert england["fte_per_head"] == pytest.approx(5_102.6276 / 6_859, abs=1e-6)
    groups = {g: current_position(store, Query("real", staff_group=g, period=march))
              ["headcount"].iat[0] for g in ("pc_direct_patient_care", "pc_directors",
                                             "pc_admin")}
    assert groups == {"pc_direct_patient_care": 5_318, "pc_directors": 618, "pc_admin": 926}
    september = current_position(store, Query("real")).iloc[0]
    assert september["headcount"] == 9_615  # README 9,616 counts the literal 'NULL'
    assert any("census 2021-03: 6,859 distinct people in England (6,911 if each cell's "
               "headcount were added up)" in n for n in report.warnings)


@pytest.mark.realdata
def test_unseen_later_edition_imports_with_warnings(tmp_path: Path, store) -> None:
    source = real_files()[-1]
    text = source.read_bytes().decode("cp1252").splitlines()
    header, rows = text[0], text[1:]
    edited = []
    for i, line in enumerate(rows):
        line = line.replace("NWRS Staff,2021,9,", "NWRS Staff,2022,3,").replace(
            "NWRS contracted services,2021,9,", "NWRS contracted services,2022,3,")
        if i % 50 == 0:
            line = line.replace(",Pharmacists,Pharmacist,", ",Digital Leads,Digital Lead \u2013 "
                                                            "senior,")
        line = line.replace(",QWE,", ",QXX,")  # an ICB code that changed
        edited.append(line)
    edited.append(row(2022, 3, "U88888", DPC, "Pharmacists", "1", "999999", icb="QXX"))
    edited.append("Notes: figures are provisional")
    path = tmp_path / "8.Primary_Care_Networks_-_March_2022_Individual_Level.csv"
    path.write_bytes(("\r\n".join([header, *edited]) + "\r\n").encode("cp1252"))
    report = ingest(store, [path], "later")
    values = set(store.query("SELECT value FROM unmapped")["value"])
    assert {"Digital Leads", "QXX"} <= values
    assert store.scalar("SELECT count(*) FROM organisations WHERE org_code = 'U88888'") == 1
    assert any("skipped 1 notes" in w for w in report.warnings)
    assert str(store.scalar("SELECT max(period) FROM staff_in_post"))[:10] == "2022-03-31"


# -- net change where flows are unavailable ---------------------------------------------


def test_net_change_between_the_two_latest_censuses(tmp_path: Path, store) -> None:
    from wfplan.analysis import metrics

    lines = [HEADER,
             row(2021, 3, "U00070", DPC, "Pharmacists", "1", "1"),
             row(2021, 6, "U00070", DPC, "Pharmacists", "1", "1"),
             row(2021, 6, "U00070", DPC, "Pharmacists", "0.5", "2"),
             row(2021, 9, "U00070", DPC, "Pharmacists", "1", "7"),
             row(2021, 9, "U00070", DPC, "Pharmacists", "1", "8"),
             row(2021, 9, "U00070", DPC, "Pharmacists", "1", "9"),
             row(2021, 9, "U00070", DPC, "Paramedics", "0.6", "10")]
    ingest(store, [write(tmp_path / "pcn.csv", lines)], "v")
    change = metrics.net_change(store, metrics.Query("v", "england"))
    assert change[["role", "period_start", "period_end", "headcount_start", "headcount_end",
                   "headcount_change"]].values.tolist() == [
        ["clinical_pharmacist", "2021-06-30", "2021-09-30", 2, 3, 1],
        ["paramedic_pc", "2021-06-30", "2021-09-30", 0, 1, 1]]  # no paramedic in June: 0
    assert change["fte_change"].tolist() == pytest.approx([1.5, 0.6])
    assert change["fte_change_rate"].iloc[0] == pytest.approx(1.5 / 1.5)
    assert pd.isna(change["fte_change_rate"].iloc[1])
    assert set(change["source"]) == {"pcn_workforce"}
    earlier = metrics.net_change(store, metrics.Query("v", "region",
                                                      period=pd.Timestamp("2021-06-30").date()))
    assert earlier[["area_code", "headcount_start", "headcount_end"]].values.tolist() == [
        ["Y56", 1, 2]]
    assert metrics.net_change(store, metrics.Query("v", "icb", staff_group="pc_admin")).empty


def test_no_net_change_without_a_flag(tmp_path: Path, store) -> None:
    from wfplan.analysis import metrics

    path = tmp_path / "staff_in_post.csv"
    path.write_text("period,org_code,staff_group,headcount,fte\n2024-03,E92000001,gp,1,1\n"
                    "2024-06,E92000001,gp,2,2\n", encoding="utf-8")
    ingest(store, [path], "v")
    change = metrics.net_change(store, metrics.Query("v"))
    assert change.empty
    assert list(change.columns) == list(metrics.NET_CHANGE_COLUMNS)


@pytest.mark.realdata
def test_real_net_change_june_to_september_2021(real_store) -> None:
    from wfplan.analysis import metrics

    store, _ = real_store
    change = metrics.net_change(store, metrics.Query("real", "england"))
    assert set(change["period_end"]) == {"2021-09-30"}
    totals = store.query("SELECT strftime(period, '%Y-%m') AS m, sum(fte) AS fte "
                         "FROM staff_in_post GROUP BY 1").set_index("m")["fte"]
    assert change["fte_change"].sum() == pytest.approx(totals["2021-09"] - totals["2021-06"])
    pharmacists = change[change["role"] == "clinical_pharmacist"].iloc[0]
    assert pharmacists["fte_end"] > pharmacists["fte_start"]
