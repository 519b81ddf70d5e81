"""The one toolkit of the publication importers: reading, cell rules, codes and records.

Every importer of a real publication (NHS Digital, NHS England, ONS, ODS)
declares its columns and how they map to wfplan's tables; the machinery they
share is here or in :mod:`wfplan.dataset.importers._publication` (which builds
on it). Cell rules report **every bad cell** with its file, row, column, value
and rule (:class:`BadCells`), the same way the validator reports the cells of
tidy files, so that one run of ``wfplan ingest`` lists every problem of a
file rather than the first column that has one.

Files are read in the one encoding :func:`wfplan.dataset.readers.probe` decided
for them (:mod:`wfplan.dataset.charset`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from wfplan.dataset import codelists, readers
from wfplan.dataset.cells import in_range, parse_date
from wfplan.dataset.importers.headers import duplicate_errors
from wfplan.dataset.readers import FileProbe
from wfplan.dataset.validate import MAX_ISSUES, SUPPRESSION_MARKERS, Issue
from wfplan.errors import InputError

if TYPE_CHECKING:
    from wfplan.dataset.pseudonym import PseudonymKey
    from wfplan.dataset.store import Store


#: Cell values that mean "no value" in publications, besides suppression markers.
MISSING_VALUES = frozenset({"", "NA", "N/A", "NULL", "null", "NaN", "nan", "None"})
#: What ``person_records`` keeps of a record: what flows and distinct counts need.
RECORD_COLUMNS = ("org_code", "staff_group", "role", "age_band")
_CHUNK_ROWS = 200_000
_NUMBER_RULE = "must be a number (rule: type double)"


def column_key(name: object) -> str:
    """Return a header cell as a lookup key: lower case, runs of other characters as ``_``.

    ``Population (thousands)`` → ``population_thousands``; ``90+`` keeps its ``+``
    (an open age band differs from the band ``90``).
    """
    return re.sub(r"[^0-9a-z+]+", "_", readers.normalise_column(name)).strip("_")


# -- bad cells ---------------------------------------------------------------------


class CellErrors(InputError):
    """Cells of one file break rules: every one is listed (up to :data:`MAX_ISSUES`).

    The ingest adds :attr:`issues` to its errors, so that they are located
    (``row 3 (line 4)``) and reported with those of the other files.
    """

    def __init__(self, issues: list[Issue], count: int) -> None:
        self.issues = issues
        self.count = count
        more = f" ({count - len(issues):,} more)" if count > len(issues) else ""
        super().__init__("; ".join(str(i) for i in issues) + more)


class BadCells:
    """Collects the bad cells of one file, then raises them all at once (:meth:`check`)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[Issue] = []
        self.count = 0

    def add(self, text: pd.Series, bad: pd.Series, column: str, rule: str) -> None:
        """Record the cells of ``text`` (indexed by data row) where ``bad`` is true."""
        rows = text.index[bad.to_numpy(dtype=bool)]
        self.count += len(rows)
        room = MAX_ISSUES - len(self.issues)
        self.issues += [Issue(self.file, int(row), column, str(text[row]), rule)
                        for row in rows[:max(room, 0)]]

    def check(self) -> None:
        """Raise :class:`CellErrors` if any cell was bad."""
        if self.count:
            issues = sorted(self.issues, key=lambda i: (i.row or 0, i.column or ""))
            raise CellErrors(issues, self.count)


def parse_numbers(text: pd.Series, file: str, column: str,
                  bad_cells: BadCells | None = None) -> tuple[pd.Series, pd.Series]:
    """Return cell text as floats (NaN where missing or suppressed) and the suppressed mask.

    Thousands separators are removed; suppression markers (``*``, ``..``, ``[c]`` …)
    and missing-value words (``NA``, ``NULL``) become NaN. Every other cell that
    is not a number is a bad cell: added to ``bad_cells`` (to be raised with
    the file's other bad cells), or raised at once as :class:`CellErrors`.
    """
    text = text.astype(str).str.strip()
    suppressed = text.isin(SUPPRESSION_MARKERS)
    missing = text.isin(MISSING_VALUES) | suppressed
    cleaned = text.where(~text.str.fullmatch(r"-?\d{1,3}(,\d{3})+(\.\d+)?"),
                         text.str.replace(",", "", regex=False))
    values = pd.to_numeric(cleaned.where(~missing), errors="coerce")
    bad = values.isna() & ~missing
    if bad.any():
        collector = bad_cells if bad_cells is not None else BadCells(file)
        collector.add(text, bad, column, _NUMBER_RULE)
        if bad_cells is None:
            collector.check()
    return values.astype(float), suppressed


# -- reading ---------------------------------------------------------------------


