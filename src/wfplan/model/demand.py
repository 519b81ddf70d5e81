"""Demand in FTE: the base establishment grown by demographic and other drivers.

::

    D[t]     = D0 x demog[t] x (1 + g)^t x P[t] + D0 x s x t      then skill mix
    D0       = FTE in post + vacant FTE at the base period       (establishment)
    demog[t] = sum_age pop[t, area, age] util[group, age] / (same at t = 0)
    P[t]     = prod_{u=1..t} (1 - p - p_interventions[u])          ((1 - p)^t with none)
    need[t]  = D[t] x (1 + unmet_need_fraction)

``g`` is ``non_demographic_growth``, ``p`` ``productivity_growth`` and ``s``
``service_plan_growth`` (a linear service-plan change, as a fraction of D0 a year).
"""

from __future__ import annotations

import numpy as np

from wfplan.model.errors import ModelInputError, ScenarioError
from wfplan.model.inputs import ModelInputs
from wfplan.model.interventions import SkillMixEffect
from wfplan.model.uncertainty import Draws, category_values, group_values


def demographic_ratio(inputs: ModelInputs, horizon: int) -> np.ndarray:
    """``(variant, T+1, A, G)`` demographic driver demog[t] for every population variant."""
    years = inputs.population_years
    wanted = range(inputs.base_year, inputs.base_year + horizon + 1)
    missing = [year for year in wanted if year not in years]
    if missing:
        raise ModelInputError(
            "population", "year", f"must cover {wanted[0]}..{wanted[-1]}; missing {missing}"
        )
    population = inputs.array("population")[:, [years.index(year) for year in wanted]]
    weighted = np.einsum("vtap,gp->vtag", population, inputs.array("utilisation"))
    base = weighted[:, :1]
    ratio = np.ones_like(weighted)
    np.divide(weighted, base, out=ratio, where=np.broadcast_to(base > 0, weighted.shape))
    return ratio


def variant_index(inputs: ModelInputs, draws: Draws) -> np.ndarray:
    """``(Dv,)`` index of the population variant used by each draw."""
    names = category_values(draws, "population_variant")
    variants = inputs.population_variants
    unknown = sorted({str(name) for name in names if name not in variants})
    if unknown:
        raise ScenarioError(
            [f"parameters.population_variant: {unknown} not in the population input {variants}"]
        )
    return np.array([variants.index(name) for name in names])


def _cumulative(annual: np.ndarray) -> np.ndarray:
    """Cumulative product over the year axis (1) from year 1, with 1 at year 0."""
    steps = np.ones_like(annual)
    steps[:, 1:] = annual[:, 1:]
    return np.cumprod(steps, axis=1)


def _over_years(array: np.ndarray, horizon: int) -> np.ndarray:
    return np.broadcast_to(array, (array.shape[0], horizon + 1, *array.shape[2:]))


def driver_factor(
    draws: Draws, staff_groups: tuple[str, ...], horizon: int, productivity: np.ndarray | None
) -> np.ndarray:
    """``(D?, T+1, A?, G)`` factor (1 + g)^t x P[t]."""
    growth = group_values(draws, "non_demographic_growth", staff_groups)
    base_productivity = group_values(draws, "productivity_growth", staff_groups)
    growth_steps = 1.0 + growth[:, np.newaxis, np.newaxis, :]
    keep = 1.0 - base_productivity[:, np.newaxis, np.newaxis, :]
    productivity_steps = keep if productivity is None else keep - productivity
    growth_factor = _cumulative(_over_years(growth_steps, horizon))
    return growth_factor * _cumulative(_over_years(productivity_steps, horizon))


#: Elements of one block of draws when filling demand (keeps the gather in cache).
BLOCK_ELEMENTS = 1 << 18


