"""The cells of the organisations extract are found from distinct keys, as from every row.

:func:`wfplan.dataset.store.queries.cells.organisation_cells` reads each fact
table's distinct organisation, staff group and ingest (``keys_only``) rather than
every row (issue 12); a row's cell depends on nothing else, so both give the
same distinct cells.
"""

from __future__ import annotations

from datetime import date

import handmade_vintage as hv
from wfplan.assessment.cells import periods
from wfplan.dataset.store import DuckDBStore
from wfplan.dataset.store.queries import cells
from wfplan.dataset.store.queries._binding import bind

_CELLS = ("SELECT DISTINCT cell, p_icb, p_region, p_sector, ingest_id FROM r "
          "ORDER BY ALL")


def test_keys_only_gives_every_rows_cells(hand: DuckDBStore) -> None:
    found = periods(hand, hv.VINTAGE, date.fromisoformat(hv.BASE))
    values = {"vintage": hv.VINTAGE, **found.params()}
    total = 0
    for table in cells.FACTS:
        every, keys = (hand.query_arrow(*bind(cells._from(table, keys_only=k) + _CELLS, values))
                       for k in (False, True))
        assert keys.to_pylist() == every.to_pylist(), table
        total += every.num_rows
    assert total > 0
