"""A lower bound on the least cost of closing ``required`` draws (the MILP's optimum).

Budgets and caps left out (a relaxation), cells that share no lever are
independent: a *component* is a set of cells joined by levers that reach more
than one of them. For a draw ``d`` and a component ``K`` the least cost of
closing ``d`` in ``K`` alone is an LP,
``min c.x s.t. R[d] x >= gap0[d], lower <= x <= upper``; any multipliers
``lam >= 0`` of its rows give a bound (the Lagrangian dual)::

    v[d, K] >= lam.gap0[d] + sum_j min over x_j in [lower_j, upper_j] of (c_j - lam.R[d, :, j]) x_j

``lam`` is improved by projected subgradient steps (Polyak's, aimed at the
plan's own cost), all draws at once; the best value met is kept, so the bound
is valid whatever the iterations' progress. A plan closing ``required`` draws
closes each of them in every component, so its cost is at least the
``required``-th smallest of ``sum_K v[d, K]``; the draws closed being the same in
every component only raises the cost, so it is also at least the sum over
components of each one's ``required``-th smallest ``v[d, K]``. The bound is the
larger of the two.
"""

from __future__ import annotations

import numpy as np

from wfplan.plan.problem import Problem
from wfplan.plan.sparse import SparseResponse

#: Subgradient iterations of the Lagrangian bound.
ITERATIONS = 120
#: Amount used for an unbounded lever's subgradient (its bound term is then -inf).
UNBOUNDED = 1e7


def tolerance(problem: Problem) -> np.ndarray:
    """``(draw, year, cell)`` FTE within which a gap counts as closed (as the MILP's check)."""
    return np.asarray(1e-6 * np.maximum(np.abs(problem.base_gap), 1.0))


def scale(problem: Problem, response: SparseResponse, amounts: np.ndarray) -> np.ndarray:
    """``(draw,)``: the multiple of ``amounts`` each draw needs to close (<= 1: closed)."""
    gap = problem.base_gap - tolerance(problem)
    gained = response.gained(amounts)
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where(gap > 0, gap / gained, 0.0)
    need = np.where((gap > 0) & (gained <= 0), np.inf, need)
    return np.asarray(need.max(axis=(1, 2)))


def components(response: SparseResponse) -> list[np.ndarray]:
    """Return the cells joined by a lever reaching more than one of them (sorted index arrays)."""
    parent = list(range(response.shape[4]))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for own in response.cells:
        for cell in own[1:]:
            parent[root(int(cell))] = root(int(own[0]))
    roots = np.array([root(i) for i in range(len(parent))])
    return [np.flatnonzero(roots == r) for r in np.unique(roots)]


def _block(problem: Problem, response: SparseResponse,
           cells: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``R (j, draw, row)``, cost, lower and upper of the columns reaching ``cells``."""
    draws, years = len(problem.draws), len(problem.years)
    parts, cost, lower, upper = [], [], [], []
    for lever, own in enumerate(response.cells):
        where = np.isin(own, cells)
        if not where.any():
            continue
        for s in range(response.shape[1]):
            if problem.upper[lever, s] <= 0 and problem.lower[lever, s] <= 0:
                continue
            values = np.zeros((draws, years, len(cells)))
            values[:, :, np.searchsorted(cells, own[where])] = \
                response.values[lever][s][:, :, where]
            parts.append(values.reshape(draws, -1))
            cost.append(problem.cost[lever])
            lower.append(problem.lower[lever, s])
            upper.append(problem.upper[lever, s])
    if not parts:
        return np.zeros((0, draws, years * len(cells))), *(np.zeros(0),) * 3
    return np.stack(parts), np.array(cost), np.array(lower), np.array(upper)


def component_bound(problem: Problem, response: SparseResponse, cells: np.ndarray,
                    target: np.ndarray) -> np.ndarray:
    """``(draw,)`` GBP: a lower bound on the least cost of closing each draw in ``cells``.

    ``target`` ``(draw,)`` is the step's aim (an estimate of the optimum above it).
    """
    R, cost, lower, upper = _block(problem, response, cells)
    by_draw = np.ascontiguousarray(R.transpose(1, 0, 2))  # (draw, j, row): batched products
    by_row = np.ascontiguousarray(R.transpose(1, 2, 0))  # (draw, row, j)
    gap = problem.base_gap[:, :, cells].reshape(len(problem.draws), -1)
    lam = np.zeros_like(gap)
    best = np.full(len(problem.draws), float((cost * lower).sum()))  # lam = 0
    theta = np.full(len(problem.draws), 1.0)
    stale = np.zeros(len(problem.draws), dtype=int)
    finite_upper = np.where(np.isfinite(upper), upper, UNBOUNDED)[:, None]
    for _ in range(ITERATIONS):
        reduced = cost[:, None] - np.matmul(by_draw, lam[:, :, None])[:, :, 0].T
        below = reduced < 0
        x = np.where(below, finite_upper, lower[:, None])
        term = np.where(below & ~np.isfinite(upper)[:, None], -np.inf, reduced * x)
        value = (lam * gap).sum(axis=1) + term.sum(axis=0)
        better = value > best + 1e-9 * np.abs(best)
        stale = np.where(better, 0, stale + 1)
        best = np.maximum(best, value)
        theta = np.where(stale >= 8, theta / 2, theta)
        stale = np.where(stale >= 8, 0, stale)
        slope = gap - np.matmul(by_row, x.T[:, :, None])[:, :, 0]
        norm = (slope**2).sum(axis=1)
        aim = np.maximum(target, best + 1e-6 * np.abs(best) + 1e-9)
        step = np.where(norm > 0, theta * (aim - np.where(np.isfinite(value), value, best))
                        / np.where(norm > 0, norm, 1.0), 0.0)
        lam = np.maximum(lam + step[:, None] * slope, 0.0)
    return best


def lower_bound(problem: Problem, response: SparseResponse, amounts: np.ndarray) -> float:
    """GBP: a lower bound on the cost of any plan closing ``problem.required`` draws.

    ``amounts`` (a feasible plan) aims the subgradient steps: its cost in each
    component, scaled by how much of it each draw needs.
    """
    k = problem.required
    reached = np.zeros(len(problem.levers), dtype=bool)
    need = np.clip(scale(problem, response, amounts), 1.0, 10.0)
    values = []
    for cells in components(response):
        inside = np.array([np.isin(own, cells).any() for own in response.cells])
        reached |= inside
        spent = float((amounts[inside] * problem.cost[inside, None]).sum())
        values.append(component_bound(problem, response, cells, spent * need))
    forced = float((problem.lower[~reached] * problem.cost[~reached, None]).sum())
    if k == 0 or not values:
        return forced + sum(float(v.min(initial=0.0)) for v in values)
    table = np.stack(values, axis=1)  # (draw, component)
    joint = float(np.sort(table.sum(axis=1))[k - 1])
    separate = float(np.sort(table, axis=0)[k - 1].sum())
    return forced + max(joint, separate)
