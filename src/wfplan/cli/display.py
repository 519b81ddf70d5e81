"""How the command line shows figures: tables that fit the terminal, names, numbers.

Over 400 lines (issue 10 allows it with a reason): the table layout and the fast
column-at-a-time cell formatting it relies on are kept together, so the two ways of
building a row (one line, or wrapped) cannot drift apart.

- :func:`print_table` lays a table out for the console's width. A number is
  never cut: text columns (names, evidence) wrap first; if the table still does
  not fit, its columns are split over several tables, each repeating the
  columns that name a row (the area, the staff group). Rich draws the boxes,
  but the layout is done here, over plain strings: Rich's own table layout
  measures every cell and took 30 s for the 8,741 rows of ``wfplan metrics
  --level org``.
- Codes are shown by their names from the code lists (staff groups, sectors,
  roles, grades); CSV and JSON keep the codes.
- Numbers are shown without float noise or ``-0.0``; CSV cells hold a number
  or nothing (:func:`csv_text`), and JSON numbers are rounded the same way
  (:func:`tidy_json`).
"""

from __future__ import annotations

import math
import numbers
import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd
from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment

from wfplan.dataset import codelists
from wfplan.report.format import SUPPRESSED
from wfplan.report.headings import METRIC_HEADINGS
from wfplan.spreadsheet import csv_safe

#: Significant digits kept in CSV and JSON numbers: enough for any figure the
#: data holds (FTE to two decimals up to the billions), few enough to drop the
#: noise of floating-point sums (363613.46000006964 → 363613.46).
SIGNIFICANT = 12
#: Shown names for values that are not in a code list, by column (sectors' are in
#: :data:`wfplan.dataset.codelists.SECTOR_OTHER_NAMES`).
OTHER_NAMES = {"staff_group": {"all": "All staff groups"}}
#: Columns that name a row: kept in every part when a table is split.
KEY_COLUMNS = ("area_code", "area_name", "scenario", "staff_group", "role", "grade", "table",
               "sector", "dimension", "name")
#: Text columns that may wrap over several lines.
WRAP_COLUMNS = ("area_name", "gap", "evidence", "examples", "detail", "source", "publication",
                "regions_without_data", "title")
#: Narrowest a wrapping text column gets before the table is split.
MIN_WRAP = 16


@dataclass(frozen=True)
class Column:
    """One column of a terminal table."""

    heading: str
    right: bool = False
    key: bool = False
    wrap: bool = False


