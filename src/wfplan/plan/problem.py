"""The optimisation problem as arrays, and the number of draws a chance constraint needs.

:class:`Problem` is what the solver (:mod:`wfplan.plan.solve`) reads: the gap
without the plan's levers in every draw, target year and staff group, and the
response of that gap to one unit of each lever started in each year, per draw,
computed from the model itself (:mod:`wfplan.plan.response`) or, in tests,
written by hand. Money is in GBP here; the solver works in GBP million.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from wfplan.plan.sparse import SparseResponse


def required_draws(probability: float, draws: int) -> int:
    """Draws that must be closed so that the gap's ``probability`` quantile is at most 0.

    At least ``ceil(p x N)`` of the N draws; and, so that the model's own
    percentile (NumPy's linear interpolation over the N draws, as the results
    report it) is closed too, the draw at position ``ceil(p x (N - 1))`` of the
    sorted gaps must be closed: ``ceil(p x (N - 1)) + 1`` draws, never fewer
    than ``ceil(p x N)``, never more than N.
    """
    if draws <= 1:
        return draws
    position = math.ceil(probability * (draws - 1) - 1e-9)
    return min(draws, max(position + 1, math.ceil(probability * draws - 1e-9)))


def shortfall(gap: np.ndarray) -> np.ndarray:
    """``(draw,)`` FTE short in each draw: the positive part of the gap, summed over cells.

    A surplus in one target year or staff group does not offset a gap in another.
    """
    return np.asarray(np.maximum(gap, 0.0).sum(axis=(1, 2)))


def expected_shortfall(gap: np.ndarray, alpha: float) -> float:
    """CVaR at level ``alpha`` of the draws' shortfall (:func:`shortfall`) of ``gap``.

    The Rockafellar-Uryasev form over the N equally likely draws,
    ``min_t t + sum_d max(L_d - t, 0) / ((1 - alpha) N)``, whose minimum is at
    one of the ``L_d`` (the function is convex and piecewise linear in ``t``
    with its kinks there): the mean of the worst ``(1 - alpha)`` of the draws,
    the draw on the boundary counted in part.
    """
    losses = shortfall(gap)
    scale = 1.0 / ((1.0 - alpha) * len(losses))
    excess = np.maximum(losses[None, :] - losses[:, None], 0.0).sum(axis=1)
    return float((losses + scale * excess).min())


@dataclass(frozen=True)
class Problem:
    """A least-cost plan over levers x start years, closing the gap in enough draws.

    Attributes
    ----------
    levers, lever_types
        Lever names and their intervention types.
    start_years
        Calendar years a unit may start (the union over levers).
    draws
        Labels of the draws the sample average runs over (1..N, or 0 alone).
    years, groups
        Target years and staff groups.
    base_gap
        ``(draw, year, group)`` FTE gap without the plan's levers.
    response
        ``(lever, start, draw, year, group)`` FTE of supply per unit started.
    cost
        ``(lever,)`` GBP per unit started (charged in the start year).
    lower, upper
        ``(lever, start)`` units a year; upper is 0 where the lever may not start.
    required
        Draws that must be closed (:func:`required_draws`).
    budget_per_year
        ``(start,)`` GBP a year (inf: no limit); ``budget_total`` GBP or None.
    training, international
        ``(lever,)`` masks of training-place and international-recruitment levers.
    training_max, training_growth, international_max
        Units a year, or None for no limit.
    objective, alpha
        ``"least_cost"``: the least cost that closes ``required`` draws;
        ``"cvar"``: the least expected shortfall at level ``alpha``
        (:func:`expected_shortfall`) within the limits, then the least cost
        that achieves it (``required`` is not used).
    """

    levers: tuple[str, ...]
    lever_types: tuple[str, ...]
    start_years: tuple[int, ...]
    draws: tuple[int, ...]
    years: tuple[int, ...]
    groups: tuple[str, ...]
    base_gap: np.ndarray
    response: np.ndarray | SparseResponse
    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    required: int
    budget_per_year: np.ndarray
    budget_total: float | None = None
    training: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    international: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    training_max: float | None = None
    training_growth: float | None = None
    international_max: float | None = None
    objective: str = "least_cost"
    alpha: float = 0.5

    def __post_init__(self) -> None:
        """Check the shapes agree (a programming error otherwise)."""
        shape = (len(self.levers), len(self.start_years), len(self.draws), len(self.years),
                 len(self.groups))
        assert self.response.shape == shape, (self.response.shape, shape)
        assert self.base_gap.shape == shape[2:]
        assert self.lower.shape == self.upper.shape == shape[:2]
        assert self.budget_per_year.shape == shape[1:2]
        assert 0 <= self.required <= len(self.draws)
        assert self.objective in ("least_cost", "cvar")
        assert 0 < self.alpha < 1
        for mask in ("training", "international"):
            if len(getattr(self, mask)) == 0:
                object.__setattr__(self, mask, np.zeros(len(self.levers), dtype=bool))

    @property
    def dense_response(self) -> np.ndarray:
        """The response as a dense ``(lever, start, draw, year, group)`` array."""
        if isinstance(self.response, SparseResponse):
            return self.response.dense()
        return self.response

    def positive(self) -> np.ndarray:
        """``(draw, year, group)``: True where some lever's response is above 0."""
        if isinstance(self.response, SparseResponse):
            return self.response.any_positive()
        return np.asarray(self.response.max(axis=(0, 1), initial=0.0) > 0)

    def lead_time(self, lever: int) -> int | None:
        """Years from a unit's start to its first FTE in a target year (None: never)."""
        if isinstance(self.response, SparseResponse):
            gains = self.response.reaches_with_gain()[lever]  # (start, year)
        else:
            gains = self.response[lever].max(axis=(1, 3)) > 0
        delays = [year - start for s, start in enumerate(self.start_years)
                  for y, year in enumerate(self.years) if gains[s, y]]
        return min(delays) if delays else None

    def predicted_gap(self, amounts: np.ndarray) -> np.ndarray:
        """``(draw, year, group)`` gap after ``amounts`` ``(lever, start)``: base - response."""
        if isinstance(self.response, SparseResponse):
            gained = self.response.gained(amounts)
        else:
            gained = np.einsum("lsdyg,ls->dyg", self.response, amounts)
        return np.asarray(self.base_gap - gained)
