"""The least-cost plan at scale: an LP over a chosen set of draws, rows generated, and a bound.

The exact sample average approximation of a chance constraint is a MILP with
one binary a draw (:mod:`wfplan.plan.solve`); with 1,000 draws and hundreds of
target cells HiGHS cannot finish it in minutes. This path gives a feasible SAA
plan and a proven bound on how far its cost is from the MILP's optimum:

1. **Row generation.** For a set ``S`` of draws to close, the LP
   ``min cost s.t. gained[d, y, c] >= gap0[d, y, c] for d in S`` (with every
   limit) is solved with only some closure rows: each draw's largest gap per
   cell at first, then the rows the solution violates, until none is violated.
   Its optimum is then the LP's over every row of ``S`` (a relaxation whose
   solution is feasible).
2. **Choosing the draws.** ``S`` starts as every draw (when that LP is
   feasible; else the draws with the smallest base shortfall). At the LP's plan
   ``x`` each draw's scale ``t[d] = max_{y, c} gap0 / gained`` says how much of
   ``x`` it needs (``t <= 1``: closed). ``S`` becomes the ``required`` draws of
   smallest ``t``: all of them closed by ``x``, so the next LP costs no more.
   This repeats until ``S`` stops changing (at most :data:`ROUNDS` times).
   The plan closes at least ``required`` draws, checked on every draw and
   cell: the chosen probability is met on the sampled draws.
3. **The bound.** Budgets and caps left out, the cheapest way to close draw
   ``d`` in one component ``K`` of cells (cells joined by a lever they share)
   is at least a Lagrangian bound ``v[d, K]`` (projected subgradient, any
   multipliers >= 0 give a valid bound). A plan closing ``required`` draws
   costs at least the ``required``-th smallest of ``sum_K v[d, K]`` over the
   draws, and at least ``sum_K`` of the ``required``-th smallest ``v[d, K]``:
   the larger is the lower bound, and ``(cost - bound) / cost`` the gap
   stated (:attr:`Solution.gap`). The plan is optimal when the gap is 0.

The shadow prices are the duals of the last LP: the LP left when the draws
closed are fixed at ``S``, as with the MILP.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd

from wfplan.plan.bound import lower_bound, scale, tolerance
from wfplan.plan.problem import Problem
from wfplan.plan.sparse import SparseResponse

MILLION = 1e6
#: Above this many (draw x target cell) the scalable path is used instead of the MILP.
EXACT_MAX = 2000
#: Rounds of choosing the draws, at most.
ROUNDS = 12
#: Swaps of one draw closed for one open tried, at most.
SWAPS = 40
#: Swaps not kept in a row after which no more are tried.
STALE_SWAPS = 10
#: Rounds of row generation in one LP, at most.
ROW_ROUNDS = 50
#: HiGHS options of every LP here (the simplex, presolve on, one thread: the machine is shared).
OPTIONS = {"output_flag": False, "presolve": "on", "threads": 1, "solver": "simplex"}


def large(problem: Problem) -> bool:
    """Say whether the least-cost problem is too big for the exact MILP (:data:`EXACT_MAX`)."""
    cells = len(problem.draws) * len(problem.years) * len(problem.groups)
    return problem.objective == "least_cost" and cells > EXACT_MAX


@dataclass(frozen=True)
class Result:
    """A feasible plan of the scalable path, its LP's duals, and the bound."""

    amounts: np.ndarray
    cost: float
    closed: np.ndarray
    duals: dict[str, pd.Series]
    bound: float
    rounds: int


