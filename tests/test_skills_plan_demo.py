"""`wfplan plan examples/plan-nurses-credential.toml` on the demo vintage (issue 17).

The example adds to the nurse plan a credential that tops nursing associates and
assistant practitioners ("Support to doctors, nurses & midwives", not a target)
up to registered nurses. The plan takes the credential when it is cheaper per
FTE than a training place and none when it is dearer; it says how much the
credential raises its source group's gap; the scenario it writes projects.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from wfplan.dataset.store import DuckDBStore
from wfplan.model import load_scenario_text
from wfplan.plan.run import PlanResult, plan
from wfplan.plan.spec import read_plan

if TYPE_CHECKING:
    from conftest import DemoBuild, Kit

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plan-nurses-credential.toml"
STATED = "cost_per_unit = 29600"
COMPLETION = 0.76  # the example's completion_rate of the credential
SOURCE = "support_doctors_nurses_midwives"


def _plan(db: Path, tmp_path: Path, cost: float) -> tuple[PlanResult, dict[str, float]]:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert STATED in text
    path = tmp_path / f"plan-{cost:g}.toml"
    path.write_text(text.replace(STATED, f"cost_per_unit = {cost:g}"), encoding="utf-8")
    out = tmp_path / f"planned-{cost:g}.toml"
    with DuckDBStore(db, read_only=True) as store:
        result = plan(store, read_plan(path), out)
    assert (result.check["simulated_q"] <= 1e-6).all()
    scenario = load_scenario_text(out.read_text(encoding="utf-8"))
    totals: dict[str, float] = {}
    for item in scenario.interventions:
        totals[item.type] = totals.get(item.type, 0.0) + float(item.amount)
    return result, totals


def test_the_plan_takes_the_credential_only_when_it_is_cheaper(
        demo_vintage: DemoBuild, tmp_path: Path) -> None:
    # a training place costs £26,000 and yields at most one nurse: at least £26,000 a
    # head. The credential at £13,000 (tuition alone) costs 13,000 / 0.76 = £17,105 a
    # nurse; at £100,000 it costs £131,579 a nurse
    cheap, cheap_totals = _plan(demo_vintage.db, tmp_path, 13000)
    dear, dear_totals = _plan(demo_vintage.db, tmp_path, 100000)
    assert cheap_totals.get("credential", 0.0) > 0
    assert dear_totals.get("credential", 0.0) == 0
    assert dear_totals["training_places"] > cheap_totals["training_places"]
    assert dear.drawn_from is not None
    assert dear.drawn_from["change_p50"].abs().max() < 1e-6
    # the cheap plan raises the source group's gap, by no more than the heads it moves
    assert cheap.drawn_from is not None
    [row] = cheap.drawn_from.to_dict("records")
    assert (row["year"], row["staff_group"]) == (2035, SOURCE)
    moved = sum(amount * COMPLETION for (lever, year), amount
                in cheap.amounts.set_index(["lever", "start_year"])["amount"].items()
                if lever == "nursing_associate_top_up" and year + 2 <= 2035)
    assert 0 < row["change_p50"] <= moved
    assert row["planned_p50"] > row["base_p50"]


def test_example_plan_prints_the_source_gap_and_projects(
        demo_vintage: DemoBuild, kit: Kit, tmp_path: Path) -> None:
    out = tmp_path / "credential.toml"
    result = kit.cli("plan", EXAMPLE, "--out", out, "--db", demo_vintage.db)
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())
    assert "Staff groups the credentials take their staff from (not targets" in words
    assert SOURCE in result.output
    scenario = load_scenario_text(out.read_text(encoding="utf-8"))
    kinds = {item.type for item in scenario.interventions if item.amount > 0}
    assert {"credential", "training_places"} <= kinds
    projected = kit.cli("project", out, "--db", demo_vintage.db)
    assert projected.exit_code == 0, projected.output
    assert "Nurses & health visitors" in projected.output
