"""``wfplan template``: empty tidy templates that ingest once filled in."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pandas as pd
import pytest

from wfplan.dataset import codelists, schema
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.dataset.template import column_docs

if TYPE_CHECKING:
    from conftest import Kit


def test_xlsx_template_has_an_empty_sheet_and_a_columns_sheet(kit: Kit, tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    result = kit.cli("template", "staff_in_post", "--out", out)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in kit.plain(result.stdout)
    book = openpyxl.load_workbook(out, read_only=True)
    try:
        assert book.sheetnames == ["staff_in_post", "columns"]
        rows = list(book["staff_in_post"].iter_rows(values_only=True))
        assert rows == [schema.table("staff_in_post").column_names]
        docs = list(book["columns"].iter_rows(values_only=True))
    finally:
        book.close()
    assert docs[0] == ("column", "type", "required", "unit", "allowed values", "checks",
                       "description")
    assert [row[0] for row in docs[1:]] == list(schema.table("staff_in_post").column_names)
    fte = next(row for row in docs if row[0] == "fte")
    assert fte[1] == "number"
    assert "≥ 0" in fte[4]
    assert "suppression markers" in fte[4]


def test_csv_template_has_a_companion_markdown(kit: Kit, tmp_path: Path) -> None:
    out = tmp_path / "sip.csv"
    result = kit.cli("template", "staff_in_post", "--out", out)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines() == [
        ",".join(schema.table("staff_in_post").column_names)]
    doc = (tmp_path / "sip.md").read_text(encoding="utf-8")
    assert doc.startswith("# wfplan tidy template: `staff_in_post`")
    for name in schema.table("staff_in_post").column_names:
        assert f"| {name} |" in doc
    assert "nurses_health_visitors" in doc


def test_parquet_template_has_a_companion_markdown(kit: Kit, tmp_path: Path) -> None:
    out = tmp_path / "vac.parquet"
    assert kit.cli("template", "vacancies", "--out", out).exit_code == 0
    frame = pd.read_parquet(out)
    assert list(frame.columns) == list(schema.table("vacancies").column_names)
    assert frame.empty
    assert (tmp_path / "vac.md").exists()


def test_bad_requests_are_bad_input(kit: Kit, tmp_path: Path) -> None:
    unknown = kit.cli("template", "nurses", "--out", tmp_path / "x.csv")
    assert unknown.exit_code == 2
    assert "no table 'nurses'; tables are areas" in kit.plain(unknown.stderr)
    suffix = kit.cli("template", "staff_in_post", "--out", tmp_path / "x.json")
    assert suffix.exit_code == 2
    assert "write a template as .csv, .xlsx or .parquet" in kit.plain(suffix.stderr)
    missing = kit.cli("template", "staff_in_post", "--out", tmp_path / "no" / "x.csv")
    assert missing.exit_code == 2, missing.output
    assert "no such folder" in kit.plain(missing.stderr)
    assert not list(tmp_path.iterdir())


def test_an_empty_template_is_refused_as_having_no_rows(kit: Kit, tmp_path: Path,
                                                        store: DuckDBStore) -> None:
    out = tmp_path / "sip.csv"
    kit.cli("template", "staff_in_post", "--out", out)
    from wfplan.dataset.ingest import IngestError

    with pytest.raises(IngestError, match="has a header but no data rows"):
        ingest(store, [out], "v")


def _valid_cell(column: schema.ColumnSpec) -> str:
    """Return a valid cell for any column of any table."""
    if column.codelist in ("organisation", "area"):
        return codelists.ENGLAND_CODE
    if column.codelist:
        return codelists.get(column.codelist).codes[0]
    if column.type == "date":  # a flow's period_start is before its period_end
        return "2023-03-31" if column.name == "period_start" else "2024-03-31"
    if column.type in ("integer", "double"):
        low = column.min if column.min is not None else 0
        high = column.max if column.max is not None else low + 10
        middle = (low + high) / 2
        return str(int(middle)) if column.type == "integer" else str(middle)
    return f"some {column.name}"


@pytest.mark.parametrize("table", list(schema.tables()))
def test_every_csv_template_filled_with_one_row_ingests(kit: Kit, tmp_path: Path,
                                                        store: DuckDBStore, table: str) -> None:
    out = tmp_path / f"{table}.csv"
    assert kit.cli("template", table, "--out", out).exit_code == 0
    spec = schema.table(table)
    with out.open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow([_valid_cell(c) for c in spec.columns])
    report = ingest(store, [out], "v")
    assert report.files[0].rows == {table: 1}
    assert report.warnings == []


def test_xlsx_template_filled_with_one_row_ingests(kit: Kit, tmp_path: Path,
                                                   store: DuckDBStore) -> None:
    out = tmp_path / "sip.xlsx"
    assert kit.cli("template", "staff_in_post", "--out", out).exit_code == 0
    book = openpyxl.load_workbook(out)
    names = list(schema.table("staff_in_post").column_names)
    values = {"period": datetime(2024, 3, 31), "org_code": codelists.ENGLAND_CODE,
              "staff_group": "Nurses & health visitors", "age_band": "55-59", "sex": "F",
              "headcount": 12, "fte": 10.5}
    book["staff_in_post"].append([values.get(name) for name in names])
    book.save(out)
    report = ingest(store, [out], "v")
    assert report.files[0].rows == {"staff_in_post": 1}
    row = store.query("SELECT period, staff_group, age_band, sex, headcount, fte, role "
                      "FROM staff_in_post").to_dict("records")[0]
    assert pd.Timestamp(row["period"]).date().isoformat() == "2024-03-31"
    assert (row["staff_group"], row["age_band"], row["sex"]) == (
        "nurses_health_visitors", "55_59", "female")
    assert (row["headcount"], row["fte"]) == (12, 10.5)
    assert pd.isna(row["role"])


def test_column_docs_cover_every_column_of_every_table() -> None:
    for name, spec in schema.tables().items():
        docs = column_docs(name)
        assert docs["column"].tolist() == list(spec.column_names)
        required = dict(zip(docs["column"], docs["required"], strict=True))
        for column in spec.columns:
            assert required[column.name].startswith("yes" if column.required else "no")


def test_template_documents_each_plausibility_check(kit: Kit, tmp_path: Path) -> None:
    out = tmp_path / "sip.xlsx"
    assert kit.cli("template", "staff_in_post", "--out", out).exit_code == 0
    book = openpyxl.load_workbook(out, read_only=True)
    try:
        docs = {row[0]: row for row in book["columns"].iter_rows(values_only=True)}
    finally:
        book.close()
    checks = docs["column"].index("checks")
    assert "warning: a date after the day of the ingest" in docs["period"][checks]
    assert "warning: a date that is not a month's last day" in docs["period"][checks]
    assert "warning: FTE above headcount × 1.05" in docs["fte"][checks]
    assert "the 5% allows for rounded FTE" in docs["fte"][checks]
    assert docs["fte"][docs["column"].index("required")].startswith("yes")
    markdown = column_docs("staff_in_post")
    assert "dd/mm/yyyy" in markdown.loc[markdown["column"] == "period", "type"].item()
    doc = (tmp_path / "sip.md")
    kit.cli("template", "staff_in_post", "--out", tmp_path / "sip.csv")
    text = doc.read_text(encoding="utf-8")
    assert "01/02/2025" in text
    assert "--ignore-extra-columns" in text
