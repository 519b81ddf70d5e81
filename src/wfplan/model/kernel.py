"""The vectorised cohort stock-and-flow kernel (headcount by age band).

For each year t = 1..T, in this order (all draws and cells at once)::

    leavers[a]  = S[a] x min(leaver_rate[a] x multiplier x retention[t], 1)
    S[a]       -= leavers[a]                               # survivors
    moved[a]    = S[a] / width[a]       (a < last band)     # ageing
    S[a]       -= moved[a];  S[a + 1] += moved[a]
    S[a]       += J_young[t] x nq_profile[a] + J_other[t] x joiner_profile[a]

so ``sum_a S(t) = sum_a S(t-1) + joiners(t) - leavers(t)``: joiners arrive
after the year's leavers and ageing and do not leave in their first year.

Draws are processed in chunks small enough to stay in cache, optionally on
several threads (NumPy releases the GIL); each chunk writes its own slice of
the outputs, so results do not depend on the number of threads.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

#: Elements in one chunk's state array; sized to stay in a core's L2 cache.
CHUNK_ELEMENTS = 1 << 17

#: A product of factors, each ``(Dx, Tx, Ax, G)`` with Dx, Tx, Ax either 1 or full.
Term = tuple[np.ndarray, ...]
#: A joiner route: the sum of its terms.
Route = tuple[Term, ...]


@dataclass(frozen=True)
class SupplyDrivers:
    """Kernel inputs. State arrays flatten cells (area x staff group) to one axis C.

    Arrays with a leading draw axis may have length 1 there (same in every draw).
    Each route is a sum of products of compact factors, evaluated one block of
    draws and one year at a time, so joiner flows are never materialised in full.
    """

    stock: np.ndarray  # (K, C) base-year headcount by age band
    leaver_rate: np.ndarray  # (K, C)
    leaver_multiplier: np.ndarray  # (Dm, C)
    retention: np.ndarray | None  # (Dr, T+1, A or 1, G) leaver-rate factor
    young_routes: tuple[Route, ...]  # joiners with the newly qualified profile
    general_routes: tuple[Route, ...]  # joiners with the joiner profile
    young_profile: np.ndarray  # (K, C)
    general_profile: np.ndarray  # (K, C)
    ageing_fraction: np.ndarray  # (K-1,) = 1 / band width
    years: int  # T
    areas: int  # A
    groups: int  # G (C = A x G)


@dataclass(frozen=True)
class HeadcountProjection:
    """Kernel outputs: ``supply`` and ``leavers`` are ``(D, T+1, C)``; year-0 leavers are NaN."""

    supply: np.ndarray
    leavers: np.ndarray | None  # None when not asked for
    principal_by_age: np.ndarray  # (T+1, K, C) for draw 0


def _rows(array: np.ndarray, start: int, stop: int) -> np.ndarray:
    return array if array.shape[0] == 1 else array[start:stop]


def factor_at(factor: np.ndarray, start: int, stop: int, t: int) -> np.ndarray:
    """Slice of a ``(Dx, Tx, Ax, G)`` factor for draws ``start:stop`` in year ``t``."""
    rows = _rows(factor, start, stop)
    return rows[:, 0] if factor.shape[1] == 1 else rows[:, t]


def term_at(term: Term, start: int, stop: int, t: int, out: np.ndarray) -> np.ndarray:
    """Evaluate a product of factors into ``out`` (``(rows, A, G)``), left to right."""
    if len(term) == 1:
        np.copyto(out, factor_at(term[0], start, stop, t))
        return out
    np.multiply(factor_at(term[0], start, stop, t), factor_at(term[1], start, stop, t), out=out)
    for factor in term[2:]:
        np.multiply(out, factor_at(factor, start, stop, t), out=out)
    return out


def materialise(route: Route) -> np.ndarray:
    """Return the full ``(D?, T+1, A, G)`` values of a route (the sum of its terms)."""
    total: np.ndarray | None = None
    for term in route:
        value = term[0]
        for factor in term[1:]:
            value = value * factor
        total = value if total is None else total + value
    assert total is not None
    return total


def _needs_clip(drivers: SupplyDrivers) -> bool:
    bound = drivers.leaver_rate.max(axis=0) * drivers.leaver_multiplier.max(axis=0)
    if drivers.retention is not None:
        largest = drivers.retention.max(axis=(0, 1))  # (A or 1, G)
        shape = (drivers.areas, drivers.groups)
        bound = bound * np.broadcast_to(largest, shape).ravel()
    return bool((bound > 1.0 - 1e-12).any())


class _Chunk:
    """State and scratch buffers for a block of draws."""

    def __init__(self, drivers: SupplyDrivers, start: int, stop: int) -> None:
        size = stop - start
        ages, cells = drivers.stock.shape
        self.start, self.stop = start, stop
        self.state = np.empty((ages, size, cells))
        self.state[...] = drivers.stock[:, np.newaxis, :]
        multiplier = _rows(drivers.leaver_multiplier, start, stop)
        self.base_rate = drivers.leaver_rate[:, np.newaxis, :] * multiplier[np.newaxis]
        self.rate = np.empty_like(self.state)
        self.leavers = np.empty_like(self.state)
        self.arrivals = np.empty_like(self.state)
        self.moved = np.empty((max(ages - 1, 0), size, cells))
        grid = (size, drivers.areas, drivers.groups)
        self.joiners, self.route, self.term = (np.empty(grid) for _ in range(3))
        self.total = np.empty((size, cells))
        self.retention = None
        if drivers.retention is not None:
            rows = _rows(drivers.retention, start, stop).shape[0]
            self.retention = np.empty((rows, drivers.areas, drivers.groups))

    def route_at(self, route: Route, t: int) -> np.ndarray:
        """Evaluate one route's joiners in year ``t`` into ``self.route``."""
        term_at(route[0], self.start, self.stop, t, self.route)
        for term in route[1:]:
            self.route += term_at(term, self.start, self.stop, t, self.term)
        return self.route

    def joiners_at(self, routes: tuple[Route, ...], t: int) -> np.ndarray | None:
        """Sum joiners over ``routes`` in year ``t`` as ``(rows, C)``; None if no routes."""
        if not routes:
            return None
        np.copyto(self.joiners, self.route_at(routes[0], t))
        for route in routes[1:]:
            self.joiners += self.route_at(route, t)
        return self.joiners.reshape(self.joiners.shape[0], -1)


