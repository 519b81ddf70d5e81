"""The current-position metrics and the assessment's extract give the same bits every time.

DuckDB adds the partial sums of its threads in whatever order they finish, so
``wfplan metrics --level org`` showed 36.35 as 36.3 on one run and 36.4 on the
next, and two extracts of the same vintage differed in their last bits. Every
floating-point sum behind them is now taken in one fixed order (``sum(x ORDER BY
x)``); these tests store the same rows in another order and query on two threads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from reordered import store_in_reverse
from wfplan.analysis.metrics import current_position
from wfplan.analysis.metrics_query import Query
from wfplan.assessment.extract import model_tables
from wfplan.dataset.store import DuckDBStore
from wfplan.inputs.build import resolve_period

if TYPE_CHECKING:
    from conftest import DemoBuild

#: Fact tables with float measures, and the column to store them in reverse order of.
REORDERED = {"staff_in_post": "fte", "vacancies": "vacancy_fte",
             "sickness_absence": "fte_days_lost", "staff_survey": "value"}


def _position(db: Path, level: str) -> pd.DataFrame:
    with DuckDBStore(db, read_only=True) as store:
        store.con.execute("SET threads = 2")
        return current_position(store, Query("demo", level))


def test_metrics_do_not_depend_on_the_order_rows_are_stored_in(demo_vintage: DemoBuild,
                                                               demo_vintage_copy: Path) -> None:
    store_in_reverse(demo_vintage_copy, REORDERED)
    for level in ("england", "icb", "org"):
        stored, reordered = _position(demo_vintage.db, level), _position(demo_vintage_copy, level)
        # pandas' assert_frame_equal(check_exact=True) passes Float64 columns that differ
        # in their last bits (pandas 3.1), so compare the Arrow tables, which is exact
        assert pa.Table.from_pandas(stored).equals(pa.Table.from_pandas(reordered)), level


def _extract(db: Path) -> dict[str, pa.Table]:
    with DuckDBStore(db, read_only=True) as store:
        store.con.execute("SET threads = 2")
        return model_tables(store, "demo", resolve_period(store, "demo", None))


def test_the_extract_does_not_depend_on_the_order_rows_are_stored_in(
        demo_vintage: DemoBuild, demo_vintage_copy: Path) -> None:
    store_in_reverse(demo_vintage_copy, REORDERED)
    stored, reordered = _extract(demo_vintage.db), _extract(demo_vintage_copy)
    assert stored.keys() == reordered.keys()
    for table, rows in stored.items():
        assert rows.equals(reordered[table]), table
