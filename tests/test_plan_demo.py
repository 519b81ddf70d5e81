"""`wfplan plan examples/plan-nurses.toml` on the demo vintage, end to end (issue 15).

The plan is solved at P50 and at 90%, written as a scenario, read back by
`wfplan project`, and the re-simulated England nurse gap in 2035 is closed to
within 1% of demand. The response of supply to a count lever is checked to be
linear in the model itself. That ``wfplan assess`` and ``wfplan verify`` pass on a
scenario ``wfplan plan`` wrote is checked on the session's ``plan_bundle``
(conftest: ``plan`` and ``assess`` must exit 0) by
tests/test_plan_report.py::test_verify_passes_on_the_plan_s_bundle.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

from wfplan.dataset.store import DuckDBStore
from wfplan.model import load_scenario_text, run
from wfplan.plan.response import intervention, target_cells, with_interventions
from wfplan.plan.run import plan
from wfplan.plan.spec import read_plan, with_probability
from wfplan.plan.summary import attach_plan

if TYPE_CHECKING:
    from conftest import DemoBuild, Kit

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plan-nurses.toml"


@pytest.mark.parametrize("probability", [0.5, 0.9])
def test_example_plan_closes_the_nurse_gap(demo_vintage: DemoBuild, tmp_path: Path,
                                           probability: float) -> None:
    source = with_probability(read_plan(EXAMPLE), probability)
    out = tmp_path / "planned.toml"
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        result = plan(store, source, out)
    check = result.check.iloc[0]
    assert check["year"] == 2035
    # the optimiser and the full model agree (count levers are linear)
    assert check["max_abs_difference"] < 1e-3
    assert check["simulated_q"] == pytest.approx(check["predicted_q"], abs=1e-3)
    # closed, and least cost: no more than 1% of demand beyond closing it
    assert check["simulated_q"] <= 0
    assert check["simulated_q"] >= -0.01 * check["demand_p50"]
    assert check["simulated_cost"] == pytest.approx(result.solution.cost, rel=1e-9)
    assert result.solution.closed.sum() == (26 if probability == 0.5 else 46)
    text = out.read_text(encoding="utf-8")
    scenario = load_scenario_text(text)
    assert scenario.level == "england"
    assert scenario.base_vintage == "demo"
    added = [item for item in scenario.interventions if item.source.startswith("wfplan plan")]
    assert added
    assert all(f"sha256 {source.sha256}" in item.source for item in added)
    assert sum(item.amount * item.cost_per_unit for item in added) == pytest.approx(
        result.solution.cost, rel=1e-9)
    # the levers at their maximum are priced: one more unit allowed saves plan cost
    summary = attach_plan(source, result)
    capped = [row for row in summary.constraints if row.name == "lever_max" and row.binding]
    assert capped
    assert all(row.shadow_price and row.shadow_price > 0 for row in capped)
    marginal = summary.marginal_cost_per_fte_gbp
    assert marginal is not None
    for row in capped:
        assert row.year in (row.binding_years or [])
        assert row.fte_equivalent == pytest.approx(row.shadow_price / marginal, rel=1e-9)
        assert "saves £" in row.text


def test_plan_command_and_project_read_the_scenario(demo_vintage: DemoBuild, kit: Kit,
                                                    tmp_path: Path) -> None:
    out = tmp_path / "p90.toml"
    result = kit.cli("plan", EXAMPLE, "--out", out, "--probability", "0.9",
                     "--db", demo_vintage.db)
    assert result.exit_code == 0, result.output
    assert "predicted P90" in result.output
    assert "closed in 46 of 50 draws" in result.output
    assert "Shadow prices of the budget" in result.output
    projected = kit.cli("project", out, "--db", demo_vintage.db)
    assert projected.exit_code == 0, projected.output
    assert "Nurses & health visitors" in projected.output


def test_infeasible_example_names_its_binding_constraint(demo_vintage: DemoBuild, kit: Kit,
                                                        tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        "budget_per_year = 600e6", "budget_per_year = 50e6")
    tight = tmp_path / "tight.toml"
    tight.write_text(text, encoding="utf-8")
    result = kit.cli("plan", tight, "--out", tmp_path / "x.toml", "--db", demo_vintage.db)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    words = " ".join(result.output.split())
    # which years' budget the elastic repair picks is not unique; that one binds is
    assert re.search(r"the plan cannot close the gap: the budget per year in 20\d\d.* cannot "
                     r"buy enough: it would need £[\d.,]+m more in all", words), words
    assert "takes 3 year(s) from start to supply" in result.output
    assert not (tmp_path / "x.toml").exists()


def test_bad_plan_names_file_key_and_rule(kit: Kit, tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'type = "return_to_practice"', 'type = "productivity"').replace(
        "probability = 0.5", "probability = 1.5")
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    result = kit.cli("plan", bad, "--out", tmp_path / "x.toml")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert f"{bad}: target.probability: Input should be less than or equal to 1" in \
        result.stderr.replace("\n", " ")
    assert "levers[2]: type 'productivity' is not a lever the plan can use" in \
        result.stderr.replace("\n", " ")


def test_count_levers_are_linear_in_the_model(demo_vintage: DemoBuild) -> None:
    """Supply responds linearly to each count lever, and the levers' effects add."""
    from wfplan.inputs.build import resolve_period
    from wfplan.inputs.cache import cached_inputs
    from wfplan.runs.project import read_scenario, with_overrides

    source = read_plan(EXAMPLE)
    scenario = with_overrides(read_scenario("baseline_demand_high").scenario,
                              level="england", draws=20, horizon=10)
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        period = resolve_period(store, "demo")
        inputs = cached_inputs(store, "demo", period, "england", None, use_cache=False)
    levers = source.plan.levers
    base = target_cells(run(inputs, scenario), source.plan, "supply_fte")

    def gained(*records: dict[str, object]) -> np.ndarray:
        changed = run(inputs, with_interventions(scenario, list(records)))
        return target_cells(changed, source.plan, "supply_fte") - base

    one = gained(intervention(levers[0], 2027, 1.0, "test"))
    many = gained(intervention(levers[0], 2027, 1234.5, "test"))
    assert one.min() > 0
    np.testing.assert_allclose(many, 1234.5 * one, rtol=1e-7)
    recruits = gained(intervention(levers[1], 2030, 1.0, "test"))
    both = gained(intervention(levers[0], 2027, 1234.5, "test"),
                  intervention(levers[1], 2030, 777.0, "test"))
    np.testing.assert_allclose(both, 1234.5 * one + 777.0 * recruits, rtol=1e-7)


