"""Validate chunks of a tidy table with pandera, and map labels onto codes.

:class:`ChunkValidator` takes a chunk of text columns (from
:mod:`wfplan.dataset.readers`) and returns it typed, with every problem as an
:class:`Issue` naming the file, row, column, value and rule.

Each cell is typed by rules of wfplan's own, the same for every file: a number
is written in decimal (``1234``, ``-2.5``, ``1e3``, ``1,234``), a date as
``YYYY-MM-DD``, ``YYYY-MM`` (that month's last day) or ``dd/mm/yyyy``. A cell
that breaks its type is one error; it never also counts as empty or out of
range. Pandera then checks the typed chunk against the schema built from
``tables.csv``: types, required cells, ranges, whole numbers. Labels are mapped
onto codes through the code lists.

Key and date columns hold few distinct values, so their cleaning, date
parsing and code mapping run once per distinct value of the chunk. Duplicate
keys are checked across the whole vintage by the ingest, in the database,
because a chunk cannot see the rows of other chunks or earlier files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from pandera.errors import SchemaErrors

from wfplan.dataset import codelists
from wfplan.dataset.schema import ColumnSpec, TableSpec

#: Publication markers for a suppressed or unavailable figure; stored as NULL.
SUPPRESSION_MARKERS = ("*", "-", "..", ":", "x", "[c]", "[x]", "[z]")
#: Code lists whose values drive logic: an unknown value is an error, not a warning.
STRICT_CODELISTS = frozenset({"area_level", "sector", "direction", "route"})
#: Code lists whose known values come from the store rather than the package.
STORE_CODELISTS = frozenset({"organisation", "area"})
#: Errors of one chunk kept with their details; the rest are only counted.
MAX_ISSUES = 50

#: The largest whole number a double holds exactly; integer cells are parsed as doubles.
_EXACT_INTEGER = 2**53
_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?)?$")
_TEXT = pd.StringDtype("pyarrow")
_PANDERA_DTYPES: dict[str, Any] = {"text": _TEXT, "date": "datetime64[ns]", "integer": "float64",
                   "double": "float64"}
_TYPE_WORDS = {"date": "a valid date (YYYY-MM-DD or YYYY-MM)", "integer": "a whole number",
               "double": "a number", "text": "text"}


@dataclass(frozen=True)
class Issue:
    """One problem with one cell (or row, or file) of an input file."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    severity: str = "error"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        value = "" if self.value is None else f"value {self.value!r}: "
        return f"{', '.join(where)}: {value}{self.rule}"


@dataclass
class Unmapped:
    """Values of one column that match no code: kept as given, counted, warned about."""

    table: str
    column: str
    value: str
    rows: int
    first_row: int


@dataclass
class ChunkResult:
    """A validated chunk: the typed rows (``None`` if any error) and what was found.

    ``errors`` holds the first :data:`MAX_ISSUES` errors of the chunk, in row
    order; ``error_count`` counts them all.
    """

    frame: pd.DataFrame | None
    errors: list[Issue] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)
    error_count: int = 0


def _checks(col: ColumnSpec) -> list[pa.Check]:
    checks: list[pa.Check] = []
    if col.min is not None:
        checks.append(pa.Check.ge(col.min, error=f"must be ≥ {col.min:g} (rule: {col.name} ≥ "
                                                  f"{col.min:g})"))
    if col.max is not None:
        checks.append(pa.Check.le(col.max, error=f"must be ≤ {col.max:g} (rule: {col.name} ≤ "
                                                  f"{col.max:g})"))
    if col.type == "integer":
        checks.append(pa.Check(lambda s: s % 1 == 0, name="whole_number",
                               error="must be a whole number (rule: whole_number)"))
        checks.append(pa.Check(lambda s: s.abs() < _EXACT_INTEGER, name="exact_integer",
                               error=f"must be at most {_EXACT_INTEGER - 1:,} in size (rule: "
                                     "whole numbers are stored exactly below 2^53)"))
    return checks


def pandera_schema(spec: TableSpec) -> pa.DataFrameSchema:
    """Return the pandera schema of a tidy table (types, ranges, required cells)."""
    columns = {
        col.name: pa.Column(
            _PANDERA_DTYPES[col.type],
            checks=_checks(col),
            nullable=not (col.required and col.role != "measure"),
            coerce=True,
            required=True,
        )
        for col in spec.columns
    }
    return pa.DataFrameSchema(columns, strict=False, name=spec.name)


@dataclass
class _Typed:
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


