"""The assessments pages on the real server, with the demo bundle in its assessments folder.

The list and a bundle's page show what the API gives (its list, the bundle's manifest and
sensitivity tables); the report and files are the API's bytes; the ZIP unzips to exactly
the bundle; the verify command is the real one; only national users see bundles. The
dashboard's server has no worker, so a sensitivity job submitted here stays queued: its
page shows its state (tests/service/test_service_sensitivity.py checks a done job's page).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from dashboard_html import csrf_of, parse
from openpyxl import load_workbook

from wfplan.report import format as fmt

pytestmark = pytest.mark.xdist_group("dashboard")


@pytest.fixture(scope="module")
def national(dash_server) -> Iterator[httpx.Client]:
    """A national user's browser: the session cookie is an API token (docs/dashboard.md)."""
    with httpx.Client(base_url=dash_server.url, timeout=120,
                      cookies={"wfplan_session": dash_server.server.tokens["national"]}) as client:
        yield client


@pytest.fixture(scope="module")
def bundle_page(national, dash_bundle: Path) -> str:
    answer = national.get(f"/assessments/{dash_bundle.name}")
    assert answer.status_code == 200, answer.text[:500]
    return answer.text


def _spec(html: str, chart_id: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{chart_id}-spec"[^>]*>(.*?)</script>',
                      html, re.S)
    assert found, f"no chart {chart_id} on the page"
    return dict(json.loads(found.group(1)))


def test_the_list_shows_each_bundle_with_its_manifest(national, dash_bundle: Path) -> None:
    page = national.get("/assessments")
    assert page.status_code == 200
    manifest = json.loads((dash_bundle / "manifest.json").read_text(encoding="utf-8"))
    table = parse(page.text).tables["assessments-bundles"]
    row = next(r for r in table["rows"] if r[0] == dash_bundle.name)
    assert row[1:4] == [manifest["title"], manifest["period"], manifest["vintage"]]
    assert row[5] == ", ".join(s["name"] for s in manifest["scenarios"])
    assert row[8] == f"{sum(1 for p in dash_bundle.rglob('*') if p.is_file()):,}"
    assert f"/assessments/{dash_bundle.name}" in parse(page.text).links
    assert "wfplan verify BUNDLE" in page.text
    got = national.get("/download/assessments-bundles.csv")
    assert got.status_code == 200
    assert dash_bundle.name in got.text


