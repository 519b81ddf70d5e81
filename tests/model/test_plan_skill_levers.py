"""`cpd` and `retire_and_return` as plan levers, on a case worked out by hand (docs/plan.md).

One area, one staff group of 200 heads at 1 FTE each (100 aged 50-54, 100 aged
55-59), leaver rate 0.1 in every band, 20 joiners a year, so the stock stays at
200; 2 vacant FTE, so demand is 202 FTE and the gap in 2025 (base year 2024) is
2 FTE. Leavers leave from the start-of-year stock.

- ``cpd`` at ``leaver_rate_cut_per_1000_gbp = 0.1``: GBP 1 a head in 2025 cuts
  2025's leavers by 200 x 0.1 x 0.1 / 1000 = 0.002 FTE, for GBP 200 (the spend on
  200 heads): GBP 100,000 an FTE, linear in the spend. Closing 2 FTE: GBP 1,000 a
  head, GBP 200,000.
- ``retire_and_return``: a returner at half the group's hours joins the 55-59
  band; the group's FTE per head is x (1 - 0.5 y / 200) for ``y`` returners, so
  2025's FTE is (200 + y)(1 - y / 400): one returner adds 201 x 0.9975 - 200 =
  0.4975 FTE. The plan closes 2 FTE with y = 2 / 0.4975 returners; the model
  gains y / 2 - y^2 / 400, so the plan's prediction is above the simulated gain by
  y (y - 1) / 400 (the reduced hours of the returners themselves, second order).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from wfplan.model import load_scenario_text
from wfplan.plan.response import responses
from wfplan.plan.run import build_problem, plan_on
from wfplan.plan.spec import PlanFile, parse_plan
from wfplan.plan.summary import attach_plan

PLAN = """
name = "skills-levers"
base_scenario = "unused.toml"

[target]
staff_groups = ["g"]
years = [{year}]

[[levers]]
name = "cpd"
type = "cpd"
staff_group = "g"
max_per_year = 5000
cost_per_unit = 1.0
cost_source = "test figure: the spend alone"
options = {{ leaver_rate_cut_per_1000_gbp = 0.1, effect_source = "test figure" }}

