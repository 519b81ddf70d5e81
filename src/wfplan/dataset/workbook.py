"""Read XLSX workbooks: the header row of each sheet, then the rows as text columns.

Part of :mod:`wfplan.dataset.readers` (which re-exports :func:`read_xlsx` and
:func:`unnamed_column`): a file that is not a workbook is refused with what it
looks like instead (:func:`wfplan.dataset.charset.describe`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from wfplan.dataset import charset
from wfplan.errors import InputError, quoted


def _open_workbook(path: Path) -> Any:
    import zipfile

    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head.startswith(b"PK"):
        what = charset.describe(head) if head else "an empty file (0 bytes)"
        why = (f"it looks like {what}, not a workbook" if what
               else "it looks like text (a CSV file?), not a workbook: name a CSV file .csv")
        raise InputError(f"{path}: not a readable XLSX workbook: {why}")
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise InputError(f"{path}: not a readable XLSX workbook: {quoted(exc, 200)}") from None


def xlsx_headers(path: Path, scan_rows: int = 30) -> dict[str, tuple[list[str], int]]:
    """Return, per sheet, the first row that looks like a header (≥2 text cells), and its row."""
    book = _open_workbook(path)
    try:
        headers: dict[str, tuple[list[str], int]] = {}
        for sheet in book.worksheets:
            # Read-only sheets yield every row from the first, empty ones included.
            for number, row in enumerate(sheet.iter_rows(max_row=scan_rows, values_only=True),
                                         start=1):
                cells = [c for c in row if c not in (None, "")]
                if len(cells) >= 2 and all(isinstance(c, str) for c in cells):
                    headers[sheet.title] = ([_cell_text(c) or "" for c in row], number)
                    break
            else:
                headers[sheet.title] = ([], 0)
        return headers
    finally:
        book.close()


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    text = str(value)
    return text if text.strip() else None


def unnamed_column(position: int) -> str:
    """Return the name :func:`read_xlsx` gives a column read by position (0 = column A)."""
    return f"\0{position}"


def read_xlsx(
    path: Path, sheet: str, columns: list[str], *, chunk_rows: int | None = None,
    unnamed: Sequence[int] = (),
) -> Iterator[pd.DataFrame]:
    """Yield one sheet as chunks of text columns, indexed by data row number.

    The header is the first row that :func:`probe` found; ``columns`` picks
    the raw header cells to keep, and ``unnamed`` the positions of header cells
    to read as well (empty ones), named by :func:`unnamed_column`.
    """
    from wfplan.dataset import readers  # its CHUNK_ROWS, looked up at each call

    chunk_rows = chunk_rows or readers.CHUNK_ROWS
    book = _open_workbook(path)
    try:
        rows = book[sheet].iter_rows(values_only=True)
        header: list[str] | None = None
        for row in rows:
            cells = [c for c in row if c not in (None, "")]
            if len(cells) >= 2 and all(isinstance(c, str) for c in cells):
                header = [_cell_text(c) or "" for c in row]
                break
        if header is None:
            return
        keep = [header.index(c) for c in columns] + list(unnamed)
        columns = columns + [unnamed_column(i) for i in unnamed]
        buffer: list[list[str | None]] = []
        next_row = 1
        for row in rows:
            buffer.append([_cell_text(row[i]) if i < len(row) else None for i in keep])
            if len(buffer) >= chunk_rows:
                yield _frame(buffer, columns, next_row)
                next_row += len(buffer)
                buffer = []
        if buffer:
            yield _frame(buffer, columns, next_row)
    finally:
        book.close()


def _frame(rows: list[list[str | None]], columns: list[str], first_row: int) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns, dtype="string[pyarrow]")
    frame.index = pd.RangeIndex(first_row, first_row + len(frame))
    return frame
