"""Terminal tables built a column at a time are those built a cell at a time (issue 12).

``metric_cells`` formats a whole metrics column as ``metric_cell`` formats each
value, and ``print_table`` writes a row that fits on one line from the column-wise
padded cells (``_single_lines``): each is compared with the cell-at-a-time code,
which still writes every row with a wrapped cell.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from wfplan.cli import display
from wfplan.cli.display import Column, metric_cell, metric_cells, metrics_table, print_table

VALUES: list[object] = [0.0, -0.0, -0.00004, 0.00004, -0.04, 1234567.891, -1234567.891, 0.5,
                        2.5, -2.5, 1e300, -1e-300, math.inf, -math.inf, math.nan, np.float64(3.25),
                        np.float32(math.nan), np.float32(1.5), np.int64(7), 12, -3, 0,
                        True, False, None, pd.NA, pd.NaT, "text", "-0"]
COLUMNS = ("headcount", "fte", "fte_per_head", "vacancy_rate", "turnover_rate", "area_name")


@pytest.mark.parametrize("column", COLUMNS)
def test_metric_cells_are_metric_cell_of_each_value(column: str) -> None:
    assert metric_cells(VALUES, column) == [metric_cell(v, column) for v in VALUES]


@pytest.mark.parametrize("series", [
    pd.Series([1.0, np.nan, -0.0, 2.345]), pd.Series([1, None, 3], dtype="Int64"),
    pd.Series([0.1, 0.25, None], dtype="Float64"), pd.Series(["a", None, "c"], dtype="str"),
])
def test_metric_cells_iterate_a_series_as_metric_cell_sees_it(series: pd.Series) -> None:
    for column in COLUMNS:
        assert metric_cells(series, column) == [metric_cell(v, column) for v in series]


def _printed(width: int, write: object) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None)
    write(console)  # type: ignore[operator]
    return buffer.getvalue()


@pytest.mark.parametrize("width", [40, 60, 120])
def test_rows_on_one_line_are_written_as_cell_by_cell(width: int,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    columns = [Column("Area", key=True), Column("Name of the organisation", wrap=True),
               Column("Staff in post", right=True), Column("Rate %", right=True),
               Column("Notes on the figures", wrap=True)]
    rows = [["E1", "Short", "1,234", "5.0", ""],
            ["E2", "A rather long organisation name that wraps on narrow consoles", "12",
             "n/a", "é accented — wide ✓ text"],
            ["E3", "", "", "", "x"], ["E4", "Mid length name", "1,234,567", "100.0", "ok"]]
    used: list[int] = []
    single = display._single_lines

    def counted(*args: object) -> list[str | None]:
        found = single(*args)  # type: ignore[arg-type]
        used.append(sum(line is not None for line in found))
        return found

    def write(console: Console) -> None:
        print_table(console, "A table", columns, rows, "caption")

    monkeypatch.setattr(display, "_single_lines", counted)
    fast = _printed(width, write)
    monkeypatch.setattr(display, "_single_lines", lambda cols, rows_, *rest: [None] * len(rows_))
    slow = _printed(width, write)
    assert fast == slow
    assert sum(used) > 0


def test_a_metrics_table_is_the_same_as_cell_by_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    frame = pd.DataFrame({"area_code": ["A", "B", "C"], "area_name": ["Alpha", None, "Gamma"],
                          "staff_group": ["nurses", "doctors", None],
                          "headcount": pd.Series([1200, None, 3], dtype="Int64"),
                          "fte": [1100.04, np.nan, -0.01], "vacancy_rate": [0.0512, None, 0.0]})

    def write(console: Console) -> None:
        metrics_table(console, frame, "Metrics")

    fast = _printed(100, write)
    monkeypatch.setattr(display, "metric_cells",
                        lambda values, column: [metric_cell(v, column) for v in values])
    monkeypatch.setattr(display, "_single_lines", lambda cols, rows_, *rest: [None] * len(rows_))
    assert fast == _printed(100, write)
