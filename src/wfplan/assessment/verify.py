"""``wfplan verify``: check a bundle's signature, re-run it from the bundle alone, check it all.

Verification needs no database and no network. In order, it checks:

1. ``manifest.json`` against its own hash, and its format;
2. the signature ``manifest.sig`` over the manifest's exact bytes: under one of the
   verifier's trusted keys when given (:mod:`wfplan.assessment.signing`), else only
   against the key the manifest names (which shows nothing about who made it);
3. the bundle's contents (:mod:`wfplan.assessment.contents`): every required file is
   there whatever the manifest lists, every file at every depth is listed and
   unchanged, and nothing else is there;
4. that the manifest's fields (vintage, seed, draws, scenarios, provenance...) are
   the ones the bundle's own configuration and inputs give;
5. the re-run: it loads the input extracts into an in-memory store, re-runs every
   scenario and recomputes every table exactly as ``wfplan assess`` did, and
   compares them (and ``metadata.json``) with the bundle's: exactly on the
   platform that wrote the bundle, within a relative tolerance of 1e-9 on any other;
6. the report: ``report.html`` and ``tables.xlsx`` re-rendered from the bundle's
   results and manifest must be identical (:mod:`wfplan.assessment.rerender`); with
   ``full``, ``report.pdf`` is printed again from the re-rendered page and must be
   identical too. Without it, ``report.pdf`` is checked by its hash alone, and the
   verdict says so (:attr:`Verdict.unrendered`). When checks 4 and 5 found a
   difference already, no report file is re-rendered: a report rendered from
   figures or manifest fields the re-run contradicts would prove nothing more, and
   the bundle has failed. Each report file is still checked by its hash (check 3),
   and the verdict says the report was not re-rendered and why
   (:attr:`Verdict.report_skipped`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from wfplan.assessment.bundle import (
    CONFIG_FILE,
    METADATA_FILE,
    RESULTS_FILE,
    core_digest,
    manifest_fields,
    metadata_text,
    read_outputs,
)
from wfplan.assessment.compute import RESULT_KEYS, Computed, Step, compute
from wfplan.assessment.config import AssessmentConfig, load_config
from wfplan.assessment.contents import check_contents, check_tables, scenario_files
from wfplan.assessment.extract import UNREADABLE, disclosure_of, load_extracts
from wfplan.assessment.manifest import (
    FORMAT,
    MANIFEST,
    Finding,
    bundle_files,
    parse_manifest,
    platform_key,
    read_manifest,
)
from wfplan.assessment.prerender import Prerender
from wfplan.assessment.prerender import start as start_prerender
from wfplan.assessment.rendered import keep, render_cached
from wfplan.assessment.report_data import Stamp, report_data
from wfplan.assessment.rerender import compare_report
from wfplan.assessment.signing import Authenticity, PublicKey, check_signature
from wfplan.dataset.provenance import sha256_file
from wfplan.dataset.store.queries.bundle import ingest_log
from wfplan.errors import InputError, WfplanError
from wfplan.report.render import REPORT_FILES
from wfplan.runs.project import ScenarioFile, read_scenario

RELATIVE_TOLERANCE = 1e-9
MAX_SHOWN = 20


@dataclass
class Verdict:
    """The outcome of a verification: what was checked and every difference found."""

    bundle: Path
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    exact: bool = True
    authenticity: Authenticity = field(default_factory=lambda: Authenticity(False))
    #: Report files checked by their hash only, not rendered again (``report.pdf``
    #: unless ``full``).
    unrendered: list[str] = field(default_factory=list)
    #: Why no report file was re-rendered (the re-run contradicts the bundle), or "".
    report_skipped: str = ""

    @property
    def ok(self) -> bool:
        """Return whether everything matched."""
        return not self.findings


def _read(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()


def _shown(stored: object, fresh: object) -> tuple[str, str]:
    """Show two differing values: numbers with just enough digits to tell them apart."""
    a, b = (v.item() if isinstance(v, np.generic) else v for v in (stored, fresh))
    if isinstance(a, int | float) and isinstance(b, int | float) and a == a and b == b:
        for digits in range(6, 18):
            x, y = f"{a:,.{digits}g}", f"{b:,.{digits}g}"
            if x != y:
                return x, y
    return _plain(a), _plain(b)


def _plain(value: object) -> str:
    missing = value is None or value is pd.NA or value is pd.NaT or value != value
    return "missing" if missing else repr(value)


def _key_text(row: pd.Series, keys: Sequence[str]) -> str:
    return ", ".join(f"{k}={row[k]}" for k in keys if k in row.index)


def compare_frames(name: str, stored: pd.DataFrame, fresh: pd.DataFrame,
                   keys: Sequence[str], *, exact: bool) -> list[Finding]:
    """Compare a stored table with its recomputation; name each differing figure."""
    if list(stored.columns) != list(fresh.columns):
        return [Finding(name, f"columns differ: {', '.join(map(str, stored.columns))} in the "
                              f"bundle, {', '.join(map(str, fresh.columns))} when re-run")]
    if len(stored) != len(fresh):
        return [Finding(name, f"{len(stored)} rows, but the re-run gives {len(fresh)}")]
    findings = []
    for column in stored.columns:
        a, b = stored[column], fresh[column]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            x = a.to_numpy(dtype="float64", na_value=np.nan)
            y = b.to_numpy(dtype="float64", na_value=np.nan)
            same = (x == y) | (np.isnan(x) & np.isnan(y))
            if not exact:
                same |= np.isclose(x, y, rtol=RELATIVE_TOLERANCE, atol=0.0)
        else:
            same = ((a.astype(str) == b.astype(str)) | (a.isna() & b.isna())).to_numpy()
        for index in np.flatnonzero(~same)[:MAX_SHOWN]:
            where = _key_text(stored.iloc[index], keys) or f"row {index + 1}"
            was, now = _shown(a.iloc[index], b.iloc[index])
            findings.append(Finding(name, f"{where}: {column} is {was} in the bundle but {now} "
                                          "when re-run"))
    return findings


@dataclass
class _Rerun:
    config: AssessmentConfig
    base: date
    files: list[ScenarioFile]
    computed: Computed
    provenance: pd.DataFrame


def _recompute(bundle: Path, step: Step | None) -> _Rerun:
    config = load_config(bundle / CONFIG_FILE)
    if config.base_period is None:
        raise WfplanError(f"{bundle / CONFIG_FILE} names no base_period")
    outside = [name for name in config.scenarios if not scenario_files(
        {"scenarios": [{"file": name}]})]
    if outside:
        raise InputError(f"{CONFIG_FILE} names scenario files outside the bundle's scenarios/ "
                         f"folder: {', '.join(outside)}")
    files = [read_scenario(bundle / name) for name in config.scenarios]
    store = load_extracts(bundle / "inputs", config.vintage)
    try:
        computed = compute(store, config, files, config.base_period, step=step)
        provenance = ingest_log(store)
    finally:
        store.close()
    return _Rerun(config, config.base_period, files, computed, provenance)


def json_differences(stored: Any, fresh: Any, where: str, *, exact: bool) -> Iterator[str]:
    """Yield each place where two JSON values differ (numbers within 1e-9 unless ``exact``)."""
    if isinstance(stored, dict) and isinstance(fresh, dict):
        for key in sorted(set(stored) | set(fresh), key=str):
            inner = f"{where} → {key}" if where else str(key)
            if key not in stored or key not in fresh:
                side = "the re-run" if key not in fresh else "the bundle"
                yield f"{inner} is not in {side}"
            else:
                yield from json_differences(stored[key], fresh[key], inner, exact=exact)
    elif isinstance(stored, list) and isinstance(fresh, list) and len(stored) == len(fresh):
        for index, (a, b) in enumerate(zip(stored, fresh, strict=True)):
            yield from json_differences(a, b, f"{where}[{index}]", exact=exact)
    elif not _same(stored, fresh, exact=exact):
        text = json.dumps(stored, default=str)[:200], json.dumps(fresh, default=str)[:200]
        yield f"{where} is {text[0]} in the bundle but {text[1]} when re-run"


def _same(a: Any, b: Any, *, exact: bool) -> bool:
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    if numbers and not exact:
        return bool(np.isclose(a, b, rtol=RELATIVE_TOLERANCE, atol=0.0))
    return bool(type(a) is type(b) and a == b) or (numbers and a == b)


def _as_json(value: Any) -> Any:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _check_manifest_fields(manifest: dict[str, Any], rerun: _Rerun, core: str) -> list[Finding]:
    """Check the manifest's fields against what the bundle's configuration and inputs give."""
    expected = _as_json(manifest_fields(rerun.config, rerun.base, rerun.files,
                                        rerun.provenance, core, 0.0))
    for key in ("seconds", "core_sha256"):  # timing; the core digest is checked on its own
        expected.pop(key)
    recorded = {key: manifest.get(key) for key in expected}
    differences = list(json_differences(recorded, expected, "", exact=True))
    return [Finding(MANIFEST, f"{text.replace('when re-run', 'from the bundle files')} (the "
                              f"re-run read {CONFIG_FILE} and inputs/)")
            for text in differences[:MAX_SHOWN]]


def _check_metadata(bundle: Path, fresh: Computed, *, exact: bool) -> list[Finding]:
    path = bundle / METADATA_FILE
    if not path.is_file():
        return []
    text = metadata_text(fresh)
    if path.read_bytes() == text.encode("utf-8"):
        return []
    try:
        stored = json.loads(path.read_bytes().decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        return [Finding(METADATA_FILE, "not valid JSON: it was edited or damaged")]
    found = list(json_differences(stored, json.loads(text), "", exact=exact))
    return [Finding(METADATA_FILE, text) for text in found[:MAX_SHOWN]]


def _check_figures(bundle: Path, fresh: Computed, verdict: Verdict) -> None:
    if (bundle / RESULTS_FILE).is_file():
        verdict.findings += compare_frames(RESULTS_FILE, _read(bundle / RESULTS_FILE),
                                           fresh.results, RESULT_KEYS, exact=verdict.exact)
        verdict.checked["result figures"] = int(fresh.results.shape[0])
    for name, frame in fresh.tables.items():
        path = bundle / "tables" / f"{name}.parquet"
        if path.is_file():
            keys = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])][:3]
            verdict.findings += compare_frames(f"tables/{name}.parquet", _read(path), frame,
                                               keys, exact=verdict.exact)
    verdict.checked["tables"] = len(fresh.tables)


def _check_report(bundle: Path, manifest: dict[str, Any], rerun: _Rerun, core: str,
                  step: Step | None, names: Sequence[str],
                  ahead: Prerender | None = None) -> list[Finding]:
    """Re-render the report files ``names`` from the bundle's results and manifest; compare.

    With ``ahead`` (:mod:`wfplan.assessment.prerender`), the files it renders are
    taken from it if it rendered equal report data, the others are rendered here
    meanwhile.
    """
    try:
        stored = read_outputs(bundle, rerun.computed)
        stamp = Stamp.from_manifest(manifest, core)
    except (OSError, KeyError, TypeError, ValueError) as exc:
        return [Finding("report", f"cannot be re-rendered from the bundle ({exc})")]
    if step:
        step(f"re-rendering {', '.join(names)}")
    data = report_data(rerun.config, rerun.base, stored, rerun.provenance, rerun.files, stamp)
    if ahead is not None:
        render_cached(data, [name for name in names if name not in ahead.names])
        collected = ahead.collect()
        if collected is not None:
            keep(*collected)
    rendered = render_cached(data, names)
    return compare_report(bundle, rendered, manifest.get("environment") or {})


def _read_manifest(bundle: Path) -> tuple[bytes, dict[str, Any] | None, list[Finding]]:
    """Return the manifest's bytes (what is signed), its content (None if unusable), problems."""
    path = bundle / MANIFEST
    if not path.is_file() or path.is_symlink():
        return b"", *read_manifest(bundle)
    data = path.read_bytes()
    manifest, problems = parse_manifest(data)
    if manifest is not None and manifest.get("format") != FORMAT:
        return data, None, [Finding(MANIFEST, f"format {manifest.get('format')!r} is not "
                                              f"{FORMAT!r}: verify it with the wfplan that "
                                              "wrote it (environment.wfplan)")]
    return data, manifest, problems


