"""Cell typing by wfplan's own rules: numbers, dates and suppression markers.

A number is written in decimal (``1234``, ``-2.5``, ``1e3``, ``1,234``); a date
as ``YYYY-MM-DD``, ``YYYY-MM`` (that month's last day) or ``dd/mm/yyyy`` (day
first, as UK publications write it), between :data:`FIRST_DATE` and
:data:`LAST_DATE`; a suppression marker (``*``, ``-``, ``..``) in a measure is
stored as NULL with the row flagged. Measures are parsed with pyarrow compute
kernels over the whole column; keys and dates once per distinct value, by
:class:`~wfplan.dataset.validate.ChunkValidator`.

Dates are days (NumPy ``datetime64[D]``, Arrow ``date32``) from the cell to the
store: never nanosecond timestamps, which hold only the years 1677 to 2262 and
wrap around silently outside them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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

#: The earliest and latest date a cell may hold. The NHS began on 5 July 1948, so no NHS
#: census, flow or workforce figure is older than 1948; 2100 is the last year of
#: ``tables.csv``'s year columns (population and survey years). A date outside is a typing
#: error (``2300`` for ``2030``), a placeholder (``9999-12-31`` for "no end") or a misread
#: number; it is refused with its row. (A wfplan rule, not a published one.)
FIRST_DATE = np.datetime64("1948-01-01", "D")
LAST_DATE = np.datetime64("2100-12-31", "D")
#: What a date outside the range is told, with the rule, as messages and the docs state it.
DATE_RANGE_RULE = (f"must be between {FIRST_DATE} and {LAST_DATE} (rule: date range: the NHS "
                   "began in 1948, and wfplan's years end in 2100)")
#: How the documentation states the range (``wfplan template`` and docs/dataset.md).
DATE_RANGE_DOC = (f"a date must lie between {FIRST_DATE} and {LAST_DATE}, or its row is "
                  "refused (rule: date range): the NHS began in July 1948, so no NHS census or "
                  "flow is older, and 2100 is the last year of wfplan's year columns; a date "
                  "outside is a typing error (2300 for 2030) or a placeholder such as "
                  "9999-12-31 for \"no end\" (leave the cell empty instead)")
#: Arrow's type of a date column: days since 1970, for any year.
DATE_TYPE = pyarrow.date32()


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
        empty = pd.Series(pd.arrays.ArrowExtensionArray(pyarrow.nulls(len(index), DATE_TYPE)),
                          index=index)
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
    day first, as UK publications write it; a midnight time is allowed. Every
    year from 1 to 9999 is read (``9999-12`` too); :func:`in_range` says whether
    the day is a plausible one.
    """
    if value is None:
        return None
    if month := _YEAR_MONTH.match(value):
        year, number = int(month[1]), int(month[2])
        if year < 1 or not 1 <= number <= 12:
            return None
        next_month = np.datetime64(f"{year:04d}-{number:02d}", "M") + np.timedelta64(1, "M")
        return next_month.astype("datetime64[D]") - np.timedelta64(1, "D")
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


def in_range(day: np.datetime64) -> bool:
    """Return whether a day lies between :data:`FIRST_DATE` and :data:`LAST_DATE`."""
    return bool(FIRST_DATE <= day <= LAST_DATE)


def dates(days: Sequence[np.datetime64 | None], indices: pyarrow.Array,
          index: pd.Index) -> pd.Series:
    """Return a date column: each row's day among the distinct ``days``, as Arrow ``date32``.

    ``indices`` gives each row's position among ``days`` (null for an empty
    cell); ``None`` days are empty too. No day, whatever its year, is cast
    through a nanosecond timestamp.
    """
    lookup = np.array([np.datetime64("NaT", "D") if d is None else d for d in days],
                      dtype="datetime64[D]")
    values = pc.take(pyarrow.array(lookup, type=DATE_TYPE, from_pandas=True), indices)
    return pd.Series(pd.arrays.ArrowExtensionArray(values), index=index)
