"""Projection results: additive arrays by draw x year x area x staff group, and views on them.

Only additive quantities (stocks, flows, FTE, costs) are stored; ratios and gaps
are derived on request, so aggregating to a coarser level and then deriving
gives correctly recomputed ratios. A stored array's draw axis may have length 1,
meaning the quantity is the same in every draw. A stored entry may also be a
function that computes the array (e.g. FTE = headcount x FTE per head); it is
evaluated, once, when first asked for. A :class:`Lazy` entry can also be
evaluated for a block of draws and areas alone (:meth:`Results.block`), without
the whole array: its function is elementwise over draws and areas, so a block
has the same bits as the same part of the whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from wfplan.model.interventions import ROUTES
from wfplan.model.kernel import Term
from wfplan.model.labelled import Label, LabelledArray
from wfplan.model.parameters import variable_names
from wfplan.model.run_metadata import RunMetadata


def _cut(value: Any, draws: slice, areas: slice) -> Any:
    """Return the part of ``value`` for ``draws`` and ``areas``, where it has those axes.

    A ``(Dx, Tx, Ax, G)`` array is cut on the draw axis unless Dx is 1 and on the
    area axis unless Ax is 1; tuples and joiner terms are cut factor by factor;
    anything else (indices, numbers) is passed as it is.
    """
    if isinstance(value, np.ndarray):
        if value.ndim != 4:
            return value
        return value[draws if value.shape[0] > 1 else slice(None), :,
                     areas if value.shape[2] > 1 else slice(None)]
    if isinstance(value, tuple):
        return tuple(_cut(item, draws, areas) for item in value)
    if isinstance(value, Term):
        return Term(_cut(value.factors, draws, areas), value.group)
    if isinstance(value, Lazy):
        return value.block(draws, areas)
    return value


def _draw_rows(value: Any) -> int:
    """Return the longest draw axis of the ``(Dx, Tx, Ax, G)`` arrays in ``value`` (or 1)."""
    if isinstance(value, np.ndarray):
        return value.shape[0] if value.ndim == 4 else 1
    if isinstance(value, tuple):
        return max((_draw_rows(item) for item in value), default=1)
    if isinstance(value, Term):
        return _draw_rows(value.factors)
    if isinstance(value, Lazy):
        return value.draws
    return 1


@dataclass(frozen=True, eq=False)
class Lazy:
    """A stored variable computed when asked for: ``function(*arguments)``.

    ``function`` must be elementwise over the draw and area axes of its
    ``(Dx, Tx, Ax, G)`` array arguments (and of the arrays inside tuples and
    :class:`~wfplan.model.kernel.Term` s), so that :meth:`block` gives the same bits
    as the same part of the whole. An argument may itself be a :class:`Lazy`: it is
    evaluated for the same block.
    """

    function: Callable[..., np.ndarray]
    arguments: tuple[Any, ...]

    @property
    def draws(self) -> int:
        """Length of the result's draw axis: 1 unless some argument varies by draw."""
        return _draw_rows(self.arguments)

    def __call__(self) -> np.ndarray:
        """Return the whole array."""
        return self.block(slice(None), slice(None))

    def block(self, draws: slice, areas: slice) -> np.ndarray:
        """Return the values of draws ``draws`` (where they vary) and areas ``areas``."""
        return self.function(*_cut(self.arguments, draws, areas))


#: A stored variable: an array, or a function that computes it.
Stored = np.ndarray | Lazy | Callable[[], np.ndarray]
ROUTE_VARIABLES = tuple(f"joiners_{route}_hc" for route in ROUTES)
#: Stored (additive) variables.
PRIMARY_VARIABLES = (
    "supply_hc",
    "supply_fte",
    *ROUTE_VARIABLES,
    "leavers_hc",
    "demand_funded_fte",
    "demand_need_fte",
    "intervention_cost_gbp",
    "counterfactual_supply_fte",
    "counterfactual_demand_funded_fte",
)
#: Flows happen during a year; year 0 (the base census) has none.
FLOW_VARIABLES = frozenset({*ROUTE_VARIABLES, "joiners_hc", "leavers_hc"})


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(numerator.shape, denominator.shape)
    out = np.full(shape, np.nan)
    return np.divide(
        numerator, denominator, out=out, where=np.broadcast_to(denominator != 0, shape)
    )


def _joiners(get: Callable[[str], np.ndarray]) -> np.ndarray:
    total = get(ROUTE_VARIABLES[0])
    for name in ROUTE_VARIABLES[1:]:
        total = total + get(name)
    return total


def _counterfactual_gap(get: Callable[[str], np.ndarray]) -> np.ndarray:
    return get("counterfactual_demand_funded_fte") - get("counterfactual_supply_fte")


def _gap_closed(get: Callable[[str], np.ndarray]) -> np.ndarray:
    # the same subtractions as counterfactual_gap_fte and gap_fte, so a getter that
    # caches those (the long table's) does not repeat them
    return get("counterfactual_gap_fte") - get("gap_fte")


def _cost_per_fte(get: Callable[[str], np.ndarray]) -> np.ndarray:
    cumulative = np.cumsum(get("intervention_cost_gbp"), axis=1)
    closed = get("gap_closed_fte")
    shape = np.broadcast_shapes(cumulative.shape, closed.shape)
    out = np.full(shape, np.nan)
    return np.divide(cumulative, closed, out=out, where=np.broadcast_to(closed > 0, shape))