def _disclosure(bundle: Path, manifest: dict[str, object]) -> list[Finding]:
    """Check the manifest's disclosure status against the small cells of the inputs."""
    field = manifest.get("disclosure")
    claimed = field.get("status") if isinstance(field, dict) else None
    if claimed is None:
        return [Finding(MANIFEST, "no disclosure status (public or restricted)")]
    try:
        small = disclosure_of(bundle / "inputs")
    except UNREADABLE:
        return []  # an unreadable extract is reported by the re-run
    if claimed == "public" and small:
        listed = ", ".join(f"{n:,} in {t}" for t, n in sorted(small.items()))
        return [Finding(MANIFEST, f"disclosure status is 'public' but the input "
                                  f"extracts hold counts of 1 to 4 people ({listed})")]
    if claimed not in ("public", "restricted"):
        return [Finding(MANIFEST, f"unknown disclosure status {claimed!r}")]
    return []


def verify(bundle: Path, *, trusted: Sequence[PublicKey] = (),
           step: Step | None = None, full: bool = False) -> Verdict:
    """Verify an assessment bundle: signature, contents, hashes, a full re-run, the report.

    Parameters
    ----------
    bundle : Path
        The bundle folder.
    trusted : sequence of PublicKey
        The public keys the verifier trusts (:func:`~wfplan.assessment.signing.load_trusted_keys`).
        With any, the bundle must be signed by one of them; with none, authenticity
        is not checked (:attr:`Verdict.authenticity` says whether it is signed).
    step : callable, optional
        Called with a description of each step.
    full : bool
        Also print ``report.pdf`` again from the re-rendered page and compare it
        byte for byte; without it, ``report.pdf`` is checked by its hash only
        (listed in :attr:`Verdict.unrendered`), see docs/verification.md.
    """
    verdict = Verdict(bundle)
    data, manifest, problems = _read_manifest(bundle)
    verdict.findings += problems
    if manifest is None:
        return verdict
    # A second process renders the page (and the PDF) while the re-run runs; the workbook
    # is written here after it.
    ahead = start_prerender(bundle, [REPORT_FILES["html"], *([REPORT_FILES["pdf"]] if full
                                                            else [])]) \
        if (bundle / RESULTS_FILE).is_file() else None
    try:
        _verify(bundle, data, manifest, list(trusted), step, verdict, full=full, ahead=ahead)
    finally:
        if ahead is not None:
            ahead.stop()
    return verdict


