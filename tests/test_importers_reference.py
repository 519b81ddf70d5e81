"""The reference importers: ODS trusts (etr), GP practice mapping, CCG → ICB, LA lookup, dim.

The real files are read from ``../shared/data/reference`` and never copied into
the repository; "unseen edition" tests write altered copies to ``tmp_path``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import shared_data
from wfplan.analysis import metrics
from wfplan.dataset.importers.ods import _chain, _Record, edition_of
from wfplan.dataset.ingest import IngestReport, ingest
from wfplan.dataset.store import DuckDBStore

ETR_2022 = "etr_2022-03_nhsx.csv"
ETR_2026 = "etr_2026_riyaburman.csv"
GP_MAP = "gp-reg-pat-prac-map_2022-01.csv"
CCG_ICB = "heec_CCG_ICB_code.csv"
LA = "LTLA22_to_UTLA22_lookup_EW.csv"
DIM = "dim_organisation_2024-25_ml20g2l.csv"
FILES = (ETR_2022, ETR_2026, GP_MAP, CCG_ICB, LA, DIM)
NEW_ICBS = {"Z9B2Z", "D7T5G", "S9B9J", "S0E4D", "S1Y5D", "T6Y0W"}


def real(name: str) -> Path:
    """Return a reference file; fail in CI and skip elsewhere if it is missing."""
    return shared_data.real("reference", name)


def rows_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def write(path: Path, rows: list[list[str]], *, newline: str = "\n", bom: bool = False,
          quote_all: bool = False) -> Path:
    def cell(value: str) -> str:
        return f'"{value}"' if quote_all or "," in value else value

    text = newline.join(",".join(cell(c) for c in row) for row in rows) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DuckDBStore,
                                                                         IngestReport]]:
    """One vintage holding every real reference file, built once and opened read-only."""
    files = [real(name) for name in FILES]
    path = tmp_path_factory.mktemp("reference") / "reference.duckdb"
    with DuckDBStore(path) as building:
        report = ingest(building, files, "ref")
    with DuckDBStore(path, read_only=True) as reading:
        yield reading, report


@pytest.fixture
def store(tmp_path: Path) -> Iterator[DuckDBStore]:
    with DuckDBStore(tmp_path / "w.duckdb") as opened:
        yield opened


def _records(store: DuckDBStore, org: str, vintage: str = "ref") -> list[tuple[object, ...]]:
    frame = store.query("SELECT icb_code, region_code, valid_from, valid_to FROM organisations "
                        "JOIN ingests USING (ingest_id) WHERE organisations.vintage = ? AND "
                        "org_code = ? AND format = 'ods:etr' ORDER BY valid_from",
                        [vintage, org])
    return [(r.icb_code, r.region_code, _d(r.valid_from), _d(r.valid_to))
            for r in frame.itertuples(index=False)]


def _d(value: object) -> date | None:
    return None if value is None or value != value else value.date()  # type: ignore[attr-defined]


# -- the real files --------------------------------------------------------------------


@pytest.mark.realdata
def test_every_reference_file_is_recognised(reference) -> None:
    _, report = reference
    formats = {f.path.name: f.format for f in report.files}
    assert formats == {ETR_2022: "ods:etr", ETR_2026: "ods:etr",
                       GP_MAP: "nhs_digital:gp_practice_mapping", CCG_ICB: "lookup:ccg_icb",
                       LA: "ons:ltla_utla", DIM: "lookup:dim_organisation"}
    loaded = [f.path.name for f in report.files]
    assert loaded.index(LA) < loaded.index(GP_MAP) < loaded.index(ETR_2022)  # areas first


@pytest.mark.realdata
def test_trust_editions_are_chained_by_date(reference) -> None:
    store, _ = reference
    # Manchester University FT: the same ICB in both editions.
    assert _records(store, "R0A") == [("QOP", "Y62", date(2017, 10, 1), date(2025, 12, 31)),
                                      ("QOP", "Y62", date(2026, 1, 1), None)]
    # Royal Free: North Central London until the merged London ICB of the 2026 edition.
    assert _records(store, "RAL") == [("QMJ", "Y56", date(1991, 4, 1), date(2025, 12, 31)),
                                      ("Z9B2Z", "Y56", date(2026, 1, 1), None)]
    # North Middlesex closed in 2024: the 2026 edition only adds its close date.
    assert _records(store, "RAP") == [("QMJ", "Y56", date(1991, 4, 1), date(2024, 12, 31))]
    # A trust only in the 2026 edition runs from its open date.
    assert _records(store, "G6V2S") == [("Z9B2Z", "Y56", date(2024, 11, 1), None)]
    # Welsh trusts: no English region or ICB.
    assert _records(store, "RQF")[0][:2] == (None, None)


@pytest.mark.realdata
def test_changed_icb_codes_are_warnings_in_the_unmapped_bucket(reference) -> None:
    store, report = reference
    unmapped = store.query("SELECT column_name, value FROM unmapped WHERE vintage = 'ref'")
    assert set(unmapped["value"]) == NEW_ICBS
    assert set(unmapped["column_name"]) == {"icb_code"}
    assert sum("matches no known code" in w for w in report.warnings) == len(NEW_ICBS)
    logged = store.query("SELECT source_file, period FROM ingests WHERE format = 'ods:etr'")
    assert dict(zip(logged["source_file"], logged["period"], strict=True)) == {
        ETR_2022: "2022-03", ETR_2026: "2026"}


@pytest.mark.realdata
def test_the_chain_does_not_depend_on_load_order(store: DuckDBStore) -> None:
    for vintage, order in (("new_first", (ETR_2026, ETR_2022)),
                           ("old_first", (ETR_2022, ETR_2026))):
        for name in order:
            ingest(store, [real(name)], vintage)
    query = ("SELECT org_code, name, icb_code, region_code, valid_from, valid_to FROM "
             "organisations WHERE vintage = ? ORDER BY ALL")
    new_first = store.query(query, ["new_first"])
    old_first = store.query(query, ["old_first"])
    assert len(new_first) == 218 + 274 - 14
    assert new_first.equals(old_first)
    logged = store.query("SELECT sum(rows) AS n FROM ingests GROUP BY vintage")
    assert logged["n"].tolist() == [218 + 274 - 14 + 50] * 2  # 50: regions, ICBs, England


@pytest.mark.realdata
def test_an_organisation_is_placed_in_the_icb_of_each_period(store: DuckDBStore,
                                                              tmp_path: Path) -> None:
    staff = write(tmp_path / "staff.csv", [
        ["period", "org_code", "staff_group", "headcount", "fte"],
        ["2024-03", "RAL", "nurses_health_visitors", "100", "90"],
        ["2026-03", "RAL", "nurses_health_visitors", "110", "99"],
    ])
    ingest(store, [real(ETR_2022), real(ETR_2026), staff], "places")
    for period, icb, headcount in ((date(2024, 3, 31), "QMJ", 100),
                                   (date(2026, 3, 31), "Z9B2Z", 110)):
        by_icb = metrics.current_position(store, metrics.Query("places", "icb", period=period))
        with_staff = by_icb[by_icb["headcount"].notna()]
        assert with_staff["area_code"].tolist() == [icb]
        by_region = metrics.current_position(store, metrics.Query("places", "region",
                                                                  period=period))
        assert by_region.set_index("area_code").loc["Y56", "headcount"] == headcount


@pytest.mark.realdata
def test_gp_practices_pcns_and_ccgs(reference) -> None:
    store, report = reference
    practices = store.query("SELECT * FROM organisations WHERE vintage = 'ref' AND org_type = "
                            "'GP practice'")
    assert len(practices) == 6527
    assert set(practices["sector"]) == {"primary_care"}
    assert practices["parent_code"].isna().sum() == 68  # PCN code 'U': no PCN
    first = practices.set_index("org_code").loc["A81001"]
    assert (first["parent_code"], first["icb_code"], first["region_code"]) == (
        "U89141", "QHM", "Y63")
    assert (_d(first["valid_from"]), _d(first["valid_to"])) == (date(2022, 1, 1),
                                                                 date(2022, 1, 31))
    areas = store.query("SELECT level, count(*) AS n FROM areas a JOIN ingests i USING "
                        "(ingest_id) WHERE a.vintage = 'ref' AND i.source_file = ? "
                        "GROUP BY level", [GP_MAP])
    assert dict(zip(areas["level"], areas["n"], strict=True)) == {"sub_icb": 106, "pcn": 1254}
    pcn = store.query("SELECT parent_code FROM areas WHERE code = 'U89141'")
    assert pcn["parent_code"].tolist() == ["16C"]
    assert any("11 PCN(s) have practices in more than one CCG" in w for w in report.warnings)


@pytest.mark.realdata
def test_ccg_to_icb_lookup_gives_timeless_sub_icb_areas(reference) -> None:
    store, report = reference
    ccgs = store.query("SELECT a.* FROM areas a JOIN ingests i USING (ingest_id) WHERE "
                       "a.vintage = 'ref' AND i.source_file = ?", [CCG_ICB])
    assert len(ccgs) == 248
    assert set(ccgs["level"]) == {"sub_icb"}
    assert ccgs["valid_from"].isna().all()
    assert ccgs.set_index("code").loc["00D", "parent_code"] == "QHM"
    assert len(set(ccgs["parent_code"])) == 42
    assert any("'n/a not SBS client at present'" in w for w in report.warnings)


@pytest.mark.realdata
def test_local_authorities_sit_under_their_county_or_england(reference) -> None:
    store, _ = reference
    las = store.query("SELECT code, name, parent_code, valid_from FROM areas WHERE vintage = "
                      "'ref' AND level = 'la'").set_index("code")
    lookup = rows_of(real(LA))[1:]
    english = {r[0] for r in lookup if r[0].startswith("E")}
    counties = {r[2] for r in lookup if r[2].startswith("E") and r[2] != r[0]}
    assert set(las.index) == english | counties
    assert las.loc["E06000001", "parent_code"] == "E92000001"  # Hartlepool, unitary
    district = next(r for r in lookup if r[0].startswith("E07"))
    assert las.loc[district[0], "parent_code"] == district[2]
    assert las.loc[district[2], "parent_code"] == "E92000001"
    assert not any(code.startswith("W") for code in las.index)


@pytest.mark.realdata
def test_the_organisation_reference_spans_its_months(reference) -> None:
    store, _ = reference
    dim = store.query("SELECT o.* FROM organisations o JOIN ingests i USING (ingest_id) WHERE "
                      "o.vintage = 'ref' AND i.source_file = ?", [DIM])
    assert len(dim) == 148
    assert set(dim["sector"]) == {"nhs_trust"}
    assert {(_d(a), _d(b)) for a, b in zip(dim["valid_from"], dim["valid_to"], strict=True)} == {
        (date(2024, 4, 1), date(2025, 3, 31))}
    assert dim["icb_code"].notna().all()


# -- unseen later editions -------------------------------------------------------------


@pytest.mark.realdata
def test_a_later_trust_file_with_an_extra_column_and_new_codes_loads(
        store: DuckDBStore, tmp_path: Path) -> None:
    rows = [[*r, ""] for r in rows_of(real(ETR_2026))]  # 28 columns
    rows[0][3] = "X1Y2Z"  # a new ICB code
    new = ["R9Z", "NEW VALLEY NHS FOUNDATION TRUST", "Y59", "QXU", "1 HIGH STREET", "", "",
           "GUILDFORD", "", "GU1 1AA", "20270401", "", *[""] * 16]
    path = write(tmp_path / "etr_2027-06.csv", [*rows, new], newline="\r\n", quote_all=True)
    report = ingest(store, [path], "later")
    assert report.files[0].format == "ods:etr"
    assert {u.value for u in report.files[0].unmapped} == NEW_ICBS | {"X1Y2Z"}
    assert _records(store, "R9Z", "later") == [("QXU", "Y59", date(2027, 4, 1), None)]
    assert store.scalar("SELECT period FROM ingests WHERE format = 'ods:etr'") == "2027-06"


@pytest.mark.realdata
def test_a_later_practice_mapping_with_sub_icb_headers_loads(store: DuckDBStore,
                                                             tmp_path: Path) -> None:
    rows = rows_of(real(GP_MAP))
    header = [c.lower() for c in rows[0]]
    header[header.index("ccg_code")] = "Sub ICB Location Code"
    header[header.index("stp_code")] = "ICB_CODE"
    header.append("PRACTICE_TYPE")
    body = [[*r, "GP"] for r in rows[1:200]]
    body[0][0:3] = ["GP_PRAC_PAT_LIST", "01Apr2024", "Y99999"]
    body[1][header.index("ICB_CODE")] = "QZQ"  # an ICB code unknown to wfplan
    path = write(tmp_path / "gp-map.csv", [header, *body], bom=True)
    report = ingest(store, [path], "later")
    assert report.files[0].format == "nhs_digital:gp_practice_mapping"
    assert {(u.column, u.value) for u in report.files[0].unmapped} == {("icb_code", "QZQ")}
    assert any("columns not read: PRACTICE_TYPE" in w for w in report.warnings)
    assert store.scalar("SELECT valid_from FROM organisations WHERE org_code = 'Y99999'"
                        ) == pd.Timestamp(2024, 4, 1)


@pytest.mark.realdata
def test_later_lookups_load_with_notes(store: DuckDBStore, tmp_path: Path) -> None:
    la = rows_of(real(LA))
    la_header = [c.replace("22", "23") for c in la[0]]
    la_rows = [*la[1:], ["E06000999", "New Unitary", "E06000999", "New Unitary", "999"]]
    ccg = rows_of(real(CCG_ICB))
    ccg_rows = [*ccg[1:], ["99Z", "QZQ", "NHS New ICB"]]
    dim = rows_of(real(DIM))
    dim_rows = [*dim[1:], ["RZZ", "New Valley Social Enterprise", "Social enterprise", "Y59",
                           "South East", "QXU", "Surrey Heartlands", "2025-04-30",
                           "2026-03-31", "True", "False", "x", "x", "Approved", ""]]
    files = [write(tmp_path / "LTLA23_UTLA23.csv", [la_header, *la_rows], bom=True),
             write(tmp_path / "ccg_icb.csv", [[c.upper() for c in ccg[0]], *ccg_rows]),
             write(tmp_path / "dim.csv", [dim[0], *dim_rows], newline="\r\n")]
    report = ingest(store, files, "later")
    assert [f.format for f in report.files] == ["ons:ltla_utla", "lookup:ccg_icb",
                                                "lookup:dim_organisation"]
    assert store.scalar("SELECT valid_from FROM areas WHERE code = 'E06000999'"
                        ) == pd.Timestamp(2023, 1, 1)
    assert any("ICB code(s) not in wfplan's ICB list: QZQ" in w for w in report.warnings)
    assert any("sector set to 'other': Social enterprise" in w for w in report.warnings)
    assert store.scalar("SELECT sector FROM organisations WHERE org_code = 'RZZ'") == "other"


# -- the chain, in pieces ----------------------------------------------------------------


def test_a_trust_closed_before_a_later_edition_keeps_its_earlier_record() -> None:
    older = _Record(1, 1, date(2022, 3, 1), date(1991, 4, 1), None)
    newer = _Record(2, 1, date(2026, 1, 1), date(1991, 4, 1), date(2024, 12, 31))
    kept, folded = _chain([newer, older])
    assert kept == [older]
    assert folded == [newer]
    assert (older.valid_from, older.valid_to) == (date(1991, 4, 1), date(2024, 12, 31))


def test_three_editions_each_hold_until_the_next() -> None:
    records = [_Record(i, 1, when, date(2000, 4, 1), None)
               for i, when in enumerate((date(2024, 1, 1), date(2020, 1, 1), date(2022, 6, 1)))]
    kept, folded = _chain(records)
    assert not folded
    assert [(r.valid_from, r.valid_to) for r in kept] == [
        (date(2000, 4, 1), date(2022, 5, 31)), (date(2022, 6, 1), date(2023, 12, 31)),
        (date(2024, 1, 1), None)]


def test_an_edition_is_dated_by_its_file_name_or_its_latest_date() -> None:
    assert edition_of("etr_2022-03_nhsx.csv", pd.Series(dtype=str)) == "2022-03"
    assert edition_of("etr_2026_riyaburman.csv", pd.Series(dtype=str)) == "2026"
    assert edition_of("etr.csv", pd.Series(["20200401", "20210930"])) == "2021-09"
