"""Plans below England: levers and targets per region, on the demo vintage (issue 15).

Few draws, to stay cheap. A lever with ``area = "each"`` is one lever per area,
its responses taken from one run a year with a unit in every area at once;
the re-simulation through the full model checks that those responses are each
area's own (areas do not exchange staff in the model).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from wfplan.dataset.store import DuckDBStore
from wfplan.errors import InputError
from wfplan.model import load_scenario_text
from wfplan.plan.run import plan
from wfplan.plan.spec import read_plan

if TYPE_CHECKING:
    from conftest import DemoBuild

LEVERS = """
[[levers]]
name = "places"
type = "training_places"
staff_group = "nurses_health_visitors"
area = "{area}"
max_per_year = 3000
cost_per_unit = 26000
cost_source = "test figure"

[[levers]]
name = "recruits"
type = "international_recruitment"
staff_group = "nurses_health_visitors"
max_per_year = 3000
cost_per_unit = 12000
cost_source = "test figure"
"""


def _plan_file(tmp_path: Path, target: str, area: str) -> Path:
    text = ('name = "plan-region"\nbase_scenario = "baseline_demand_high"\n'
            'base_vintage = "demo"\nlevel = "region"\ndraws = 10\n\n[target]\n'
            'staff_groups = ["nurses_health_visitors"]\nyears = [2035]\n'
            f'{target}\n\n[constraints]\nbudget_per_year = 600e6\n'
            + LEVERS.format(area=area))
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_one_region_closed_by_its_own_places(demo_vintage: DemoBuild, tmp_path: Path) -> None:
    source = read_plan(_plan_file(tmp_path, 'area = "Y58"', "Y58"))
    out = tmp_path / "planned.toml"
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        result = plan(store, source, out)
    check = result.check.iloc[0]
    assert check["staff_group"] == "nurses_health_visitors"
    assert check["simulated_q"] <= 1e-6
    assert check["max_abs_difference"] < 1e-3
    scenario = load_scenario_text(out.read_text(encoding="utf-8"))
    assert scenario.level == "region"
    places = [item for item in scenario.interventions if item.name
              and item.name.startswith("places_")]
    assert places
    assert {item.area for item in places} == {"Y58"}


def test_each_region_closed_with_a_lever_in_each(demo_vintage: DemoBuild,
                                                 tmp_path: Path) -> None:
    source = read_plan(_plan_file(tmp_path, "each_area = true", "each"))
    out = tmp_path / "planned.toml"
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        result = plan(store, source, out)
    check = result.check
    assert len(check) == 7  # the demo vintage's seven regions, each its own target
    assert check["staff_group"].str.startswith("nurses_health_visitors in Y").all()
    # every region's gap is closed at P50, and the shared-run responses are each area's own
    assert (check["simulated_q"] <= 1e-6).all()
    assert check["max_abs_difference"].max() < 1e-3
    levers = set(result.amounts["lever"])
    assert {name for name in levers if name.startswith("places.")}
    problem = result.problem
    # one region's copy moves only its own region's gap
    copy = problem.levers.index(next(name for name in problem.levers
                                     if name == "places.Y58"))
    reach = np.abs(problem.response[copy]).max(axis=(0, 1, 2)) > 0
    assert [label for label, hit in zip(problem.groups, reach, strict=True) if hit] == \
        ["nurses_health_visitors in Y58"]


def test_a_lever_area_not_at_the_level_is_named(demo_vintage: DemoBuild,
                                                tmp_path: Path) -> None:
    path = _plan_file(tmp_path, 'area = "Y58"', "QE1")  # an ICB, not a region
    with DuckDBStore(demo_vintage.db, read_only=True) as store, \
            pytest.raises(InputError, match=r"levers\[0\]\.area: 'QE1' is not an area"):
        plan(store, read_plan(path), tmp_path / "x.toml")


def test_a_lever_in_each_staff_group(demo_vintage: DemoBuild, tmp_path: Path) -> None:
    # places and recruits copied into three target groups; their responses come from one
    # run a year per lever with a unit in every group at once (groups do not exchange
    # staff in supply): the re-simulation agrees to rounding, and each copy moves its own
    groups = ["nurses_health_visitors", "midwives", "hchs_doctors"]
    text = (f'name = "plan-groups"\nbase_scenario = "baseline_demand_high"\n'
            f'base_vintage = "demo"\ndraws = 10\n\n[target]\nstaff_groups = {groups}\n'
            'years = [2033, 2035]\n\n[constraints]\nbudget_per_year = 5000e6\n'
            + LEVERS.replace('area = "{area}"\n', "").replace(
                'staff_group = "nurses_health_visitors"', 'staff_group = "each"').replace(
                "3000", "20000"))
    path = tmp_path / "plan.toml"
    path.write_text(text.replace("'", '"'), encoding="utf-8")
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        result = plan(store, read_plan(path), tmp_path / "planned.toml")
    assert (result.check["simulated_q"] <= 1e-6).all()
    assert result.check["max_abs_difference"].max() < 1e-3
    problem = result.problem
    assert "recruits.midwives" in problem.levers
    copy = problem.levers.index("recruits.midwives")
    reach = np.abs(problem.response[copy]).max(axis=(0, 1, 2)) > 0
    assert [group for group, hit in zip(problem.groups, reach, strict=True) if hit] == \
        ["midwives"]