def _verify(bundle: Path, data: bytes, manifest: dict[str, Any], trusted: list[PublicKey],
            step: Step | None, verdict: Verdict, *, full: bool,
            ahead: Prerender | None) -> None:
    """Run checks 2 to 6 of :func:`verify` on a bundle whose manifest could be read."""
    verdict.authenticity, signature = check_signature(bundle, data, manifest, trusted)
    verdict.findings += [Finding(where, problem) for where, problem in signature]
    verdict.findings += check_contents(bundle, manifest)
    verdict.checked["files hashed"] = len(manifest["files"])
    actual = {name: sha256_file(bundle / name) for name in bundle_files(bundle)}
    core = core_digest(actual)
    if manifest.get("core_sha256") != core_digest(manifest["files"]):
        verdict.findings.append(Finding(MANIFEST, "core_sha256 does not match the hashes of "
                                                  "the inputs and results"))
    verdict.exact = manifest.get("environment", {}).get("platform") == platform_key()
    verdict.findings += _disclosure(bundle, manifest)
    try:
        rerun = _recompute(bundle, step)
    except WfplanError as error:
        verdict.findings.append(Finding("re-run", f"could not re-run the assessment: {error}"))
        return
    if step:
        step("comparing every figure")
    before = len(verdict.findings)
    verdict.findings += _check_manifest_fields(manifest, rerun, core)
    _check_figures(bundle, rerun.computed, verdict)
    verdict.findings += check_tables(bundle, rerun.computed.tables,
                                     compared=bool(manifest.get("previous_assessment")))
    verdict.findings += _check_metadata(bundle, rerun.computed, exact=verdict.exact)
    if (bundle / RESULTS_FILE).is_file():
        differs = len(verdict.findings) > before
        _report_step(bundle, manifest, rerun, core, step, verdict, full=full, differs=differs,
                     ahead=ahead)


def _report_step(bundle: Path, manifest: dict[str, Any], rerun: _Rerun, core: str,
                 step: Step | None, verdict: Verdict, *, full: bool, differs: bool,
                 ahead: Prerender | None = None) -> None:
    """Re-render and compare the report files, unless the re-run already contradicts the bundle.

    With ``differs`` (the manifest's fields or the figures differ from the re-run)
    nothing is rendered: every report file is listed in :attr:`Verdict.unrendered`
    and :attr:`Verdict.report_skipped` says why.
    """
    if differs:
        verdict.checked["report files re-rendered"] = 0
        verdict.unrendered = list(REPORT_FILES.values())
        verdict.report_skipped = ("the manifest or the figures already differ from the re-run "
                                  "(above)")
        return
    names = [name for name in REPORT_FILES.values() if full or name != REPORT_FILES["pdf"]]
    verdict.findings += _check_report(bundle, manifest, rerun, core, step, names, ahead)
    verdict.checked["report files re-rendered"] = len(names)
    verdict.unrendered = [name for name in REPORT_FILES.values() if name not in names]
