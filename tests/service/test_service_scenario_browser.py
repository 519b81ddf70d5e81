"""The scenario builder in headless Chromium, on the shared server with a worker (issue 14).

An ICB user (the session cookie holds the user's API token, as after logging in:
the log-in itself is walked in tests/dashboard/test_dashboard_browser.py) opens the
scenarios page, starts from the shipped baseline, tabs through the whole form with
the keyboard alone, sets 5,000 more nursing training places a year, runs the scenario
and sees its chart drawn with supply with the interventions apart from the baseline.
axe-core runs on each page (no serious or critical violation) and each is pictured.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from browser_util import Visit
from wfplan.dataset.store import is_postgres_url

if TYPE_CHECKING:
    from live import Server

#: Tab presses allowed to go through the builder (it has about 50 controls).
MAX_TABS = 200


def _tab_through(page: Any) -> list[str]:
    """Press Tab from the top of the form until the "Save and run" button has focus."""
    page.locator("#name").focus()
    reached = ["name"]
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.id || document.activeElement.name")
        reached.append(focused)
        if focused == "run":
            return reached
    raise AssertionError(f"Tab never reached the run button: {reached[-10:]}")


@pytest.mark.slow
def test_a_scenario_is_built_with_the_keyboard_run_and_drawn_against_the_baseline(
        browser: Any, server: Server, tmp_path: Path) -> None:
    if is_postgres_url(server.db):
        pytest.skip("the pages read only the API; one engine is enough for the browser")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "wfplan_session", "value": server.tokens["icb"],
                          "url": server.url}])
    page = context.new_page()
    visit = Visit(page, tmp_path)
    page.goto(f"{server.url}/scenarios")
    visit.check("scenarios")
    page.locator('a[href="/scenarios/build?shipped=baseline"]').first.click()
    page.wait_for_url("**/scenarios/build?shipped=baseline")
    visit.check("builder")
    controls = page.evaluate("() => [...document.querySelectorAll("
                             "'#builder input:not([type=hidden]), #builder select')]"
                             ".map(e => e.id)")
    reached = _tab_through(page)
    assert [c for c in controls if c not in reached] == [], "controls the keyboard skips"
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle "
                         "!== 'none' || getComputedStyle(document.activeElement).boxShadow "
                         "!== 'none'"), "the focused button shows no focus"
    for name, value in (("draws", "20"), ("horizon", "5"), ("name", "browser-built"),
                        ("new-training_places-amount", "5000"),
                        ("new-training_places-start_year", "2026"),
                        ("new-training_places-ramp_years", "0")):
        page.locator(f"#{name}").fill(value)
    page.locator("#new-training_places-staff_group").select_option("nurses_health_visitors")
    # other tests of the shared server load newer (tiny) vintages: project the demo's
    page.locator("#base_vintage").select_option("demo")
    page.keyboard.press("Tab")
    page.locator("#run").focus()
    page.keyboard.press("Enter")  # the keyboard submits the form
    page.wait_for_url("**/scenarios/runs/*")
    # htmx reloads the page when the job ends; then vega-embed draws the chart
    page.locator(".wf-chart svg, .wf-chart canvas, .nhsuk-warning-callout").first.wait_for(
        timeout=120_000)
    assert page.locator(".nhsuk-warning-callout").count() == 0, page.locator("h1").inner_text()
    visit.check("run")
    rows = page.locator("table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")
    header = page.locator("table thead th").evaluate_all(
        "ths => ths.map(t => t.textContent.trim())")
    series, p50 = header.index("Series"), header.index("P50 (FTE)")
    with_ = [r[p50] for r in rows if r[series] == "Supply with the interventions"]
    without = [r[p50] for r in rows if r[series] == "Supply without them (baseline)"]
    assert with_, rows[:3]
    assert len(with_) == len(without)
    assert with_ != without, "the chart of the run shows no change from the baseline"
    assert not [u for u in visit.requests if not u.startswith(server.url)], "a request left"
    context.close()