class _Lp:
    """One HiGHS LP: the amounts, the limits, and closure rows added as they are needed."""

    def __init__(self, problem: Problem, response: SparseResponse) -> None:
        self.problem, self.response = problem, response
        self.levers, self.starts = problem.lower.shape
        n = self.levers * self.starts
        self.highs = highspy.Highs()
        for key, value in OPTIONS.items():
            self.highs.setOptionValue(key, value)  # type: ignore[arg-type]
        self.highs.addVars(n, problem.lower.ravel().astype(float),
                           problem.upper.ravel().astype(float))
        cost = np.repeat(problem.cost / MILLION, self.starts)
        self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), cost.astype(float))
        self.rows: dict[str, tuple[int, pd.Index]] = {}
        self.closure: list[np.ndarray] = []
        self.has_rows = np.zeros(len(problem.draws), dtype=bool)
        self.by_cell: list[list[tuple[int, int]]] = [[] for _ in problem.groups]
        for lever, own in enumerate(response.cells):
            for k, cell in enumerate(own):
                self.by_cell[int(cell)].append((lever, k))
        self._limits()

    def _rows(self, lower: np.ndarray, upper: np.ndarray, rows: np.ndarray, cols: np.ndarray,
              data: np.ndarray) -> None:
        """Add ``len(lower)`` rows from their non-zeros, sorted by row."""
        starts = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(lower)))])
        self.highs.addRows(len(lower), lower.astype(float), upper.astype(float), len(data),
                           starts[:-1].astype(np.int32), cols.astype(np.int32),
                           data.astype(float))

    def _add(self, name: str, matrix: np.ndarray, upper: np.ndarray, index: pd.Index) -> None:
        """Add the rows ``matrix x <= upper`` of a limit group (a small dense matrix)."""
        self.rows[name] = (self.highs.getNumRow(), index)
        rows, cols = np.nonzero(matrix)
        self._rows(np.full(len(upper), -np.inf), upper, rows, cols, matrix[rows, cols])

    def _limits(self) -> None:
        """Add the budgets, training capacity and growth, and the ethical cap (as the MILP's)."""
        p, s = self.problem, self.starts
        per_year = np.kron(p.cost[None, :] / MILLION, np.eye(s))  # (start, lever x start)
        finite = np.isfinite(p.budget_per_year)
        years = pd.Index(list(p.start_years), name="start")
        if finite.any():
            self._add("budget_per_year", per_year[finite], p.budget_per_year[finite] / MILLION,
                      years[finite])
        if p.budget_total is not None:
            self._add("budget_total", per_year.sum(axis=0, keepdims=True),
                      np.array([p.budget_total / MILLION]), pd.Index(["total"]))
        places = np.kron(p.training[None, :].astype(float), np.eye(s))
        if p.training.any() and p.training_max is not None:
            self._add("training_max", places, np.full(s, p.training_max), years)
        if p.training.any() and p.training_growth is not None:
            shift = np.eye(s) - np.eye(s, k=-1)  # places before the first start: 0
            self._add("training_growth", shift @ places, np.full(s, p.training_growth), years)
        if p.international.any() and p.international_max is not None:
            recruits = np.kron(p.international[None, :].astype(float), np.eye(s))
            self._add("international_max", recruits, np.full(s, p.international_max), years)

    def add_closure(self, keys: np.ndarray) -> None:
        """Add the rows ``gained >= gap0`` of ``keys`` ``(n, 3)``: draw, year, cell indices."""
        order, rows, cols, data = [], [], [], []
        offset = 0
        for cell in np.unique(keys[:, 2]):
            chosen = keys[keys[:, 2] == cell]
            parts, columns = [], []
            for lever, k in self.by_cell[int(cell)]:
                parts.append(self.response.values[lever][:, chosen[:, 0], chosen[:, 1], k].T)
                columns.append(lever * self.starts + np.arange(self.starts))
            if parts:
                coeffs, where = np.hstack(parts), np.concatenate(columns)
                r, c = np.nonzero(coeffs)
                rows.append(offset + r)
                cols.append(where[c])
                data.append(coeffs[r, c])
            order.append(chosen)
            offset += len(chosen)
        keys = np.vstack(order)
        self.closure.append(keys)
        self.has_rows[keys[:, 0]] = True
        gap = self.problem.base_gap[keys[:, 0], keys[:, 1], keys[:, 2]]
        empty = np.zeros(0, dtype=np.int64)
        self._rows(gap, np.full(len(keys), np.inf), np.concatenate(rows or [empty]),
                   np.concatenate(cols or [empty]), np.concatenate(data or [np.zeros(0)]))

    def choose(self, chosen: np.ndarray) -> None:
        """Switch the closure rows of draws not ``chosen`` off (their lower bound -inf)."""
        if not self.closure:
            return
        keys = np.vstack(self.closure)
        first = self.highs.getNumRow() - len(keys)
        gap = self.problem.base_gap[keys[:, 0], keys[:, 1], keys[:, 2]]
        lower = np.where(chosen[keys[:, 0]], gap, -np.inf).astype(float)
        rows = np.arange(first, first + len(keys), dtype=np.int32)
        self.highs.changeRowsBounds(  # type: ignore[attr-defined]  # not in the stubs
            len(keys), rows, lower, np.full(len(keys), np.inf))

    def run(self) -> np.ndarray | None:
        """Solve; the amounts ``(lever, start)``, or None when the LP is infeasible."""
        self.highs.run()
        status = self.highs.modelStatusToString(self.highs.getModelStatus())
        if status != "Optimal":
            if "nfeasible" in status:
                return None
            raise RuntimeError(f"HiGHS stopped in the LP: {status}")
        values = np.asarray(self.highs.getSolution().col_value, dtype=float)
        return values.reshape(self.levers, self.starts)

    def duals(self) -> dict[str, pd.Series]:
        """Row duals by constraint group (GBP million per unit of right-hand side)."""
        row_dual = np.asarray(self.highs.getSolution().row_dual, dtype=float)
        out = {name: pd.Series(row_dual[first:first + len(index)], index=index)
               for name, (first, index) in self.rows.items()}
        if self.closure:
            keys = np.vstack(self.closure)
            first = self.highs.getNumRow() - len(keys)
            p = self.problem
            index = pd.MultiIndex.from_arrays(
                [np.asarray(p.draws)[keys[:, 0]], np.asarray(p.years)[keys[:, 1]],
                 np.asarray(p.groups)[keys[:, 2]]], names=["draw", "year", "group"])
            out["closure"] = pd.Series(row_dual[first:], index=index)
        return out


