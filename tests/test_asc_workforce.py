"""The asc_workforce template: ASC-WDS-style returns by CQC location and job role.

Hand-made case, returns at 31 March 2025 (and one row at 31 March 2024):

- L1, Camden (E09000007), no ICB given: la_icb_lookup places Camden in QMJ (London, Y56).
  Care workers 40 filled, 4 vacant, 12 starters, 10 leavers; senior care workers
  10, 1, 2, 2; the registered manager 1, 0, 0, 0.
- L2, Cornwall (E06000052), ICB QT6 (South West, Y58) given. Care workers 30, 6, 9, 9;
  registered nurses 5, 1, 1, 2; other roles 8 filled, vacancies not reported, 2, 1.
- L3, Hertfordshire (E10000015), no ICB given, and la_icb_lookup splits the county
  between two ICBs: not placed. Care workers 20, 2, 5, 4.

England, care workers: 90 filled, 12 vacant (rate 12 / 102), 26 starters (26 / 90),
23 leavers (turnover 23 / 90). All roles: 114 filled; the vacancy rate leaves out the
row without vacancies, 14 / (106 + 14); turnover 28 / 114; starters 31 / 114.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from wfplan.analysis.social_care import UNPLACED, summary
from wfplan.dataset import codelists, schema
from wfplan.dataset.ingest import ingest
from wfplan.dataset.template import markdown
from wfplan.errors import InputError

if TYPE_CHECKING:
    from backends import Backend
    from conftest import Kit

V = "asc"
HEADER = ["period", "location_id", "location_name", "la_code", "icb_code", "job_role",
          "filled_posts", "vacancies", "starters", "leavers"]
ROWS = [
    ("2025-03", "1-000000001", "Camden House", "E09000007", None, "care_worker", 40, 4, 12, 10),
    ("2025-03", "1-000000001", "Camden House", "E09000007", None, "Senior Care Worker", 10, 1,
     2, 2),
    ("2025-03", "1-000000001", "Camden House", "E09000007", None, "registered_manager", 1, 0,
     0, 0),
    ("2025-03", "1-000000002", "Kernow Care", "E06000052", "QT6", "care_worker", 30, 6, 9, 9),
    ("2025-03", "1-000000002", "Kernow Care", "E06000052", "QT6", "Registered Nurse", 5, 1, 1,
     2),
    ("2025-03", "1-000000002", "Kernow Care", "E06000052", "QT6", "other", 8, None, 2, 1),
    ("2025-03", "1-000000003", "Herts Home Care", "E10000015", None, "care_worker", 20, 2, 5,
     4),
    ("2024-03", "1-000000001", "Camden House", "E09000007", None, "care_worker", 38, 5, 11, 9),
]
LOOKUP = ("la_code,icb_code,share\nE09000007,QMJ,1\nE06000052,QT6,1\n"
          "E10000015,QM7,0.9\nE10000015,QHG,0.1\n")


def _returns(path: Path, rows: list[tuple[object, ...]] = ROWS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
    return path


def _files(folder: Path) -> list[Path]:
    lookup = folder / "la_icb_lookup.csv"
    lookup.write_text(LOOKUP, encoding="utf-8")
    return [lookup, _returns(folder / "asc_workforce.csv")]


def _at(frame: pd.DataFrame, area: str, role: str) -> pd.Series:
    return frame.set_index(["area", "job_role"]).loc[(area, role)]


def test_the_returns_load_and_sum_by_job_role_and_area(backend: Backend,
                                                        tmp_path: Path) -> None:
    with backend.open() as store:
        report = ingest(store, _files(tmp_path), V)
        assert report.warnings == []
        england = summary(store, V)
        icb = summary(store, V, level="icb")
        region = summary(store, V, level="region")
        earlier = summary(store, V, period="2024-03-31")
    care = _at(england, codelists.ENGLAND_CODE, "care_worker")
    assert (care["filled_posts"], care["vacancies"], care["starters"], care["leavers"]) == (
        90, 12, 26, 23)
    assert care["vacancy_rate"] == pytest.approx(12 / 102)
    assert care["turnover_rate"] == pytest.approx(23 / 90)
    assert care["starters_rate"] == pytest.approx(26 / 90)
    every = _at(england, codelists.ENGLAND_CODE, "all")
    assert (every["filled_posts"], every["locations"]) == (114, 3)
    assert every["vacancy_rate"] == pytest.approx(14 / 120)
    assert every["turnover_rate"] == pytest.approx(28 / 114)
    assert every["starters_rate"] == pytest.approx(31 / 114)
    assert pd.isna(_at(england, codelists.ENGLAND_CODE, "other")["vacancy_rate"])
    # the placement: L1 through la_icb_lookup, L2 its own, L3 split between two ICBs
    assert _at(icb, "QMJ", "all")["filled_posts"] == 51
    assert _at(icb, "QT6", "all")["filled_posts"] == 43
    assert _at(icb, UNPLACED, "care_worker")["filled_posts"] == 20
    assert _at(region, "Y56", "care_worker")["filled_posts"] == 40
    assert _at(region, "Y58", "registered_nurse")["filled_posts"] == 5
    assert _at(earlier, codelists.ENGLAND_CODE, "care_worker")["filled_posts"] == 38
    roles = england.loc[england["area"] == codelists.ENGLAND_CODE, "job_role"].tolist()
    assert roles == ["care_worker", "senior_care_worker", "registered_nurse",
                     "registered_manager", "other", "all"]


def test_a_vintage_without_returns_is_told_how_to_load_them(backend: Backend,
                                                            tmp_path: Path) -> None:
    with backend.open() as store, pytest.raises(InputError, match="wfplan template"):
        summary(store, "none")


def test_the_job_roles_are_reference_data_that_join_to_staff_groups_and_roles() -> None:
    roles = codelists.get("asc_job_role")
    assert roles.codes == ("care_worker", "senior_care_worker", "registered_nurse",
                           "registered_manager", "other")
    groups = set(codelists.get("staff_group").codes)
    role_codes = set(codelists.get("role").codes)
    for row in roles.rows:
        if row["code"] == "other":
            assert row["staff_group"] == row["role"] == ""
            continue
        assert row["staff_group"] in groups
        assert row["staff_group"].startswith("asc_")
        assert row["role"] in role_codes
        assert codelists.get("role").attribute(row["role"], "staff_group") == row["staff_group"]
    assert roles.code_for("Senior Care Worker") == "senior_care_worker"


def test_the_template_documents_the_job_roles_and_the_placement_rule() -> None:
    text = markdown("asc_workforce")
    assert "code list 'asc_job_role' (codes or publication labels): care_worker, " \
        "senior_care_worker, registered_nurse, registered_manager, other" in text
    assert "One placement per location" in text
    assert "la_icb_lookup" in text
    assert schema.table("asc_workforce").key_columns == ("period", "location_id", "job_role")


def _bad(folder: Path, row: int, **change: object) -> Path:
    rows = [list(r) for r in ROWS]
    for column, value in change.items():
        rows[row][HEADER.index(column)] = value
    return _returns(folder / "asc_workforce.csv", [tuple(r) for r in rows])


@pytest.mark.parametrize(("row", "change", "expected"), [
    (1, {"job_role": "carer"}, "row 2 (line 3), column 'job_role': value 'carer': is not one of: "
     "care_worker, senior_care_worker, registered_nurse, registered_manager, other (rule: "
     "known asc_job_role)"),
    (3, {"vacancies": -2}, "row 4 (line 5), column 'vacancies': value '-2': must be ≥ 0 "
     "(rule: vacancies ≥ 0)"),
    (4, {"filled_posts": "lots"}, "row 5 (line 6), column 'filled_posts': value 'lots'"),
    (6, {"la_code": None}, "row 7 (line 8), column 'la_code': is required but empty (rule: "
     "required)"),
])
def test_bad_returns_are_refused_naming_file_row_column_and_rule(
        kit: Kit, base_db: Path, tmp_path: Path, row: int, change: dict[str, object],
        expected: str) -> None:
    message = kit.refused(base_db, _bad(tmp_path, row, **change))
    assert f"asc_workforce.csv, {expected}" in message


def test_a_location_placed_in_two_local_authorities_is_refused_naming_both_rows(
        kit: Kit, any_base_db: str, tmp_path: Path) -> None:
    message = kit.refused(any_base_db, _bad(tmp_path, 2, la_code="E09000033"))
    assert ("asc_workforce.csv, row 3 (line 4), column 'la_code': value 'E09000033': places "
            "location 1-000000001 elsewhere than asc_workforce.csv row 1 (line 2) does "
            "(la_code E09000007) (rule: one placement per location: every asc_workforce row "
            "of a location in the vintage gives the same la_code and icb_code)") in message


def test_a_later_file_placing_a_location_elsewhere_is_refused(kit: Kit, base_db: Path,
                                                              tmp_path: Path) -> None:
    kit.loaded(base_db, _returns(tmp_path / "first.csv", ROWS[:1]))
    later = _returns(tmp_path / "later.csv",
                     [("2025-06", "1-000000001", "Camden House", "E09000007", "QRV",
                       "care_worker", 41, 3, 1, 0)])
    message = kit.refused(base_db, later)
    assert ("later.csv, row 1 (line 2), column 'icb_code': value 'QRV': places location "
            "1-000000001 elsewhere than first.csv row 1 does (icb_code empty)") in message


def test_wfplan_social_care_prints_the_sums_by_icb(kit: Kit, tmp_path: Path) -> None:
    db = tmp_path / "asc.duckdb"
    kit.loaded(db, *_files(tmp_path), extra=("--vintage", V))
    result = kit.cli("social-care", "--db", db, "--level", "icb", "--format", "csv")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    row = frame[(frame["area"] == "QT6") & (frame["job_role"] == "care_worker")].iloc[0]
    assert (row["filled_posts"], row["vacancies"], row["leavers"]) == (30, 6, 9)
    assert row["vacancy_rate"] == pytest.approx(6 / 36, rel=1e-4)
    table = kit.cli("social-care", "--db", db, "--period", "2024-03")
    assert table.exit_code == 0, table.output
    assert "care_worker" in table.stdout or "Care worker" in table.stdout
    bad = kit.cli("social-care", "--db", db, "--period", "March")
    assert bad.exit_code == 2
    assert "Traceback" not in bad.output
    assert "period 'March' is not a date" in kit.plain(bad.stderr)
