"""Multiplicative levers (retention, flexible working) linearised around the base (issue 15).

The response of supply to one year's cut in leaver rates (or change in FTE per
head) is a finite difference of the full model on the demo vintage. The
linearised gain of a plan (the sum of those responses times the amounts) is
checked against the full model's gain for a small plan and, with its error
measured and bounded, for a large one; and ``wfplan plan`` on
``examples/plan-nurses-retention.toml`` states the approximation and its error.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from wfplan.dataset.store import DuckDBStore
from wfplan.model import run
from wfplan.plan.response import intervention, responses, target_cells, with_interventions
from wfplan.plan.spec import read_plan

if TYPE_CHECKING:
    from conftest import DemoBuild, Kit

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "plan-nurses-retention.toml"
STARTS = tuple(range(2026, 2036))


@pytest.fixture(scope="module")
def linearised(demo_vintage: DemoBuild) -> dict[str, object]:
    """The two multiplicative levers of the example, their responses and the model to run."""
    from wfplan.inputs.build import resolve_period
    from wfplan.inputs.cache import cached_inputs
    from wfplan.runs.project import read_scenario, with_overrides

    source = read_plan(EXAMPLE)
    plan = source.plan.model_copy(update={"levers": [
        lever for lever in source.plan.levers
        if lever.type in ("retention", "flexible_working")]})
    scenario = with_overrides(read_scenario("baseline_demand_high").scenario,
                              level="england", draws=20, horizon=10)
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        inputs = cached_inputs(store, "demo", resolve_period(store, "demo"), "england", None,
                               use_cache=False)
    base = run(inputs, scenario)
    response, cost = responses(inputs, scenario, plan, base, STARTS)
    return {"plan": plan, "scenario": scenario, "inputs": inputs, "base": base,
            "response": response, "cost": cost}


def _gains(kit: dict[str, object], retention: float, flexible: float) -> tuple[np.ndarray, ...]:
    """Linearised and simulated supply gained by ``retention`` every year, ``flexible`` in 2035."""
    plan, scenario, inputs, base = (kit["plan"], kit["scenario"], kit["inputs"], kit["base"])
    amounts = np.zeros((2, len(STARTS)))
    amounts[0] = retention
    amounts[1, -1] = flexible
    records = [intervention(lever, year, float(amounts[i, s]), "test")
               for i, lever in enumerate(plan.levers)  # type: ignore[attr-defined]
               for s, year in enumerate(STARTS) if amounts[i, s] > 0]
    changed = run(inputs, with_interventions(scenario, records))  # type: ignore[arg-type]
    simulated = (target_cells(changed, plan, "supply_fte")  # type: ignore[arg-type]
                 - target_cells(base, plan, "supply_fte"))  # type: ignore[arg-type]
    linear = np.einsum("lsdyg,ls->dyg", kit["response"], amounts)
    return linear, simulated


def test_one_year_alone_is_linear_and_costs_per_head(linearised: dict[str, object]) -> None:
    response = np.asarray(linearised["response"])
    # a cut in 2030 raises supply in 2035 in every draw; flexible working acts in its year only
    assert (response[0, STARTS.index(2030)] > 0).all()
    assert (response[1, :-1] == 0).all()
    assert (response[1, -1] > 0).all()
    # the cost per 1.0 of amount is the lever's cost per head times the heads in post
    inputs = linearised["inputs"]
    group = inputs.coords.staff_group.index("nurses_health_visitors")  # type: ignore[attr-defined]
    heads = float(inputs.array("stock_hc").sum(axis=2)[:, group].sum())  # type: ignore[attr-defined]
    np.testing.assert_allclose(linearised["cost"], [1500 * heads, 10000 * heads], rtol=1e-9)


def test_small_levers_agree_with_the_model(linearised: dict[str, object]) -> None:
    # a 0.5% cut in leaver rates every year 2026-2035 and 0.5% more FTE per head in 2035:
    # the full model gains about 3,800 FTE; the linearisation is within 0.5% of it, and
    # below it (every interaction of positive amounts adds heads: it is conservative)
    linear, simulated = _gains(linearised, 0.005, 0.005)
    error = (simulated - linear) / simulated
    assert simulated.min() > 1000
    assert (error >= 0).all()
    assert error.max() < 0.005


def test_large_levers_error_is_stated(linearised: dict[str, object]) -> None:
    # a 20% cut every year and 10% more FTE per head in 2035 (far beyond the example's
    # bounds of 5% and 2%): the linearisation understates the full model's gain by about
    # 10-12% in every draw on the demo vintage (measured: 10.1% to 11.7%), the share that
    # docs/plan.md states; with the example's bounds (5% and 2%) it is about 2.5-3%
    linear, simulated = _gains(linearised, 0.2, 0.1)
    error = (simulated - linear) / simulated
    assert 0.08 < error.min() <= error.max() < 0.15
    linear, simulated = _gains(linearised, 0.05, 0.02)
    error = (simulated - linear) / simulated
    assert 0.015 < error.min() <= error.max() < 0.04


def test_plan_with_retention_states_the_approximation(demo_vintage: DemoBuild, kit: Kit,
                                                      tmp_path: Path) -> None:
    from wfplan.model import load_scenario_text
    from wfplan.plan.run import plan

    out = tmp_path / "retention.toml"
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        result = plan(store, read_plan(EXAMPLE), out)
    assert result.linearised == ("nurse_retention", "nurse_flexible_working")
    used = set(result.amounts["lever"])
    assert {"nurse_retention", "nurse_flexible_working"} <= used
    check = result.check.iloc[0]
    # the re-simulated gap is closed, and no more open than predicted (conservative)
    assert check["simulated_q"] <= check["predicted_q"] <= 1e-6
    assert 0 < check["max_abs_difference"] < 0.01 * check["demand_p50"]
    # the model charges what the optimiser costed
    assert check["simulated_cost"] == pytest.approx(result.solution.cost, rel=1e-9)
    scenario = load_scenario_text(out.read_text(encoding="utf-8"))
    kept = [item for item in scenario.interventions if item.type == "retention"
            and item.source.startswith("wfplan plan")]
    assert kept
    assert all(item.start_year == item.end_year for item in kept)
    printed = kit.cli("plan", EXAMPLE, "--out", tmp_path / "again.toml", "--db",
                      demo_vintage.db)
    assert printed.exit_code == 0, printed.output
    words = " ".join(printed.output.split())
    assert ("Approximation: nurse_retention, nurse_flexible_working multiply a rate" in
            words)
    assert "that approximation's error, measured by the full model" in words


def test_cvar_objective_on_the_demo_vintage(demo_vintage: DemoBuild, kit: Kit,
                                            tmp_path: Path) -> None:
    # £20m a year cannot close the gap: the least expected shortfall within it is printed,
    # and the optimiser's and the model's expected shortfall agree for count levers
    text = (ROOT / "examples" / "plan-nurses.toml").read_text(encoding="utf-8").replace(
        "budget_per_year = 600e6", "budget_per_year = 20e6")
    tight = tmp_path / "tight.toml"
    tight.write_text(text, encoding="utf-8")
    result = kit.cli("plan", tight, "--out", tmp_path / "cvar.toml", "--objective", "cvar",
                     "--probability", "0.9", "--db", demo_vintage.db)
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())
    assert "The plan of least expected shortfall within the budget" in words
    assert "FTE of expected shortfall removed per £1m more budget" in words
    pair = re.findall(r"optimiser ([\d,]+\.\d), re-simulated ([\d,]+\.\d)", words)[0]
    found = [float(value.replace(",", "")) for value in pair]
    assert found[0] > 0
    assert found[1] == pytest.approx(found[0], rel=1e-6)