def read_publication_csv(
    path: Path, encoding: str, *, chunk_rows: int = _CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """Yield a publication CSV as chunks of text, columns named by :func:`column_key`.

    Every cell is text with surrounding spaces removed (empty string when
    blank); the index is the 1-based data row number. Blank lines are skipped
    and short rows (notes under the table) are padded, so that the importer
    can recognise and count them; a row with more fields than the header is an
    error naming the row.
    """
    try:
        reader = pd.read_csv(
            path, dtype=str, keep_default_na=False, na_filter=False, encoding=encoding,
            chunksize=chunk_rows, skip_blank_lines=True, engine="c",
        )
        first = 1
        for chunk in reader:
            chunk.columns = [column_key(c) for c in chunk.columns]
            chunk = chunk.fillna("")
            for col in chunk.columns:
                chunk[col] = chunk[col].astype(str).str.strip()
            chunk.index = pd.RangeIndex(first, first + len(chunk))
            first += len(chunk)
            yield chunk
    except pd.errors.ParserError as exc:
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if found:
            expected, line, saw = (int(g) for g in found.groups())
            raise InputError(
                f"{path}: row {line - 1}: expected {expected} fields but found {saw} (rule: "
                "every row has as many fields as the header; an unquoted comma?)") from None
        raise InputError(f"{path}: cannot read the file as CSV: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: the text is not valid {encoding}: {exc}") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty (no header row)") from None


def read_all(path: Path, encoding: str, columns: Iterable[str]) -> pd.DataFrame:
    """Read a whole publication CSV, keeping ``columns`` (normalised names)."""
    keep = list(columns)
    parts = [chunk[keep] for chunk in read_publication_csv(path, encoding)]
    if not parts:
        return pd.DataFrame(columns=keep)
    return pd.concat(parts)


def find_columns(
    probe: FileProbe, wanted: Mapping[str, tuple[str, ...]]
) -> dict[str, str] | None:
    """Map each wanted field to a normalised header column, trying its aliases in order.

    Returns ``None`` if any field has no column.
    """
    header = {column_key(c) for c in probe.headers.get("", [])}
    found: dict[str, str] = {}
    for field, aliases in wanted.items():
        hit = next((a for a in aliases if a in header), None)
        if hit is None:
            return None
        found[field] = hit
    return found


def header_errors(probe: FileProbe, read: Iterable[str]) -> list[str]:
    """Return an error for each column read (a :func:`column_key`) that the header repeats.

    A publication CSV read by pandas would otherwise keep the first and rename
    the second (``FTE.1``), leaving it unread without a word.
    """
    return duplicate_errors(probe, "", read, column_key)


# -- codes, dates and frames ---------------------------------------------------------


def to_codes(text: pd.Series, codelist: str) -> pd.Series:
    """Map labels to codes where the code list knows them; keep other text as given.

    Text kept as given is flagged by the validator as unmapped (a warning).
    Empty text becomes missing.
    """
    codes = codelists.get(codelist)
    values = text.astype(str).str.strip()
    mapping = {v: codes.code_for(v) or v for v in values.unique() if v}
    return values.map(mapping).astype(object).where(values != "", None)


def period_date(period: str) -> date:
    """Return the census date of a period: ``YYYY-MM`` means the month's last day.

    Read by the rules of every tidy date cell (:func:`wfplan.dataset.cells.parse_date`),
    never through a nanosecond timestamp; the periods given have passed validation.
    """
    day = parse_date(str(period)[:10])
    if day is None or not in_range(day):
        raise ValueError(f"not a census date: {period!r}")
    return date.fromisoformat(str(day))


def month_start(period: str) -> str:
    """Return the first day (ISO) of a ``YYYY-MM`` or ``YYYY-MM-DD`` period."""
    return f"{period[:7]}-01"


def note_rows(frame: pd.DataFrame, key_columns: list[str]) -> pd.Series:
    """Return a mask of rows that are notes or blanks: every key column empty."""
    return (frame[key_columns] == "").all(axis=1)


def text_frame(rows: pd.DataFrame) -> pd.DataFrame:
    """Return a frame whose cells are text (or missing), for the validator."""
    out = rows.copy()
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_float_dtype(values):
            out[col] = values.map(lambda v: None if pd.isna(v) else repr(float(v)))
        elif pd.api.types.is_integer_dtype(values):
            out[col] = values.map(lambda v: None if pd.isna(v) else str(int(v)))
        else:
            out[col] = values.map(lambda v: None if v is None or pd.isna(v) else str(v))
    return out.astype("string[pyarrow]")


# -- record-level data -------------------------------------------------------------


def store_person_records(
    store: Store, vintage: str, ingest_id: int, source: str, records: pd.DataFrame,
    key: PseudonymKey,
) -> pd.Series:
    """Hash ``person_id`` with ``key`` and append the records to the private ``person_records``.

    ``records`` has ``period`` (``YYYY-MM`` or ISO date) and ``person_id``, and
    any of :data:`RECORD_COLUMNS` and ``fte``; nothing else is kept. The raw
    identifiers and the key never reach the database. Returns the hashes,
    aligned with ``records``.
    """
    hashes = key.hash(source, records["person_id"])
    out = pd.DataFrame({
        "vintage": vintage,
        "ingest_id": ingest_id,
        "source": source,
        "period": records["period"].map(period_date),
        "person_hash": hashes,
    }, index=records.index)
    for col in RECORD_COLUMNS:
        out[col] = records[col].astype(object).where(records[col].notna(), None) \
            if col in records else None
    out["fte"] = records["fte"].astype(float) if "fte" in records else np.nan
    store.insert("person_records", pa.Table.from_pandas(out, preserve_index=False))
    return hashes
