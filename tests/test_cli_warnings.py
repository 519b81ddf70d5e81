"""A library's warning is shown as one line and the command goes on; it is never "a bug".

The warnings are real ones from openpyxl: a workbook whose stylesheet is empty (as
some exporters write them) and a deprecated openpyxl function. The CLI runs in a
subprocess with ``PYTHONWARNINGS`` set, as a user would; the in-process test runs
under this suite's own ``filterwarnings = error``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pytest
import typer

from wfplan.cli.common import guard

if TYPE_CHECKING:
    from conftest import Kit

OPENPYXL_NOTE = "Workbook contains no stylesheet, using openpyxl's defaults"


def workbook_with_an_empty_stylesheet(path: Path, kit: Kit) -> Path:
    """Write a staff_in_post workbook whose styles part has no styles at all."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(kit.SIP_HEADER.split(","))
    for line in kit.sip_lines(3):
        sheet.append([float(c) if c.replace(".", "").isdigit() else c for c in line.split(",")])
    styled = path.with_suffix(".styled.xlsx")
    book.save(styled)
    with zipfile.ZipFile(styled) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/styles.xml":
                data = b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"/>'
            target.writestr(item, data)
    return path


def _ingest(kit: Kit, tmp_path: Path, warnings_option: str) -> subprocess.CompletedProcess[str]:
    files = [kit.org_csv(tmp_path / "orgs.csv"),
             workbook_with_an_empty_stylesheet(tmp_path / "staff.xlsx", kit)]
    env = {**os.environ, "PYTHONWARNINGS": warnings_option}
    env.pop("WFPLAN_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "wfplan.cli", "ingest", *map(str, files),
                           "--db", str(tmp_path / "w.duckdb"), "--vintage", "v"],
                          capture_output=True, text=True, check=False, env=env, timeout=300)


def test_a_library_warning_under_pythonwarnings_error_is_one_line_and_the_ingest_goes_on(
        kit: Kit, tmp_path: Path) -> None:
    result = _ingest(kit, tmp_path, "error")
    assert result.returncode == 0, result.stderr
    assert "bug in wfplan" not in result.stderr
    assert "Traceback" not in result.stderr
    shown = [line for line in result.stderr.splitlines() if OPENPYXL_NOTE in line]
    assert shown == [f"warning: {OPENPYXL_NOTE} (UserWarning at openpyxl.styles.stylesheet)"]
    assert "2 file(s) loaded" in result.stdout
    assert kit.read_back(tmp_path / "w.duckdb", "SELECT count(*) AS n FROM staff_in_post"
                         ).iat[0, 0] == 3


def test_a_library_warning_the_filters_ignore_stays_hidden(kit: Kit, tmp_path: Path) -> None:
    result = _ingest(kit, tmp_path, "ignore")
    assert result.returncode == 0, result.stderr
    assert OPENPYXL_NOTE not in result.stderr
    assert "2 file(s) loaded" in result.stdout


def test_a_library_deprecation_warning_under_warnings_as_errors_is_shown_not_a_bug(
        capsys: pytest.CaptureFixture[str]) -> None:
    book = openpyxl.Workbook()
    assert guard(book.get_sheet_names) == ["Sheet"]  # deprecated in openpyxl: it warns
    shown = capsys.readouterr().err.splitlines()
    # openpyxl points the warning at its caller, here guard itself
    assert shown == ["warning: Call to deprecated function get_sheet_names (Use "
                     "wb.sheetnames). (DeprecationWarning at wfplan.cli.common)"]


def test_a_warning_a_filter_inside_the_command_makes_an_error_is_not_called_a_bug(
        capsys: pytest.CaptureFixture[str]) -> None:
    def strict() -> list[str]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # as a library may, around its own work
            return openpyxl.Workbook().get_sheet_names()

    with pytest.raises(typer.Exit) as stopped:
        guard(strict)
    assert stopped.value.exit_code == 1
    shown = capsys.readouterr().err
    assert "bug in wfplan" not in shown
    assert "Call to deprecated function get_sheet_names" in shown
    assert "(DeprecationWarning at openpyxl.compat)" in shown
    assert "A warnings filter made this warning an error" in shown
