"""The analysis queries give the same rows on PostgreSQL 15 as on DuckDB.

A hand-made vintage, the gap report's vintage (with a PCN extract, whose flows
are unavailable) and the demo are copied to a throwaway PostgreSQL schema
(``tests/pg_copy.py``); every query function of ``dataset/store/queries`` that the
metrics and the gap report use is run on both, and so are the whole gap
report and the current position of the hand-made vintage. Skipped when
psycopg is not installed or PostgreSQL does not answer at 127.0.0.1:5432.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

import handmade_vintage as hv
from pg_copy import PG_URL, assert_same, normal, pg_copy
from test_gaps import ORGS, PCN, SIP, VACANCIES, write
from wfplan.analysis import metrics
from wfplan.analysis.gaps import gap_report
from wfplan.dataset import distinct
from wfplan.dataset.geography import LEVELS
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore, Store
from wfplan.dataset.store.queries import gaps as gq
from wfplan.dataset.store.queries import geography as geo
from wfplan.dataset.store.queries import metrics as mq
from wfplan.dataset.store.queries._params import positional

if TYPE_CHECKING:
    pass

import psycopg

import backends

Engines = tuple[Store, Store]


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engines]:
    backends.require_postgres()
    folder = tmp_path_factory.mktemp("pg")
    with DuckDBStore(folder / "all.duckdb") as store:
        (folder / "hand").mkdir()
        hv.build(store, folder / "hand")
        ingest(store, [write(folder / "organisations.csv", ORGS),
                       write(folder / "staff_in_post.csv", SIP),
                       write(folder / "vacancies.csv", VACANCIES),
                       write(folder / "pcn.csv", PCN)], "known")
        with pg_copy(psycopg, store) as pg:
            yield store, pg


def same(engines: Engines, run: Callable[[Store], Any]) -> Any:
    """Run a query on both engines, check the results are the same; return DuckDB's."""
    duck, pg = engines
    a, b = run(duck), run(pg)
    if isinstance(a, pd.DataFrame):
        assert list(a.columns) == list(b.columns)
        assert_same(normal(a), normal(b))
    elif isinstance(a, dict):
        assert list(a) == list(b)
        assert_same(normal(pd.DataFrame([[_plain(v) for v in a.values()]])),
                    normal(pd.DataFrame([[_plain(v) for v in b.values()]])))
    else:
        assert_same(normal(pd.DataFrame([[a]])), normal(pd.DataFrame([[b]])))
    return a


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, set) else value


#: The demo vintage is compared on the real PostgreSQL store in test_postgres_bundle.py.
VINTAGES = ("hand", "known")


@pytest.mark.parametrize("vintage", VINTAGES)
@pytest.mark.parametrize("level", LEVELS)
def test_metric_sums_are_the_same(engines: Engines, vintage: str, level: str) -> None:
    duck = engines[0]
    at = same(engines, lambda s: mq.latest_staff_period(s, vintage))
    sel = mq.AreaSelection(vintage, level, pd.Timestamp(at).date())
    covered = distinct.covered(duck, vintage, sel.at, level)
    staff = same(engines, lambda s: mq.staff_sums(s, sel, covered))
    assert not staff.empty  # the comparison compares rows
    same(engines, lambda s: mq.staff_sums(s, mq.AreaSelection(
        vintage, level, sel.at, staff_group=hv.N, sector="nhs_trust"), []))
    same(engines, lambda s: geo.placements(s, vintage, sel.at))
    same(engines, lambda s: geo.area_names(s, vintage, level))
    vp = same(engines, lambda s: mq.vacancy_period(s, vintage, sel.at))
    if vp is not None and not pd.isna(vp):
        for i in range(2):
            same(engines, lambda s, i=i: mq.vacancy_sums(s, sel, pd.Timestamp(vp).date())[i])
    start = same(engines, lambda s: mq.flow_start(s, vintage, sel.at))
    if start is not None and not pd.isna(start):
        same(engines, lambda s: mq.flow_sums(s, sel, pd.Timestamp(start).date()))
    same(engines, lambda s: mq.sickness_sums(s, sel))
    years = same(engines, lambda s: mq.survey_years(s, vintage))
    for year in years:
        same(engines, lambda s, y=year: mq.burnout_sums(s, sel, y))
    if years:
        same(engines, lambda s: mq.burnout_pooled_sums(s, sel, years[0], years[-1]))
    same(engines, lambda s: mq.sickness_latest(s, vintage))
    when = same(engines, lambda s: mq.ethnicity_period(s, vintage, sel.at))
    national = same(engines, lambda s: mq.national_ethnicity_rows(s, vintage, when))
    for area_rows in (False, True):
        same(engines, lambda s, a=area_rows: mq.ethnicity_by_grade(s, sel, when, a))
    same(engines, lambda s: mq.latest_by_sector(s, vintage))
    assert national is not None


