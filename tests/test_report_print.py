"""The page WeasyPrint prints: each inline SVG chart handed over as an image of itself.

:func:`wfplan.report.pdf.print_page` swaps each inline ``<svg>`` for an ``<img>``
of the same SVG (WeasyPrint then skips its HTML parser and CSS cascade over the
charts' elements). The PDF must be exactly the one WeasyPrint prints from the
inline page: same bytes, so the same pages, text and tags.
"""

from __future__ import annotations

import base64
import html as html_lib
import re

import pandas as pd
import pytest

from wfplan.report import gap_chart, pdf
from wfplan.report.charts import Chart
from wfplan.report.html import stylesheet

TITLE = 'Gap by staff group, "5 & 10 years" <demo>'


@pytest.fixture(scope="module")
def chart() -> Chart:
    """A small gap chart: two staff groups, two horizons (markers, clip paths, a style)."""
    frame = pd.DataFrame({
        "staff_group": ["nurses", "nurses", "doctors", "doctors"],
        "horizon": [5, 10, 5, 10],
        "gap_fte_p5": [-120.0, -80.0, 3.0, 10.0],
        "gap_fte_p50": [40.0, 90.0, 12.0, 30.0],
        "gap_fte_p95": [210.0, 330.0, 25.0, 61.0]})
    return gap_chart.gap_range_chart(frame, "chart-test-gap", TITLE, category="staff_group",
                                     series="horizon")


def _page(chart: Chart) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Print"
            f"</title><style>{stylesheet()}</style></head><body><h1 class=\"wf-title\">Print"
            "</h1><figure class=\"wf-figure\"><figcaption>Figure 1. Gap</figcaption>"
            f"{chart.svg}</figure><p>After the chart.</p></body></html>\n")


def test_each_chart_becomes_an_image_of_the_same_svg_with_its_title_as_alt(
        chart: Chart) -> None:
    printed = pdf.print_page(_page(chart))
    assert "<svg" not in printed
    images = re.findall(r"<img[^>]*>", printed)
    assert len(images) == 1
    attributes = dict(re.findall(r'\s([a-z]+)="([^"]*)"', images[0]))
    assert attributes["id"] == "chart-test-gap"
    assert attributes["class"] == "wf-chart__svg"
    assert html_lib.unescape(attributes["alt"]) == TITLE
    prefix = "data:image/svg+xml;base64,"
    assert attributes["src"].startswith(prefix)
    svg = base64.b64decode(attributes["src"][len(prefix):]).decode("utf-8")
    assert svg == chart.svg.rstrip("\n")


def test_an_svg_that_is_not_well_formed_xml_stays_inline() -> None:
    page = '<p>x</p><svg viewBox="0 0 1 1"><text>a &nbsp; b</text></svg>'
    assert pdf.print_page(page) == page


def test_the_pdf_is_the_one_printed_from_the_inline_page(
        chart: Chart, monkeypatch: pytest.MonkeyPatch) -> None:
    page = _page(chart)
    printed = pdf.pdf_bytes(page, title="Print")
    monkeypatch.setattr(pdf, "print_page", lambda html: html)
    inline = pdf.pdf_bytes(page, title="Print")
    assert printed == inline
