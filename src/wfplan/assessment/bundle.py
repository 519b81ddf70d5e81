"""``wfplan assess``: run an assessment and write its bundle.

A bundle is a folder::

    manifest.json       SHA-256 of every file; vintage, provenance, versions, seed, timing,
                        and the signer (``--sign``)
    manifest.sig        the signer's Ed25519 signature of manifest.json (signed bundles)
    assessment.toml     the configuration, with the base period fixed and scenario paths local
    inputs/*.parquet    the vintage's rows the assessment read (never record-level data)
    scenarios/*.toml    the scenario files
    results.parquet     the long IAMC results of every scenario (areas, England, and
                        England's all-staff and sector totals, summed within each draw)
    tables/*.parquet    the current position, ethnicity by band, data gaps (and comparison)
    metadata.json       each projection's parameters, interventions and assumptions
    tables.xlsx, report.html, report.pdf

The bundle is written into ``bundle/`` of a hidden folder beside ``out``
(``.NAME.partial-PID-XXXX``, holding a lock while its writer runs) and renamed
into place at the end, so a failed assessment leaves no half-written bundle and
the hidden folder never looks like one (no manifest at its top). One left by an
assessment that was killed is removed by the next assessment written beside it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wfplan.assessment.compare import compare_bundles
from wfplan.assessment.compute import Computed, Step, compute
from wfplan.assessment.config import AssessmentConfig, load_config, scenario_paths
from wfplan.assessment.extract import extract, load_extracts
from wfplan.assessment.manifest import (
    CONFIG_FILE,
    METADATA_FILE,
    RESULTS_FILE,
    SIGNATURE,
    write_manifest,
)
from wfplan.assessment.report_data import Stamp, render_bundle_report
from wfplan.assessment.signing import SigningKey, load_signing_key
from wfplan.dataset.provenance import sha256_file
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.bundle import ingest_log
from wfplan.errors import InputError
from wfplan.inputs.build import resolve_period
from wfplan.report import render, worker
from wfplan.runs.project import ScenarioFile, read_scenario

#: Files whose digest the report quotes (everything but the report itself).
CORE_PREFIXES = ("inputs/", "scenarios/", "tables/", CONFIG_FILE, RESULTS_FILE, METADATA_FILE)


@dataclass(frozen=True)
class Bundle:
    """A written bundle and how long it took."""

    path: Path
    seconds: float
    core_sha256: str
    signer: str | None = None
    fingerprint: str | None = None
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


def metadata_text(computed: Computed) -> str:
    """Return the bundle's ``metadata.json``: each projection's parameters and assumptions."""
    metadata = {p.scenario.name: p.metadata for p in computed.projections}
    return json.dumps(metadata, indent=2, sort_keys=True, default=str) + "\n"


def write_outputs(bundle: Path, computed: Computed) -> None:
    """Write the results, tables and projection metadata into a bundle."""
    write_parquet(computed.results, bundle / RESULTS_FILE)
    for name, frame in computed.tables.items():
        write_parquet(frame, bundle / "tables" / f"{name}.parquet")
    (bundle / METADATA_FILE).write_text(metadata_text(computed), encoding="utf-8")


def read_outputs(bundle: Path, computed: Computed) -> Computed:
    """Return ``computed`` with the results and tables as read back from the bundle's files.

    The report is rendered from these (by assess and by verify alike), so what it
    shows is what the bundle holds.
    """
    def read(path: Path) -> pd.DataFrame:
        return pq.read_table(path).to_pandas()

    tables = {path.stem: read(path) for path in sorted((bundle / "tables").glob("*.parquet"))}
    return Computed(read(bundle / RESULTS_FILE), tables, computed.projections)


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
           step: Step | None = None, sign: Path | None = None,
           public: bool = False) -> Bundle:
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
    sign : Path, optional
        A private key (``wfplan keys create``): the manifest is signed with it and
        the report names the signer and the key's fingerprint.
    public : bool
        Apply disclosure control to the inputs before computing, so that the bundle
        can be published (:func:`wfplan.assessment.extract.disclose`); without it,
        a bundle whose inputs hold small cells is marked restricted.
    """
    started = time.perf_counter()
    created = datetime.now(UTC).replace(microsecond=0)
    note = step or (lambda _text: None)
    key = load_signing_key(sign) if sign is not None else None
    config = load_config(config_path)
    paths = scenario_paths(config, config_path)
    _fresh(out)
    store.require_vintage(config.vintage)
    base = resolve_period(store, config.vintage, config.base_period)
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(out.parent)
    render.prestart_worker()  # the report's second process does its imports meanwhile
    with contextlib.ExitStack() as stack:
        stack.callback(worker.discard)
        work = stack.enter_context(partial_folder(out))
        note(f"extracting the inputs from vintage {config.vintage!r}")
        # a scenario by role needs the role of staff in post (docs/skills.md)
        by_role = any(read_scenario(path).scenario.roles is not None for path in paths)
        disclosure = extract(store, config.vintage, base, work / "inputs", public=public,
                             roles=by_role)
        local = _copy_scenarios(paths, work / "scenarios")
        (work / CONFIG_FILE).write_text(config_text(config, base, local), encoding="utf-8")
        bundle_config = load_config(work / CONFIG_FILE)
        files = [read_scenario(work / name) for name in local]
        computed, provenance = _compute_in(work, bundle_config, files, base, previous, note)
        write_outputs(work, computed)
        core = core_digest({p.relative_to(work).as_posix(): sha256_file(p)
                            for p in work.rglob("*") if p.is_file()})
        stamp = _stamp(out, created, core, previous, key, disclosure.text())
        note("writing the report (HTML, PDF) and tables.xlsx")
        rendered = render_bundle_report(bundle_config, base, read_outputs(work, computed),
                                        provenance, files, stamp)
        for name, data in rendered.items():
            (work / name).write_bytes(data)
        seconds = time.perf_counter() - started
        fields = manifest_fields(bundle_config, base, files, provenance, core, seconds)
        write_signed_manifest(work, {**fields, **stamp.fields(),
                                     "disclosure": disclosure.manifest()}, key)
        if out.exists():
            out.rmdir()
        work.chmod(0o755)
        work.rename(out)
    return Bundle(out, seconds, core, stamp.signer, stamp.fingerprint, disclosure.text())


