"""Codes and names that are spreadsheet formulas reach tables.xlsx as text and CSV escaped."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import handmade_vintage as hv
from wfplan.assessment.bundle import assess
from wfplan.cli import app
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.runs.outputs import write_results
from wfplan.spreadsheet import FORMULA_STARTS, csv_safe

FORMULA = "=cmd|' /C calc'!A0"
NAME = '=HYPERLINK("http://example.invalid/","open me")'


def _xml(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(n).decode("utf-8") for n in archive.namelist()
                       if n.endswith(".xml"))


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


@pytest.fixture(scope="module")
def injected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made vintage plus a tidy file whose unknown codes and names are formulas."""
    folder = tmp_path_factory.mktemp("injection")
    db = folder / "hand.duckdb"
    with DuckDBStore(db) as store:
        hv.build(store, folder)
        extra = folder / "formulas.csv"
        pd.DataFrame([(hv.LATER, "RAA", FORMULA, "25_29", "@SUM(1+1)*cmd", 12, 11.0),
                      (hv.LATER, "RZZ", hv.N, "25_29", "british", 30, 28.0)],
                     columns=["period", "org_code", "staff_group", "age_band", "nationality",
                              "headcount", "fte"]).to_csv(extra, index=False)
        orgs = folder / "more_orgs.csv"
        pd.DataFrame([("RYY", NAME, "Acute", "nhs_trust", "QMJ", "Y56")],
                     columns=["org_code", "name", "org_type", "sector", "icb_code",
                              "region_code"]).to_csv(orgs, index=False)
        ingest(store, [extra, orgs], hv.VINTAGE)
    return db


def test_no_cell_of_tables_xlsx_is_a_formula_from_the_data(injected: Path) -> None:
    folder = injected.parent
    (folder / "steady.toml").write_text(
        'name = "steady"\ndescription = "No change."\nhorizon = 5\nlevel = "region"\n'
        'staff_groups = "all"\ndraws = 3\nseed = 1\n', encoding="utf-8")
    config = folder / "hand.toml"
    config.write_text(f'title = "Hand"\nperiod = "2026"\nvintage = "{hv.VINTAGE}"\n'
                      f'scenarios = ["{folder / "steady.toml"}"]\nhorizon = 5\ndraws = 3\n'
                      'seed = 7\nlevel = "region"\n', encoding="utf-8")
    with DuckDBStore(injected, read_only=True) as store:
        assess(store, config, folder / "bundle")
    xml = _xml(folder / "bundle" / "tables.xlsx")
    assert "<f>" not in xml
    assert "<f " not in xml
    # the formulas did reach the workbook, as text
    assert "=cmd|' /C calc'!A0" in xml
    assert '=HYPERLINK("http://example.invalid/"' in xml
    assert re.search(r"<t>=cmd\|", xml)  # a cell that starts with the formula


def test_the_gaps_csv_escapes_codes_that_are_formulas(injected: Path) -> None:
    result = CliRunner().invoke(app, ["gaps", "--format", "csv", "--db", str(injected),
                                      "--vintage", hv.VINTAGE])
    assert result.exit_code == 0, result.output
    cells = _cells(result.stdout)
    assert any(cell.startswith("'=cmd|") for cell in cells), result.stdout
    assert any(cell.startswith("'@SUM(1+1)") for cell in cells), result.stdout
    risky = [cell for cell in cells if cell.startswith(FORMULA_STARTS)
             and not re.fullmatch(r"-?[0-9.]+(e-?[0-9]+)?", cell)]
    assert risky == []


def test_projection_csv_and_xlsx_write_formulas_as_text(tmp_path: Path) -> None:
    table = pd.DataFrame({"scenario": ["+steady", "steady"], "area": ["E92000001"] * 2,
                          "staff_group": [FORMULA, "-x"], "variable": ["gap_fte"] * 2,
                          "unit": ["FTE"] * 2, "year": [2025, 2025],
                          "statistic": ["p50"] * 2, "value": [-12.5, 3.0]})
    write_results(table, tmp_path / "out.csv", {})
    text = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert "'=cmd|" in text
    assert "'+steady" in text
    assert "'-x" in text
    assert ",-12.5" in text  # numbers are not text: written as they are
    write_results(table, tmp_path / "out.xlsx", {})
    assert "<f>" not in _xml(tmp_path / "out.xlsx")


def test_csv_safe_prefixes_text_a_spreadsheet_would_run() -> None:
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_safe(text) == "'" + text
    assert csv_safe("plain") == "plain"
    assert csv_safe(-1.5) == -1.5
