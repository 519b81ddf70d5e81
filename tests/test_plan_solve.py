"""The plan's optimisation on problems worked out by hand (issue 15).

Two levers close a gap of 100 FTE in 2030 (base year 2025):

- ``recruits``: 1 FTE per unit in 2030 whatever year it starts, £10 a unit (£10 per FTE);
- ``places``: a 3-year lead time, 0.5 FTE per place started in 2026 or 2027, £4 a
  place (£8 per FTE: cheaper, but slow).

With £300 a year, places can use only the budgets of 2026 and 2027: 75 places a year,
£600, 75 FTE. The other 25 FTE are recruits (£250), bought in 2028-2030. Optimum
£850. One more £1 in 2026 buys 0.25 places = 0.125 FTE and saves 0.125 recruits
(£1.25): a net saving of £0.25 per £1 in 2026 and 2027; £0 in 2028-2030.
"""

from __future__ import annotations

import numpy as np
import pytest

from wfplan.plan.explain import explain
from wfplan.plan.problem import Problem, required_draws
from wfplan.plan.solve import solve

START = (2026, 2027, 2028, 2029, 2030)


def hand_problem(gaps=(100.0,), budget=300.0, required=None, **limits) -> Problem:
    draws = len(gaps)
    response = np.zeros((2, len(START), draws, 1, 1))
    response[0] = 1.0
    response[1, :2] = 0.5
    return Problem(
        levers=("recruits", "places"),
        lever_types=("international_recruitment", "training_places"),
        start_years=START, draws=tuple(range(1, draws + 1)), years=(2030,),
        groups=("nurses_health_visitors",),
        base_gap=np.array(gaps, dtype=float).reshape(draws, 1, 1),
        response=response, cost=np.array([10.0, 4.0]),
        lower=np.zeros((2, len(START))), upper=np.full((2, len(START)), 1e6),
        required=draws if required is None else required,
        budget_per_year=np.full(len(START), budget),
        training=np.array([False, True]), international=np.array([True, False]),
        **limits,
    )


def test_known_optimum_and_budget_shadow_prices() -> None:
    solution = solve(hand_problem())
    assert solution is not None
    assert solution.cost == pytest.approx(850.0)
    np.testing.assert_allclose(solution.amounts[1], [75, 75, 0, 0, 0], atol=1e-6)
    assert solution.amounts[0].sum() == pytest.approx(25.0)
    assert solution.amounts[0, :2].sum() == pytest.approx(0.0, abs=1e-6)
    saved = -solution.duals["budget_per_year"].to_numpy()
    np.testing.assert_allclose(saved, [0.25, 0.25, 0, 0, 0], atol=1e-9)
    # the marginal FTE is a recruit: £10, in GBP million
    assert solution.duals["closure"].max() * 1e6 == pytest.approx(10.0)


def test_training_growth_limit() -> None:
    # places may grow by 30 a year from 0: 30 in 2026, 60 in 2027 (45 FTE, £360);
    # 55 recruits (£550): £910
    solution = solve(hand_problem(training_growth=30.0))
    assert solution is not None
    np.testing.assert_allclose(solution.amounts[1], [30, 60, 0, 0, 0], atol=1e-6)
    assert solution.cost == pytest.approx(910.0)


def test_training_growth_has_its_shadow_price() -> None:
    # one more place of growth into 2026 lets 2026 and 2027 both take one more place:
    # 1 FTE for £8 instead of a £10 recruit, £2 saved; into 2027 one more place, 0.5 FTE
    # for £4 instead of £5, £1 saved; places after 2027 reach 2030 too late: £0
    fixed = solve(hand_problem(training_growth=30.0), closed=np.array([True]))
    assert fixed is not None
    saved = -fixed.duals["training_growth"].to_numpy() * 1e6
    np.testing.assert_allclose(saved, [2, 1, 0, 0, 0], atol=1e-6)


def test_a_levers_maximum_has_its_shadow_price() -> None:
    # places capped at 50 a year: 50 + 50 places (50 FTE, £400) and 50 recruits (£500);
    # one more place allowed in 2026 or 2027 is 0.5 FTE for £4 instead of £5: £1 saved
    upper = np.full((2, len(START)), 1e6)
    upper[1] = 50.0
    problem = hand_problem(budget=1e6)
    problem = Problem(**{**problem.__dict__, "upper": upper})
    solution = solve(problem)
    assert solution is not None
    assert solution.cost == pytest.approx(900.0)
    fixed = solve(problem, closed=solution.closed)
    assert fixed is not None
    assert fixed.cost == pytest.approx(900.0)
    places = fixed.duals["lever_max"].xs("places", level="lever")
    np.testing.assert_allclose(-places.to_numpy() * 1e6, [1, 1, 0, 0, 0], atol=1e-6)
    assert (fixed.duals["lever_max"].xs("recruits", level="lever").abs() < 1e-12).all()