def _first_rows(problem: Problem, chosen: np.ndarray) -> np.ndarray:
    """Each chosen draw's first closure rows: per cell, its largest and its first gap."""
    gap = problem.base_gap
    rows = []
    for pick in (np.argmax(gap, axis=1), np.argmax(gap > 0, axis=1)):  # (draw, cell)
        d, c = np.nonzero(chosen[:, None] & (gap.max(axis=1) > 0))
        rows.append(np.stack([d, pick[d, c], c], axis=1))
    return np.unique(np.vstack(rows), axis=0)


def close_draws(problem: Problem, response: SparseResponse, chosen: np.ndarray,
                lp: _Lp | None = None) -> tuple[np.ndarray, _Lp] | None:
    """Return the least-cost amounts closing every draw in ``chosen``; None: there are none.

    ``lp`` (an earlier LP of the problem) is reused: its rows of draws not
    chosen are switched off, and HiGHS starts from its last basis.
    """
    lp = lp if lp is not None else _Lp(problem, response)
    rows = _first_rows(problem, chosen & ~lp.has_rows)
    lp.choose(chosen)
    if len(rows):
        lp.add_closure(rows)
    slack = tolerance(problem)
    for _ in range(ROW_ROUNDS):
        amounts = lp.run()
        if amounts is None:
            return None
        short = problem.base_gap - response.gained(amounts) - slack
        short[~chosen] = 0.0
        if not (short > 0).any():
            return amounts, lp
        # the most violated year of each (draw, cell) that is violated
        worst = short.argmax(axis=1)
        d, c = np.nonzero(short.max(axis=1) > 0)
        lp.add_closure(np.stack([d, worst[d, c], c], axis=1))
    raise RuntimeError("row generation did not converge")


def _start(problem: Problem, response: SparseResponse) -> tuple[np.ndarray, _Lp] | None:
    """Return the first plan: every draw closed, else the draws with the smallest base shortfall."""
    everything = np.ones(len(problem.draws), dtype=bool)
    first = close_draws(problem, response, everything)
    if first is not None or problem.required == len(problem.draws):
        return first
    spread = np.maximum(problem.base_gap, 0.0).max(axis=1)  # (draw, cell)
    score = (spread / np.maximum(spread.mean(axis=0), 1e-9)).sum(axis=1)
    chosen = np.zeros(len(problem.draws), dtype=bool)
    chosen[np.argsort(score, kind="stable")[: problem.required]] = True
    return close_draws(problem, response, chosen)


