"""``wfplan verify`` renders the report page in a second process while it re-runs the bundle.

The child (:mod:`wfplan.assessment.prerender`) builds the report data from the
bundle's files alone (the run metadata from ``metadata.json``) and renders the
page; verify takes its page only if the child's report data has the key of the
data verify builds after its re-run. What must hold: for a bundle wfplan wrote,
the two are equal (else the child is wasted work); the page taken from the child
is compared with the stored page as before (an edited page is caught); a child
that fails, or no child (``WFPLAN_RENDER_PARALLEL=0``), leaves the page rendered
here; and the early-started workbook process of ``wfplan assess``
(:func:`wfplan.report.worker.prestart`) writes the same workbook.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from wfplan.assessment import prerender
from wfplan.assessment.bundle import core_digest, read_outputs
from wfplan.assessment.manifest import bundle_files, seal_manifest
from wfplan.assessment.rendered import data_key, forget, render_cached
from wfplan.assessment.report_data import Stamp, report_data
from wfplan.assessment.verify import _recompute, verify
from wfplan.dataset.provenance import sha256_file
from wfplan.report import render, worker

if TYPE_CHECKING:
    from wfplan.report.context import ReportData


@pytest.fixture(scope="module")
def bundle(hand_bundles: Path) -> Path:
    """An unsigned bundle of the small hand-made vintage (5 draws): the run's ``hand_bundles``."""
    return hand_bundles / "unsigned"


@pytest.fixture(scope="module")
def data(bundle: Path) -> ReportData:
    """The report data of the bundle, as verify builds it after its re-run."""
    rerun = _recompute(bundle, None)
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    return report_data(rerun.config, rerun.base, read_outputs(bundle, rerun.computed),
                       rerun.provenance, rerun.files,
                       Stamp.from_manifest(manifest, manifest["core_sha256"]))


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the pages this process renders; two processors; no rendering kept before."""
    forget()
    monkeypatch.setattr(render, "_processors", lambda: 2)
    monkeypatch.setenv(render.PARALLEL_ENV, "1")
    counted: list[int] = []
    original: Callable[..., str] = render.render_html

    def counting(*args: Any, **kwargs: Any) -> str:
        counted.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(render, "render_html", counting)
    return counted


def test_the_report_data_of_the_bundle_files_alone_is_the_data_verify_builds(
        bundle: Path, data: ReportData) -> None:
    assert data_key(prerender.bundle_report_data(bundle)) == data_key(data)


def test_verify_takes_the_page_rendered_aside_and_it_is_the_stored_page(
        bundle: Path, pages: list[int]) -> None:
    verdict = verify(bundle)
    assert verdict.ok, verdict.findings
    assert pages == []  # the page was the child's
    assert verdict.checked["report files re-rendered"] == 2


def test_an_edited_page_is_caught_when_the_page_is_rendered_aside(
        bundle: Path, pages: list[int], tmp_path: Path) -> None:
    copy = Path(shutil.copytree(bundle, tmp_path / "edited"))
    page = (copy / "report.html").read_text(encoding="utf-8")
    (copy / "report.html").write_text(page.replace("</h1>", " (edited)</h1>", 1),
                                      encoding="utf-8")
    content = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    content["files"]["report.html"] = sha256_file(copy / "report.html")
    content["core_sha256"] = core_digest({n: sha256_file(copy / n) for n in bundle_files(copy)})
    seal_manifest(copy, content)
    verdict = verify(copy)
    assert pages == []
    assert [f.where for f in verdict.findings] == ["report.html"], verdict.findings
    assert "(edited)" in verdict.findings[0].problem


@pytest.mark.parametrize("case", ["one process", "child fails"])
def test_without_a_page_from_a_second_process_the_page_is_rendered_here(
        bundle: Path, pages: list[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        case: str) -> None:
    if case == "one process":
        monkeypatch.setenv(render.PARALLEL_ENV, "0")
    else:
        program = tmp_path / "python"
        program.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
        program.chmod(0o755)
        monkeypatch.setattr(sys, "executable", str(program))
    verdict = verify(bundle)
    assert verdict.ok, verdict.findings
    assert pages == [1]


def test_a_process_that_rendered_before_starts_no_child(
        bundle: Path, data: ReportData, pages: list[int]) -> None:
    render_cached(data, ["tables.xlsx"])
    assert prerender.start(bundle, ["report.html"]) is None


def test_a_workbook_process_started_early_writes_the_same_workbook(
        bundle: Path, data: ReportData) -> None:
    worker.prestart()
    early = worker._warm[0]
    started = worker.start(data)
    assert started is not None
    assert started.process is early
    assert worker.finish(started, data) == (bundle / "tables.xlsx").read_bytes()
    assert not worker._warm
    worker.prestart()
    waiting = worker._warm[0]
    worker.discard()
    assert waiting.returncode is not None
    assert not worker._warm
