"""The equality page on the real server: WRES indicator 1 and Model Employer, the API's numbers.

Each table of ``/equality?area=CODE`` holds the area's rows of ``GET /api/v1/equality``
at the area's level, in order, every number equal to the API's to the digits shown;
the chart draws the same shares with the whole workforce's as a rule. The ICB user's
own ICB is uncontrolled; another ICB, England and anything for the public are the
public answer (disclosure control), as on the area pages. Downloads are the page's
tables with the raw values; QMJ's band 3 is off track by what ``wfplan equality`` says.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from dashboard_html import decimals_shown, parse
from jinja2 import Environment
from markupsafe import escape
from openpyxl import load_workbook
from typer.testing import CliRunner

from service.live import ICB, REGION
from wfplan.cli.main import app
from wfplan.report import format as fmt
from wfplan.web.pages.render import environment
from wfplan.web.pages.tables import Table

pytestmark = pytest.mark.xdist_group("dashboard")
ENGLAND = "E92000001"
#: The API's field shown in each column of each table (a callable: the text shown).
FIELDS: dict[str, list[Any]] = {
    "wres": ["band", "minority_headcount", "known_headcount", "ethnic_minority_share",
             "overall_share", "difference"],
    "goals": ["grade", "base_period", "known_headcount", "minority_headcount", "base_share",
              "target_share", "target_year", "leaver_rate", "promotion_rate",
              "headcount_growth", "at_base", "goal"],
    "trajectory": ["grade", "year", "path_share", "headcount", "minority_target",
                   "appointments", "minority_appointments", "minority_share_of_appointments"],
    "progress": ["grade", "period", "year", "minority_headcount", "known_headcount",
                 "path_share", "expected_minority", "gap_heads", "status"],
}
ROLE_NAMES = {"consultant": "Consultant", "specialty_registrar": "Specialty Registrar"}
SPEC = re.compile(r'<script type="application/json" id="([^"]+)-spec"[^>]*>(.*?)</script>', re.S)


def _client(dash_server: Any, role: str | None) -> httpx.Client:
    cookies = {"wfplan_session": dash_server.server.tokens[role]} if role else {}
    return httpx.Client(base_url=dash_server.url, timeout=120, cookies=cookies)


@pytest.fixture(scope="module")
def icb(dash_server) -> Iterator[httpx.Client]:
    """The ICB user's browser (icb:QMJ): the session cookie is an API token."""
    with _client(dash_server, "icb") as client:
        yield client


@pytest.fixture(scope="module")
def public(dash_server) -> Iterator[httpx.Client]:
    with _client(dash_server, None) as client:
        yield client


def _api(dash_server: Any, role: str | None, level: str) -> dict[str, Any]:
    answer = dash_server.server.get(role, "/api/v1/equality", params={"level": level})
    assert answer.status_code == 200, answer.text[:300]
    return dict(answer.json())


def _page(client: httpx.Client, **params: str) -> httpx.Response:
    page = client.get("/equality", params={"vintage": "demo", **params})
    assert page.status_code == 200, page.text[:500]
    return page


def _number(text: str) -> float:
    """Return the number a cell shows: ``1,234.5``, ``7.3%`` as 0.073, ``+2.1 pts`` as 0.021."""
    plain = text.replace(",", "").replace(fmt.MINUS, "-").removeprefix("+")
    if plain.endswith(" pts"):
        return float(plain.removesuffix(" pts")) / 100
    return float(plain.rstrip("%")) / (100 if plain.endswith("%") else 1)


def _step(text: str) -> float:
    """Return half the last digit a cell shows, in the API's unit (shares as fractions)."""
    shown = text.removesuffix(" pts")
    scale = 0.01 if shown.endswith("%") or text.endswith(" pts") else 1.0
    return 10.0 ** -decimals_shown(shown) * scale / 2 + 1e-12


def _text(field: str, row: dict[str, Any]) -> str:
    if field == "band":
        if row["role"]:
            return f"Medical and dental: {ROLE_NAMES.get(row['role'], row['role'])}"
        return fmt.grade_name(row["grade"])
    if field == "grade":
        return fmt.grade_name(row["grade"])
    return str(row[field])


def _same_rows(shown: list[list[str]], rows: list[dict[str, Any]], part: str) -> None:
    """Assert the page's rows are the API's, in order, each number to the digits shown."""
    assert len(shown) == len(rows), part
    for cells, row in zip(shown, rows, strict=True):
        for cell, field in zip(cells, FIELDS[part], strict=True):
            value = row.get(field)
            if field in ("band", "grade") or isinstance(value, str) or field.endswith("year"):
                if field == "band" and row["role"] and row["role"] not in ROLE_NAMES:
                    assert cell.startswith("Medical and dental: "), (part, cell)
                    continue
                assert cell == _text(field, row), (part, field, cell, row)
            elif value is None:
                assert cell == "n/a", (part, field, cell)
            else:
                assert abs(_number(cell) - value) <= _step(cell), (part, field, cell, value)


