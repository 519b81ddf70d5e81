"""The baseline projection on the pages (``dash_server``): fans, the gap by staff group, gap %.

Each chart's spec and table must hold the API's figures (``/api/v1/projection``, itself
``wfplan project``'s: tests/service/test_service_projection.py), the public's being the
API's controlled ones, and each table's CSV and XLSX the page's rows.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from dashboard_html import login, page_number, parse
from openpyxl import load_workbook
from test_dashboard_pages import _same

from service.live import ICB, REGION

if TYPE_CHECKING:
    from conftest import DemoBaseline

pytestmark = pytest.mark.xdist_group("dashboard")
FANS = {"supply_fte": "supply", "demand_funded_fte": "demand"}


@pytest.fixture
def public(dash_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dash_server.url, timeout=120) as client:
        yield client


@pytest.fixture
def icb_user(dash_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dash_server.url, timeout=120, follow_redirects=True) as client:
        assert login(client, dash_server.user, dash_server.password).status_code == 200
        yield client


def _api(dash_server, role: str | None = None, **params: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {dash_server.server.tokens[role]}"} if role else {}
    answer = httpx.get(f"{dash_server.url}/api/v1/projection", params=params, headers=headers,
                       timeout=120)
    assert answer.status_code == 200, answer.text[:300]
    body: dict[str, Any] = answer.json()
    return body


def _spec(html: str, chart_id: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{chart_id}-spec"[^>]*>(.*?)</script>',
                      html, re.S)
    assert found, f"no chart {chart_id} on the page"
    return dict(json.loads(found.group(1)))


def _drawn(html: str, chart_id: str) -> set[tuple]:
    values = _spec(html, chart_id)["data"]["values"]
    return {(v.get("variable", "gap"), v["year"], v["p5"], v["p50"], v["p95"]) for v in values}


def _rows(answer: dict[str, Any], area: str) -> tuple[set[tuple], set[tuple]]:
    """Return the API's all-staff fans (supply, demand) and gap of an area, as drawn."""
    rows = [r for r in answer["rows"] if r["area_code"] == area
            and r["staff_group"] == "all_staff_groups"]
    fans = {(FANS[r["variable"]], r["year"], r["p5"], r["p50"], r["p95"]) for r in rows
            if r["variable"] in FANS}
    gap = {("gap", r["year"], r["p5"], r["p50"], r["p95"]) for r in rows
           if r["variable"] == "gap_fte"}
    return fans, gap


def test_the_overview_draws_england_s_fans_as_the_api_and_wfplan_project_give_them(
        public, dash_server, demo_baseline: DemoBaseline) -> None:
    page = public.get("/")
    assert page.status_code == 200
    answer = _api(dash_server, level="england")
    fans, gap = _rows(answer, "E92000001")
    assert len(fans) == 2 * 16
    assert _drawn(page.text, "england-fan") == fans
    assert _drawn(page.text, "england-gap-fan") == gap
    cli = demo_baseline.table
    p50 = cli[(cli["area"] == "E92000001") & (cli["staff_group"] == "all_staff_groups")
              & (cli["variable"] == "supply_fte") & (cli["statistic"] == "p50")]
    assert {(y, p50) for kind, y, _p5, p50, _p95 in fans if kind == "supply"} == set(
        zip(p50["year"], p50["value"], strict=True))
    html = re.sub(r"\s+", " ", page.text)
    assert 'id="england-fan-table"' in html
    assert "Show as table" in html
    assert (f"Source: {answer['source']}. Period: 2025 (the census of 2025-03-31) to 2040."
            in html.replace("&#39;", "'"))
    assert f"{demo_baseline.draws} draws, seed {demo_baseline.seed}" in answer["source"]
    assert "Not yet" not in html


@pytest.mark.parametrize(("who", "level", "code"), [("icb", "icb", ICB),
                                                    ("public", "region", REGION),
                                                    ("public", "icb", ICB)])
def test_an_area_page_draws_its_fans_with_the_api_s_numbers(
        who, level, code, public, icb_user, dash_server) -> None:
    client = icb_user if who == "icb" else public
    page = client.get(f"/area/{level}/{code}")
    assert page.status_code == 200
    answer = _api(dash_server, "icb" if who == "icb" else None, level=level, area=code,
                  staff_group="all_staff_groups")
    assert answer["controlled"] is (who == "public")
    fans, gap = _rows(answer, code)
    assert _drawn(page.text, f"{level}-{code}-fan") == fans
    assert _drawn(page.text, f"{level}-{code}-gap-fan") == gap
    table = parse(page.text).tables[f"{level}-{code}-projection"]
    assert [row[0] for row in table["rows"]] == [str(y) for y in range(2025, 2041)]
    supply = {r["year"]: r["p50"] for r in answer["rows"] if r["variable"] == "supply_fte"}
    for row in table["rows"]:
        assert page_number(row[2]) == pytest.approx(supply[int(row[0])], abs=0.05)