def _compute_in(work: Path, config: AssessmentConfig, files: list[ScenarioFile], base: date,
                previous: Path | None, note: Step) -> tuple[Computed, pd.DataFrame]:
    """Compute the assessment from the bundle's own extracts; return it and the ingest log."""
    memory = load_extracts(work / "inputs", config.vintage)
    try:
        computed = compute(memory, config, files, base, step=note)
        provenance = ingest_log(memory)
    finally:
        memory.close()
    if previous is not None:

        note(f"comparing with {previous}")
        computed.tables["comparison"] = compare_bundles(previous, work, step=note)
    return computed, provenance


def _stamp(out: Path, created: datetime, core: str, previous: Path | None,
           key: SigningKey | None, disclosure: str) -> Stamp:
    from wfplan import __version__

    return Stamp(bundle_name=out.name, created=created, package_version=__version__,
                 core_sha256=core, previous_assessment=previous.name if previous else None,
                 signer=key.signer if key else None,
                 fingerprint=key.public.fingerprint if key else None, disclosure=disclosure)


def write_signed_manifest(bundle: Path, fields: Mapping[str, Any],
                          key: SigningKey | None) -> None:
    """Write the manifest (recording the signer, if any), then ``manifest.sig`` over its bytes."""
    data = write_manifest(bundle, {**fields, "signature": key.record() if key else None})
    if key is not None:
        (bundle / SIGNATURE).write_text(key.sign(data) + "\n", encoding="ascii")


# -- the hidden folder a bundle is written in -----------------------------------------------

#: In the name of the hidden folder a bundle is written in: ``.NAME.partial-PID-XXXX``.
PARTIAL = ".partial-"
_LOCK = "writer.lock"
_PARTIAL_NAME = re.compile(r"\..+\.partial-(\d+)-\w+")


def _lock(handle: IO[bytes], *, wait: bool) -> bool:
    """Lock ``handle`` exclusively; return False if another process holds it (no wait)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, and no clean-up (see remove_stale_partials)
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def partial_folder(out: Path) -> Iterator[Path]:
    """Yield ``bundle/`` in a new hidden folder beside ``out``, locked while in use.

    The hidden folder is removed when the block ends, however it ends; if the
    process is killed, the lock goes with it and :func:`remove_stale_partials`
    removes the folder on the next run.
    """
    holder = Path(tempfile.mkdtemp(prefix=f".{out.name}{PARTIAL}{os.getpid()}-",
                                   dir=out.parent))
    try:
        with (holder / _LOCK).open("wb") as handle:
            _lock(handle, wait=True)
            work = holder / "bundle"
            work.mkdir()
            yield work
    finally:
        shutil.rmtree(holder, ignore_errors=True)


def _writer_gone(holder: Path) -> bool:
    """Return whether ``holder`` is a hidden bundle folder whose writer has gone."""
    found = _PARTIAL_NAME.fullmatch(holder.name)
    if found is None or holder.is_symlink() or not holder.is_dir() or \
            not {p.name for p in holder.iterdir()} <= {_LOCK, "bundle"}:
        return False
    lock = holder / _LOCK
    if not lock.is_file():  # killed between creating the folder and its lock: ask the pid
        try:
            os.kill(int(found.group(1)), 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False
        return False
    with lock.open("rb") as handle:
        return _lock(handle, wait=False)


def remove_stale_partials(folder: Path) -> list[Path]:
    """Remove the hidden folders of killed assessments in ``folder``; return them.

    A folder is removed only when no process holds its lock (its writer is gone);
    where file locks are not available (not POSIX), nothing is removed.
    """
    if os.name != "posix":
        return []
    removed = []
    for holder in sorted(folder.glob(f".*{PARTIAL}*")):
        if _writer_gone(holder):
            shutil.rmtree(holder, ignore_errors=True)
            removed.append(holder)
    return removed


def manifest_fields(config: AssessmentConfig, base: date, files: list[ScenarioFile],
                    provenance: pd.DataFrame, core: str, seconds: float) -> dict[str, Any]:
    """Return the manifest fields that the configuration, scenarios and inputs determine.

    ``wfplan verify`` computes them again from the bundle and compares.
    """
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
        "seconds": round(seconds, 2),
    }
