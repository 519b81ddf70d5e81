"""Cell typing by wfplan's own rules: numbers, dates and suppression markers.

A number is written in decimal (``1234``, ``-2.5``, ``1e3``, ``1,234``); a date
as ``YYYY-MM-DD``, ``YYYY-MM`` (that month's last day) or ``dd/mm/yyyy`` (day
first, as UK publications write it); a suppression marker (``*``, ``-``, ``..``)
in a measure is stored as NULL with the row flagged. Measures are parsed with
pyarrow compute kernels over the whole column; keys and dates once per distinct
value, by :class:`~wfplan.dataset.validate.ChunkValidator`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc

from wfplan.dataset.schema import ColumnSpec

#: Publication markers for a suppressed or unavailable figure; stored as NULL.
SUPPRESSION_MARKERS = ("*", "-", "..", ":", "x", "[c]", "[x]", "[z]")

_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
_TEXT = pd.StringDtype("pyarrow")


@dataclass
class Typed:
    """One column of a chunk: typed values, cells that broke the type, and the cleaned text.

    The text is either one string per row (``text``) or, for columns handled once
    per distinct value, the distinct values and each row's position among them.
    """

    values: pd.Series
    bad: np.ndarray
    text: pyarrow.Array | None = None
    distinct: list[str | None] | None = None
    positions: np.ndarray | None = None

    def cell(self, position: int) -> str | None:
        """Return the cleaned text of the cell at a position of the chunk."""
        if self.text is not None:
            value = self.text[position].as_py()
            return None if value is None else str(value)
        assert self.distinct is not None
        assert self.positions is not None
        at = int(self.positions[position])
        return None if at < 0 else self.distinct[at]


def arrow_text(column: pd.Series) -> pyarrow.Array:
    """Return a column as one Arrow string array (nulls for missing cells)."""
    text = pyarrow.array(column.astype(_TEXT))
    if isinstance(text, pyarrow.ChunkedArray):
        text = text.combine_chunks()
    return text if text.type == pyarrow.string() else text.cast(pyarrow.string())


def absent(col: ColumnSpec, index: pd.Index) -> Typed:
    """Return a column the file does not have: every cell empty."""
    nulls = pyarrow.nulls(len(index), pyarrow.string())
    empty: pd.Series
    if col.type == "text":
        empty = pd.Series(pd.arrays.ArrowStringArray(nulls), index=index)
    elif col.type == "date":
        empty = pd.Series(np.full(len(index), np.datetime64("NaT", "ns")), index=index)
    else:
        empty = pd.Series(np.full(len(index), np.nan), index=index)
    return Typed(empty, np.zeros(len(index), dtype=bool), text=nulls)


def clean(value: str | None) -> str | None:
    """Return a cell without surrounding spaces; an empty cell is ``None``."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def parse_date(value: str | None) -> np.datetime64 | None:
    """Return a date cell as a day, or ``None`` if empty or not a date.

    ``YYYY-MM`` is that month's last day (a census date); ``dd/mm/yyyy`` is read
    day first, as UK publications write it; a midnight time is allowed.
    """
    if value is None:
        return None
    if month := _YEAR_MONTH.match(value):
        year, number = int(month[1]), int(month[2])
        if not 1 <= number <= 12:
            return None
        first_of_next = date(year + number // 12, number % 12 + 1, 1)
        return np.datetime64(first_of_next, "D") - np.timedelta64(1, "D")
    if dmy := _DMY.match(value):
        value = f"{dmy[3]}-{dmy[2]}-{dmy[1]}"
    iso = _ISO_DATE.match(value)
    if iso is None:
        return None
    try:
        return np.datetime64(date.fromisoformat(iso[1]), "D")
    except ValueError:
        return None


def unsuppress(text: pyarrow.Array) -> tuple[pyarrow.Array, np.ndarray]:
    """Return measure text trimmed, with markers as NULL, and no thousands commas.

    Also returns which rows held a suppression marker.
    """
    text = pc.utf8_trim_whitespace(text)
    text = pc.if_else(pc.equal(text, ""), pyarrow.scalar(None, pyarrow.string()), text)
    marked_cells = pc.is_in(text, value_set=pyarrow.array(SUPPRESSION_MARKERS))
    marked = marked_cells.fill_null(False).to_numpy(zero_copy_only=False)
    if marked.any():
        text = pc.if_else(marked_cells, pyarrow.scalar(None, pyarrow.string()), text)
    if pc.any(pc.match_substring(text, ",")).as_py():
        thousands = pc.match_substring_regex(text, _THOUSANDS).fill_null(False)
        text = pc.if_else(thousands, pc.replace_substring(text, ",", ""), text)
    return text, marked


def numbers(text: pyarrow.Array, index: pd.Index) -> Typed:
    """Parse a measure column; cells that are not finite decimal numbers are flagged."""
    null = pyarrow.scalar(None, pyarrow.string())
    try:
        numbers = pc.cast(text, pyarrow.float64())
        ok = pc.all(pc.is_finite(numbers)).as_py() is not False
    except pyarrow.ArrowInvalid:
        ok = False
    if ok:
        bad = np.zeros(len(text), dtype=bool)
    else:
        syntax = pc.match_substring_regex(text, _NUMBER)
        numbers = pc.cast(pc.if_else(syntax, text, null), pyarrow.float64())
        finite = pc.is_finite(numbers)
        bad = pc.and_(pc.is_valid(text), pc.invert(finite.fill_null(False)))
        bad = bad.fill_null(True).to_numpy(zero_copy_only=False)
        numbers = pc.if_else(finite, numbers, pyarrow.scalar(None, pyarrow.float64()))
    values = numbers.to_numpy(zero_copy_only=False)
    return Typed(pd.Series(values, index=index, dtype="float64"), bad, text=text)


def as_dates(values: pd.Series) -> pd.Series:
    """Return datetime64 days as Arrow ``date32`` (a DATE in the store, no time part)."""
    days = pyarrow.array(values, from_pandas=True).cast(pyarrow.date32())
    return pd.Series(pd.arrays.ArrowExtensionArray(days), index=values.index)