def test_ethical_cap_on_recruits() -> None:
    # with no budget limit, places alone (200, £800) are cheapest; with a budget of
    # £300 a year and recruits capped at 5 a year, 75 + 75 places give 75 FTE and
    # recruits 5 a year in 2028-2030 give only 15: infeasible
    assert solve(hand_problem(international_max=5.0)) is None
    assert solve(hand_problem(international_max=9.0)) is not None  # 27 >= 25


def test_chance_constraint_closes_enough_draws() -> None:
    # four draws with gaps 100, 80, 60, 200; at P50 the sorted gap at position
    # ceil(0.5 x 3) = 2 (0-based) must be closed: 3 draws, the largest being 100
    gaps = (100.0, 80.0, 60.0, 200.0)
    k = required_draws(0.5, 4)
    assert k == 3
    solution = solve(hand_problem(gaps=gaps, required=k))
    assert solution is not None
    assert solution.cost == pytest.approx(850.0)
    assert list(solution.closed) == [True, True, True, False]
    # at 90%: every draw, so the 200 FTE gap; with £300 a year that is out of reach
    # (75 FTE of places, 90 recruits in 2028-2030), without a budget it is 400 places
    k = required_draws(0.9, 4)
    assert k == 4
    assert solve(hand_problem(gaps=gaps, required=k)) is None
    solution = solve(hand_problem(gaps=gaps, required=k, budget=np.inf))
    assert solution is not None
    assert solution.cost == pytest.approx(1600.0)
    gap = hand_problem(gaps=gaps).predicted_gap(solution.amounts).ravel()
    assert np.percentile(gap, 90) <= 1e-9


@pytest.mark.parametrize(("p", "n", "k"), [(0.5, 50, 26), (0.9, 50, 46), (1.0, 50, 50),
                                           (0.5, 1, 1), (0.95, 20, 20)])
def test_required_draws_make_the_percentile_closed(p: float, n: int, k: int) -> None:
    assert required_draws(p, n) == k
    assert k >= np.ceil(p * n)
    # k draws just closed (gap 0), the rest far open: NumPy's percentile is still <= 0
    gaps = np.array([0.0] * k + [1e6] * (n - k))
    assert np.percentile(gaps, 100 * p) <= 0


def test_infeasible_plan_names_the_budget_and_lead_time() -> None:
    # £100 a year: places 25 a year in 2026-2027 (25 FTE) and recruits 10 a year
    # in 2028-2030 (30 FTE) reach 55 of 100 FTE; the cheapest repair is £360 more
    # in 2026 (90 more places, 45 FTE)
    problem = hand_problem(budget=100.0)
    assert solve(problem) is None
    elastic = solve(problem, elastic=True)
    assert elastic is not None
    words = explain(problem, elastic)
    assert "the budget per year in 2026 cannot buy enough" in words
    assert "£360 more" in words
    assert "places (training_places) takes 3 year(s) from start to supply" in words


def test_infeasible_when_no_lever_reaches_the_target_year() -> None:
    problem = hand_problem()
    response = problem.response.copy()
    response[0] = 0.0  # only places, which cannot reach 2030 after 2027
    response[1] = 0.0
    blocked = Problem(**{**problem.__dict__, "response": response})
    elastic = solve(blocked, elastic=True)
    assert solve(blocked) is None
    assert elastic is not None
    words = explain(blocked, elastic)
    assert "no lever can reach the gap in 2030" in words
    assert "cannot reach the target years 2030" in words


def test_scenario_toml_reads_back_to_the_same_scenario() -> None:
    from wfplan.model import load_scenario_text
    from wfplan.plan.toml_out import scenario_toml
    from wfplan.runs.project import read_scenario

    for name in ("ltwp", "baseline"):
        scenario = read_scenario(name).scenario
        data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
        again = load_scenario_text(scenario_toml(data, "a header\nof two lines"))
        assert again == scenario


def test_a_draw_no_lever_reaches_is_never_counted_closed() -> None:
    # draw 2's supply does not respond at all: it can be left open, never closed
    problem = hand_problem(gaps=(100.0, 100.0), required=1)
    response = problem.response.copy()
    response[:, :, 1] = 0.0
    one = Problem(**{**problem.__dict__, "response": response})
    solution = solve(one)
    assert solution is not None
    assert list(solution.closed) == [True, False]
    assert solution.cost == pytest.approx(850.0)
    assert solve(Problem(**{**one.__dict__, "required": 2})) is None
