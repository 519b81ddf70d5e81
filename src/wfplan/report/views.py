"""Table and figure views: frames turned into numbered, formatted rows for the template."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from wfplan.report import format as fmt
from wfplan.report.charts import Chart

Formatter = Callable[[Any], str]
#: Tables with at most this many rows are kept on one page in the PDF.
KEEP_TOGETHER_ROWS = 18


@dataclass(frozen=True)
class Column:
    """One table column: the frame's column (or a row function), heading and formatter."""

    key: str | Callable[[pd.Series], Any]
    heading: str
    formatter: Formatter = fmt.text
    numeric: bool = False
    html: bool = False


@dataclass
class TableView:
    """A numbered table ready for the template's table macro."""

    table_id: str
    caption: str
    head: list[dict[str, Any]]
    rows: list[list[dict[str, Any]]]
    source: str
    period: str
    notes: list[str] = field(default_factory=list)
    small: bool = False
    number: int = 0
    keep_together: bool = False


@dataclass
class FigureView:
    """A numbered chart with its source line."""

    chart: Chart
    source: str
    period: str
    number: int = 0


class Numbering:
    """Numbers tables and figures in the order they are made."""

    def __init__(self) -> None:
        self.tables = 0
        self.figures = 0

    def table(self, frame: pd.DataFrame, columns: Sequence[Column], table_id: str,
              caption: str, source: str, period: str, notes: Iterable[str] = (),
              small: bool = False) -> TableView:
        """Build a numbered table from a frame; the first column is the row header."""
        self.tables += 1
        head = [{"text": c.heading, "format": "numeric" if c.numeric else None} for c in columns]
        rows = []
        for _, record in frame.iterrows():
            cells = []
            for column in columns:
                raw = column.key(record) if callable(column.key) else record.get(column.key)
                shown = column.formatter(raw)
                cell: dict[str, Any] = {"html": _cell_html(shown, column.html, column.numeric)}
                if column.numeric:
                    cell["format"] = "numeric"
                cells.append(cell)
            rows.append(cells)
        return TableView(table_id, f"Table {self.tables}. {caption}", head, rows, source,
                         period, list(notes), small, self.tables,
                         keep_together=len(rows) <= KEEP_TOGETHER_ROWS)

    def figure(self, chart: Chart, source: str, period: str) -> FigureView:
        """Give a chart the next figure number."""
        self.figures += 1
        return FigureView(chart, source, period, self.figures)


def _cell_html(shown: str, is_html: bool, numeric: bool) -> Markup:
    """Return a cell's markup; in a numeric cell a range in brackets is kept on one line."""
    if is_html:
        return Markup(shown)  # noqa: S704 - built by this package from escaped parts
    central, bracket, rest = str(shown).partition(" (")
    if not (bracket and numeric):
        return escape(shown)
    return escape(central) + Markup(' <span class="wf-nowrap">(') + escape(rest) + Markup(
        "</span>")


_BREAK_AFTER = re.compile(r"([_./\]])")


def code(text: Any) -> str:
    """Return ``text`` escaped in ``<code>``, breakable only after ``_ . / ]`` (for HTML cells).

    Identifiers (parameter names, file names) then wrap between their parts and
    never inside a word (the stylesheet stops other breaks inside ``code``).
    """
    escaped = str(escape(str(text)))
    return '<code class="wf-id">' + _BREAK_AFTER.sub(r"\1<wbr>", escaped) + "</code>"


def hash_html(digest: Any) -> str:
    """Return a hex digest in blocks of eight, breakable only between blocks."""
    text = str(escape(str(digest)))
    blocks = [text[i:i + 8] for i in range(0, len(text), 8)]
    return '<span class="wf-hash">' + "<wbr>".join(blocks) + "</span>"
