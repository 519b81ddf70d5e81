"""A table's HTML, exactly as the NHS.UK frontend's ``table`` macro writes it, but fast.

``nhsuk-frontend-jinja``'s ``table`` macro calls several macros per cell: in the
report, its tables took most of the template's rendering, and an ICB page's table
of its 248 organisations most of the page's server time (benchmarks/RESULTS.md,
issue 14). :func:`table_markup` writes the same characters directly for the
tables the report (:class:`~wfplan.report.views.TableView`) and the pages
(:mod:`wfplan.web.pages.table_html`) build: a caption with an id, text column
headers, cells of text or HTML, numeric cells, the first cell of each row a row
header, not responsive. A table with text the macro would reflow (leading or
trailing whitespace, or a line break, which its ``trim`` and ``indent`` filters
change), or a cell with a key the macro would act on (classes, a link, a span),
gets None, and the template then calls the macro itself. The tests
``tests/test_report_table_html.py`` and
``tests/dashboard/test_dashboard_table_html.py`` compare the two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

#: Table ids written as they are (the macro's attribute writer is not imitated for others).
_ID = re.compile(r"^[A-Za-z0-9_-]+$")
#: The keys of a cell this module writes (a cell with another, e.g. classes, goes to the macro).
KEYS = frozenset({"text", "html", "format"})


def _plain(text: str) -> bool:
    """Return whether the macro's ``trim`` and ``indent`` leave ``text`` as it is."""
    return text == text.strip() and len(text.splitlines()) <= 1


def _content(item: Mapping[str, Any]) -> str | None:
    """Return a cell's HTML as the macro writes it (None if the macro may write it otherwise)."""
    if not KEYS.issuperset(item) or item.get("format") not in (None, "numeric"):
        return None
    if item.get("html"):
        text = str(item["html"])
    elif item.get("text"):
        text = str(escape(item["text"]))
    else:
        text = ""
    return text if _plain(text) else None


def _cell(item: Mapping[str, Any], header: bool, scope: str) -> str | None:
    """Return one ``<th>`` or ``<td>`` with its indentation, or None (see :func:`_content`)."""
    content = _content(item)
    if content is None:
        return None
    element, name = ("th", "nhsuk-table__header") if header else ("td", "nhsuk-table__cell")
    classes = name + (f" {name}--numeric" if item.get("format") == "numeric" else "")
    scoped = f' scope="{scope}"' if scope else ""
    return (f'      <{element} class="{classes}"{scoped}>\n        {content}\n'
            f"      </{element}>\n")


def table_markup(caption: str, table_id: str, head: Sequence[Mapping[str, Any]],
                 rows: Iterable[Sequence[Mapping[str, Any]]]) -> Markup | None:
    """Return the table as the NHS.UK ``table`` macro writes it, or None where it may differ.

    Parameters
    ----------
    caption, table_id
        The caption's text (its id is ``table_id`` and ``-caption``) and the table's id.
    head, rows
        The macro's ``head`` and ``rows``: cells of ``text`` or ``html``, ``format``
        ``"numeric"`` or none; the first cell of each row is its header
        (``firstCellIsHeader``).

    Returns
    -------
    Markup or None
        What ``table({"caption": {"text": caption, "id": ...}, "head": head, "rows": rows,
        "firstCellIsHeader": true, "attributes": {"id": table_id}})`` writes, or None
        when the table has something this function does not write as the macro does.
    """
    shown = str(escape(caption))
    if not _plain(shown) or not shown or not _ID.match(table_id):
        return None
    parts = [f'<table class="nhsuk-table" id="{table_id}">\n'
             f'  <caption class="nhsuk-table__caption" id="{table_id}-caption">\n'
             f"    {shown}\n  </caption>\n"]
    if head:
        parts.append('  <thead class="nhsuk-table__head">\n    <tr class="nhsuk-table__row">\n')
        for item in head:
            found = _cell(item, True, "col")
            if found is None:
                return None
            parts.append(found)
        parts.append("    </tr>\n  </thead>\n")
    parts.append('  <tbody class="nhsuk-table__body">\n')
    for row in rows:
        parts.append('    <tr class="nhsuk-table__row">\n')
        for index, item in enumerate(row):
            found = _cell(item, index == 0, "row" if index == 0 else "")
            if found is None:
                return None
            parts.append(found)
        parts.append("    </tr>\n")
    parts.append("  </tbody>\n</table>\n")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped (or the html of a cell)


def view_markup(view: Any) -> Markup | None:
    """Return a report table (:class:`~wfplan.report.views.TableView`) as :func:`table_markup`."""
    return table_markup(view.caption, view.table_id, view.head, view.rows)
