"""Build the plan's optimisation with linopy on labelled dims and solve it with HiGHS.

Variables: ``amount[lever, start]`` (units started a year) and, when fewer than
all draws must be closed, ``closed[draw]`` (binary: 1 if the draw's gap is
closed in every target year and staff group). The sample average
approximation of the chance constraint::

    gap0[d, y, g] - sum_{l, s} R[l, s, d, y, g] x[l, s] <= M[d, y, g] (1 - closed[d])
    sum_d closed[d] >= required

with ``M = max(gap0, 0)``: the largest gap a draw can have, since every count
lever's response is at least 0. Money is in GBP million. Limits are grouped
(:data:`GROUPS`); the elastic version gives each group a penalised slack, so a
plan that cannot be met says which limits would have to give.

The objective ``cvar`` minimises the expected shortfall at level alpha by the
Rockafellar-Uryasev linear form over the draws (an LP)::

    short[d, y, g] >= gap0[d, y, g] - sum_{l, s} R[l, s, d, y, g] x[l, s],  short >= 0
    excess[d] >= sum_{y, g} short[d, y, g] - var,  excess >= 0
    minimise  var + sum_d excess[d] / ((1 - alpha) N)

within the limits (the budgets make it bounded below 0 shortfall); then, with
the expected shortfall held at that optimum, the least cost that achieves it.
The duals of the first stage are the budget's shadow prices in FTE of
expected shortfall per GBP million.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from dataclasses import dataclass

import linopy
import numpy as np
import pandas as pd
import xarray as xr
from linopy.constants import TERM_DIM

from wfplan.plan.chance import large, solve_large
from wfplan.plan.problem import Problem

MILLION = 1e6
#: The second stage of ``cvar`` keeps the expected shortfall within this share of its optimum.
RISK_TOLERANCE = 1e-7
#: Constraint groups the elastic version may relax, in the order they are reported.
GROUPS = ("closure", "lever_max", "budget_per_year", "budget_total", "training_max",
          "training_growth", "international_max")
#: Below this share of (lever, start, group) reached, the gain is built from the pairs that reach.
SPARSE_BELOW = 0.5
#: Relaxing the closure costs more than relaxing any limit (it is the goal).
CLOSURE_WEIGHT = 1e3


class SolveError(Exception):
    """The solver stopped without an optimum (its status and condition in the message)."""


@dataclass(frozen=True)
class Solution:
    """The optimum: amounts, cost, draws closed, and (from an LP) the duals.

    ``duals`` maps a constraint group to its dual values (GBP million of
    objective per unit of the constraint's right-hand side; for ``cvar``, FTE
    of expected shortfall per GBP million) by its coordinate; ``slack``
    (elastic only) maps a group to the slack it needed; ``risk`` (``cvar``
    only) is the optimal expected shortfall, FTE. ``bound`` and ``gap`` (the
    scalable path only, :mod:`wfplan.plan.chance`): a lower bound on the
    optimum's cost (GBP) and ``(cost - bound) / cost``; None: solved to the
    MILP's relative gap (1e-7).
    """

    amounts: np.ndarray
    cost: float
    closed: np.ndarray
    duals: dict[str, pd.Series]
    slack: dict[str, pd.Series]
    risk: float | None = None
    bound: float | None = None
    gap: float | None = None


def _coords(problem: Problem) -> dict[str, pd.Index]:
    return {
        "lever": pd.Index(list(problem.levers), name="lever"),
        "start": pd.Index(list(problem.start_years), name="start"),
        "draw": pd.Index(list(problem.draws), name="draw"),
        "year": pd.Index(list(problem.years), name="year"),
        "group": pd.Index(list(problem.groups), name="group"),
    }


def _array(values: np.ndarray, coords: dict[str, pd.Index], *dims: str) -> xr.DataArray:
    return xr.DataArray(values, coords=[coords[d] for d in dims], dims=dims)


class _Infeasible(Exception):
    """Raised while building: the problem is infeasible before it is solved."""


def unreachable(problem: Problem) -> np.ndarray:
    """``(draw,)``: draws with a target cell that has a gap and no lever reaching it."""
    reach = problem.positive()
    return np.asarray(((problem.base_gap > 0) & ~reach).any(axis=(1, 2)))


class _Builder:
    """One linopy model of a problem; limits go through :meth:`limit` (elastic or not)."""

    def __init__(self, problem: Problem, elastic: bool) -> None:
        self.problem = problem
        self.elastic = elastic
        self.model = linopy.Model()
        self.coords = _coords(problem)
        self.penalty: list[linopy.LinearExpression] = []
        self.slacks: dict[str, linopy.Variable] = {}
        self.risk: linopy.LinearExpression | None = None
        self.cost: linopy.LinearExpression | None = None

    def limit(self, name: str, expression: linopy.LinearExpression, rhs: xr.DataArray | float,
              mask: xr.DataArray | None = None) -> None:
        """``expression <= rhs``; elastic: ``expression - slack <= rhs``, slack penalised."""
        if self.elastic:
            like = expression.const if isinstance(rhs, float) else rhs
            coords = [self.coords[str(d)] for d in like.dims] if like.dims else None
            slack = self.model.add_variables(lower=0, coords=coords, name=f"slack_{name}",
                                             mask=mask)
            scale = np.maximum(np.abs(np.asarray(rhs, dtype=float)), 1.0)
            self.penalty.append((slack / scale).sum())
            self.slacks[name] = slack
            expression = expression - slack
        self.model.add_constraints(expression <= rhs, name=name, mask=mask)

    def build(self, closed: np.ndarray | None) -> linopy.Variable:
        """Add variables, the closure, the limits and the objective; return the amounts."""
        p, c, m = self.problem, self.coords, self.model
        upper = _array(p.upper, c, "lever", "start")
        # elastic: a lever's maximum has a slack; with the draws fixed (the LP of the
        # shadow prices), it is a constraint whose dual prices it: a bound has none
        as_row = self.elastic or closed is not None
        hard_upper = xr.where(upper > 0, np.inf, 0.0) if as_row else upper
        x = m.add_variables(lower=_array(p.lower, c, "lever", "start"), upper=hard_upper,
                            name="amount")
        if p.objective == "cvar":
            if not self.elastic:
                self.risk = self._expected_shortfall(x)
        else:
            self._closure(x, closed)
        if as_row:
            self.limit("lever_max", 1.0 * x, upper, mask=upper > 0)
        self._money(x)
        self._capacity(x)
        cost = (x * _array(p.cost / MILLION, c, "lever")).sum()
        self.cost = cost
        if self.elastic:
            # the same expression, in the same order, as before ``cvar`` existed
            m.add_objective(1e-6 * cost + sum(self.penalty[1:], self.penalty[0])
                            if self.penalty else 1e-6 * cost)
        else:
            m.add_objective(cost if self.risk is None else self.risk)
        return x

    def _expected_shortfall(self, x: linopy.Variable) -> linopy.LinearExpression:
        """Add the Rockafellar-Uryasev variables; return the expected shortfall (FTE)."""
        p, c, m = self.problem, self.coords, self.model
        base = _array(p.base_gap, c, "draw", "year", "group")
        gained = self._gained(x)
        short = m.add_variables(lower=0, coords=[c["draw"], c["year"], c["group"]],
                                name="shortfall")
        m.add_constraints(short + gained >= base, name="shortfall_def")
        var = m.add_variables(lower=-np.inf, name="var")
        excess = m.add_variables(lower=0, coords=[c["draw"]], name="excess")
        m.add_constraints(excess - short.sum(["year", "group"]) + var >= 0, name="excess_def")
        return var + excess.sum() / ((1.0 - p.alpha) * len(p.draws))

    def _gained(self, x: linopy.Variable) -> linopy.LinearExpression:
        """``(draw, year, group)`` FTE gained: ``sum_{l, s} R[l, s, d, y, g] x[l, s]``.

        Dense when most (lever, start) pairs reach most groups (as every plan
        before levers in each staff group did: the same expression as then);
        otherwise only the pairs that reach a group are its terms, so levers
        copied into many staff groups (or areas) do not give the solver a
        product of every lever with every group.
        """
        p, c = self.problem, self.coords
        dense = p.dense_response
        reach = (dense != 0).any(axis=(2, 3))  # (lever, start, group)
        if reach.mean() >= SPARSE_BELOW:
            response = _array(dense, c, "lever", "start", "draw", "year", "group")
            return (response * x).sum(["lever", "start"])
        terms = int(reach.sum(axis=(0, 1)).max(initial=1)) or 1
        coeffs = np.zeros((len(p.draws), len(p.years), len(p.groups), terms))
        labels = np.full((len(p.groups), terms), -1, dtype=np.int64)
        names = np.asarray(x.labels.values)
        for g in range(len(p.groups)):
            pairs = np.argwhere(reach[:, :, g])
            for t, (lever, start) in enumerate(pairs):
                coeffs[:, :, g, t] = dense[lever, start, :, :, g]
                labels[g, t] = names[lever, start]
        data = xr.Dataset({"coeffs": (("draw", "year", "group", TERM_DIM), coeffs),
                           "vars": (("group", TERM_DIM), labels)},
                          coords={"draw": c["draw"], "year": c["year"], "group": c["group"]})
        return linopy.LinearExpression(data, self.model)

    def _closure(self, x: linopy.Variable, closed: np.ndarray | None) -> None:
        p, c, m = self.problem, self.coords, self.model
        base = _array(p.base_gap, c, "draw", "year", "group")
        gained = self._gained(x)
        if self.elastic:
            short = m.add_variables(lower=0, coords=[c["draw"], c["year"], c["group"]],
                                    name="slack_closure")
            scale = max(float(np.abs(p.base_gap).max()), 1.0)
            self.penalty.insert(0, CLOSURE_WEIGHT * (short / scale).sum())
            self.slacks["closure"] = short
            gained = gained + short
        if closed is not None or p.required == len(p.draws):
            keep = np.ones(len(p.draws), dtype=bool) if closed is None else closed
            if not self.elastic and (keep & unreachable(p)).any():
                # linopy drops a row without variables: 0 >= gap must fail here
                raise _Infeasible
            mask = _array(np.broadcast_to(keep[:, None, None], p.base_gap.shape), c,
                          "draw", "year", "group")
            m.add_constraints(gained >= base, name="closure", mask=mask)
            return
        big = _array(np.maximum(p.base_gap, 0.0), c, "draw", "year", "group")
        blocked = unreachable(p) if not self.elastic else np.zeros(len(p.draws), dtype=bool)
        if len(p.draws) - int(blocked.sum()) < p.required:
            raise _Infeasible
        z = m.add_variables(coords=[c["draw"]], binary=True, name="closed",
                            upper=_array(np.where(blocked, 0.0, 1.0), c, "draw"))
        m.add_constraints(gained - big * z >= base - big, name="closure")
        m.add_constraints(z.sum() >= p.required, name="draws_closed")

    def _money(self, x: linopy.Variable) -> None:
        p, c = self.problem, self.coords
        spend = (x * _array(p.cost / MILLION, c, "lever")).sum("lever")
        budget = _array(p.budget_per_year / MILLION, c, "start")
        finite = xr.DataArray(np.isfinite(budget.values), coords=budget.coords)
        if bool(finite.any()):
            self.limit("budget_per_year", spend, budget.where(finite, 0.0), mask=finite)
        if p.budget_total is not None:
            self.limit("budget_total", spend.sum(), p.budget_total / MILLION)

    def _capacity(self, x: linopy.Variable) -> None:
        p, c = self.problem, self.coords
        if p.training.any():
            places = (x * _array(p.training.astype(float), c, "lever")).sum("lever")
            if p.training_max is not None:
                self.limit("training_max", places, float(p.training_max))
            if p.training_growth is not None:
                # places before the first start year are 0 (a missing term)
                self.limit("training_growth", places - places.shift(start=1).fillna(0),
                           float(p.training_growth))
        if p.international.any() and p.international_max is not None:
            recruits = (x * _array(p.international.astype(float), c, "lever")).sum("lever")
            self.limit("international_max", recruits, float(p.international_max))


@functools.cache
def _quiet_banner() -> None:
    """Make HiGHS's one banner a process (written to fd 1 by its first instance) go nowhere."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _solve(model: linopy.Model) -> tuple[str, str]:
    # linopy logs an infeasible solve as a warning; it is reported in words instead
    logging.getLogger("linopy").setLevel(logging.ERROR)
    _quiet_banner()
    status, condition = model.solve(solver_name="highs", output_flag=False,
                                    mip_rel_gap=1e-7, progress=False)
    return str(status), str(condition)


