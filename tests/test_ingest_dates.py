"""Dates are days of any year, end to end, and only 1948 to 2100 is accepted.

A nanosecond ``datetime64`` holds only 1677 to 2262 and wrapped silently
outside: ``2300-01`` was stored as 1715-07-13. Dates are now NumPy days and
Arrow ``date32`` from the cell to the store, and a date outside the range is a
located error (file, row, column, value, rule).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from wfplan.dataset import schema
from wfplan.dataset.cells import FIRST_DATE, LAST_DATE, in_range, parse_date
from wfplan.dataset.importers.toolkit import period_date
from wfplan.dataset.validate import ChunkValidator

if TYPE_CHECKING:
    from conftest import Kit

RANGE = "must be between 1948-01-01 and 2100-12-31 (rule: date range"


def _chunk(periods: list[str]) -> pd.DataFrame:
    rows = len(periods)
    return pd.DataFrame({"period": periods, "org_code": ["RAA"] * rows,
                         "staff_group": [f"group{i}" for i in range(rows)],
                         "headcount": ["1"] * rows, "fte": ["1"] * rows},
                        dtype="string[pyarrow]", index=pd.RangeIndex(1, rows + 1))


def _validator() -> ChunkValidator:
    return ChunkValidator(schema.table("staff_in_post"), "f.csv", {"organisation": {"RAA"}})


def test_a_month_of_year_9999_is_read_as_its_last_day_without_an_exception() -> None:
    assert parse_date("9999-12") == np.datetime64("9999-12-31")
    assert parse_date("2024-02") == np.datetime64("2024-02-29")
    assert parse_date("10000-01") is None
    assert parse_date("0000-01") is None


def test_the_date_range_runs_from_1948_to_2100_inclusive() -> None:
    assert in_range(FIRST_DATE)
    assert in_range(LAST_DATE)
    assert not in_range(FIRST_DATE - np.timedelta64(1, "D"))
    assert not in_range(LAST_DATE + np.timedelta64(1, "D"))


@pytest.mark.parametrize(("value", "why"), [("2300-01", "after 2262"), ("1500-06", "before 1677"),
                                            ("31/12/2300", "day first"),
                                            ("9999-12-31", "placeholder"), ("9999-12", "month"),
                                            ("1947-12-31", "before the NHS"),
                                            ("2101-01-31", "after 2100")])
def test_a_date_outside_1948_to_2100_is_refused_naming_row_column_value_and_rule(
        value: str, why: str) -> None:
    result = _validator().validate(_chunk(["2024-03", value]))
    assert result.frame is None, why
    assert [str(e) for e in result.errors] == [
        f"f.csv, row 2, column 'period': value '{value}': {RANGE}: the NHS began in 1948, and "
        "wfplan's years end in 2100)"]


def test_a_date_out_of_range_is_not_also_warned_about_as_in_the_future() -> None:
    validator = _validator()
    validator.validate(_chunk(["2300-01"]))
    _, findings = validator.finish()
    assert findings == []


def test_dates_are_typed_as_arrow_days_and_keep_their_exact_day() -> None:
    result = _validator().validate(_chunk(["1948-01", "2100-12", "29/02/2024"]))
    assert result.frame is not None
    column = pa.array(result.frame["period"])
    assert column.type == pa.date32()
    assert column.to_pylist() == [date(1948, 1, 31), date(2100, 12, 31), date(2024, 2, 29)]


def test_a_file_with_dates_at_both_ends_of_the_range_loads_them_exactly(kit: Kit,
                                                                       base_db: Path) -> None:
    areas = kit.write(kit.tmp_path / "areas.csv",
                      "code,name,level,parent_code,valid_from,valid_to\n"
                      "E54000027,NHS North East London ICB,icb,Y56,1948-01-01,2100-12-31\n")
    kit.loaded(base_db, areas)
    stored = kit.read_back(base_db, "SELECT valid_from, valid_to FROM areas "
                                    "WHERE code = 'E54000027' AND valid_to IS NOT NULL")
    assert [pd.Timestamp(v).date() for v in stored.iloc[0]] == [date(1948, 1, 1),
                                                                date(2100, 12, 31)]


def test_a_tidy_file_with_a_date_after_2262_is_refused_and_nothing_written(kit: Kit,
                                                                          base_db: Path) -> None:
    lines = kit.sip_lines(3, org="RBB")
    lines[1] = "2300-01" + lines[1][7:]
    message = kit.refused(base_db, kit.sip_file("late.csv", lines))
    assert f"late.csv, row 2 (line 3), column 'period': value '2300-01': {RANGE}" in message
    assert "1 error in the input" in message


def test_a_sickness_publication_dated_2300_is_refused(kit: Kit, base_db: Path) -> None:
    sickness = kit.write(kit.tmp_path / "sickness.csv", (
        "DATE,ORG_CODE,ORG_NAME,ORG_TYPE,FTE_DAYS_LOST,FTE_DAYS_AVAILABLE\n"
        "30/04/2024,RAA,Trust A,Acute,10,200\n31/12/2300,RBB,Trust B,Acute,10,200\n"))
    message = kit.refused(base_db, sickness)
    assert f"sickness.csv, row 2 (line 3), column 'period': value '2300-12': {RANGE}" in message


def test_a_record_level_period_out_of_range_is_one_error_before_any_flow(kit: Kit,
                                                                         base_db: Path) -> None:
    records = kit.write(kit.tmp_path / "records.csv",
                        "period,person_id,org_code,staff_group,fte\n"
                        "2024-03,P1,RAA,managers,1\n2300-01,P1,RAA,managers,1\n")
    message = kit.refused(base_db, records)
    assert message.startswith("error: records.csv: row 2, column 'period': value '2300-01': "
                              + RANGE)
    assert "period_end" not in message


def test_the_census_date_of_a_publication_period_is_read_by_the_same_rules() -> None:
    assert period_date("2024-02") == date(2024, 2, 29)
    assert period_date("2024-03-31") == date(2024, 3, 31)
    with pytest.raises(ValueError, match="not a census date"):
        period_date("2300-01")
