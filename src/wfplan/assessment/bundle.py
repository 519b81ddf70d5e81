"""``wfplan assess``: run an assessment and write its bundle.

A bundle is a folder::

    manifest.json       SHA-256 of every file; vintage, provenance, versions, seed, timing
    assessment.toml     the configuration, with the base period fixed and scenario paths local
    inputs/*.parquet    the vintage's rows the assessment read (never record-level data)
    scenarios/*.toml    the scenario files
    results.parquet     the long IAMC results of every scenario (areas, England, and
                        England's all-staff and sector totals, summed within each draw)
    tables/*.parquet    the current position, ethnicity by band, data gaps (and comparison)
    metadata.json       each projection's parameters, interventions and assumptions
    tables.xlsx, report.html, report.pdf

The bundle is written to a temporary folder beside ``out`` and renamed into
place at the end, so a failed assessment leaves no half-written bundle.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wfplan.assessment.compute import Computed, Step, compute
from wfplan.assessment.config import AssessmentConfig, load_config, scenario_paths
from wfplan.assessment.extract import extract, load_extracts
from wfplan.assessment.inputs import resolve_period
from wfplan.assessment.manifest import sha256_of, write_manifest
from wfplan.assessment.project import ScenarioFile, read_scenario
from wfplan.dataset.store import Store
from wfplan.errors import InputError

CONFIG_FILE = "assessment.toml"
RESULTS_FILE = "results.parquet"
METADATA_FILE = "metadata.json"
#: Files whose digest the report quotes (everything but the report itself).
CORE_PREFIXES = ("inputs/", "scenarios/", "tables/", CONFIG_FILE, RESULTS_FILE, METADATA_FILE)


@dataclass(frozen=True)
class Bundle:
    """A written bundle and how long it took."""

    path: Path
    seconds: float
    core_sha256: str
    #: The bundle's disclosure status, as the report states it.
    disclosure: str = ""


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame as Parquet without its index."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, compression="zstd")


def core_digest(hashes: Mapping[str, str]) -> str:
    """Return the SHA-256 over the hashes of the bundle's inputs, scenarios and results."""
    core = {name: digest for name, digest in sorted(hashes.items())
            if name.startswith(CORE_PREFIXES)}
    return hashlib.sha256(json.dumps(core, sort_keys=True).encode()).hexdigest()


def config_text(config: AssessmentConfig, base_period: date, scenario_files: list[str]) -> str:
    """Return the bundle's ``assessment.toml``: the configuration as it was run."""
    def value(item: object) -> str:
        if isinstance(item, list):
            return "[" + ", ".join(value(v) for v in item) + "]"
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, int):
            return str(item)
        if isinstance(item, date):
            return item.isoformat()
        return json.dumps(str(item), ensure_ascii=False)

    fields = config.model_dump()
    fields.update(base_period=base_period, scenarios=scenario_files)
    return "".join(f"{name} = {value(item)}\n" for name, item in fields.items()
                   if item is not None)


def write_outputs(bundle: Path, computed: Computed) -> None:
    """Write the results, tables and projection metadata into a bundle."""
    write_parquet(computed.results, bundle / RESULTS_FILE)
    for name, frame in computed.tables.items():
        write_parquet(frame, bundle / "tables" / f"{name}.parquet")
    metadata = {p.scenario.name: p.metadata for p in computed.projections}
    (bundle / METADATA_FILE).write_text(
        json.dumps(metadata, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")


def _copy_scenarios(paths: list[Path], folder: Path) -> list[str]:
    folder.mkdir(parents=True)
    names = []
    for path in paths:
        name = path.name
        if (folder / name).exists():
            raise InputError(f"two scenario files are named {name!r}; rename one")
        shutil.copyfile(path, folder / name)
        names.append(f"scenarios/{name}")
    return names


def _fresh(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} already exists and is not empty: an assessment bundle is "
                         "never overwritten; choose a new folder")


def assess(store: Store, config_path: Path, out: Path, *, previous: Path | None = None,
           step: Step | None = None, public: bool = False) -> Bundle:
    """Run the assessment described by ``config_path`` and write its bundle to ``out``.

    Parameters
    ----------
    store : Store
        The store holding the configuration's vintage.
    config_path : Path
        The assessment configuration (TOML).
    out : Path
        The bundle folder to create (must not exist, or be empty).
    previous : Path, optional
        An earlier bundle: the report then explains the change in the headline gap.
    step : callable, optional
        Called with a description of each step.
    public : bool
        Apply disclosure control to the inputs before computing, so that the bundle
        can be published (:func:`wfplan.assessment.extract.disclose`); without it,
        a bundle whose inputs hold small cells is marked restricted.
    """
    started = time.perf_counter()
    note = step or (lambda _text: None)
    config = load_config(config_path)
    paths = scenario_paths(config, config_path)
    _fresh(out)
    store.require_vintage(config.vintage)
    base = resolve_period(store, config.vintage, config.base_period)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        note(f"extracting the inputs from vintage {config.vintage!r}")
        disclosure = extract(store, config.vintage, base, work / "inputs", public=public)
        local = _copy_scenarios(paths, work / "scenarios")
        (work / CONFIG_FILE).write_text(config_text(config, base, local), encoding="utf-8")
        bundle_config = load_config(work / CONFIG_FILE)
        files = [read_scenario(work / name) for name in local]
        memory = load_extracts(work / "inputs", config.vintage)
        try:
            computed = compute(memory, bundle_config, files, base, step=note)
            provenance = memory.query("SELECT * FROM ingests ORDER BY ingest_id")
        finally:
            memory.close()
        if previous is not None:
            from wfplan.assessment.compare import compare_bundles

            note(f"comparing with {previous}")
            computed.tables["comparison"] = compare_bundles(previous, work, step=note)
        write_outputs(work, computed)
        hashes = {p.relative_to(work).as_posix(): sha256_of(p)
                  for p in work.rglob("*") if p.is_file()}
        core = core_digest(hashes)
        note("writing the report (HTML, PDF) and tables.xlsx")
        from wfplan.assessment.report_data import report_data
        from wfplan.report.render import write_report

        write_report(report_data(bundle_config, base, computed, provenance, files,
                                 bundle_name=out.name, core_sha256=core,
                                 previous=previous, disclosure=disclosure.text()), work)
        seconds = time.perf_counter() - started
        write_manifest(work, {**_manifest_fields(bundle_config, base, files, provenance, core,
                                                 seconds),
                              "disclosure": disclosure.manifest()})
        if out.exists():
            out.rmdir()
        work.chmod(0o755)
        work.rename(out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return Bundle(out, seconds, core, disclosure.text())


def _manifest_fields(config: AssessmentConfig, base: date, files: list[ScenarioFile],
                     provenance: pd.DataFrame, core: str, seconds: float) -> dict[str, Any]:
    sources = provenance.drop(columns=[c for c in ("loaded_at",) if c in provenance.columns])
    sources = sources.astype(object).where(sources.notna(), None)
    return {
        "title": config.title, "period": config.period, "vintage": config.vintage,
        "base_period": base.isoformat(), "level": config.level, "horizon": config.horizon,
        "draws": config.draws, "seed": config.seed,
        "scenarios": [{"name": f.scenario.name, "file": f"scenarios/{f.path.name}",
                       "sha256": f.sha256} for f in files],
        "provenance": sources.to_dict("records"),
        "core_sha256": core,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(seconds, 2),
    }