def _of(answer: dict[str, Any], code: str) -> dict[str, list[dict[str, Any]]]:
    return {part: [r for r in answer[part] if r["area_code"] == code] for part in FIELDS}


def test_the_icb_user_s_page_is_the_api_s_answer_for_their_icb(icb, dash_server) -> None:
    page = _page(icb, area=ICB)
    tables = parse(page.text).tables
    answer = _api(dash_server, "icb", "icb")
    assert answer["level"] == "icb"
    assert answer["controlled"] is False
    rows = _of(answer, ICB)
    assert all(rows.values()), "the demo has every part for QMJ"
    for part in FIELDS:
        _same_rows(tables[f"equality-{ICB}-{part}"]["rows"], rows[part], part)
    assert "<h1>Equality: North Central London</h1>" in page.text
    assert "Disclosure control applied" not in page.text
    assert "You are seeing the public figures" not in page.text
    crumbs = page.text.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    assert f'href="/area/region/{REGION}"' in crumbs
    assert f'href="/area/icb/{ICB}"' in crumbs
    assert "Census of WRES indicator 1" in page.text
    assert rows["wres"][0]["period"] in page.text
    assert answer["base"] in page.text
    assert "https://www.england.nhs.uk/publication/a-model-employer/" in page.text
    assert "Source: vintage demo: staff in post by pay band and ethnic group" in page.text
    for source in {g["leaver_rate_source"] for g in rows["goals"]}:
        assert str(escape(f"Leaver rate: {source}.")) in page.text
    for text in answer["assumptions"]:
        assert str(escape(text)) in page.text


def test_qmj_band_3_is_off_track_by_what_wfplan_equality_says(icb, dash_server,
                                                              demo_vintage) -> None:
    result = CliRunner().invoke(app, ["equality", "--db", str(demo_vintage.db), "--vintage",
                                      "demo", "--level", "icb", "--format", "json"])
    assert result.exit_code == 0, result.output
    cli = [r for r in json.loads(result.stdout)["progress"]
           if r["area_code"] == ICB and r["grade"] == "band_3"]
    assert [r["status"] for r in cli] == ["off track"]
    page = _page(icb, area=ICB)
    [shown] = [r for r in parse(page.text).tables[f"equality-{ICB}-progress"]["rows"]
               if r[0] == "Band 3"]
    assert shown[-1] == "off track"
    assert shown[-2] == fmt.number(cli[0]["gap_heads"], 1)
    assert 90 < cli[0]["gap_heads"] < 95  # the demo's: about 92.4 heads short
    summary = page.text.split('id="summary"')[1].split('id="wres"')[0]
    assert f"Band 3 ({fmt.number(cli[0]['gap_heads'], 1)})" in summary


def test_the_chart_draws_the_api_s_shares_with_the_whole_workforce_as_a_rule(icb,
                                                                             dash_server) -> None:
    page = _page(icb, area=ICB)
    specs = {name: json.loads(body) for name, body in SPEC.findall(page.text)}
    spec = specs[f"equality-{ICB}-wres-chart"]
    bands = [r for r in _of(_api(dash_server, "icb", "icb"), ICB)["wres"] if not r["role"]]
    assert [v["share"] for v in spec["data"]["values"]] == [
        r["ethnic_minority_share"] for r in bands]
    assert [v["band"] for v in spec["data"]["values"]] == [_text("band", r) for r in bands]
    rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    assert [rule["data"]["values"][0]["overall"] for rule in rules] == [
        bands[0]["overall_share"]]
    assert f'id="equality-{ICB}-wres-chart-table"' in page.text  # "Show as table"
    assert page.text.count("/static/vendor/vega-embed/") == 1


def test_the_public_and_another_icb_s_user_see_the_public_answer(icb, public,
                                                                 dash_server) -> None:
    other = dash_server.server.codes.icb_other_region
    controlled = _api(dash_server, None, "icb")
    assert controlled["controlled"] is True
    for client, code in ((public, ICB), (public, other), (icb, other)):
        page = _page(client, area=code)
        tables = parse(page.text).tables
        rows = _of(controlled, code)
        for part in FIELDS:
            _same_rows(tables[f"equality-{code}-{part}"]["rows"], rows[part], part)
        assert "Disclosure control applied" in page.text
        if client is icb:
            assert "You are seeing the public figures" in page.text
    national = _of(_api(dash_server, "national", "icb"), other)["wres"]
    exact = [r["known_headcount"] for r in national]
    assert exact != [r["known_headcount"] for r in _of(controlled, other)["wres"]]
    england = _page(icb)  # England is outside an ICB role, as on the overview
    assert "You are seeing the public figures" in england.text
    _same_rows(parse(england.text).tables[f"equality-{ENGLAND}-wres"]["rows"],
               _of(_api(dash_server, None, "england"), ENGLAND)["wres"], "wres")


