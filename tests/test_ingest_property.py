"""Property tests of the tidy importer: random rows and malformed cells.

Whatever the cells hold, an ingest either loads the file or refuses it with an
:class:`~wfplan.errors.InputError` (an :class:`IngestError` lists the cells),
leaving the database as it was. Valid rows read back exactly as written.
"""

from __future__ import annotations

import calendar
import csv
import io
import itertools
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wfplan.dataset import codelists
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.dataset.validate import SUPPRESSION_MARKERS
from wfplan.errors import InputError

COLUMNS = ["period", "org_code", "staff_group", "age_band", "sex", "headcount", "fte"]
KEYS = COLUMNS[:5]
ORGS = ["RAA", "RBB", "Y56", "E92000001"]
SETTINGS = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_vintages = itertools.count()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DuckDBStore, Path]]:
    """One store for the module (each example loads into a vintage of its own)."""
    folder = tmp_path_factory.mktemp("property")
    store = DuckDBStore(folder / "property.duckdb")
    try:
        yield store, folder
    finally:
        store.close()


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


@st.composite
def valid_row(draw: st.DrawFn) -> dict[str, Any]:
    year, month = draw(st.integers(2015, 2030)), draw(st.integers(1, 12))
    return {
        "period": _month_end(year, month),
        "period_text": draw(st.sampled_from([f"{year}-{month:02d}",
                                             _month_end(year, month).isoformat(),
                                             _month_end(year, month).strftime("%d/%m/%Y")])),
        "org_code": draw(st.sampled_from(ORGS)),
        "staff_group": draw(st.sampled_from(codelists.get("staff_group").codes)),
        "age_band": draw(st.none() | st.sampled_from(codelists.get("age_band").codes)),
        "sex": draw(st.none() | st.sampled_from(codelists.get("sex").codes)),
        "headcount": draw(st.none() | st.integers(0, 10**12)),
        "fte": draw(st.none() | st.floats(0, 1e9, allow_nan=False, allow_infinity=False)),
    }


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[k] for k in KEYS)


