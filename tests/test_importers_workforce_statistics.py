"""The monthly NHS Workforce Statistics organisation CSV (issue 16, item 5).

The real file is not in ``../shared/data``; its profile is, and
:mod:`workforce_statistics_file` writes a file from it (its columns, its 28
staff-group values, its data types, its rows per organisation and month). The
file's staff groups are a hierarchy: only the leaves may be stored, and every
parent is checked against its children.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import workforce_statistics_file as generated
from shared_data import ROOT
from wfplan.dataset import readers
from wfplan.dataset.importers import detect
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore

if TYPE_CHECKING:
    from backends import Backend
    from conftest import Kit

FORMAT = "nhs_digital:workforce_statistics"


def _file_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_generated_file_follows_the_profile(tmp_path: Path) -> None:
    prof = generated.profile()
    written = generated.write(tmp_path / "nws.csv")
    rows = _file_rows(written.path)
    assert list(rows[0]) == prof["columns"]
    labels = {r["Staff Group"] for r in rows}
    assert labels <= set(prof["staffGroupValues"])
    assert set(generated.preorder()) | {generated.DOCTORS_AGAIN} == set(prof["staffGroupValues"])
    assert {r["Data Type"] for r in rows} == set(prof["dataTypes"])
    # As many rows per organisation and month as the real file has, within 10%.
    real_mean = prof["rows"] / sum(m["organisations"] for m in prof["monthlyVolume"])
    ours = len(rows) / len(written.months) / len(written.orgs)
    assert abs(ours / real_mean - 1) < 0.10, (ours, real_mean)


def test_file_is_detected_as_workforce_statistics(tmp_path: Path) -> None:
    written = generated.write(tmp_path / "nws.csv", orgs=3)
    assert detect(readers.probe(written.path)).importer.name == FORMAT


def test_loads_the_leaves_only_with_totals_equal_to_the_file(kit: Kit, backend: Backend,
                                                              tmp_path: Path) -> None:
    written = generated.write(tmp_path / "nws.csv")
    result = kit.loaded(backend.db, written.path, extra=("--vintage", "nws"))
    # The file is consistent: no parent is warned about (warnings go to stderr).
    assert "0 warning(s)" in result.output
    assert "children sum to" not in result.output + result.stderr
    stored = kit.read_back(backend.db, "SELECT period, org_code, staff_group, role, fte, "
                                       "headcount FROM staff_in_post WHERE vintage = 'nws'")
    # Totals: the stored rows add up to the leaves of the file, and to its Total rows (FTE).
    assert float(stored["fte"].sum()) == pytest.approx(written.leaf_fte, abs=1e-6)
    assert float(stored["fte"].sum()) == pytest.approx(written.total_fte, abs=1e-6)
    assert int(stored["headcount"].sum()) == written.leaf_hc
    # Per organisation and month too, against the file's own Total rows.
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for row in _file_rows(written.path):
        if row["Staff Group"] == "Total" and row["Data Type"] == "FTE":
            totals[(row["Date"][:7], row["Org Code"])] += float(row["Total"])
    by_org = stored.assign(month=stored["period"].astype(str).str[:7]).groupby(
        ["month", "org_code"])["fte"].sum()
    assert by_org.to_dict() == pytest.approx(dict(totals), abs=1e-6)
    # No parent was stored, and doctors keep their grade.
    assert not set(stored["staff_group"]) & {"professionally_qualified_clinical",
                                             "support_to_clinical",
                                             "nhs_infrastructure_support"}
    doctors = stored[stored["staff_group"] == "hchs_doctors"]
    assert doctors["role"].notna().all()
    assert {"consultant", "specialty_doctor", "specialty_registrar"} <= set(doctors["role"])
    assert stored.loc[stored["staff_group"] != "hchs_doctors", "role"].isna().all()
    # Headcount: people in two staff groups are counted once in the Total rows.
    text = " ".join(result.output.split())
    assert "parent headcount(s) are below the sum of their children, as expected" in text
    assert written.total_hc < written.leaf_hc


def test_planted_parent_is_warned_naming_parent_and_children(kit: Kit, tmp_path: Path) -> None:
    written = generated.write(tmp_path / "planted.csv", orgs=6, plant=True)
    with DuckDBStore(tmp_path / "w.duckdb") as store:
        report = ingest(store, [written.path], "nws")
        stored = store.query("SELECT staff_group, role, fte FROM staff_in_post WHERE "
                             f"org_code = '{written.planted['org']}' AND "
                             "period = DATE '2024-04-30'")
    lines = [w for w in report.warnings if "children sum to" in w]
    assert len(lines) == 1, report.warnings
    line = lines[0]
    grades = stored[stored["staff_group"] == "hchs_doctors"]
    children = float(grades["fte"].sum())
    found = re.search(r"is ([\d,.]+) but its children sum to ([\d,.]+) \((.*)\) \(rule", line)
    assert found, line
    parent, summed = (float(g.replace(",", "")) for g in found.groups()[:2])
    assert summed == pytest.approx(children, abs=0.005)
    assert parent == pytest.approx(children + 5.0, abs=0.005)
    assert f"'{generated.DOCTORS_AGAIN}' of organisation {written.planted['org']}, 2024-04, " \
           "FTE" in line
    for role_name in ("Consultant", "Specialty Registrar"):
        assert role_name in found.group(3)
    assert "planted.csv, row 5 (line 6), column 'Total': value '" in line
    # The parent's figure is not loaded: the leaves stand, 5 FTE short of the Total rows.
    with DuckDBStore(tmp_path / "w.duckdb", read_only=True) as store:
        fte = float(store.scalar("SELECT sum(fte) FROM staff_in_post"))
    assert fte == pytest.approx(written.leaf_fte, abs=1e-6)
    assert fte == pytest.approx(written.total_fte - 5.0, abs=1e-6)


def _edit(path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    rows = _file_rows(path)
    change(rows)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_bad_cells_are_refused_naming_file_row_column_and_rule(kit: Kit, any_base_db: str,
                                                               tmp_path: Path) -> None:
    def spoil(rows: list[dict[str, str]]) -> None:
        rows[2]["Total"] = "lots"
        rows[3]["Data Type"] = "WTE"
        rows[5]["Total"] = "12.5" if rows[5]["Data Type"] == "HC" else rows[5]["Total"]

    written = generated.write(tmp_path / "bad.csv", orgs=2)
    assert _file_rows(written.path)[5]["Data Type"] == "HC"
    message = kit.refused(any_base_db, _edit(written.path, spoil))
    assert "bad.csv, row 3 (line 4), column 'Total': value 'lots': must be a number" in message
    assert "bad.csv, row 4 (line 5), column 'Data Type': value 'WTE': must be FTE or HC" \
        in message
    assert "bad.csv, row 6 (line 7), column 'Total': value '12.5': must be a whole number" \
        in message
    assert "Nothing was written" in message


def test_a_leaf_given_twice_with_two_figures_is_refused(kit: Kit, base_db: Path,
                                                        tmp_path: Path) -> None:
    def repeat(rows: list[dict[str, str]]) -> None:
        at = next(i for i, r in enumerate(rows) if r["Staff Group"] == "Consultant")
        rows.insert(at + 1, dict(rows[at], Total=str(float(rows[at]["Total"]) + 1)))

    written = generated.write(tmp_path / "twice.csv", orgs=2)
    leaf = next(i for i, r in enumerate(_file_rows(written.path))
                if r["Staff Group"] == "Consultant") + 2  # the repeat's row number
    message = kit.refused(base_db, _edit(written.path, repeat))
    assert f"twice.csv, row {leaf} (line {leaf + 1}), column 'Staff Group'" in message
    assert "repeats a staff group of an earlier row with another figure" in message


def test_a_parent_given_twice_with_two_figures_is_noted(tmp_path: Path) -> None:
    """Both spellings of the doctors' group are in the profile: a parent is only checked."""
    def repeat(rows: list[dict[str, str]]) -> None:
        at = next(i for i, r in enumerate(rows) if r["Staff Group"] == generated.DOCTORS_AGAIN)
        rows.insert(at + 1, dict(rows[at], **{"Staff Group": "HCHS doctors",
                                              "Total": str(float(rows[at]["Total"]) + 1)}))

    written = generated.write(tmp_path / "spellings.csv", orgs=2)
    _edit(written.path, repeat)
    with DuckDBStore(tmp_path / "w.duckdb") as store:
        report = ingest(store, [written.path], "nws")
        fte = float(store.scalar("SELECT sum(fte) FROM staff_in_post"))
    assert fte == pytest.approx(written.leaf_fte, abs=1e-6)
    text = "\n".join(report.warnings)
    assert "1 row(s) repeat a parent staff group with another figure" in text
    assert "children sum to" not in text  # the first figure, which adds up, was checked


