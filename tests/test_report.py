"""The report layer: content, formats, determinism, the PDF pages and tables.xlsx.

The report is built from a real model run on synthetic inputs and the real demo
vintage's metrics and gap report (``tests/example_report.py``), plus small hand-made
frames for the derivation helpers. Tests that need pdftoppm fail in CI (``CI``
set) when it is missing and are skipped elsewhere.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from PIL import Image

from wfplan.report import (
    ReportData,
    charts,
    gap_chart,
    headline_from_results,
    interventions_from_results,
    methods_from_metadata,
    scenario_comparison_from_results,
    write_report,
)
from wfplan.report import format as fmt
from wfplan.report.html import render_html
from wfplan.report.pdf import write_pdf
from wfplan.report.sections import SECTIONS
from wfplan.report.xlsx import write_xlsx

if TYPE_CHECKING:
    from conftest import ExampleReport

OGL = "Open Government Licence v3.0"


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="module")
def built(example_report: ExampleReport,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The run's example report data (100 draws), written here by ``write_report``.

    Written in two processes, as a user's machine does (the suite renders in one:
    tests/conftest.py), so that ``test_report_in_two_processes_is_the_report_in_one``
    compares the two.
    """
    from wfplan.report import render

    root = tmp_path_factory.mktemp("report")
    data = example_report.data
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(render.PARALLEL_ENV, "1")
        paths = write_report(data, root / "out")
    return {"data": data, "paths": paths, "html": paths["html"].read_text(encoding="utf-8"),
           "root": root}


