"""Current-position metrics on a small hand-made vintage, checked against sums done here.

The vintage has organisations in four ICBs of three regions, plus one
organisation that is not in the reference data. Every metric is recomputed
from the rows written, with pandas, at every level; and organisations must
add up to ICBs, ICBs to regions, regions to England.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from wfplan.analysis.metrics import (
    METRIC_COLUMNS,
    UNMAPPED,
    Query,
    current_position,
    ethnic_minority_by_band,
)
from wfplan.dataset import codelists
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.errors import InputError

if TYPE_CHECKING:
    from conftest import DemoBuild, Kit

PERIOD, START = "2024-03-31", "2023-03-31"
ORGS = pd.DataFrame(
    [("RAA", "Trust A", "nhs_trust", "QMJ", "Y56"), ("RBB", "Trust B", "nhs_trust", "QMJ", "Y56"),
     ("RCC", "Trust C", "nhs_trust", "QKK", "Y56"), ("RDD", "Trust D", "nhs_trust", "QJK", "Y58"),
     ("REE", "Trust E", "nhs_trust", "QHL", "Y60"), ("RFF", "Trust F", "nhs_trust", "QHL", "")],
    columns=["org_code", "name", "sector", "icb_code", "region_code"])
UNKNOWN_ORG = "ZZ9"
ICB_REGION = {r["code"]: r["region_code"] for r in codelists.get("icb").rows}
SIP_CELLS = [  # staff_group, age_band, nationality, headcount, fte
    ("nurses_health_visitors", "25_29", "british", 40, 36.5),
    ("nurses_health_visitors", "55_59", "eu_eea", 10, 8.0),
    ("hchs_doctors", "60_64", "non_eu", 7, 6.5),
    ("managers", None, "unknown", 5, 5.0),
    ("managers", "35_39", None, 3, None),
]


def _staff(orgs: list[str], period: str, scale: float) -> pd.DataFrame:
    rows = []
    for i, org in enumerate(orgs):
        for j, (group, age, nationality, headcount, fte) in enumerate(SIP_CELLS):
            # Each organisation has its own mix, so a ratio mixed up between areas shows.
            extra = (i * (j + 2)) % 7
            rows.append({"period": period, "org_code": org, "staff_group": group,
                         "age_band": age, "nationality": nationality,
                         "headcount": round(headcount * scale) + extra,
                         "fte": None if fte is None else round(fte * scale + extra * 0.8, 2)})
    return pd.DataFrame(rows)


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)
    return path


def _tables(with_unknown: bool, with_vacancies: bool) -> dict[str, pd.DataFrame]:
    orgs = ORGS["org_code"].tolist()
    staff_orgs = [*orgs, UNKNOWN_ORG] if with_unknown else orgs
    tables = {
        "organisations": ORGS,
        "staff_now": _staff(staff_orgs, PERIOD, 1.0),
        "staff_then": _staff(staff_orgs, START, 0.9),
        "flows": pd.DataFrame(
            [{"period_start": START, "period_end": PERIOD, "org_code": org,
              "staff_group": "nurses_health_visitors", "direction": direction,
              "route": route, "headcount": n + i}
             for i, org in enumerate(staff_orgs)
             for direction, route, n in (("joiner", "international", 6),
                                         ("joiner", "newly_qualified", 4),
                                         ("leaver", "retirement", 3),
                                         ("leaver", "internal", 50))]),
        "sickness": pd.DataFrame(
            [{"period": month, "org_code": org, "fte_days_lost": lost + i,
              "fte_days_available": 1000 + 10 * i}
             for i, org in enumerate(orgs)
             for month, lost in (("2023-03-31", 500), ("2023-09-30", 40), (PERIOD, 25))]),
        "survey": pd.DataFrame(
            [{"year": year, "org_code": org, "indicator": "burned_out",
              "value": value + i / 100, "base": 100 + 50 * i}
             for i, org in enumerate(orgs) for year, value in ((2022, 0.9), (2023, 0.3))]),
    }
    if with_vacancies:
        tables["vacancies"] = pd.DataFrame(
            [{"period": period, "org_code": org, "staff_group": group, "vacancy_fte": v + i}
             for i, org in enumerate(staff_orgs)
             for period, group, v in (("2023-12-31", "managers", 99.0),
                                      (PERIOD, "nurses_health_visitors", 4.5),
                                      (PERIOD, "hchs_doctors", 1.25))])
    return tables


def _load(store: DuckDBStore, folder: Path, vintage: str, tables: dict[str, pd.DataFrame]) -> None:
    folder.mkdir()
    ingest(store, [_write(t, folder / f"{name}.csv") for name, t in tables.items()], vintage)


@pytest.fixture(scope="module")
def vintages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    """A closed database with vintages 'full', 'mapped' (no unknown org) and 'novac'."""
    folder = tmp_path_factory.mktemp("metrics")
    store = DuckDBStore(folder / "m.duckdb")
    made = {"full": _tables(with_unknown=True, with_vacancies=True),
            "mapped": _tables(with_unknown=False, with_vacancies=True),
            "novac": _tables(with_unknown=True, with_vacancies=False)}
    try:
        for name, tables in made.items():
            _load(store, folder / name, name, tables)
    finally:
        store.close()
    return folder / "m.duckdb", made


def _area_of(level: str, org: str) -> str:
    if level == "england":
        return codelists.ENGLAND_CODE
    if level == "org":
        return org
    found = ORGS[ORGS["org_code"] == org]
    if found.empty:
        return UNMAPPED
    icb = found["icb_code"].iat[0]
    return icb if level == "icb" else (found["region_code"].iat[0] or ICB_REGION[icb])


def _expected(tables: dict[str, pd.DataFrame], level: str) -> pd.DataFrame:
    """Every metric of every area with data, recomputed from the rows with pandas."""

    def by_area(frame: pd.DataFrame, **sums: pd.Series) -> pd.DataFrame:
        area = frame["org_code"].map(lambda o: _area_of(level, o))
        return pd.DataFrame(sums).groupby(area).sum(min_count=1)

    now = tables["staff_now"]
    then = tables["staff_then"]

    def reporting(frame: pd.DataFrame, table: str) -> pd.Series:
        """Whether each row's organisation and staff group report in ``table``."""
        if table not in tables:
            return pd.Series(False, index=frame.index)
        rows = tables[table]
        if table == "vacancies":  # the rate uses the vacancy period of the report
            rows = rows[rows["period"] == PERIOD]
        pairs = set(zip(rows["org_code"], rows["staff_group"], strict=True))
        return pd.Series([p in pairs for p in zip(frame["org_code"], frame["staff_group"],
                                                   strict=True)], index=frame.index)

    fte_or_hc = now["fte"].fillna(now["headcount"])
    both = now["fte"].notna() & now["headcount"].notna()
    known_nat = now["nationality"].notna() & (now["nationality"] != "unknown")
    staff = by_area(now, headcount=now["headcount"], fte=now["fte"],
                    fte_both=now["fte"].where(both, 0), hc_both=now["headcount"].where(both, 0),
                    hc55=now["headcount"].where(now["age_band"].isin(["55_59", "60_64",
                                                                       "65_plus"]), 0),
                    hc_age=now["headcount"].where(now["age_band"].notna(), 0),
                    non_uk=fte_or_hc.where(known_nat & (now["nationality"] != "british"), 0),
                    nat_known=fte_or_hc.where(known_nat, 0),
                    fte_vac=now["fte"].where(reporting(now, "vacancies"), 0),
                    hc_end=now["headcount"].where(reporting(now, "flows"), 0))
    staff = staff.join(by_area(then, hc_start=then["headcount"].where(reporting(then, "flows"))))
    flows = tables["flows"][tables["flows"]["route"] != "internal"]
    staff = staff.join(by_area(
        flows, joiners=flows["headcount"].where(flows["direction"] == "joiner", 0),
        leavers=flows["headcount"].where(flows["direction"] == "leaver", 0)))
    sick = tables["sickness"][tables["sickness"]["period"] > START]
    staff = staff.join(by_area(sick, lost=sick["fte_days_lost"],
                               available=sick["fte_days_available"]))
    survey = tables["survey"][tables["survey"]["year"] == 2023]
    staff = staff.join(by_area(survey, weighted=survey["value"] * survey["base"],
                               base=survey["base"]))
    if "vacancies" in tables:
        vac = tables["vacancies"][tables["vacancies"]["period"] == PERIOD]
        staff = staff.join(by_area(vac, vacancy_fte=vac["vacancy_fte"]))
    else:
        staff["vacancy_fte"] = np.nan
    staff = staff.astype("float64")
    mean_hc = (staff["hc_start"] + staff["hc_end"]) / 2
    return pd.DataFrame({
        "headcount": staff["headcount"], "fte": staff["fte"],
        "fte_per_head": staff["fte_both"] / staff["hc_both"],  # rows with both only
        "vacancy_fte": staff["vacancy_fte"],
        "vacancy_rate": staff["vacancy_fte"] / (staff["fte_vac"] + staff["vacancy_fte"]),
        "joiner_rate": staff["joiners"] / mean_hc, "leaver_rate": staff["leavers"] / mean_hc,
        "stability_index": 1 - staff["leavers"] / staff["hc_start"],
        "sickness_absence_rate": staff["lost"] / staff["available"],
        "share_aged_55_plus": staff["hc55"] / staff["hc_age"],
        "share_non_uk": staff["non_uk"] / staff["nat_known"],
        "burnout_rate": staff["weighted"] / staff["base"],
    })


