"""``wfplan plan``: read a plan, build the problem from the model, solve, write, re-simulate.

The base scenario runs on the plan's vintage at the plan's level and draws;
the responses come from the model (:mod:`wfplan.plan.response`); the least-cost
plan is solved by SAA (:mod:`wfplan.plan.solve`); it is written as a scenario
(the base scenario plus one intervention per lever and start year); that file
is read back and projected through the full model, and the optimiser's
predicted gap is compared with the simulated one. For multiplicative levers
(linearised around the base scenario) that difference is the linearisation's
error, reported as such.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from wfplan.dataset.store import Store
from wfplan.errors import InputError
from wfplan.inputs.build import resolve_period
from wfplan.inputs.roles import scenario_inputs
from wfplan.model import ModelInputError, ModelInputs, Results, Scenario, ScenarioError, run
from wfplan.plan.explain import explain
from wfplan.plan.problem import Problem, expected_shortfall, required_draws
from wfplan.plan.response import (
    Baseline,
    baseline,
    cell_labels,
    intervention,
    lever_years,
    responses,
    with_interventions,
)
from wfplan.plan.solve import Solution, solve
from wfplan.plan.spec import Plan, PlanFile, expand_levers, is_linearised
from wfplan.plan.toml_out import scenario_toml
from wfplan.runs.executor import Executor, run_scenarios
from wfplan.runs.project import choose_vintage, read_scenario, with_overrides

#: Amounts below this (units a year) are solver noise and are not written.
SMALLEST = 1e-6


@dataclass(frozen=True)
class PlanResult:
    """The optimum, the scenario written, and the re-simulation's check of it.

    ``expected_shortfall`` (objective ``cvar``) is the optimiser's and the
    re-simulation's expected shortfall, FTE; ``linearised`` names the levers
    whose response is a linearisation (multiplicative levers, and returners of
    ``retire_and_return``: :func:`~wfplan.plan.spec.is_linearised`). ``drawn_from``
    is the gap, in the target years, of the staff groups outside the target
    that a credential takes its staff from, without and with the plan
    (:func:`drawn_from`); ``None`` when no lever draws on such a group.
    """

    problem: Problem
    solution: Solution
    shadow: dict[str, pd.Series]
    scenario_path: Path
    amounts: pd.DataFrame
    check: pd.DataFrame
    expected_shortfall: tuple[float, float] | None = None
    linearised: tuple[str, ...] = ()
    drawn_from: pd.DataFrame | None = None


def _base_scenario(source: PlanFile) -> Scenario:
    ref = source.plan.base_scenario
    beside = source.path.parent / ref
    chosen = beside if beside.is_file() else Path(ref)
    base = read_scenario(chosen).scenario
    plan = source.plan
    return with_overrides(base, name=plan.name, title=plan.title or None, level=plan.level,
                          draws=plan.draws, seed=plan.seed, base_vintage=plan.base_vintage)


def _inputs(store: Store, scenario: Scenario, vintage: str) -> ModelInputs:
    store.require_vintage(vintage)
    period = resolve_period(store, vintage, scenario.base_period)
    try:
        return scenario_inputs(store, vintage, period, scenario, use_cache=True)
    except ModelInputError as error:
        raise InputError(f"inputs from vintage {vintage!r}: {error}") from None


def _check_target(source: PlanFile, inputs: ModelInputs, scenario: Scenario) -> None:
    plan, where = source.plan, source.path
    problems = []
    last = inputs.base_year + scenario.horizon
    for year in plan.target.years:
        if not inputs.base_year < year <= last:
            problems.append(f"{where}: target.years: {year} is outside the projection "
                            f"({inputs.base_year + 1} to {last})")
    groups = inputs.coords.staff_group
    for group in plan.target.staff_groups:
        if group not in groups:
            problems.append(f"{where}: target.staff_groups: {group!r} is not in the inputs")
    if plan.target.area is not None and plan.target.area not in inputs.coords.area:
        problems.append(f"{where}: target.area: {plan.target.area!r} is not an area of the "
                        f"inputs ({', '.join(inputs.coords.area)})")
    for i, lever in enumerate(plan.levers):
        first, last_start = lever_years(plan, lever, inputs.base_year)
        if first <= inputs.base_year:
            problems.append(f"{where}: levers[{i}].first_year: must be after the base year "
                            f"{inputs.base_year}")
        # a credential's staff come from one group for another: either may be the target
        moved_to = lever.options.get("to_staff_group")
        if lever.staff_group not in (*plan.target.staff_groups, "each") and \
                moved_to not in plan.target.staff_groups:
            problems.append(f"{where}: levers[{i}].staff_group: {lever.staff_group!r} is not "
                            "a target staff group")
        if last_start > last:
            problems.append(f"{where}: levers[{i}].last_year: after the projection ({last})")
        if lever.area not in (None, "each", *inputs.coords.area):
            problems.append(f"{where}: levers[{i}].area: {lever.area!r} is not an area of "
                            f"the inputs at level {plan.level!r} (nor 'each')")
    if problems:
        raise InputError("\n".join(problems))


def _budget(source: PlanFile, years: tuple[int, ...]) -> np.ndarray:
    budget = source.plan.constraints.budget_per_year
    if budget is None:
        return np.full(len(years), np.inf)
    if isinstance(budget, dict):
        return np.array([budget.get(year, np.inf) for year in years], dtype=float)
    return np.full(len(years), float(budget))


def build_problem(source: PlanFile, inputs: ModelInputs, scenario: Scenario,
                  base: Results,
                  families: tuple[int, ...] | None = None) -> tuple[Problem, Baseline]:
    """Build the problem of ``source`` from the base run and the model's responses.

    ``source``'s levers are already expanded (:func:`wfplan.plan.spec.expand_levers`);
    ``families`` says which came from one lever.
    """
    plan = source.plan
    spans = [lever_years(plan, lever, inputs.base_year) for lever in plan.levers]
    starts = tuple(range(min(f for f, _ in spans), max(last for _, last in spans) + 1))
    gap = baseline(base, plan)
    response, cost = responses(inputs, scenario, plan, base, starts, families)
    lower = np.zeros((len(plan.levers), len(starts)))
    upper = np.zeros_like(lower)
    for index, (lever, (first, last)) in enumerate(zip(plan.levers, spans, strict=True)):
        inside = (np.array(starts) >= first) & (np.array(starts) <= last)
        lower[index, inside] = lever.min_per_year
        upper[index, inside] = lever.max_per_year
    types = [lever.type for lever in plan.levers]
    limits = plan.constraints
    problem = Problem(
        levers=tuple(lever.name for lever in plan.levers), lever_types=tuple(types),
        start_years=starts, draws=gap.draws, years=tuple(plan.target.years),
        groups=cell_labels(plan, base.areas), base_gap=gap.gap, response=response,
        cost=cost, lower=lower,
        upper=upper, required=required_draws(plan.target.probability, len(gap.draws)),
        budget_per_year=_budget(source, starts), budget_total=limits.budget_total,
        training=np.array([t == "training_places" for t in types]),
        international=np.array([t == "international_recruitment" for t in types]),
        training_max=limits.training_places_max_per_year,
        training_growth=limits.training_places_max_growth_per_year,
        international_max=limits.international_recruitment_max_per_year,
        objective=plan.objective,
        alpha=plan.target.probability if plan.objective == "cvar" else 0.5,
    )
    return problem, gap


def _records(source: PlanFile, problem: Problem, amounts: np.ndarray) -> list[dict[str, object]]:
    records = []
    for index, lever in enumerate(source.plan.levers):
        for s, year in enumerate(problem.start_years):
            amount = float(amounts[index, s])
            if amount < SMALLEST:
                continue
            where = (f"wfplan plan, {source.path.name}, sha256 {source.sha256}; unit cost: "
                     f"{lever.cost_source}")
            records.append(intervention(lever, year, amount, where))
    return records


def _written(amounts: np.ndarray) -> np.ndarray:
    return np.where(amounts < SMALLEST, 0.0, amounts)


def write_scenario(source: PlanFile, scenario: Scenario, problem: Problem,
                   solution: Solution, out: Path) -> Path:
    """Write the plan as a scenario: the base scenario plus the plan's interventions."""
    planned = with_interventions(scenario, _records(source, problem, solution.amounts))
    closed = (f"the target gap is closed in {int(solution.closed.sum())} of "
              f"{len(problem.draws)} draws")
    what = (f"Least-cost plan: cost £{solution.cost:,.0f}; {closed}." if solution.risk is None
            else f"Least expected shortfall (CVaR at {problem.alpha:g}) within the budget: "
            f"{solution.risk:,.1f} FTE, at a cost of £{solution.cost:,.0f}; {closed}.")
    header = f"Written by wfplan plan from {source.path.name} (sha256 {source.sha256}).\n{what}"
    data = planned.model_dump(mode="json", by_alias=True, exclude_none=True)
    try:
        out.write_text(scenario_toml(data, header), encoding="utf-8")
    except OSError as error:
        raise InputError(f"{out}: cannot write the scenario ({error.strerror})") from None
    return out


