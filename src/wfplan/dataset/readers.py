"""Read tabular files (CSV, XLSX, Parquet) as chunks of text columns.

Readers never load a whole file at once: they yield pandas DataFrames of at
most ``chunk_rows`` rows whose columns are strings (or missing), indexed by
the 1-based data row number (the header is row 0). Typing and validation
happen later, in :mod:`wfplan.dataset.validate`, so that every bad cell can be
reported with its row and column.

Structural problems (an empty file, a file that is not text, a row with the
wrong number of fields) raise :class:`~wfplan.errors.InputError` naming the
file and the row. The text encoding of a CSV file is decided once, by
:func:`probe` (:func:`wfplan.dataset.charset.decide`, which checks every line),
and every reader of the file uses it: :attr:`FileProbe.encoding`.
:func:`row_places` says where a data row is for a reader of the file:
``row 3 (line 4)`` in a CSV file, ``row 3 (spreadsheet row 5)`` in a workbook
whose header is on row 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from wfplan.dataset import charset
from wfplan.dataset.workbook import read_xlsx, unnamed_column, xlsx_headers
from wfplan.errors import InputError, quoted

__all__ = ["FileProbe", "file_kind", "line_place", "normalise_column", "not_utf8", "probe",
           "read_csv", "read_parquet", "read_xlsx", "row_places", "unnamed_column"]

#: The most rows a reader yields at once (looked up at each call, so tests can shrink it).
CHUNK_ROWS = 500_000
SUPPORTED_SUFFIXES = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
#: Bytes the CSV reader parses at a time; chunks are assembled from several blocks.
#: Larger blocks read no faster but make pyarrow hold several times more memory.
_BLOCK_SIZE = 4 << 20


def normalise_column(name: object) -> str:
    """Return a header cell as a column key: lower case, words joined by ``_``."""
    text = str(name or "").replace("\ufeff", "").strip().casefold()
    return re.sub(r"[\s\-/.]+", "_", text).strip("_")


@dataclass
class FileProbe:
    """What format detection sees of a file: its kind, sheets and headers."""

    path: Path
    kind: str
    headers: dict[str, list[str]] = field(default_factory=dict)
    """Raw header cells by sheet name (``""`` for CSV and Parquet)."""
    encoding: str = "utf-8"
    """The one text encoding every reader of a CSV file uses (decided by :func:`probe`)."""
    decoding: charset.Decoding | None = None
    """How the encoding of a CSV file was decided, and which lines disagree with it."""
    header_rows: dict[str, int] = field(default_factory=dict)
    """The spreadsheet row number of each XLSX sheet's header (1 = the first row)."""

    def normalised(self, sheet: str = "") -> list[str]:
        """Return the normalised header of one sheet."""
        return [normalise_column(c) for c in self.headers.get(sheet, [])]


def file_kind(path: Path) -> str:
    """Return ``csv``, ``xlsx`` or ``parquet`` for a path, or raise a clear error."""
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"{path}: unsupported file type {path.suffix!r}; wfplan reads "
            + ", ".join(sorted(SUPPORTED_SUFFIXES))
            + (" (and ICB boundaries from GeoJSON named .geojson)"
               if path.suffix.lower() == ".json" else "")
        )
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return kind


def named_once(paths: Sequence[Path]) -> list[Path]:
    """Return the paths, refusing a folder and a file named twice in one call."""
    seen: dict[Path, Path] = {}
    for given in map(Path, paths):
        if given.is_dir():
            raise InputError(f"{given}: is a folder, not a file (rule: ingest reads files; "
                             f"name the files in it, e.g. {given / '*.csv'})")
        resolved = given.resolve()
        if resolved in seen:
            also = f" (also as {seen[resolved]})" if seen[resolved] != given else ""
            raise InputError(f"{given}: is named twice in this call{also} (rule: each file is "
                             "named once)")
        seen[resolved] = given
    return list(seen.values())


def probe(path: Path, encoding: str = "utf-8") -> FileProbe:
    """Read just enough of a file to detect its format."""
    kind = file_kind(path)
    found = FileProbe(path=path, kind=kind, encoding=encoding)
    if kind == "csv":
        found.decoding = charset.decide(path, encoding)
        found.encoding = found.decoding.encoding
        found.headers[""] = _csv_header(path, found.encoding)
    elif kind == "parquet":
        found.headers[""] = list(_open_parquet(path).schema_arrow.names)
    else:
        for sheet, (header, row) in xlsx_headers(path).items():
            found.headers[sheet] = header
            found.header_rows[sheet] = row
    return found


