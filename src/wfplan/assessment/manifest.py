"""The bundle manifest: the SHA-256 of every file, and what produced them.

``manifest.json`` lists every file of an assessment bundle with its SHA-256,
the vintage and its ingest provenance, the package version and git commit, the
Python and dependency versions, the platform, the seed and the time taken. It
also carries ``manifest_sha256``: the SHA-256 of its own canonical content
without that field, so an edit to the manifest itself is detected. The
manifest's file hash is what a publication quotes.

Every file at every depth is hashed (a ``manifest.json`` below the top level
too); only the top-level ``manifest.json`` and its signature ``manifest.sig``
are not. Hashes show that a bundle is consistent, not who made it: anyone can
edit a file and re-seal the manifest (:func:`seal_manifest`). Authenticity comes
from the signature (:mod:`wfplan.assessment.signing`).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import wfplan
from wfplan.dataset.provenance import sha256_file

MANIFEST = "manifest.json"
#: The detached signature of the manifest's bytes (not hashed: it signs the manifest).
SIGNATURE = "manifest.sig"
#: The bundle's own files at its top level (every module names them from here).
CONFIG_FILE = "assessment.toml"
RESULTS_FILE = "results.parquet"
METADATA_FILE = "metadata.json"
#: The bundle format: 2 adds signatures, the complete file list and reproducible reports.
FORMAT = "wfplan-assessment-bundle/2"
KEY_DEPENDENCIES = ("numpy", "pandas", "pyarrow", "duckdb", "pandera", "pydantic", "scipy",
                    "weasyprint", "matplotlib", "openpyxl", "jinja2")


def _walk(folder: Path, root: Path) -> tuple[list[str], list[str]]:
    files, odd = [], []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            name = Path(entry.path).relative_to(root).as_posix()
            if entry.is_symlink():
                odd.append(name)
            elif entry.is_dir(follow_symlinks=False):
                more, strange = _walk(Path(entry.path), root)
                files += more
                odd += strange
            elif entry.is_file(follow_symlinks=False):
                files.append(name)
            else:
                odd.append(name)
    return files, odd


def bundle_files(bundle: Path) -> list[str]:
    """Return every regular file of a bundle at every depth (POSIX paths relative to it).

    Only the top-level ``manifest.json`` and ``manifest.sig`` are left out; a
    symbolic link is not a file of a bundle (see :func:`odd_entries`).
    """
    return sorted(name for name in _walk(bundle, bundle)[0] if name not in (MANIFEST, SIGNATURE))


def odd_entries(bundle: Path) -> list[str]:
    """Return what a bundle holds that is not a regular file or folder (links, devices)."""
    return sorted(_walk(bundle, bundle)[1])


def _canonical(content: Mapping[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def _self_hash(content: Mapping[str, Any]) -> str:
    body = {k: v for k, v in content.items() if k != "manifest_sha256"}
    return hashlib.sha256(_canonical(body)).hexdigest()


def environment() -> dict[str, Any]:
    """Return the versions and platform that produced (or re-run) a bundle."""
    deps: dict[str, str | None] = {}
    for name in KEY_DEPENDENCIES:
        try:
            deps[name] = version(name)
        except PackageNotFoundError:
            deps[name] = None
    return {
        "wfplan": wfplan.__version__,
        "git_commit": git_commit(),
        "python": sys.version.split()[0],
        "dependencies": deps,
        "platform": platform_key(),
    }


def platform_key() -> str:
    """Return the platform string: results must match exactly where it is the same."""
    return f"{platform.system()}-{platform.machine()}-python{platform.python_version()}"


def git_commit() -> str | None:
    """Return the git commit of the wfplan source tree, where it is a git checkout."""
    source = Path(wfplan.__file__).resolve().parent
    try:
        found = subprocess.run(["git", "rev-parse", "HEAD"], cwd=source, capture_output=True,
                               text=True, check=False, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return found.stdout.strip() or None if found.returncode == 0 else None


def write_manifest(bundle: Path, fields: Mapping[str, Any]) -> bytes:
    """Write ``manifest.json`` hashing every file now in the bundle; return its bytes.

    Parameters
    ----------
    bundle : Path
        The bundle directory, complete but for the manifest (and its signature).
    fields : mapping
        What else to record: title, period, vintage, provenance, seed, draws,
        timing, the signature record...
    """
    return seal_manifest(bundle, {"format": FORMAT, **fields, "environment": environment()})


def seal_manifest(bundle: Path, content: Mapping[str, Any]) -> bytes:
    """Hash every file of ``bundle`` into ``content``, add its self-hash, write it; return bytes.

    Anyone can call this after editing a bundle ("re-sealing"): the bundle is then
    consistent again. Only a signature (``manifest.sig``) by a key the verifier
    trusts shows who made it.
    """
    sealed = {k: v for k, v in content.items() if k not in ("files", "manifest_sha256")}
    sealed["files"] = {name: sha256_file(bundle / name) for name in bundle_files(bundle)}
    sealed["manifest_sha256"] = _self_hash(sealed)
    data = (json.dumps(sealed, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")
    (bundle / MANIFEST).write_bytes(data)
    return data


@dataclass(frozen=True)
class Finding:
    """One thing that does not match: where, and what."""

    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def read_manifest(bundle: Path) -> tuple[dict[str, Any] | None, list[Finding]]:
    """Read a bundle's manifest and check its own hash."""
    path = bundle / MANIFEST
    if not path.is_file() or path.is_symlink():
        return None, [Finding(MANIFEST, "missing: this is not an assessment bundle, or the "
                                        "manifest was deleted")]
    return parse_manifest(path.read_bytes())


def parse_manifest(data: bytes) -> tuple[dict[str, Any] | None, list[Finding]]:
    """Parse a manifest's bytes and check its own hash."""
    try:
        content = json.loads(data.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, [Finding(MANIFEST, f"not valid JSON ({exc}): it was edited or damaged")]
    if not isinstance(content, dict) or not isinstance(content.get("files"), dict):
        return None, [Finding(MANIFEST, "has no file list: it was edited or damaged")]
    if content.get("manifest_sha256") != _self_hash(content):
        return content, [Finding(MANIFEST, "its content does not match its own hash "
                                           "(manifest_sha256): the manifest was edited")]
    return content, []


def check_files(bundle: Path, listed: Mapping[str, str]) -> list[Finding]:
    """Compare the bundle's files with the hashes the manifest lists."""
    findings = []
    present = set(bundle_files(bundle))
    for name, expected in sorted(listed.items()):
        if name not in present:
            findings.append(Finding(name, "missing: the manifest lists it but it was deleted"))
        elif sha256_file(bundle / name) != expected:
            findings.append(Finding(name, "changed: its SHA-256 differs from the manifest's"))
    findings += [Finding(name, "not in the manifest: added after the bundle was written")
                 for name in sorted(present - set(listed))]
    return findings


def files_hash(names: Iterable[str], bundle: Path) -> dict[str, str]:
    """Return the SHA-256 of each named file of a bundle."""
    return {name: sha256_file(bundle / name) for name in names}
