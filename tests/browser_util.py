"""Headless Chromium for the browser tests: the ``browser`` fixture and :class:`Visit`.

Chromium is Debian's (``/usr/bin/chromium``, or ``$WFPLAN_CHROMIUM``) driven by
Playwright; axe-core is the copy ``.ci/run`` installs from npm. Either missing fails
the test in CI (``CI`` set) and skips it elsewhere. The ``browser`` fixture
(tests/conftest.py, module-scoped: one Chromium per module) yields :func:`launch`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("WFPLAN_CHROMIUM", "/usr/bin/chromium")
AXE_JS = Path(os.environ.get("WFPLAN_AXE_JS") or Path(
    os.environ.get("WFPLAN_NPM_DIR")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wfplan" / "npm")
    / "node_modules" / "axe-core" / "axe.min.js")


def missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def launch() -> Iterator[Any]:
    """Yield a launched headless Chromium (the ``browser`` fixture of tests/conftest.py)."""
    if not Path(CHROMIUM).exists():
        missing(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    if not AXE_JS.is_file():
        missing(f"axe-core not found at {AXE_JS} (npm install axe-core@4; see .ci/run)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - in the test extra
        missing("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


class Visit:
    """The pages visited: axe on each, a screenshot of each, every request kept."""

    def __init__(self, page: Any, folder: Path) -> None:
        self.page, self.folder = page, folder
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.shots: list[Path] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda message: self.errors.append(message.text)
                if message.type == "error" and "403" not in message.text else None)

    def check(self, name: str) -> None:
        """Run axe-core on the page (no serious or critical violation) and take its picture."""
        self.page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
        results = self.page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"][:3]])
               for v in results["violations"] if v["impact"] in ("serious", "critical")]
        assert bad == [], f"{name}: " + json.dumps(bad, indent=1)
        assert results["passes"], "axe ran no rule"
        shot = self.folder / f"{len(self.shots) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(shot))
        self.shots.append(shot)
