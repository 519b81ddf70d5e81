"""The chart macro in a real browser: vega-embed draws every chart, axe finds nothing serious.

A page of every kind of chart (tests/test_web_charts.py) rendered with
``templates/macros/chart.html``, its scripts the vendored Vega, Vega-Lite and
vega-embed and ``static/charts.js`` (as ``file://`` addresses), in headless
Chromium (Debian ``chromium`` driven by Playwright) with axe-core (installed by
``.ci/run`` into ``~/.cache/wfplan/npm``). Each tool missing fails the test in CI
and skips it elsewhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
import pytest

import test_web_charts as made
from browser_util import AXE_JS, missing

PAGE = (
    '{% from "macros/chart.html" import chart, chart_scripts %}<!doctype html>'
    '<html lang="en"><head><meta charset="utf-8"><title>Charts</title>'
    "{{ chart_scripts(static) }}</head><body><main><h1>Charts</h1>"
    "{% for c in charts %}<section><h2>{{ c.title }}</h2>{{ chart(c) }}</section>"
    "{% endfor %}</main></body></html>"
)


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(made.TEMPLATES), autoescape=True)
    static = (made.TEMPLATES.parent / "static").as_uri()
    path = tmp_path_factory.mktemp("charts-browser") / "charts.html"
    path.write_text(
        env.from_string(PAGE).render(charts=made._all(), static=static), encoding="utf-8"
    )
    return path


@pytest.mark.slow
def test_every_chart_is_drawn_and_axe_finds_nothing_serious(browser: Any, page_file: Path) -> None:
    if not AXE_JS.is_file():
        missing(f"axe-core not found at {AXE_JS} (npm install axe-core@4; see .ci/run)")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(page_file.as_uri(), wait_until="load")
    count = len(made._all())
    page.wait_for_function(
        f"document.querySelectorAll('.wf-chart__plot svg').length === {count}", timeout=30_000
    )
    assert all(url.startswith("file://") for url in requests), requests  # nothing fetched
    page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    # Once with the tables closed, once open (axe checks only what is shown).
    for opened in (False, True):
        if opened:
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        results = page.evaluate("async () => await axe.run(document)")
        bad = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]])
            for v in results["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], json.dumps(bad, indent=1)
        ran = {rule["id"] for rule in results["passes"]}
        expected = {"svg-img-alt", "aria-allowed-attr"}
        assert expected | ({"th-has-data-cells"} if opened else set()) <= ran, sorted(ran)
    assert errors == []
    ids = page.evaluate("[...document.querySelectorAll('[id]')].map(e => e.id)")
    assert len(ids) == len(set(ids))  # vega-embed's SVGs add no id that clashes
    page.close()


def test_the_table_opens_from_the_keyboard(browser: Any, page_file: Path) -> None:
    page = browser.new_page()
    page.goto(page_file.as_uri(), wait_until="load")
    table = page.locator("#spc-table")
    assert not table.is_visible()
    for _ in range(10):  # the first thing to tab to is the first chart's "Show as table"
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "SUMMARY":
            break
    assert "Show as table" in page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    assert table.is_visible()
    page.close()