def test_a_national_user_reads_england_and_a_region(dash_server) -> None:
    with _client(dash_server, "national") as national:
        for level, code, params in (("england", ENGLAND, {}), ("region", REGION,
                                                              {"area": REGION.lower()})):
            page = _page(national, **params)
            rows = _of(_api(dash_server, "national", level), code)
            assert rows["wres"], level
            for part in FIELDS:
                _same_rows(parse(page.text).tables[f"equality-{code}-{part}"]["rows"],
                           rows[part], part)
            assert "Disclosure control applied" not in page.text


@pytest.mark.parametrize("part", list(FIELDS))
def test_each_table_downloads_as_the_page_s_rows_with_the_raw_values(icb, dash_server,
                                                                      part) -> None:
    table_id = f"equality-{ICB}-{part}"
    shown = parse(_page(icb, area=ICB).text).tables[table_id]
    got = icb.get(f"/download/{table_id}.csv", params={"vintage": "demo", "area": ICB})
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == shown["head"]
    api = _of(_api(dash_server, "icb", "icb"), ICB)[part]
    assert len(rows) - 1 == len(shown["rows"]) == len(api)
    for page_row, csv_row in zip(shown["rows"], rows[1:], strict=True):
        for cell, value in zip(page_row, csv_row, strict=True):
            if cell == "n/a":
                assert value == ""
            elif re.match(r"^[+\u2212-]?[0-9][0-9,]*(\.[0-9]+)?(%| pts)?$", cell) and not (
                    re.match(r"^(19|20)[0-9]{2}$", cell)):
                assert abs(float(value) - _number(cell)) <= _step(cell), (part, cell, value)
            else:
                assert cell == value, (part, cell, value)
    book = load_workbook(io.BytesIO(icb.get(f"/download/{table_id}.xlsx",
                                            params={"vintage": "demo"}).content))
    sheet = list(book.active.iter_rows(values_only=True))
    assert list(sheet[1]) == shown["head"]
    assert len(sheet) - 2 == len(api)


def test_the_public_downloads_the_public_figures_and_no_organisation(public, dash_server) -> None:
    other = dash_server.server.codes.icb_other_region
    got = public.get(f"/download/equality-{other}-wres.csv", params={"vintage": "demo"})
    assert got.status_code == 200
    known = [float(r[2]) for r in list(csv.reader(io.StringIO(got.text)))[1:] if r[2]]
    assert known
    assert all(k % 5 == 0 for k in known)  # rounded to the nearest 5
    org = dash_server.server.codes.org
    for path in (f"/equality?area={org}", f"/download/equality-{org}-wres.csv"):
        assert public.get(path).status_code in (403, 404), path
    assert public.get("/equality", params={"area": "NOPE1"}).status_code in (403, 404)
    bad = public.get("/equality", params={"area": "<b>"})
    assert bad.status_code == 404
    assert "nhsuk-header" in bad.text


def test_the_navigation_and_an_area_page_link_to_it(icb, public, dash_server) -> None:
    own = f"/equality?area={ICB}"
    assert own in parse(icb.get("/assessments").text).links  # the ICB user's own
    assert "/equality" in parse(public.get("/assessments").text).links
    for client in (icb, public):
        area = client.get(f"/area/icb/{ICB}", params={"vintage": "demo"})
        assert f"{own}&amp;vintage=demo" in area.text
    region = public.get(f"/area/region/{REGION}")
    assert f'href="/equality?area={REGION}"' in region.text
    org = dash_server.server.codes.org
    assert f"/equality?area={org}" not in icb.get(f"/area/org/{org}").text


def _macro_environment() -> Environment:
    env = environment.__wrapped__()  # type: ignore[attr-defined]  # functools.cache's own
    env.globals["table_html"] = lambda table: None
    return env


def test_the_tables_are_written_as_the_nhs_macro_writes_them(icb) -> None:
    from wfplan.web.pages.equality import _page as build

    area = {"code": ICB, "level": "icb", "name": "North Central London", "parent_code": REGION}
    answer = icb.get("/api/v1/equality", params={"vintage": "demo", "level": "icb"},
                     headers={"Authorization": f"Bearer {icb.cookies['wfplan_session']}"})
    tables: list[Table] = list(build(area, answer.json()).tables.values())
    call = '{% from "macros/tables.html" import data_table %}{{ data_table(t, "") }}'
    for table in tables:
        fast = environment().from_string(call).render(t=table)
        assert fast == _macro_environment().from_string(call).render(t=table), table.table_id
