"""Render a bundle's report page in a second process while ``wfplan verify`` re-runs it.

``wfplan verify`` re-runs the assessment (a few seconds), then re-renders the
report from the bundle's files to compare it with the stored one. The report is
a function of the bundle's files alone (:mod:`wfplan.assessment.report_data`:
results, tables, scenario files, configuration, the ingest log of the input
extracts, the run metadata's ``scenario`` and ``assumptions``, and the stamp the
manifest records), so it need not wait for the re-run. Where the machine has
more than one processor, :func:`start` runs ``python -m
wfplan.assessment.prerender BUNDLE NAME...`` at the start of verify: the child
builds the :class:`~wfplan.report.context.ReportData` from the bundle's files
(:func:`bundle_report_data`: the run metadata from the scenario files and
``metadata.json``) and renders the files named (the page, and with ``--full``
the PDF) while this process re-runs the assessment. It returns the files with
the :func:`~wfplan.assessment.rendered.data_key` of the data it rendered.

Verify then builds the report data as before (the run metadata from its own
re-run) and uses the child's files only if that data's key is the key the child
rendered: equal keys mean equal report data (every figure, table, text and date
of it), and the report is a function of the report data, so the bytes are the
ones this process would render. Otherwise (``metadata.json`` edited, a child that
failed or could not start) the files are rendered here as before. The child
renders from the bundle it is given and nothing is kept after the run.
``WFPLAN_RENDER_PARALLEL=0`` renders everything in one process. A process that
has rendered a report already (``wfplan demo``, a program verifying the bundle
it has just assessed) starts no child: its own kept rendering is used if equal.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from wfplan.assessment.bundle import CONFIG_FILE, METADATA_FILE, core_digest, read_outputs
from wfplan.assessment.compute import Computed, scenario_as_run
from wfplan.assessment.config import load_config
from wfplan.assessment.extract import load_extracts
from wfplan.assessment.manifest import MANIFEST, bundle_files
from wfplan.assessment.rendered import data_key, rendered_any
from wfplan.assessment.report_data import Stamp, report_data
from wfplan.dataset.provenance import sha256_file
from wfplan.dataset.store.queries.bundle import ingest_log
from wfplan.report.context import ReportData
from wfplan.report.render import in_parallel
from wfplan.runs.project import read_scenario, with_overrides


@dataclass
class Prerender:
    """Report files being rendered in a child process from a bundle's files."""

    names: tuple[str, ...]
    process: subprocess.Popen[bytes]
    output: Future[bytes]
    waiter: ThreadPoolExecutor

    def collect(self) -> tuple[str, dict[str, bytes]] | None:
        """Wait for the child; return its data key and files, or ``None`` if it failed."""
        try:
            raw = self.output.result()
        except OSError:
            raw = b""
        finally:
            self.waiter.shutdown(wait=True)
        if self.process.returncode != 0 or not raw:
            return None
        try:
            key, files = pickle.loads(raw)  # noqa: S301 - our own child's output
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError):
            return None
        if not isinstance(key, str) or not isinstance(files, dict) or \
                set(files) != set(self.names):
            return None
        return key, files

    def stop(self) -> None:
        """Stop the child (its files are not wanted)."""
        if self.process.poll() is None:
            self.process.kill()
        self.waiter.shutdown(wait=True)


def start(bundle: Path, names: Sequence[str]) -> Prerender | None:
    """Start rendering ``names`` of ``bundle``'s report in a child process, if worth it.

    Returns ``None`` (nothing started) with one processor, with
    ``WFPLAN_RENDER_PARALLEL=0``, when this process has rendered a report before,
    or when the child cannot be started.
    """
    if not names or not in_parallel() or rendered_any():
        return None
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    command = [sys.executable, "-m", "wfplan.assessment.prerender", str(bundle), *names]
    try:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, env=environment)
    except OSError:
        return None
    waiter = ThreadPoolExecutor(max_workers=1)
    return Prerender(tuple(names), process, waiter.submit(_read_all, process), waiter)


def _read_all(process: subprocess.Popen[bytes]) -> bytes:
    assert process.stdout is not None  # piped
    try:
        return process.stdout.read()
    finally:
        process.stdout.close()
        process.wait()


def bundle_report_data(bundle: Path) -> ReportData:
    """Return the report data of ``bundle`` built from its files alone (no re-run).

    As verify builds it, but for the run metadata the report reads: each
    scenario as run (:func:`~wfplan.assessment.compute.scenario_as_run`, with the
    configuration's draws and seed, as its run records it) and the assumptions
    recorded in ``metadata.json``.
    """
    manifest = json.loads((bundle / MANIFEST).read_bytes())
    config = load_config(bundle / CONFIG_FILE)
    if config.base_period is None:
        raise ValueError(f"{bundle / CONFIG_FILE} names no base_period")
    files = [read_scenario(bundle / name) for name in config.scenarios]
    stored = read_outputs(bundle, Computed(pd.DataFrame(), {}, []))
    recorded = json.loads((bundle / METADATA_FILE).read_text(encoding="utf-8"))
    core = core_digest({name: sha256_file(bundle / name) for name in bundle_files(bundle)})
    store = load_extracts(bundle / "inputs", config.vintage)
    try:
        provenance = ingest_log(store)
        metadata = {}
        for source in files:
            scenario = with_overrides(
                scenario_as_run(store, config, source.scenario, config.vintage,
                                config.base_period),
                draws=config.draws, seed=config.seed, level=config.level)
            metadata[scenario.name] = {
                "scenario": scenario.model_dump(mode="json", by_alias=True, exclude_none=True),
                "assumptions": recorded[scenario.name]["assumptions"]}
    finally:
        store.close()
    return report_data(config, config.base_period, stored, provenance, files,
                       Stamp.from_manifest(manifest, core), metadata)


def main(argv: Sequence[str] | None = None) -> None:
    """Render the named report files of a bundle; write (data key, files), pickled."""
    from wfplan.report.render import render_report

    bundle, *names = list(sys.argv[1:] if argv is None else argv)
    data = bundle_report_data(Path(bundle))
    files = render_report(data, names)
    sys.stdout.buffer.write(pickle.dumps((data_key(data), files),
                                         protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
