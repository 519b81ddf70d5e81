"""Header cells that name one column more than once.

A header such as ``fte,fte`` (or ``FTE`` and ``fte``, which match alike) leaves
no way to know which column holds the figures: readers keep the first and
would drop the second without a word. So every importer refuses a header that
names a column it reads more than once, naming each position (``fields 5 and 6``
of a CSV or Parquet file, ``cells E1 and F1`` of a workbook). A repeated
column that the importer does not read is no error: nothing is read from
either, and where the importer lists the columns it does not read, that list
names the repetition.

Each importer compares header cells by its own key (the tidy importer by
:func:`wfplan.dataset.readers.normalise_column`, the publication importers by
their ``column_key``), the same key it matches columns with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from wfplan.dataset.readers import FileProbe

Key = Callable[[object], str]


def repeated(header: Sequence[object], key: Key) -> dict[str, list[int]]:
    """Return each key that more than one header cell has, with their positions (0-based)."""
    positions: dict[str, list[int]] = {}
    for position, cell in enumerate(header):
        name = key(cell)
        if name:
            positions.setdefault(name, []).append(position)
    return {name: found for name, found in positions.items() if len(found) > 1}


def places(probe: FileProbe, sheet: str, positions: Sequence[int]) -> str:
    """Return where header cells are, for a reader: ``fields 5 and 6`` or ``cells E1 and F1``."""
    if probe.kind == "xlsx":
        from openpyxl.utils import get_column_letter

        row = probe.header_rows.get(sheet, 1)
        cells = [f"{get_column_letter(p + 1)}{row}" for p in positions]
        return f"cells {_join(cells)}"
    return f"fields {_join([str(p + 1) for p in positions])}"


def duplicate_errors(probe: FileProbe, sheet: str, read: Iterable[str], key: Key) -> list[str]:
    """Return one error for each column read (by key) that the header names more than once."""
    header = probe.headers.get(sheet, [])
    found = repeated(header, key)
    errors = []
    for name in dict.fromkeys(read):
        if name not in found:
            continue
        positions = found[name]
        cells = list(dict.fromkeys(str(header[p]) for p in positions))
        named = (f"column {cells[0]!r} {_times(len(positions))}" if len(cells) == 1 else
                 f"one column {_times(len(positions))}, as {_join([repr(c) for c in cells])}")
        errors.append(
            f"names {named}, at {places(probe, sheet, positions)} (rule: a column is named "
            "once in the header, or which one holds the figures is a guess; rename or remove "
            "the others)")
    return errors


def unread_note(probe: FileProbe, sheet: str, unread: Iterable[str], key: Key) -> str:
    """Return how the note of columns not read names them, repetitions with their places."""
    header = probe.headers.get(sheet, [])
    found = repeated(header, key)
    shown = []
    for cell in dict.fromkeys(unread):
        positions = found.get(key(cell))
        shown.append(cell if positions is None else
                     f"{cell} ({_times(len(positions))}: {places(probe, sheet, positions)})")
    return ", ".join(dict.fromkeys(shown))


def _times(count: int) -> str:
    return "twice" if count == 2 else f"{count} times"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
