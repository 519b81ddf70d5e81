"""Each current-position figure is shown only for the periods and sectors its source covers.

Small hand-made vintages: NHS trusts RAA (London) and RDD (South West), and GP
practices UAA and UDD (primary care) in the same ICBs. The NHS Staff Survey and
sickness absence come from the trusts only. Every figure says which sectors
and period it covers (:mod:`wfplan.analysis.metrics_coverage`).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from wfplan.analysis.metrics import Query, current_position, position_with_coverage
from wfplan.analysis.metrics_coverage import coverage_table, pick_survey_year, survey_year_of
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore

if TYPE_CHECKING:
    from conftest import Kit

ORGS = pd.DataFrame([("RAA", "Trust A", "nhs_trust", "QMJ", "Y56"),
                     ("RDD", "Trust D", "nhs_trust", "QJK", "Y58"),
                     ("UAA", "Practice A", "primary_care", "QMJ", "Y56"),
                     ("UDD", "Practice D", "primary_care", "QJK", "Y58")],
                    columns=["org_code", "name", "sector", "icb_code", "region_code"])
TRUSTS, PRACTICES = ["RAA", "RDD"], ["UAA", "UDD"]


def _staff(period: str, orgs: list[str]) -> pd.DataFrame:
    rows = []
    for i, org in enumerate(orgs):
        group = "gp" if org.startswith("U") else "nurses_health_visitors"
        rows.append({"period": period, "org_code": org, "staff_group": group,
                     "headcount": 10 + i, "fte": 8.0 + i})
    return pd.DataFrame(rows)


def _sickness(census: str) -> pd.DataFrame:
    end = pd.Timestamp(census)
    months = [(end - pd.offsets.MonthEnd(k)).date().isoformat() for k in (0, 6, 11)]
    return pd.DataFrame([{"period": m, "org_code": org, "fte_days_lost": 40 + i,
                          "fte_days_available": 1000} for i, org in enumerate(TRUSTS)
                         for m in months])


def _survey(years: list[int]) -> pd.DataFrame:
    return pd.DataFrame([{"year": y, "org_code": org, "indicator": "burned_out",
                          "value": 0.3 + i / 10, "base": 100} for y in years
                         for i, org in enumerate(TRUSTS)])


def _vintage(store: DuckDBStore, folder: Path, name: str, census: str, staff: list[str],
             survey: list[int]) -> None:
    folder.mkdir()
    tables = {"organisations": ORGS, "staff_in_post": _staff(census, staff),
              "sickness_absence": _sickness(census), "staff_survey": _survey(survey)}
    paths = []
    for table, frame in tables.items():
        frame.to_csv(folder / f"{table}.csv", index=False)
        paths.append(folder / f"{table}.csv")
    ingest(store, paths, name)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("coverage")
    with DuckDBStore(folder / "c.duckdb") as store:
        _vintage(store, folder / "mixed", "mixed", "2024-03-31", TRUSTS + PRACTICES, [2023])
        _vintage(store, folder / "old", "old", "2017-09-30", TRUSTS, [2021, 2022, 2023])
        _vintage(store, folder / "gp_only", "gp_only", "2024-03-31", PRACTICES, [2023])
        _vintage(store, folder / "later", "later", "2025-03-31", TRUSTS, [2022, 2023])
    return folder / "c.duckdb"


def _position(db: Path, query: Query) -> tuple[pd.DataFrame, pd.DataFrame]:
    with DuckDBStore(db, read_only=True) as store:
        position, covered = position_with_coverage(store, query)
    return position, covered.set_index("metric")


@pytest.mark.parametrize(("census", "year"), [
    (date(2024, 3, 31), 2023), (date(2023, 9, 30), 2023), (date(2017, 9, 30), 2017),
    (date(2023, 8, 31), 2022), (date(2023, 12, 31), 2023)])
def test_a_census_is_matched_to_the_survey_whose_fieldwork_started_in_its_12_months(
        census: date, year: int) -> None:
    assert survey_year_of(census) == year


def test_the_survey_year_before_is_used_only_when_the_censuss_own_is_missing() -> None:
    assert pick_survey_year(date(2024, 3, 31), [2022, 2023]) == (2023, None)
    year, note = pick_survey_year(date(2025, 3, 31), [2022, 2023])
    assert year == 2023
    assert note is not None
    assert "2024, the census's own, is not in the vintage" in note
    year, note = pick_survey_year(date(2017, 9, 30), [2021, 2022, 2023])
    assert year is None
    assert note == ("no staff survey for the census 2017-09: it needs survey year 2017 (or "
                    "2016); the vintage has 2021, 2022, 2023")


@pytest.mark.parametrize("level", ["england", "region", "icb", "org"])
def test_burnout_is_na_for_a_census_before_any_survey_with_the_reason(
        db: Path, level: str) -> None:
    position, covered = _position(db, Query("old", level))
    assert position["burnout_rate"].isna().all()
    assert position["headcount"].notna().any()
    assert not covered.at["burnout_rate", "shown"]
    assert "no staff survey for the census 2017-09" in covered.at["burnout_rate", "note"]


def test_burnout_is_na_for_a_staff_group_because_the_survey_has_none(db: Path) -> None:
    position, covered = _position(db, Query("mixed", "england", staff_group="gp"))
    assert position["headcount"].iat[0] == 12 + 13
    assert pd.isna(position["burnout_rate"].iat[0])
    assert "not by staff group" in covered.at["burnout_rate", "note"]


def test_trust_sickness_and_burnout_are_na_where_the_staff_in_post_are_primary_care_only(
        db: Path) -> None:
    for level in ("england", "region"):
        position, covered = _position(db, Query("gp_only", level))
        assert position["headcount"].notna().any()
        assert position["burnout_rate"].isna().all()
        assert position["sickness_absence_rate"].isna().all()
        for figure in ("burnout_rate", "sickness_absence_rate"):
            assert not covered.at[figure, "shown"]
            assert covered.at[figure, "sectors"] == ["nhs_trust"]
            assert "its source covers NHS trusts" in covered.at[figure, "note"]
            assert "Primary care only" in covered.at[figure, "note"]


def test_primary_care_sector_has_no_trust_burnout(db: Path) -> None:
    position, covered = _position(db, Query("mixed", "region", sector="primary_care"))
    assert position["headcount"].notna().any()
    assert position["burnout_rate"].isna().all()
    assert not covered.at["burnout_rate", "shown"]


def test_the_mixed_england_row_says_each_figures_sectors_and_period(db: Path) -> None:
    position, covered = _position(db, Query("mixed", "england"))
    assert position["burnout_rate"].iat[0] == pytest.approx(0.35)
    assert covered.at["headcount", "sectors"] == ["nhs_trust", "primary_care"]
    assert covered.at["headcount", "period"] == "2024-03-31"
    assert covered.at["sickness_absence_rate", "sectors"] == ["nhs_trust"]
    assert covered.at["sickness_absence_rate", "period"] == "2023-04 to 2024-03"
    assert covered.at["burnout_rate", "sectors"] == ["nhs_trust"]
    assert covered.at["burnout_rate", "period"] == "survey year 2023"
    assert not covered.at["vacancy_rate", "shown"]
    assert covered.at["vacancy_rate", "note"] == "no vacancies on or before 2024-03-31"
    shown = coverage_table(covered.reset_index()).set_index("figures")
    assert shown.loc["burnout rate"].tolist() == ["NHS trusts", "survey year 2023", ""]
    assert shown.loc["sickness absence rate", "sectors"] == "NHS trusts"
    assert shown.loc["headcount, FTE", "sectors"] == "NHS trusts, Primary care"
    assert shown.loc["vacancy FTE, vacancy rate", "note"] == (
        "n/a: no vacancies on or before 2024-03-31")


def test_a_survey_a_year_older_than_the_census_is_shown_with_a_note(db: Path) -> None:
    position, covered = _position(db, Query("later", "england"))
    assert position["burnout_rate"].iat[0] == pytest.approx(0.35)
    assert covered.at["burnout_rate", "period"] == "survey year 2023"
    assert "2024, the census's own, is not in the vintage" in covered.at["burnout_rate", "note"]


def test_fte_per_head_divides_only_rows_with_both_fte_and_headcount(tmp_path: Path) -> None:
    staff = pd.DataFrame([("2024-03-31", "RAA", "nurses_health_visitors", 10, 9.0),
                          ("2024-03-31", "RAA", "managers", 5, None),
                          ("2024-03-31", "RDD", "nurses_health_visitors", None, 7.0)],
                         columns=["period", "org_code", "staff_group", "headcount", "fte"])
    ORGS.to_csv(tmp_path / "organisations.csv", index=False)
    staff.to_csv(tmp_path / "staff_in_post.csv", index=False)
    with DuckDBStore(tmp_path / "f.duckdb") as store:
        ingest(store, [tmp_path / "organisations.csv", tmp_path / "staff_in_post.csv"], "f")
        england = current_position(store, Query("f", "england"))
        south_west = current_position(store, Query("f", "region", area="Y58"))
    assert england["headcount"].iat[0] == 15
    assert england["fte"].iat[0] == 16
    assert england["fte_per_head"].iat[0] == pytest.approx(9 / 10)
    assert pd.isna(south_west["fte_per_head"].iat[0])  # FTE only: no ratio


def test_metrics_prints_the_coverage_and_gives_it_in_json(kit: Kit, db: Path) -> None:
    table = kit.cli("metrics", "--db", db, "--vintage", "mixed")
    assert table.exit_code == 0, table.output
    text = kit.plain(table.stdout)
    assert "What each figure covers" in text
    assert "NHS trusts" in text
    assert "Primary care" in text
    assert "survey year 2023" in text
    old = kit.cli("metrics", "--db", db, "--vintage", "old", "--format", "json")
    assert old.exit_code == 0, old.output
    figures = {item["metric"]: item for item in json.loads(old.stdout)["coverage"]}
    assert figures["burnout_rate"]["shown"] is False
    assert "no staff survey for the census 2017-09" in figures["burnout_rate"]["note"]
    assert figures["headcount"]["sectors"] == ["nhs_trust"]
    assert figures["headcount"]["period"] == "2017-09-30"
