"""The extract computes the gap report on a second thread: the files must be the same.

``wfplan assess`` extracts the vintage's rows into an in-memory store, then
aggregates the model tables and computes the data-gap report from it. The two
read the same store and run side by side (:func:`wfplan.assessment.extract.
_tables_and_gaps`, the gap report through a cursor of its own,
:meth:`wfplan.dataset.store.DuckDBStore.reader`); each query still runs on one
thread, so every table and every gap section must be exactly what one thread
computing them one after the other gives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from wfplan.analysis.gaps import gap_report
from wfplan.assessment.extract import _tables_and_gaps, model_tables, vintage_rows
from wfplan.dataset.store import DuckDBStore
from wfplan.inputs.build import resolve_period

if TYPE_CHECKING:
    from conftest import DemoBuild


def test_the_gap_report_beside_the_model_tables_gives_what_one_thread_gives(
        demo_vintage: DemoBuild) -> None:
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        base = resolve_period(store, "demo", None)
        rows = vintage_rows(store, "demo", base)
    try:
        tables, gaps = _tables_and_gaps(rows, "demo", base)
        alone = model_tables(rows, "demo", base)
        alone_gaps = gap_report(rows, "demo").sections()
    finally:
        rows.close()
    assert list(tables) == list(alone)
    for name, table in tables.items():
        assert table.equals(alone[name], check_metadata=True), name
    assert list(gaps) == list(alone_gaps)
    for name, frame in gaps.items():
        pd.testing.assert_frame_equal(frame, alone_gaps[name], check_exact=True)
        assert frame.shape[0] == alone_gaps[name].shape[0]


def test_a_reader_sees_the_store_and_closes_on_its_own(demo_vintage: DemoBuild) -> None:
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        reader = store.reader()
        try:
            assert reader.query("SELECT name FROM vintages").equals(
                store.query("SELECT name FROM vintages"))
        finally:
            reader.close()
        assert len(store.query("SELECT name FROM vintages")) >= 1