def missing(value: object) -> bool:
    """Return whether a value is missing (None, NaN, NA, NaT)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def fixed(value: float, digits: int = 0, *, sign: bool = False) -> str:
    """Format a number with thousands separators and ``digits`` decimals, never ``-0``.

    A missing number is ``n/a``.
    """
    if missing(value):
        return "n/a"
    text = f"{value:{'+' if sign else ''},.{digits}f}"
    return text.lstrip("+-") if not text.strip("+-0.,") else text


def number(value: float) -> float | int:
    """Return ``value`` rounded to :data:`SIGNIFICANT` digits (an int if whole)."""
    if isinstance(value, numbers.Integral):
        return int(value)
    rounded = float(f"{value:.{SIGNIFICANT}g}")
    if rounded == 0:
        return 0
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded


@cache
def _names() -> dict[str, dict[str, str]]:
    groups = codelists.staff_group_labels()
    return {
        "staff_group": groups,
        "sector": codelists.sector_names(),
        "role": {r["code"]: r["name"] for r in codelists.get("role").rows},
        "grade": {r["code"]: r["name"] for r in codelists.get("grade").rows},
    }


def name_of(column: str, code: object) -> str:
    """Return the name of a code in a code-listed column (``staff_group``, ``sector``…)."""
    text = str(code)
    return (_names().get(column, {}).get(text) or OTHER_NAMES.get(column, {}).get(text)
            or text)


def named(column: str) -> bool:
    """Return whether a column holds codes that are shown by their names."""
    return column in _names()


# -- tables that fit the console --------------------------------------------------


def _width(text: str) -> int:
    """Return the cells ``text`` takes on a terminal (its length, for ASCII text)."""
    return len(text) if text.isascii() else cell_len(text)


def _words(text: str) -> int:
    return max((_width(w) for w in text.split()), default=0)


def _bounds(column: Column, cells: Sequence[str]) -> tuple[int, int]:
    """Return the (narrowest, natural) width of a column."""
    widest = max((_width(c) for c in cells), default=0)
    natural = max(widest, _width(column.heading))
    if column.wrap:
        return max(_words(column.heading), min(natural, MIN_WRAP)), natural
    return max(widest, _words(column.heading)), natural


def _widen(widths: dict[int, int], bounds: Sequence[tuple[int, int]], spare: int) -> None:
    """Share ``spare`` columns among ``widths``, in proportion to what each lacks."""
    lacking = {j: bounds[j][1] - w for j, w in widths.items() if bounds[j][1] > w}
    total = sum(lacking.values())
    if total <= spare:
        for j, extra in lacking.items():
            widths[j] += extra
        return
    for j, extra in lacking.items():
        share = extra * spare // total
        widths[j] += share
    left = spare - sum(extra * spare // total for extra in lacking.values())
    for j in sorted(lacking, key=lambda j: widths[j] - bounds[j][1])[:left]:
        widths[j] += 1


def _balanced(items: list[int], sizes: list[int], room: int) -> list[list[int]]:
    """Split ``items`` in order into the fewest parts of at most ``room``, evenly.

    Among the splits into the fewest parts, the one with the least sum of
    squared part sizes: the parts come out about equal, not full ones and a
    last one holding a single column. An item bigger than ``room`` is a part
    of its own.
    """
    if not items:
        return [[]]
    n = len(items)
    start = [0] * (n + 1)
    for i, size in enumerate(sizes):
        start[i + 1] = start[i] + size

    def fits(i: int, j: int) -> bool:
        return j - i == 1 or start[j] - start[i] <= room

    inf = (n + 1, float("inf"))
    best: list[tuple[int, float]] = [(0, 0.0), *[inf] * n]
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(j):
            if best[i] != inf and fits(i, j):
                trial = (best[i][0] + 1, best[i][1] + (start[j] - start[i]) ** 2)
                if trial < best[j]:
                    best[j], cut[j] = trial, i
    parts, j = [], n
    while j > 0:
        parts.append(items[cut[j]:j])
        j = cut[j]
    return parts[::-1]


def _frame(widths: Sequence[int]) -> int:
    return sum(widths) + 3 * len(widths) + 1


def layout(columns: Sequence[Column], rows: Sequence[Sequence[str]],
           width: int) -> list[list[tuple[int, int]]]:
    """Split columns into parts that fit ``width``: each part lists (column, width).

    Key columns are in every part. A number column is never narrower than its
    widest cell (a text column may wrap, breaking a word only if it must); a
    part holds at least one column that is not a key, even if it then
    overflows a very narrow console.
    """
    bounds = [_bounds(c, [r[i] for r in rows]) for i, c in enumerate(columns)]
    if _frame([b[1] for b in bounds]) <= width:
        return [[(i, b[1]) for i, b in enumerate(bounds)]]
    keys = [i for i, c in enumerate(columns) if c.key]
    rest = [i for i, c in enumerate(columns) if not c.key]
    room = width - _frame([bounds[j][0] for j in keys])
    parts = _balanced(rest, [bounds[j][0] + 3 for j in rest], room)
    out = []
    for part in parts:
        chosen = sorted({*keys, *part})
        widths = {j: bounds[j][0] for j in chosen}
        _widen(widths, bounds, max(0, width - _frame(list(widths.values()))))
        out.append([(j, widths[j]) for j in chosen])
    return out


def _lines(text: str, width: int, wrap: bool) -> list[str]:
    if not wrap or _width(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_on_hyphens=False) or [""]


def _pad(text: str, width: int, right: bool) -> str:
    space = " " * max(0, width - _width(text))
    return space + text if right else text + space


@dataclass(frozen=True)
class _Lines:
    """Lines of text printed as they are: Rich writes them without measuring or wrapping."""

    lines: Sequence[str]
    style: str | None = None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """Yield each line and a line break."""
        style = console.get_style(self.style) if self.style else None
        for line in self.lines:
            yield Segment(line, style)
            yield Segment.line()


def _render(console: Console, columns: Sequence[Column], rows: Sequence[Sequence[str]],
            part: Sequence[tuple[int, int]]) -> tuple[_Lines, _Lines]:
    """Return the table's heading lines (bold) and its body lines."""
    edges = box.HEAVY_HEAD.substitute(console.options)
    widths = [w + 2 for _, w in part]

    def block(cells: Sequence[str], wrap: Callable[[int], bool], left: str, mid: str,
              right: str) -> list[str]:
        split = [_lines(cells[j], w, wrap(j)) for j, w in part]
        height = max(len(s) for s in split)
        return [left + mid.join(
            " " + _pad(s[k] if k < len(s) else "", w, columns[j].right) + " "
            for s, (j, w) in zip(split, part, strict=True)) + right for k in range(height)]

    head = block([c.heading for c in columns], lambda _j: True, edges.head_left,
                 edges.head_vertical, edges.head_right)
    body = [edges.get_row(widths, "head")]
    single = _single_lines(columns, rows, part, edges.mid_left, edges.mid_vertical,
                           edges.mid_right)
    for row, line in zip(rows, single, strict=True):
        if line is not None:
            body.append(line)
        else:
            body += block(row, lambda j: columns[j].wrap, edges.mid_left, edges.mid_vertical,
                          edges.mid_right)
    body.append(edges.get_bottom(widths))
    return _Lines([edges.get_top(widths), *head], "bold"), _Lines(body)


