"""The layer order of ``docs/architecture.md``, checked by import-linter as CI runs it."""

from __future__ import annotations

import ast
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


def test_a_file_over_400_lines_states_why_at_its_top() -> None:
    package = ROOT / "src" / "wfplan"
    long = [p for p in package.rglob("*.py")
            if len(p.read_text(encoding="utf-8").splitlines()) > 400]
    silent = [str(p.relative_to(package)) for p in long
              if "Over 400 lines" not in (ast.get_docstring(ast.parse(p.read_text("utf-8")))
                                          or "")]
    assert not silent, f"files over 400 lines without a reason at the top: {silent}"