[[levers]]
name = "returners"
type = "retire_and_return"
staff_group = "g"
max_per_year = 100
cost_per_unit = {returner_cost}
cost_source = "test figure"
options = {{ returner_fte_ratio = 0.5, from_age_band = "55_59" }}
{extra}
"""

RETENTION = """
[[levers]]
name = "retention"
type = "retention"
staff_group = "g"
max_per_year = 0.5
cost_per_unit = 100000
cost_source = "test figure"
"""

#: One returner's FTE in 2025: (200 + 1) x (1 - 0.5 / 200) - 200.
PER_RETURNER = 201 * (1 - 0.5 / 200) - 200


@pytest.fixture
def case(make_inputs, make_scenario):
    inputs = make_inputs(ages=("50_54", "55_59"), widths=[5, np.inf], stock=100.0,
                         leaver_rate=0.1, other_joiners=20.0, fte_per_head=1.0, vacancy=2.0)
    return inputs, make_scenario(horizon=3)


def _source(tmp_path: Path, returner_cost: float, year: int = 2025,
            extra: str = "") -> PlanFile:
    text = PLAN.format(year=year, returner_cost=returner_cost, extra=extra)
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return PlanFile(path, parse_plan(path, text), hashlib.sha256(text.encode()).hexdigest())


def test_the_responses_are_those_worked_out_by_hand(case, tmp_path: Path) -> None:
    inputs, scenario = case
    from wfplan.model import run

    source = _source(tmp_path, 10000.0)
    problem, gap = build_problem(source, inputs, scenario, run(inputs, scenario))
    assert gap.gap.ravel() == pytest.approx([2.0], rel=1e-12)
    assert problem.start_years == (2025,)
    np.testing.assert_allclose(problem.response.ravel(), [0.002, PER_RETURNER], rtol=1e-9)
    # GBP 1 a head on 200 heads (cost_per_unit 1: the spend itself); GBP 10,000 a returner
    np.testing.assert_allclose(problem.cost, [200.0, 10000.0], rtol=1e-9)


@pytest.mark.parametrize(("returner_cost", "chosen", "units", "cost"), [
    (10000.0, "returners", 2 / PER_RETURNER, 10000.0 * 2 / PER_RETURNER),
    (100000.0, "cpd", 1000.0, 200000.0),
])
def test_the_plan_takes_the_cheaper_lever_and_the_model_agrees(
    case, tmp_path: Path, returner_cost: float, chosen: str, units: float, cost: float
) -> None:
    inputs, scenario = case
    result = plan_on(_source(tmp_path, returner_cost), inputs, scenario, tmp_path / "out.toml")
    assert result.solution.cost == pytest.approx(cost, rel=1e-6)
    taken = result.amounts.set_index("lever")["amount"]
    assert list(taken.index) == [chosen]
    assert taken[chosen] == pytest.approx(units, rel=1e-6)
    check = result.check.iloc[0]
    assert check["predicted_q"] == pytest.approx(0.0, abs=1e-6)
    # cpd: one year's cut is exact; returners: the prediction is y (y - 1) / 400 FTE above
    y = units if chosen == "returners" else 0.0
    assert check["simulated_q"] == pytest.approx(y * (y - 1) / 400, abs=1e-6)
    assert check["simulated_cost"] == pytest.approx(result.solution.cost, rel=1e-9)
    assert result.linearised == ("cpd", "returners")
    # the written scenario, with its [plan] table, reads back: the returners are the units
    attach_plan(_source(tmp_path, returner_cost), result)
    written = load_scenario_text(result.scenario_path.read_text(encoding="utf-8"))
    [item] = [item for item in written.interventions if item.source.startswith("wfplan plan")]
    assert item.type == ("retire_and_return" if chosen == "returners" else "cpd")
    if chosen == "returners":
        assert (item.amount, item.returners) == (0.0, pytest.approx(units, rel=1e-6))
    else:
        assert (item.amount, item.cost_per_unit) == (pytest.approx(1000.0, rel=1e-6), 0.0)


def test_cpd_is_retention_per_gbp_over_several_years(case, tmp_path: Path) -> None:
    # GBP 1 a head of CPD is a cut of 0.1 / 1000 in leaver rates: its response in every
    # start year is retention's times 1e-4, including the years the kept heads survive
    inputs, scenario = case
    from wfplan.model import run

    source = _source(tmp_path, 10000.0, year=2027, extra=RETENTION)
    base = run(inputs, scenario)
    response, _ = responses(inputs, scenario, source.plan, base, (2025, 2026, 2027))
    dense = np.asarray(response)
    assert (dense[2] > 0).all()
    np.testing.assert_allclose(dense[0], dense[2] * 1e-4, rtol=1e-6)
    # a cut in 2025 keeps 200 x 0.1 heads per 1.0, of whom 0.9 x 0.9 are left in 2027
    assert dense[2, 0].item() == pytest.approx(20 * 0.81, rel=1e-6)


def test_a_cpd_or_retire_and_return_lever_is_refused_with_its_rule(tmp_path: Path) -> None:
    from wfplan.errors import InputError

    text = PLAN.format(year=2025, returner_cost=1.0, extra="")
    for old, new, rule in [
        ("cost_per_unit = 1.0", "cost_per_unit = 0.5", "at least 1"),
        ("max_per_year = 5000", "max_per_year = 20000", "more than all of them"),
        ("returner_fte_ratio = 0.5, ", "", "must give returner_fte_ratio"),
        ('from_age_band = "55_59"', 'from_age_band = "55_59", returners = 3',
         "set by the plan itself"),
    ]:
        with pytest.raises(InputError, match=rule):
            parse_plan(tmp_path / "plan.toml", text.replace(old, new, 1))
