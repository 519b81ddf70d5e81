"""Readable terminal output: tables that fit, names for codes, numbers without noise."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

import handmade_vintage as hv
from wfplan.assessment.verify import compare_frames
from wfplan.cli import app
from wfplan.cli.display import Column, fixed, metrics_table, print_table
from wfplan.dataset.store import DuckDBStore

if TYPE_CHECKING:
    from conftest import Kit

WIDTHS = [80, 100, 120]
SCENARIO = """
name = "noted"
base_vintage = "hand"
horizon = 5
level = "icb"
draws = 20
seed = 5

[parameters]
leaver_rate_multiplier = { dist = "normal", mean = 1.0, sd = 0.05 }
"""


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tables")
    path = folder / "w.duckdb"
    with DuckDBStore(path) as store:
        hv.build(store, folder)
    return path


def _numbers(text: str) -> list[str]:
    return re.findall(r"-?\d[\d,]*(?:\.\d+)?", text)


def _significant(field: str) -> int:
    digits = field.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(digits)


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# -- tables that fit --------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_metrics_tables_fit_the_terminal_and_show_every_number_whole(
        kit: Kit, hand_db: Path, width: int) -> None:
    table = CliRunner().invoke(app, ["metrics", "--db", str(hand_db), "--vintage", "hand",
                                      "--level", "icb"],
                               env={"COLUMNS": str(width)})
    csv_out = kit.cli("metrics", "--db", hand_db, "--vintage", "hand", "--level", "icb",
                      "--format", "csv")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "…" not in table.stdout
    shown = set(_numbers(table.stdout))
    for row in _csv_rows(csv_out.stdout):
        for column, digits in (("headcount", 0), ("fte", 1), ("vacancy_fte", 1)):
            if row[column]:
                assert fixed(float(row[column]), digits) in shown, (column, row[column])
        for column in ("vacancy_rate", "share_aged_55_plus"):
            if row[column]:
                assert fixed(100 * float(row[column]), 1) in shown, (column, row[column])


@pytest.mark.parametrize("width", [80, 120])
def test_a_wide_table_of_large_numbers_is_split_repeating_the_area(width: int) -> None:
    frame = pd.DataFrame({
        "area_code": ["E92000001", "Y56"], "area_name": ["England", "North East and Yorkshire"],
        "level": ["england", "region"], "period": ["2025-03-31"] * 2,
        **{name: [3_494_583.0 + i, 613_869.0 + i] for i, name in enumerate(
            ("headcount", "fte", "vacancy_fte", "headcount_start", "headcount_end",
             "fte_start", "fte_end", "fte_change"))},
        **{name: [0.0699, 0.2312] for name in ("vacancy_rate", "joiner_rate", "leaver_rate",
                                               "stability_index", "burnout_rate")},
    })
    console = Console(width=width, record=True, file=io.StringIO())
    metrics_table(console, frame, "Current position")
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= width
    assert "…" not in text
    parts = text.count("Current position")
    assert parts > 1
    assert text.count("North East and") == parts  # the area is in every part
    for value in ("3,494,583", "3,494,584.0", "613,869", "613,870.0", "7.0", "23.1"):
        assert value in _numbers(text), value


def test_print_table_keeps_a_number_whole_even_on_a_narrow_console() -> None:
    console = Console(width=30, record=True, file=io.StringIO())
    print_table(console, "t", [Column("area", key=True, wrap=True), Column("FTE", right=True),
                               Column("HC", right=True)],
                [["A very long area name indeed", "1,349,418.3", "12,345,678"]])
    text = console.export_text()
    assert "1,349,418.3" in text
    assert "12,345,678" in text
    assert "(2 of 2)" in text


# -- names for codes, codes in CSV and JSON -----------------------------------------------


def test_staff_groups_are_shown_by_name_and_kept_as_codes_in_csv_and_json(
        kit: Kit, hand_db: Path) -> None:
    args = ("backtest", "--db", hand_db, "--vintage", "hand", "--from", "2023-03", "--to",
            "2024-03", "--level", "icb")
    table = kit.plain(kit.cli(*args).stdout)
    assert "Nurses & health visitors" in table
    assert "All staff groups" in table
    assert "nurses_health_visitors" not in table
    assert "nurses_health_visitors" in kit.cli(*args, "--format", "csv").stdout
    payload = json.loads(kit.cli(*args, "--format", "json").stdout)
    assert {r["staff_group"] for r in payload["summary"]} >= {"nurses_health_visitors", "all"}


def test_project_headline_shows_staff_group_names(kit: Kit, hand_db: Path,
                                                  tmp_path: Path) -> None:
    path = tmp_path / "noted.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    text = kit.plain(kit.cli("project", path, "--db", hand_db).stdout)
    assert "Nurses & health visitors" in text
    assert "HCHS doctors" in text
    assert "nurses_health_visitors" not in text


def test_gaps_show_sector_names_from_the_code_list(kit: Kit) -> None:
    from wfplan.analysis.gaps import SECTOR_NAMES
    from wfplan.dataset import codelists
    from wfplan.report.gaps_page import format_cell

    for row in codelists.get("sector").rows:
        assert SECTOR_NAMES[row["code"]] == row["name"]
        assert format_cell(row["code"], "sector") == row["name"]


# -- no None, dict reprs, -0.0 or float noise -----------------------------------------------


def test_metrics_csv_holds_numbers_or_nothing(kit: Kit, hand_db: Path) -> None:
    for level in ("icb", "org"):
        text = kit.cli("metrics", "--db", hand_db, "--vintage", "hand", "--level", level,
                       "--format", "csv").stdout
        rows = _csv_rows(text)
        assert rows
        numeric = [c for c in rows[0] if c not in ("area_code", "area_name", "level", "period")]
        for row in rows:
            for column in numeric:
                if row[column]:
                    float(row[column])
                    assert _significant(row[column]) <= 12, (column, row[column])
        assert "n/a" not in text


def test_metrics_json_has_no_float_noise(kit: Kit, hand_db: Path) -> None:
    payload = json.loads(kit.cli("metrics", "--db", hand_db, "--vintage", "hand", "--level",
                                 "org", "--format", "json").stdout)
    for row in payload["current_position"]:
        for value in row.values():
            if isinstance(value, float):
                assert _significant(repr(value)) <= 12, value


def test_project_outputs_have_no_none_dict_reprs_or_float_noise(kit: Kit, hand_db: Path,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "noted.toml"
    path.write_text(SCENARIO, encoding="utf-8")
    for suffix in (".xlsx", ".csv"):
        result = kit.cli("project", path, "--db", hand_db, "--out", tmp_path / f"r{suffix}")
        assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["notes"]
    notes = "\n".join(" | ".join(str(c) for c in row if c is not None)
                      for row in sheet.iter_rows(values_only=True))
    assert "leaver_rate_multiplier | normal (mean 1, sd 0.05) [scenario noted]" in notes
    for bad in ("None", "{", "'dist'", "nan", "['"):
        assert bad not in notes, bad
    assert not re.search(r"\d\.\d{11,}", notes)
    values = [row["value"] for row in _csv_rows((tmp_path / "r.csv").read_text())]
    assert values
    assert all(_significant(v) <= 12 for v in values if v)


def test_backtest_and_gaps_csv_have_no_float_noise(kit: Kit, hand_db: Path) -> None:
    backtest = kit.cli("backtest", "--db", hand_db, "--vintage", "hand", "--from", "2023-03",
                       "--to", "2024-03", "--format", "csv").stdout
    gaps = kit.cli("gaps", "--db", hand_db, "--vintage", "hand", "--format", "csv").stdout
    for text in (backtest, gaps):
        rows = _csv_rows(text)
        assert rows
        for row in rows:
            for value in row.values():
                if re.fullmatch(r"-?\d+\.\d+(e-?\d+)?", value or ""):
                    assert _significant(value) <= 12, value
        assert "None" not in text
        assert "n/a" not in text


def test_numbers_are_never_shown_as_minus_zero() -> None:
    from wfplan.report.gaps_page import format_cell

    assert fixed(-0.04) == "0"
    assert fixed(-0.04, 1) == "0.0"
    assert fixed(-0.4, sign=True) == "0"
    assert fixed(-1.4, sign=True) == "-1"
    assert fixed(float("nan")) == "n/a"
    assert format_cell(-1e-17, "share_not_reported") == "0.0%"
    assert format_cell(-0.01, "severity") == "0.0"


def test_verify_names_a_difference_with_just_enough_digits() -> None:
    stored = pd.DataFrame({"key": ["a"], "value": [363613.46000006964]})
    fresh = pd.DataFrame({"key": ["a"], "value": [363613.46]})
    (finding,) = compare_frames("t.parquet", stored, fresh, ["key"], exact=True)
    assert str(finding) == ("t.parquet: key=a: value is 363,613.4600001 in the bundle but "
                            "363,613.46 when re-run")
    (columns,) = compare_frames("t.parquet", stored, fresh.rename(columns={"value": "v"}),
                                ["key"], exact=True)
    assert "[" not in str(columns)
    assert "key, value in the bundle, key, v when re-run" in str(columns)


def test_split_tables_share_the_columns_evenly() -> None:
    from wfplan.cli.display import layout

    columns = [Column("area", key=True), *(Column(f"m{i}", right=True) for i in range(13))]
    rows = [["England", *(["1,234,567.8"] * 13)]]
    parts = layout(columns, rows, 80)
    counts = [len(part) - 1 for part in parts]  # the area is in every part
    assert sum(counts) == 13
    assert max(counts) - min(counts) <= 1
    assert all(part[0][0] == 0 for part in parts)
