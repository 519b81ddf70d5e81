"""The data-gap page on the real server: the API's report, ranked gaps first, links, downloads.

A national user sees England's report (or a region's or ICB's with ``?area=``), an ICB
user their ICB's; the public and organisation users are refused.

The report takes seconds to compute; the API keeps its answer (per process, until the
vintage's data changes), so the page, its downloads and the API's answer here share one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import httpx
import pytest
from dashboard_html import parse
from openpyxl import load_workbook

from wfplan.analysis.gaps import SECTOR_NAMES
from wfplan.report.gaps_page import COLUMN_HEADINGS, format_cell
from wfplan.report.headings import GAP_SECTION_TITLES
from wfplan.web.pages.gaps import section_table

pytestmark = pytest.mark.xdist_group("dashboard")
#: The sections, in the order the page shows them (the most important gaps first).
SECTIONS = ("ranked", "coverage", "missing_organisations", "dimensions", "stale", "unmapped",
            "findings")


@pytest.fixture(scope="module")
def national(dash_server) -> Iterator[httpx.Client]:
    """A national user's browser: the session cookie is an API token (docs/dashboard.md)."""
    with httpx.Client(base_url=dash_server.url, timeout=120,
                      cookies={"wfplan_session": dash_server.server.tokens["national"]}) as client:
        yield client


@pytest.fixture(scope="module")
def gap_page(national) -> httpx.Response:
    answer = national.get("/gaps")
    assert answer.status_code == 200, answer.text[:500]
    return answer


@pytest.fixture(scope="module")
def gap_api(dash_server) -> dict:
    answer = dash_server.server.get("national", "/api/v1/gaps")
    assert answer.status_code == 200
    return dict(answer.json())


def _shown(column: str, value: object) -> str:
    """Return a cell as ``wfplan gaps`` shows it (sectors by name, as the page names them)."""
    if column == "sector":
        return SECTOR_NAMES.get(str(value), str(value))
    return format_cell(value, column)


def _plain(row: list[str]) -> list[str]:
    """Return a page row with its typographic minus signs as ``-`` (as ``wfplan gaps`` has)."""
    return [cell.replace("\u2212", "-") for cell in row]


def test_the_page_has_every_section_of_the_api_s_report_ranked_first(gap_page, gap_api) -> None:
    html = gap_page.text
    tables = parse(html).tables
    positions = []
    for section in SECTIONS:
        rows = gap_api["sections"][section]
        heading = f'id="gaps-{section.replace("_", "-")}-heading"'
        assert heading in html, section
        positions.append(html.index(heading))
        table_id = f"gaps-{section.replace('_', '-')}"
        if not rows:
            assert table_id not in tables, section
            continue
        table = tables[table_id]
        assert table["head"] == [COLUMN_HEADINGS[c] for c in rows[0]], section
        expected = [[_shown(c, row[c]) for c in row] for row in rows]
        assert [_plain(r) for r in table["rows"]] == expected, section
        assert f">{GAP_SECTION_TITLES[section]}<" in html, section
    assert positions == sorted(positions), "the sections are not in the page's order"
    ranked = gap_api["sections"]["ranked"]
    assert ranked, "the demo vintage has gaps"
    assert ranked[0]["sector"] == "primary_care"  # the demo's worst gap: no GP vacancies
    summary = html.split('id="summary"')[1].split('id="gaps-ranked-heading"')[0]
    for gap in ranked:
        assert gap["gap"] in summary
    assert "Newest workforce period" in summary
    assert str(gap_api["newest_period"]) in summary


def test_regions_and_organisations_without_data_link_to_their_pages(gap_page, gap_api,
                                                                   national) -> None:
    links = set(parse(gap_page.text).links)
    regions = {code.strip() for row in gap_api["sections"]["coverage"]
               for code in row["regions_without_data"].split(",") if code.strip()}
    assert regions, "the demo has tables without any region"
    assert {f"/area/region/{code}" for code in regions} <= links
    examples = [row["examples"] for row in gap_api["sections"]["missing_organisations"]
                if row["examples"]]
    first = examples[0].split(" (")[0]
    assert f"/area/org/{first}" in links
    assert national.get(f"/area/region/{sorted(regions)[0]}").status_code == 200


def test_the_csv_and_xlsx_are_the_page_s_tables(gap_page, national) -> None:
    tables = parse(gap_page.text).tables
    got = national.get("/download/gaps-ranked.csv")
    assert got.status_code == 200
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == tables["gaps-ranked"]["head"]
    assert [r[3] for r in rows[1:]] == [r[3] for r in tables["gaps-ranked"]["rows"]]
    book = load_workbook(io.BytesIO(national.get("/download/gaps-coverage.xlsx").content))
    sheet = list(book.active.iter_rows(values_only=True))
    assert list(sheet[1]) == tables["gaps-coverage"]["head"]
    assert len(sheet) - 2 == len(tables["gaps-coverage"]["rows"])
    assert all(isinstance(row[2], int) for row in sheet[2:])  # rows: numbers, not text