class Outline(HTMLParser):
    """Collect headings, tables, figures, ids and every attribute that loads something."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[int, str]] = []
        self.ids: list[str] = []
        self.tables: list[dict[str, Any]] = []
        self.figures: list[dict[str, Any]] = []
        self.links: list[tuple[str, str, str]] = []
        self.text_of: dict[str, str] = {}
        self._stack: list[dict[str, Any]] = []
        self._heading: list[Any] | None = None
        self._capture: list[Any] | None = None
        self._section = ""
        self._row: list[tuple[str, str | None]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if attr.get("id"):
            self.ids.append(str(attr["id"]))
        for name in ("src", "href", "xlink:href", "data", "poster", "srcset"):
            if attr.get(name):
                self.links.append((tag, name, str(attr[name])))
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading = [int(tag[1]), ""]
        if tag == "table":
            self.tables.append({"caption": "", "head": [], "rows": [], "after": ""})
        if tag == "caption":
            self._capture = [self.tables[-1], "caption"]
        if tag == "tr" and self.tables:
            self._row = []
        if tag in ("th", "td") and self._row is not None:
            self._row.append((tag, attr.get("scope")))
        if tag == "figure":
            self.figures.append({"svg": None, "caption": "", "source": ""})
        if tag == "figcaption":
            self._capture = [self.figures[-1], "caption"]
        if tag == "svg" and self.figures:
            self.figures[-1]["svg"] = attr
        if tag in ("title", "desc") and attr.get("id"):
            self._capture = [self.text_of, str(attr["id"])]
            self.text_of[str(attr["id"])] = ""
        if tag == "p" and "wf-source" in str(attr.get("class")):
            target = self.figures[-1] if self._in_figure() else (self.tables[-1] if self.tables
                                                                 else None)
            key = "source" if self._in_figure() else "after"
            if target is not None and not target[key]:
                self._capture = [target, key]
        self._stack.append({"tag": tag})

    def _in_figure(self) -> bool:
        return any(item["tag"] == "figure" for item in self._stack)

    def handle_endtag(self, tag: str) -> None:
        if self._heading and tag == f"h{self._heading[0]}":
            self.headings.append((self._heading[0], " ".join(self._heading[1].split())))
            self._heading = None
        if tag in ("caption", "figcaption", "title", "desc", "p"):
            self._capture = None
        if tag == "tr" and self._row is not None and self.tables:
            part = "head" if not self.tables[-1]["rows"] and all(
                c[0] == "th" for c in self._row) and not self.tables[-1]["head"] else "rows"
            self.tables[-1][part].append(self._row)
            self._row = None
        while self._stack and self._stack.pop()["tag"] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading[1] += data
        if self._capture is not None:
            target, key = self._capture
            target[key] += data


@pytest.fixture(scope="module")
def outline(built: dict[str, Any]) -> Outline:
    parser = Outline()
    parser.feed(built["html"])
    return parser


# --- content --------------------------------------------------------------------------------


def test_write_report_writes_the_three_files(built: dict[str, Any]) -> None:
    paths = built["paths"]
    assert set(paths) == {"html", "pdf", "xlsx"}
    assert [p.name for p in paths.values()] == ["report.html", "report.pdf", "tables.xlsx"]
    assert all(p.stat().st_size > 10_000 for p in paths.values())
    assert paths["pdf"].read_bytes().startswith(b"%PDF-")


def test_one_h1_and_every_section_heading_in_order(outline: Outline) -> None:
    levels = [level for level, _ in outline.headings]
    assert levels.count(1) == 1
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), outline.headings
    h2 = [text for level, text in outline.headings if level == 2]
    # the plan and changes sections are there only with a planned scenario, a previous one
    expected = [title for sid, title in SECTIONS if sid not in ("changes", "plan")]
    assert [t for t in h2 if t in expected] == expected
    assert "What changed since the previous assessment" not in h2
    assert "Key messages" in [text for level, text in outline.headings if level == 3]


def test_every_table_has_caption_scoped_headers_and_a_source_line(outline: Outline) -> None:
    assert len(outline.tables) >= 14
    for table in outline.tables:
        caption = table["caption"].strip()
        assert re.match(r"Table \d+\. \S", caption), caption
        assert table["head"], caption
        assert all(cell == ("th", "col") for cell in table["head"][0]), caption
        assert table["rows"], caption
        for row in table["rows"]:
            assert row[0] == ("th", "row"), caption
            assert all(cell[0] == "td" for cell in row[1:]), caption
        source = " ".join(table["after"].split())
        assert source.startswith("Source: "), caption
        assert "Period: " in source, caption
        assert OGL in source
        assert "Contains public sector information licensed" in source


def test_every_chart_has_alt_text_a_title_and_a_source_line(outline: Outline,
                                                             built: dict[str, Any]) -> None:
    assert len(outline.figures) == 8  # headline, 4 fans, scenarios, ethnicity, wellbeing
    for figure in outline.figures:
        svg = figure["svg"]
        assert svg is not None
        assert svg.get("role") == "img"
        title_id, desc_id = str(svg["aria-labelledby"]).split()
        assert len(outline.text_of[title_id]) > 20
        assert len(outline.text_of[desc_id]) > 80  # the alt text, written from the data
        assert re.match(r"Figure \d+\. \S", figure["caption"].strip())
        source = " ".join(figure["source"].split())
        assert source.startswith("Source: ")
        assert "Period: " in source
        assert OGL in source
    assert "Model Employer goal" in built["html"]


def test_html_is_self_contained(built: dict[str, Any], outline: Outline) -> None:
    html = built["html"]
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en-GB">' in html
    for banned in ("<script", "<link", "<img", "<iframe", "@import", "url(http", "//fonts."):
        assert banned not in html
    for tag, attr, value in outline.links:
        assert value.startswith("#"), (tag, attr, value)
    assert len(outline.ids) == len(set(outline.ids)), "duplicate ids"
    anchors = {value[1:] for _, attr, value in outline.links if attr == "href"}
    assert anchors <= set(outline.ids)


def test_landmarks_skip_link_and_contents(built: dict[str, Any]) -> None:
    html = built["html"]
    assert 'href="#maincontent"' in html
    assert '<main class="nhsuk-main-wrapper" id="maincontent"' \
        in html
    assert "<header" in html
    assert "<footer" in html
    assert '<nav class="wf-contents"' in html
    for sid, title in SECTIONS[:-1]:
        shown = f'<li><a href="#{sid}">{title}</a></li>' in html
        assert shown is (sid != "plan"), sid  # no scenario of the example carries a plan


def test_numbers_are_formatted_with_ranges_and_separators(built: dict[str, Any]) -> None:
    data, html = built["data"], built["html"]
    row = data.headline[data.headline["horizon_years"] == 15].iloc[0]
    central, _, bracket = fmt.row_range(row, "gap_fte").partition(" (")
    assert f'{central} <span class="wf-nowrap">({bracket}</span>' in html
    assert re.search(r"\d{1,3},\d{3} <span class=\"wf-nowrap\">\(\d{1,3},\d{3}\u2013\d", html)
    # only numeric ranges are kept on one line; text in brackets still wraps
    for kept in re.findall(r'<span class="wf-nowrap">(.*?)</span>', html):
        assert re.fullmatch(r"\([\d,.\u2212\u2013 to]+\)", kept), kept
    region = data.position_region.iloc[0]
    assert f"{int(region['headcount']):,}" in html
    assert fmt.percent(region["vacancy_rate"]) in html
    assert "FTE, 37.5 hours a week" in html
    assert "counts from 1 to 4 are suppressed and shown as *" in html


def test_defaulted_inputs_are_flagged_in_the_methods_table(built: dict[str, Any]) -> None:
    data, html = built["data"], built["html"]
    params = data.parameters
    assert params["defaulted"].any()
    assert not params["defaulted"].all()
    methods = html[html.index('id="table-parameters"'):html.index('id="table-assumptions"')]
    assert methods.count("Yes: default used") == int(params["defaulted"].sum())
    for name in params.loc[params["defaulted"], "name"]:
        assert "_<wbr>".join(name.split("_")) in methods


def test_report_data_checks_its_frames(built: dict[str, Any]) -> None:
    data = built["data"]
    with pytest.raises(ValueError, match=r"ReportData.headline lacks columns \['gap_fte_p50'\]"):
        replace(data, headline=data.headline.drop(columns="gap_fte_p50"))
    with pytest.raises(ValueError, match="baseline_scenario"):
        replace(data, baseline_scenario="nope")
    with pytest.raises(ValueError, match="ranked"):
        replace(data, data_gaps={})


def test_comparison_section_appears_when_given(built: dict[str, Any]) -> None:
    changes = pd.DataFrame([{"measure": "Nurses gap in 2039 (FTE)", "previous": "80,000",
                             "current": "88,400", "change": "+8,400",
                             "reason": "data: leaver rates"}])
    html = render_html(replace(built["data"], comparison=changes,
                               previous_assessment="wfplan-2024"))
    assert '<h2 id="changes">What changed since the previous assessment</h2>' in html
    assert "Previous (wfplan-2024)" in html
    assert "data: leaver rates" in html
    numeric = pd.DataFrame([{"measure": "Midwives gap (FTE)", "previous": 10234.0,
                             "current": 9123.4, "change": -1110.6, "reason": "assumptions"},
                            {"measure": "GPs gap (FTE)", "previous": 500.0, "current": 812.0,
                             "change": 312.0, "reason": "data"}])
    html = render_html(replace(built["data"], comparison=numeric))
    assert "10,200" in html
    assert "9,120" in html
    assert "\u22121,110" in html
    assert "+312" in html


# --- determinism ------------------------------------------------------------------------------


def test_same_data_gives_identical_svg_and_html(built: dict[str, Any],
                                                example_report: ExampleReport) -> None:
    """The page ``write_report`` wrote is the page rendered apart (``example_report.html``)."""
    data = built["data"]
    first = gap_chart.gap_range_chart(data.headline, "c", "Gap", category="staff_group",
                                      series="horizon_years")
    again = gap_chart.gap_range_chart(data.headline.copy(), "c", "Gap", category="staff_group",
                                      series="horizon_years")
    assert first.svg == again.svg
    assert example_report.html == built["html"]
    changed = data.headline.assign(gap_fte_p50=data.headline["gap_fte_p50"] + 1000)
    other = gap_chart.gap_range_chart(changed, "c", "Gap", category="staff_group",
                                      series="horizon_years")
    assert other.svg != first.svg


def test_gap_charts_drawn_in_the_worker_are_the_pages_own(built: dict[str, Any]) -> None:
    from wfplan.report import deferred, worker

    data = built["data"]
    drawn = worker.gap_svgs(data)
    with deferred.deferring() as charts:
        page = render_html(data)
    assert len(charts) == 2
    assert set(drawn) == set(charts)
    assert all(deferred.marker(key) in page for key in charts)
    assert render_html(data, lambda: drawn) == built["html"]
    assert render_html(data, dict) == built["html"]  # none drawn elsewhere: drawn here
    changed = replace(data, headline=data.headline.assign(
        gap_fte_p50=data.headline["gap_fte_p50"] + 1))
    with deferred.deferring() as other:
        render_html(changed)
    assert len(set(other) - set(charts)) == 1


def test_report_in_two_processes_is_the_report_in_one(built: dict[str, Any],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from wfplan.report import render

    # The module's report was written by write_report in two processes (the workbook
    # in the second): render it again in one and compare the bytes of every file.
    monkeypatch.setenv(render.PARALLEL_ENV, "1")  # as the module's report was written
    assert render.in_parallel(), "this machine has one processor: nothing to compare"
    parallel = {path.name: path.read_bytes() for path in built["paths"].values()}
    assert set(parallel) == set(render.REPORT_FILES.values())
    monkeypatch.setenv(render.PARALLEL_ENV, "0")
    assert not render.in_parallel()
    alone = render.render_report(built["data"])
    assert parallel == alone
    assert alone["report.html"] == built["html"].encode("utf-8")


def test_svg_keeps_text_as_text_with_unique_ids(built: dict[str, Any]) -> None:
    chart = charts.wellbeing_chart(built["data"].wellbeing, "w1", "Wellbeing")
    assert chart.svg.startswith('<svg id="w1" class="wf-chart__svg" role="img"')
    assert "<text" in chart.svg
    assert "London" in chart.svg
    assert "font-family: Arial" in chart.svg
    assert "DejaVu" not in chart.svg
    ids = re.findall(r'\sid="([^"]+)"', chart.svg)
    assert ids
    assert all(i == "w1" or i.startswith("w1-") for i in ids)
    assert "<?xml" not in chart.svg
    assert "<metadata" not in chart.svg


# --- PDF ----------------------------------------------------------------------------------------


def _pages(pdf: Path, out: Path) -> list[np.ndarray]:
    require_tool("pdftoppm")
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(out / "page")], check=True)
    return [np.asarray(Image.open(p).convert("RGB"), dtype=np.int16)
            for p in sorted(out.glob("page-*.png"))]


def _page_text(pdf: Path, number: int) -> str:
    require_tool("pdftotext")
    return subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
                          check=True, capture_output=True, text=True).stdout


def test_pdf_pages_are_a4_and_not_blank(built: dict[str, Any]) -> None:
    pdf = built["paths"]["pdf"]
    pages = _pages(pdf, built["root"] / "pages")
    assert len(pages) >= 12
    height, width = pages[0].shape[:2]
    assert abs(width / height - 210 / 297) < 0.01  # A4 portrait
    for number, page in enumerate(pages, start=1):
        grey = page.mean(axis=2)
        assert grey.std() > 8, f"page {number} is blank"
        assert (grey < 200).mean() > 0.003, f"page {number} has almost no ink"
    assert f"Page 2 of {len(pages)}" in _page_text(pdf, 2)


def test_pdf_text_stays_inside_the_page_margins(built: dict[str, Any]) -> None:
    require_tool("pdftotext")
    boxes = subprocess.run(["pdftotext", "-bbox", str(built["paths"]["pdf"]), "-"],
                           check=True, capture_output=True, text=True).stdout
    width = float(re.findall(r'<page width="([\d.]+)"', boxes)[0])
    right = [float(x) for x in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"',
                                          boxes)]
    assert len(right) > 1000
    assert max(right) <= width - 16 / 25.4 * 72 + 1  # 16 mm right margin


def test_pdf_chart_pages_hold_the_charts(built: dict[str, Any]) -> None:
    """Compare with the same PDF whose charts are emptied (same size, so same pages)."""
    pdf = built["paths"]["pdf"]
    empty = re.sub(r"(<svg [^>]*>).*?(</svg>)", r"\1\2", built["html"], flags=re.DOTALL)
    bare = write_pdf(empty, built["root"] / "bare.pdf")
    charted = _pages(pdf, built["root"] / "charted")
    plain = _pages(bare, built["root"] / "plain")
    assert len(charted) == len(plain)
    chart_ink = [int((np.abs(a - b).max(axis=2) > 40).sum()) for a, b in zip(charted, plain,
                                                                               strict=True)]
    figure_pages = [n for n in range(1, len(charted) + 1)
                    if re.search(r"Figure \d+\.", _page_text(pdf, n))]
    assert len(figure_pages) >= 5
    assert [n for n, ink in enumerate(chart_ink, start=1) if ink] == figure_pages, chart_ink
    for number in figure_pages:
        assert chart_ink[number - 1] > 2000, f"page {number}: too little drawn {chart_ink}"


# --- tables.xlsx ------------------------------------------------------------------------------


def test_xlsx_has_a_notes_sheet_and_one_formatted_sheet_per_table(built: dict[str, Any]) -> None:
    data = built["data"]
    book = load_workbook(built["paths"]["xlsx"])
    assert book.sheetnames[0] == "notes"
    for name in ("headline", "position_region", "position_icb", "projections", "scenarios",
                 "scenario_comparison", "interventions", "gaps_ranked", "ethnicity",
                 "wellbeing", "parameters", "assumptions", "sources"):
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        assert all(cell.font.bold for cell in sheet[1]), name
        assert sheet.column_dimensions["A"].width > 5, name
    headline = book["headline"]
    header = [c.value for c in headline[1]]
    assert header[:4] == ["scenario", "staff_group", "horizon_years", "year"]
    column = header.index("gap_fte_p50") + 1
    assert headline.cell(2, column).number_format == "#,##0"
    rate = [c.value for c in book["position_region"][1]].index("vacancy_rate") + 1
    assert book["position_region"].cell(2, rate).number_format == "0.0%"
    assert book["headline"].max_row == len(data.headline) + 1
    notes = "\n".join(str(c.value) for row in book["notes"].iter_rows() for c in row if c.value)
    assert OGL in notes
    assert "37.5-hour week" in notes
    assert "shown as *" in notes
    for file in data.sources["file"]:
        assert file in notes
    for sheet in book.sheetnames[1:]:
        assert sheet in notes


# --- the headline, key messages, sources, charts and pages (issue 8, part 5) -------------------


class Texts(HTMLParser):
    """Collect each table's caption and cell texts (by id) and the key messages."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, dict[str, Any]] = {}
        self.messages: list[str] = []
        self._table: dict[str, Any] | None = None
        self._cell: list[str] | None = None
        self._in_messages = False
        self._message: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if tag == "table":
            self._table = {"caption": "", "rows": []}
            self.tables[str(attr.get("id"))] = self._table
        if self._table is not None and tag == "tr":
            self._table["rows"].append([])
        if self._table is not None and tag in ("th", "td", "caption"):
            self._cell = []
        if tag == "div" and "wf-key-messages" in str(attr.get("class")):
            self._in_messages = True
        if self._in_messages and tag == "li":
            self._message = []

    def handle_endtag(self, tag: str) -> None:
        if self._table is not None and self._cell is not None and tag in ("th", "td", "caption"):
            text = " ".join("".join(self._cell).split())
            if tag == "caption":
                self._table["caption"] = text
            else:
                self._table["rows"][-1].append(text)
            self._cell = None
        if tag == "table":
            self._table = None
        if self._message is not None and tag == "li":
            self.messages.append(" ".join("".join(self._message).split()))
            self._message = None
        if tag == "ul" and self._in_messages:
            self._in_messages = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._message is not None:
            self._message.append(data)