def test_an_unknown_staff_group_is_not_loaded_and_shows_in_the_check(tmp_path: Path) -> None:
    def rename(rows: list[dict[str, str]]) -> None:
        for row in rows:
            if row["Staff Group"] == "Midwives":
                row["Staff Group"] = "Maternity support"

    written = generated.write(tmp_path / "unknown.csv", orgs=4)
    _edit(written.path, rename)
    with DuckDBStore(tmp_path / "w.duckdb") as store:
        report = ingest(store, [written.path], "nws")
        groups = set(store.query("SELECT DISTINCT staff_group FROM staff_in_post")["staff_group"])
    assert "midwives" not in groups
    text = "\n".join(report.warnings)
    assert "staff group 'Maternity support' is not in wfplan's staff-group hierarchy" in text
    # Its parent no longer adds up, and says so.
    assert "'Professionally qualified clinical staff' of organisation" in text


def test_a_tidy_file_with_these_columns_stays_tidy(tmp_path: Path) -> None:
    """Issue 8's lesson: a tidy table's header wins over a publication's."""
    path = tmp_path / "tidy.csv"
    path.write_text("period,org_code,staff_group,headcount,fte,Data Type,Total\n"
                    "2025-03,RXX,midwives,10,9.5,FTE,9.5\n", encoding="utf-8")
    match = detect(readers.probe(path))
    assert match.importer.name.startswith("tidy"), match.importer.name
    assert match.table == "staff_in_post"


