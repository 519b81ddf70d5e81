"""A page table's HTML, exactly as the NHS.UK frontend's table macro writes it, but fast.

The writer is :func:`wfplan.report.table_html.table_markup`, shared with the
report; this module hands it a page's :class:`~wfplan.web.pages.tables.Table`
(caption with an id, text column headers, cells of text or a link, numeric
cells, the first cell of each row a row header). Where it gives None,
``macros/tables.html`` calls the macro itself. The test
``tests/dashboard/test_dashboard_table_html.py`` compares the two on every table
of the demo's pages and on tables built to test the edges.
"""

from __future__ import annotations

from markupsafe import Markup

from wfplan.report.table_html import KEYS, table_markup
from wfplan.web.pages.tables import Table

__all__ = ["KEYS", "table_html"]


def table_html(table: Table) -> Markup | None:
    """Return the table as the NHS.UK ``table`` macro writes it, or None where it may differ.

    The macro's parameters are those of ``macros/tables.html``: caption text and
    id, ``head`` and ``body`` of the table, ``firstCellIsHeader``, not responsive,
    the table's id as its attribute.
    """
    return table_markup(table.caption, table.table_id, table.head(), table.body())