class ChunkValidator:
    """Validate and type the chunks of one file for one tidy table.

    Parameters
    ----------
    spec : TableSpec
        The table the rows go to.
    file : str
        The file name, for messages.
    known : mapping of str to set of str
        Known codes for the code lists held in the store (``organisation``, ``area``).
    """

    def __init__(self, spec: TableSpec, file: str, known: Mapping[str, set[str]]) -> None:
        self.spec = spec
        self.file = file
        self.known = known
        self.schema = pandera_schema(spec)

    def validate(self, chunk: pd.DataFrame) -> ChunkResult:
        """Validate one chunk of text columns indexed by data row number."""
        result = ChunkResult(frame=None)
        index = chunk.index
        suppressed = np.zeros(len(chunk), dtype=bool)
        typed: dict[str, _Typed] = {}
        for col in self.spec.columns:
            if col.name not in chunk.columns:
                typed[col.name] = _absent(col, index)
                continue
            text = _arrow_text(chunk[col.name])
            if col.role == "measure":
                text, marked = _unsuppress(text)
                suppressed |= marked
                typed[col.name] = _numbers(text, index)
            else:
                typed[col.name] = self._by_value(col, text, index, result)
        frame = pd.DataFrame({name: t.values for name, t in typed.items()}, index=index)
        problems = [_type_problems(self.spec, name, t, index) for name, t in typed.items()]
        try:
            frame = self.schema.validate(frame, lazy=True)
        except SchemaErrors as exc:
            problems.append(self._schema_problems(exc.failure_cases, index))
        self._report(problems, typed, index, result)
        if result.error_count:
            return result
        for col in self.spec.columns:
            if col.type == "integer":
                frame[col.name] = frame[col.name].astype("Int64")
            elif col.type == "date":
                frame[col.name] = _as_dates(frame[col.name])
        frame["suppressed"] = suppressed
        frame["source_row"] = index.to_numpy(dtype=np.int64)
        result.frame = frame
        return result

    def _by_value(self, col: ColumnSpec, text: pyarrow.Array, index: pd.Index,
                  result: ChunkResult) -> _Typed:
        """Clean, parse and map a key or attribute column once per distinct value."""
        encoded = text.dictionary_encode()
        positions = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        cleaned = [_clean(v) for v in encoded.dictionary.to_pylist()]
        bad_values: list[int] = []
        if col.type == "date":
            days = [_parse_date(v) for v in cleaned]
            bad_values = [i for i, (v, d) in enumerate(zip(cleaned, days, strict=True))
                          if v is not None and d is None]
            lookup = np.array([*days, None], dtype="datetime64[ns]")
            values = pd.Series(lookup[positions], index=index)
        else:
            codes = (self._map_codes(col, cleaned, positions, index, result) if col.codelist
                     else cleaned)
            mapped = pc.take(pyarrow.array(codes, type=pyarrow.string()), encoded.indices)
            values = pd.Series(pd.arrays.ArrowStringArray(mapped), index=index)
        bad = np.isin(positions, bad_values) if bad_values else np.zeros(len(index), dtype=bool)
        return _Typed(values, bad, distinct=cleaned, positions=positions)

    def _map_codes(self, col: ColumnSpec, values: list[str | None], positions: np.ndarray,
                   index: pd.Index, result: ChunkResult) -> list[str | None]:
        """Return the code of each distinct value; count or flag the values that match none."""
        assert col.codelist is not None
        if col.codelist in STORE_CODELISTS:
            known = self.known.get(col.codelist, set())
            codes = [v.upper() if v is not None and v.upper() in known else None
                     for v in values]
        else:
            codelist = codelists.get(col.codelist)
            codes = [None if v is None else codelist.code_for(v) for v in values]
        unknown: dict[str, list[int]] = {}
        for i, (value, code) in enumerate(zip(values, codes, strict=True)):
            if value is not None and code is None:
                unknown.setdefault(value, []).append(i)
        if unknown:
            # One pass over the rows for all unknown values, not one per value.
            present = positions >= 0  # -1 marks an empty cell
            counts = np.bincount(positions[present], minlength=len(values))
            seen, first_at = np.unique(positions, return_index=True)
            first = dict(zip(seen.tolist(), first_at.tolist(), strict=True))
        for value, ids in unknown.items():
            row_count = int(counts[ids].sum())
            first_row = int(index[min(first[i] for i in ids if i in first)])
            if col.codelist in STRICT_CODELISTS:
                allowed = ", ".join(codelists.get(col.codelist).codes)
                result.errors.append(Issue(self.file, first_row, col.name, value,
                                           f"is not one of: {allowed} (rule: known "
                                           f"{col.codelist})"))
                result.error_count += 1
            else:
                result.unmapped.append(Unmapped(self.spec.name, col.name, value,
                                                row_count, first_row))
        return [v if c is None else c for v, c in zip(values, codes, strict=True)]

    def _schema_problems(self, failures: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
        """Return pandera's failure cases as problems: row, column, rule."""
        names = list(self.spec.column_names)
        columns = failures["column"].where(failures["column"].isin(names))
        return pd.DataFrame({
            "row": pd.to_numeric(failures["index"], errors="coerce"),
            "order": columns.map({n: i for i, n in enumerate(names)}).astype("float64"),
            "column": columns,
            "rule": [self._rule(c, str(check)) for c, check in
                     zip(columns, failures["check"], strict=True)],
        })

    def _rule(self, column: object, check: str) -> str:
        if check == "not_nullable":
            return "is required but empty (rule: required)"
        if check.startswith(("coerce_dtype", "dtype")) and isinstance(column, str):
            col = self.spec.column(column)
            return f"must be {_TYPE_WORDS[col.type]} (rule: type {col.type})"
        return check

    def _report(self, problems: list[pd.DataFrame], typed: dict[str, _Typed], index: pd.Index,
                result: ChunkResult) -> None:
        """Add the problems to the result, in row order, without counting a cell twice."""
        found = pd.concat([p for p in problems if not p.empty] or [_no_problems()],
                          ignore_index=True)
        found = found.drop_duplicates(subset=["row", "column"], keep="first")
        result.error_count += len(found)
        found = found.sort_values(["row", "order"], na_position="first", kind="stable")
        for row, column, rule in found[["row", "column", "rule"]].head(MAX_ISSUES).itertuples(
                index=False):
            number = None if pd.isna(row) else int(row)
            value = None
            if isinstance(column, str) and number is not None:
                value = typed[column].cell(_position(index, number))
            result.errors.append(Issue(self.file, number, column if isinstance(column, str)
                                       else None, value, str(rule)))
        result.errors.sort(key=lambda i: (i.row or 0, self.spec.column_names.index(i.column)
                                          if i.column in self.spec.column_names else -1))
        del result.errors[MAX_ISSUES:]


def _position(index: pd.Index, row: int) -> int:
    """Return the position of a row number in a chunk's index."""
    found = index.get_loc(row)
    return found if isinstance(found, int) else int(np.flatnonzero(index == row)[0])


def _no_problems() -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series(dtype="float64"), "order": pd.Series(dtype="float64"),
                         "column": pd.Series(dtype=object), "rule": pd.Series(dtype=object)})