def _quantile(values: np.ndarray, probability: float) -> np.ndarray:
    return np.asarray(np.percentile(values, 100 * probability, axis=0, method="linear"))


def resimulate(source: PlanFile, inputs: ModelInputs, problem: Problem, solution: Solution,
               path: Path, executor: Executor | None = None) -> pd.DataFrame:
    """Project the scenario written at ``path``; the predicted and simulated gap per target.

    Columns: ``year, staff_group, demand_p50, predicted_q, simulated_q,
    predicted_p50, simulated_p50, max_abs_difference`` (q: the plan's probability).
    The run is made on ``executor`` (default: in this process).
    """
    return _compare(source, problem,
                    _written_gaps(source, inputs, problem, solution, path, executor))


def drawn_on(plan: Plan) -> Plan | None:
    """``plan`` with, as its target, the groups outside it that its credentials draw on.

    A credential moves staff out of its ``staff_group``: when that group is not a
    target, the plan raises its gap, and says so. ``None`` when no lever does.
    """
    groups = tuple(dict.fromkeys(
        lever.staff_group for lever in plan.levers
        if "to_staff_group" in lever.options
        and lever.staff_group not in plan.target.staff_groups))
    if not groups:
        return None
    return plan.model_copy(update={"target": plan.target.model_copy(
        update={"staff_groups": groups})})