@pytest.fixture(scope="module")
def texts(built: dict[str, Any]) -> Texts:
    parser = Texts()
    parser.feed(built["html"])
    return parser


def test_the_first_table_is_the_england_total_gap_with_its_range(texts: Texts,
                                                                  built: dict[str, Any]) -> None:
    first = next(iter(texts.tables.values()))
    assert first["caption"].startswith("Table 1. England total gap (FTE), all staff groups and "
                                       "by sector, Baseline scenario: P50 (P5–P95)")
    head, *rows = first["rows"]
    assert head[1:4] == ["5 years (2029)", "10 years (2034)", "15 years (2039)"]
    assert [row[0] for row in rows] == ["All staff groups", "NHS trusts: all staff groups",
                                        "Primary care: all staff groups",
                                        "Social care: all staff groups"]
    for row in rows:
        for cell in row[1:4]:
            assert re.fullmatch(r"[−\d,]+ \([−\d,]+(–| to )[−\d,]+\)", cell), cell
    data = built["data"]
    total = data.totals[(data.totals["staff_group"] == "all_staff_groups")
                        & (data.totals["horizon_years"] == 15)].iloc[0]
    assert rows[0][3] == fmt.row_range(total, "gap_fte")
    pdf = built["paths"]["pdf"]
    page = next(n for n in range(1, 6) if "Table 1." in _page_text(pdf, n))
    assert "Table 1. England total gap (FTE)" in " ".join(_page_text(pdf, page).split())