def test_an_organisation_page_draws_its_own_fans_with_the_api_s_numbers(
        public, icb_user, dash_server) -> None:
    org = dash_server.server.codes.org
    page = icb_user.get(f"/area/org/{org}")
    assert page.status_code == 200
    answer = _api(dash_server, "icb", level="org", area=org, staff_group="all_staff_groups")
    assert answer["projected_level"] == "org"
    fans, gap = _rows(answer, org)
    assert len(fans) == 2 * 16
    assert _drawn(page.text, f"org-{org}-fan") == fans
    assert _drawn(page.text, f"org-{org}-gap-fan") == gap
    table = parse(page.text).tables[f"org-{org}-projection"]
    assert [row[0] for row in table["rows"]] == [str(y) for y in range(2025, 2041)]
    by = {(r["variable"], r["year"]): r for r in answer["rows"]}
    for row in table["rows"]:
        year = int(row[0])
        for column, (variable, stat) in enumerate(
                [(v, s) for v in ("supply_fte", "demand_funded_fte", "gap_fte")
                 for s in ("p5", "p50", "p95")], start=1):
            assert page_number(row[column]) == pytest.approx(by[(variable, year)][stat],
                                                             abs=0.05)
    html = re.sub(r"\s+", " ", page.text).replace("&#39;", "'")
    assert f"Source: {answer['source']}. Period: 2025 (the census of 2025-03-31) to 2040." in html
    assert "Show as table" in html
    assert "projected at organisation level for this organisation alone" in html
    assert public.get(f"/area/org/{org}").status_code == 403


def test_the_overview_s_gap_by_staff_group_is_the_api_s(public, dash_server) -> None:
    page = public.get("/")
    answer = _api(dash_server, level="england")
    table = parse(page.text).tables["england-gap"]
    assert table["head"][2] == "Gap 2035 P50 (FTE)"
    assert table["head"][5] == "Gap 2040 P50 (FTE)"
    gap = {(r["staff_group"], r["year"]): r for r in answer["rows"]
           if r["variable"] == "gap_fte"}
    codes = [row[1] for row in table["rows"]]
    assert codes[0] == "all_staff_groups"
    assert set(codes) == {r["staff_group"] for r in answer["rows"]}
    for row in table["rows"]:
        for column, (year, stat) in enumerate([(2035, "p50"), (2035, "p5"), (2035, "p95"),
                                               (2040, "p50"), (2040, "p5"), (2040, "p95")]):
            assert page_number(row[2 + column]) == pytest.approx(
                gap[(row[1], year)][stat], abs=0.05)
    bars = _spec(page.text, "england-gap-bars")["data"]["values"]
    expected = {(r["staff_group_name"], r["p50"]) for r in gap.values()
                if r["year"] == 2040 and not r["staff_group"].startswith("all_")}
    assert {(v["staff_group_name"], v["p50"]) for v in bars} == expected


@pytest.mark.parametrize("path", ["/", f"/area/region/{REGION}"])
def test_the_map_s_gap_pct_is_the_api_s_gap_share_in_the_last_year(path, public,
                                                                   dash_server) -> None:
    page = public.get(path, params={"measure": "gap_pct"})
    assert page.status_code == 200
    answer = _api(dash_server, level="icb", staff_group="all_staff_groups", year="2040")
    expected = {r["area_code"]: r["p50"] / 100 for r in answer["rows"]
                if r["variable"] == "gap_pct"}
    assert len(expected) == 42
    stem = "england" if path == "/" else f"region-{REGION}"
    values = _spec(page.text, f"{stem}-icb-map")["data"]["values"]
    assert {v["icb_code"]: v["value"] for v in values} == expected
    table = parse(page.text).tables[f"{stem}-map"]
    assert table["head"][2] == "Gap % of demand (baseline projection)"
    for row in table["rows"]:
        assert page_number(row[2]) == pytest.approx(expected[row[1]], abs=0.0005)
    assert "2040, the P50 of the baseline projection" in page.text


@pytest.mark.parametrize(("who", "path", "table_id"), [
    ("public", "/", "england-projection"),
    ("public", "/", "england-gap"),
    ("public", "/?measure=gap_pct", "england-map"),
    ("icb", f"/area/icb/{ICB}", f"icb-{ICB}-projection"),
    ("icb", "/area/org/{org}", "org-{org}-projection"),
])
def test_a_projection_table_s_csv_and_xlsx_are_the_page_s(who, path, table_id, public,
                                                          icb_user, dash_server) -> None:
    client = icb_user if who == "icb" else public
    org = dash_server.server.codes.org
    path, table_id = path.format(org=org), table_id.format(org=org)
    table = parse(client.get(path).text).tables[table_id]
    assert table["rows"]
    query = path.partition("?")[2]
    got = client.get(f"/download/{table_id}.csv" + (f"?{query}" if query else ""))
    assert got.status_code == 200
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == table["head"]
    assert len(rows) - 1 == len(table["rows"])
    for shown_row, csv_row in zip(table["rows"], rows[1:], strict=True):
        for shown, value in zip(shown_row, csv_row, strict=True):
            assert _same(shown, value), (table_id, shown, value)
    book = load_workbook(io.BytesIO(client.get(
        f"/download/{table_id}.xlsx" + (f"?{query}" if query else "")).content))
    sheet = list(book.active.iter_rows(values_only=True))
    assert list(sheet[1]) == table["head"]
    for csv_row, xlsx_row in zip(rows[1:], sheet[2:], strict=True):
        for value, cell in zip(csv_row, xlsx_row, strict=True):
            same = ("" if cell is None else str(cell)) == value
            assert same or float(value) == pytest.approx(cell, rel=1e-14)
