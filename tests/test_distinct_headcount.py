"""Distinct headcount from record-level PCN files: each person counted once at every level.

A hand-made file where people work in two PCNs, two roles, two ICBs and two
staff groups, and has one contracted-services record (no identifier). Its
figures are worked out by hand below. The real files' figures are checked in
tests/test_importers_pcn.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from wfplan.analysis.metrics import Query, current_position, net_change
from wfplan.dataset import distinct, schema
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore

HEADER = ("Data_source,CENSUS_YEAR,CENSUS_MONTH,PCN_CODE,PCN_NAME,SUB_ICB_CODE,SUB_ICB_NAME,"
          "ICB_CODE,ICB_NAME,COMM_REGION_CODE,COMM_REGION_NAME,STAFF_GROUP,STAFF_ROLE,"
          "DETAILED_STAFF_ROLE,FTE,UNIQUE_IDENTIFIER")
DPC, DIRECTORS = "Other Direct Patient Care staff", "Directors"
#: PCN → (sub-ICB, ICB, region)
PLACES = {"U00070": ("36L", "QWE", "Y56"), "U00071": ("36L", "QWE", "Y56"),
          "U00072": ("72Q", "QKK", "Y56"), "U00073": ("15N", "QJK", "Y58")}


def line(month: int, pcn: str, group: str, role: str, fte: float, person: str) -> str:
    sub, icb, region = PLACES[pcn]
    source = "NWRS contracted services" if person == "NULL" else "NWRS Staff"
    return (f"{source},2021,{month},{pcn},{pcn} PCN,{sub},Sub-ICB {sub},{icb},ICB {icb},"
            f"{region},Region {region},{group},{role},{role},{fte},{person}")


SEPTEMBER = [
    line(9, "U00070", DPC, "Pharmacists", 1.0, "101"),  # 101: two PCNs of one ICB
    line(9, "U00071", DPC, "Pharmacists", 0.5, "101"),
    line(9, "U00070", DPC, "Pharmacists", 0.4, "102"),  # 102: two roles in one PCN
    line(9, "U00070", DPC, "Social Prescribing Link Workers", 0.6, "102"),
    line(9, "U00070", DPC, "Pharmacists", 0.3, "103"),  # 103: two ICBs, two staff groups
    line(9, "U00072", DIRECTORS, "Clinical Director", 0.2, "103"),
    line(9, "U00070", DPC, "Pharmacists", 0.6, "NULL"),  # contracted services
    line(9, "U00073", DPC, "Pharmacists", 1.0, "104"),  # 104: South West
]
JUNE = [line(6, "U00070", DPC, "Pharmacists", 1.0, "101"),
        line(6, "U00071", DPC, "Pharmacists", 1.0, "101")]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("distinct")
    path = folder / "pcn.csv"
    path.write_text("\n".join([HEADER, *JUNE, *SEPTEMBER]) + "\n", encoding="utf-8")
    with DuckDBStore(folder / "d.duckdb") as store:
        ingest(store, [path], "v")
    return folder / "d.duckdb"


def _level(db: Path, level: str, **filters: str) -> pd.DataFrame:
    with DuckDBStore(db, read_only=True) as store:
        frame = current_position(store, Query("v", level, **filters))  # type: ignore[arg-type]
    return frame[frame["headcount"].notna()].set_index("area_code")


def test_the_cells_still_count_each_cells_own_people(db: Path) -> None:
    with DuckDBStore(db, read_only=True) as store:
        cells = store.query("SELECT org_code, role, headcount, fte FROM staff_in_post WHERE "
                            "period = DATE '2021-09-30' ORDER BY org_code, role")
    assert cells["headcount"].tolist() == [3, 1, 1, 1, 1]  # 7 if added up
    assert cells["fte"].sum() == pytest.approx(4.6)


@pytest.mark.parametrize(("level", "expected"), [
    ("england", {"E92000001": 4}),
    ("region", {"Y56": 3, "Y58": 1}),
    ("icb", {"QWE": 3, "QKK": 1, "QJK": 1}),
    ("org", {"U00070": 3, "U00071": 1, "U00072": 1, "U00073": 1}),
])
def test_each_person_is_counted_once_at_every_level(db: Path, level: str,
                                                    expected: dict[str, int]) -> None:
    report = _level(db, level)
    assert report["headcount"].to_dict() == expected
    assert report["period"].unique().tolist() == ["2021-09-30"]


def test_fte_per_head_divides_identified_fte_by_distinct_people(db: Path) -> None:
    england = _level(db, "england").iloc[0]
    assert england["fte"] == pytest.approx(4.6)  # every record, as published
    assert england["fte_per_head"] == pytest.approx(4.0 / 4)  # contracted 0.6 left out
    qwe = _level(db, "icb").loc["QWE"]
    assert qwe["fte_per_head"] == pytest.approx((1.0 + 0.5 + 0.4 + 0.6 + 0.3) / 3)
    pcn = _level(db, "org").loc["U00070"]
    assert pcn["fte"] == pytest.approx(1.0 + 0.4 + 0.6 + 0.3 + 0.6)
    assert pcn["fte_per_head"] == pytest.approx((1.0 + 0.4 + 0.6 + 0.3) / 3)


def test_a_staff_group_counts_its_own_people_once(db: Path) -> None:
    care = _level(db, "england", staff_group="pc_direct_patient_care").iloc[0]
    assert care["headcount"] == 4
    assert care["fte_per_head"] == pytest.approx((1.0 + 0.5 + 0.4 + 0.6 + 0.3 + 1.0) / 4)
    directors = _level(db, "region", staff_group="pc_directors")
    assert directors["headcount"].to_dict() == {"Y56": 1}
    primary = _level(db, "england", sector="primary_care").iloc[0]
    assert primary["headcount"] == 4


def test_net_change_counts_each_roles_people_once(db: Path) -> None:
    with DuckDBStore(db, read_only=True) as store:
        change = net_change(store, Query("v", "england"))
    pharmacists = change[change["role"] == "clinical_pharmacist"].iloc[0]
    assert (pharmacists["headcount_start"], pharmacists["headcount_end"]) == (1, 4)
    assert pharmacists["headcount_change"] == 3


def test_a_database_from_before_distinct_headcount_is_migrated_and_backfilled(
        db: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.duckdb"
    old.write_bytes(db.read_bytes())
    with DuckDBStore(old) as store:  # as schema version 2 left it
        store.execute("DROP TABLE distinct_headcount")
        store.execute("UPDATE person_records SET staff_group = NULL, fte = NULL")
        store.execute("UPDATE schema_meta SET value = '2' WHERE key = 'schema_version'")
    with DuckDBStore(old) as store:
        version = store.scalar("SELECT value FROM schema_meta WHERE key = 'schema_version'")
        england = current_position(store, Query("v", "england")).iloc[0]
        groups = store.query(
            "SELECT coalesce(staff_group, 'all') AS staff_group, headcount FROM "
            "distinct_headcount WHERE level = 'england' AND role IS NULL AND period = "
            "DATE '2021-09-30' ORDER BY staff_group NULLS FIRST")
    assert int(version) == schema.SCHEMA_VERSION
    assert england["headcount"] == 4
    assert pd.isna(england["fte_per_head"])  # the old records kept no FTE: not a wrong ratio
    assert groups.values.tolist() == [["all", 4], ["pc_direct_patient_care", 4],
                                      ["pc_directors", 1]]


def test_no_identifiers_reach_the_distinct_table(db: Path) -> None:
    with DuckDBStore(db, read_only=True) as store:
        columns = set(store.query("SELECT * FROM distinct_headcount LIMIT 0").columns)
        levels = set(store.query("SELECT DISTINCT level FROM distinct_headcount")["level"])
    assert "person_hash" not in columns
    assert "person_id" not in columns
    assert levels == set(distinct.LEVELS)


def test_an_assessment_extract_carries_the_distinct_counts(db: Path, tmp_path: Path) -> None:
    from datetime import date

    import pyarrow.parquet as pq

    from wfplan.assessment.extract import extract, load_extracts

    with DuckDBStore(db, read_only=True) as store:
        extract(store, "v", date(2021, 6, 30), tmp_path / "inputs")
    counted = pq.read_table(tmp_path / "inputs" / "distinct_headcount.parquet")
    assert counted.num_rows > 0  # June only: cut at the base period
    memory = load_extracts(tmp_path / "inputs", "v")
    try:
        england = current_position(memory, Query("v", "england")).iloc[0]
    finally:
        memory.close()
    assert (england["period"], england["headcount"]) == ("2021-06-30", 1)
    (tmp_path / "inputs" / "distinct_headcount.parquet").unlink()  # a bundle from before
    load_extracts(tmp_path / "inputs", "v").close()
