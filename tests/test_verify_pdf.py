"""``wfplan verify`` re-prints report.pdf only with ``--full``; the workbook is written aside.

By default verify re-renders ``report.html`` and ``tables.xlsx`` from the bundle's
files and compares them byte for byte, and checks ``report.pdf`` by its hash in
the manifest only, saying so in its verdict; ``--full`` prints the PDF again from
the re-rendered page and compares it too (docs/verification.md). The workbook is
written in a second process while the page and the PDF are rendered
(:mod:`wfplan.report.worker`): the bytes must be the ones one process writes,
and a child that cannot start or fails must leave the report written here.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from wfplan.assessment.bundle import core_digest, read_outputs
from wfplan.assessment.manifest import bundle_files, seal_manifest
from wfplan.assessment.rendered import forget, render_cached
from wfplan.assessment.report_data import Stamp, report_data
from wfplan.assessment.verify import _recompute
from wfplan.dataset.provenance import sha256_file
from wfplan.report import render, worker

if TYPE_CHECKING:
    from conftest import Kit
    from wfplan.report.context import ReportData

NOT_RERENDERED = "REPORT.PDF NOT RE-RENDERED: report.pdf matches its hash in the manifest"


@pytest.fixture(scope="module")
def bundle(hand_bundles: Path) -> Path:
    """An unsigned bundle of the small hand-made vintage (5 draws): the run's ``hand_bundles``."""
    return hand_bundles / "unsigned"


def _resealed_pdf_edit(bundle: Path, tmp_path: Path) -> Path:
    """Copy the bundle, add to its PDF (an incremental update would) and re-seal it."""
    copy = Path(shutil.copytree(bundle, tmp_path / "published"))
    (copy / "report.pdf").write_bytes((copy / "report.pdf").read_bytes() + b"% edited\n")
    content = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    content["core_sha256"] = core_digest({n: sha256_file(copy / n) for n in bundle_files(copy)})
    seal_manifest(copy, content)
    return copy


def test_default_verify_rerenders_page_and_workbook_and_says_the_pdf_was_not(
        bundle: Path, kit: Kit) -> None:
    result = kit.cli("verify", bundle)
    shown = kit.plain(result.stdout)
    assert result.exit_code == 0, result.output
    assert "VERIFIED" in shown
    assert "2 report files re-rendered" in shown
    assert NOT_RERENDERED in shown
    assert "run 'wfplan verify --full'" in shown


def test_full_verify_rerenders_the_pdf_too(bundle: Path, kit: Kit) -> None:
    forget()  # print it afresh, not from this process's rendering of the assessment
    result = kit.cli("verify", bundle, "--full")
    shown = kit.plain(result.stdout)
    assert result.exit_code == 0, result.output
    assert "3 report files re-rendered" in shown
    assert "NOT RE-RENDERED" not in shown


def test_a_resealed_pdf_edit_is_caught_by_full_and_named_as_unchecked_without(
        bundle: Path, kit: Kit, tmp_path: Path) -> None:
    edited = _resealed_pdf_edit(bundle, tmp_path)
    result = kit.cli("verify", edited)
    assert result.exit_code == 0, result.output  # the hash matches: only a re-print shows it
    assert NOT_RERENDERED in kit.plain(result.stdout)
    forget()
    result = kit.cli("verify", edited, "--full")
    shown = kit.plain(result.stdout)
    assert result.exit_code == 4, result.output
    assert "report.pdf: differs from the file re-rendered from the bundle's results" in shown
    assert "NOT RE-RENDERED" not in shown


@pytest.fixture(scope="module")
def data(bundle: Path) -> ReportData:
    """The report data of the bundle, as verify builds it from the bundle's files."""
    rerun = _recompute(bundle, None)
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    return report_data(rerun.config, rerun.base, read_outputs(bundle, rerun.computed),
                       rerun.provenance, rerun.files,
                       Stamp.from_manifest(manifest, manifest["core_sha256"]))


def test_the_workbook_written_aside_is_the_one_written_here(
        data: ReportData, bundle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = ("report.html", "tables.xlsx")
    monkeypatch.setattr(render, "_processors", lambda: 2)
    monkeypatch.setenv(render.PARALLEL_ENV, "1")
    started = worker.start(data)
    assert started is not None
    aside = worker.finish(started, data)
    assert started.process.returncode == 0
    monkeypatch.setenv(render.PARALLEL_ENV, "0")
    here = render.render_report(data, names)
    assert aside == here["tables.xlsx"] == (bundle / "tables.xlsx").read_bytes()
    assert here["report.html"] == (bundle / "report.html").read_bytes()


@pytest.mark.parametrize("python", ["missing", "fails"])
def test_a_worker_that_cannot_start_or_fails_leaves_the_workbook_written_here(
        data: ReportData, bundle: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        python: str) -> None:
    program = tmp_path / "python"
    if python == "fails":
        program.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
        program.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(program))
    started = worker.start(data)
    assert (started is None) == (python == "missing")
    assert worker.finish(started, data) == (bundle / "tables.xlsx").read_bytes()
    if started is not None:
        assert started.process.returncode == 3


def test_render_cached_renders_only_the_files_asked_and_keeps_them(
        data: ReportData, bundle: Path) -> None:
    forget()
    first = render_cached(data, ["report.html", "tables.xlsx"])
    assert set(first) == {"report.html", "tables.xlsx"}
    assert first["tables.xlsx"] == (bundle / "tables.xlsx").read_bytes()
    every = render_cached(data)
    assert list(every) == ["report.html", "report.pdf", "tables.xlsx"]
    assert every["report.html"] is first["report.html"]  # kept, not rendered again
    assert every["report.pdf"] == (bundle / "report.pdf").read_bytes()
    with pytest.raises(ValueError, match=r"not a report file: notes\.txt"):
        render.render_report(data, ["notes.txt"])