FIGURE = re.compile(r"£[\d,.]+(?: million| billion)?|(?<![\w.])[−-]?\d[\d,]*(?:\.\d+)?%?")
COUNT = re.compile(r"(\d+) of (\d+) (staff groups|pay bands)")


def test_every_figure_of_the_key_messages_is_in_the_tables(texts: Texts,
                                                           built: dict[str, Any]) -> None:
    tables = " ".join(t["caption"] + " " + " ".join(c for r in t["rows"] for c in r)
                      for t in texts.tables.values())
    assert len(texts.messages) >= 6
    for message in texts.messages:
        for figure in FIGURE.findall(COUNT.sub("", message)):
            if re.fullmatch(r"(19|20)\d\d", figure):
                continue  # a year
            assert figure in tables, (figure, message)
    # counts agree with the tables they count
    headline = texts.tables["table-headline"]["rows"][1:]
    short = sum(not row[3].startswith("−") and row[3].split(" ")[0] != "0" for row in headline)
    counts = [COUNT.search(m) for m in texts.messages]
    staff = next(c for c in counts if c and c.group(3) == "staff groups")
    assert (int(staff.group(1)), int(staff.group(2))) == (short, len(headline))


def test_key_messages_never_contradict_the_tables(texts: Texts, built: dict[str, Any]) -> None:
    data = built["data"]
    total = data.totals[(data.totals["staff_group"] == "all_staff_groups")
                        & (data.totals["horizon_years"] == 15)].iloc[0]
    message = next(m for m in texts.messages if "total gap across all staff groups" in m)
    assert ("a shortfall at the P50" in message or "a shortfall across" in message) == (
        total["gap_fte_p50"] > 0)
    said = next(m for m in texts.messages if "interventions" in m)
    before, after = re.search(r"from ([−\d,]+) to ([−\d,]+) FTE", said).groups()
    row = next(r for r in texts.tables["table-interventions"]["rows"][1:]
               if r[3].startswith(before + " ") and r[4].startswith(after + " "))
    without = float(row[3].split(" ")[0].replace("−", "-").replace(",", ""))
    if without < 0:
        assert "surplus" in said
        assert "close" not in said
    else:
        assert " gap " in said