def _simulated(results: Results, target: Plan
               ) -> tuple[Baseline, float, Baseline | None]:
    """Return what a re-simulation sends back from its worker.

    The targets' gap, the total cost, and the gap of the groups the credentials
    draw on (:func:`drawn_on`).
    """
    drawn = drawn_on(target)
    return (baseline(results, target), target_cost(results),
            None if drawn is None else baseline(results, drawn))


def drawn_from(plan: Plan, base: Baseline | None,
               planned: Baseline | None) -> pd.DataFrame | None:
    """Return the P50 gap of the groups drawn on (:func:`drawn_on`), without and with the plan.

    Columns ``year, staff_group, base_p50, planned_p50, change_p50`` (FTE; the
    change is the P50 of the change within each draw).
    """
    drawn = drawn_on(plan)
    if drawn is None or base is None or planned is None:
        return None
    rows = [{"year": year, "staff_group": group,
             "base_p50": float(np.median(base.gap[:, y, g])),
             "planned_p50": float(np.median(planned.gap[:, y, g])),
             "change_p50": float(np.median(planned.gap[:, y, g] - base.gap[:, y, g]))}
            for y, year in enumerate(drawn.target.years)
            for g, group in enumerate(drawn.target.staff_groups)]
    return pd.DataFrame(rows)


def _written_gaps(source: PlanFile, inputs: ModelInputs, problem: Problem, solution: Solution,
                  path: Path, executor: Executor | None = None
                  ) -> tuple[np.ndarray, Baseline, float, Baseline | None]:
    """Return the predicted gap, the re-simulated baseline of ``path`` and its total cost.

    And the re-simulated gap of the groups its credentials draw on, if any.

    The full model runs on ``executor`` (:mod:`wfplan.runs.executor`; default: in
    this process), as ``wfplan sweep`` and ``wfplan sensitivity`` run theirs.
    """
    scenario = read_scenario(path).scenario
    try:
        [(simulated, cost, drawn)] = run_scenarios(inputs, [scenario],
                                            partial(_simulated, target=source.plan), executor)
    except InputError as error:  # a worker's model error, named by the scenario
        raise InputError(f"{path}: {error}") from None
    except (ScenarioError, ModelInputError) as error:
        raise InputError(f"{path}: {error}") from None
    return problem.predicted_gap(_written(solution.amounts)), simulated, cost, drawn


def _compare(source: PlanFile, problem: Problem,
             gaps: tuple[np.ndarray, Baseline, float, Baseline | None]) -> pd.DataFrame:
    predicted, simulated, cost, _ = gaps
    p = source.plan.target.probability
    rows = []
    for y, year in enumerate(problem.years):
        for g, group in enumerate(problem.groups):
            rows.append({
                "year": year, "staff_group": group,
                "demand_p50": float(np.median(simulated.demand[:, y, g])),
                "predicted_q": float(_quantile(predicted[:, y, g], p)),
                "simulated_q": float(_quantile(simulated.gap[:, y, g], p)),
                "predicted_p50": float(np.median(predicted[:, y, g])),
                "simulated_p50": float(np.median(simulated.gap[:, y, g])),
                "max_abs_difference": float(np.abs(predicted[:, y, g]
                                                   - simulated.gap[:, y, g]).max()),
                "simulated_cost": cost,
            })
    return pd.DataFrame(rows)


