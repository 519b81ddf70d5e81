"""The IAMC-style long table of a run: principal, P5, P50 and P95 of each variable.

:func:`to_long` takes the statistics a block of areas at a time: the stored
variables computed on request (FTE, joiners: :class:`~wfplan.model.results.Lazy`)
and the derived ones (gaps, ratios, costs per FTE) of a block are computed,
summarised over the draws (:func:`~wfplan.model.uncertainty.draw_statistics`) and
dropped before the next block, so memory holds one block of draws, not every
variable at full size. Every operation is elementwise or runs along the years, so a block
gives the same bits as the whole. The table's columns are then built whole from
the statistics: NumPy repeats and tiles for the numbers, and each text column is
one ``take`` from its few distinct values, with no Python loop over rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from wfplan.model.kernel import default_workers
from wfplan.model.parameters import get_spec
from wfplan.model.results import _DERIVED, FLOW_VARIABLES, VARIABLES, Results, same_bits_as
from wfplan.model.uncertainty import STATISTICS, draw_statistics

#: Bytes of one variable's draws in a block of areas (the unit of work and of memory).
BLOCK_BYTES = 8 * 2**20


def _block_areas(results: Results) -> int:
    """Areas per block: one variable's draws of a block stay near :data:`BLOCK_BYTES`."""
    years = len(results.years)
    per_area = (results.n_draws + 1) * years * max(1, len(results.staff_groups)) * 8
    return max(1, min(len(results.areas), BLOCK_BYTES // per_area))


class _Block:
    """A block of areas' variables: ``get(name)`` computes one, derived ones cached.

    The cache is an attribute, not a closure's own cell, so no reference cycle keeps
    a finished block's arrays alive until the garbage collector runs.
    """

    def __init__(self, results: Results, areas: slice) -> None:
        self.results, self.areas = results, areas
        self.cache: dict[str, np.ndarray] = {}

    def get(self, name: str) -> np.ndarray:
        """Return a variable's values for the block's areas."""
        if name not in self.cache:
            if name in self.results.arrays:
                self.cache[name] = self.results.block(name, slice(None), self.areas)
            elif name in _DERIVED:
                self.cache[name] = _DERIVED[name](self.get)
            else:
                raise KeyError(f"no variable {name!r}; choose from {VARIABLES}")
        return self.cache[name]


def statistics(results: Results, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Return ``(S, T+1, A, G)`` statistics (principal, P5, P50, P95) of each variable.

    A stored array shared by several variables (need equal to funded demand, say)
    is summarised once, and so is a derived variable that then has another's bits
    (:func:`~wfplan.model.results.same_bits_as`).
    """
    for name in names:
        if name not in results.arrays and name not in _DERIVED:
            raise KeyError(f"no variable {name!r}; choose from {VARIABLES}")
    shape = (len(STATISTICS), len(results.years), len(results.areas), len(results.staff_groups))
    out = {name: np.empty(shape) for name in names}
    stored = {name: id(results.arrays[name]) for name in names if name in results.arrays}
    first = {key: name for name, key in reversed(stored.items())}
    # a derived variable with another's bits (gap_need_fte when need is funded demand)
    alias: dict[str, str] = {}
    for name in names:
        other = None if name in stored else same_bits_as(results.arrays, name)
        if other is not None and other in names:
            alias[name] = other
    own = [name for name in names if name not in alias
           and (name not in stored or first[stored[name]] == name)]
    step = _block_areas(results)
    blocks = [slice(start, start + step) for start in range(0, len(results.areas), step)]
    threads = min(default_workers(), len(blocks))

    errors = np.geterr()  # the caller's floating-point error handling, for every thread
    # blocks run on threads of their own; a lone block's percentiles use them all
    inner = None if threads == 1 else 1

    def one(areas: slice) -> None:
        block = _Block(results, areas)
        with np.errstate(**errors):
            for name in own:
                out[name][:, :, areas] = draw_statistics(block.get(name), results.n_draws,
                                                         workers=inner)
        block.cache.clear()

    if threads == 1:
        for areas in blocks:
            one(areas)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(one, blocks))
    for name, key in stored.items():
        if first[key] != name:
            out[name] = out[first[key]]
    for name, other in alias.items():
        out[name] = out[other]
    return out


def _text(values: Sequence[object], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Return ``values[codes]`` as a string column, taken in one vectorised step."""
    return pd.array([str(v) for v in values], dtype="str").take(codes)


#: The long table's text columns, each a list of distinct values and codes into it.
_TEXT = ("scenario", "area", "staff_group", "variable", "unit", "statistic")


def _columns(results: Results, names: tuple[str, ...]) -> dict[str, Callable[[], Any]]:
    """Return one run's long-table columns, each built when called and not kept.

    A number column is an array; a text column is (distinct values, codes). Only
    the statistics are held between calls, so the code arrays of one column at a
    time are in memory while the table is put together.
    """
    stats = statistics(results, names)
    years = np.asarray(results.years, dtype=np.int64)
    n_areas, n_groups, n_stats = len(results.areas), len(results.staff_groups), len(STATISTICS)
    firsts = [1 if name in FLOW_VARIABLES else 0 for name in names]
    counts = [len(years) - first for first in firsts]
    per_variable = [n_areas * n_groups * n * n_stats for n in counts]
    rows = sum(per_variable)

    def value() -> np.ndarray:
        out = np.empty(rows)
        start = 0
        for name, first, size in zip(names, firsts, per_variable, strict=True):
            ordered = np.transpose(stats.pop(name)[:, first:], (2, 3, 1, 0))  # (A, G, T, S)
            out[start : start + size].reshape(ordered.shape)[...] = ordered
            start += size
        return out

    def year() -> np.ndarray:
        return np.concatenate([np.tile(np.repeat(years[first:], n_stats), n_areas * n_groups)
                               for first in firsts])

    def cell() -> np.ndarray:
        # codes as 32-bit integers: half the memory of the default, and take accepts them
        cells = np.arange(n_areas * n_groups, dtype=np.int32)
        return np.concatenate([np.repeat(cells, n * n_stats) for n in counts])

    def variable() -> np.ndarray:
        return np.repeat(np.arange(len(names), dtype=np.int32), per_variable)

    return {
        "scenario": lambda: ([results.scenario], np.zeros(rows, dtype=np.int32)),
        "area": lambda: (results.areas, cell() // max(n_groups, 1)),
        "staff_group": lambda: (results.staff_groups, cell() % max(n_groups, 1)),
        "variable": lambda: (names, variable()),
        "unit": lambda: ([get_spec(name).unit for name in names], variable()),
        "year": year,
        "statistic": lambda: (STATISTICS, np.tile(np.arange(n_stats, dtype=np.int32),
                                                  rows // n_stats)),
        "value": value,
    }


def _joined(parts: Sequence[dict[str, Callable[[], Any]]], column: str) -> Any:
    """Return a column of every part, one after another (text: one take from all values).

    Each part's column is built here and dropped once used, so a column's codes do
    not outlive it.
    """
    if column not in _TEXT:
        return np.concatenate([part.pop(column)() for part in parts])
    values: list[object] = []
    codes = []
    for part in parts:
        distinct, part_codes = part.pop(column)()
        codes.append(part_codes + np.int32(len(values)))
        del part_codes
        values.extend(distinct)
    return _text(values, np.concatenate(codes))


def to_long(results: Results | Sequence[Results],
            variables: Sequence[str] | None = None) -> pd.DataFrame:
    """IAMC-style long table of principal, P5, P50 and P95 for each variable.

    Columns: ``scenario, area, staff_group, variable, unit, year, statistic, value``;
    rows by variable, then area, staff group, year and statistic. Flows (joiners,
    leavers) have no row for the base year. Several results give their tables
    one after another, as ``pd.concat`` of each one's would, built once (no
    concatenated copy of the text columns).
    """
    names = tuple(VARIABLES if variables is None else variables)
    if not names:
        raise ValueError("to_long needs at least one variable")
    runs = [results] if isinstance(results, Results) else list(results)
    parts = [_columns(run, names) for run in runs]
    # the columns are new arrays of their own: the frame takes them without a copy
    return pd.DataFrame({column: _joined(parts, column) for column in (
        "scenario", "area", "staff_group", "variable", "unit", "year", "statistic", "value")},
        copy=False)