@pytest.mark.parametrize("vintage", VINTAGES)
def test_net_change_queries_are_the_same(engines: Engines, vintage: str) -> None:
    flagged = same(engines, lambda s: mq.flows_unavailable(s, vintage))
    for ids in flagged.values():
        for until in (None, "2030-01-01"):
            periods = same(engines, lambda s, u=until, i=ids: mq.latest_censuses(s, vintage,
                                                                                 i, u))
        if len(periods) == 2:
            sel = mq.AreaSelection(vintage, "icb", periods[0])
            same(engines, lambda s, i=ids, p=periods, q=sel: mq.staff_by_role(s, q, i, p[1], p[0]))


@pytest.mark.parametrize("level", LEVELS)
def test_the_position_by_role_is_the_same(engines: Engines, level: str) -> None:
    from wfplan.analysis.metrics_query import Query
    from wfplan.analysis.metrics_roles import position_by_role

    at = pd.Timestamp(engines[0].scalar(  # the PCN extract's census, whose rows give roles
        "SELECT max(period) FROM staff_in_post WHERE vintage = 'known' AND role IS NOT NULL"
    )).date()
    sel = mq.AreaSelection("known", level, at)
    covered = distinct.covered(engines[0], "known", sel.at, level)
    assert covered  # its people are counted once: the distinct counts by role are compared
    rows = same(engines, lambda s: mq.staff_by_role_at(s, sel, covered))
    assert rows["role"].notna().any()
    same(engines, lambda s: position_by_role(s, Query("known", level, period=at)))


@pytest.mark.parametrize("vintage", VINTAGES)
def test_gap_queries_are_the_same(engines: Engines, vintage: str) -> None:
    same(engines, lambda s: gq.region_codes(s, vintage))
    same(engines, lambda s: gq.icb_count(s, vintage))
    for fact in gq.FACTS:
        same(engines, lambda s, f=fact: gq.latest_period(s, vintage, f))
        same(engines, lambda s, f=fact: gq.coverage_by_sector(s, vintage, f))
        same(engines, lambda s, f=fact: gq.last_period_by_ingest(s, vintage, f))
        same(engines, lambda s, f=fact: gq.organisations_by_sector(s, vintage, f))
    latest = same(engines, lambda s: gq.latest_staff_by_sector(s, vintage))
    for sector, period in latest.items():
        same(engines, lambda s, x=sector, p=period: gq.dimension_weights(
            s, vintage, x, p, ("age_band", "sex")))
        same(engines, lambda s, x=sector: gq.area_level_rows(s, vintage, x, ("age_band",)))
        same(engines, lambda s, x=sector, p=period: gq.organisation_weights(s, vintage, x, p))
    same(engines, lambda s: gq.current_organisations(s, vintage, "2024-03-31"))
    same(engines, lambda s: gq.unmapped_codes(s, vintage))
    same(engines, lambda s: gq.ingest_sources(s, vintage))
    same(engines, lambda s: gq.latest_flags(s, vintage, "flows_unavailable"))


@pytest.mark.parametrize("vintage", VINTAGES)
@pytest.mark.parametrize("area", [None, gq.Area("region", "Y56"), gq.Area("icb", "QWE")],
                         ids=["england", "region", "icb"])
