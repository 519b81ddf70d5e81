"""The dashboard's front-end files are the npm packages of the lockfile, byte for byte.

``scripts/vendor_assets.py`` copies them from ``npm ci`` into
``src/wfplan/web/static/vendor`` with a manifest of their SHA-256 sums. These
tests check the files against that manifest, the manifest against the
lockfile, and, by downloading each package's tarball from the npm registry,
the tarball against the lockfile's integrity (SHA-512) and every copied file
against the tarball's own copy.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import tarfile
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "wfplan" / "web" / "static" / "vendor"
MANIFEST = json.loads((VENDOR / "MANIFEST.json").read_text())
LOCK = json.loads((ROOT / "frontend" / "package-lock.json").read_text())
PACKAGE = json.loads((ROOT / "frontend" / "package.json").read_text())


def test_versions_are_pinned_exactly() -> None:
    versions = PACKAGE["dependencies"]
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", v) for v in versions.values()), versions
    assert versions["nhsuk-frontend"].startswith("10.6.")
    assert versions["htmx.org"].startswith("2.")
    assert set(versions) == set(MANIFEST) == set(LOCK["packages"][""]["dependencies"])


def test_the_manifest_is_the_lockfile_s() -> None:
    for name, entry in MANIFEST.items():
        locked = LOCK["packages"][f"node_modules/{name}"]
        assert (entry["version"], entry["integrity"]) == (locked["version"], locked["integrity"])
        assert entry["version"] == PACKAGE["dependencies"][name]


def test_every_file_is_listed_and_unchanged() -> None:
    on_disk = {p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file()}
    listed = {f"{name}/{rel}" for name, entry in MANIFEST.items() for rel in entry["files"]}
    assert on_disk - {"MANIFEST.json"} == listed
    for name, entry in MANIFEST.items():
        for rel, digest in entry["files"].items():
            assert hashlib.sha256((VENDOR / name / rel).read_bytes()).hexdigest() == digest, rel


def test_every_package_ships_its_licence() -> None:
    for name, entry in MANIFEST.items():
        assert {"LICENSE", "README.md"} & set(entry["files"]), name
    readme = (VENDOR / "nhsuk-frontend" / "README.md").read_text()
    assert "MIT Licence" in readme  # nhsuk-frontend states its licence in its README


def _download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return bytes(response.read())
    except OSError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"the npm registry is out of reach ({exc}); CI must reach it")


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_the_files_are_the_registry_tarball_s(name: str) -> None:
    entry = MANIFEST[name]
    assert entry["tarball"].startswith("https://registry.npmjs.org/")
    tarball = _download(entry["tarball"])
    algorithm, expected = entry["integrity"].split("-", 1)
    assert algorithm == "sha512"
    assert base64.b64encode(hashlib.sha512(tarball).digest()).decode() == expected
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for rel, digest in entry["files"].items():
            member = archive.extractfile(f"package/{rel}")
            assert member is not None, rel
            assert hashlib.sha256(member.read()).hexdigest() == digest, rel
