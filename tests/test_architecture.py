"""The layer order of ``docs/architecture.md``, checked by import-linter as CI runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_layers_import_only_downward() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")],
                            capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_test_fixtures_are_not_in_the_package() -> None:
    package = ROOT / "src" / "wfplan"
    assert not (package / "report" / "example.py").exists()
    assert not (package / "model" / "synthetic.py").exists()
