"""The dashboard's pages over HTTP on a real server: sessions, CSRF, scope, assets, downloads."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator

import httpx
import pytest
from dashboard_html import csrf_of, decimals_shown, login, page_number, parse
from openpyxl import load_workbook

from service.live import ICB

pytestmark = pytest.mark.xdist_group("dashboard")
NUMBER = re.compile(r"^[\u2212-]?[0-9][0-9,]*(\.[0-9]+)?%?$")


@pytest.fixture
def public(dash_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dash_server.url, timeout=60, follow_redirects=True) as client:
        yield client


@pytest.fixture
def icb_user(dash_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dash_server.url, timeout=60, follow_redirects=True) as client:
        response = login(client, dash_server.user, dash_server.password)
        assert response.status_code == 200, response.text[:500]
        yield client


def test_login_sets_a_strict_httponly_session_cookie_and_audits_the_token(dash_server) -> None:
    with httpx.Client(base_url=dash_server.url, timeout=60, follow_redirects=True) as client:
        form = client.get("/login")
        csrf_cookie = form.headers["set-cookie"]
        assert csrf_cookie.startswith("wfplan_csrf=")
        assert "HttpOnly" in csrf_cookie
        assert "SameSite=strict" in csrf_cookie
        answer = client.post("/login", follow_redirects=False, data={
            "name": dash_server.user, "password": dash_server.password,
            "csrf": csrf_of(form.text)})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("wfplan_session=wfp_")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= attributes
    assert "secure" not in attributes  # plain http here; Secure over https
    audit = httpx.get(f"{dash_server.url}/api/v1/audit", timeout=60,
                      params={"actor": dash_server.user, "action": "token.create"},
                      headers={"Authorization": f"Bearer {dash_server.server.tokens['national']}"})
    assert audit.status_code == 200
    assert audit.json(), "the session's token was not audited"


def test_the_cookies_are_secure_behind_a_tls_proxy(dash_server) -> None:
    # uvicorn trusts X-Forwarded-Proto from loopback (a reverse proxy on the same host).
    https = {"X-Forwarded-Proto": "https"}
    with httpx.Client(base_url=dash_server.url, timeout=60, headers=https) as client:
        form = client.get("/login")
        assert "secure" in form.headers["set-cookie"].lower()
        # httpx keeps a Secure cookie off plain http: send it as the browser would over TLS.
        value = form.headers["set-cookie"].split(";")[0]
        answer = client.post("/login", follow_redirects=False, headers={"Cookie": value}, data={
            "name": dash_server.user, "password": dash_server.password,
            "csrf": csrf_of(form.text)})
    assert answer.status_code == 303
    attributes = {part.strip().lower() for part in answer.headers["set-cookie"].split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/", "secure"} <= attributes


def test_a_wrong_password_is_refused_without_a_cookie(public, dash_server) -> None:
    answer = login(public, dash_server.user, "not the password")
    assert answer.status_code == 401
    assert "wfplan_session" not in answer.headers.get("set-cookie", "")
    assert "The user name or password is not right" in answer.text


def test_a_post_without_or_with_a_wrong_csrf_is_403(public, dash_server) -> None:
    public.get("/login")
    data = {"name": dash_server.user, "password": dash_server.password}
    for sent in ({}, {"csrf": "x" * 43}):
        answer = public.post("/login", data={**data, **sent}, follow_redirects=False)
        assert answer.status_code == 403, answer.text[:300]
        assert "security token did not match" in answer.text
        assert "wfplan_session" not in answer.headers.get("set-cookie", "")
    # The log-in form's value without its cookie (another browser) is refused too.
    with httpx.Client(base_url=dash_server.url, timeout=60, follow_redirects=True) as other:
        stolen = csrf_of(public.get("/login").text)
        answer = other.post("/login", data={**data, "csrf": stolen}, follow_redirects=False)
        assert answer.status_code == 403


def test_logout_needs_its_csrf_and_revokes_the_token(dash_server) -> None:
    with httpx.Client(base_url=dash_server.url, timeout=60, follow_redirects=True) as client:
        login(client, dash_server.user, dash_server.password)
        token = client.cookies["wfplan_session"]
        bearer = {"Authorization": f"Bearer {token}"}
        metrics = f"{dash_server.url}/api/v1/metrics?level=icb&area={ICB}"
        assert httpx.get(metrics, headers=bearer, timeout=60).status_code == 200  # now cached
        assert client.post("/logout", data={"csrf": "wrong"}).status_code == 403
        page = client.get("/")
        assert "Signed in as dash-icb" in page.text
        answer = client.post("/logout", data={"csrf": csrf_of(page.text)},
                             follow_redirects=False)
        assert answer.status_code == 303
        assert 'wfplan_session=""' in answer.headers["set-cookie"] or \
            "Max-Age=0" in answer.headers["set-cookie"]
    # Refused at once, also by the metrics endpoint's token cache (forgotten on log-out).
    assert httpx.get(metrics, headers=bearer, timeout=60).status_code == 401
    assert httpx.get(f"{dash_server.url}/api/v1/me", headers=bearer, timeout=60).status_code == 401
    with httpx.Client(base_url=dash_server.url, timeout=60, follow_redirects=True,
                      cookies={"wfplan_session": token}) as old:
        page = old.get("/")
        assert page.status_code == 200
        assert "Log in" in page.text
        assert "Signed in as" not in page.text
        assert "wfplan_session" in page.headers["set-cookie"]  # the stale cookie is cleared
        assert old.get(f"/area/org/{dash_server.server.codes.org}").status_code == 403


def test_the_public_sees_no_organisation_and_no_upload(public, dash_server) -> None:
    codes = dash_server.server.codes
    england = public.get("/")
    assert england.status_code == 200
    icb = public.get(f"/area/icb/{ICB}")
    assert icb.status_code == 200
    for page in (england, icb):
        links = parse(page.text).links
        assert not [link for link in links if link.startswith("/area/org/")], links
        assert "/upload" not in links
        assert "Disclosure control applied" in page.text
    refused = public.get(f"/area/org/{codes.org}")
    assert refused.status_code == 403
    assert "current position" not in refused.text.lower()
    assert public.get(f"/download/org-{codes.org}-position.csv").status_code == 403


def test_an_icb_user_sees_its_organisations_and_not_another_icbs(icb_user, dash_server) -> None:
    codes = dash_server.server.codes
    icb = icb_user.get(f"/area/icb/{ICB}")
    assert icb.status_code == 200
    assert f"/area/org/{codes.org}" in parse(icb.text).links
    assert "Disclosure control applied" not in icb.text
    own = icb_user.get(f"/area/org/{codes.org}")
    assert own.status_code == 200
    crumbs = own.text.split('aria-label="Breadcrumb"')[1].split("</nav>")[0]
    assert 'href="/"' in crumbs
    assert f'href="/area/icb/{ICB}"' in crumbs
    assert 'href="/area/region/Y56"' in crumbs
    for other in (codes.org_same_region, codes.org_other_region):
        refused = icb_user.get(f"/area/org/{other}")
        assert refused.status_code == 403, other
        assert "current position" not in refused.text.lower()
        assert icb_user.get(f"/download/org-{other}-position.csv").status_code == 403
    # England is outside an ICB role: the page shows the public figures, and says so.
    england = icb_user.get("/")
    assert england.status_code == 200
    assert "You are seeing the public figures" in england.text


def test_unknown_pages_are_nhs_styled_404s(public) -> None:
    for path in ("/area/ward/QMJ", "/area/icb/NOPE1", "/download/england-nothing.csv",
                 "/download/england-headline.pdf"):
        answer = public.get(path)
        assert answer.status_code in (403, 404), (path, answer.status_code)
        assert "nhsuk-header" in answer.text, path


def test_every_asset_and_link_is_same_origin_and_served(public, icb_user, dash_server) -> None:
    codes = dash_server.server.codes
    pages = [(public, "/"), (public, "/login"), (public, "/area/region/Y56"),
             (public, f"/area/icb/{ICB}"), (icb_user, f"/area/icb/{ICB}"),
             (icb_user, f"/area/org/{codes.org}"), (icb_user, "/logout")]
    assets: set[str] = set()
    for client, path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        for link in parse(page.text).links:
            assert link.startswith(("/", "#")), (path, link)
            assert not link.startswith("//"), (path, link)
            if link.startswith("/static/"):
                assets.add(link)
    assert any(a.endswith(".css") for a in assets)
    assert any(a.endswith(".js") for a in assets)
    for asset in sorted(assets):
        assert public.get(asset).status_code == 200, asset


def _page_table(client: httpx.Client, path: str, table_id: str) -> dict[str, list]:
    page = client.get(path)
    assert page.status_code == 200
    return parse(page.text).tables[table_id]


def _same(shown: str, value: str) -> bool:
    """Whether a CSV value is what the page shows (the page rounds; n/a is empty)."""
    if not (NUMBER.match(shown) or shown == "n/a"):
        return shown == value
    number = page_number(shown)
    if number is None:
        return value == ""
    step = 10.0 ** -decimals_shown(shown) * (0.01 if shown.endswith("%") else 1)
    return abs(float(value) - number) <= step / 2 + 1e-9


@pytest.mark.parametrize(("who", "path", "table_id"), [
    ("public", "/", "england-headline"),
    ("public", "/", "england-icbs"),
    ("icb", f"/area/icb/{ICB}", f"icb-{ICB}-position"),
    ("icb", f"/area/icb/{ICB}", f"icb-{ICB}-ethnicity"),
    ("icb", f"/area/icb/{ICB}", f"icb-{ICB}-organisations"),
])
def test_csv_and_xlsx_downloads_equal_the_pages_table(who, path, table_id, public,
                                                      icb_user) -> None:
    client = public if who == "public" else icb_user
    table = _page_table(client, path, table_id)
    assert table["rows"], table_id
    got = client.get(f"/download/{table_id}.csv")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.text)))
    assert rows[0] == table["head"]
    assert len(rows) - 1 == len(table["rows"])
    for shown_row, csv_row in zip(table["rows"], rows[1:], strict=True):
        for shown, value in zip(shown_row, csv_row, strict=True):
            assert _same(shown, value), (table_id, shown, value)
            assert value != "n/a"
    book = load_workbook(io.BytesIO(client.get(f"/download/{table_id}.xlsx").content))
    sheet = list(book.active.iter_rows(values_only=True))
    assert list(sheet[1]) == table["head"]
    for csv_row, xlsx_row in zip(rows[1:], sheet[2:], strict=True):
        for value, cell in zip(csv_row, xlsx_row, strict=True):
            same = ("" if cell is None else cell) == value
            assert same or float(value) == pytest.approx(cell, rel=1e-14)


def _spec(html: str, chart_id: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{chart_id}-spec"[^>]*>(.*?)</script>',
                      html, re.S)
    assert found, f"no chart {chart_id} on the page"
    return dict(json.loads(found.group(1)))


def test_an_area_page_draws_the_api_s_trend_as_an_spc_chart_with_its_table(icb_user,
                                                                          dash_server) -> None:
    page = icb_user.get(f"/area/icb/{ICB}")
    assert page.status_code == 200
    bearer = {"Authorization": f"Bearer {icb_user.cookies['wfplan_session']}"}
    trend = httpx.get(f"{dash_server.url}/api/v1/trends", headers=bearer, timeout=60,
                      params={"measure": "sickness_rate", "level": "icb", "area": ICB}).json()
    assert len(trend["points"]) >= 12  # the demo's monthly sickness of 2024/25
    spec = _spec(page.text, "trend-sickness-rate")
    drawn = [(row["period"], row["value"]) for row in spec["data"]["values"]]
    assert drawn == [(p["period"], p["value"]) for p in trend["points"]]
    for line in ("mean", "upper_process_limit", "lower_process_limit"):  # exactly
        assert json.dumps(trend["spc"][line]) in json.dumps(spec), line
    assert f"Source: {trend['source']}. Period: {trend['period']}." in page.text
    assert 'id="trend-sickness-rate-table"' in page.text  # "Show as table"
    assert page.text.count("/static/vendor/vega-embed/") == 1
    # The public sees the same series under its own disclosure control, or none.
    with httpx.Client(base_url=dash_server.url, timeout=60) as public:
        shown = public.get(f"/area/icb/{ICB}").text
    assert "Trends" in shown