def test_a_bundle_page_has_its_report_download_and_verify_command(
        bundle_page: str, dash_bundle: Path, national) -> None:
    name = dash_bundle.name
    manifest_bytes = (dash_bundle / "manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    links = parse(bundle_page).links
    for file in ("report.html", "report.pdf", "tables.xlsx"):
        assert f"/assessments/{name}/files/{file}" in links, file
    assert f"/assessments/{name}/download" in links
    assert all(link.startswith(("/", "#")) and not link.startswith("//") for link in links)
    # the exact commands: unsigned, so no key; the digests of this bundle
    assert f"<code>wfplan verify {name}</code>" in bundle_page
    assert f"<code>unzip {name}.zip</code>" in bundle_page
    assert f"wfplan=={manifest['environment']['wfplan']}" in bundle_page
    assert manifest["core_sha256"] in bundle_page
    assert hashlib.sha256(manifest_bytes).hexdigest() in bundle_page
    assert "not signed" in bundle_page
    assert f"<code>{manifest['core_sha256']}</code>" in bundle_page
    assert "&lt;" not in bundle_page
    report = national.get(f"/assessments/{name}/files/report.html")
    assert report.status_code == 200
    assert report.content == (dash_bundle / "report.html").read_bytes()
    assert report.headers["content-disposition"].startswith("inline")
    assert report.headers["content-security-policy"].startswith("sandbox")
    pdf = national.get(f"/assessments/{name}/files/report.pdf")
    assert (pdf.headers["content-type"], pdf.content[:5]) == ("application/pdf", b"%PDF-")
    assert national.get(f"/assessments/{name}/files/nothing.txt").status_code == 404
    assert national.get(f"/assessments/{name}/files/..%2Fsecret").status_code == 404


def test_the_zip_unzips_to_exactly_the_bundle(national, dash_bundle: Path) -> None:
    got = national.get(f"/assessments/{dash_bundle.name}/download")
    assert got.status_code == 200
    assert got.headers["content-disposition"] == f'attachment; filename="{dash_bundle.name}.zip"'
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        unzipped = {info.filename: archive.read(info) for info in archive.infolist()}
    bundle = {f"{dash_bundle.name}/{p.relative_to(dash_bundle).as_posix()}": p.read_bytes()
              for p in dash_bundle.rglob("*") if p.is_file()}
    assert unzipped.keys() == bundle.keys()
    assert all(unzipped[k] == bundle[k] for k in bundle)


def test_the_tornado_of_each_scenario_is_the_bundle_s_table(bundle_page: str, national,
                                                            dash_bundle: Path) -> None:
    tornado = pd.read_parquet(dash_bundle / "tables" / "sensitivity_tornado.parquet")
    scenarios = sorted(tornado["scenario"].unique())
    for index, scenario in enumerate(scenarios, start=1):
        spec = _spec(bundle_page, f"bundle-tornado-{index}")
        rows = tornado[tornado["scenario"] == scenario].sort_values("rank")
        drawn = [(v["end"], v["gap"]) for v in spec["data"]["values"]]
        expected = [(end, float(row[f"gap_{end}"])) for _, row in rows.iterrows()
                    for end in ("low", "high")]
        assert drawn == expected, scenario
        year = int(rows["year"].iloc[0])
        assert f"Period: the gap in {year}." in bundle_page
        table = parse(bundle_page).tables[f"bundle-tornado-{index}-table"]
        assert [r[6] for r in table["rows"]] == [fmt.number(v) for v in rows["swing"]]
    assert "Source: assessment bundle bundle-2026, tables/sensitivity_tornado.parquet" \
        in bundle_page
    assert bundle_page.count("/static/vendor/vega-embed/") == 1
    variance = pd.read_parquet(dash_bundle / "tables" / "sensitivity_variance.parquet")
    shown = parse(bundle_page).tables[f"assessment-{dash_bundle.name}-variance"]
    assert len(shown["rows"]) == len(variance)
    got = national.get(f"/download/assessment-{dash_bundle.name}-variance.xlsx")
    assert got.status_code == 200
    book = load_workbook(io.BytesIO(got.content))
    sheet = list(book.active.iter_rows(values_only=True))
    assert [row[5] for row in sheet[2:]] == pytest.approx(list(variance["share"]), rel=1e-12)


@pytest.mark.parametrize("role", [None, "region", "icb"])
def test_only_national_users_see_bundles(dash_server, dash_bundle: Path, role) -> None:
    cookies = {"wfplan_session": dash_server.server.tokens[role]} if role else {}
    with httpx.Client(base_url=dash_server.url, timeout=60, cookies=cookies) as client:
        listed = client.get("/assessments")
        assert listed.status_code == 200
        assert "shown to national users only" in listed.text
        assert "&lt;" not in listed.text  # the notice's markup is markup, not text
        assert "assessments-bundles" not in parse(listed.text).tables
        assert dash_bundle.name not in listed.text
        for path in (f"/assessments/{dash_bundle.name}",
                     f"/assessments/{dash_bundle.name}/files/report.html",
                     f"/assessments/{dash_bundle.name}/download",
                     f"/download/assessment-{dash_bundle.name}-files.csv"):
            refused = client.get(path)
            assert refused.status_code == 403, path
            assert b"Test assessment" not in refused.content, path
        # their list page has no table of bundles, so there is none to download
        assert client.get("/download/assessments-bundles.csv").status_code == 404


def test_a_queued_sensitivity_job_is_listed_and_its_page_shows_its_state(
        national, dash_server) -> None:
    api = dash_server.server.client("national")
    text = ('name = "dash-sens"\nhorizon = 5\nlevel = "region"\nstaff_groups = "all"\n'
            'draws = 0\nseed = 3\nbase_vintage = "demo"\n')
    scenario = api.post("/api/v1/scenarios", json={"toml": text}).json()["scenario_id"]
    job = api.post(f"/api/v1/scenarios/{scenario}/sensitivity", json={}).json()["job_id"]
    listed = national.get("/assessments")
    table = parse(listed.text).tables["assessments-sensitivity"]
    row = next(r for r in table["rows"] if r[0] == job)
    assert row[1:3] == ["dash-sens", "Waiting to start"]
    page = national.get(f"/sensitivity/{job}")
    assert page.status_code == 200
    assert "Waiting to start" in page.text
    assert "Check again" in page.text
    with httpx.Client(base_url=dash_server.url, timeout=60) as public:
        assert public.get(f"/sensitivity/{job}").status_code == 401
    icb = {"wfplan_session": dash_server.server.tokens["icb"]}
    with httpx.Client(base_url=dash_server.url, timeout=60, cookies=icb) as other:
        assert other.get(f"/sensitivity/{job}").status_code == 404  # not theirs
    assert national.get("/sensitivity/not-a-job").status_code == 404


def test_a_signed_bundle_s_page_names_its_signer_and_the_key_check(
        national, dash_server, hand_bundles: Path) -> None:
    folder = dash_server.server.log.parent / "results" / "assessments" / "hand-signed"
    if not folder.exists():
        shutil.copytree(hand_bundles / "signed", folder)
    signature = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["signature"]
    page = national.get("/assessments/hand-signed")
    assert page.status_code == 200
    assert "<code>wfplan verify hand-signed --trusted-key KEY.pub</code>" in page.text
    assert "<code>wfplan keys show KEY.pub</code>" in page.text
    assert f"signed by <strong>{signature['signer']}</strong>" in page.text
    assert f"<code>{signature['fingerprint']}</code>" in page.text
    listed = parse(national.get("/assessments").text).tables["assessments-bundles"]
    assert next(r for r in listed["rows"] if r[0] == "hand-signed")[7] == signature["signer"]


def test_the_form_starts_a_sensitivity_analysis_of_a_kept_scenario(national, dash_server) -> None:
    api = dash_server.server.client("national")
    text = ('name = "dash-form"\nhorizon = 5\nlevel = "region"\nstaff_groups = "all"\n'
            'draws = 0\nseed = 3\nbase_vintage = "demo"\n')
    scenario = api.post("/api/v1/scenarios", json={"toml": text}).json()["scenario_id"]
    form = national.get("/assessments").text
    assert f'<option value="{scenario}"' in form
    started = national.post("/sensitivity", data={"csrf": csrf_of(form), "scenario": scenario})
    assert started.status_code == 303
    job = started.headers["location"].removeprefix("/sensitivity/")
    state = api.get(f"/api/v1/jobs/{job}").json()
    assert (state["kind"], state["scenario_id"], state["owner"]) == (
        "sensitivity", scenario, "t-national")
    assert "Waiting to start" in national.get(started.headers["location"]).text
    audit = api.get("/api/v1/audit", params={"action": "scenario.sensitivity"}).json()
    assert any(job in row["detail"] for row in audit)
    assert national.post("/sensitivity", data={"scenario": scenario}).status_code == 403
    unknown = national.post("/sensitivity", data={"csrf": csrf_of(form),
                                                  "scenario": "0123456789abcdef"})
    assert unknown.status_code == 404
    with httpx.Client(base_url=dash_server.url, timeout=60) as public:
        assert public.post("/sensitivity", data={"scenario": scenario}).status_code == 403


def _kept(dash_server, name: str) -> str:
    text = (f'name = "{name}"\nhorizon = 5\nlevel = "region"\nstaff_groups = "all"\n'
            'draws = 0\nseed = 3\nbase_vintage = "demo"\n')
    api = dash_server.server.client("national")
    return api.post("/api/v1/scenarios", json={"toml": text}).json()["scenario_id"]


def test_the_form_passes_its_options_to_the_api(national, dash_server) -> None:
    scenario = _kept(dash_server, "dash-options")
    form = national.get("/assessments").text
    for name in ("draws", "year", "areas", "spread"):
        assert f'name="{name}"' in form
    started = national.post("/sensitivity", data={
        "csrf": csrf_of(form), "scenario": scenario, "draws": "1,000", "year": "2028",
        "areas": "y56, y59", "spread": "10"})
    assert started.status_code == 303
    job = started.headers["location"].removeprefix("/sensitivity/")
    api = dash_server.server.client("national")
    assert api.get(f"/api/v1/jobs/{job}").json()["draws"] == 1000
    audit = api.get("/api/v1/audit", params={"action": "scenario.sensitivity"}).json()
    detail = next(row["detail"] for row in audit if job in row["detail"])
    assert ("'draws': 1000, 'year': 2028, 'areas': ['Y56', 'Y59'], 'fixed_spread': 0.1"
            in detail)


def test_a_refused_option_shows_the_form_again_with_its_error(national, dash_server) -> None:
    scenario = _kept(dash_server, "dash-refused")
    api = dash_server.server.client("national")
    before = len(api.get("/api/v1/jobs").json())
    form = national.get("/assessments").text
    typed = national.post("/sensitivity", data={"csrf": csrf_of(form), "scenario": scenario,
                                                "draws": "lots", "year": "2028"})
    assert typed.status_code == 400
    assert "There is a problem" in typed.text
    assert "Monte Carlo draws for the variance shares must be a whole number, not" in typed.text
    assert 'value="lots"' in typed.text
    assert 'value="2028"' in typed.text
    assert f'<option value="{scenario}" selected' in typed.text
    refused = national.post("/sensitivity", data={"csrf": csrf_of(form), "scenario": scenario,
                                                  "draws": "-1", "spread": "150"})
    assert refused.status_code == 400
    assert 'href="#draws"' in refused.text
    assert 'href="#spread"' in refused.text
    assert "greater than or equal to 0" in refused.text
    assert "less than or equal to 1" in refused.text
    assert "<h1>Assessments</h1>" in refused.text
    assert len(api.get("/api/v1/jobs").json()) == before  # nothing was started
