"""The report's tables written fast (wfplan.report.table_html) are the NHS.UK macro's, to the byte.

The report's page is rendered from the same sections twice: as ``render_html``
renders it (``table_markup``), and with ``table_markup`` giving None, so that the
NHS.UK ``table`` macro writes every table. Then tables built to test the edges
(escaping, empty cells and tables, text the macro reflows, a cell with a key the
fast writer leaves to the macro) go through the report's ``table`` macro both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from jinja2 import Environment
from markupsafe import Markup

from wfplan.dataset.provenance import OGL_ATTRIBUTION
from wfplan.report import format as fmt
from wfplan.report import html
from wfplan.report.context import ReportData
from wfplan.report.sections import build_sections
from wfplan.report.table_html import table_markup, view_markup
from wfplan.report.views import Column, Numbering, TableView

if TYPE_CHECKING:
    from conftest import ExampleReport


def _environment(writer: Callable[[Any], Markup | None]) -> Environment:
    """Return a new report environment whose tables are written by ``writer``."""
    env = html._environment.__wrapped__()  # type: ignore[attr-defined]  # functools.cache's own
    env.globals["table_markup"] = writer
    return env


def _counted() -> tuple[Callable[[Any], Markup | None], list[bool]]:
    """Return :func:`view_markup` and a list recording, per table, whether it wrote it."""
    written: list[bool] = []

    def writer(view: Any) -> Markup | None:
        found = view_markup(view)
        written.append(found is not None)
        return found

    return writer, written


@pytest.fixture(scope="module")
def data(example_report: ExampleReport) -> ReportData:
    """The run's example report data."""
    return example_report.data


def test_the_whole_page_is_the_same_as_the_macros(data: ReportData) -> None:
    sections = build_sections(data, Numbering())
    pages = []
    writer, written = _counted()
    for env in (_environment(writer), _environment(lambda view: None)):
        template = env.get_template("report.html.j2")
        pages.append(template.render(data=data, s=sections, css=Markup(html.stylesheet()),
                                     attribution=OGL_ATTRIBUTION, fmt=fmt))
    assert pages[0] == pages[1]
    assert len(written) >= 10
    assert all(written)


CALL = '{% from "macros.html.j2" import table with context %}{{ table(t) }}'


def _both(view: TableView) -> tuple[str, str, bool]:
    """Return the table's block written fast and by the macro, and whether it went fast."""
    writer, written = _counted()
    context = {"t": view, "data": {"licence": "OGL"}, "attribution": "Contains data."}
    fast = _environment(writer).from_string(CALL).render(**context)
    slow = _environment(lambda v: None).from_string(CALL).render(**context)
    return fast, slow, written == [True]


def _view(frame: pd.DataFrame, caption: str = "A table", table_id: str = "table-x") -> TableView:
    columns = [Column("name", "Name"), Column("value", "Value & more", numeric=True),
               Column("note", "<Note>", html=True)]
    return Numbering().table(frame, columns, table_id, caption, "Source <a>", "2025")


@pytest.mark.parametrize(("frame", "fast"), [
    (pd.DataFrame({"name": ["a & b", "<i>x</i>", ""], "value": ["1 (0 to 2)", "", "3"],
                   "note": ["<b>bold</b>", "", "plain"]}), True),
    (pd.DataFrame({"name": [], "value": [], "note": []}), True),
    (pd.DataFrame({"name": ["  padded"], "value": ["1"], "note": ["x"]}), False),
    (pd.DataFrame({"name": ["two\nlines"], "value": ["1"], "note": ["x"]}), False),
    (pd.DataFrame({"name": ["a"], "value": ["1"], "note": ["<span> x</span>"]}), True),
])
def test_edge_tables_are_the_same_as_the_macros(frame: pd.DataFrame, fast: bool) -> None:
    written, slow, went_fast = _both(_view(frame))
    assert written == slow
    assert went_fast is fast


def test_a_cell_with_another_key_or_an_odd_id_goes_to_the_macro() -> None:
    view = _view(pd.DataFrame({"name": ["a"], "value": ["1"], "note": ["x"]}))
    view.rows[0][1] = {**view.rows[0][1], "classes": "wf-odd"}
    written, slow, went_fast = _both(view)
    assert written == slow
    assert not went_fast
    assert table_markup("Caption", "id with space", [], []) is None
    assert table_markup(" Caption", "table-x", [], []) is None
    assert table_markup("", "table-x", [], []) is None


def test_the_writer_escapes_the_caption_and_text_cells() -> None:
    found = table_markup("A < B", "t-1", [{"text": "x & y", "format": None}],
                         [[{"text": "<a>"}, {"html": Markup("<b>1</b>"), "format": "numeric"}]])
    assert found is not None
    assert "A &lt; B" in found
    assert "x &amp; y" in found
    assert "&lt;a&gt;" in found
    assert '<td class="nhsuk-table__cell nhsuk-table__cell--numeric">\n        <b>1</b>' in found
