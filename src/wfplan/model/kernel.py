"""The vectorised cohort stock-and-flow kernel (headcount by age band).

For each year t = 1..T, in this order (all draws and cells at once)::

    rate[a]    = min(leaver_rate[a] x multiplier x retention[t], 1)
    leavers    = sum_a S[a] x rate[a]
    S'[a]      = S[a] x (1 - rate[a]) x (1 - 1/width[a])          # stay in the band
               + S[a-1] x (1 - rate[a-1]) x 1/width[a-1]          # age in from below
               + J_young[t] x nq_profile[a] + J_other[t] x joiner_profile[a]

(the last band has no ageing out), so ``sum_a S(t) = sum_a S(t-1) + joiners(t) -
leavers(t)``: leavers leave from the start-of-year stock, survivors age, and the
year's joiners arrive last and do not leave in their first year.

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
class Term:
    """Joiners as a product of compact factors, evaluated left to right.

    Each factor is ``(Dx, Tx, Ax, G)`` in the model's layout (``(Dx, Tx, G, Ax)`` once
    handed to the kernel) with Dx, Tx and Ax either 1 or full. ``group`` is set when
    the product is zero outside that staff group, so only its cells are evaluated.
    """

    factors: tuple[np.ndarray, ...]
    group: int | None = None
    #: Joiners that arrive in the older age bands (returners after retirement,
    #: :data:`SupplyDrivers.older_profile`) instead of their route's profile.
    older: bool = False


#: A joiner route: the sum of its terms, in order.
Route = tuple[Term, ...]


@dataclass(frozen=True)
class SupplyDrivers:
    """Kernel inputs. State arrays flatten cells to one axis C, staff-group major.

    Cell ``c = g x A + a``, so all areas of one staff group are contiguous. Arrays
    with a leading draw axis may have length 1 there (same in every draw). Each
    route is a sum of products of compact ``(Dx, Tx, G, Ax)`` factors, evaluated
    one block of draws and one year at a time, so joiner flows are never
    materialised in full.
    """

    stock: np.ndarray  # (K, C) base-year headcount by age band
    leaver_rate: np.ndarray  # (K, C)
    leaver_multiplier: np.ndarray  # (Dm, C)
    retention: np.ndarray | None  # (Dr, T+1, G, A or 1) leaver-rate factor
    young_routes: tuple[Route, ...]  # joiners with the newly qualified profile
    general_routes: tuple[Route, ...]  # joiners with the joiner profile
    young_profile: np.ndarray  # (K, C)
    general_profile: np.ndarray  # (K, C)
    ageing_fraction: np.ndarray  # (K-1,) = 1 / band width
    years: int  # T
    areas: int  # A
    groups: int  # G (C = G x A)
    #: (T+1, K, G, A or 1) leaver-rate factor by age band (retire-and-return), or None.
    age_retention: np.ndarray | None = None
    #: Joiners with the older profile (each route's terms marked ``older``).
    older_routes: tuple[Route, ...] = ()
    older_profile: np.ndarray | None = None  # (K, C)


@dataclass(frozen=True)
class HeadcountProjection:
    """Kernel outputs, cells staff-group major: ``supply``/``leavers`` ``(D, T+1, C)``.

    Year-0 leavers are NaN; ``leavers`` is None when not asked for.
    """

    supply: np.ndarray
    leavers: np.ndarray | None
    principal_by_age: np.ndarray  # (T+1, K, C) for draw 0


def _rows(array: np.ndarray, start: int, stop: int) -> np.ndarray:
    return array if array.shape[0] == 1 else array[start:stop]


def factor_at(factor: np.ndarray, start: int, stop: int, t: int) -> np.ndarray:
    """Slice a ``(Dx, Tx, G, Ax)`` factor for draws ``start:stop`` and year ``t``."""
    rows = _rows(factor, start, stop)
    return rows[:, 0] if factor.shape[1] == 1 else rows[:, t]


def term_values(term: Term, start: int, stop: int) -> np.ndarray:
    """Evaluate a term for draws ``start:stop`` in every year, left to right.

    Returns an array broadcastable to ``(rows, T+1, G, A)``, or to ``(rows, T+1, A)``
    for a term restricted to one staff group.
    """
    factors = [_rows(factor, start, stop) for factor in term.factors]
    if term.group is not None:
        factors = [factor[:, :, term.group] for factor in factors]
    value = factors[0]
    for factor in factors[1:]:
        value = value * factor
    return value


def materialise(route: Route) -> np.ndarray:
    """Return the values of a route (the sum of its terms), shaped like its factors."""
    total: np.ndarray | None = None
    for term in route:
        value = term.factors[0]
        for factor in term.factors[1:]:
            value = value * factor
        total = value if total is None else total + value
    assert total is not None
    return total


def _retention_groups(drivers: SupplyDrivers) -> np.ndarray:
    """Staff groups whose leaver rates some retention factor (or age-band factor) changes."""
    groups = np.zeros(0, dtype=int)
    if drivers.retention is not None:
        groups = np.flatnonzero((drivers.retention != 1.0).any(axis=(0, 1, 3)))
    if drivers.age_retention is not None:
        aged = np.flatnonzero((drivers.age_retention != 1.0).any(axis=(0, 1, 3)))
        groups = np.union1d(groups, aged)
    return groups


def _changes(factor: np.ndarray | None, axis: int) -> set[int]:
    """Years (1..T) whose factor differs from the year before, along ``axis`` (year 1 always)."""
    if factor is None or factor.shape[axis] == 1:
        return set()
    other = tuple(i for i in range(factor.ndim) if i != axis)
    changed = (np.diff(factor, axis=axis) != 0).any(axis=other)
    return {int(t) + 1 for t in np.flatnonzero(changed)}


def _retention_years(drivers: SupplyDrivers) -> frozenset[int]:
    """Years whose retention factors differ from the year before (year 1 always)."""
    return frozenset({1, *_changes(drivers.retention, 1), *_changes(drivers.age_retention, 0)})


def _needs_clip(drivers: SupplyDrivers) -> bool:
    bound = drivers.leaver_rate.max(axis=0) * drivers.leaver_multiplier.max(axis=0)
    shape = (drivers.groups, drivers.areas)
    if drivers.retention is not None:
        largest = drivers.retention.max(axis=(0, 1))  # (G, A or 1)
        bound = bound * np.broadcast_to(largest, shape).ravel()
    if drivers.age_retention is not None:
        aged = drivers.age_retention.max(axis=(0, 1))  # (G, A or 1)
        bound = bound * np.broadcast_to(np.maximum(aged, 1.0), shape).ravel()
    return bool((bound > 1.0 - 1e-12).any())


class _Rates:
    """Leaver rates of a block of draws and the survival coefficients per age band.

    ``stay[a] = (1 - rate[a]) x (1 - 1/width[a])`` is the share of band ``a`` still in
    post and in the band a year later; ``move[a] = (1 - rate[a]) x 1/width[a]`` the
    share that stays in post and moves up a band. Only the staff groups that a
    retention intervention changes are recomputed each year.
    """

    def __init__(self, drivers: SupplyDrivers, rows: tuple[int, int], clip: bool) -> None:
        self.rows, self.clip, self.areas = rows, clip, drivers.areas
        multiplier = _rows(drivers.leaver_multiplier, *rows)
        base = drivers.leaver_rate[:, np.newaxis, :] * multiplier[np.newaxis]
        if drivers.retention is not None and drivers.retention.shape[0] > 1:
            # retention varies by draw even where the leaver rates do not
            base = np.repeat(base, rows[1] - rows[0], axis=1) if base.shape[1] == 1 else base
        self.base = base
        self.rate = np.minimum(self.base, 1.0) if clip else self.base.copy()
        fraction = drivers.ageing_fraction
        self.stay_fraction = np.append(1.0 - fraction, 1.0)[:, np.newaxis, np.newaxis]
        self.move_fraction = fraction[:, np.newaxis, np.newaxis]
        self.stay = np.empty_like(self.base)
        self.move = np.empty((len(fraction), *self.base.shape[1:]))
        self.keep = np.empty_like(self.base)
        self._coefficients(slice(None))

    def _coefficients(self, cells: slice) -> None:
        keep = np.subtract(1.0, self.rate[:, :, cells], out=self.keep[:, :, cells])
        np.multiply(keep, self.stay_fraction, out=self.stay[:, :, cells])
        np.multiply(keep[:-1], self.move_fraction, out=self.move[:, :, cells])

    def update(
        self, drivers: SupplyDrivers, retention: tuple[np.ndarray, frozenset[int]], t: int
    ) -> None:
        """Apply year ``t``'s retention factors to the staff groups they change.

        ``retention`` holds those groups and the years in which the factors change.
        """
        groups, years = retention
        if not len(groups) or t not in years:
            return
        factor = None
        if drivers.retention is not None:
            factor = factor_at(drivers.retention, *self.rows, t)  # (rows, G, A or 1)
        aged = None if drivers.age_retention is None else drivers.age_retention[t]
        for g in groups:
            cells = slice(g * self.areas, (g + 1) * self.areas)
            rate = np.multiply(self.base[:, :, cells], 1.0 if factor is None else factor[:, g],
                               out=self.rate[:, :, cells])
            if aged is not None:
                rate *= aged[:, g][:, np.newaxis, :]  # (K, 1, A or 1)
            if self.clip:
                np.minimum(rate, 1.0, out=rate)
            self._coefficients(cells)


class _Joiners:
    """Joiners of a block of draws for every year, summed by age profile.

    All terms of the routes sharing an age profile are summed in order (route by
    route, each route's baseline term first), as the reference implementation does.
    """

    def __init__(self, drivers: SupplyDrivers, rows: tuple[int, int]) -> None:
        grid = (rows[1] - rows[0], drivers.years + 1, drivers.groups, drivers.areas)
        self.young = self._total(drivers.young_routes, rows, grid)
        self.general = self._total(drivers.general_routes, rows, grid)
        self.older = self._total(drivers.older_routes, rows, grid)

    @staticmethod
    def _total(
        routes: tuple[Route, ...], rows: tuple[int, int], grid: tuple[int, ...]
    ) -> np.ndarray | None:
        terms = [term for route in routes for term in route]
        if not terms:
            return None
        total = np.empty(grid)
        for position, term in enumerate(terms):
            value = term_values(term, *rows)
            if term.group is None:
                if position == 0:
                    total[...] = value
                else:
                    total += value
            else:
                if position == 0:
                    total.fill(0.0)
                total[:, :, term.group] += value
        return total

    @staticmethod
    def at(total: np.ndarray | None, t: int) -> np.ndarray | None:
        """Joiners in year ``t`` as ``(rows, C)`` (a view), or None."""
        return None if total is None else total[:, t].reshape(total.shape[0], -1)


class _Chunk:
    """State and scratch buffers for a block of draws."""

    def __init__(self, drivers: SupplyDrivers, rows: tuple[int, int], clip: bool) -> None:
        ages, cells = drivers.stock.shape
        self.state = np.empty((ages, rows[1] - rows[0], cells))
        self.state[...] = drivers.stock[:, np.newaxis, :]
        self.rates = _Rates(drivers, rows, clip)
        self.joiners = _Joiners(drivers, rows)
        self.arrivals = np.empty_like(self.state)
        self.moved = np.empty((ages - 1, *self.state.shape[1:]))
        self.leavers = np.empty(self.state.shape[1:])
        self.total = np.empty(self.state.shape[1:])
        # profiles spread over the block's draws make the per-year products contiguous
        profiles = [drivers.young_profile, drivers.general_profile]
        self.totals = [self.joiners.young, self.joiners.general]
        if self.joiners.older is not None:
            assert drivers.older_profile is not None
            profiles.append(drivers.older_profile)
            self.totals.append(self.joiners.older)
        self.profiles = tuple(
            np.ascontiguousarray(np.broadcast_to(profile[:, np.newaxis, :], self.state.shape))
            for profile in profiles
        )


def _step(
    drivers: SupplyDrivers,
    chunk: _Chunk,
    t: int,
    retention: tuple[np.ndarray, frozenset[int]],
    with_leavers: bool,
) -> None:
    """Advance one block of draws by one year (leavers into ``chunk.leavers``)."""
    rates = chunk.rates
    rates.update(drivers, retention, t)
    state = chunk.state
    if with_leavers:
        np.einsum("knc,knc->nc", state, rates.rate, out=chunk.leavers)
    np.multiply(state[:-1], rates.move, out=chunk.moved)
    state *= rates.stay
    state[1:] += chunk.moved
    for total, profile in zip(chunk.totals, chunk.profiles, strict=True):
        joiners = chunk.joiners.at(total, t)
        if joiners is not None:
            np.multiply(joiners, profile, out=chunk.arrivals)
            state += chunk.arrivals


def _run_chunk(
    drivers: SupplyDrivers,
    rows: tuple[int, int],
    clip: bool,
    retention: tuple[np.ndarray, frozenset[int]],
    out: HeadcountProjection,
) -> None:
    start, stop = rows
    chunk = _Chunk(drivers, rows, clip)
    # sums go to a contiguous buffer first: reducing into a strided slice is slower
    out.supply[start:stop, 0] = np.sum(chunk.state, axis=0, out=chunk.total)
    if start == 0:
        out.principal_by_age[0] = chunk.state[:, 0, :]
    for t in range(1, drivers.years + 1):
        _step(drivers, chunk, t, retention, out.leavers is not None)
        if out.leavers is not None:
            out.leavers[start:stop, t] = chunk.leavers
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
    blocks = [(start, min(start + size, total_draws)) for start in range(0, total_draws, size)]
    clip = _needs_clip(drivers)
    retention = (_retention_groups(drivers), _retention_years(drivers))
    workers = default_workers() if workers is None else max(1, workers)
    if workers == 1 or len(blocks) == 1:
        for block in blocks:
            _run_chunk(drivers, block, clip, retention, out)
        return out
    with ThreadPoolExecutor(max_workers=workers) as pool:
        jobs = [pool.submit(_run_chunk, drivers, block, clip, retention, out) for block in blocks]
        for job in jobs:
            job.result()
    return out
