"""Write the report files: ``report.html``, ``report.pdf`` and ``tables.xlsx``.

Each file is a function of :class:`ReportData` alone: nothing depends on the time
or place of rendering (the PDF's and the workbook's dates are ``data.created``),
so rendering the same data again gives the same bytes. ``wfplan verify`` relies
on this to check the report files of a bundle.
"""

from __future__ import annotations

from pathlib import Path

from wfplan.report.context import ReportData
from wfplan.report.html import render_html
from wfplan.report.pdf import pdf_bytes
from wfplan.report.xlsx import xlsx_bytes

#: The files :func:`write_report` writes, by key.
REPORT_FILES = {"html": "report.html", "pdf": "report.pdf", "xlsx": "tables.xlsx"}


def render_report(data: ReportData) -> dict[str, bytes]:
    """Return the bytes of every report file, by file name (``report.html``...)."""
    html = render_html(data)
    return {REPORT_FILES["html"]: html.encode("utf-8"),
            REPORT_FILES["pdf"]: pdf_bytes(html, title=data.title, created=data.created),
            REPORT_FILES["xlsx"]: xlsx_bytes(data)}


def write_report(data: ReportData, out_dir: Path | str) -> dict[str, Path]:
    """Write the report of an assessment to ``out_dir`` (created if missing).

    Parameters
    ----------
    data : ReportData
        Everything the report shows.
    out_dir : Path or str
        The folder to write into; existing report files there are replaced.

    Returns
    -------
    dict of str to Path
        ``{"html": .../report.html, "pdf": .../report.pdf, "xlsx": .../tables.xlsx}``.
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    rendered = render_report(data)
    paths = {key: folder / name for key, name in REPORT_FILES.items()}
    for path in paths.values():
        path.write_bytes(rendered[path.name])
    return paths
