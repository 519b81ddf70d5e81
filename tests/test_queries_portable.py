"""The model-input, cell and bundle queries give the same rows, in the same order, on PostgreSQL.

The hand-made vintage is loaded into DuckDB, copied into a throwaway PostgreSQL
schema (:mod:`pg_mirror`), and every domain query of
:mod:`wfplan.dataset.store.queries.model_inputs`, ``cells`` and ``bundle`` is run on
both. Skipped when PostgreSQL is not running on 127.0.0.1:5432.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

import backends
import handmade_vintage as hv
import pg_mirror
from wfplan.assessment.cells import periods
from wfplan.dataset.store import DuckDBStore, Store
from wfplan.dataset.store.queries import bundle, cells
from wfplan.dataset.store.queries import model_inputs as q

BASE, START = date.fromisoformat(hv.BASE), date.fromisoformat(hv.START)


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Store]]:
    backends.require_postgres()
    folder = tmp_path_factory.mktemp("hand")
    duck = DuckDBStore(folder / "hand.duckdb")
    hv.build(duck, folder)
    pg = pg_mirror.mirror(duck)
    yield duck, pg
    pg.close()
    duck.close()


def _same(left: list[tuple[Any, ...]], right: list[tuple[Any, ...]]) -> bool:
    if len(left) != len(right):
        return False
    for a, b in zip(left, right, strict=True):
        if len(a) != len(b):
            return False
        for x, y in zip(a, b, strict=True):
            if isinstance(x, float) or isinstance(y, float):
                if x is None or y is None or not math.isclose(x, y, rel_tol=1e-12):
                    return False
            elif x != y:
                return False
    return True


def _names(data: pd.DataFrame | pa.Table) -> list[str]:
    return list(data.schema.names if isinstance(data, pa.Table) else data.columns)


def _check(engines: tuple[Store, Store], read: Callable[[Store], Any]) -> Any:
    duck, pg = engines
    on_duck, on_pg = read(duck), read(pg)
    if isinstance(on_duck, pd.DataFrame | pa.Table):
        assert _names(on_duck) == _names(on_pg)
        left, right = pg_mirror.rows(on_duck), pg_mirror.rows(on_pg)
        assert _same(left, right), f"DuckDB: {left}\nPostgreSQL: {right}"
    else:
        assert pg_mirror.value(on_duck) == pg_mirror.value(on_pg)
    return on_duck


SCOPES = [q.AreaScope(hv.VINTAGE, level, BASE) for level in ("england", "region", "icb", "org")]
SCOPES += [q.AreaScope(hv.VINTAGE, "icb", BASE, sector="nhs_trust", staff_groups=(hv.N, hv.M))]


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: f"{s.level}-{s.sector}")
def test_area_sums_match(engines: tuple[Store, Store], scope: q.AreaScope) -> None:
    stock = _check(engines, lambda s: q.staff_in_post_by_age(s, scope, BASE))
    assert len(stock) > 0
    _check(engines, lambda s: q.staff_in_post_by_age(s, scope, START, (START, BASE)))
    _check(engines, lambda s: q.staff_in_post_totals(s, scope, BASE))
    _check(engines, lambda s: q.staff_at_two_censuses(s, scope, START, BASE))
    _check(engines, lambda s: q.area_regions(s, scope))
    _check(engines, lambda s: q.vacancy_fte_by_area(s, scope, BASE))
    flows = _check(engines, lambda s: q.flow_headcount_by_area(s, scope, START, BASE))
    assert len(flows) > 0


def test_periods_and_small_reads_match(engines: tuple[Store, Store]) -> None:
    vintage = hv.VINTAGE
    assert _check(engines, lambda s: q.latest_flow_end(s, vintage, BASE)) == BASE
    assert _check(engines, lambda s: q.flow_start(s, vintage, BASE)) == START
    _check(engines, lambda s: q.latest_vacancy_period(s, vintage, BASE))
    held = _check(engines, lambda s: q.staff_in_post_periods(s, vintage))
    assert held == [START, BASE, date.fromisoformat(hv.LATER)]
    _check(engines, lambda s: q.staff_in_post_periods(s, vintage, BASE))
    assert _check(engines, lambda s: q.has_headcount(s, vintage, BASE)) is True
    _check(engines, lambda s: q.organisations_placed(s, vintage, START, BASE))
    _check(engines, lambda s: q.ingest_sources(s, vintage))
    places = _check(engines, lambda s: q.education_places(s, vintage, 1, 9999))
    assert len(places) > 0
    _check(engines, lambda s: q.education_places(s, vintage, 0, 2022))
    _check(engines, lambda s: q.population_by_area(s, vintage, ["E92000001", "Y56"], 2040))
    _check(engines, lambda s: q.utilisation_by_age(s, vintage))
    _check(engines, lambda s: q.la_icb_lookup(s, vintage, BASE))
    _check(engines, lambda s: q.england_single_year_population(s, vintage))


def test_cell_extracts_match(engines: tuple[Store, Store]) -> None:
    duck, _ = engines
    found = periods(duck, hv.VINTAGE, BASE)
    _check(engines, lambda s: cells.survey_years(s, hv.VINTAGE, BASE.year))
    for table in cells.FACTS:
        _check(engines, lambda s, t=table: cells.fact_cells(s, t, hv.VINTAGE, found))
    _check(engines, lambda s: cells.ethnicity_rows(s, hv.VINTAGE, found))
    organisations = _check(engines, lambda s: cells.organisation_cells(s, hv.VINTAGE, found))
    assert organisations.num_rows > 0
    for table in cells.PLAIN:
        _check(engines, lambda s, t=table: cells.plain_rows(s, t, hv.VINTAGE, found))


def test_bundle_reads_match(engines: tuple[Store, Store]) -> None:
    for table in ("staff_in_post", "flows", "staff_survey", "ingests", "organisations"):
        _check(engines, lambda s, t=table: bundle.vintage_table(s, t, hv.VINTAGE, START))
    _check(engines, lambda s: bundle.vintage_table(s, "ingests", hv.VINTAGE))
    _check(engines, bundle.ingest_log)


def test_the_comparison_tells_a_difference(engines: tuple[Store, Store]) -> None:
    """The comparison fails when the engines' rows differ (here: in their order)."""
    duck, pg = engines
    sql = "SELECT DISTINCT period FROM staff_in_post WHERE vintage = ? ORDER BY period"
    up = pg_mirror.rows(duck.query(sql, [hv.VINTAGE]))
    down = pg_mirror.rows(pg.query(sql + " DESC", [hv.VINTAGE]))
    assert not _same(up, down)
