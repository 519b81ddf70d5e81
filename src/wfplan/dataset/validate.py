"""Validate chunks of a tidy table with pandera, and map labels onto codes.

:class:`ChunkValidator` takes a chunk of text columns (from
:mod:`wfplan.dataset.readers`) and returns it typed, with every problem as an
:class:`Issue` naming the file, row, column, value and rule. Types, ranges and
required cells are checked by a pandera schema built from ``tables.csv``;
labels are mapped onto codes through the code lists. Duplicate keys are
checked across the whole vintage by the ingest, in the database, because a
chunk cannot see the rows of other chunks or earlier files.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from wfplan.dataset import codelists
from wfplan.dataset.schema import ColumnSpec, TableSpec

#: Publication markers for a suppressed or unavailable figure; stored as NULL.
SUPPRESSION_MARKERS = ("*", "-", "..", ":", "x", "[c]", "[x]", "[z]")
#: Code lists whose values drive logic: an unknown value is an error, not a warning.
STRICT_CODELISTS = frozenset({"area_level", "sector", "direction", "route"})
#: Code lists whose known values come from the store rather than the package.
STORE_CODELISTS = frozenset({"organisation", "area"})

_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
_PANDERA_DTYPES = {"text": "string[pyarrow]", "date": "datetime64[ns]", "integer": "float64",
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
    """A validated chunk: the typed rows (``None`` if any error) and what was found."""

    frame: pd.DataFrame | None
    errors: list[Issue] = field(default_factory=list)
    unmapped: list[Unmapped] = field(default_factory=list)


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
    """

    def __init__(self, spec: TableSpec, file: str, known: Mapping[str, set[str]]) -> None:
        self.spec = spec
        self.file = file
        self.known = known
        self.schema = pandera_schema(spec)

    def validate(self, chunk: pd.DataFrame) -> ChunkResult:
        """Validate one chunk of text columns indexed by data row number."""
        frame = pd.DataFrame(index=chunk.index)
        result = ChunkResult(frame=None)
        suppressed = np.zeros(len(chunk), dtype=bool)
        for col in self.spec.columns:
            text = _clean_text(chunk[col.name]) if col.name in chunk else _empty(chunk.index)
            if col.role == "measure":
                text, marked = _unsuppress(text)
                suppressed |= marked
            elif col.type == "date":
                text = _iso_dates(text)
            if col.codelist:
                text = self._map_codes(col, text, result)
            frame[col.name] = text
        try:
            typed = self.schema.validate(frame, lazy=True)
        except SchemaErrors as exc:
            result.errors.extend(self._issues(exc.failure_cases, frame))
            return result
        if result.errors:
            return result
        for col in self.spec.columns:
            if col.type == "integer":
                typed[col.name] = typed[col.name].astype("Int64")
            elif col.type == "date":
                typed[col.name] = typed[col.name].dt.date
        typed["suppressed"] = suppressed
        typed["source_row"] = typed.index.to_numpy(dtype=np.int64)
        result.frame = typed
        return result

    def _map_codes(self, col: ColumnSpec, text: pd.Series, result: ChunkResult) -> pd.Series:
        assert col.codelist is not None
        values = text.dropna().unique()
        if col.codelist in STORE_CODELISTS:
            known = self.known.get(col.codelist, set())
            mapping = {v: v.upper() for v in values if v.upper() in known}
        else:
            codes = codelists.get(col.codelist)
            mapping = {v: c for v in values if (c := codes.code_for(v)) is not None}
        unknown = [v for v in values if v not in mapping]
        if not unknown:
            return text.map(mapping).astype("string[pyarrow]") if mapping else text
        for value in unknown:
            rows = text.index[text == value]
            if col.codelist in STRICT_CODELISTS:
                allowed = ", ".join(codelists.get(col.codelist).codes)
                result.errors.append(
                    Issue(self.file, int(rows[0]), col.name, str(value),
                          f"is not one of: {allowed} (rule: known {col.codelist})")
                )
            else:
                result.unmapped.append(
                    Unmapped(self.spec.name, col.name, str(value), len(rows), int(rows[0]))
                )
        mapped = text.map(mapping).astype("string[pyarrow]")
        return mapped.where(mapped.notna(), text)

    def _issues(self, failures: pd.DataFrame, frame: pd.DataFrame) -> list[Issue]:
        issues = []
        for case in failures.itertuples(index=False):
            column = None if pd.isna(case.column) else str(case.column)
            row = None if pd.isna(case.index) else int(case.index)
            value = None
            if column in frame.columns and row is not None:
                raw = frame.at[row, column]
                value = None if pd.isna(raw) else str(raw)
            issues.append(Issue(self.file, row, column, value, self._rule(column, str(case.check))))
        issues.sort(key=lambda i: (i.row or 0, self.spec.column_names.index(i.column)
                                   if i.column in self.spec.column_names else 0))
        return issues

    def _rule(self, column: str | None, check: str) -> str:
        col = self.spec.column(column) if column in self.spec.column_names else None
        if check.startswith("coerce_dtype") and col is not None:
            return f"must be {_TYPE_WORDS[col.type]} (rule: type {col.type})"
        if check == "not_nullable":
            return "is required but empty (rule: required)"
        return check


def _empty(index: pd.Index) -> pd.Series:
    return pd.Series(pd.NA, index=index, dtype="string[pyarrow]")


def _clean_text(text: pd.Series) -> pd.Series:
    text = text.astype("string[pyarrow]").str.strip()
    return text.mask(text == "")


def _unsuppress(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Return measure text with markers as NULL, the marked rows, and no thousands commas."""
    marked = text.isin(SUPPRESSION_MARKERS).to_numpy(dtype=bool, na_value=False)
    if marked.any():
        text = text.mask(marked)
    if text.str.contains(",", regex=False).any():
        commas = text.str.match(_THOUSANDS).fillna(False).astype(bool)
        text = text.where(~commas, text.str.replace(",", "", regex=False))
    return text, marked


def _iso_dates(text: pd.Series) -> pd.Series:
    """Turn ``YYYY-MM`` into that month's last day and ``dd/mm/yyyy`` into ISO."""
    if text.str.match(_YEAR_MONTH).any():
        month = text.str.match(_YEAR_MONTH).fillna(False).astype(bool)
        ends = pd.to_datetime(text[month] + "-01", errors="coerce") + pd.offsets.MonthEnd(0)
        text = text.copy()
        iso = ends.dt.strftime("%Y-%m-%d").astype("string[pyarrow]")
        text[month] = iso.where(ends.notna(), text[month])
    if text.str.match(_DMY).any():
        text = text.str.replace(_DMY, r"\3-\2-\1", regex=True)
    return text