def test_sources_name_each_publisher_from_the_ingest_provenance(built: dict[str, Any],
                                                                texts: Texts) -> None:
    sources = built["data"].sources
    assert "not stated" not in set(sources["publisher"])
    demo = sources[sources["file"].str.endswith(".parquet")].set_index("file")
    assert demo["publisher"].str.startswith("wfplan demo generator (calibrated to ").sum() >= 8
    staff = demo.loc["staff_in_post.parquet"]
    assert "NHS Digital" in staff["publisher"]
    assert "Skills for Care" in staff["publisher"]
    assert staff["period"] == "2024-03-31 to 2025-03-31"
    assert demo.loc["population.parquet", "publisher"] == \
        "wfplan demo generator (calibrated to ONS)"
    rows = texts.tables["table-sources"]["rows"][1:]
    assert any(r[2].startswith("wfplan demo generator (calibrated to NHS Digital") for r in rows)


def test_scenarios_are_shown_by_their_titles(texts: Texts, built: dict[str, Any]) -> None:
    comparison = texts.tables["table-scenario-comparison"]["rows"][0]
    assert comparison[1:] == ["Baseline (FTE)", "Baseline with interventions (FTE)"]
    interventions = texts.tables["table-interventions"]["rows"][1:]
    assert {row[0] for row in interventions} == {"Baseline with interventions"}
    assert "Baseline with interventions: P50" not in built["html"]  # legends use titles only
    svg = re.search(r'<svg id="chart-scenarios".*?</svg>', built["html"], flags=re.DOTALL)
    assert svg
    assert "Baseline with interventions" in svg.group(0)


