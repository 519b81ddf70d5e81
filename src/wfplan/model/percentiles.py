"""Percentiles over draws, bit for bit as ``np.percentile(..., method="linear")``, faster.

``np.percentile`` copies its input, partitions it, gathers the neighbours of each
percentile with fancy indexing and interpolates. :func:`percentiles_over_rows`
does the same steps in one pass per block of rows, with no second copy, on a
thread per CPU (NumPy releases the GIL while it partitions). It partitions each
row at exactly the positions NumPy does (the neighbours of every percentile, the
first and the last position) with the same ``ndarray.partition``, so every
element lands where NumPy puts it (the sign of a zero and the NaN a row with
NaNs returns included), and interpolates with NumPy's formula in the same
floating-point operations: the results are identical, not merely close. Inputs
other than float64, and fewer than two values a row, go to ``np.percentile``
itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from wfplan.model.kernel import default_workers

#: Rows per block: 256 rows of 1,000 draws are 2 MB, a cache-friendly unit of work.
BLOCK_ROWS = 256


class _Plan:
    """NumPy's positions and weights for the linear method over ``count`` values."""

    def __init__(self, percentiles: Sequence[float], count: int) -> None:
        quantiles = np.true_divide(np.asarray(percentiles, dtype=np.float64), 100)
        virtual = (count - 1) * quantiles  # numpy's 'linear' virtual index
        previous = np.floor(virtual)
        following = previous + 1
        above = virtual >= count - 1
        previous[above] = -1
        following[above] = -1
        below = virtual < 0
        previous[below] = 0
        following[below] = 0
        self.previous = previous.astype(np.intp)
        self.following = following.astype(np.intp)
        self.kth = np.unique(np.concatenate(([0, -1], self.previous, self.following)))
        # the weight, and the rows of it that interpolate down from the next value
        self.gamma = np.asarray(virtual - self.previous, dtype=np.float64)[:, np.newaxis]
        self.from_next = self.gamma >= 0.5


def _interpolate(low: np.ndarray, high: np.ndarray, last: np.ndarray, plan: _Plan,
                 out: np.ndarray) -> None:
    """NumPy's linear interpolation between the neighbours ``low`` and ``high``, into ``out``.

    ``last`` is each row's last value once partitioned: a NaN there makes the row NaN.
    """
    diff = high - low
    np.add(low, diff * plan.gamma, out=out)
    np.subtract(high, diff * (1 - plan.gamma), out=out,
                where=np.broadcast_to(plan.from_next, out.shape))
    nans = np.isnan(last)
    if nans.any():
        np.copyto(out, last, where=nans)


def _block(rows: np.ndarray, plan: _Plan, out: np.ndarray) -> None:
    """Write the percentiles of each row of the C-contiguous ``rows`` into ``out[:, rows]``."""
    rows.partition(plan.kth, axis=1)
    _interpolate(rows[:, plan.previous].T, rows[:, plan.following].T, rows[:, -1], plan, out)


def _constant(values: np.ndarray, plan: _Plan, out: np.ndarray) -> None:
    """Write the percentiles of cells whose every draw has the same bits, ``values``.

    Partitioned, such a cell holds ``values`` at every position, so both neighbours
    and the last value are ``values``: the same floating-point operations as
    :func:`_block` on them give NumPy's result bit for bit (``-0.0`` and infinities
    included), without the partition.
    """
    shaped = np.broadcast_to(values, out.shape)
    _interpolate(shaped, shaped, values, plan, out)


def _columns(chunk: np.ndarray, plan: _Plan, out: np.ndarray) -> None:
    """Write the percentiles of each column of the ``(n, k)`` ``chunk`` into ``out`` ``(P, k)``.

    Columns whose draws all have the same bits (no joiners on a route, say) skip
    the transpose and the partition (:func:`_constant`). The chunk is gathered into
    a contiguous ``(n, k)`` buffer first (read in order), checked there, and only then
    transposed to rows: two copies that each read memory in order beat one that
    strides across the draws.
    """
    gathered = np.ascontiguousarray(chunk)
    bits = gathered.view(np.int64)
    same = (bits == bits[0]).all(axis=0)
    if not same.any():
        _block(gathered.T.copy(order="C"), plan, out)
        return
    if same.all():
        _constant(gathered[0], plan, out)
        return
    fixed = np.empty((out.shape[0], int(same.sum())))
    _constant(gathered[0, same], plan, fixed)
    out[:, same] = fixed
    varied = ~same
    found = np.empty((out.shape[0], chunk.shape[1] - fixed.shape[1]))
    _block(gathered[:, varied].T.copy(order="C"), plan, found)
    out[:, varied] = found


def percentiles_over_rows(sampled: np.ndarray, percentiles: Sequence[float],
                          out: np.ndarray, *, workers: int | None = None) -> None:
    """Write ``np.percentile(sampled, percentiles, axis=0)`` into ``out``, identically.

    Parameters
    ----------
    sampled
        ``(n, cells)``: the values of each cell down axis 0 (draws).
    percentiles
        Percentiles in [0, 100].
    out
        ``(len(percentiles), cells)`` float64, written in place.
    workers
        Threads (default: the CPUs this process may use); the result does not
        depend on it.
    """
    count, cells = sampled.shape
    if sampled.dtype != np.float64 or count < 2:
        out[...] = np.percentile(sampled, percentiles, axis=0)
        return
    plan = _Plan(percentiles, count)
    errors = np.geterr()  # the caller's floating-point error handling, for every thread

    def one(start: int) -> None:
        stop = min(start + BLOCK_ROWS, cells)
        with np.errstate(**errors):
            _columns(sampled[:, start:stop], plan, out[:, start:stop])

    starts = range(0, cells, BLOCK_ROWS)
    threads = min(default_workers() if workers is None else max(1, workers), len(starts))
    if threads <= 1:
        for start in starts:
            one(start)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, starts))


def _row_views(sampled: np.ndarray) -> list[np.ndarray]:
    """Return ``sampled`` as ``(n, cells)`` views, in order: one, else one per axis-1 index.

    A block of areas sliced from a larger array cannot be flattened without a copy,
    but each of its years can; only when that fails either is it copied.
    """
    count = len(sampled)
    try:
        return [np.reshape(sampled, (count, -1), copy=False)]
    except ValueError:
        pass
    if sampled.ndim > 2:
        try:
            return [np.reshape(part, (count, -1), copy=False)
                    for part in np.moveaxis(sampled, 1, 0)]
        except ValueError:
            pass
    return [sampled.reshape(count, -1)]


def percentiles_over_draws(sampled: np.ndarray, percentiles: Sequence[float], out: np.ndarray,
                           *, workers: int | None = None) -> None:
    """Write ``np.percentile(sampled, percentiles, axis=0)`` into ``out``, identically.

    ``sampled`` is ``(n, ...)``, ``out`` the C-contiguous ``(len(percentiles), ...)``.
    """
    flat = out.reshape(len(percentiles), -1)
    start = 0
    for rows in _row_views(sampled):
        stop = start + rows.shape[1]
        percentiles_over_rows(rows, percentiles, flat[:, start:stop], workers=workers)
        start = stop
