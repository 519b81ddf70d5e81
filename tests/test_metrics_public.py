"""``wfplan metrics --public``: disclosure control of the published metrics, on the demo vintage.

The demo vintage at organisation level holds GP practices with 1 to 4 staff
and ICBs with 1 to 4 ethnic-minority staff in a pay band, so control has cells
to suppress; the tests check that those cells are there without ``--public``.
"""

from __future__ import annotations

import io
import json
import math
from datetime import date
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from wfplan.analysis import metrics as m
from wfplan.analysis.disclosure import POLICY
from wfplan.analysis.metrics_coverage import census_behind
from wfplan.analysis.public import RecordLevelData, control_frame
from wfplan.cli import app
from wfplan.dataset.store import DuckDBStore

TABLES = ("current_position", "ethnic_minority_by_band", "net_change")


def _json(db: object, *extra: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["metrics", "--db", str(db), "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def outputs(demo_vintage: Any) -> dict[str, Any]:
    """The org- and ICB-level JSON of the demo vintage, with and without --public."""
    found = {}
    for level in ("org", "icb"):
        found[level] = _json(demo_vintage.db, "--level", level)
        found[level + "_public"] = _json(demo_vintage.db, "--level", level, "--public")
    return found


def _small(value: object) -> bool:
    return value is not None and 0 < float(value) < POLICY.threshold  # type: ignore[arg-type]


def test_the_demo_has_small_counts_without_public(outputs: dict[str, Any]) -> None:
    rows = outputs["org"]["current_position"]
    assert sum(_small(r["headcount"]) for r in rows) > 10
    bands = outputs["icb"]["ethnic_minority_by_band"]
    assert sum(_small(r["minority_headcount"]) for r in bands) > 10


@pytest.mark.parametrize("level", ["org", "icb"])
def test_every_public_count_is_0_or_at_least_5_and_a_multiple_of_5(
        outputs: dict[str, Any], level: str) -> None:
    public = outputs[level + "_public"]
    checked = 0
    for table in TABLES:
        for row in public[table]:
            for column in POLICY.published[table].counts:
                value = row[column]
                if value is None:
                    assert row["suppressed"] or row[column] is None
                    continue
                checked += 1
                assert value == 0 or (value >= POLICY.threshold and value % 5 == 0), (
                    table, column, row)
    assert checked > 1000


def test_suppressed_rows_are_the_small_cells_and_are_marked(outputs: dict[str, Any]) -> None:
    raw, public = outputs["org"]["current_position"], outputs["org_public"]["current_position"]
    assert [r["area_code"] for r in raw] == [r["area_code"] for r in public]
    for before, after in zip(raw, public, strict=True):
        small = _small(before["headcount"]) or (
            before["headcount"] is None and _small(before["fte"]))
        assert after["suppressed"] is small
        if small:
            assert after["headcount"] is None
            # The FTE (and FTE per head) would reveal the count: suppressed with it.
            assert after["fte"] is None
            assert after["fte_per_head"] is None
        elif before["fte"] is not None:
            assert after["fte"] == before["fte"]
    assert "disclosure" in outputs["org_public"]
    assert outputs["org_public"]["disclosure"]["status"] == "public"


def test_fte_per_head_and_shares_come_from_the_controlled_counts(
        outputs: dict[str, Any]) -> None:
    for row in outputs["org_public"]["current_position"]:
        if row["fte_per_head"] is not None and row["headcount"]:
            assert math.isclose(row["fte_per_head"], row["fte"] / row["headcount"],
                                rel_tol=1e-9)
    bands = outputs["icb_public"]["ethnic_minority_by_band"]
    hidden = [r for r in bands if r["suppressed"]]
    assert hidden
    assert all(r["ethnic_minority_share"] is None for r in hidden)
    for row in bands:
        if row["ethnic_minority_share"] is not None:
            assert math.isclose(row["ethnic_minority_share"],
                                row["minority_headcount"] / row["known_headcount"],
                                rel_tol=1e-9)


def test_public_csv_is_controlled_and_says_so(kit: Any, demo_vintage: Any,
                                              outputs: dict[str, Any]) -> None:
    result = kit.cli("metrics", "--db", demo_vintage.db, "--level", "org", "--public",
                     "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "Disclosure control applied" in result.stderr
    frame = pd.read_csv(io.StringIO(result.stdout))
    counts = frame["headcount"].dropna()
    assert ((counts == 0) | ((counts >= 5) & (counts % 5 == 0))).all()
    expected = [r["suppressed"] for r in outputs["org_public"]["current_position"]]
    assert frame["suppressed"].tolist() == expected
    assert frame.loc[frame["suppressed"], ["headcount", "fte"]].isna().all().all()


def test_public_table_marks_suppressed_cells_and_says_so(kit: Any, demo_vintage: Any,
                                                         outputs: dict[str, Any]) -> None:
    small = next(r for r in outputs["org"]["current_position"] if _small(r["headcount"]))
    args = ("metrics", "--db", demo_vintage.db, "--level", "org", "--area", small["area_code"])
    public = kit.plain(kit.cli(*args, "--public").stdout)
    assert "Disclosure control applied" in public
    assert f"{small['area_name']} {small['period']} * * * " in public
    shown = kit.plain(kit.cli(*args).stdout)
    assert "Disclosure control" not in shown
    assert " * " not in shown
    assert f"{small['period']} {int(small['headcount'])} " in shown


def test_output_without_public_is_the_metrics_as_computed(demo_vintage: Any,
                                                          outputs: dict[str, Any]) -> None:
    raw = outputs["org"]
    assert "disclosure" not in raw
    assert all("suppressed" not in r for table in TABLES for r in raw[table])
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        position = m.current_position(store, m.Query("demo", "org"))
    computed = position["headcount"].astype("float64").fillna(-1).tolist()
    shown = [-1 if r["headcount"] is None else r["headcount"] for r in raw["current_position"]]
    assert shown == computed


def test_record_level_data_is_refused(demo_vintage: Any) -> None:
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        records = store.query("SELECT * FROM person_records LIMIT 3")
        position = m.current_position(store, m.Query("demo", "england"))
    with pytest.raises(RecordLevelData, match="person_hash"):
        control_frame(records, "current_position")
    with pytest.raises(RecordLevelData, match="person_id"):
        control_frame(position.assign(person_id="P1"), "current_position")


def test_a_table_the_policy_does_not_name_is_refused() -> None:
    with pytest.raises(ValueError, match="no rule for table 'vacancies'"):
        control_frame(pd.DataFrame({"vacancy_fte": [1.0]}), "vacancies")


def test_rounding_and_suppression_of_one_frame() -> None:
    frame = pd.DataFrame({"area_code": ["A", "B", "C", "D"],
                          "headcount": pd.array([3, 12, 0, None], dtype="Float64"),
                          "fte": pd.array([2.5, 10.0, 0.0, 2.0], dtype="Float64"),
                          "fte_per_head": pd.array([0.83, 0.83, None, None], dtype="Float64")})
    done = control_frame(frame, "current_position")
    assert done.frame["headcount"].tolist() == [pd.NA, 10.0, 0.0, pd.NA]
    assert done.frame["fte"].tolist() == [pd.NA, 10.0, 0.0, pd.NA]  # D: FTE 2 is a proxy
    assert done.frame["fte_per_head"].tolist() == [pd.NA, 1.0, pd.NA, pd.NA]
    assert done.marked()["suppressed"].tolist() == [True, False, False, True]
    assert done.frame.dtypes.tolist() == frame.dtypes.tolist()


def test_census_behind_names_the_sectors_an_older_census_covers() -> None:
    position = pd.DataFrame({"period": ["2025-03-31"]})
    latest = pd.DataFrame({"sector": ["nhs_trust", "primary_care"],
                           "period": ["2025-03-31", "2024-09-30"]})
    note = census_behind(m.Query("v"), position, latest)
    assert note == ("the latest census, 2025-03-31, does not cover every sector; the other "
                    "sectors' latest: Primary care 2024-09-30")
    assert census_behind(m.Query("v", period=date(2025, 3, 31)), position, latest) is None
    assert census_behind(m.Query("v", sector="nhs_trust"), position, latest) is None
    assert census_behind(m.Query("v"), position, latest.iloc[:1]) is None