def test_fan_charts_legends_match_their_styles_and_say_the_base_year_is_observed(
        built: dict[str, Any]) -> None:
    svg = re.search(r'<svg id="chart-fan-1".*?</svg>', built["html"], flags=re.DOTALL)
    assert svg
    year = built["data"].base_year
    for label in ("Demand (funded): P50", "Demand (funded): principal run",
                  "Demand (funded): P5 to P95", "Supply: P50", "Supply: principal run",
                  "Supply: P5 to P95", f"{year}: observed (census)"):
        assert label in svg.group(0), label
    assert "P50 (median)" not in svg.group(0)  # no grey key standing for coloured lines
    assert "observed rather than projected" in svg.group(0)
    assert f"The first year, {year}, is the census: it is observed" in built["html"]


def _body_lines(page: str, title: str) -> list[str]:
    lines = [" ".join(line.split()) for line in page.splitlines() if line.strip()]
    return [line for line in lines if not re.fullmatch(r"Page \d+ of \d+", line)
            and line != title]


def test_pdf_has_no_orphaned_headings_captions_or_source_lines(built: dict[str, Any],
                                                               outline: Outline) -> None:
    tool = require_tool("pdftotext")
    pdf, title = built["paths"]["pdf"], built["data"].title
    pages = subprocess.run([tool, str(pdf), "-"], check=True, capture_output=True,
                           text=True).stdout.split("\f")[:-1]
    headings = {text for level, text in outline.headings if level in (2, 3)}
    for number, page in enumerate(pages, start=1):
        lines = _body_lines(page, title)
        assert lines, f"page {number} is empty"
        assert lines[-1] not in headings, f"page {number} ends with a heading: {lines[-1]}"
        for line in lines[-2:]:
            assert not re.match(r"(Table|Figure) \d+\.", line), f"page {number}: {line}"
        alone = [line for line in lines if not line.startswith(("Source:", "Contains public",
                                                                "Licence v3.0"))]
        assert alone, f"page {number} holds only a source line"