def row_places(probe: FileProbe, rows: set[int], sheet: str = "",
               headerless: bool = False) -> dict[int, str]:
    """Return where each data row is, as a reader of the file would find it.

    A CSV row gets its line number (blank lines, which are not rows, are
    counted); an XLSX row its spreadsheet row number. A Parquet file has no
    other numbering. The CSV file is read only as far as the last row asked for.
    """
    if probe.kind == "xlsx" and sheet in probe.header_rows:
        top = probe.header_rows[sheet]
        return {r: f"row {r} (spreadsheet row {top + r})" for r in rows}
    if probe.kind != "csv" or not rows:
        return {r: f"row {r}" for r in rows}
    lines = _data_lines(probe.path, max(rows), headerless)
    return {r: f"row {r} (line {lines[r]})" if r in lines else f"row {r}" for r in rows}


def line_place(path: Path, line: int, headerless: bool = False) -> str:
    """Return where a line of a CSV file is, as a data row: ``row 1 (line 2)``."""
    if line == 1 and not headerless:
        return "the header (line 1)"
    row = 0 if headerless else -1
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            row += bool(raw.strip(b"\r\n"))
            if number == line:
                break
    return f"row {row} (line {line})"


def not_utf8(probe: FileProbe, headerless: bool = False) -> str | None:
    """Return why a CSV file read as Windows-1252 is refused where only UTF-8 is read."""
    if probe.decoding is None or probe.decoding.fallback is None:
        return None
    line, byte = probe.decoding.fallback
    return (f"{line_place(probe.path, line, headerless)}: the text is not valid UTF-8 (byte "
            f"0x{byte:02x} cannot be decoded). It looks like Windows-1252 (cp1252) text. "
            "Re-save the file as UTF-8, or pass --encoding cp1252")


def _data_lines(path: Path, last: int, headerless: bool) -> dict[int, int]:
    """Return the line number of each data row up to ``last``: blank lines are not rows."""
    found: dict[int, int] = {}
    row = 0 if headerless else -1  # the header is row 0
    with path.open("rb") as handle:
        for line, raw in enumerate(handle, start=1):
            if not raw.strip(b"\r\n"):
                continue
            row += 1
            if row >= 1:
                found[row] = line
            if row >= last:
                break
    return found


# -- CSV -----------------------------------------------------------------------


def _first_line(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.readline()


def _arrow_encoding(encoding: str) -> str:
    """Return the encoding to give pyarrow: it reads UTF-8 natively and skips its BOM."""
    return "utf8" if encoding in ("utf-8", "utf-8-sig", "utf8") else encoding


def _skip(_row: pacsv.InvalidRow) -> str:
    return "skip"


def _csv_header(path: Path, encoding: str) -> list[str]:
    if path.stat().st_size == 0 or not _first_line(path).strip(b"\r\n\xef\xbb\xbf \t"):
        raise InputError(f"{path}: the file is empty (no header row)")
    try:
        # Rows with the wrong number of fields are reported by read_csv, with their row.
        # The handler sees only text that decodes: charset.decide checked every line.
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(encoding=_arrow_encoding(encoding),
                                           block_size=1 << 16),
            parse_options=pacsv.ParseOptions(invalid_row_handler=_skip),
            convert_options=pacsv.ConvertOptions(include_columns=[]),
        )
        names = list(reader.schema.names)
        reader.close()
    except (pa.ArrowInvalid, UnicodeError) as exc:
        raise _csv_error(path, exc) from None
    return names