_DERIVED: dict[str, Callable[[Callable[[str], np.ndarray]], np.ndarray]] = {
    "joiners_hc": _joiners,
    "gap_fte": lambda get: get("demand_funded_fte") - get("supply_fte"),
    "gap_need_fte": lambda get: get("demand_need_fte") - get("supply_fte"),
    "gap_pct": lambda get: 100.0 * _ratio(get("gap_fte"), get("demand_funded_fte")),
    "implied_vacancy_rate": lambda get: _ratio(
        np.maximum(get("gap_fte"), 0.0), get("demand_funded_fte")
    ),
    "counterfactual_gap_fte": _counterfactual_gap,
    "gap_closed_fte": _gap_closed,
    "cost_per_fte_gap_closed": _cost_per_fte,
}
#: Derived variables that have another's bits whenever their inputs are the same stored
#: arrays (the same subtraction of the same values): variable -> (the other, the pairs
#: of stored variables that must be one array). Need equal to funded demand, say, makes
#: ``gap_need_fte`` ``gap_fte``; summarised once (:func:`same_bits_as`).
_SAME_BITS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "gap_need_fte": ("gap_fte", (("demand_need_fte", "demand_funded_fte"),)),
    "counterfactual_gap_fte": ("gap_fte", (
        ("counterfactual_demand_funded_fte", "demand_funded_fte"),
        ("counterfactual_supply_fte", "supply_fte"))),
}


def same_bits_as(arrays: Mapping[str, Stored], name: str) -> str | None:
    """Return the derived variable whose values ``name``'s are, bit for bit, or ``None``."""
    if name not in _SAME_BITS:
        return None
    other, pairs = _SAME_BITS[name]
    shared = all(a in arrays and b in arrays and arrays[a] is arrays[b] for a, b in pairs)
    return other if shared else None


#: Every output variable, in reporting order (the parameter table's variable rows).
VARIABLES = variable_names()


@dataclass(frozen=True, eq=False)
class Results:
    """The outcome of :func:`wfplan.model.engine.run`.

    Attributes
    ----------
    scenario
        Scenario name.
    base_year
        Calendar year of year 0.
    areas, staff_groups, age_bands
        Coordinates.
    n_draws
        Sampled draws N (draw 0 is the principal run).
    arrays
        Stored variables, ``(Dp, T+1, A, G)`` with Dp = 1 or N + 1.
    principal_by_age
        ``(T+1, A, G, K)`` headcount by age band in the principal run.
    metadata
        Scenario, seed, assumptions, interventions (with source and owner), etc.
    sampled
        Each uncertain quantity's value in every draw (N + 1 entries, draw 0 the
        principal), keyed as in :class:`~wfplan.model.uncertainty.Draws`: what
        the draws were made of, for variance-based sensitivity. Empty when there
        are no sampled draws.
    """

    scenario: str
    base_year: int
    areas: tuple[str, ...]
    staff_groups: tuple[str, ...]
    age_bands: tuple[str, ...]
    n_draws: int
    arrays: Mapping[str, Stored]
    principal_by_age: np.ndarray
    metadata: RunMetadata
    sampled: Mapping[str, np.ndarray] = field(default_factory=dict)
    _evaluated: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False)

    @property
    def years(self) -> tuple[int, ...]:
        """Calendar years, base year first."""
        count = self.principal_by_age.shape[0]
        return tuple(range(self.base_year, self.base_year + count))

    def values(self, name: str) -> np.ndarray:
        """Compact ``(Dp, T+1, A, G)`` values of a stored or derived variable."""
        if name in self._evaluated:
            return self._evaluated[name]
        if name in self.arrays:
            stored = self.arrays[name]
            if isinstance(stored, np.ndarray):
                return stored
            self._evaluated[name] = stored()
            return self._evaluated[name]
        if name not in _DERIVED:
            raise KeyError(f"no variable {name!r}; choose from {VARIABLES}")
        return _DERIVED[name](self.values)

    def block(self, name: str, draws: slice, areas: slice) -> np.ndarray:
        """Return a stored variable for ``draws`` (unless the same in every draw) and ``areas``.

        A :class:`Lazy` variable not yet evaluated is evaluated for the block
        alone; the bits are those of the same part of :meth:`values`.
        """
        stored = self.arrays[name]
        if isinstance(stored, Lazy) and name not in self._evaluated:
            return stored.block(draws, areas)
        values = self.values(name)
        return values[draws if values.shape[0] > 1 else slice(None), :, areas]

    def draw_rows(self, name: str) -> int:
        """Length of a stored variable's draw axis (1 or N + 1), without evaluating it."""
        stored = self.arrays[name]
        if isinstance(stored, Lazy) and name not in self._evaluated:
            return stored.draws
        return int(self.values(name).shape[0])

    def variable(self, name: str) -> LabelledArray:
        """Return a variable as ``draw x year x area x staff_group`` (read-only if broadcast)."""
        compact = self.values(name)
        shape = (self.n_draws + 1, *compact.shape[1:])
        coords: dict[str, tuple[Label, ...]] = {
            "draw": tuple(range(self.n_draws + 1)),
            "year": self.years,
            "area": self.areas,
            "staff_group": self.staff_groups,
        }
        dims = ("draw", "year", "area", "staff_group")
        return LabelledArray(dims, coords, np.broadcast_to(compact, shape))

    def supply_hc_by_age(self) -> LabelledArray:
        """Principal-run headcount as ``year x area x staff_group x age_band``."""
        coords: dict[str, tuple[Label, ...]] = {
            "year": self.years,
            "area": self.areas,
            "staff_group": self.staff_groups,
            "age_band": self.age_bands,
        }
        return LabelledArray(tuple(coords), coords, self.principal_by_age)