def test_pdf_breaks_identifiers_only_between_their_parts(built: dict[str, Any]) -> None:
    require_tool("pdftotext")
    data = built["data"]
    names = {*data.parameters["name"], *data.assumptions["name"], *data.sources["file"],
             *data.intervention_details["name"]}
    words = subprocess.run(["pdftotext", str(built["paths"]["pdf"]), "-"], check=True,
                           capture_output=True, text=True).stdout.split()
    for word, following in itertools.pairwise(words):
        for name in names:
            joined = word + following
            if len(word) >= 3 and word != name and name.startswith(word) and (
                    name.startswith(joined) or joined.startswith(name)):
                assert word[-1] in "_./]", (word, following, name)
    hashes = [w for w in words if re.fullmatch(r"[0-9a-f]{6,64}", w)]
    assert hashes
    assert all(len(w) % 8 == 0 for w in hashes), [w for w in hashes if len(w) % 8]


def test_xlsx_has_no_none_reprs_negative_zero_or_float_noise(built: dict[str, Any],
                                                            tmp_path: Path) -> None:
    data = built["data"]
    region = data.position_region.copy()
    region.loc[region.index[0], "vacancy_rate"] = -1e-17
    region.loc[region.index[1], "fte"] = 363613.46000006964
    assumptions = pd.concat([data.assumptions, pd.DataFrame([
        {"scenario": "baseline", "name": "odd", "value": {"dist": "normal", "mean": 1.0},
         "reason": None}])], ignore_index=True)
    sources = data.sources.copy()
    sources.loc[sources.index[0], "licence"] = None
    path = write_xlsx(replace(data, position_region=region, assumptions=assumptions,
                              sources=sources), tmp_path / "tables.xlsx")
    book = load_workbook(path)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                value, where = cell.value, f"{sheet.title}!{cell.coordinate}"
                if isinstance(value, str):
                    assert not re.search(r"\bNone\b|\{'|\bnan\b|-0\.0%|\d\.\d{7,}", value), \
                        (where, value)
                elif isinstance(value, float):
                    assert value == float(f"{value:.12g}"), (where, value)  # no float noise
                    if "%" in cell.number_format:
                        assert not (value < 0 and round(value * 100, 1) == 0), (where, value)
    noisy = book["position_region"]
    column = [c.value for c in noisy[1]].index("fte") + 1
    assert noisy.cell(3, column).value == 363613.46


# --- helpers on small hand-made frames ------------------------------------------------------