def test_the_whole_gap_report_is_the_same(engines: Engines, vintage: str,
                                          area: gq.Area | None) -> None:
    duck, pg = (gap_report(store, vintage, area=area) for store in engines)
    assert duck.newest_period == pg.newest_period
    assert duck.totals == pg.totals
    for name, frame in duck.sections().items():
        assert_same(normal(frame), normal(pg.sections()[name]), name)
    if area is not None and vintage == "known":  # the area's rows, not none
        assert 0 < duck.totals["staff_in_post"] < gap_report(engines[0], vintage).totals[
            "staff_in_post"]


def test_the_gap_queries_of_an_area_are_the_same(engines: Engines) -> None:
    for area in (gq.Area("region", "Y56"), gq.Area("icb", "QWE")):
        assert same(engines, lambda s, a=area: gq.region_codes(s, "known", a)) == ["Y56"]
        same(engines, lambda s, a=area: gq.icb_count(s, "known", a))
        same(engines, lambda s, a=area: gq.current_organisations(s, "known", "2024-03-31", a))
        for fact in gq.FACTS:
            same(engines, lambda s, f=fact, a=area: gq.coverage_by_sector(s, "known", f, a))
            same(engines, lambda s, f=fact, a=area: gq.area_row_count(s, "known", f, a))
    assert same(engines, lambda s: gq.area_level(s, "known", "QWE")) == "icb"
    assert same(engines, lambda s: gq.area_level(s, "known", "NOPE")) is None


def test_postgres_expects_one_placement_per_organisation_in_the_gap_queries(
        engines: Engines) -> None:
    """PostgreSQL's estimate of the gap queries' organisations is near their number.

    With ``row_number() ... WHERE rn = 1`` it estimated a window's first rows as a
    handful (44 of the demo's 8,743), and an area's gap report joined the areas to
    every fact row in a nested loop: one of its queries took two minutes on the demo.
    Here 500 organisations with two records each are added (and rolled back).
    """
    connection = engines[1].connection  # type: ignore[attr-defined]
    sql, params = positional(f"{gq._GEO} SELECT * FROM org", {"vintage": "many"})
    with connection.transaction():  # the connection is in autocommit mode
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO organisations (vintage, ingest_id, source_row, suppressed, "
                "org_code, name, valid_from) SELECT 'many', 1, i, FALSE, 'O' || (i / 2), "
                "'Organisation ' || i, DATE '2020-01-01' + i % 2 FROM generate_series(0, 999) i")
            cursor.execute("ANALYZE organisations")
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql.replace("?", "%s"), params)
            estimate = cursor.fetchone()[0][0]["Plan"]["Plan Rows"]
            cursor.execute(sql.replace("?", "%s"), params)
            actual = len(cursor.fetchall())
        raise psycopg.Rollback()  # leaves the copy as it was
    assert actual == 500
    assert estimate >= actual / 2, (estimate, actual)


@pytest.mark.parametrize("level", LEVELS)
def test_the_current_position_of_the_hand_made_vintage_is_the_same(engines: Engines,
                                                                   level: str) -> None:
    query = metrics.Query(hv.VINTAGE, level=level)
    (duck, duck_cov), (pg, pg_cov) = (metrics.position_with_coverage(s, query) for s in engines)
    assert list(duck.columns) == list(pg.columns)
    assert_same(normal(duck), normal(pg))
    assert_same(normal(duck_cov), normal(pg_cov))
    bands = [metrics.ethnic_minority_by_band(s, query) for s in engines]
    assert_same(normal(bands[0]), normal(bands[1]))


def test_the_copy_is_dropped(tmp_path: Path) -> None:
    backends.require_postgres()
    db = tmp_path / "one.duckdb"
    with DuckDBStore(db) as store, pg_copy(psycopg, store) as pg:
        schema = pg.scalar("SELECT current_schema()")
        assert pg.scalar("SELECT count(*) FROM vintages") == 0
    with psycopg.connect(PG_URL) as connection:
        left = connection.execute("SELECT count(*) FROM information_schema.schemata "
                                  "WHERE schema_name = %s", [schema]).fetchone()
    assert left == (0,)
