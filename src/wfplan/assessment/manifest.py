"""The bundle manifest: the SHA-256 of every file, and what produced them.

``manifest.json`` lists every file of an assessment bundle with its SHA-256,
the vintage and its ingest provenance, the package version and git commit, the
Python and dependency versions, the platform, the seed and the time taken. It
also carries ``manifest_sha256``: the SHA-256 of its own canonical content
without that field, so an edit to the manifest itself is detected. The
manifest's file hash is what a publication quotes.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import wfplan

MANIFEST = "manifest.json"
KEY_DEPENDENCIES = ("numpy", "pandas", "pyarrow", "duckdb", "pandera", "pydantic", "scipy",
                    "weasyprint", "matplotlib", "openpyxl", "jinja2")


def sha256_of(path: Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def bundle_files(bundle: Path) -> list[str]:
    """Return every file of a bundle (POSIX paths relative to it), the manifest excepted."""
    return sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*")
                  if p.is_file() and p.name != MANIFEST)


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


def write_manifest(bundle: Path, fields: Mapping[str, Any]) -> Path:
    """Write ``manifest.json`` hashing every file now in the bundle.

    Parameters
    ----------
    bundle : Path
        The bundle directory, complete but for the manifest.
    fields : mapping
        What else to record: title, period, vintage, provenance, seed, draws, timing...

    Returns
    -------
    Path
        The manifest's path.
    """
    content: dict[str, Any] = {
        "format": "wfplan-assessment-bundle/1",
        **fields,
        "environment": environment(),
        "files": {name: sha256_of(bundle / name) for name in bundle_files(bundle)},
    }
    content["manifest_sha256"] = _self_hash(content)
    path = bundle / MANIFEST
    path.write_text(json.dumps(content, indent=2, sort_keys=True, default=str) + "\n",
                    encoding="utf-8")
    return path


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
    if not path.is_file():
        return None, [Finding(MANIFEST, "missing: this is not an assessment bundle, or the "
                                        "manifest was deleted")]
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, [Finding(MANIFEST, f"not valid JSON ({exc}): it was edited or damaged")]
    if not isinstance(content, dict) or "files" not in content:
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
        elif sha256_of(bundle / name) != expected:
            findings.append(Finding(name, "changed: its SHA-256 differs from the manifest's"))
    findings += [Finding(name, "not in the manifest: added after the bundle was written")
                 for name in sorted(present - set(listed))]
    return findings


def files_hash(names: Iterable[str], bundle: Path) -> dict[str, str]:
    """Return the SHA-256 of each named file of a bundle."""
    return {name: sha256_of(bundle / name) for name in names}
