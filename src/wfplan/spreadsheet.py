"""Text that spreadsheets must not run: no formulas from input data in XLSX or CSV outputs.

Codes, names and file names come from the files users load, and a value such
as ``=cmd|' /C calc'!A0`` or ``=HYPERLINK(...)`` is a formula to a spreadsheet
(CSV and formula injection, OWASP:
https://owasp.org/www-community/attacks/CSV_Injection).

- **XLSX**: openpyxl stores a string starting with ``=`` as a formula; every
  text cell is written as text instead (:func:`text_cells`), so the workbook
  holds no formula at all.
- **CSV**: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return gets a single quote in front (:func:`csv_safe`), as OWASP advises, so a
  spreadsheet opening the file shows it as text. Numbers (negative ones too) are
  not text cells and are written as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl import Workbook

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """Return a CSV cell: text that a spreadsheet would run as a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def text_cells(workbook: Workbook) -> int:
    """Make every formula cell of ``workbook`` a text cell; return how many there were.

    wfplan writes no formulas: a cell openpyxl took for a formula holds text
    from the data, which must be shown, never calculated.
    """
    changed = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    changed += 1
    return changed
