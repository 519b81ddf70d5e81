"""The ``cvar`` objective: the least expected shortfall above a budget, worked by hand (issue 15).

The problem of ``test_plan_solve.hand_problem``: a gap in 2030 of 100, 80, 60 and
200 FTE in four equally likely draws; recruits give 1 FTE for £10 from any
start year, places 0.5 FTE for £4 (£8 per FTE) but only when started in 2026 or
2027. Both act the same in every draw, so a plan gains ``G`` FTE in each, and
the shortfalls are ``max(gap - G, 0)``; the expected shortfall at level alpha
is the mean of the worst ``(1 - alpha) x 4`` draws.
"""

from __future__ import annotations

import numpy as np
import pytest

from test_plan_solve import hand_problem
from wfplan.plan.problem import expected_shortfall
from wfplan.plan.solve import solve

GAPS = (100.0, 80.0, 60.0, 200.0)


def test_expected_shortfall_by_hand() -> None:
    gap = np.array([10.0, 20.0, 30.0, 40.0]).reshape(4, 1, 1)
    assert expected_shortfall(gap, 0.5) == pytest.approx(35.0)  # (40 + 30) / 2
    assert expected_shortfall(gap, 0.6) == pytest.approx((40 + 0.6 * 30) / 1.6)
    assert expected_shortfall(gap, 0.75) == pytest.approx(40.0)
    # a surplus does not count, and cells of a draw add: draw 1 is short 5 + 0
    two = np.array([[[5.0, -50.0]], [[1.0, 2.0]]])
    assert expected_shortfall(two, 0.5) == pytest.approx(5.0)


def test_cvar_spends_the_yearly_budget_where_it_buys_most() -> None:
    # £300 a year: places in 2026 and 2027 (37.5 FTE a year each, better than 30 recruits),
    # recruits in 2028-2030 (places started then arrive too late): G = 75 + 90 = 165.
    # Shortfalls 0, 0, 0, 35; the worst two draws' mean is 17.5, at a cost of £1,500.
    problem = hand_problem(gaps=GAPS, objective="cvar", alpha=0.5)
    solution = solve(problem)
    assert solution is not None
    assert solution.risk == pytest.approx(17.5)
    np.testing.assert_allclose(solution.amounts[1], [75, 75, 0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(solution.amounts[0], [0, 0, 30, 30, 30], atol=1e-6)
    assert solution.cost == pytest.approx(1500.0)
    assert expected_shortfall(problem.predicted_gap(solution.amounts), 0.5) == \
        pytest.approx(17.5)
    # one more £1 in 2026 buys 0.125 FTE of places: the worst draw's shortfall falls by
    # 0.125 and the mean of the worst two by 0.0625; in 2028 £1 buys 0.1 recruits: 0.05.
    # In FTE of expected shortfall per £1m, as the duals are given:
    saved = -solution.duals["budget_per_year"].to_numpy() / 1e6
    np.testing.assert_allclose(saved, [0.0625, 0.0625, 0.05, 0.05, 0.05], rtol=1e-6)


def test_cvar_at_a_level_between_draws() -> None:
    # alpha 0.6: the worst 1.6 draws, 35 in full and 0.6 of the next (0): 35 / 1.6
    solution = solve(hand_problem(gaps=GAPS, objective="cvar", alpha=0.6))
    assert solution is not None
    assert solution.risk == pytest.approx(35.0 / 1.6)


def test_cvar_with_a_total_budget_buys_the_cheapest_fte() -> None:
    # £1,000 in all, no yearly limit: 250 places (£8 per FTE) give G = 125; shortfalls
    # 0, 0, 0, 75: the mean of the worst two is 37.5. Recruits would buy less.
    solution = solve(hand_problem(gaps=GAPS, budget=np.inf, budget_total=1000.0,
                                  objective="cvar", alpha=0.5))
    assert solution is not None
    assert solution.risk == pytest.approx(37.5)
    assert solution.amounts[1].sum() == pytest.approx(250.0)
    assert solution.amounts[0].sum() == pytest.approx(0.0, abs=1e-6)
    assert solution.cost == pytest.approx(1000.0)


def test_cvar_zero_at_least_cost_when_the_budget_allows() -> None:
    # no budget: the worst two draws (200, 100) can be closed; G = 200 by 400 places
    # (£1,600) is the least cost of an expected shortfall of 0, not a penny more
    solution = solve(hand_problem(gaps=GAPS, budget=np.inf, objective="cvar", alpha=0.5))
    assert solution is not None
    assert solution.risk == pytest.approx(0.0, abs=1e-6)
    assert solution.cost == pytest.approx(1600.0, rel=1e-6)
    assert list(solution.closed) == [True, True, True, True]


def test_cvar_plan_refused_at_probability_one(tmp_path) -> None:
    from wfplan.errors import InputError
    from wfplan.plan.spec import read_plan

    text = (
        'name = "p"\nbase_scenario = "baseline"\nobjective = "cvar"\n'
        '[target]\nstaff_groups = ["nurses_health_visitors"]\nyears = [2035]\n'
        'probability = 1.0\n[[levers]]\nname = "r"\ntype = "international_recruitment"\n'
        'staff_group = "nurses_health_visitors"\nmax_per_year = 10\ncost_per_unit = 1\n'
        'cost_source = "test"\n')
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=r"objective 'cvar' needs target\.probability below 1"):
        read_plan(path)


@pytest.mark.parametrize("objective", ["least_cost", "cvar"])
def test_sparse_gain_is_the_dense_one(monkeypatch: pytest.MonkeyPatch, objective: str) -> None:
    # two staff groups, each lever reaching one of them: the gain built from the pairs
    # that reach gives the same optimum as the dense product
    from wfplan.plan import solve as solver
    from wfplan.plan.problem import Problem

    one = hand_problem(gaps=GAPS, required=3, budget=np.inf, objective=objective)
    response = np.zeros((2, 5, 4, 1, 2))
    response[0, :, :, :, 0] = one.response[0, :, :, :, 0]
    response[1, :, :, :, 1] = one.response[1, :, :, :, 0]
    base = np.concatenate([one.base_gap, 0.5 * one.base_gap], axis=2)
    two = Problem(**{**one.__dict__, "groups": ("a", "b"), "response": response,
                     "base_gap": base})
    found = []
    for threshold in (0.0, 1.0):  # 0: always dense; 1: always sparse
        monkeypatch.setattr(solver, "SPARSE_BELOW", threshold)
        solution = solve(two)
        assert solution is not None
        found.append(solution)
    assert found[0].cost == pytest.approx(found[1].cost, rel=1e-9)
    np.testing.assert_allclose(found[0].amounts, found[1].amounts, atol=1e-6)
    # group a: recruits close 100, 80, 60 (3 draws): 100 recruits, £1,000; group b:
    # places close 50, 40, 30: 100 places (£400)
    if objective == "least_cost":
        assert found[0].cost == pytest.approx(1400.0)
