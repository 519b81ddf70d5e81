"""The dashboard in headless Chromium (Playwright, Debian ``chromium``) on the real server.

One test walks what a planner does: log in as the ICB user, go from England to the
region, to the ICB and to one of its organisations, see another ICB's organisation
refused, download a table as CSV and log out. axe-core runs on every page visited
(no serious or critical violation), no request leaves the server, and a screenshot of
each page is saved in the test's folder. Chromium or axe-core missing fails the test
in CI (``CI`` set) and skips it elsewhere, as tests/test_report_a11y.py does.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from browser_util import Visit
from service.live import ICB

pytestmark = pytest.mark.xdist_group("dashboard")


def test_a_planner_logs_in_walks_down_to_an_organisation_downloads_and_logs_out(
        browser: Any, dash_server: Any, tmp_path: Path) -> None:
    codes = dash_server.server.codes
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    visit = Visit(page, tmp_path)
    page.goto(f"{dash_server.url}/login")
    page.keyboard.press("Tab")  # the keyboard reaches the skip link first
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#maincontent"
    visit.check("login")
    page.get_by_label("User name").fill(dash_server.user)
    page.get_by_label("Password").fill(dash_server.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{dash_server.url}/")
    assert page.get_by_text(f"Signed in as {dash_server.user}").is_visible()
    # the ICB map (42 tiles) drawn by vega-embed from the page's own spec
    page.locator("#england-icb-map svg").first.wait_for(timeout=30_000)
    assert page.locator("#england-icb-map svg path[aria-roledescription='rect mark']").count() == 42
    visit.check("england")

    page.locator("#england-regions").get_by_role("link", name="London").click()
    page.wait_for_url("**/area/region/Y56")
    page.get_by_label("Measure shown on the map").select_option("sickness_absence_rate")
    page.get_by_role("button", name="Show on the map").click()  # a plain GET form
    page.wait_for_url("**/area/region/Y56?measure=sickness_absence_rate#map")
    page.locator("#region-Y56-icb-map svg").first.wait_for(timeout=30_000)
    visit.check("region")
    page.locator("#region-Y56-icbs").get_by_role("link", name="North Central London").click()
    page.wait_for_url(f"**/area/icb/{ICB}")
    assert page.get_by_role("heading", level=1).inner_text() == "North Central London"
    # the SPC chart of sickness drawn by vega-embed from the page's own spec
    page.locator("#trend-sickness-rate canvas, #trend-sickness-rate svg").first.wait_for(
        timeout=30_000)
    visit.check("icb")
    page.locator(f'#icb-{ICB}-organisations a[href="/area/org/{codes.org}"]').click()
    page.wait_for_url(f"**/area/org/{codes.org}")
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    assert breadcrumb.get_by_role("link", name="North Central London").count() == 1
    visit.check("organisation")

    with page.expect_download() as started:
        page.locator(f"#org-{codes.org}-position-block").get_by_role(
            "link", name="CSV").click()
    download = started.value
    assert download.suggested_filename == f"org-{codes.org}-position.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with saved.open(encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == ["Measure", "Value", "Sectors covered", "Period", "Note"]
    assert rows[1][0] == "Staff in post (headcount)"

    refused = page.goto(f"{dash_server.url}/area/org/{codes.org_same_region}")
    assert refused is not None
    assert refused.status == 403
    assert page.get_by_role("heading", level=1).inner_text() == "You cannot see this page"
    visit.check("refused")

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{dash_server.url}/")
    assert page.get_by_role("link", name="Log in").count() == 1
    visit.check("logged-out")
    context.close()

    outside = [url for url in visit.requests if not url.startswith(dash_server.url)]
    assert outside == [], outside
    assert visit.errors == [], visit.errors
    assert len(visit.shots) == 7


def test_a_national_user_reads_the_data_gaps_and_an_assessment_s_tornado(
        browser: Any, dash_server: Any, dash_bundle: Path, tmp_path: Path) -> None:
    """The data-gap, assessments and bundle pages, a sensitivity analysis started with the
    form: axe on each, no outside request; the public's assessments page too."""
    api = dash_server.server.client("national")
    text = ('name = "browser-sens"\nhorizon = 5\nlevel = "region"\nstaff_groups = "all"\n'
            'draws = 0\nseed = 3\nbase_vintage = "demo"\n')
    scenario = api.post("/api/v1/scenarios", json={"toml": text}).json()["scenario_id"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "wfplan_session", "url": dash_server.url,
                          "value": dash_server.server.tokens["national"]}])
    page = context.new_page()
    visit = Visit(page, tmp_path)
    page.goto(f"{dash_server.url}/")
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Data gaps").click()
    page.wait_for_url("**/gaps")
    assert page.get_by_role("heading", level=1).inner_text() == "Data gaps"
    visit.check("data-gaps")
    page.get_by_role("navigation", name="Dashboard").get_by_role(
        "link", name="Assessments").click()
    page.wait_for_url("**/assessments")
    visit.check("assessments")
    page.locator("#assessments-bundles").get_by_role("link", name=dash_bundle.name).click()
    page.wait_for_url(f"**/assessments/{dash_bundle.name}")
    page.locator("#bundle-tornado-1 svg").first.wait_for(timeout=30_000)
    assert page.locator("#bundle-tornado-1 svg path[aria-roledescription='bar']").count() == 8
    visit.check("assessment")
    page.go_back()
    page.get_by_label("Kept scenario").select_option(scenario)  # started with the form
    page.get_by_role("button", name="Run a sensitivity analysis").click()
    page.wait_for_url("**/sensitivity/*")
    assert page.get_by_text("Waiting to start").count() >= 1  # the server has no worker
    visit.check("sensitivity-queued")
    context.close()
    public = browser.new_context(viewport={"width": 1280, "height": 900})
    page = public.new_page()
    seen = Visit(page, tmp_path / "public")
    seen.folder.mkdir()
    page.goto(f"{dash_server.url}/assessments")  # no bundle, but how to verify one
    assert page.get_by_role("link", name="Data gaps").count() == 0
    seen.check("assessments-public")
    public.close()
    visit.requests += seen.requests
    visit.errors += seen.errors
    outside = [url for url in visit.requests if not url.startswith(dash_server.url)]
    assert outside == [], outside
    assert visit.errors == [], visit.errors
    assert len(visit.shots) == 4


