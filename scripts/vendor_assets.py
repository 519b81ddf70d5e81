"""Install the dashboard's front-end packages with ``npm ci`` and copy what it serves.

The packages and their exact versions are in ``frontend/package.json`` and
``frontend/package-lock.json`` (the lockfile's ``integrity`` is the SHA-512 of
each package's tarball); ``frontend/vendor.json`` lists which files of each
package the dashboard serves. This script runs ``npm ci --ignore-scripts`` in a
temporary copy of ``frontend/``, copies those files (with each package's licence)
into ``src/wfplan/web/static/vendor/PACKAGE/``, and writes
``src/wfplan/web/static/vendor/MANIFEST.json``: per package its version, the
lockfile's integrity, the tarball's address and the SHA-256 of every copied
file. ``tests/test_vendored_assets.py`` checks the copied files against that
manifest and, by downloading each tarball, against the lockfile's integrity.

So a plain ``pip install`` serves the dashboard without npm, and no asset is
edited by hand: to upgrade, change ``frontend/package.json``, run
``npm install --package-lock-only`` in ``frontend/``, then this script.

Usage: ``python scripts/vendor_assets.py`` (needs Node.js and npm).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FRONTEND = ROOT / "frontend"
VENDOR = ROOT / "src" / "wfplan" / "web" / "static" / "vendor"
REGISTRY = "https://registry.npmjs.org"


def tarball_url(name: str, version: str) -> str:
    """Return the registry address of a package's tarball."""
    return f"{REGISTRY}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


def _files(package: Path, wanted: list[str]) -> list[str]:
    """Return the package-relative paths a ``vendor.json`` entry names, sorted."""
    found: list[str] = []
    for item in wanted:
        path = package / item
        if item.endswith("/"):
            found += [p.relative_to(package).as_posix() for p in path.rglob("*") if p.is_file()]
        elif path.is_file():
            found.append(item)
        else:
            raise SystemExit(f"frontend/vendor.json: {item} is not in {package.name}")
    return sorted(found)


def vendor(modules: Path, lock: dict[str, object], wanted: dict[str, list[str]]) -> dict:
    """Copy each package's files from ``modules`` into :data:`VENDOR`; return the manifest."""
    packages = lock["packages"]
    assert isinstance(packages, dict)
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    manifest: dict[str, object] = {}
    for name, items in sorted(wanted.items()):
        entry = packages[f"node_modules/{name}"]
        files = {}
        for rel in _files(modules / name, items):
            target = VENDOR / name / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(modules / name / rel, target)
            files[rel] = hashlib.sha256(target.read_bytes()).hexdigest()
        manifest[name] = {"version": entry["version"], "integrity": entry["integrity"],
                          "license": entry.get("license"),
                          "tarball": tarball_url(name, entry["version"]), "files": files}
    return manifest


def main() -> int:
    """Run ``npm ci`` in a copy of ``frontend/`` and vendor the files it lists."""
    wanted = {k: v for k, v in json.loads((FRONTEND / "vendor.json").read_text()).items()
              if not k.startswith("_")}
    lock = json.loads((FRONTEND / "package-lock.json").read_text())
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(FRONTEND / name, Path(tmp) / name)
        subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
                       cwd=tmp, check=True)
        manifest = vendor(Path(tmp) / "node_modules", lock, wanted)
    (VENDOR / "MANIFEST.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    count = sum(len(m["files"]) for m in manifest.values())
    print(f"vendored {count} files of {len(manifest)} packages into {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