def _single_lines(columns: Sequence[Column], rows: Sequence[Sequence[str]],
                  part: Sequence[tuple[int, int]], left: str, mid: str,
                  right: str) -> list[str | None]:
    """Return each row's line where it fits on one (None where a cell wraps).

    The same text :func:`_render`'s ``block`` writes for such a row, built a
    column at a time (each column's cells padded in one pass).
    """
    padded = []
    fits = [True] * len(rows)
    for j, width in part:
        column = columns[j]
        cells = [row[j] for row in rows]
        sizes = [_width(cell) for cell in cells]
        if column.wrap:
            fits = [ok and size <= width for ok, size in zip(fits, sizes, strict=True)]
        if column.right:
            padded.append([" " + " " * max(0, width - size) + cell + " "
                           for cell, size in zip(cells, sizes, strict=True)])
        else:
            padded.append([" " + cell + " " * max(0, width - size) + " "
                           for cell, size in zip(cells, sizes, strict=True)])
    if not padded:
        return [None] * len(rows)
    return [left + mid.join(line) + right if ok else None
            for line, ok in zip(zip(*padded, strict=True), fits, strict=True)]


def print_table(console: Console, title: str, columns: Sequence[Column],
                rows: Sequence[Sequence[str]], caption: str | None = None) -> None:
    """Print a table that fits the console: split over several if it must be."""
    parts = layout(columns, rows, console.width)
    for number_, part in enumerate(parts, start=1):
        shown = title if len(parts) == 1 else f"{title} ({number_} of {len(parts)})"
        console.print(shown, style="italic", highlight=False, markup=False)
        head, body = _render(console, columns, rows, part)
        console.print(head, soft_wrap=True)
        console.print(body, soft_wrap=True)
    if caption:
        console.print(caption, highlight=False, markup=False)


# -- frames ---------------------------------------------------------------------------


def frame_table(console: Console, frame: pd.DataFrame, title: str,
                headings: Mapping[str, str], cell: Callable[[object, str], str],
                caption: str | None = None, suppressed: pd.DataFrame | None = None,
                cells: Callable[[Iterable[object], str], list[str]] | None = None) -> None:
    """Print a DataFrame with :func:`print_table`: numbers right, names for codes.

    Cells that disclosure control suppressed (``suppressed``, of the frame's shape)
    show as :data:`wfplan.report.format.SUPPRESSED`. ``cells``, if given, formats
    a whole column as ``cell`` formats each of its values (faster).
    """
    names = list(frame.columns)
    numeric = {c for c in names if pd.api.types.is_numeric_dtype(frame[c])
               and not pd.api.types.is_bool_dtype(frame[c])}
    columns = [Column(headings.get(c, c.replace("_", " ")), right=c in numeric,
                      key=c in KEY_COLUMNS, wrap=c in WRAP_COLUMNS) for c in names]
    rows = [list(row) for row in zip(*(_column_cells(frame.iloc[:, k], c, cell, cells)
                                       for k, c in enumerate(names)), strict=True)]
    if suppressed is not None:
        hidden = suppressed[names].to_numpy(dtype=bool)
        rows = [[SUPPRESSED if hide else text for text, hide in zip(row, flags, strict=True)]
                for row, flags in zip(rows, hidden, strict=True)]
    print_table(console, title, columns, rows, caption)


