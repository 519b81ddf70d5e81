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


@dataclass(frozen=True)
class SupplyDrivers:
    """Kernel inputs, with cells (area x staff group) flattened to one axis C.

    Arrays with a leading draw axis may have length 1 there (same in every draw).
    Route arrays are ``(Dp, T+1, C)``; entry ``t`` is the joiners arriving in year t.
    """

    stock: np.ndarray  # (K, C) base-year headcount by age band
    leaver_rate: np.ndarray  # (K, C)
    leaver_multiplier: np.ndarray  # (Dm, C)
    retention: np.ndarray | None  # (Dr, T+1, C) leaver-rate factor
    young_routes: tuple[np.ndarray, ...]  # joiners with the newly qualified profile
    general_routes: tuple[np.ndarray, ...]  # joiners with the joiner profile
    young_profile: np.ndarray  # (K, C)
    general_profile: np.ndarray  # (K, C)
    ageing_fraction: np.ndarray  # (K-1,) = 1 / band width
    years: int  # T


@dataclass(frozen=True)
class HeadcountProjection:
    """Kernel outputs: ``supply`` and ``leavers`` are ``(D, T+1, C)``; year-0 leavers are NaN."""

    supply: np.ndarray
    leavers: np.ndarray
    principal_by_age: np.ndarray  # (T+1, K, C) for draw 0


def _rows(array: np.ndarray, start: int, stop: int) -> np.ndarray:
    return array if array.shape[0] == 1 else array[start:stop]


def _needs_clip(drivers: SupplyDrivers) -> bool:
    bound = drivers.leaver_rate.max(axis=0) * drivers.leaver_multiplier.max(axis=0)
    if drivers.retention is not None:
        bound = bound * drivers.retention.max(axis=(0, 1))
    return bool((bound > 1.0 - 1e-12).any())


def _sum_routes(routes: tuple[np.ndarray, ...], rows: slice, t: int, out: np.ndarray) -> bool:
    if not routes:
        return False
    np.copyto(out, _rows(routes[0], rows.start, rows.stop)[:, t])
    for route in routes[1:]:
        out += _rows(route, rows.start, rows.stop)[:, t]
    return True


class _Chunk:
    """State and scratch buffers for a block of draws."""

    def __init__(self, drivers: SupplyDrivers, start: int, stop: int) -> None:
        size = stop - start
        ages, cells = drivers.stock.shape
        self.rows = slice(start, stop)
        self.state = np.empty((ages, size, cells))
        self.state[...] = drivers.stock[:, np.newaxis, :]
        multiplier = _rows(drivers.leaver_multiplier, start, stop)
        self.base_rate = drivers.leaver_rate[:, np.newaxis, :] * multiplier[np.newaxis]
        self.rate = np.empty_like(self.state)
        self.leavers = np.empty_like(self.state)
        self.arrivals = np.empty_like(self.state)
        self.moved = np.empty((max(ages - 1, 0), size, cells))
        self.joiners = np.empty((size, cells))


def _step(drivers: SupplyDrivers, chunk: _Chunk, t: int, clip: bool) -> np.ndarray:
    """Advance one chunk by one year; return the leavers by age."""
    rate = chunk.base_rate
    if drivers.retention is not None:
        np.multiply(
            rate, _rows(drivers.retention, chunk.rows.start, chunk.rows.stop)[:, t], out=chunk.rate
        )
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
        if _sum_routes(routes, chunk.rows, t, chunk.joiners):
            np.multiply(chunk.joiners, profile[:, np.newaxis, :], out=chunk.arrivals)
            state += chunk.arrivals
    return chunk.leavers


def _run_chunk(
    drivers: SupplyDrivers, start: int, stop: int, clip: bool, out: HeadcountProjection
) -> None:
    chunk = _Chunk(drivers, start, stop)
    np.sum(chunk.state, axis=0, out=out.supply[start:stop, 0])
    if start == 0:
        out.principal_by_age[0] = chunk.state[:, 0, :]
    for t in range(1, drivers.years + 1):
        leavers = _step(drivers, chunk, t, clip)
        np.sum(leavers, axis=0, out=out.leavers[start:stop, t])
        np.sum(chunk.state, axis=0, out=out.supply[start:stop, t])
        if start == 0:
            out.principal_by_age[t] = chunk.state[:, 0, :]


def default_workers() -> int:
    """Threads used by default: the CPUs this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def project_headcount(
    drivers: SupplyDrivers, total_draws: int, workers: int | None = None
) -> HeadcountProjection:
    """Project headcount for ``total_draws`` draws (principal first)."""
    ages, cells = drivers.stock.shape
    years = drivers.years
    out = HeadcountProjection(
        supply=np.empty((total_draws, years + 1, cells)),
        leavers=np.empty((total_draws, years + 1, cells)),
        principal_by_age=np.empty((years + 1, ages, cells)),
    )
    out.leavers[:, 0] = np.nan
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
