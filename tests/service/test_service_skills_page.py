"""A scenario run's page shows the skills gaps by role of a run by role (issue 17).

A real ``wfplan serve`` with its worker (``server[duckdb]``): a run by role is
submitted through the API, and its page (``/scenarios/runs/{id}``, signed in with the
national user's token) shows, for the area shown, the shortfall, surplus and
shortfall after substitution of each nursing field and of their staff group: the
figures ``GET /api/v1/jobs/{id}/skills`` serves, to one decimal. A run by staff group
has no such table.
"""

from __future__ import annotations

import re
import time
from html import unescape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from jobs_util import JOB_S, scenario_text, submit, wait

from browser_util import Visit
from wfplan.dataset.codelists import ENGLAND_CODE
from wfplan.dataset.store import is_postgres_url
from wfplan.report import format as fmt

if TYPE_CHECKING:
    from live import Server

FIELDS = ("nurse_adult", "nurse_mental_health", "nurse_learning_disability", "nurse_children")
MEASURES = {"Shortfall": "shortfall_fte", "Surplus": "surplus_fte",
            "Shortfall after substitution": "shortfall_after_substitution_fte"}


def _page(server: Server, job_id: str, **params: str) -> str:
    with httpx.Client(base_url=server.url, timeout=120,
                      cookies={"wfplan_session": server.tokens["national"]}) as client:
        deadline = time.monotonic() + JOB_S
        while time.monotonic() < deadline:
            page = client.get(f"/scenarios/runs/{job_id}", params=params)
            assert page.status_code == 200, page.text
            if "Refresh this page" not in page.text:
                return page.text
            time.sleep(0.2)
    raise AssertionError(f"the run {job_id} did not finish in {JOB_S} s")


def _skills_rows(html: str) -> dict[tuple[str, str], list[str]]:
    """The skills table's cells: (role name, measure) -> its figures, by horizon."""
    body = html[html.index('id="skills-gap"'):]
    body = body[:body.index("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.DOTALL)
    cells = [[unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in
              re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, flags=re.DOTALL)] for r in rows]
    return {(c[0], c[1]): c[2:] for c in cells[1:]}


@pytest.fixture(scope="module")
def fields_job(server: Server) -> str:
    """A done run by role (the nursing fields) on the demo vintage: its job id."""
    if is_postgres_url(server.db):
        pytest.skip("the pages read only the API; the API's runs are tested on both engines")
    text = scenario_text("page-fields", draws=4) + 'roles = ["nurses_health_visitors"]\n'
    _, job_id = submit(server, text, seed=5, draws=4)
    assert wait(server, job_id)[-1]["status"] == "done"
    return job_id


def test_a_run_by_role_shows_its_skills_gaps_by_role_on_its_page(server: Server,
                                                                  fields_job: str) -> None:
    job_id = fields_job
    html = _page(server, job_id, area=ENGLAND_CODE, staff_group="nurse_mental_health")
    assert "Skills gaps by role" in html
    shown = _skills_rows(html)
    served = server.client("national").get(f"/api/v1/jobs/{job_id}/skills").json()["rows"]
    england = [r for r in served if r["area"] == ENGLAND_CODE]
    assert {r["horizon"] for r in england} == {5}
    codes = {*FIELDS, "nurses_health_visitors"}
    assert {r["staff_group"] for r in england} == codes
    assert set(shown) == {(fmt.staff_group_name(c), m) for c in codes for m in MEASURES}
    for row in england:
        label = next(m for m, v in MEASURES.items() if v == row["variable"])
        assert shown[(fmt.staff_group_name(row["staff_group"]), label)] == [
            fmt.number(row["p50"], 1)], row
    # the group's shortfall and surplus are both there, not only their net
    group = fmt.staff_group_name("nurses_health_visitors")
    assert shown[(group, "Shortfall")] != shown[(group, "Surplus")]


def test_a_run_by_staff_group_has_no_skills_table(server: Server) -> None:
    if is_postgres_url(server.db):
        pytest.skip("the pages read only the API; the API's runs are tested on both engines")
    _, job_id = submit(server, scenario_text("page-whole", draws=0), seed=5, draws=0)
    assert wait(server, job_id)[-1]["status"] == "done"
    html = _page(server, job_id, area=ENGLAND_CODE)
    assert "vega" in html.lower()
    assert "Skills gaps by role" not in html
    assert 'id="skills-gap"' not in html


@pytest.mark.slow
def test_the_skills_table_passes_axe_in_the_browser(browser: Any, server: Server,
                                                    fields_job: str, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "wfplan_session", "value": server.tokens["national"],
                          "url": server.url}])
    page = context.new_page()
    visit = Visit(page, tmp_path)
    page.goto(f"{server.url}/scenarios/runs/{fields_job}?area={ENGLAND_CODE}")
    page.locator(".wf-chart svg, .wf-chart canvas").first.wait_for(timeout=120_000)
    assert page.locator("#skills-gap tbody tr").count() == 15  # 4 fields and the group, x3
    visit.check("skills-run")
    assert not [u for u in visit.requests if not u.startswith(server.url)], "a request left"
    context.close()
