"""``report.pdf``: the report's HTML printed to A4 by WeasyPrint.

The PDF is made from exactly the HTML page (its print styles give A4 pages,
page numbers and no awkward breaks inside tables and charts), so both show the
same charts and numbers. WeasyPrint is given a URL fetcher that allows only
``data:`` URLs: the page needs nothing else, and nothing is fetched.

Each inline SVG chart is handed to WeasyPrint as an ``<img>`` of the same SVG
(a ``data:`` URL, :func:`print_page`), with the chart's title as its ``alt``,
which is also what the PDF's tag of an inline chart carries. WeasyPrint draws
the same SVG, so the pages look the same, but it no longer parses the charts'
thousands of elements with its HTML parser and runs its CSS cascade over them
(about a tenth of the print's time for the demo assessment's 10 charts).

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

import base64
import re
import warnings
import xml.etree.ElementTree as ET
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


_INLINE_SVG = re.compile(r"<svg\b[^>]*>.*?</svg>", re.DOTALL)
_SVG_ATTRIBUTE = {name: re.compile(rf'\s{name}="([^"]*)"') for name in ("id", "class")}
_SVG_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title>", re.DOTALL)


def print_page(html: str) -> str:
    """Return the page WeasyPrint prints: ``html`` with each inline chart as an ``<img>``.

    Each ``<svg>...</svg>`` becomes ``<img id=... class=... alt=TITLE src="data:
    image/svg+xml;base64,...">`` of exactly that SVG, keeping its id and class (so
    links and the print styles apply as before) and taking its ``<title>`` as
    the alternative text. An SVG that is not well-formed XML is left inline.
    """
    return _INLINE_SVG.sub(_as_image, html)


def _as_image(match: re.Match[str]) -> str:
    svg = match.group(0)
    try:
        ET.fromstring(svg)  # noqa: S314 - the page's own chart, rendered by matplotlib
    except ET.ParseError:
        return svg
    head = svg[:svg.index(">")]
    attributes = "".join(f' {name}="{found.group(1)}"' for name, pattern in
                         _SVG_ATTRIBUTE.items() if (found := pattern.search(head)))
    title = _SVG_TITLE.search(svg)
    alt = title.group(1) if title else ""
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img{attributes} alt="{alt}" src="data:image/svg+xml;base64,{data}">'


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
    document = HTML(string=print_page(html), url_fetcher=fetcher, media_type="print").render(
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
