"""The dashboard's scenario builder against a real server with a worker (issue 14).

The shared service server (``server[duckdb]``) runs a worker, so a scenario built on
the page really runs. The session cookie holds an API token (pages/session.py), so
the ICB user's token stands for a signed-in ICB user. The form is read from the
page as a browser would send it: every control's current value.
"""

from __future__ import annotations

import re
import time
import tomllib
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import httpx
import pytest
from jobs_util import JOB_S

from wfplan.dataset.store import is_postgres_url

if TYPE_CHECKING:
    from live import Server


class _Form(HTMLParser):
    """The fields a browser would send from the form ``id="builder"``."""

    def __init__(self) -> None:
        super().__init__()
        self.inside, self.fields, self._select = False, {}, None
        self._first: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == "builder"
        if not self.inside:
            return
        if tag == "input" and a.get("name") and (a.get("type") != "checkbox"
                                                 or "checked" in a):
            self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select, self._first = a["name"], None
        elif tag == "option" and self._select:
            if self._first is None:
                self._first = a.get("value", "")
                self.fields.setdefault(self._select, self._first)
            if "selected" in a:
                self.fields[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self.inside = False


def _form(html: str) -> dict[str, str]:
    reader = _Form()
    reader.feed(html)
    assert "csrf" in reader.fields, "no builder form on the page"
    assert "ref" in reader.fields, "the builder form does not say what it started from"
    return dict(reader.fields)


def _finished(client: httpx.Client, path: str) -> str:
    deadline = time.monotonic() + JOB_S
    while time.monotonic() < deadline:
        page = client.get(path)
        assert page.status_code == 200, page.text
        if "Refresh this page" not in page.text and "scenario-progress" not in page.text:
            return page.text
        time.sleep(0.2)
    raise AssertionError(f"the run at {path} did not finish in {JOB_S} s")


def _table_numbers(html: str) -> list[str]:
    """The numbers of the chart's "show as table" alternative."""
    body = html[html.index("<table"):html.rindex("</table>")]
    return re.findall(r"<td[^>]*>\s*(-?[\d,]+(?:\.\d+)?)\s*</td>", body)


@pytest.mark.slow
def test_a_scenario_built_on_the_page_runs_and_its_supply_differs_from_the_baseline(
    server: Server,
) -> None:
    if is_postgres_url(server.db):
        pytest.skip("the pages read only the API; the API's runs are tested on both engines")
    with httpx.Client(base_url=server.url, cookies={"wfplan_session": server.tokens["icb"]},
                      timeout=60) as client:
        _build_and_run(client, server)


def _build_and_run(client: httpx.Client, server: Server) -> None:
    """Build the scenario on the page, download and check it, run it, read its result."""
    page = client.get("/scenarios/build", params={"shipped": "baseline"})
    assert page.status_code == 200, page.text
    form = _form(page.text)
    group = "nurses_health_visitors"
    assert group in page.text
    # other tests of the shared server load newer (tiny) vintages: project the demo's
    form.update({"draws": "20", "horizon": "5", "name": "page-built", "base_vintage": "demo",
                 "new-training_places-staff_group": group,
                 "new-training_places-amount": "5000", "new-training_places-start_year": "2026",
                 "new-training_places-ramp_years": "0"})
    download = client.post("/scenarios/build", data={**form, "action": "download"})
    assert download.status_code == 200, download.text
    scenario = tomllib.loads(download.text)
    assert (scenario["name"], scenario["draws"], scenario["horizon"]) == ("page-built", 20, 5)
    added = [i for i in scenario.get("interventions", []) if i.get("type") == "training_places"
             and i.get("staff_group") == group]
    assert len(added) == 1, scenario.get("interventions")
    checked = client.post("/api/v1/scenarios/validate", json={"toml": download.text},
                          headers={"Authorization": f"Bearer {server.tokens['icb']}"})
    assert checked.status_code == 200, checked.text
    ran = client.post("/scenarios/build", data={**form, "action": "run"},
                      follow_redirects=False)
    assert ran.status_code == 303, ran.text
    where = ran.headers["location"]
    assert re.fullmatch(r"/scenarios/runs/[0-9a-f]+", where), where
    result = _finished(client, f"{where}?staff_group={group}")
    assert "vega" in result.lower(), result[:2000]
    assert "Show as table" in result
    numbers = _table_numbers(result)
    assert len(numbers) >= 6, numbers
    with_, without = _supply_rows(result)
    assert with_ != without, "5,000 more training places a year changed no supply figure"


def _supply_rows(html: str) -> tuple[list[str], list[str]]:
    """The table's P50 supply with the interventions and without them (baseline), by year."""
    body = html[html.index("<table"):html.rindex("</table>")]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.DOTALL)
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in
              re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, flags=re.DOTALL)] for r in rows]
    header = cells[0]
    series, p50 = header.index("Series"), header.index("P50 (FTE)")
    with_ = [c[p50] for c in cells[1:] if c[series] == "Supply with the interventions"]
    without = [c[p50] for c in cells[1:] if c[series] == "Supply without them (baseline)"]
    assert with_, cells[:4]
    assert len(with_) == len(without), cells[:4]
    return with_, without