def _real_monthly_files() -> list[Path]:
    """Return the real monthly CSVs in ../shared/data/nhs_workforce_by_org, if any."""
    folder = ROOT / "nhs_workforce_by_org"
    if not folder.is_dir():
        return []
    return [p for p in sorted(folder.glob("*.csv"))
            if detect(readers.probe(p)).importer.name == FORMAT]


@pytest.mark.realdata
def test_the_real_monthly_file_when_present(tmp_path: Path) -> None:
    """The data README says the real CSV is not there: this runs once it is."""
    files = _real_monthly_files()
    if not files:
        pytest.skip("no real NHS Workforce Statistics CSV in ../shared/data (its README "
                    "lists only the profile), so nothing is expected")
    prof = generated.profile()
    with DuckDBStore(tmp_path / "w.duckdb") as store:
        report = ingest(store, files, "nws")
        rows = int(store.scalar("SELECT count(*) FROM staff_in_post"))
        orgs = int(store.scalar("SELECT count(DISTINCT org_code) FROM staff_in_post"))
    assert all(f.format == FORMAT for f in report.files)
    assert rows > 0
    assert orgs <= prof["organisations"]
    notes = "\n".join(report.notes)
    fte = re.search(r"FTE: the file's Total rows sum to ([\d,.]+); the staff groups loaded "
                    r"\(the leaves\) sum to ([\d,.]+)", notes)
    assert fte, notes
    assert float(fte.group(1).replace(",", "")) == pytest.approx(
        float(fte.group(2).replace(",", "")), rel=1e-4)


def test_an_empty_staff_group_is_refused_and_a_suppressed_total_noted(kit: Kit, base_db: Path,
                                                                      tmp_path: Path) -> None:
    written = generated.write(tmp_path / "empty.csv", orgs=2)

    def blank(rows: list[dict[str, str]]) -> None:
        rows[4]["Staff Group"] = ""

    message = kit.refused(base_db, _edit(written.path, blank))
    assert "empty.csv, row 5 (line 6), column 'Staff Group'" in message
    assert "is required but empty" in message
    again = generated.write(tmp_path / "suppressed.csv", orgs=2)

    def suppress(rows: list[dict[str, str]]) -> None:
        rows[4]["Total"] = "*"

    _edit(again.path, suppress)
    with DuckDBStore(tmp_path / "w.duckdb") as store:
        report = ingest(store, [again.path], "nws")
    text = "\n".join(report.warnings)
    assert "1 row(s) have no figure in Total (empty or suppressed; first at row 5)" in text