def _report(db: Path, vintage: str, level: str) -> pd.DataFrame:
    store = DuckDBStore(db, read_only=True)
    try:
        return current_position(store, Query(vintage, level))
    finally:
        store.close()


@pytest.mark.parametrize("vintage", ["full", "mapped", "novac"])
@pytest.mark.parametrize("level", ["england", "region", "icb", "org"])
def test_every_metric_matches_sums_done_by_hand(vintages: tuple[Path, dict[str, dict]],
                                                vintage: str, level: str) -> None:
    db, made = vintages
    report = _report(db, vintage, level).set_index("area_code")
    assert report["period"].unique().tolist() == [PERIOD]
    expected = _expected(made[vintage], level)
    with_data = report.loc[expected.index, list(METRIC_COLUMNS)].astype("float64")
    pd.testing.assert_frame_equal(with_data, expected[list(METRIC_COLUMNS)],
                                  check_names=False, rtol=1e-12)
    without_data = report.drop(index=expected.index)
    assert without_data[list(METRIC_COLUMNS)].isna().all().all(), \
        "an area without data shows n/a, never 0"


@pytest.mark.parametrize(("child", "parent"),
                         [("org", "icb"), ("icb", "region"), ("region", "england")])
def test_children_add_up_to_parents(vintages: tuple[Path, dict[str, dict]], child: str,
                                    parent: str) -> None:
    db, _ = vintages
    children = _report(db, "full", child)
    parents = _report(db, "full", parent).set_index("area_code")
    if child == "org":
        link = {o: _area_of(parent, o) for o in children["area_code"]}
    elif child == "icb":
        link = {**ICB_REGION, UNMAPPED: UNMAPPED}
    else:
        link = dict.fromkeys(children["area_code"], codelists.ENGLAND_CODE)
    children["parent"] = children["area_code"].map(link)
    for measure in ("headcount", "fte", "vacancy_fte"):
        summed = children.groupby("parent")[measure].sum(min_count=1).astype("float64")
        got = parents.loc[summed.index, measure].astype("float64")
        pd.testing.assert_series_equal(got, summed, check_names=False, rtol=1e-12)
    england = _report(db, "full", "england")["headcount"].iat[0]
    assert children["headcount"].sum() == england


