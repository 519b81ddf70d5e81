"""A stock-and-flow simulation of one staff group, for the demo dataset.

A :class:`Cohort` holds one staff group in one set of organisations: the
headcount of each organisation at the first census, spread over cells (for
example grade × age band × sex × ethnicity × nationality) by seeded
multinomial draws. Between the two censuses each cell loses leavers by route,
the survivors age (a fifth of a five-year band moves up a band each year), and
joiners arrive by route. So, for every organisation and staff group,

    headcount(t1) = headcount(t0) - leavers + joiners

holds exactly. By age band it holds only after counting the people who aged
into and out of each band, which the tidy ``flows`` table does not carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from wfplan.dataset import codelists

AGE_AXIS_NAME = "age_band"
#: Spread (log sd) of growth between organisations of a staff group.
GROWTH_SPREAD = 0.15


def age_move_share() -> np.ndarray:
    """Return, per age band, the share of survivors who move up a band in a year."""
    out = []
    for row in codelists.get("age_band").rows:
        width = row["width"]
        out.append(1.0 / float(width) if width else 0.0)
    return np.asarray(out)


@dataclass
class Cohort:
    """One staff group in one set of organisations.

    Attributes
    ----------
    staff_group : str
        The staff-group code.
    orgs : np.ndarray
        Indices of the organisations (into the sector's organisation set).
    dims : tuple of str
        The names of the cell dimensions, one of them ``age_band``.
    codes : tuple of tuple of str
        The codes along each dimension.
    headcount0 : np.ndarray
        Headcount of each organisation at the first census, shape ``(n_orgs,)``.
    stock_p : np.ndarray
        Cell probabilities, shape ``(n_orgs or 1, *cells)``, summing to 1 per organisation.
    fte_per_head : np.ndarray
        FTE per person, broadcastable to ``(n_orgs, *cells)``.
    leave_p : np.ndarray
        Yearly probability of leaving by route, broadcastable to
        ``(n_orgs, *cells, n_routes)``.
    leave_routes : tuple of str
        The leaver routes, in the order of the last axis of ``leave_p``.
    join_p : dict of str to np.ndarray
        Cell probabilities of joiners by route, each shaped like ``stock_p``.
    org_codes : np.ndarray
        The codes of every organisation of the set (``orgs`` indexes into it).
    fte0 : float
        FTE of the first census: ``fte_per_head`` is rescaled to give it.
    headcount1 : int
        Headcount of the second census: joiners make up the difference.
    join_shares : dict of str to float
        Split of joiners by route (other than moves and ``join_fixed``).
    join_fixed : dict of str to int
        Routes with a fixed number of joiners in all (e.g. international recruits).
    move_route : str, optional
        The route of moves between organisations of the sector: as many join
        by it as leave by it.
    """

    staff_group: str
    orgs: np.ndarray
    dims: tuple[str, ...]
    codes: tuple[tuple[str, ...], ...]
    headcount0: np.ndarray
    stock_p: np.ndarray
    fte_per_head: np.ndarray
    leave_p: np.ndarray
    leave_routes: tuple[str, ...]
    join_p: dict[str, np.ndarray] = field(default_factory=dict)
    org_codes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    fte0: float = 0.0
    headcount1: int = 0
    join_shares: dict[str, float] = field(default_factory=dict)
    join_fixed: dict[str, int] = field(default_factory=dict)
    move_route: str | None = None
    # Filled in by simulate():
    stock0: np.ndarray = field(init=False, repr=False)
    survivors: np.ndarray = field(init=False, repr=False)
    leavers: np.ndarray = field(init=False, repr=False)
    joiners: dict[str, np.ndarray] = field(init=False, repr=False)
    stock1: np.ndarray = field(init=False, repr=False)

    @property
    def shape(self) -> tuple[int, ...]:
        """Return the cell shape (without the organisation axis)."""
        return tuple(len(c) for c in self.codes)

    @property
    def age_axis(self) -> int:
        """Return the axis of the age band in the full ``(org, *cells)`` array."""
        return 1 + self.dims.index(AGE_AXIS_NAME)


def draw_cells(rng: np.random.Generator, counts: np.ndarray, probs: np.ndarray,
               shape: tuple[int, ...]) -> np.ndarray:
    """Spread each organisation's count over cells; return ``(n_orgs, *shape)``.

    A multinomial draw per organisation, done person by person: each person
    gets a uniform number that picks a cell from the organisation's cumulative
    probabilities (organisation ``i`` occupies the interval ``[i, i + 1)``).
    """
    n_orgs, n_cells = len(counts), int(np.prod(shape))
    flat = np.broadcast_to(probs.reshape(probs.shape[0], -1), (n_orgs, n_cells))
    cdf = np.cumsum(flat, axis=1)
    total = cdf[:, -1:]
    cdf = np.divide(cdf, total, out=np.ones_like(cdf), where=total > 0)
    keys = (cdf + np.arange(n_orgs)[:, None]).ravel()
    owners = np.repeat(np.arange(n_orgs), counts)
    cell = np.searchsorted(keys, owners + rng.random(len(owners)), side="right")
    cell = np.minimum(cell, n_orgs * n_cells - 1)
    return np.bincount(cell, minlength=n_orgs * n_cells).reshape(n_orgs, *shape)


def start(rng: np.random.Generator, cohort: Cohort) -> None:
    """Draw the first census and the leavers, and age the survivors by a year."""
    stock0 = draw_cells(rng, cohort.headcount0, cohort.stock_p, cohort.shape)
    full = stock0.shape
    n_routes = len(cohort.leave_routes)
    where = np.nonzero(stock0)
    leave_p = np.broadcast_to(cohort.leave_p, (*full, n_routes))[where]
    stay = np.clip(1.0 - leave_p.sum(axis=-1, keepdims=True), 0.0, 1.0)
    outcome = rng.multinomial(stock0[where], np.concatenate([leave_p, stay], axis=-1))
    leavers = np.zeros((*full, n_routes), dtype=np.int64)
    leavers[where] = outcome[:, :-1]
    stayers = outcome[:, -1]
    move_up = age_move_share()
    move_up[-1] = 0.0  # the oldest band is open-ended: nobody ages out of it
    up = np.broadcast_to(_age_shape(move_up, cohort), full)[where]
    moving = np.zeros(full, dtype=np.int64)
    moving[where] = rng.binomial(stayers, up)
    survivors = np.zeros(full, dtype=np.int64)
    survivors[where] = stayers
    aged = survivors - moving + np.roll(moving, 1, axis=cohort.age_axis)
    cohort.stock0 = stock0
    cohort.leavers = leavers
    cohort.survivors = aged


def finish(rng: np.random.Generator, cohort: Cohort, joiners: Mapping[str, np.ndarray]) -> None:
    """Add joiners (counts per organisation by route) to form the second census."""
    cohort.joiners = {}
    stock1 = cohort.survivors.copy()
    for route, counts in joiners.items():
        probs = cohort.join_p.get(route, cohort.stock_p)
        cells = draw_cells(rng, counts, probs, cohort.shape)
        cohort.joiners[route] = cells
        stock1 += cells
    cohort.stock1 = stock1


def at_most_full_time(fte_per_head: np.ndarray, stock: np.ndarray, total: float) -> np.ndarray:
    """Return FTE per head with no cell above 1.0 and the same FTE in all, where possible.

    A person's FTE is at most 1.0 (the ingest warns about FTE above headcount
    x 1.05), so cells above it are capped and the FTE they lose is spread over
    the other cells in proportion.
    """
    if not (fte_per_head > 1.0).any():
        return fte_per_head
    full = np.minimum(np.broadcast_to(fte_per_head, stock.shape).astype(np.float64), 1.0)
    for _ in range(full.size):
        free = full < 1.0
        free_fte = float((stock * full * free).sum())
        if free_fte <= 0:
            break
        full = np.where(free, full * (total - float((stock * ~free).sum())) / free_fte, full)
        if not (full > 1.0).any():
            break
        full = np.minimum(full, 1.0)
    return full


def run(rng: np.random.Generator, cohort: Cohort) -> Cohort:
    """Simulate a cohort: first census, leavers, ageing, joiners, second census.

    ``fte_per_head`` is rescaled so that the first census has ``fte0`` FTE, and
    joiners are drawn so that the second census has ``headcount1`` people:
    moves in match moves out, fixed routes get their totals, and the rest is
    shared between organisations (by size, with some spread in growth) and
    routes (by ``join_shares``).
    """
    start(rng, cohort)
    raw_fte = float((cohort.stock0 * cohort.fte_per_head).sum())
    if raw_fte > 0:
        cohort.fte_per_head = at_most_full_time(
            cohort.fte_per_head * (cohort.fte0 / raw_fte), cohort.stock0, cohort.fte0)
    needed = max(0, cohort.headcount1 - int(cohort.survivors.sum()))
    weight = cohort.headcount0.astype(np.float64)
    joiners: dict[str, np.ndarray] = {}
    if cohort.move_route is not None:
        moved = int(cohort.leavers[..., cohort.leave_routes.index(cohort.move_route)].sum())
        moved = min(moved, needed)
        joiners[cohort.move_route] = share_out(rng, moved, weight)
        needed -= moved
    for route, total in cohort.join_fixed.items():
        fixed = min(total, needed)
        joiners[route] = share_out(rng, fixed, weight)
        needed -= fixed
    rest = share_out(rng, needed, weight * rng.lognormal(0.0, GROWTH_SPREAD, len(weight)))
    routes = list(cohort.join_shares)
    if routes:
        shares = normalise(np.array([cohort.join_shares[r] for r in routes]))
        split = rng.multinomial(rest, shares)
        for i, route in enumerate(routes):
            joiners[route] = joiners.get(route, 0) + split[:, i]
    finish(rng, cohort, joiners)
    return cohort


def _age_shape(values: np.ndarray, cohort: Cohort) -> np.ndarray:
    shape = [1] * (1 + len(cohort.dims))
    shape[cohort.age_axis] = len(values)
    return values.reshape(shape)


def along(values: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    """Reshape a vector so that it broadcasts along ``axis`` of an ``ndim`` array."""
    shape = [1] * ndim
    shape[axis] = len(values)
    return values.reshape(shape)


def normalise(values: np.ndarray, axis: int | tuple[int, ...] = -1) -> np.ndarray:
    """Scale non-negative values to sum to 1 along ``axis``."""
    total = values.sum(axis=axis, keepdims=True)
    return np.divide(values, total, out=np.zeros_like(values, dtype=np.float64), where=total > 0)


def share_out(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    """Share a whole number across organisations by weight (multinomial)."""
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    return rng.multinomial(total, weights / weights.sum())


@dataclass
class Rows:
    """Blocks of tidy rows being collected for one table.

    A block gives each of its columns as an array, or as one value for every
    row; a column a block lacks is NULL there.
    """

    blocks: list[tuple[dict[str, object], int]] = field(default_factory=list)

    def add(self, **columns: object) -> None:
        """Append a block of rows; its length is that of its array columns."""
        length = max(len(v) for v in columns.values() if isinstance(v, np.ndarray))
        self.blocks.append((columns, length))

    def __len__(self) -> int:
        return sum(length for _, length in self.blocks)

    def to_arrow(self, types: Mapping[str, pa.DataType]) -> pa.Table:
        """Return the rows as an Arrow table with the given columns (in order) and types.

        Columns no block has are left out; other names raise ``ValueError``.
        """
        present = {name for block, _ in self.blocks for name in block}
        unknown = present - set(types)
        if unknown:
            raise ValueError(f"columns not in the table: {sorted(unknown)}")
        arrays, names = [], []
        for name, kind in types.items():
            if name not in present:
                continue
            parts = [_arrow_part(block.get(name), length, kind) for block, length in self.blocks]
            arrays.append(pa.concat_arrays(parts))
            names.append(name)
        return pa.Table.from_arrays(arrays, names=names)


def _arrow_part(value: object, length: int, kind: pa.DataType) -> pa.Array:
    if value is None:
        return pa.nulls(length, type=kind)
    if isinstance(value, np.ndarray):
        return pa.array(value, type=kind)
    return pa.repeat(pa.scalar(value, type=kind), length)


def stock_rows(rows: Rows, cohort: Cohort, stock: np.ndarray, *, period: str) -> None:
    """Add one census of a cohort to ``rows``: one row per non-empty cell."""
    index = np.nonzero(stock)
    headcount = stock[index]
    fte_full = np.broadcast_to(cohort.fte_per_head, stock.shape)[index] * headcount
    cols: dict[str, object] = {
        "period": period,
        "org_code": cohort.org_codes[cohort.orgs[index[0]]],
        "staff_group": cohort.staff_group,
    }
    for axis, (dim, codes) in enumerate(zip(cohort.dims, cohort.codes, strict=True), start=1):
        cols[dim] = np.asarray(codes, dtype=object)[index[axis]]
    cols["headcount"] = headcount.astype(np.int64)
    cols["fte"] = np.round(fte_full, 2)
    rows.add(**cols)


def flow_rows(rows: Rows, cohort: Cohort, *, period_start: str, period_end: str) -> None:
    """Add a cohort's leavers (age at t0) and joiners (age at t1) by route to ``rows``."""
    age = cohort.age_axis
    keep = (0, age)
    other = tuple(a for a in range(1 + len(cohort.dims)) if a not in keep)
    ages = np.asarray(cohort.codes[age - 1], dtype=object)
    fph = np.broadcast_to(cohort.fte_per_head, cohort.stock0.shape)
    flows = [("leaver", r, cohort.leavers[..., i]) for i, r in enumerate(cohort.leave_routes)]
    flows += [("joiner", r, cells) for r, cells in cohort.joiners.items()]
    for direction, route, cells in flows:
        headcount = cells.sum(axis=other)
        fte = (cells * fph).sum(axis=other)
        org_i, age_i = np.nonzero(headcount)
        rows.add(period_start=period_start, period_end=period_end,
                 org_code=cohort.org_codes[cohort.orgs[org_i]], staff_group=cohort.staff_group,
                 age_band=ages[age_i], direction=direction, route=route,
                 headcount=headcount[org_i, age_i].astype(np.int64),
                 fte=np.round(fte[org_i, age_i], 2))
