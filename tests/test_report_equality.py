"""The report's Model Employer trajectory table (docs/equality.md, "In the report")."""

from __future__ import annotations

import re
from html import unescape
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from wfplan.inputs.equality import leaver_fallback
from wfplan.report.equality_section import model_employer_rows

if TYPE_CHECKING:
    from conftest import DemoBundle


def test_rows_are_the_bands_below_the_goal_worked_by_hand() -> None:
    frame = pd.DataFrame({"area_code": ["E92000001"] * 2, "period": ["2025-03-31"] * 2,
                          "grade": ["band_5", "band_8a"], "minority_headcount": [300.0, 100.0],
                          "known_headcount": [1000.0, 1000.0],
                          "ethnic_minority_share": [0.3, 0.1]})
    rows = model_employer_rows(frame, 0.2, 0.1)
    assert list(rows["grade"]) == ["band_8a"]
    row = rows.iloc[0]
    # 2025 -> 2028: 10% -> 20% in 3 steps; 10% of the band leaves a year, 100 appointments
    assert row["target_year"] == 2028
    assert row["appointments"] == pytest.approx(1000 - 0.9 * 1000)
    assert row["needed_first"] == pytest.approx((0.1 + 0.1 / 3) * 1000 - 0.9 * 100)
    before = (0.1 + 0.2 / 3) * 1000
    assert row["needed_last"] == pytest.approx(0.2 * 1000 - 0.9 * before)


def test_the_demo_report_has_the_trajectory_of_the_bundle_s_bands(
        demo_bundle: DemoBundle) -> None:
    html = (demo_bundle.bundle / "report.html").read_text(encoding="utf-8")
    table = re.search(r'<table[^>]*id="table-model-employer".*?</table>', html, re.S)
    assert table is not None
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", table.group(0))).split())
    bands = pd.read_parquet(demo_bundle.bundle / "tables" / "ethnicity_by_band.parquet")
    bands = bands[bands["area_code"] == "E92000001"] if "area_code" in bands else bands
    goal = float(bands["minority_headcount"].sum() / bands["known_headcount"].sum())
    leaver, _ = leaver_fallback()
    band7 = bands[bands["grade"] == "band_7"].iloc[0]
    share = band7["minority_headcount"] / band7["known_headcount"]
    assert share < goal
    year = pd.Timestamp(str(band7["period"])).year
    first = (share + (goal - share) / (2028 - year)) * band7["known_headcount"] \
        - (1 - leaver) * band7["minority_headcount"]
    assert f"Band 7 {100 * share:.1f}%" in text
    assert f"{first:,.0f}" in text
    assert f"to reach {100 * goal:.1f}% at every band by 2028" in text
