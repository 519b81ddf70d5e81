"""The NHS publication importers (HCHS nationality, sickness absence, ethnicity, staff survey).

The real files are read from ``../shared/data`` and never copied into the
repository. One vintage holding every real file these importers and the
reference importers read is built once for the module; "unseen edition" tests
load altered copies of the real files written to ``tmp_path``.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from shared_data import real
from wfplan.analysis import metrics
from wfplan.dataset import geography
from wfplan.dataset.importers._publication import month_of
from wfplan.dataset.importers.hchs import sector_of
from wfplan.dataset.ingest import IngestReport, ingest
from wfplan.dataset.store import DuckDBStore

HCHS_CSV = "hchs_staff_by_staff_group_nationality_org_2017-09_2018-06.csv"
HCHS_XLSX = ("hchs-staff-by-staff-group-nationality-and-organisation-september-2017-and-"
             "june-2018_ah2324.xlsx")
ETHNICITY = "nhs_workforce_ethnicity_headcount_2009-2019.csv"
SURVEY = "nhs_staff_survey_org_results_2021-2023.csv"
#: Files in these folders that are about the data rather than data.
NOT_DATA = {"download_manifest_ml20g2l.csv", "profile_of_nhs_workforce_statistics_2025-03_csv.json"}
FOLDERS = ("nhs_workforce_by_org", "nhs_sickness_absence", "nhs_workforce_ethnicity",
           "staff_survey", "reference")
UK = {"British", "English", "Scottish", "Welsh", "Northern Irish", "Manx", "Channel Islander"}
# README: FTE by staff group, September 2017.
SEPTEMBER_2017 = {
    "nurses_health_visitors": 283_853, "support_doctors_nurses_midwives": 243_762,
    "scientific_therapeutic_technical": 134_990, "hchs_doctors": 109_002,
    "central_functions": 80_739, "support_stt": 56_099, "hotel_property_estates": 51_890,
    "managers": 21_673, "midwives": 21_206, "ambulance_staff": 20_258,
    "support_ambulance": 14_731, "senior_managers": 10_282, "unknown_classification": 4_478,
}
MINORITY = {"Asian", "Black", "Chinese", "Mixed", "Other"}


def real_files() -> list[Path]:
    """Return every real data file these importers and the reference importers read."""
    files = [p for folder in FOLDERS for p in sorted(real(folder).iterdir())
             if p.is_file() and p.name not in NOT_DATA]
    assert len(files) == 22, [p.name for p in files]
    return files


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_rows(path: Path, header: list[str], rows: list[list[str]], *, encoding: str = "utf-8",
               newline: str = "\n", bom: bool = False, tail: str = "") -> Path:
    lines = [",".join(_quote(c) for c in header)]
    lines += [",".join(_quote(c) for c in row) for row in rows]
    text = newline.join(lines) + newline + tail.replace("\n", newline)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
    return path


def _quote(cell: str) -> str:
    return f'"{cell}"' if "," in cell or '"' in cell else cell


@pytest.fixture(scope="module")
def everything(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DuckDBStore,
                                                                        IngestReport]]:
    """One vintage holding every real file of these importers and the reference data.

    It is built once, then opened read-only so that the CLI can open it too.
    """
    files = real_files()
    path = tmp_path_factory.mktemp("real") / "real.duckdb"
    with DuckDBStore(path) as building:
        report = ingest(building, files, "real")
    with DuckDBStore(path, read_only=True) as reading:
        yield reading, report


def hchs_ingest(store: DuckDBStore) -> str:
    """Return the HCHS file that holds the rows (the other edition repeats them)."""
    return str(store.scalar(
        "SELECT source_file FROM ingests WHERE vintage = 'real' AND format = "
        "'nhs_digital:hchs_nationality' AND rows > 0"))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    with DuckDBStore(tmp_path / "w.duckdb") as opened:
        yield opened


def _scalar(store: DuckDBStore, sql: str, params: list[object] | None = None) -> object:
    return store.scalar(sql, params)


# -- all the real files together ------------------------------------------------------


@pytest.mark.realdata
def test_every_real_file_loads_into_one_vintage(everything) -> None:
    store, report = everything
    assert {f.path.name for f in report.files} == {p.name for p in real_files()}
    assert all(f.status == "loaded" for f in report.files)
    formats = {f.path.name: f.format for f in report.files}
    assert formats[HCHS_CSV] == formats[HCHS_XLSX] == "nhs_digital:hchs_nationality"
    assert formats[ETHNICITY] == "gov_uk:nhs_workforce_ethnicity"
    assert formats[SURVEY] == "nhs_england:staff_survey"
    assert formats["etr_2022-03_nhsx.csv"] == formats["etr_2026_riyaburman.csv"] == "ods:etr"
    logged = store.query("SELECT source_file, publisher, title, period, licence FROM ingests "
                         "WHERE vintage = 'real' AND format <> 'codelists'")
    assert len(logged) == 22
    assert logged["publisher"].notna().all()
    assert logged["title"].notna().all()
    assert logged["licence"].notna().all()
    periods = dict(zip(logged["source_file"], logged["period"], strict=True))
    assert periods[HCHS_CSV] == "2017-09 to 2018-06"
    assert periods["nhs_sickness_absence_2024-11.csv"] == "2024-11"
    assert periods[ETHNICITY] == "2009-09 to 2019-09"
    assert periods[SURVEY] == "2021 to 2023"


@pytest.mark.realdata
def test_only_the_changed_icb_codes_of_the_2026_trust_file_are_unmapped(everything) -> None:
    store, _ = everything
    unmapped = store.query("SELECT i.source_file, u.column_name, u.value FROM unmapped u "
                           "JOIN ingests i USING (ingest_id) WHERE u.vintage = 'real'")
    assert set(unmapped["source_file"]) == {"etr_2026_riyaburman.csv"}
    assert set(unmapped["column_name"]) == {"icb_code"}
    assert set(unmapped["value"]) == {"Z9B2Z", "D7T5G", "S9B9J", "S0E4D", "S1Y5D", "T6Y0W"}


# -- HCHS staff by staff group, nationality and organisation --------------------------


@pytest.mark.realdata
def test_hchs_totals_match_the_publication(everything) -> None:
    store, _ = everything
    totals = store.query("SELECT period, sum(fte) AS fte FROM staff_in_post WHERE vintage = "
                         "'real' AND nationality IS NOT NULL GROUP BY period ORDER BY period")
    assert [d.date() for d in totals["period"]] == [date(2017, 9, 30), date(2018, 6, 30)]
    assert totals["fte"].tolist() == pytest.approx([1_052_963, 1_061_617], abs=1)
    by_group = store.query("SELECT staff_group, sum(fte) AS fte FROM staff_in_post WHERE "
                           "vintage = 'real' AND nationality IS NOT NULL AND period = "
                           "'2017-09-30' GROUP BY staff_group")
    assert dict(zip(by_group["staff_group"], by_group["fte"], strict=True)) == pytest.approx(
        SEPTEMBER_2017, abs=1)
    british = _scalar(store, "SELECT sum(fte) FROM staff_in_post WHERE vintage = 'real' AND "
                             "period = '2017-09-30' AND nationality = 'british'")
    assert british == pytest.approx(852_956, abs=1)


@pytest.mark.realdata
def test_the_workbook_and_the_csv_are_one_publication(everything) -> None:
    store, report = everything
    rows = {f.path.name: f.rows for f in report.files}
    first = hchs_ingest(store)
    second = HCHS_XLSX if first == HCHS_CSV else HCHS_CSV
    assert rows[first]["staff_in_post"] == 81_603
    assert rows[second] == {"organisations": 0, "staff_in_post": 0}
    notes = [w for w in report.warnings if w.startswith(second)]
    assert any("81,603 staff_in_post rows repeat figures" in n for n in notes)


@pytest.mark.realdata
def test_the_workbook_alone_reads_every_row(store: DuckDBStore) -> None:
    report = ingest(store, [real("nhs_workforce_by_org", HCHS_XLSX)], "xlsx")
    assert report.files[0].rows["staff_in_post"] == 81_603
    total = store.scalar("SELECT sum(fte) FROM staff_in_post WHERE period = '2018-06-30'")
    assert total == pytest.approx(1_061_617, abs=1)
    assert not report.files[0].unmapped


def placed(store: DuckDBStore, at: str) -> pd.DataFrame:
    """Return every organisation of the vintage as reports place it at a date."""
    return store.query(geography.placement_cte() + " SELECT * FROM g",
                       {"vintage": "real", "at": at}).set_index("org_code")


def described_by(store: DuckDBStore, code: str) -> set[str]:
    """Return the formats of the files whose organisations rows describe a code."""
    return set(store.query("SELECT DISTINCT i.format FROM organisations o JOIN ingests i "
                           "USING (ingest_id) WHERE o.vintage = 'real' AND o.org_code = ?",
                           [code])["format"])


@pytest.mark.realdata
def test_hchs_organisations_are_named_typed_and_placed(everything) -> None:
    store, _ = everything
    codes = {r["Organisation code"] for r in rows_of(real("nhs_workforce_by_org", HCHS_CSV))
             if r["Month"] == "2017-SEP"}
    orgs = placed(store, "2017-09-30").loc[sorted(codes)]
    assert len(orgs) == len(codes) == 431
    assert orgs.loc["00D", "sector"] == "commissioner"
    assert orgs.loc["00D", ["icb_code", "region_code"]].tolist() == ["QHM", "Y63"]  # CCG → ICB
    # A trust the ODS etr file describes is described by it, not by the HCHS file.
    assert "nhs_digital:hchs_nationality" not in described_by(store, "RWG")
    assert orgs.loc["RWG", "sector"] == "nhs_trust"
    assert orgs.loc["RWG", ["icb_code", "region_code"]].tolist() == ["QM7", "Y61"]
    assert (orgs["org_name"] != orgs.index).all()
    assert orgs["icb_code"].notna().mean() > 0.99
    assert described_by(store, "00D") == {"nhs_digital:hchs_nationality"}


@pytest.mark.realdata
def test_non_uk_share_counts_english_scottish_and_welsh_as_uk(everything) -> None:
    store, _ = everything
    known = non_uk = 0.0
    for row in rows_of(real("nhs_workforce_by_org", HCHS_CSV)):
        if row["Month"] != "2018-JUN" or row["Nationality"] == "Unknown":
            continue
        known += float(row["FTE"])
        non_uk += 0.0 if row["Nationality"] in UK else float(row["FTE"])
    position = metrics.current_position(store, metrics.Query("real", period=date(2018, 6, 30)))
    assert position.loc[0, "fte"] == pytest.approx(1_061_617, abs=1)
    assert position.loc[0, "share_non_uk"] == pytest.approx(non_uk / known)


# -- NHS Sickness Absence Rates ----------------------------------------------------------


@pytest.mark.realdata
def test_sickness_days_equal_the_file_sums_each_month(everything) -> None:
    store, _ = everything
    loaded = store.query("SELECT period, sum(fte_days_lost) AS lost, sum(fte_days_available) "
                         "AS available, count(*) AS n FROM sickness_absence WHERE vintage = "
                         "'real' AND staff_group IS NULL GROUP BY period").set_index("period")
    files = sorted(real("nhs_sickness_absence").glob("nhs_sickness_absence_*.csv"))
    assert len(files) == 12 == len(loaded)
    for path in files:
        rows = rows_of(path)
        d, m, y = rows[0]["DATE"].split("/")
        month = loaded.loc[f"{y}-{m}-{d}"]
        assert month["n"] == len(rows)
        assert month["lost"] == pytest.approx(sum(float(r["FTE_DAYS_LOST"]) for r in rows))
        assert month["available"] == pytest.approx(
            sum(float(r["FTE_DAYS_AVAILABLE"]) for r in rows))


@pytest.mark.realdata
def test_sickness_organisations_carry_ics_and_region_but_not_qzz(everything) -> None:
    store, _ = everything
    codes = {r["ORG_CODE"] for r in rows_of(real("nhs_sickness_absence",
                                                 "nhs_sickness_absence_2025-03.csv"))}
    orgs = placed(store, "2025-03-31").loc[sorted(codes)]
    assert len(orgs) == len(codes) == 280
    assert orgs.loc["X24", ["sector", "icb_code", "region_code"]].isna().tolist() == [
        False, True, True]  # NHS England: QZZ, not an ICB
    assert orgs.loc["0AR", "sector"] == "other"
    assert orgs.loc["QKK", "sector"] == "commissioner"
    assert orgs.loc["R0A", ["sector", "icb_code", "region_code"]].tolist() == [
        "nhs_trust", "QOP", "Y62"]
    assert "QZZ" not in set(orgs["icb_code"].dropna()) | set(orgs["region_code"].dropna())
    # Organisations the reference data describes keep that description.
    assert "nhs_digital:sickness_absence" not in described_by(store, "R0A")
    assert described_by(store, "X24") == {"nhs_digital:sickness_absence"}


# -- Ethnicity facts and figures -----------------------------------------------------


@pytest.mark.realdata
def test_ethnicity_rows_are_national_and_totals_are_not_loaded(everything) -> None:
    store, _ = everything
    rows = store.query("SELECT s.* FROM staff_in_post s JOIN ingests i USING (ingest_id) "
                       "WHERE s.vintage = 'real' AND i.source_file = ?", [ETHNICITY])
    assert set(rows["org_code"]) == {"E92000001"}
    assert set(rows["ethnicity"]) == {"white", "asian", "black", "mixed", "chinese", "other",
                                      "unknown"}
    nurses = rows[(rows["period"] == "2019-09-30") & (rows["staff_group"] ==
                  "nurses_health_visitors") & rows["grade"].isna()].set_index("ethnicity")
    assert nurses.loc["white", "headcount"] == 235_194
    assert nurses.loc["unknown", "headcount"] == 13_915 + 122  # unknown + discontinued codes
    consultants = rows[(rows["role"] == "consultant") & (rows["period"] == "2019-09-30")]
    assert set(consultants["grade"]) == {"medical"}
    assert set(rows["grade"].dropna()) >= {"band_1", "band_5", "band_8a", "band_9", "vsm",
                                           "non_afc", "medical"}


@pytest.mark.realdata
def test_metrics_report_the_ethnic_minority_share_by_band_for_england(everything) -> None:
    store, _ = everything
    minority: dict[str, int] = defaultdict(int)
    known: dict[str, int] = defaultdict(int)
    for row in rows_of(real("nhs_workforce_ethnicity", ETHNICITY)):
        if row["Time"] == "2019-09-01" and row["Grade"] in ("Band 5", "Very Senior Manager"):
            if row["Ethnicity"] in MINORITY | {"White"}:
                known[row["Grade"]] += int(row["Value"])
            if row["Ethnicity"] in MINORITY:
                minority[row["Grade"]] += int(row["Value"])
    bands = metrics.ethnic_minority_by_band(store, metrics.Query("real"))
    assert set(bands["area_code"]) == {"E92000001"}
    assert set(bands["period"]) == {"2019-09-30"}
    share = dict(zip(bands["grade"], bands["ethnic_minority_share"], strict=True))
    assert share["band_5"] == pytest.approx(minority["Band 5"] / known["Band 5"])
    assert share["vsm"] == pytest.approx(minority["Very Senior Manager"] /
                                         known["Very Senior Manager"])
    assert list(bands["grade"])[:12] == ["band_1", "band_2", "band_3", "band_4", "band_5",
                                          "band_6", "band_7", "band_8a", "band_8b", "band_8c",
                                          "band_8d", "band_9"]


@pytest.mark.realdata
def test_wfplan_metrics_prints_the_share_by_band(everything) -> None:
    from wfplan.cli import app

    store, _ = everything
    result = CliRunner().invoke(app, ["metrics", "--vintage", "real", "--db", str(store.path),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    bands = json.loads(result.stdout)["ethnic_minority_by_band"]
    by_grade = {b["grade"]: b for b in bands}
    assert 0.2 < by_grade["band_5"]["ethnic_minority_share"] < 0.35
    assert by_grade["band_5"]["ethnic_minority_share"] > by_grade["band_8d"][
        "ethnic_minority_share"]


# -- NHS Staff Survey ----------------------------------------------------------------


@pytest.mark.realdata
def test_staff_survey_rates_become_proportions_with_their_base(everything) -> None:
    store, _ = everything
    raw = {(r["ODS code"], r["Year"]): r for r in rows_of(real("staff_survey", SURVEY))}
    loaded = store.query("SELECT org_code, year, indicator, value, base FROM staff_survey "
                         "WHERE vintage = 'real'")
    assert set(loaded["year"]) == {2021, 2022, 2023}
    assert loaded["value"].between(0, 1).all()
    assert len(set(zip(loaded["org_code"], loaded["year"], strict=True))) == len(raw) == 812
    one = loaded[(loaded["org_code"] == "R0A") & (loaded["year"] == 2021)].set_index("indicator")
    source = raw[("R0A", "2021")]
    assert one.loc["burned_out", "value"] == pytest.approx(float(source["Burned_out_rate"]) / 100)
    assert one.loc["burned_out", "base"] == int(source["Burned_out_base"])
    assert one.loc["burned_out_ever", "base"] == int(source["Burned_out_base"])
    assert one.loc["religion_christian", "base"] == int(source["Religion_base"])
    assert one.loc["burned_out_response", "value"] == pytest.approx(
        float(source["Burned_out_response_rate"]))
    assert one.loc["burned_out_response", "base"] == int(source["Respondents"])
    assert {"stress", "enough_staff", "discrimination_public", "ethnic_minority", "female",
            "older"} <= set(one.index)


@pytest.mark.realdata
def test_burnout_rate_is_na_for_censuses_the_staff_survey_does_not_cover(everything) -> None:
    # The surveys are 2021-2023; the trusts' censuses September 2017 and June 2018.
    store, _ = everything
    for period in (date(2017, 9, 30), date(2018, 6, 30)):
        position, covered = metrics.position_with_coverage(
            store, metrics.Query("real", level="region", period=period))
        assert position["fte"].notna().any()
        assert position["burnout_rate"].isna().all()
        note = covered.set_index("metric").at["burnout_rate", "note"]
        assert f"no staff survey for the census {period:%Y-%m}" in note
        assert note.endswith("the vintage has 2021, 2022, 2023")


# -- unseen later editions: altered copies of the real files ----------------------------


def _warned(report: IngestReport, text: str) -> bool:
    return any(text in line for line in report.warnings)


@pytest.mark.realdata
def test_a_later_hchs_edition_with_new_categories_loads_with_warnings(
        tmp_path: Path, store: DuckDBStore) -> None:
    source = rows_of(real("nhs_workforce_by_org", HCHS_CSV))[:3000]
    header = ["MONTH", "Organisation  Code", "organisation name", "STAFF GROUP", "Nationality",
              "FTE", "Region"]
    rows = [[r["Month"], r["Organisation code"], r["Organisation name"], r["Staff group"],
             r["Nationality"], r["FTE"], "North"] for r in source]
    rows += [
        ["2019-MAR", "RZZ", "New Valley NHS Foundation Trust", "Physician associates",
         "British", "12", "North"],
        ["2019-MAR", "RZZ", "New Valley NHS Foundation Trust", "Nurses & health visitors",
         "Atlantean", "1,234.5", "North"],
        ["2019-MAR", "RZZ", "New Valley NHS Foundation Trust", "Midwives", "British", "*",
         "North"],
        ["2019-MAR", "RZZ", "New Valley NHS Foundation Trust", "Midwives", "Gibraltar – Rock",
         "2", "North"],
    ]
    path = write_rows(tmp_path / "hchs_2019.csv", header, rows, encoding="cp1252",
                      newline="\r\n", tail=",,,,,,\nNotes: figures are rounded,,,,,,\n"
                      "Source: NHS Digital\n")
    report = ingest(store, [path], "later")
    assert report.files[0].format == "nhs_digital:hchs_nationality"
    unmapped = {(u.column, u.value) for u in report.files[0].unmapped}
    assert unmapped == {("staff_group", "Physician associates"), ("nationality", "Atlantean"),
                        ("nationality", "Gibraltar – Rock")}
    assert _warned(report, "Windows-1252")
    assert _warned(report, "columns not read: Region")
    assert _warned(report, "blank or notes row(s) set aside")
    assert _warned(report, "notes line(s) set aside")
    new = store.query("SELECT staff_group, nationality, fte, suppressed FROM staff_in_post "
                      "WHERE org_code = 'RZZ' ORDER BY staff_group, nationality")
    assert len(new) == 4
    assert new.set_index("nationality").loc["Atlantean", "fte"] == 1234.5
    assert new["suppressed"].sum() == 1
    assert store.scalar("SELECT sector FROM organisations WHERE org_code = 'RZZ'") == "nhs_trust"
    assert store.scalar("SELECT count(*) FROM staff_in_post") == len(rows)


@pytest.mark.realdata
def test_a_workbook_with_a_title_row_notes_and_blank_rows_loads(tmp_path: Path,
                                                                store: DuckDBStore) -> None:
    source = rows_of(real("nhs_workforce_by_org", HCHS_CSV))[:500]
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["HCHS staff by staff group, nationality and organisation"])
    data = book.create_sheet("Data")
    data.append(["NHS Hospital & Community Health Service (HCHS) workforce statistics"])
    data.append([])
    data.append(["Month", "Organisation code", "Organisation name", "Staff group",
                 "Nationality", "FTE"])
    for r in source:
        data.append([r["Month"], r["Organisation code"], r["Organisation name"],
                     r["Staff group"], r["Nationality"], float(r["FTE"])])
    data.append([])
    data.append(["Source: NHS Digital"])
    book.save(tmp_path / "hchs.xlsx")
    report = ingest(store, [tmp_path / "hchs.xlsx"], "book")
    assert report.files[0].rows["staff_in_post"] == 500
    assert store.scalar("SELECT sum(fte) FROM staff_in_post") == pytest.approx(
        sum(float(r["FTE"]) for r in source))
    assert _warned(report, "2 blank or notes row(s) set aside")


@pytest.mark.realdata
def test_a_later_sickness_edition_with_changed_codes_loads_with_warnings(
        tmp_path: Path, store: DuckDBStore) -> None:
    source = rows_of(real("nhs_sickness_absence", "nhs_sickness_absence_2025-03.csv"))
    header = [c.lower() for c in source[0]] + ["STAFF_COUNT"]
    rows = [[*r.values(), "1"] for r in source]
    rows[0][0] = "2025-04-30"
    for row in rows:
        row[0] = "30/04/2025"
        if row[3] == "QOP":
            row[3] = "QXX"  # an ICB code unknown to wfplan
    rows.append(["30/04/2025", "Y62", "North West", "QOP", "Greater Manchester", "RZZ",
                 "New Trust", "Virtual hospital", "1,000.5", "20000", "5.00", "1"])
    path = write_rows(tmp_path / "sickness_2025-04.csv", header, rows, bom=True,
                      newline="\r\n", tail="\n\n")
    report = ingest(store, [path], "later")
    assert report.files[0].format == "nhs_digital:sickness_absence"
    assert {(u.column, u.value) for u in report.files[0].unmapped} == {("icb_code", "QXX")}
    assert _warned(report, "columns not read: STAFF_COUNT")
    assert _warned(report, "not known to wfplan, sector set to 'other': Virtual hospital")
    assert store.scalar("SELECT fte_days_lost FROM sickness_absence WHERE org_code = 'RZZ'"
                        ) == 1000.5
    assert store.scalar("SELECT count(*) FROM sickness_absence") == len(rows)


@pytest.mark.realdata
def test_a_later_ethnicity_edition_with_new_categories_loads_with_warnings(
        tmp_path: Path, store: DuckDBStore) -> None:
    source = [r for r in rows_of(real("nhs_workforce_ethnicity", ETHNICITY))
              if r["Time"] == "2019-09-01"]
    header = ["TIME", "ethnicity", "Ethnicity Type", "Staff Group", "Role Group", "GRADE",
              "Value", "Notes"]
    rows = [[*r.values(), ""] for r in source]
    rows += [
        ["2020-09-01", "White", "ONS 6+1", "Professionally Qualified Clinical Staff",
         "Physician Associates", "Band 7", "1,500", ""],
        ["2020-09-01", "Gypsy or Irish Traveller", "ONS 19", "Support To Clinical Staff",
         "Support To Doctors, Nurses & Midwives", "Band 3", "*", ""],
        ["2020-09-01", "Black", "ONS 6+1", "Support To Clinical Staff",
         "Support To Doctors, Nurses & Midwives", "Band 10", "7", ""],
        ["2020-09-01", "All", "All", "All staff groups", "All staff groups", "All Grades",
         "1400000", ""],
    ]
    path = write_rows(tmp_path / "ethnicity_2020.csv", header, rows)
    report = ingest(store, [path], "later")
    assert report.files[0].format == "gov_uk:nhs_workforce_ethnicity"
    assert {(u.column, u.value) for u in report.files[0].unmapped} == {
        ("staff_group", "Physician Associates"), ("ethnicity", "Gypsy or Irish Traveller"),
        ("grade", "Band 10")}
    assert _warned(report, "columns not read: Notes")
    assert _warned(report, "1 row(s) for all staff groups")
    later = store.query("SELECT * FROM staff_in_post WHERE period = '2020-09-30'")
    assert len(later) == 3
    assert later.set_index("staff_group").loc["Physician Associates", "headcount"] == 1500


@pytest.mark.realdata
def test_a_later_survey_edition_with_new_indicators_loads_with_notes(
        tmp_path: Path, store: DuckDBStore) -> None:
    source = [r for r in rows_of(real("staff_survey", SURVEY)) if r["Year"] == "2023"][:40]
    header = [c.upper() if c.endswith("_rate") else c for c in source[0]]
    header[header.index("Year")] = "SURVEY YEAR"
    header += ["Flexible_working_base", "Flexible_working_rate", "Comment"]
    rows = [[*r.values(), "120", "45.5%", "x"] for r in source]
    rows[0][header.index("Stress_base")] = "NA"
    rows[0][header.index("STRESS_RATE")] = "NA"
    rows[1][header.index("Flexible_working_rate")] = "*"
    rows.append(["RZZ", "2024", "New Valley NHS Foundation Trust", "Virtual Trusts", "-", "-",
                 "Unweighted", *("0.9" if "RESPONSE" in c else "50" for c in header[7:-3]),
                 "1,200", "40", "x"])
    path = write_rows(tmp_path / "survey_2023.csv", header, rows)
    report = ingest(store, [path], "later")
    assert report.files[0].format == "nhs_england:staff_survey"
    assert _warned(report, "indicators new to wfplan, loaded as published: flexible_working")
    assert _warned(report, "1 base/rate pair(s) with both cells empty were skipped")
    assert _warned(report, "columns not read: Comment")
    flexible = store.query("SELECT org_code, value, base, suppressed FROM staff_survey WHERE "
                           "indicator = 'flexible_working' ORDER BY org_code")
    assert len(flexible) == 41
    assert flexible["suppressed"].sum() == 1
    assert flexible.set_index("org_code").loc["RZZ", "base"] == 1200
    assert store.scalar("SELECT value FROM staff_survey WHERE org_code = ? AND indicator = "
                        "'flexible_working'", [source[2]["ODS code"]]) == pytest.approx(0.455)
    assert store.scalar("SELECT count(*) FROM staff_survey WHERE org_code = ? AND indicator = "
                        "'stress'", [source[0]["ODS code"]]) == 0
    assert store.scalar("SELECT sector FROM organisations WHERE org_code = 'RZZ'") == "nhs_trust"


# -- small pieces ----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "month"), [
    ("2017-SEP", "2017-09"), ("Sep-17", "2017-09"), ("September 2017", "2017-09"),
    ("30/09/2017", "2017-09"), ("2019-09-01", "2019-09"), ("01Jan2022", "2022-01"),
    ("20170930", "2017-09"), ("2017-13", None), ("Total", None),
])
def test_publication_months_are_read_in_their_many_spellings(text: str, month: str | None
                                                             ) -> None:
    assert month_of(text) == month


def test_hchs_sectors_follow_the_organisation_name() -> None:
    assert sector_of("00D", "NHS Durham Dales, Easington and Sedgefield CCG") == "commissioner"
    assert sector_of("RWG", "West Hertfordshire Hospitals NHS Trust") == "nhs_trust"
    assert sector_of("X24", "NHS England") == "other"
