"""``report.pdf``: the report's HTML printed to A4 by WeasyPrint.

The PDF is made from exactly the HTML page (its print styles give A4 pages,
page numbers and no awkward breaks inside tables and charts), so both show the
same charts and numbers. WeasyPrint is given a URL fetcher that allows only
``data:`` URLs: the page needs nothing else, and nothing is fetched.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Any


def _paged_css() -> str:
    return files("wfplan.report").joinpath("static/pdf.css").read_text(encoding="utf-8")


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",))


def write_pdf(html: str, path: Path, *, title: str | None = None) -> Path:
    """Write ``html`` as a tagged A4 PDF to ``path`` and return the path.

    Parameters
    ----------
    html : str
        The self-contained report page.
    path : Path
        Where to write the PDF.
    title : str, optional
        Document title for the PDF metadata (default: the page's ``<title>``).
    """
    from weasyprint import CSS, HTML

    fetcher = _fetcher()
    paged = CSS(string=_paged_css(), url_fetcher=fetcher)
    document = HTML(string=html, url_fetcher=fetcher, media_type="print").render(
        stylesheets=[paged])
    if title:
        document.metadata.title = title
    document.write_pdf(path, pdf_tags=True)
    return path
