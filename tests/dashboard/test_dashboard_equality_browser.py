"""The equality page in headless Chromium: reached with the keyboard, its chart drawn, axe clean.

An ICB user tabs from the top of a page to the navigation's Equality link and opens it
with Enter (their ICB's page), sees the WRES chart drawn by vega-embed (one bar per
band with a share) and opens "Show as table" with the keyboard; goes to the ICB's page
by the breadcrumb and back by its link; the public reads England's page. axe-core
runs on each page (no serious or critical violation), no request leaves the server and
no console error is logged. Chromium or axe-core missing fails in CI, skips elsewhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from browser_util import Visit
from service.live import ICB

pytestmark = pytest.mark.xdist_group("dashboard")
#: At most this many Tab presses from the top of a page to the navigation's Equality link.
TABS = 30


def _bands_with_a_share(dash_server: Any, role: str | None, level: str, code: str) -> int:
    answer = dash_server.server.get(role, "/api/v1/equality", params={"level": level}).json()
    return sum(1 for r in answer["wres"] if r["area_code"] == code and not r["role"]
               and r["ethnic_minority_share"] is not None)


def _tab_to(page: Any, name: str) -> list[str]:
    """Press Tab until the focused element's text is ``name``; return what was focused."""
    focused: list[str] = []
    for _ in range(TABS):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("() => document.activeElement.textContent.trim()"))
        if focused[-1] == name:
            return focused
    raise AssertionError(f"{name!r} not reached with {TABS} Tabs: {focused}")


def test_an_icb_user_opens_the_equality_page_with_the_keyboard(browser: Any, dash_server: Any,
                                                               tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "wfplan_session", "url": dash_server.url,
                          "value": dash_server.server.tokens["icb"]}])
    page = context.new_page()
    visit = Visit(page, tmp_path)
    page.goto(f"{dash_server.url}/assessments?vintage=demo")
    focused = _tab_to(page, "Equality")
    assert focused[0] == "Skip to main content"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/equality?area={ICB}")
    assert page.get_by_role("heading", level=1).inner_text() == "Equality: North Central London"
    chart = page.locator(f"#equality-{ICB}-wres-chart")
    chart.locator("svg").first.wait_for(timeout=30_000)
    bars = chart.locator("svg path[aria-roledescription='bar']")
    assert bars.count() == _bands_with_a_share(dash_server, "icb", "icb", ICB)
    summary = page.locator(f"#equality-{ICB}-wres-chart-figure summary")
    summary.focus()
    page.keyboard.press("Enter")
    assert page.locator(f"#equality-{ICB}-wres-chart-table").is_visible()
    page.keyboard.press("Enter")  # and closes it
    assert not page.locator(f"#equality-{ICB}-wres-chart-table").is_visible()
    page.evaluate("() => document.getElementById('wres-heading').scrollIntoView()")
    assert page.locator(f"#equality-{ICB}-progress").get_by_text("off track").count() >= 1
    visit.check("equality-icb")
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    breadcrumb.get_by_role("link", name="North Central London").click()
    page.wait_for_url(f"**/area/icb/{ICB}")
    page.get_by_role("link", name="WRES indicator 1 and Model Employer trajectories").click()
    page.wait_for_url(f"**/equality?area={ICB}")
    context.close()

    public = browser.new_context(viewport={"width": 1280, "height": 900})
    page = public.new_page()
    seen = Visit(page, tmp_path / "public")
    seen.folder.mkdir()
    page.goto(f"{dash_server.url}/equality?vintage=demo")
    assert page.get_by_role("heading", level=1).inner_text() == "Equality: England"
    page.locator("#equality-E92000001-wres-chart svg").first.wait_for(timeout=30_000)
    assert page.get_by_text("Disclosure control applied").count() >= 1
    seen.check("equality-england-public")
    public.close()
    requests, errors = visit.requests + seen.requests, visit.errors + seen.errors
    outside = [url for url in requests if not url.startswith(dash_server.url)]
    assert outside == [], outside
    assert errors == [], errors
    assert len(visit.shots) + len(seen.shots) == 2