def _column_cells(values: pd.Series, column: str, cell: Callable[[object, str], str],
                  cells: Callable[[Iterable[object], str], list[str]] | None = None
                  ) -> list[str]:
    """Return one column's cells as text: names for codes, else ``cell(value, column)``.

    A column at a time, iterated as :meth:`pandas.DataFrame.itertuples` iterates it
    (``cells(values, column)`` where given).
    """
    if named(column):
        return [cell(v, column) if missing(v) else name_of(column, v) for v in values]
    if cells is not None:
        return cells(values, column)
    return [cell(v, column) for v in values]


def csv_text(frame: pd.DataFrame) -> str:
    """Return a frame as CSV: numbers without float noise, missing values empty.

    Text a spreadsheet would run as a formula (starting ``= + - @``, a tab or a
    carriage return) gets a leading single quote (:func:`wfplan.spreadsheet.csv_safe`).
    """
    out = pd.DataFrame({column: [_csv_cell(v) for v in frame[column].astype(object)]
                        for column in frame.columns}, columns=frame.columns)
    return out.to_csv(index=False, lineterminator="\n")


def _csv_cell(value: object) -> object:
    if missing(value):
        return ""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return str(number(float(value) if not isinstance(value, numbers.Integral)
                          else int(value)))
    return csv_safe(value)


def tidy_json(value: Any) -> Any:
    """Return JSON-ready data with floats rounded as in :func:`csv_text`."""
    if isinstance(value, float):
        return None if math.isnan(value) else number(value)
    if isinstance(value, dict):
        return {k: tidy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [tidy_json(v) for v in value]
    return value


# -- the current-position metrics -------------------------------------------------------


def metric_cell(value: object, column: str) -> str:
    """Format one metric: rates as %, FTE to one decimal, counts whole, missing as n/a."""
    if missing(value):
        return "n/a"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        scale, digits = _metric_format(column)
        return fixed(scale * float(value), digits)
    return str(value)


def metric_cells(values: Iterable[object], column: str) -> list[str]:
    """Return ``[metric_cell(v, column) for v in values]``, the column's format found once."""
    scale, digits = _metric_format(column)
    spec = f",.{digits}f"
    shown = []
    for value in values:
        if value is None or value is pd.NA or value is pd.NaT or (
                isinstance(value, float) and math.isnan(value)):
            shown.append("n/a")
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            scaled = scale * float(value)
            if math.isnan(scaled):  # a NaN that is not a float (NumPy's float32, say)
                shown.append("n/a")
                continue
            text = format(scaled, spec)  # as fixed(): never -0
            shown.append(text.lstrip("+-") if not text.strip("+-0.,") else text)
        else:
            shown.append(str(value))
    return shown


@cache
def _metric_format(column: str) -> tuple[int, int]:
    """Return (scale, decimals) of a metric column: rates as % to one decimal, FTE to one."""
    if METRIC_HEADINGS.get(column, "").endswith("%"):
        return 100, 1
    if column == "fte_per_head":
        return 1, 2
    return 1, 1 if column.endswith("fte") else 0


def metrics_table(console: Console, frame: pd.DataFrame, title: str,
                  suppressed: pd.DataFrame | None = None) -> None:
    """Print a metrics frame (without its ``level`` column) as a terminal table.

    ``suppressed`` marks the cells disclosure control suppressed (``metrics --public``).
    """
    shown = frame.drop(columns=[c for c in ("level",) if c in frame.columns])
    frame_table(console, shown, title, METRIC_HEADINGS, metric_cell, suppressed=suppressed,
                cells=metric_cells)