def _step(drivers: SupplyDrivers, chunk: _Chunk, t: int, clip: bool) -> np.ndarray:
    """Advance one chunk by one year; return the leavers by age."""
    rate = chunk.base_rate
    if drivers.retention is not None and chunk.retention is not None:
        np.copyto(chunk.retention, factor_at(drivers.retention, chunk.start, chunk.stop, t))
        np.multiply(rate, chunk.retention.reshape(chunk.retention.shape[0], -1), out=chunk.rate)
        rate = chunk.rate
    if clip:
        np.minimum(rate, 1.0, out=chunk.rate)
        rate = chunk.rate
    state = chunk.state
    np.multiply(state, rate, out=chunk.leavers)
    state -= chunk.leavers
    if state.shape[0] > 1:
        np.multiply(state[:-1], drivers.ageing_fraction[:, np.newaxis, np.newaxis], out=chunk.moved)
        state[:-1] -= chunk.moved
        state[1:] += chunk.moved
    for routes, profile in (
        (drivers.young_routes, drivers.young_profile),
        (drivers.general_routes, drivers.general_profile),
    ):
        joiners = chunk.joiners_at(routes, t)
        if joiners is not None:
            np.multiply(joiners, profile[:, np.newaxis, :], out=chunk.arrivals)
            state += chunk.arrivals
    return chunk.leavers


def _run_chunk(
    drivers: SupplyDrivers, start: int, stop: int, clip: bool, out: HeadcountProjection
) -> None:
    chunk = _Chunk(drivers, start, stop)
    # sums go to a contiguous buffer first: reducing into a strided slice is slower
    out.supply[start:stop, 0] = np.sum(chunk.state, axis=0, out=chunk.total)
    if start == 0:
        out.principal_by_age[0] = chunk.state[:, 0, :]
    for t in range(1, drivers.years + 1):
        leavers = _step(drivers, chunk, t, clip)
        if out.leavers is not None:
            out.leavers[start:stop, t] = np.sum(leavers, axis=0, out=chunk.total)
        out.supply[start:stop, t] = np.sum(chunk.state, axis=0, out=chunk.total)
        if start == 0:
            out.principal_by_age[t] = chunk.state[:, 0, :]


def default_workers() -> int:
    """Threads used by default: the CPUs this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def project_headcount(
    drivers: SupplyDrivers,
    total_draws: int,
    workers: int | None = None,
    *,
    with_leavers: bool = True,
) -> HeadcountProjection:
    """Project headcount for ``total_draws`` draws (principal first).

    Parameters
    ----------
    drivers
        Kernel inputs.
    total_draws
        Draws to project (1 when no supply driver varies by draw).
    workers
        Threads (default: the CPUs available); results do not depend on it.
    with_leavers
        Whether to return leavers (the counterfactual run does not need them).
    """
    ages, cells = drivers.stock.shape
    years = drivers.years
    leavers = np.empty((total_draws, years + 1, cells)) if with_leavers else None
    if leavers is not None:
        leavers[:, 0] = np.nan
    out = HeadcountProjection(
        supply=np.empty((total_draws, years + 1, cells)),
        leavers=leavers,
        principal_by_age=np.empty((years + 1, ages, cells)),
    )
    size = max(1, CHUNK_ELEMENTS // max(ages * cells, 1))
    starts = range(0, total_draws, size)
    clip = _needs_clip(drivers)
    workers = default_workers() if workers is None else max(1, workers)
    if workers == 1 or len(starts) == 1:
        for start in starts:
            _run_chunk(drivers, start, min(start + size, total_draws), clip, out)
        return out
    with ThreadPoolExecutor(max_workers=workers) as pool:
        jobs = [
            pool.submit(_run_chunk, drivers, start, min(start + size, total_draws), clip, out)
            for start in starts
        ]
        for job in jobs:
            job.result()
    return out