def _with_measures(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill the first row's headcount and FTE when no row has one: each column is required."""
    for column, value in (("headcount", 1), ("fte", 1.0)):
        if all(row[column] is None for row in rows):
            rows[0][column] = value
    return rows


rows_strategy = st.lists(valid_row(), min_size=1, max_size=30, unique_by=_key).map(
    _with_measures)

junk = st.one_of(
    st.text(max_size=12),
    st.sampled_from([*SUPPRESSION_MARKERS, "", " ", "-1", "-0.5", "1.5", "1,234", "12,34",
                     "1e400", "1e300", "NaN", "inf", "2024-13", "31/02/2024", "2024-02-30",
                     "soon", "\u00e9", "\u2013", "\U0001f600", "\ufeff", "\"", "'", ",", "\t"]),
    st.integers(-10**6, 10**6).map(str),
    st.integers(-10**25, 10**25).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _cell(row: dict[str, Any], column: str) -> str:
    if column == "period":
        return str(row["period_text"])
    value = row[column]
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def _csv(rows: list[dict[str, Any]], cells: dict[tuple[int, str], str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i, row in enumerate(rows):
        writer.writerow([cells.get((i, c), _cell(row, c)) for c in COLUMNS])
    return out.getvalue()


def _ingest(shared: tuple[DuckDBStore, Path], text: str) -> tuple[DuckDBStore, str]:
    store, folder = shared
    vintage = f"v{next(_vintages)}"
    path = folder / f"{vintage}.csv"
    path.write_text(text, encoding="utf-8")
    ingest(store, [path], vintage)
    return store, vintage


def _read_back(store: DuckDBStore, vintage: str) -> pd.DataFrame:
    return store.query(
        f"SELECT {', '.join(COLUMNS)}, suppressed FROM staff_in_post WHERE vintage = ? "
        "ORDER BY source_row", [vintage])


def _assert_row_round_trips(stored: dict[str, Any], row: dict[str, Any]) -> None:
    assert pd.Timestamp(stored["period"]).date() == row["period"]
    for column in ("org_code", "staff_group", "age_band", "sex"):
        if row[column] is None:
            assert pd.isna(stored[column]), column
        else:
            assert stored[column] == row[column], column
    if row["headcount"] is None:
        assert pd.isna(stored["headcount"])
    else:
        assert isinstance(stored["headcount"], int)
        assert stored["headcount"] == row["headcount"]
    if row["fte"] is None:
        assert pd.isna(stored["fte"])
    else:
        assert isinstance(stored["fte"], float)
        assert stored["fte"] == row["fte"]


@SETTINGS
@given(rows=rows_strategy)
def test_valid_rows_round_trip_exactly(shared: tuple[DuckDBStore, Path],
                                       rows: list[dict[str, Any]]) -> None:
    store, vintage = _ingest(shared, _csv(rows, {}))
    stored = _read_back(store, vintage).astype(object).to_dict("records")
    assert len(stored) == len(rows)
    for got, row in zip(stored, rows, strict=True):
        _assert_row_round_trips(got, row)
        assert got["suppressed"] is False


@SETTINGS
@given(rows=rows_strategy, data=st.data())
def test_malformed_cells_are_refused_cleanly_or_loaded(shared: tuple[DuckDBStore, Path],
                                                       rows: list[dict[str, Any]],
                                                       data: st.DataObject) -> None:
    spots = data.draw(st.lists(st.tuples(st.integers(0, len(rows) - 1),
                                         st.sampled_from(COLUMNS)),
                               min_size=1, max_size=5, unique=True))
    cells = {spot: data.draw(junk) for spot in spots}
    store = shared[0]
    before = store.table_counts()
    try:
        _, vintage = _ingest(shared, _csv(rows, cells))
    except InputError:
        assert store.table_counts() == before, "a refused ingest must write nothing"
        return
    stored = _read_back(store, vintage).astype(object).to_dict("records")
    assert len(stored) == len(rows)
    touched = {i for i, _ in cells}
    for i, (got, row) in enumerate(zip(stored, rows, strict=True)):
        if i not in touched:
            _assert_row_round_trips(got, row)
    for (i, column), text in cells.items():
        if column in ("headcount", "fte") and text.strip() in SUPPRESSION_MARKERS:
            assert pd.isna(stored[i][column])
            assert stored[i]["suppressed"] is True
        elif column in ("headcount", "fte") and not text.strip():
            assert pd.isna(stored[i][column])
        elif column in ("headcount", "fte"):
            number = float(text.replace(",", ""))
            assert stored[i][column] == number
            assert number >= 0


numberish = st.one_of(
    st.integers().map(str),
    st.from_regex(r"\A-?[1-9][0-9]{0,29}\Z"),
    st.floats().map(repr),
    st.floats(0, 1e6).map(lambda f: f"{f:,.2f}"),
    st.from_regex(r"\A[ +\-]?[0-9,._eE+\-]{1,12}\Z"),
)


@SETTINGS
@given(headcount=numberish, fte=numberish)
def test_measure_cells_are_numbers_or_refused(shared: tuple[DuckDBStore, Path], headcount: str,
                                              fte: str) -> None:
    text = _csv([{"period_text": "2024-03", "org_code": "RAA", "staff_group": "managers",
                  "age_band": None, "sex": None, "headcount": None, "fte": None}],
                {(0, "headcount"): headcount, (0, "fte"): fte})
    try:
        store, vintage = _ingest(shared, text)
    except InputError:
        return
    stored = _read_back(store, vintage).astype(object).to_dict("records")[0]
    for column, cell in (("headcount", headcount), ("fte", fte)):
        if not cell.strip() or cell.strip() in SUPPRESSION_MARKERS:
            assert pd.isna(stored[column])
            continue
        number = float(cell.replace(",", ""))
        assert stored[column] == number
        assert 0 <= number < float("inf")
    assert isinstance(stored["headcount"], int) or pd.isna(stored["headcount"])