def target_cost(results: Results) -> float:
    """Total intervention cost of a run over every year, area and staff group (principal)."""
    return float(results.values("intervention_cost_gbp")[0].sum())


def _amount_table(source: PlanFile, problem: Problem, solution: Solution) -> pd.DataFrame:
    rows = []
    for index, lever in enumerate(source.plan.levers):
        for s, year in enumerate(problem.start_years):
            amount = float(_written(solution.amounts)[index, s])
            if amount:
                # a count lever's cost is its cost_per_unit; a multiplicative one's the model's
                rows.append({"lever": lever.name, "type": lever.type, "start_year": year,
                             "amount": amount, "cost_gbp": amount * problem.cost[index]})
    return pd.DataFrame(rows, columns=["lever", "type", "start_year", "amount", "cost_gbp"])


def _shadow(problem: Problem, solution: Solution) -> dict[str, pd.Series]:
    """Shadow prices: the LP's with the binaries fixed at the optimum (``cvar``: its own)."""
    if solution.risk is not None or solution.gap is not None:
        return solution.duals  # cvar's own; the scalable path's last LP (draws fixed)
    fixed = solve(problem, closed=solution.closed)
    return fixed.duals if fixed is not None else {}


def plan(store: Store, source: PlanFile, out: Path, vintage: str | None = None,
         tell: Callable[[str], None] | None = None,
         executor: Executor | None = None) -> PlanResult:
    """Solve ``source``, write the scenario to ``out`` and re-simulate it.

    The vintage is ``vintage``, else the plan's (or base scenario's)
    ``base_vintage``, else the store's default; ``tell`` hears the choice when
    it was not named (:func:`wfplan.runs.project.choose_vintage`). The
    re-simulation runs on ``executor`` (default: in this process).
    """
    try:
        scenario = _base_scenario(source)
    except InputError as error:
        raise InputError(f"{source.path}: base_scenario: {error}") from None
    chosen = choose_vintage(store, scenario, vintage, tell or (lambda _text: None))
    scenario = with_overrides(scenario, base_vintage=chosen)
    return plan_on(source, _inputs(store, scenario, chosen), scenario, out, executor)


def plan_on(source: PlanFile, inputs: ModelInputs, scenario: Scenario, out: Path,
            executor: Executor | None = None) -> PlanResult:
    """Solve ``source`` on ``inputs`` from the base ``scenario``; write ``out``; re-simulate.

    :func:`plan` once the vintage's inputs are read (a test may give its own).
    """
    _check_target(source, inputs, scenario)
    expanded, families = expand_levers(source.plan, tuple(inputs.coords.area))
    source = PlanFile(source.path, expanded, source.sha256)
    try:
        base = run(inputs, scenario)
    except (ScenarioError, ModelInputError) as error:
        raise InputError(f"{source.path}: base scenario: {error}") from None
    try:
        problem, _ = build_problem(source, inputs, scenario, base, families)
    except (ScenarioError, ModelInputError) as error:
        # a lever whose options (or area) the intervention type refuses
        raise InputError(f"{source.path}: levers: {error}") from None
    solution = solve(problem)
    if solution is None:
        elastic = solve(problem, elastic=True)
        assert elastic is not None  # every limit has a slack: always feasible
        raise InputError(f"{source.path}: {explain(problem, elastic)}")
    path = write_scenario(source, scenario, problem, solution, out)
    gaps = _written_gaps(source, inputs, problem, solution, path, executor)
    risk = None
    if solution.risk is not None:
        risk = (expected_shortfall(gaps[0], problem.alpha),
                expected_shortfall(gaps[1].gap, problem.alpha))
    linearised = tuple(lever.name for lever in source.plan.levers
                       if is_linearised(lever.type))
    drawn = drawn_on(source.plan)
    return PlanResult(problem, solution, _shadow(problem, solution), path,
                      _amount_table(source, problem, solution),
                      _compare(source, problem, gaps), risk, linearised,
                      drawn_from(source.plan, None if drawn is None else baseline(base, drawn),
                                 gaps[3]))
