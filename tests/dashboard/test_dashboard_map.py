"""The ICB map of the England overview and the region pages, and England's trend charts.

Over HTTP on the dashboard's one server (``dash_server``): the map's spec and the table
beside it hold exactly the API's figures for the chosen measure, the public's being the
API's controlled ones; an unknown measure is a 400 page.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import httpx
import pytest
from dashboard_html import page_number, parse

from service.live import REGION

pytestmark = pytest.mark.xdist_group("dashboard")


@pytest.fixture
def public(dash_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dash_server.url, timeout=60) as client:
        yield client


@pytest.fixture
def national(dash_server) -> Iterator[httpx.Client]:
    """A browser whose session is the national token (the page's figures uncontrolled)."""
    cookies = {"wfplan_session": dash_server.server.tokens["national"]}
    with httpx.Client(base_url=dash_server.url, timeout=60, cookies=cookies) as client:
        yield client


def _api(dash_server, path: str, role: str | None = None, **params: str) -> object:
    headers = {"Authorization": f"Bearer {dash_server.server.tokens[role]}"} if role else {}
    answer = httpx.get(f"{dash_server.url}/api/v1{path}", params=params, headers=headers,
                       timeout=60)
    assert answer.status_code == 200, answer.text[:300]
    return answer.json()


def _spec(html: str, chart_id: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{chart_id}-spec"[^>]*>(.*?)</script>',
                      html, re.S)
    assert found, f"no chart {chart_id} on the page"
    return dict(json.loads(found.group(1)))


def _tiles(html: str, chart_id: str) -> dict[str, object]:
    values = _spec(html, chart_id)["data"]["values"]
    assert len(values) == 42
    assert len({v["icb_code"] for v in values}) == 42
    return {v["icb_code"]: v["value"] for v in values}


@pytest.mark.parametrize("measure", [None, "sickness_absence_rate", "headcount"])
@pytest.mark.parametrize("who", ["public", "national"])
def test_the_england_map_has_42_tiles_with_the_apis_values(who, measure, public, national,
                                                          dash_server) -> None:
    client = public if who == "public" else national
    page = client.get("/", params={"measure": measure} if measure else {})
    assert page.status_code == 200
    key = measure or "vacancy_rate"  # the default
    answer = _api(dash_server, "/metrics", None if who == "public" else "national", level="icb")
    assert answer["controlled"] is (who == "public")
    expected = {r["area_code"]: r[key] for r in answer["current_position"]}
    assert len(expected) == 42
    assert _tiles(page.text, "england-icb-map") == expected
    # The table beside it: the API's rows, as the page shows them.
    table = parse(page.text).tables["england-map"]
    assert table["head"][:2] == ["ICB", "Code"]
    assert [row[1] for row in table["rows"]] == [r["area_code"] for r in answer["current_position"]]
    for row, api_row in zip(table["rows"], answer["current_position"], strict=True):
        shown = page_number(row[2])
        value = api_row[key]
        assert (shown is None) == (value is None), row
        if value is not None:
            step = 0.0005 if row[2].endswith("%") else 0.5
            assert abs(shown - value) <= step + 1e-12, (row, value)
    # Its download has the API's values exactly.
    query = {"measure": measure} if measure else {}
    rows = list(csv.reader(io.StringIO(client.get("/download/england-map.csv",
                                                  params=query).text)))
    assert [r[1] for r in rows[1:]] == list(expected)
    assert [None if r[2] == "" else float(r[2]) for r in rows[1:]] == list(expected.values())
    # The form chose the measure: a GET with the measure selected and no CSRF field.
    form = page.text.split('class="wf-map-form"')[1].split("</form>")[0]
    assert 'method="get"' in form
    assert re.search(rf'<option value="{key}"\s+selected>', form), form[:500]
    assert 'name="csrf"' not in form


def test_the_public_map_shows_the_controlled_figures(public, national, dash_server) -> None:
    shown = _tiles(public.get("/", params={"measure": "headcount"}).text, "england-icb-map")
    controlled = _api(dash_server, "/metrics", level="icb")
    raw = _api(dash_server, "/metrics", "national", level="icb")
    assert shown == {r["area_code"]: r["headcount"] for r in controlled["current_position"]}
    exact = {r["area_code"]: r["headcount"] for r in raw["current_position"]}
    assert shown != exact  # rounded under disclosure control
    assert _tiles(national.get("/?measure=headcount").text, "england-icb-map") == exact
    assert "ICB level under disclosure control)" in public.get("/").text  # the map's source
    assert "ICB level under disclosure control)" not in national.get("/").text


def test_a_region_page_maps_every_icb_and_outlines_its_own(public, dash_server) -> None:
    page = public.get(f"/area/region/{REGION}", params={"measure": "leaver_rate"})
    assert page.status_code == 200
    own = [a["code"] for a in _api(dash_server, "/areas", level="icb")
           if a["parent_code"] == REGION]
    answer = _api(dash_server, "/metrics", level="icb")
    spec = _spec(page.text, f"region-{REGION}-icb-map")
    values = spec["data"]["values"]
    assert {v["icb_code"]: v["value"] for v in values} == {
        r["area_code"]: r["leaver_rate"] for r in answer["current_position"]}
    assert sorted(v["icb_code"] for v in values if v["highlight"]) == sorted(own)
    table = parse(page.text).tables[f"region-{REGION}-map"]
    assert [row[1] for row in table["rows"]] == [
        r["area_code"] for r in answer["current_position"] if r["area_code"] in own]
    assert table["head"][2] == "Turnover (leaver rate)"
    assert f'action="/area/region/{REGION}#map"' in page.text
    assert page.text.count("/static/vendor/vega-embed/") == 1  # the charts' scripts once
    # A region user sees their own ICBs' figures (uncontrolled); the others are not theirs.
    cookies = {"wfplan_session": dash_server.server.tokens["region"]}
    with httpx.Client(base_url=dash_server.url, timeout=60, cookies=cookies) as user:
        mine = _tiles(user.get(f"/area/region/{REGION}").text, f"region-{REGION}-icb-map")
    scoped = _api(dash_server, "/metrics", "region", level="icb")
    assert {c: v for c, v in mine.items() if v is not None} == {
        r["area_code"]: r["vacancy_rate"] for r in scoped["current_position"]}
    assert sorted(c for c, v in mine.items() if v is not None) == sorted(own)


@pytest.mark.parametrize("path", ["/", f"/area/region/{REGION}", "/download/england-map.csv"])
def test_an_unknown_measure_is_a_400_page(public, path) -> None:
    for measure in ("gap_percent", "x" * 300, "area_code"):
        answer = public.get(path, params={"measure": measure})
        assert answer.status_code == 400, (path, measure, answer.status_code)
        assert "nhsuk-header" in answer.text
        assert "The map cannot show that measure" in answer.text


def test_england_has_its_own_trend_charts(public, dash_server) -> None:
    page = public.get("/")
    trend = _api(dash_server, "/trends", measure="sickness_rate", level="england")
    spec = _spec(page.text, "trend-sickness-rate")
    drawn = [(row["period"], row["value"]) for row in spec["data"]["values"]]
    assert drawn == [(p["period"], p["value"]) for p in trend["points"]]
    assert f"Source: {trend['source']}. Period: {trend['period']}." in page.text
    assert 'id="trend-sickness-rate-table"' in page.text  # "Show as table"
    assert page.text.count("/static/vendor/vega-embed/") == 1
