"""``report.pdf``: the report's HTML printed to A4 by WeasyPrint.

The PDF is made from exactly the HTML page (its print styles give A4 pages,
page numbers and no awkward breaks inside tables and charts), so both show the
same charts and numbers. WeasyPrint is given a URL fetcher that allows only
``data:`` URLs: the page needs nothing else, and nothing is fetched.

The PDF is reproducible: its creation and modification dates are the
assessment's (``created``, from the manifest), it has no file identifier and no
XMP packet (which would carry a random id), so the same page and date give the
same bytes with the same WeasyPrint and fonts.

The report's typeface is Arial, or Liberation Sans, which has Arial's metrics
(Debian package ``fonts-liberation``). Where neither is installed, fontconfig
gives WeasyPrint another font, whose other widths move the line and page
breaks and can change the page count: :func:`write_pdf` then warns
(:class:`FontWarning`), naming the fonts the PDF was set in.
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

#: The report's typeface (``font-family`` in report.css and pdf.css).
TYPEFACES = frozenset({"Arial", "Liberation Sans"})


class FontWarning(UserWarning):
    """``report.pdf`` was set in another font: the report's typeface is not installed."""


def _paged_css() -> str:
    return files("wfplan.report").joinpath("static/pdf.css").read_text(encoding="utf-8")


def _fetcher() -> Any:
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",))


def write_pdf(html: str, path: Path, *, title: str | None = None,
              created: datetime | None = None) -> Path:
    """Write ``html`` as a tagged A4 PDF to ``path`` and return the path.

    Parameters
    ----------
    html : str
        The self-contained report page.
    path : Path
        Where to write the PDF.
    title : str, optional
        Document title for the PDF metadata (default: the page's ``<title>``).
    created : datetime, optional
        The PDF's creation and modification date (default: none recorded).
    """
    path.write_bytes(pdf_bytes(html, title=title, created=created, name=path.name))
    return path


def pdf_bytes(html: str, *, title: str | None = None, created: datetime | None = None,
              name: str = "report.pdf") -> bytes:
    """Return ``html`` printed as a tagged A4 PDF (see :func:`write_pdf`)."""
    from weasyprint import CSS, HTML

    fetcher = _fetcher()
    paged = CSS(string=_paged_css(), url_fetcher=fetcher)
    document = HTML(string=html, url_fetcher=fetcher, media_type="print").render(
        stylesheets=[paged])
    if title:
        document.metadata.title = title
    if created is not None:
        stamp = created.astimezone(UTC) if created.tzinfo else created.replace(tzinfo=UTC)
        document.metadata.created = document.metadata.modified = \
            stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    data = document.write_pdf(pdf_tags=True, pdf_identifier=False)
    _warn_if_set_in_another_font(document, Path(name))
    return bytes(data)


def _warn_if_set_in_another_font(document: Any, path: Path) -> None:
    """Warn when no text of ``document`` is in the report's typeface (fonts missing)."""
    used = sorted({str(font.family) for font in document.fonts.values()})
    if used and not TYPEFACES.intersection(used):
        warnings.warn(
            f"{path.name} is set in {', '.join(used)}: neither Arial nor Liberation Sans "
            "(the report's typeface) is installed, so its line and page breaks (and perhaps "
            "its page count) differ from the report set in that typeface; install the "
            "fonts-liberation package (apt-get install fonts-liberation)", FontWarning,
            stacklevel=2)