def read_csv(
    path: Path,
    columns: list[str],
    *,
    encoding: str = "utf-8",
    chunk_rows: int | None = None,
    skip_rows_after_header: int = 0,
    column_names: list[str] | None = None,
    skip_row: Callable[[str], bool] | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield a CSV file as chunks of text columns, indexed by data row number.

    Parameters
    ----------
    path : Path
        The file.
    columns : list of str
        The raw header cells to read (others are ignored).
    encoding : str
        The text encoding (``utf-8``; a UTF-8 byte-order mark is skipped).
    chunk_rows : int, optional
        The largest chunk to yield [default: :data:`CHUNK_ROWS`].
    skip_rows_after_header : int
        Rows between the header and the data to skip (publication notes).
    column_names : list of str, optional
        Names for the columns of a file with no header row: its first line is data row 1.
    skip_row : callable, optional
        Called with the text of a row whose number of fields is wrong; return true to
        skip it (a publication's notes line) instead of raising an error.
    """
    chunk_rows = chunk_rows or CHUNK_ROWS
    bad_rows: list[pacsv.InvalidRow] = []

    def on_bad_row(row: pacsv.InvalidRow) -> str:
        # Called by pyarrow, which cannot pass an exception on: never raise here.
        try:
            if skip_row is None or not skip_row(row.text):
                bad_rows.append(row)
        except Exception:
            bad_rows.append(row)
        return "skip"

    header = list(column_names) if column_names else _csv_header(path, encoding)
    next_row = 1
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=_arrow_encoding(encoding), block_size=_BLOCK_SIZE,
                skip_rows_after_names=skip_rows_after_header, column_names=column_names,
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_bad_row,
                                             newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                include_columns=columns,
                strings_can_be_null=True,
                null_values=[""],
                quoted_strings_can_be_null=True,
            ),
        )
        for batch in reader:
            if bad_rows:
                raise _bad_row_error(path, bad_rows[0], header, encoding)
            pending.append(batch)
            pending_rows += batch.num_rows
            while pending_rows >= chunk_rows:
                table = pa.Table.from_batches(pending)
                yield _table_frame(table.slice(0, chunk_rows), next_row)
                next_row += chunk_rows
                rest = table.slice(chunk_rows)
                pending, pending_rows = rest.to_batches(), rest.num_rows
    except (pa.ArrowInvalid, UnicodeError) as exc:
        raise _csv_error(path, exc) from None
    if bad_rows:
        raise _bad_row_error(path, bad_rows[0], header, encoding)
    if pending_rows:
        yield _table_frame(pa.Table.from_batches(pending), next_row)


def _table_frame(table: pa.Table, first_row: int) -> pd.DataFrame:
    """Return Arrow text columns as a DataFrame indexed from ``first_row``."""
    frame = table.to_pandas(types_mapper=_text_type)
    frame.index = pd.RangeIndex(first_row, first_row + len(frame))
    return frame


def _text_type(arrow_type: pa.DataType) -> Any:
    return pd.StringDtype("pyarrow") if pa.types.is_string(arrow_type) else None


def _bad_row_error(path: Path, row: pacsv.InvalidRow, header: list[str],
                   encoding: str) -> InputError:
    number = row.number if row.number is not None else _find_line(path, row.text, encoding)
    where = f"row {number - 1} (line {number})" if number else "a row"
    return InputError(
        f"{path}: {where}: expected {row.expected_columns} fields "
        f"({', '.join(header)}) but found {row.actual_columns} "
        f"(rule: every row has as many fields as the header; a truncated last line?): "
        f"{quoted(row.text)}"
    )


def _find_line(path: Path, text: str, encoding: str) -> int | None:
    target = text.rstrip("\r\n")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.decode(encoding, "replace").lstrip("\ufeff").rstrip("\r\n") == target:
                return number
    return None


def _csv_error(path: Path, exc: Exception) -> InputError:
    """Return pyarrow's complaint about a CSV file, its quotation of the file escaped."""
    message = str(exc)
    found = re.match(r"(?s)(.*?: )(.*)$", message)
    if found and "CSV parse error" in message:
        return InputError(f"{path}: cannot read the file as CSV: {found.group(1)}"
                          f"{quoted(found.group(2))}")
    return InputError(f"{path}: cannot read the file as CSV: {quoted(message)}")


# -- Parquet -------------------------------------------------------------------


def read_parquet(
    path: Path, columns: list[str], *, chunk_rows: int | None = None
) -> Iterator[pd.DataFrame]:
    """Yield a Parquet file as chunks of text columns, indexed by data row number."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    parquet = _open_parquet(path)
    next_row = 1
    batches = parquet.iter_batches(batch_size=chunk_rows, columns=columns)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{path}: not a readable Parquet file: the data from row "
                             f"{next_row} on is damaged ({quoted(exc, 200)})") from None
        frame = pd.DataFrame(
            {name: _column_as_text(batch.column(name)) for name in batch.schema.names}
        )
        frame.index = pd.RangeIndex(next_row, next_row + len(frame))
        next_row += len(frame)
        yield frame


def _open_parquet(path: Path) -> pq.ParquetFile:
    """Open a Parquet file, or say why it is not one: empty, text, truncated, damaged."""
    with path.open("rb") as handle:
        head = handle.read(8192)
        handle.seek(max(path.stat().st_size - 4, 0))
        tail = handle.read(4)
    why = None
    if not head:
        why = "the file is empty (0 bytes)"
    elif not head.startswith(b"PAR1"):
        what = charset.describe(head)
        why = (f"it looks like {what}, not Parquet" if what
               else "it looks like text (a CSV file?), not Parquet: name a CSV file .csv")
    elif tail != b"PAR1":
        why = "it is truncated or damaged (it does not end with the Parquet signature 'PAR1')"
    if why is None:
        try:
            return pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            why = f"the file is damaged ({quoted(exc, 200)})"
    raise InputError(f"{path}: not a readable Parquet file: {why}")


def _column_as_text(column: pa.Array) -> pd.Series:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return column.to_pandas(types_mapper=_text_type)
    values = column.to_pandas()
    text = values.astype("string[pyarrow]")
    return text.where(values.notna())
