"""report.pdf warns when the report's typeface (Arial / Liberation Sans) is not installed.

Fontconfig reads its configuration once per process, so each case runs in a
subprocess with ``FONTCONFIG_FILE`` naming a configuration written to tmp_path:
one whose only fonts are the DejaVu fonts matplotlib ships (a machine without
fonts-liberation), one with the Liberation fonts as well. The PDF is written
through :func:`wfplan.cli.common.guard`, as every command writes it, so the
warning is checked as a command shows it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

LIBERATION = Path("/usr/share/fonts/truetype/liberation")
SCRIPT = """
import sys
from importlib.resources import files
from pathlib import Path

from wfplan.cli.common import guard
from wfplan.report.pdf import write_pdf

css = files("wfplan.report").joinpath("static/report.css").read_text(encoding="utf-8")
html = (f"<html><head><style>{css}</style></head><body><h1>Workforce</h1>"
        "<p>Nurses: 363,613 FTE in March 2025.</p><code>a1b2c3</code></body></html>")
guard(lambda: write_pdf(html, Path(sys.argv[1])))
"""


def _fonts_conf(folder: Path, *font_dirs: Path) -> Path:
    dirs = "".join(f"<dir>{d}</dir>" for d in font_dirs)
    path = folder / "fonts.conf"
    path.write_text('<?xml version="1.0"?>\n'
                    '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
                    f"<fontconfig>{dirs}<cachedir>{folder / 'cache'}</cachedir>"
                    '<include ignore_missing="yes">/etc/fonts/conf.d</include></fontconfig>\n',
                    encoding="utf-8")
    return path


def _write_pdf(tmp_path: Path, *font_dirs: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    pdf = tmp_path / "report.pdf"
    env = {**os.environ, "FONTCONFIG_FILE": str(_fonts_conf(tmp_path, *font_dirs))}
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(pdf)], capture_output=True,
                            text=True, check=False, env=env, timeout=300)
    return result, pdf


def _dejavu() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def test_without_liberation_fonts_the_pdf_warns_naming_the_font_it_was_set_in(
        tmp_path: Path) -> None:
    result, pdf = _write_pdf(tmp_path, _dejavu())
    assert result.returncode == 0, result.stderr
    assert pdf.read_bytes().startswith(b"%PDF-")
    shown = [line for line in result.stderr.splitlines() if "report.pdf is set in" in line]
    assert len(shown) == 1, result.stderr
    assert shown[0].startswith("warning: report.pdf is set in DejaVu Sans")
    assert "neither Arial nor Liberation Sans" in shown[0]
    assert "apt-get install fonts-liberation" in shown[0]
    assert shown[0].endswith("(FontWarning at wfplan.report.pdf)")


def test_with_liberation_fonts_the_pdf_does_not_warn(tmp_path: Path) -> None:
    if not (LIBERATION / "LiberationSans-Regular.ttf").is_file():
        message = f"fonts-liberation is not installed ({LIBERATION})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    result, pdf = _write_pdf(tmp_path, _dejavu(), LIBERATION)
    assert result.returncode == 0, result.stderr
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert "is set in" not in result.stderr
    assert "warning" not in result.stderr
