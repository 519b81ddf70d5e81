"""Write the report files: ``report.html``, ``report.pdf`` and ``tables.xlsx``.

Each file is a function of :class:`ReportData` alone: nothing depends on the time
or place of rendering (the PDF's and the workbook's dates are ``data.created``),
so rendering the same data again gives the same bytes. ``wfplan verify`` relies
on this to check the report files of a bundle.

The workbook does not depend on the page, so where the machine has more than one
processor it is written in a second process (:mod:`wfplan.report.worker`) while
this one renders the page and prints it to PDF. The second process runs the
same function on a copy of the same data, so the bytes are the ones this process
would write; if it cannot be started or fails, the workbook is written here.
When the PDF is printed too (so that this process has the print to do while the
second writes the workbook), the second process first draws the page's gap
charts, the slowest part of the page, while this one builds the rest of it
(:mod:`wfplan.report.deferred`); a chart it did not draw is drawn here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

from wfplan.report import worker
from wfplan.report.context import ReportData
from wfplan.report.html import render_html
from wfplan.report.pdf import pdf_bytes

#: The files :func:`write_report` writes, by key.
REPORT_FILES = {"html": "report.html", "pdf": "report.pdf", "xlsx": "tables.xlsx"}
#: Set to ``0`` to render every file in this process (no second process).
PARALLEL_ENV = "WFPLAN_RENDER_PARALLEL"


def _processors() -> int:
    """Return the processors this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def in_parallel() -> bool:
    """Return whether the workbook is written in a second process (more than one processor)."""
    return os.environ.get(PARALLEL_ENV, "1") != "0" and _processors() > 1


def prestart_worker() -> None:
    """Start the second process now, if one would be used (:func:`worker.prestart`).

    For a caller that will render the report after other work: the child's
    imports are then done by the time the data is ready. Call
    :func:`worker.discard` once done, in case no rendering took it.
    """
    if in_parallel():
        worker.prestart()


def render_report(data: ReportData,
                  names: Collection[str] = tuple(REPORT_FILES.values())) -> dict[str, bytes]:
    """Return the bytes of the report files ``names`` (default all three), by file name.

    Parameters
    ----------
    data : ReportData
        Everything the report shows.
    names : collection of str
        Which of ``report.html``, ``report.pdf`` and ``tables.xlsx`` to render
        (the PDF is printed from the page, which is then rendered too).

    Returns
    -------
    dict of str to bytes
        The files asked for, by name.
    """
    unknown = set(names) - set(REPORT_FILES.values())
    if unknown:
        raise ValueError(f"not a report file: {', '.join(sorted(unknown))}")
    workbook = REPORT_FILES["xlsx"] in names
    page = bool({REPORT_FILES["html"], REPORT_FILES["pdf"]} & set(names))
    printed = REPORT_FILES["pdf"] in names
    started = (worker.start(data, charts=printed) if workbook and page and in_parallel()
               else None)
    files = {}
    try:
        if page:
            html = render_html(data, _drawn(started) if started is not None and printed
                               else None)
            files[REPORT_FILES["html"]] = html.encode("utf-8")
        if printed:
            files[REPORT_FILES["pdf"]] = pdf_bytes(html, title=data.title, created=data.created)
    except BaseException:
        if started is not None:
            started.stop()
        raise
    if workbook:
        files[REPORT_FILES["xlsx"]] = worker.finish(started, data)
    return {name: files[name] for name in REPORT_FILES.values() if name in names}


def _drawn(started: worker.Started) -> Callable[[], Mapping[str, str]]:
    """Return how to get the gap charts of ``started``: import WeasyPrint, then wait for them.

    The page is ready before the second process has drawn its charts; the import
    of WeasyPrint, needed next for the PDF, is made meanwhile.
    """
    def drawn() -> Mapping[str, str]:
        import weasyprint  # noqa: F401 - imported while the second process draws

        return started.drawn()

    return drawn


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