def _draw_weight(problem: Problem, duals: dict[str, pd.Series]) -> np.ndarray:
    """``(draw,)``: the sum of the absolute duals of each draw's closure rows."""
    closure = duals["closure"]
    weight = np.zeros(len(problem.draws))
    index = np.searchsorted(np.asarray(problem.draws),
                            closure.index.get_level_values("draw").to_numpy())
    np.add.at(weight, index, np.abs(closure.to_numpy()))
    return weight


def _swaps(problem: Problem, response: SparseResponse, lp: _Lp, amounts: np.ndarray,
           chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, pd.Series]]:
    """Swap the draw dearest to keep closed (its rows' duals) for the nearest open one.

    A swap is kept when the LP costs less; at most :data:`SWAPS` are tried,
    and none after :data:`STALE_SWAPS` in a row were not kept.
    Returns the amounts, the draws chosen and the duals of the LP kept.
    """
    cost = float((amounts * problem.cost[:, None]).sum())
    tried = np.zeros(len(problem.draws), dtype=bool)
    duals = lp.duals()
    weight = _draw_weight(problem, duals)
    need = scale(problem, response, amounts)
    rejected = 0
    for _ in range(SWAPS):
        open_need = np.where(chosen, np.inf, need)
        out = int(np.argmax(np.where(~chosen | tried, -1.0, weight)))
        into = int(np.argmin(open_need))
        if tried[out] or weight[out] <= 0 or not np.isfinite(open_need[into]) \
                or rejected >= STALE_SWAPS:
            break
        tried[out] = True
        trial = chosen.copy()
        trial[out], trial[into] = False, True
        step = close_draws(problem, response, trial, lp)
        new_cost = np.inf if step is None else float((step[0] * problem.cost[:, None]).sum())
        rejected += 1
        if step is not None and new_cost < cost * (1 - 1e-9):
            rejected = 0
            amounts, chosen, cost = step[0], trial, new_cost
            duals = lp.duals()
            weight = _draw_weight(problem, duals)
            need = scale(problem, response, amounts)
    return amounts, chosen, duals


def solve_large(problem: Problem) -> Result | None:
    """Return a feasible SAA plan with its bound (module docstring); None: no start found.

    None does not prove the plan infeasible: the caller falls back to the MILP.
    """
    response = problem.response if isinstance(problem.response, SparseResponse) \
        else SparseResponse.from_dense(problem.response)
    start = _start(problem, response)
    if start is None:
        return None
    amounts, lp = start
    rounds = 0
    chosen = scale(problem, response, amounts) <= 1.0
    while problem.required < len(problem.draws) and rounds < ROUNDS:
        rounds += 1
        need = scale(problem, response, amounts)
        pick = np.zeros(len(problem.draws), dtype=bool)
        pick[np.argsort(need, kind="stable")[: problem.required]] = True
        if (pick == chosen).all():
            break
        chosen = pick
        step = close_draws(problem, response, chosen, lp)
        assert step is not None  # the last plan closes every draw chosen
        amounts, lp = step
    duals = lp.duals()
    if problem.required < len(problem.draws):
        amounts, chosen, duals = _swaps(problem, response, lp, amounts, chosen)
    keep = np.isin(duals["closure"].index.get_level_values("draw"),
                   np.asarray(problem.draws)[chosen])
    duals["closure"] = duals["closure"][keep]  # rows of the draws fixed closed
    cost = float((amounts * problem.cost[:, None]).sum())
    closed = (problem.predicted_gap(amounts) <= tolerance(problem)).all(axis=(1, 2))
    assert closed.sum() >= problem.required, (closed.sum(), problem.required)
    # every draw closed: an LP, solved to optimality
    bound = cost if problem.required == len(problem.draws) else \
        min(lower_bound(problem, response, amounts), cost)
    return Result(amounts, cost, np.asarray(closed), duals, bound, rounds)