def test_a_parent_headcount_above_its_children_is_warned(tmp_path: Path) -> None:
    written = generated.write(tmp_path / "hc.csv", orgs=3)

    def raise_support_parent(rows: list[dict[str, str]]) -> None:
        for row in rows:
            if (row["Staff Group"] == "Support to clinical staff" and row["Data Type"] == "HC"
                    and row["Org Code"] == written.orgs[1] and row["Date"] == written.months[0]):
                row["Total"] = str(int(row["Total"]) + 3)
                return
        raise AssertionError("no such row")

    _edit(written.path, raise_support_parent)
    with DuckDBStore(tmp_path / "w.duckdb") as store:
        report = ingest(store, [written.path], "nws")
    lines = [w for w in report.warnings if "children sum to" in w]
    assert len(lines) == 1, lines
    assert (f"'Support to clinical staff' of organisation {written.orgs[1]}, "
            f"{written.months[0][:7]}, HC is") in lines[0]
    found = re.search(r"HC is ([\d,]+) but its children sum to ([\d,]+)", lines[0])
    assert found
    parent, summed = (int(g.replace(",", "")) for g in found.groups())
    assert parent == summed + 3


HEADER = "Date,Org Code,Org Name,Staff Group,Data Type,Total\n"


def test_infinite_or_huge_totals_are_refused_not_a_crash(kit: Kit, base_db: Path,
                                                         tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text(HEADER + "2025-03-31,RAA,Trust A,Midwives,FTE,1e999\n"
                    "2025-03-31,RAA,Trust A,Midwives,HC,9999999999999999999999999\n"
                    "2025-03-31,RAA,Trust A,Managers,FTE,0x1F\n", encoding="utf-8")
    message = kit.refused(base_db, path)
    assert "odd.csv, row 1 (line 2), column 'Total': value '1e999': must be a finite number" \
        in message
    assert "odd.csv, row 2 (line 3), column 'Total': value '9999999999999999999999999': must " \
           "be a whole number" in message
    assert "odd.csv, row 3 (line 4), column 'Total': value '0x1F': must be a number" in message


def test_a_parent_alone_is_noted_and_an_fte_only_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "alone.csv"
    path.write_text(HEADER + "2025-03-31,RAA,Trust A,Total,HC,40\n"
                    "2025-03-31,RAA,Trust A,Midwives,FTE,5.5\n"
                    "2025-03-31,RAA,Trust A,Total,FTE,5.5\n", encoding="utf-8")
    with DuckDBStore(tmp_path / "w.duckdb") as store:
        report = ingest(store, [path], "nws")
        stored = store.query("SELECT staff_group, fte, headcount FROM staff_in_post")
    assert list(stored["staff_group"]) == ["midwives"]
    assert list(stored["fte"]) == [5.5]
    assert stored["headcount"].isna().all()
    text = "\n".join(report.warnings)
    assert ("1 figure(s) of a parent staff group given without any of its children (first: "
            "'Total' of RAA, 2025-03, HC at row 1)") in text
    assert "the file gives no HC figure of a staff group: headcount is not loaded" in text


def test_an_empty_data_type_date_or_org_is_refused_not_a_crash_or_lost(kit: Kit, base_db: Path,
                                                   tmp_path: Path) -> None:
    path = tmp_path / "kind.csv"
    path.write_text(HEADER + "2025-03-31,RAA,Trust A,Midwives,,5.5\n"
                    "2025-03-31,RAA,Trust A,Midwives,HC,6\n"
                    ",RAA,Trust A,Midwives,FTE,5.5\n"
                    "2025-03-31,,Trust A,Midwives,FTE,5.5\n", encoding="utf-8")
    message = kit.refused(base_db, path)
    assert "kind.csv, row 3 (line 4), column 'Date': value '': is required but empty" in message
    assert "kind.csv, row 4 (line 5), column 'Org Code': value '': is required but empty" \
        in message
    assert "kind.csv, row 1 (line 2), column 'Data Type': value '': must be FTE or HC" \
        in message
