"""Write the report files: ``report.html``, ``report.pdf`` and ``tables.xlsx``."""

from __future__ import annotations

from pathlib import Path

from wfplan.report.context import ReportData
from wfplan.report.html import render_html
from wfplan.report.pdf import write_pdf
from wfplan.report.xlsx import write_xlsx

#: The files :func:`write_report` writes, by key.
REPORT_FILES = {"html": "report.html", "pdf": "report.pdf", "xlsx": "tables.xlsx"}


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
    paths = {key: folder / name for key, name in REPORT_FILES.items()}
    html = render_html(data)
    paths["html"].write_text(html, encoding="utf-8")
    write_pdf(html, paths["pdf"], title=data.title)
    write_xlsx(data, paths["xlsx"])
    return paths
