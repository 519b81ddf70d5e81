"""A bundle's page shows its planned scenario's plan (issue 15, item 3), on the real server.

The session's ``plan_bundle`` (the demo assessed on a scenario written by ``wfplan
plan``) is copied into the dashboard server's assessments folder. Its page shows the
plan's own numbers, read from the bundle's scenario file through the API: the cost
per FTE gained by lever (chart and table), the mix by year (stacked bars and table),
the shadow prices in words and the budgets' table; the tables download as the page
shows them. In Chromium the charts are drawn and axe finds no serious violation.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from dashboard_html import parse

from browser_util import Visit
from wfplan.model import load_scenario_text
from wfplan.report import format as fmt

if TYPE_CHECKING:
    from conftest import PlanBundle

pytestmark = pytest.mark.xdist_group("dashboard")


@pytest.fixture(scope="module")
def dash_plan_bundle(dash_server: Any, plan_bundle: PlanBundle) -> Path:
    """The plan's bundle, copied into the server's assessments folder as ``plan-bundle``."""
    target = dash_server.server.log.parent / "results" / "assessments" / "plan-bundle"
    if not target.exists():
        shutil.copytree(plan_bundle.bundle, target)
    return target


@pytest.fixture(scope="module")
def national(dash_server: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=dash_server.url, timeout=120,
                      cookies={"wfplan_session": dash_server.server.tokens["national"]}) as client:
        yield client


def test_a_bundle_page_shows_the_plan_s_own_numbers(national: httpx.Client,
                                                    dash_plan_bundle: Path,
                                                    plan_bundle: PlanBundle) -> None:
    plan = load_scenario_text(plan_bundle.scenario.read_text(encoding="utf-8")).plan
    assert plan is not None
    page = national.get("/assessments/plan-bundle")
    assert page.status_code == 200, page.text[:500]
    html = page.text
    assert '<h2 id="plans-heading">Plans: the least-cost mix of interventions</h2>' in html
    tables = parse(html).tables
    levers = tables["assessment-plan-bundle-plan-1-levers"]["rows"]
    assert [row[0] for row in levers] == [lever.name for lever in plan.levers]
    for row, lever in zip(levers, plan.levers, strict=True):
        gain = lever.gains[0]
        assert row[2:] == [fmt.number(lever.total_units), fmt.number(lever.total_cost_gbp),
                           fmt.number(gain.fte, 1), fmt.number(gain.cost_per_fte_gbp),
                           fmt.number(gain.cheapest_cost_per_fte_gbp)]
    mix = tables["assessment-plan-bundle-plan-1-mix"]["rows"]
    assert [row[0] for row in mix] == [str(y) for y in plan.levers[0].years]
    assert mix[0][-1] == fmt.number(sum(lever.cost_gbp[0] for lever in plan.levers))
    text = " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").split())
    for c in plan.constraints:
        if c.name == "closure" or (c.shadow_price or 0) > 0:
            assert c.text.replace("&", "&amp;") in text, c.text
    # the charts: their data are the plan's
    found = re.search(r'<script type="application/json" id="plan-1-cost-spec"[^>]*>(.*?)</script>',
                      html, re.S)
    assert found
    values = json.loads(found.group(1))["data"]["values"]
    drawn = {v["lever"]: v["gbp"] for v in values if v["measure"].startswith("the plan")}
    assert drawn == {lever.name: lever.gains[0].cost_per_fte_gbp for lever in plan.levers}
    assert 'id="plan-1-mix-spec"' in html
    # a table downloads as the page shows it, with the raw numbers
    got = national.get("/download/assessment-plan-bundle-plan-1-levers.csv")
    assert got.status_code == 200
    rows = list(csv.reader(io.StringIO(got.text)))
    assert [r[0] for r in rows[1:]] == [lever.name for lever in plan.levers]
    assert float(rows[1][3]) == pytest.approx(plan.levers[0].total_cost_gbp, rel=1e-9)


def test_the_plan_s_page_in_a_browser_passes_axe(browser: Any, dash_server: Any,
                                                 dash_plan_bundle: Path, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "wfplan_session", "url": dash_server.url,
                          "value": dash_server.server.tokens["national"]}])
    page = context.new_page()
    visit = Visit(page, tmp_path)
    page.goto(f"{dash_server.url}/assessments/plan-bundle")
    for chart in ("plan-1-cost", "plan-1-mix"):
        page.locator(f"#{chart} svg").first.wait_for(timeout=30_000)
    bars = page.locator("#plan-1-mix svg path[aria-roledescription='bar']").count()
    assert bars > 0
    visit.check("assessment-plan")
    context.close()
    outside = [url for url in visit.requests if not url.startswith(dash_server.url)]
    assert outside == [], outside
    assert visit.errors == [], visit.errors