def _series(values: xr.DataArray) -> pd.Series:
    if not values.dims:
        return pd.Series([float(values)], index=["total"])
    return values.to_series().dropna()


def solve(problem: Problem, *, elastic: bool = False,
          closed: np.ndarray | None = None) -> Solution | None:
    """Solve the plan; None when it is infeasible (see :func:`solve` with ``elastic``).

    ``closed`` fixes which draws are closed (a boolean per draw): the LP left
    when the binaries are fixed, whose duals are the shadow prices.
    """
    if not elastic and closed is None and large(problem):
        scaled = solve_large(problem)
        if scaled is not None:
            relative = (scaled.cost - scaled.bound) / max(scaled.cost, 1e-9)
            return Solution(scaled.amounts, scaled.cost, scaled.closed, scaled.duals, {},
                            bound=scaled.bound, gap=max(relative, 0.0))
    builder = _Builder(problem, elastic)
    try:
        x = builder.build(closed)
    except _Infeasible:
        return None
    status, condition = _solve(builder.model)
    if condition in ("infeasible", "infeasible_or_unbounded"):
        return None
    if status != "ok":
        raise SolveError(f"HiGHS stopped: status {status}, condition {condition}")
    duals: dict[str, pd.Series] = {}
    risk = None
    if builder.risk is not None:
        risk, duals = _least_cost_at_risk(builder)
    amounts = np.asarray(x.solution.values, dtype=float)
    cost = float((amounts * problem.cost[:, None]).sum())
    gap = problem.predicted_gap(amounts)
    chosen = (gap <= 1e-6 * np.maximum(np.abs(problem.base_gap), 1.0)).all(axis=(1, 2))
    if "closed" in builder.model.variables:
        chosen = np.asarray(builder.model.variables["closed"].solution.values) > 0.5
    if "closed" not in builder.model.variables and risk is None:
        for name in ("budget_per_year", "budget_total", "closure", "training_max",
                     "training_growth", "international_max", "lever_max"):
            if name in builder.model.constraints:
                duals[name] = _series(builder.model.constraints[name].dual)
    slack = {name: _series(var.solution) for name, var in builder.slacks.items()}
    return Solution(amounts, cost, chosen, duals, slack, risk)


def _least_cost_at_risk(builder: _Builder) -> tuple[float, dict[str, pd.Series]]:
    """Second stage of ``cvar``: hold the expected shortfall at its optimum, least cost.

    Returns the optimal expected shortfall (FTE) and the first stage's duals of
    the budgets (FTE of expected shortfall per GBP million).
    """
    model = builder.model
    assert builder.risk is not None
    assert builder.cost is not None
    value = model.objective.value
    assert value is not None  # the first stage was solved to optimality
    risk = float(value)
    duals = {name: _series(model.constraints[name].dual)
             for name in ("budget_per_year", "budget_total") if name in model.constraints}
    model.add_constraints(builder.risk <= risk + RISK_TOLERANCE * max(abs(risk), 1.0),
                          name="risk_held")
    model.add_objective(builder.cost, overwrite=True)
    status, condition = _solve(model)
    if status != "ok":
        raise SolveError(f"HiGHS stopped in the least-cost stage: status {status}, "
                         f"condition {condition}")
    return risk, duals
