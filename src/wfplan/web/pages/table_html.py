"""A page table's HTML, exactly as the NHS.UK frontend's table macro writes it, but fast.

``nhsuk-frontend-jinja``'s ``table`` macro calls several macros per cell; an ICB
page's table of its 248 organisations took most of the page's server time to
render that way (benchmarks/RESULTS.md, issue 14). :func:`table_html` writes the
same characters directly for the tables the pages build
(:class:`~wfplan.web.pages.tables.Table`: a caption with an id, text column
headers, cells of text or a link, numeric cells, the first cell of each row a
row header). A table with text the macro would reflow (leading or trailing
whitespace, or a line break, which its ``trim`` and ``indent`` filters change)
gets None, and ``macros/tables.html`` then calls the macro itself. The test
``tests/dashboard/test_dashboard_table_html.py`` compares the two on every table
of the demo's pages and on tables built to test the edges.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

from wfplan.web.pages.tables import Table

#: Table ids written as they are (the macro's attribute writer is not imitated for others).
_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def _plain(text: str) -> bool:
    """Return whether the macro's ``trim`` and ``indent`` leave ``text`` as it is."""
    return text == text.strip() and len(text.splitlines()) <= 1


#: The keys of a cell this module writes (a cell with another, e.g. classes, goes to the macro).
KEYS = frozenset({"text", "html", "format"})


def _content(item: dict[str, str]) -> str | None:
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


def _cell(item: dict[str, str], header: bool, scope: str) -> str | None:
    """Return one ``<th>`` or ``<td>`` with its indentation, or None (see :func:`_content`)."""
    content = _content(item)
    if content is None:
        return None
    element, name = ("th", "nhsuk-table__header") if header else ("td", "nhsuk-table__cell")
    classes = name + (f" {name}--numeric" if item.get("format") == "numeric" else "")
    scoped = f' scope="{scope}"' if scope else ""
    return (f'      <{element} class="{classes}"{scoped}>\n        {content}\n'
            f"      </{element}>\n")


def table_html(table: Table) -> Markup | None:
    """Return the table as the NHS.UK ``table`` macro writes it, or None where it may differ.

    The macro's parameters are those of ``macros/tables.html``: caption text and
    id, ``head`` and ``body`` of the table, ``firstCellIsHeader``, not responsive,
    the table's id as its attribute.
    """
    caption = str(escape(table.caption))
    if not _plain(caption) or not caption or not _ID.match(table.table_id):
        return None
    parts = [f'<table class="nhsuk-table" id="{table.table_id}">\n'
             f'  <caption class="nhsuk-table__caption" id="{table.table_id}-caption">\n'
             f"    {caption}\n  </caption>\n"]
    head = table.head()
    if head:
        parts.append('  <thead class="nhsuk-table__head">\n    <tr class="nhsuk-table__row">\n')
        for item in head:
            found = _cell(item, True, "col")
            if found is None:
                return None
            parts.append(found)
        parts.append("    </tr>\n  </thead>\n")
    parts.append('  <tbody class="nhsuk-table__body">\n')
    for row in table.body():
        parts.append('    <tr class="nhsuk-table__row">\n')
        for index, item in enumerate(row):
            found = _cell(item, index == 0, "row" if index == 0 else "")
            if found is None:
                return None
            parts.append(found)
        parts.append("    </tr>\n")
    parts.append("  </tbody>\n</table>\n")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped (or the html of a cell)
