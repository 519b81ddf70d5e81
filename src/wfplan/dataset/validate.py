"""Validate chunks of a tidy table with pandera, and map labels onto codes.

:class:`ChunkValidator` takes a chunk of text columns (from
:mod:`wfplan.dataset.readers`) and returns it typed, with every problem as an
:class:`Issue` naming the file, row, column, value and rule.

Each cell is typed by rules of wfplan's own, the same for every file
(:mod:`wfplan.dataset.cells`): a number is written in decimal (``1234``,
``-2.5``, ``1e3``, ``1,234``), a date as ``YYYY-MM-DD``, ``YYYY-MM`` (that
month's last day) or ``dd/mm/yyyy``, between 1948 and 2100, and held as a day
(Arrow ``date32``) whatever its year; text holds no control characters in a
code, and a name has them removed with a warning. A cell that breaks its type
is one error; it never also counts as empty or out of range. Pandera then checks the typed
chunk against the schema built from ``tables.csv``: types, required cells,
ranges, whole numbers. Labels are mapped onto codes through the code lists.
The plausibility checks of ``tables.csv`` (:mod:`wfplan.dataset.checks`) run
on the same chunk; :meth:`ChunkValidator.finish` then reports, for the whole
file, a measure column empty in every row and the warnings of every chunk.

Key and date columns hold few distinct values, so their cleaning, date
parsing and code mapping run once per distinct value of the chunk. Duplicate
keys are checked across the whole vintage by the ingest, in the database,
because a chunk cannot see the rows of other chunks or earlier files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow
import pyarrow.compute as pc
from pandera.errors import SchemaErrors

from wfplan.dataset import codelists
from wfplan.dataset.cells import (
    DATE_RANGE_RULE,
    DATE_TYPE,
    SUPPRESSION_MARKERS,
    Typed,
    absent,
    arrow_text,
    clean,
    dates,
    in_range,
    numbers,
    parse_date,
    unsuppress,
)
from wfplan.dataset.checks import DayFirstDates, Finding, Plausibility
from wfplan.dataset.schema import ColumnSpec, TableSpec

__all__ = ["SUPPRESSION_MARKERS", "ChunkResult", "ChunkValidator", "Issue", "Unmapped",
           "pandera_schema"]

#: Code lists whose values drive logic: an unknown value is an error, not a warning.
STRICT_CODELISTS = frozenset({"area_level", "sector", "direction", "route", "asc_job_role"})
#: Code lists whose known values come from the store rather than the package.
STORE_CODELISTS = frozenset({"organisation", "area"})
#: Errors of one chunk kept with their details; the rest are only counted.
MAX_ISSUES = 50

#: The largest whole number a double holds exactly; integer cells are parsed as doubles.
_EXACT_INTEGER = 2**53
#: Dates are Arrow days (``date32``) throughout: a nanosecond ``datetime64`` holds only the
#: years 1677 to 2262 and wraps around silently outside them.
_PANDERA_DTYPES: dict[str, Any] = {"text": pd.StringDtype("pyarrow"),
                                   "date": pd.ArrowDtype(DATE_TYPE),
                                   "integer": "float64", "double": "float64"}
_TYPE_WORDS = {"date": "a valid date (YYYY-MM-DD, YYYY-MM or dd/mm/yyyy)",
               "integer": "a whole number",
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
    place: str | None = None
    """Where the row is, for a reader: ``row 3 (line 4)`` or ``row 3 (spreadsheet row 5)``."""

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(self.place or f"row {self.row}")
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
    dates : DayFirstDates, optional
        The file's ``dd/mm/yyyy`` dates, shared by the validators of every table of a file.
    """

    def __init__(self, spec: TableSpec, file: str, known: Mapping[str, set[str]],
                 dates: DayFirstDates | None = None) -> None:
        self.spec = spec
        self.file = file
        self.known = known
        self.schema = pandera_schema(spec)
        self.checks = Plausibility(spec, dates or DayFirstDates())
        self._flagged: list[pd.DataFrame] = []

    def finish(self) -> tuple[list[Issue], list[Finding]]:
        """Return the file-level errors and the warnings of every chunk validated."""
        errors, findings = self.checks.finish()
        return [Issue(self.file, None, column, None, rule) for column, rule in errors], findings

    def validate(self, chunk: pd.DataFrame) -> ChunkResult:
        """Validate one chunk of text columns indexed by data row number."""
        result = ChunkResult(frame=None)
        index = chunk.index
        suppressed = np.zeros(len(chunk), dtype=bool)
        typed: dict[str, Typed] = {}
        self._flagged = []
        for col in self.spec.columns:
            if col.name not in chunk.columns:
                typed[col.name] = absent(col, index)
                continue
            text = arrow_text(chunk[col.name])
            if col.role == "measure":
                text, marked = unsuppress(text)
                suppressed |= marked
                self.checks.measure(col.name, len(text) - text.null_count, int(marked.sum()))
                typed[col.name] = numbers(text, index)
            else:
                typed[col.name] = self._by_value(col, text, index, result)
        frame = pd.DataFrame({name: t.values for name, t in typed.items()}, index=index)
        problems = [_type_problems(self.spec, name, t, index) for name, t in typed.items()]
        problems += self._flagged
        given = {name: t.values for name, t in typed.items() if name in chunk.columns}
        problems.append(self.checks.per_head(given, index))
        problems.append(self.checks.pairs(given, index))
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
        frame["suppressed"] = suppressed
        frame["source_row"] = index.to_numpy(dtype=np.int64)
        result.frame = frame
        return result

    def _by_value(self, col: ColumnSpec, text: pyarrow.Array, index: pd.Index,
                  result: ChunkResult) -> Typed:
        """Clean, parse and map a key or attribute column once per distinct value."""
        encoded = text.dictionary_encode()
        positions = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        dictionary = encoded.dictionary
        if col.type == "text":
            dictionary, refused = self.checks.controls(col, dictionary, positions, index)
            self._flagged.append(refused)
        cleaned = [clean(v) for v in dictionary.to_pylist()]
        bad_values: list[int] = []
        if col.type == "date":
            days = [parse_date(v) for v in cleaned]
            bad_values = [i for i, (v, d) in enumerate(zip(cleaned, days, strict=True))
                          if v is not None and d is None]
            far = {i for i, d in enumerate(days) if d is not None and not in_range(d)}
            if far:  # refused, and left out of the checks: one message per cell
                self._flagged.append(_problems(index.to_numpy()[np.isin(positions, list(far))],
                                               self.spec, col.name, DATE_RANGE_RULE))
                days = [None if i in far else d for i, d in enumerate(days)]
            values = dates(days, encoded.indices, index)
            self._flagged.append(self.checks.date_column(col, cleaned, days, positions, index))
        else:
            codes = (self._map_codes(col, cleaned, positions, index, result) if col.codelist
                     else cleaned)
            mapped = pc.take(pyarrow.array(codes, type=pyarrow.string()), encoded.indices)
            values = pd.Series(pd.arrays.ArrowStringArray(mapped), index=index)
        bad = np.isin(positions, bad_values) if bad_values else np.zeros(len(index), dtype=bool)
        return Typed(values, bad, distinct=cleaned, positions=positions)

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

    def _report(self, problems: list[pd.DataFrame], typed: dict[str, Typed], index: pd.Index,
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


def _type_problems(spec: TableSpec, name: str, typed: Typed, index: pd.Index) -> pd.DataFrame:
    """Return one problem per cell of a column that broke its type."""
    if not typed.bad.any():
        return _no_problems()
    col = spec.column(name)
    return _problems(index.to_numpy()[typed.bad], spec, name,
                     f"must be {_TYPE_WORDS[col.type]} (rule: type {col.type})")


def _problems(rows: np.ndarray, spec: TableSpec, name: str, rule: str) -> pd.DataFrame:
    """Return one problem per row, in one column, breaking one rule."""
    return pd.DataFrame({
        "row": rows.astype("float64"),
        "order": float(spec.column_names.index(name)),
        "column": name,
        "rule": rule,
    })


