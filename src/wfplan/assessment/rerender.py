"""Compare a bundle's report files with a re-render from its results and manifest.

The report is a function of the bundle's results, tables, scenario files and the
stamp its manifest records (see :mod:`wfplan.assessment.report_data`), so
``wfplan verify`` renders it again and compares: ``report.html`` line by line,
``tables.xlsx`` cell by cell (where its bytes differ), ``report.pdf`` byte for
byte. A figure edited in the report is then caught even after the manifest was
re-sealed.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from wfplan.assessment.manifest import Finding

MAX_SHOWN = 10
#: Shown of a differing line, either side of the first differing character.
CONTEXT = 70
#: A stored workbook is only opened if it unpacks to at most this many times the
#: re-rendered one (plus 16 MB): a tampered file must not exhaust memory.
MAX_UNPACKED_RATIO = 4


def compare_report(bundle: Path, rendered: Mapping[str, bytes],
                   environment: Mapping[str, Any]) -> list[Finding]:
    """Compare each report file of ``bundle`` with its re-render; name what differs."""
    findings = []
    for name, fresh in rendered.items():
        path = bundle / name
        if not path.is_file():
            continue  # already named as missing
        stored = path.read_bytes()
        if stored == fresh:
            continue
        if name.endswith(".html"):
            findings += _html(name, stored, fresh)
        elif name.endswith(".xlsx"):
            findings += _xlsx(name, stored, fresh)
        else:
            findings.append(Finding(name, f"differs from the file re-rendered from the "
                                          f"bundle's results and manifest ({len(stored):,} "
                                          f"bytes in the bundle, {len(fresh):,} re-rendered)"
                                          f"{_pdf_hint(environment)}"))
    return findings


def _excerpt(line: str, at: int) -> str:
    start = max(at - CONTEXT, 0)
    text = line[start:at + CONTEXT]
    return ("…" if start else "") + text + ("…" if at + CONTEXT < len(line) else "")


def _html(name: str, stored: bytes, fresh: bytes) -> list[Finding]:
    old = stored.decode("utf-8", errors="replace").splitlines()
    new = fresh.decode("utf-8", errors="replace").splitlines()
    differing = [i for i in range(max(len(old), len(new)))
                 if i >= len(old) or i >= len(new) or old[i] != new[i]]
    findings = []
    for index in differing[:MAX_SHOWN]:
        a = old[index] if index < len(old) else ""
        b = new[index] if index < len(new) else ""
        at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                  min(len(a), len(b)))
        findings.append(Finding(name, f"line {index + 1} differs from the report re-rendered "
                                      f"from the bundle's results and manifest: "
                                      f"{_excerpt(a, at)!r} in the bundle, "
                                      f"{_excerpt(b, at)!r} when re-rendered"))
    if len(differing) > MAX_SHOWN:
        findings.append(Finding(name, f"... and {len(differing) - MAX_SHOWN} more lines differ"))
    return findings


def _unpacked(data: bytes) -> int | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


def _cells(data: bytes) -> dict[str, dict[str, Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    try:
        return {sheet.title: {cell.coordinate: cell.value for row in sheet.iter_rows()
                              for cell in row if getattr(cell, "coordinate", None)}
                for sheet in workbook.worksheets}
    finally:
        workbook.close()


def _xlsx(name: str, stored: bytes, fresh: bytes) -> list[Finding]:
    size, limit = _unpacked(stored), (_unpacked(fresh) or 0) * MAX_UNPACKED_RATIO + (16 << 20)
    if size is None or size > limit:
        return [Finding(name, "differs from the workbook re-rendered from the bundle's results "
                              "and manifest, and is not a workbook wfplan could have written "
                              "(damaged, or far too large)")]
    try:
        old, new = _cells(stored), _cells(fresh)
    except Exception as exc:  # any failure to read a tampered workbook is a finding
        return [Finding(name, f"differs from the workbook re-rendered from the bundle, and "
                              f"cannot be read ({type(exc).__name__})")]
    differences = list(_cell_differences(old, new))
    if not differences:
        return [Finding(name, "differs from the workbook re-rendered from the bundle's results "
                              "and manifest in its formatting or packaging (every cell value "
                              "matches)")]
    shown = [Finding(name, text) for text in differences[:MAX_SHOWN]]
    if len(differences) > MAX_SHOWN:
        shown.append(Finding(name, f"... and {len(differences) - MAX_SHOWN} more cells differ"))
    return shown


def _cell_differences(old: Mapping[str, Mapping[str, Any]],
                      new: Mapping[str, Mapping[str, Any]]) -> Iterator[str]:
    if list(old) != list(new):
        yield (f"its sheets are {', '.join(old)} but the re-rendered workbook's are "
               f"{', '.join(new)}")
    for sheet in (s for s in old if s in new):
        a, b = old[sheet], new[sheet]
        for cell in sorted(set(a) | set(b), key=_cell_order):
            if a.get(cell) != b.get(cell):
                yield (f"sheet {sheet!r}, cell {cell} is {a.get(cell)!r} in the bundle but "
                       f"{b.get(cell)!r} when re-rendered from the results")


def _cell_order(coordinate: str) -> tuple[int, int, str]:
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    column, row = coordinate_from_string(coordinate)
    return row, column_index_from_string(column), coordinate


def _pdf_hint(environment: Mapping[str, Any]) -> str:
    """Explain a differing PDF made with another WeasyPrint (fonts matter too)."""
    recorded = (environment.get("dependencies") or {}).get("weasyprint")
    try:
        running = version("weasyprint")
    except PackageNotFoundError:
        running = None
    if recorded and running and recorded != running:
        return (f"; the bundle was rendered with WeasyPrint {recorded} and this is "
                f"{running}: re-run verify with WeasyPrint {recorded}")
    return ("; a re-render with the same WeasyPrint and fonts (Liberation Sans or Arial) is "
            "identical, so report.pdf was changed")
