"""The demo moves the way published evidence does (docs/model.md, "The demo's calibration").

The demand calibration of the demo scenarios is typed into ``demo_calibration.csv`` with
its sources (rows ``scenario.``); these tests check that the scenario files use exactly
those figures, and that the baseline ``wfplan demo`` writes shows what published
projections show: a growing NHS gap, and no staff group in surplus at the horizon unless
the calibration names the documented assumption that causes it.
"""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq
import pytest

from wfplan.dataset.demo_calibration import load

if TYPE_CHECKING:
    from conftest import DemoRun

DATA = Path(__file__).resolve().parents[1] / "src" / "wfplan" / "data"
ENGLAND = "E92000001"
SOCIAL_CARE = ("asc_direct_care", "asc_regulated_professions", "asc_managerial", "asc_other")
#: A staff group may end the demo baseline in surplus only with a calibration row
#: ``scenario.baseline.surplus.<staff group>`` whose source names the assumption causing it.
SURPLUS_REASON = "scenario.baseline.surplus."


def _scenario(name: str) -> dict[str, Any]:
    return tomllib.loads((DATA / f"demo_{name}.toml").read_text(encoding="utf-8"))


def test_the_demo_scenarios_use_the_calibrated_demand_figures() -> None:
    cal = load()
    growth = cal["scenario.non_demographic_growth"]
    derived = (1 + cal["scenario.demand.activity_growth"]) / (
        1 + cal["scenario.demand.demo_demographic_growth"]) - 1
    assert growth == pytest.approx(derived, abs=5e-4)
    expected = {"dist": "triangular", "low": cal["scenario.non_demographic_growth.low"],
                "mode": growth, "high": cal["scenario.non_demographic_growth.high"]}
    social = cal["scenario.social_care.non_demographic_growth"]
    baseline, ltwp = _scenario("baseline"), _scenario("ltwp")
    for scenario in (baseline, ltwp):
        assert scenario["parameters"]["non_demographic_growth"] == expected
        for group in SOCIAL_CARE:
            own = scenario["staff_group_parameters"][group]
            assert own["non_demographic_growth"] == social
            assert own["productivity_growth"] == 0
    assert baseline["parameters"]["productivity_growth"] == cal["scenario.productivity_growth"]
    plan = ltwp["parameters"]["productivity_growth"]
    assert (plan["low"], plan["high"]) == (cal["scenario.productivity_growth.ltwp.low"],
                                           cal["scenario.productivity_growth.ltwp.high"])


def _baseline_gaps(bundle: Path) -> dict[str, dict[int, float]]:
    table = pq.read_table(bundle / "results.parquet", filters=[
        ("scenario", "==", "baseline"), ("area", "==", ENGLAND), ("statistic", "==", "p50"),
        ("variable", "==", "gap_fte")]).to_pylist()
    gaps: dict[str, dict[int, float]] = {}
    for row in table:
        gaps.setdefault(row["staff_group"], {})[row["year"]] = row["value"]
    return gaps


@pytest.mark.parametrize("total", ["all_nhs_trust", "all_primary_care"])
def test_the_demo_baseline_nhs_gap_grows_over_the_horizon(demo_command: DemoRun,
                                                          total: str) -> None:
    assert demo_command.result.exit_code == 0, demo_command.result.output
    gap = _baseline_gaps(demo_command.bundle)[total]
    first, last = min(gap), max(gap)
    checkpoints = [gap[year] for year in range(first, last + 1, 5)]
    assert len(checkpoints) == 4
    assert all(b > a for a, b in itertools.pairwise(checkpoints)), checkpoints
    assert gap[last] == max(gap.values())
    assert gap[last] > gap[first] + 10_000


def test_no_staff_group_ends_the_demo_baseline_in_surplus_without_a_named_reason(
        demo_command: DemoRun) -> None:
    assert demo_command.result.exit_code == 0, demo_command.result.output
    gaps = _baseline_gaps(demo_command.bundle)
    last = max(next(iter(gaps.values())))
    in_surplus = {group for group, gap in gaps.items()
                  if not group.startswith("all_") and gap[last] < 0}
    sources = load().sources
    reasons = {name[len(SURPLUS_REASON):]: source for name, source in sources.items()
               if name.startswith(SURPLUS_REASON)}
    assert in_surplus <= set(reasons), f"surplus in {last} without a documented reason: " \
        f"{sorted(in_surplus - set(reasons))}"
    assert set(reasons) <= in_surplus, f"documented surpluses no longer shown: {reasons}"
    assert all(source.strip() for source in reasons.values())
