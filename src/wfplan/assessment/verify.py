"""``wfplan verify``: re-run an assessment from its bundle alone and check every figure.

Verification needs no database and no network. It checks the manifest's own
hash and the SHA-256 of every file it lists, loads the input extracts into an
in-memory store, re-runs every scenario and recomputes every table exactly as
``wfplan assess`` did, and compares them with the bundle's results and tables:
exactly on the platform that wrote the bundle, within a relative tolerance of
1e-9 on any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from wfplan.assessment.bundle import CONFIG_FILE, RESULTS_FILE, core_digest
from wfplan.assessment.compute import RESULT_KEYS, Computed, Step, compute
from wfplan.assessment.config import load_config
from wfplan.assessment.extract import disclosure_of, load_extracts
from wfplan.assessment.manifest import Finding, check_files, platform_key, read_manifest
from wfplan.assessment.project import read_scenario
from wfplan.errors import WfplanError

RELATIVE_TOLERANCE = 1e-9
MAX_SHOWN = 20


@dataclass
class Verdict:
    """The outcome of a verification: what was checked and every difference found."""

    bundle: Path
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    exact: bool = True

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


def _recompute(bundle: Path, step: Step | None) -> Computed:
    config = load_config(bundle / CONFIG_FILE)
    files = [read_scenario(bundle / name) for name in config.scenarios]
    if config.base_period is None:
        raise WfplanError(f"{bundle / CONFIG_FILE} names no base_period")
    store = load_extracts(bundle / "inputs", config.vintage)
    try:
        return compute(store, config, files, config.base_period, step=step)
    finally:
        store.close()


def _disclosure(bundle: Path, manifest: dict[str, object]) -> list[Finding]:
    """Check the manifest's disclosure status against the small cells of the inputs."""
    field = manifest.get("disclosure")
    claimed = field.get("status") if isinstance(field, dict) else None
    if claimed is None:
        return []  # a bundle made before bundles were marked
    try:
        small = disclosure_of(bundle / "inputs")
    except OSError:
        return []  # an unreadable extract is reported by the re-run
    if claimed == "public" and small:
        listed = ", ".join(f"{n:,} in {t}" for t, n in sorted(small.items()))
        return [Finding("manifest.json", f"disclosure status is 'public' but the input "
                                         f"extracts hold counts of 1 to 4 people ({listed})")]
    if claimed not in ("public", "restricted"):
        return [Finding("manifest.json", f"unknown disclosure status {claimed!r}")]
    return []


def verify(bundle: Path, *, step: Step | None = None) -> Verdict:
    """Verify an assessment bundle: hashes, then a full re-run compared figure by figure."""
    verdict = Verdict(bundle)
    manifest, problems = read_manifest(bundle)
    verdict.findings += problems
    if manifest is None:
        return verdict
    listed = manifest.get("files", {})
    verdict.findings += check_files(bundle, listed)
    verdict.checked["files hashed"] = len(listed)
    if manifest.get("core_sha256") != core_digest(listed):
        verdict.findings.append(Finding("manifest.json", "core_sha256 does not match the "
                                                         "hashes of the inputs and results"))
    verdict.exact = manifest.get("environment", {}).get("platform") == platform_key()
    verdict.findings += _disclosure(bundle, manifest)
    try:
        fresh = _recompute(bundle, step)
    except WfplanError as error:
        verdict.findings.append(Finding("re-run", f"could not re-run the assessment: {error}"))
        return verdict
    if step:
        step("comparing every figure")
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
    return verdict