def _type_problems(spec: TableSpec, name: str, typed: _Typed, index: pd.Index) -> pd.DataFrame:
    """Return one problem per cell of a column that broke its type."""
    if not typed.bad.any():
        return _no_problems()
    col = spec.column(name)
    rows = index.to_numpy()[typed.bad]
    return pd.DataFrame({
        "row": rows.astype("float64"),
        "order": float(spec.column_names.index(name)),
        "column": name,
        "rule": f"must be {_TYPE_WORDS[col.type]} (rule: type {col.type})",
    })


def _arrow_text(column: pd.Series) -> pyarrow.Array:
    """Return a column as one Arrow string array (nulls for missing cells)."""
    text = pyarrow.array(column.astype(_TEXT))
    if isinstance(text, pyarrow.ChunkedArray):
        text = text.combine_chunks()
    return text if text.type == pyarrow.string() else text.cast(pyarrow.string())


def _absent(col: ColumnSpec, index: pd.Index) -> _Typed:
    """Return a column the file does not have: every cell empty."""
    nulls = pyarrow.nulls(len(index), pyarrow.string())
    empty: pd.Series
    if col.type == "text":
        empty = pd.Series(pd.arrays.ArrowStringArray(nulls), index=index)
    elif col.type == "date":
        empty = pd.Series(np.full(len(index), np.datetime64("NaT", "ns")), index=index)
    else:
        empty = pd.Series(np.full(len(index), np.nan), index=index)
    return _Typed(empty, np.zeros(len(index), dtype=bool), text=nulls)


def _clean(value: str | None) -> str | None:
    """Return a cell without surrounding spaces; an empty cell is ``None``."""
    if value is None:
        return None
    value = value.strip()
    return value or None


def _parse_date(value: str | None) -> np.datetime64 | None:
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


def _unsuppress(text: pyarrow.Array) -> tuple[pyarrow.Array, np.ndarray]:
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


def _numbers(text: pyarrow.Array, index: pd.Index) -> _Typed:
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
    return _Typed(pd.Series(values, index=index, dtype="float64"), bad, text=text)


def _as_dates(values: pd.Series) -> pd.Series:
    """Return datetime64 days as Arrow ``date32`` (a DATE in the store, no time part)."""
    days = pyarrow.array(values, from_pandas=True).cast(pyarrow.date32())
    return pd.Series(pd.arrays.ArrowExtensionArray(days), index=values.index)
