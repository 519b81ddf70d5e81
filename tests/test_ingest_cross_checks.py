"""Rules across two columns of a row, named in tables.csv's checks and refused with the rule.

Before, a flow whose ``period_end`` came before its ``period_start`` and a
sickness absence row with more FTE days lost than available (250%) loaded
without a word.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from wfplan.dataset import schema
from wfplan.dataset.checks import document
from wfplan.dataset.schema import Check, TableSpec
from wfplan.dataset.template import column_docs
from wfplan.dataset.validate import ChunkValidator

if TYPE_CHECKING:
    from conftest import Kit

FLOWS = "period_start,period_end,org_code,staff_group,direction,headcount\n"
SICKNESS = "period,org_code,fte_days_lost,fte_days_available\n"
ORDER = "(rule: period_order: a flow runs from period_start to a later period_end)"
LOST = ("(rule: lost_within_available: FTE days lost ≤ FTE days available, a sickness absence "
        "rate of at most 100%)")


def test_a_flow_ending_before_it_starts_is_refused_naming_the_rule(kit: Kit,
                                                                   base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "flows.csv", FLOWS + (
        "2023-03,2024-03,RAA,managers,joiner,3\n2024-03,2023-03,RAA,managers,leaver,3\n"))
    message = kit.refused(base_db, path)
    assert ("flows.csv, row 2 (line 3), column 'period_end': value '2023-03': is not after "
            f"period_start 2024-03-31 {ORDER}") in message
    assert "1 error in the input" in message


def test_a_flow_ending_the_day_it_starts_is_refused(kit: Kit, base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "flows.csv", FLOWS + "2024-03,2024-03-31,RAA,managers,"
                                                         "joiner,3\n")
    message = kit.refused(base_db, path)
    assert f"value '2024-03-31': is not after period_start 2024-03-31 {ORDER}" in message


def test_flows_between_two_censuses_in_order_load(kit: Kit, base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "flows.csv", FLOWS + "2023-03,2024-03,RAA,managers,"
                                                         "joiner,3\n")
    kit.loaded(base_db, path)


def test_more_sickness_days_lost_than_available_is_refused(kit: Kit, base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "sickness.csv", SICKNESS + (
        "2024-03,RAA,10,100\n2024-03,RBB,250,100\n"))
    message = kit.refused(base_db, path)
    assert ("sickness.csv, row 2 (line 3), column 'fte_days_lost': value '250': is more than "
            f"fte_days_available 100 {LOST}") in message


@pytest.mark.parametrize("row", ["2024-03,RBB,100,100", "2024-03,RBB,*,100", "2024-03,RBB,5,"])
def test_sickness_rows_at_most_100_percent_or_with_an_empty_cell_load(kit: Kit, base_db: Path,
                                                                      row: str) -> None:
    full = "2024-03,RAA,1,10\n"  # every required measure is given in some row
    kit.loaded(base_db, kit.write(kit.tmp_path / "sickness.csv", SICKNESS + full + row + "\n"))


def test_a_sickness_publication_with_a_rate_of_250_percent_is_refused(kit: Kit,
                                                                      base_db: Path) -> None:
    path = kit.write(kit.tmp_path / "sickness.csv", (
        "DATE,ORG_CODE,ORG_NAME,ORG_TYPE,FTE_DAYS_LOST,FTE_DAYS_AVAILABLE,"
        "SICKNESS_ABSENCE_RATE_PERCENT\n30/04/2024,RAA,Trust A,Acute,250,100,250\n"))
    message = kit.refused(base_db, path)
    assert ("sickness.csv, row 1 (line 2), column 'fte_days_lost': value '250': is more than "
            f"fte_days_available 100 {LOST}") in message


def test_every_failing_row_is_counted_though_only_the_first_give_the_other_value() -> None:
    rows = 60
    chunk = pd.DataFrame({"period": ["2024-03"] * rows, "org_code": [f"R{i:02d}" for i in
                                                                     range(rows)],
                          "fte_days_lost": ["9"] * rows, "fte_days_available": ["1"] * rows},
                         dtype="string[pyarrow]", index=pd.RangeIndex(1, rows + 1))
    result = ChunkValidator(schema.table("sickness_absence"), "f.csv", {}).validate(chunk)
    assert result.error_count == rows
    assert str(result.errors[0]).endswith(f"is more than fte_days_available 1 {LOST}")


def test_a_cross_column_check_without_the_bang_is_a_warning() -> None:
    spec = schema.table("sickness_absence")
    lenient = TableSpec(spec.name, tuple(
        type(c)(**{**c.__dict__, "checks": (Check.parse("lost_within_available"),)})
        if c.name == "fte_days_lost" else c for c in spec.columns))
    chunk = pd.DataFrame({"period": ["2024-03", "2024-03"], "org_code": ["RAA", "RBB"],
                          "fte_days_lost": ["1", "250"], "fte_days_available": ["10", "100"]},
                         dtype="string[pyarrow]", index=pd.RangeIndex(1, 3))
    validator = ChunkValidator(lenient, "f.csv", {"organisation": {"RAA", "RBB"}})
    result = validator.validate(chunk)
    assert result.frame is not None
    _, findings = validator.finish()
    assert [(f.column, f.value, f.text, f.rows, f.first_row) for f in findings] == [
        ("fte_days_lost", "250", "is more than fte_days_available 100", 1, 2)]


def test_the_template_documents_both_rules_as_errors() -> None:
    flows = column_docs("flows").set_index("column")["checks"]
    assert "error: a period_end on or before period_start" in flows["period_end"]
    sickness = column_docs("sickness_absence").set_index("column")["checks"]
    assert sickness["fte_days_lost"] == document(Check("lost_within_available", error=True))
    assert sickness["fte_days_lost"].startswith("error: FTE days lost above FTE days available")