def funded_demand(
    inputs: ModelInputs,
    draws: Draws,
    horizon: int,
    grown: np.ndarray,
    variants: np.ndarray,
    productivity: np.ndarray | None,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """``(D?, T+1, A, G)`` funded demand before skill mix (or for the staff groups ``groups``).

    ``grown`` is ``D0 x demog`` for every population variant, ``(V, T+1, A, G)``;
    demand is ``grown[variant] x (1 + g)^t x P[t] + D0 x (service_plan_growth x t)``.
    """
    factor, service_term = funded_terms(inputs, draws, horizon, productivity)
    if groups is not None:
        grown, factor = grown[..., groups], factor[..., groups]
        service_term = None if service_term is None else service_term[..., groups]
    return _by_blocks(grown, variants, factor, service_term)


def funded_terms(
    inputs: ModelInputs, draws: Draws, horizon: int, productivity: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Return ``(1 + g)^t x P[t]`` and the service-plan term ``D0 x s x t`` (None if 0)."""
    codes = inputs.coords.staff_group
    factor = driver_factor(draws, codes, horizon, productivity)
    service = group_values(draws, "service_plan_growth", codes)[:, np.newaxis, np.newaxis, :]
    service_term = None
    if service.any():
        years = np.arange(horizon + 1, dtype=np.float64)[np.newaxis, :, np.newaxis, np.newaxis]
        service_term = inputs.establishment_fte() * (service * years)
    return factor, service_term


def funded_by_variant(
    grown: tuple[np.ndarray, ...],
    variants: np.ndarray,
    factor: np.ndarray,
    service_term: np.ndarray | None,
) -> np.ndarray:
    """Funded demand from each variant's ``(1, T+1, A, G)`` growth and ``(Dv, 1, 1, 1)`` variants.

    The same products as :func:`funded_demand` (no productivity interventions, every
    staff group), in a form whose draws and areas can be cut apart
    (:class:`~wfplan.model.results.Lazy`).
    """
    return _by_blocks(np.concatenate(grown, axis=0), variants[:, 0, 0, 0], factor, service_term)


def _by_blocks(
    grown: np.ndarray, variants: np.ndarray, factor: np.ndarray, service_term: np.ndarray | None
) -> np.ndarray:
    """``grown[variants] x factor (+ service_term)``, one block of draws at a time."""
    addend = np.zeros((1, 1, 1, 1)) if service_term is None else service_term
    rows = max(len(variants), factor.shape[0], addend.shape[0])
    shape = (rows, *np.broadcast_shapes(grown.shape[1:], factor.shape[1:], addend.shape[1:]))
    out = np.empty(shape)
    step = max(1, BLOCK_ELEMENTS // int(np.prod(shape[1:])))
    for start in range(0, rows, step):
        block = slice(start, min(start + step, rows))

        def pick(array: np.ndarray, block: slice = block) -> np.ndarray:
            return array if array.shape[0] == 1 else array[block]

        np.multiply(grown[pick(variants)], pick(factor), out=out[block])
        if service_term is not None:
            out[block] += pick(service_term)
    return out


def apply_skill_mix(
    demand: np.ndarray, moves: list[SkillMixEffect], *, in_place: bool = False
) -> tuple[np.ndarray, np.ndarray | None]:
    """Move demand between staff groups, in scenario order.

    Parameters
    ----------
    demand
        ``(D?, T+1, A, G)`` funded demand.
    moves
        Skill-mix moves.
    in_place
        Whether ``demand`` may be changed (when its shape allows).

    Returns
    -------
    tuple
        The new demand, and the skill-mix cost ``(D?, T+1, A, G)`` (None if nothing costs).
    """
    if not moves:
        return demand, None
    draws = max([demand.shape[0]] + [move.ratio.shape[0] for move in moves])
    if not in_place or demand.shape[0] != draws:
        demand = np.array(np.broadcast_to(demand, (draws, *demand.shape[1:])))
    cost = np.zeros_like(demand) if any(move.cost_per_unit for move in moves) else None
    # one block of draws at a time: a staff group's cells are strided, so stay in cache
    step = max(1, BLOCK_ELEMENTS // int(np.prod(demand.shape[1:])))
    for start in range(0, draws, step):
        block = slice(start, min(start + step, draws))
        _move_block(demand[block], None if cost is None else cost[block], moves, block)
    return demand, cost


def _move_block(
    demand: np.ndarray, cost: np.ndarray | None, moves: list[SkillMixEffect], block: slice
) -> None:
    for move in moves:
        ratio = move.ratio if move.ratio.shape[0] == 1 else move.ratio[block]
        source = demand[..., move.from_group]
        moved = np.where(move.areas, move.share[:, :, np.newaxis] * source, 0.0)
        demand[..., move.from_group] = source - moved
        target = demand[..., move.to_group]
        demand[..., move.to_group] = target + ratio[:, np.newaxis, np.newaxis] * moved
        if cost is not None:
            cost[..., move.from_group] += move.cost_per_unit * moved