def test_region_level_lists_the_seven_regions(vintages: tuple[Path, dict[str, dict]]) -> None:
    db, _ = vintages
    regions = [r["code"] for r in codelists.get("region").rows]
    assert len(regions) == 7
    mapped = _report(db, "mapped", "region")
    assert mapped["area_code"].tolist() == sorted(regions)
    assert mapped["area_name"].tolist()[0] == "London"
    full = _report(db, "full", "region")
    assert full["area_code"].tolist() == [*sorted(regions), UNMAPPED]
    assert full["area_name"].iat[-1] == "Unmapped organisations"
    assert full.set_index("area_code").loc[UNMAPPED, "headcount"] > 0


def test_icb_level_lists_all_42_icbs(vintages: tuple[Path, dict[str, dict]]) -> None:
    db, _ = vintages
    icbs = _report(db, "mapped", "icb")
    assert len(icbs) == 42
    assert icbs["headcount"].notna().sum() == 4


def test_no_vacancy_data_is_na_not_zero(vintages: tuple[Path, dict[str, dict]]) -> None:
    db, _ = vintages
    for level in ("england", "region", "icb", "org"):
        report = _report(db, "novac", level)
        assert report["vacancy_fte"].isna().all()
        assert report["vacancy_rate"].isna().all()
        assert report["headcount"].notna().any()