def test_a_national_user_uploads_a_bad_file_and_reads_its_report_row_by_row(
        browser: Any, dash_server: Any, kit: Any, tmp_path: Path) -> None:
    """The Upload page: axe on the form and on the report, the form with the keyboard alone,
    and a refused upload into the demo vintage (it writes nothing: other tests read the demo).
    axe found an ARIA attribute not allowed on the "new vintage" radio and a drop-zone button
    whose name lacked its visible text before upload.html was changed."""
    api = dash_server.server.client("national")
    before = api.get("/api/v1/vintages").json()
    lines = kit.sip_lines(3)
    lines[1] = lines[1].rsplit(",", 2)[0] + ",-4,1.0"  # row 2 (line 3): headcount -4
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join([kit.SIP_HEADER, *lines]) + "\n", encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "wfplan_session", "url": dash_server.url,
                          "value": dash_server.server.tokens["national"]}])
    page = context.new_page()
    visit = Visit(page, tmp_path)
    page.goto(f"{dash_server.url}/")
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Upload").click()
    page.wait_for_url("**/upload")
    assert page.get_by_role("heading", level=1).inner_text() == "Upload"
    visit.check("upload")
    page.locator("input[type=file]").set_input_files(str(bad))
    # the keyboard alone: the radios, the new vintage's name, the drop-zone button, submit
    page.get_by_role("radio", name="demo").focus()
    page.keyboard.press("Space")
    assert page.get_by_role("radio", name="demo").is_checked()
    focused = []
    for _ in range(3):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("() => document.activeElement.id || "
                                     "document.activeElement.textContent.trim()"))
    assert focused == ["new_vintage", "files", "Upload and check"]
    assert page.locator("#files").inner_text().startswith("bad.csv")  # the status
    page.keyboard.press("Enter")
    page.wait_for_url("**/upload")
    page.locator("#upload-report").wait_for()
    assert "Nothing was loaded" in page.locator("#upload-outcome").inner_text()
    first = page.locator("#upload-report tbody tr").first.locator("td").all_inner_texts()
    assert [c.strip() for c in first[:5]] == ["Error", "bad.csv", "row 2 (line 3)",
                                              "headcount", "-4"]
    visit.check("upload-report")
    context.close()
    assert api.get("/api/v1/vintages").json() == before  # a refused upload writes nothing
    outside = [url for url in visit.requests if not url.startswith(dash_server.url)]
    assert outside == [], outside
    # the refused upload's page is the POST's 422 answer, which Chromium logs; nothing else
    assert visit.errors == ["Failed to load resource: the server responded with a status of "
                            "422 (Unprocessable Entity)"], visit.errors
    assert len(visit.shots) == 2


def test_an_icb_user_reads_the_data_gaps_of_their_icb(browser: Any, dash_server: Any,
                                                      tmp_path: Path) -> None:
    """The navigation's Data gaps for an ICB user: their ICB's report, axe on it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "wfplan_session", "url": dash_server.url,
                          "value": dash_server.server.tokens["icb"]}])
    page = context.new_page()
    visit = Visit(page, tmp_path)
    page.goto(f"{dash_server.url}/assessments")
    page.get_by_role("navigation", name="Dashboard").get_by_role("link", name="Data gaps").click()
    page.wait_for_url("**/gaps")
    assert page.get_by_role("heading", level=1).inner_text() == "Data gaps: North Central London"
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    assert breadcrumb.get_by_role("link", name="London", exact=True).count() == 1
    visit.check("data-gaps-icb")
    context.close()
    outside = [url for url in visit.requests if not url.startswith(dash_server.url)]
    assert outside == [], outside
    assert visit.errors == [], visit.errors