@pytest.mark.parametrize(("role", "reason"), [
    (None, "for signed-in users of England, a region or an ICB"),
    ("org", "An organisation has none")])
def test_the_public_and_organisation_users_get_no_report_nor_its_link(dash_server, role,
                                                                     reason) -> None:
    cookies = {"wfplan_session": dash_server.server.tokens[role]} if role else {}
    with httpx.Client(base_url=dash_server.url, timeout=60, cookies=cookies) as client:
        refused = client.get("/gaps")
        assert refused.status_code == 403
        assert reason in refused.text
        assert "Coverage by table" not in refused.text
        assert client.get("/download/gaps-ranked.csv").status_code == 403
        assert client.get("/gaps", params={"area": "QMJ"}).status_code == 403
        assert "/gaps" not in parse(client.get("/assessments").text).links


def _page_orgs(html: str) -> set[str]:
    return {link.rsplit("/", 1)[1] for link in parse(html).links
            if link.startswith("/area/org/")}


def test_an_icb_user_sees_the_report_of_their_icb_and_no_other(dash_server) -> None:
    server = dash_server.server
    api = server.get("icb", "/api/v1/gaps").json()
    assert api["area"]["code"] == "QMJ"
    theirs = {o["org_code"] for o in server.get(
        "national", "/api/v1/organisations", params={"icb": "QMJ"}).json()}
    with httpx.Client(base_url=dash_server.url, timeout=120,
                      cookies={"wfplan_session": server.tokens["icb"]}) as client:
        assert "/gaps" in parse(client.get("/assessments").text).links  # the navigation
        page = client.get("/gaps")
        assert page.status_code == 200, page.text[:500]
        assert "<h1>Data gaps: North Central London</h1>" in page.text
        links = set(parse(page.text).links)
        assert {"/area/region/Y56", "/area/icb/QMJ"} <= links  # the breadcrumb
        assert "wfplan gaps --icb QMJ" in page.text
        tables = parse(page.text).tables
        rows = api["sections"]["missing_organisations"]
        assert [_plain(r) for r in tables["gaps-missing-organisations"]["rows"]] == [
            [_shown(c, row[c]) for c in row] for row in rows]
        assert _page_orgs(page.text)
        assert _page_orgs(page.text) <= theirs  # only the ICB's organisations are named
        got = client.get("/download/gaps-missing-organisations.csv")
        assert got.status_code == 200
        assert len(list(csv.reader(io.StringIO(got.text)))) == len(rows) + 1
        other = client.get("/gaps", params={"area": server.codes.icb_other_region})
        assert other.status_code == 403
        assert "outside your role (icb:QMJ)" in other.text
        assert client.get("/download/gaps-ranked.csv", params={
            "area": server.codes.icb_other_region}).status_code == 403


def test_a_national_user_asks_for_an_icb_s_report(national, gap_page, dash_server) -> None:
    page = national.get("/gaps", params={"area": "QMJ"})
    assert page.status_code == 200
    assert "<h1>Data gaps: North Central London</h1>" in page.text
    assert "<h1>Data gaps</h1>" in gap_page.text
    mine = national.get("/download/gaps-missing-organisations.csv", params={"area": "QMJ"})
    england = national.get("/download/gaps-missing-organisations.csv")
    assert mine.text != england.text  # the download keeps the page's area
    with httpx.Client(base_url=dash_server.url, timeout=120, cookies={
            "wfplan_session": dash_server.server.tokens["icb"]}) as icb:
        assert icb.get("/download/gaps-missing-organisations.csv").text == mine.text


def test_codes_are_linked_and_names_escaped() -> None:
    table = section_table("missing_organisations", [
        {"table": "flows", "sector": "primary_care", "expected": 3, "with_data": 1,
         "without_data": 2, "share_without_data": 2 / 3,
         "examples": "B1234 (<b>Hill & Dale</b> GP (PCN)), N89773 (Silstead (South))"}])
    cells = table.body()[0]
    assert cells[6]["html"] == (
        '<a href="/area/org/B1234">B1234</a> (&lt;b&gt;Hill &amp; Dale&lt;/b&gt; GP (PCN)), '
        '<a href="/area/org/N89773">N89773</a> (Silstead (South))')
    assert table.rows[0][6].value.startswith("B1234 (<b>")  # the download keeps the text
    assert cells[5] == {"text": "66.7%", "format": "numeric"}
    regions = section_table("coverage", [{"table": "vacancies", "sector": "social_care",
                                          "first_period": None,
                                          "regions_without_data": "Y56, <i>"}])
    cells = regions.body()[0]
    assert cells[1]["text"] == "Social care"
    assert cells[2]["text"] == "n/a"
    assert cells[3]["html"] == '<a href="/area/region/Y56">Y56</a>, &lt;i&gt;'