def test_csv_output_leaves_missing_figures_empty(kit: Kit,
                                                 vintages: tuple[Path, dict[str, dict]]) -> None:
    db, _ = vintages
    result = kit.cli("metrics", "--db", db, "--vintage", "novac", "--level", "region",
                     "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "n/a" not in result.stdout
    frame = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)
    assert len(frame) == 8
    assert set(frame["vacancy_rate"]) == {""}
    assert set(frame["vacancy_fte"]) == {""}
    south_east = frame[frame["area_code"] == "Y59"].iloc[0]
    assert south_east["headcount"] == ""
    london = frame[frame["area_code"] == "Y56"].iloc[0]
    assert float(london["headcount"]) > 0


def test_table_output_shows_n_a(kit: Kit, vintages: tuple[Path, dict[str, dict]]) -> None:
    db, _ = vintages
    result = kit.cli("metrics", "--db", db, "--vintage", "novac", "--level", "england")
    assert result.exit_code == 0, result.output
    assert "n/a" in result.stdout
    assert "England" in result.stdout


def test_one_area_and_unknown_area(vintages: tuple[Path, dict[str, dict]]) -> None:
    db, made = vintages
    store = DuckDBStore(db, read_only=True)
    try:
        one = current_position(store, Query("full", "icb", area="qmj"))
        assert one["area_code"].tolist() == ["QMJ"]
        with pytest.raises(InputError, match="no area 'XXX' at level icb"):
            current_position(store, Query("full", "icb", area="XXX"))
        with pytest.raises(InputError, match="no vintage named 'nope'"):
            current_position(store, Query("nope"))
        # England is its level's only area, named without regard to case
        england = current_position(store, Query("full", "england"))
        named = current_position(store, Query("full", "england", area="e92000001"))
        pd.testing.assert_frame_equal(named, england)
        for other in ("QMJ", "Y56", "' OR 1=1 --"):
            with pytest.raises(InputError, match=f"no area {other!r} at level england"):
                current_position(store, Query("full", "england", area=other))
    finally:
        store.close()
    expected = _expected(made["full"], "icb").loc["QMJ", "headcount"]
    assert one["headcount"].iat[0] == expected


def test_vacancy_rate_counts_only_organisations_that_report_vacancies(tmp_path: Path) -> None:
    tables = _tables(with_unknown=False, with_vacancies=True)
    london = ["RAA", "RBB", "RCC"]
    vacancies = tables["vacancies"]
    tables["vacancies"] = vacancies[vacancies["org_code"].isin(london)]
    store = DuckDBStore(tmp_path / "partial.duckdb")
    try:
        _load(store, tmp_path / "partial", "partial", tables)
        england = current_position(store, Query("partial", "england"))
    finally:
        store.close()
    now = tables["staff_now"]
    vac = tables["vacancies"]
    reported = vac.loc[vac["period"] == PERIOD, "staff_group"].unique()
    fte_reporting = now.loc[now["org_code"].isin(london) & now["staff_group"].isin(reported),
                            "fte"].sum()
    vacancy_fte = vac.loc[vac["period"] == PERIOD, "vacancy_fte"].sum()
    assert england["vacancy_fte"].iat[0] == pytest.approx(vacancy_fte)
    assert england["vacancy_rate"].iat[0] == pytest.approx(
        vacancy_fte / (fte_reporting + vacancy_fte))


def test_ethnicity_by_band_of_one_area_is_that_area_s_rows(demo_vintage: DemoBuild) -> None:
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        for level, area in (("icb", "qmj"), ("region", "Y56")):
            every = ethnic_minority_by_band(store, Query("demo", level))
            one = ethnic_minority_by_band(store, Query("demo", level, area=area))
            assert set(every["area_code"]) > {area.upper()}, level
            assert set(one["area_code"]) == {area.upper()}, level
            pd.testing.assert_frame_equal(
                one, every[every["area_code"] == area.upper()].reset_index(drop=True))