def _long(rows: list[tuple[str, str, str, str, int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["scenario", "area", "staff_group", "variable", "year",
                                       "statistic", "value"]).assign(unit="FTE")


def _hand_made() -> pd.DataFrame:
    rows = []
    for scenario, shift in (("base", 0.0), ("plus", -50.0)):
        for group, size in (("nurses", 1000.0), ("doctors", 400.0)):
            for year in (2024, 2029, 2034):
                step = (year - 2024) / 5
                for stat, spread in (("principal", 0), ("p5", -10), ("p50", 0), ("p95", 10)):
                    gap = size * 0.1 * step + spread * step + shift * step
                    rows += [(scenario, "E", group, "gap_fte", year, stat, gap),
                             (scenario, "E", group, "demand_funded_fte", year, stat, size),
                             (scenario, "E", group, "supply_fte", year, stat, size - gap),
                             (scenario, "E", group, "gap_pct", year, stat, 100 * gap / size),
                             (scenario, "E", group, "gap_need_fte", year, stat, gap),
                             (scenario, "E", group, "gap_closed_fte", year, stat,
                              -shift * step),
                             (scenario, "E", group, "intervention_cost_gbp", year, stat,
                              1e6 if shift else 0.0),
                             (scenario, "E", group, "cost_per_fte_gap_closed", year, stat,
                              (2e6 / (-shift * step)) if shift and step else np.nan)]
    return _long(rows)


def test_headline_picks_horizons_and_keeps_staff_group_order() -> None:
    long = _hand_made()
    headline = headline_from_results(long, 2024, (5, 10, 15), scenario="base")
    assert list(headline["staff_group"]) == ["nurses", "nurses", "doctors", "doctors"]
    assert list(headline["horizon_years"]) == [5, 10, 5, 10]  # 15 is beyond the projection
    nurses10 = headline.iloc[1]
    assert (nurses10["gap_fte_p50"], nurses10["gap_fte_p5"], nurses10["gap_fte_p95"]) == \
        (200.0, 180.0, 220.0)
    assert nurses10["supply_fte_p50"] == 800.0
    assert nurses10["gap_pct_p50"] == 20.0
    with pytest.raises(ValueError, match="2 scenarios"):
        headline_from_results(long, 2024)
    two_areas = pd.concat([long, long.assign(area="F")])
    with pytest.raises(ValueError, match="cannot be added up"):
        headline_from_results(two_areas, 2024, scenario="base")


def test_scenario_comparison_and_interventions_from_results() -> None:
    long = _hand_made()
    comparison = scenario_comparison_from_results(long)
    assert list(comparison["scenario"]) == ["base", "base", "plus", "plus"]
    assert set(comparison["year"]) == {2034}
    plus = comparison[(comparison["scenario"] == "plus") & (comparison["staff_group"] == "nurses")]
    assert float(plus["gap_fte_p50"].iloc[0]) == 100.0
    meta = {"base": {"scenario": {"interventions": []}},
            "plus": {"scenario": {"interventions": [
                {"name": "more", "type": "training_places", "staff_group": "all",
                 "amount": 100.0},
                {"name": "keep", "type": "retention", "staff_group": "nurses",
                 "amount": {"dist": "triangular", "low": 0.05, "mode": 0.1, "high": 0.15}}]}}}
    table = interventions_from_results(long, meta)
    assert list(table["staff_group"]) == ["nurses", "doctors"]
    nurses = table.iloc[0]
    assert nurses["type"] == "training_places; retention"
    assert nurses["amount"] == "100; triangular (low/mode/high) 0.05 / 0.1 / 0.15"
    assert nurses["cost_gbp"] == 3e6  # principal cost summed over 2024, 2029 and 2034
    assert nurses["fte_gap_closed_p50"] == 100.0
    assert nurses["cost_per_fte_closed_p50"] == 2e6 / 100


def test_methods_flag_every_default_and_list_the_settings() -> None:
    meta = {"s": {"scenario": {"parameters": {"productivity_growth": 0.01},
                               "staff_group_parameters": {
                                   "nurses": {"leaver_rate_multiplier": 0.9}}},
                  "assumptions": [{"name": "unmet_need_fraction", "value": 0.0,
                                   "reason": "parameter left at its default"},
                                  {"name": "vacancy_fte", "value": 0,
                                   "reason": "no vacancy data"}]}}
    params, assumptions = methods_from_metadata(meta)
    by_name = params.set_index("name")
    assert by_name.loc["unmet_need_fraction", "defaulted"]
    assert by_name.loc["vacancy_fte", "defaulted"]
    assert not by_name.loc["productivity_growth", "defaulted"]
    assert by_name.loc["productivity_growth", "setting"] == "0.01"
    assert by_name.loc["leaver_rate_multiplier", "setting"] == "nurses: 0.9"
    assert by_name.loc["stock_hc", "setting"] == "from the dataset"
    assert "supply_fte" not in by_name.index  # outputs are not assumptions
    assert list(assumptions["name"]) == ["unmet_need_fraction", "vacancy_fte"]


def test_formats() -> None:
    assert [fmt.count(v) for v in (0, 3, 4.0, 5, 12345.4, None)] == \
        ["0", "*", "*", "5", "12,345", "n/a"]
    assert fmt.projection(123456) == "123,000"
    assert fmt.projection(-4567) == "\u22124,570"
    assert fmt.value_range(12345, 9876, 15432) == "12,300 (9,880\u201315,400)"
    assert fmt.value_range(-1200, -3400, 900) == "\u22121,200 (\u22123,400 to 900)"
    assert fmt.percent(0.0734) == "7.3%"
    assert fmt.percent_points(-0.021) == "\u22122.1 pts"
    assert fmt.gbp(1_770_000_000) == "£1.77 billion"
    assert fmt.gbp(92_912) == "£92,900"
    assert fmt.number(-0.0001, 1) == "0.0"
    assert fmt.staff_group_name("nurses_health_visitors") == "Nurses & health visitors"
    assert fmt.grade_name("band_8a") == "Band 8a"


def test_report_data_field_names_are_documented() -> None:
    doc = ReportData.__doc__ or ""
    for name in ReportData.field_names():
        assert name in doc, name