def test_a_lever_option_the_type_refuses_is_named(demo_vintage: DemoBuild, kit: Kit,
                                                  tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'type = "training_places"', 'type = "training_places"\noptions = { duration_years = 40 }')
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    result = kit.cli("plan", bad, "--out", tmp_path / "x.toml", "--db", demo_vintage.db)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    words = " ".join(result.stderr.split())
    assert f"{bad}: levers:" in words
    assert "duration_years" in words


@pytest.mark.slow
def test_the_re_simulation_on_a_process_pool_gives_the_same_plan(demo_vintage: DemoBuild,
                                                                  kit: Kit,
                                                                  tmp_path: Path) -> None:
    """`wfplan plan --workers N` re-simulates on a process pool (as sweep and sensitivity
    run theirs): the same scenario file and the same predicted-against-simulated table."""
    from wfplan.runs.executor import LocalPool

    class Counted(LocalPool):
        calls = 0

        def map(self, *args: Any, **kwargs: Any) -> Any:
            type(self).calls += 1
            return super().map(*args, **kwargs)

    source = read_plan(EXAMPLE)
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        here = plan(store, source, tmp_path / "here.toml")
        pooled = plan(store, source, tmp_path / "pool.toml", executor=Counted(2))
    assert Counted.calls == 1  # the re-simulation ran in the pool's processes
    assert (tmp_path / "pool.toml").read_bytes() == (tmp_path / "here.toml").read_bytes()
    pd.testing.assert_frame_equal(pooled.check, here.check)
    refused = kit.cli("plan", EXAMPLE, "--out", tmp_path / "cli.toml", "--workers", "0",
                      "--db", demo_vintage.db)
    assert refused.exit_code == 2  # the option exists and is checked
    assert "Traceback" not in refused.output
