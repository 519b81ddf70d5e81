"""Supply: joiner routes, leaver rates and FTE per head, fed to the cohort kernel.

All arrays here are ``(Dp, T+1, A, G)`` with ``Dp`` 1 or the number of draws;
entry ``t`` of a flow is what happens during year t (year 0 is unused).

Newly qualified joiners arriving in year ``y`` come from the intake of year
``y - duration``::

    NQ[y] = places[y - duration] x m_places
            x (min(completion x m_completion, 1) x min(take_up x m_take_up, 1) x area_share)

where ``m_places`` (``training_places_multiplier``) applies only to intakes after
the base year; earlier intakes are already in training.
"""

from __future__ import annotations

import numpy as np

from wfplan.model.assumptions import Assumption
from wfplan.model.calibration import leaver_rates, trend_joiners, trend_mask
from wfplan.model.inputs import ModelInputs
from wfplan.model.interventions import (
    ROUTES,
    YOUNG_ROUTES,
    InterventionEffects,
    training_yield,
)
from wfplan.model.kernel import (
    HeadcountProjection,
    Route,
    SupplyDrivers,
    Term,
    materialise,
    project_headcount,
)
from wfplan.model.uncertainty import Draws, group_values


def training_intakes(
    inputs: ModelInputs, draws: Draws, horizon: int, assumptions: list[Assumption]
) -> np.ndarray:
    """``(Dp, T+1, G)`` effective intakes feeding newly qualified joiners in each year."""
    groups = inputs.coords.staff_group
    places = inputs.array("training_places")
    series_years = inputs.training_years
    duration = inputs.array("training_duration").astype(int)
    multiplier = group_values(draws, "training_places_multiplier", groups)
    intakes = np.zeros((multiplier.shape[0], horizon + 1, len(groups)))
    outside = set()
    for t in range(1, horizon + 1):
        for g in range(len(groups)):
            intake_year = inputs.base_year + t - int(duration[g])
            row = int(np.clip(intake_year - series_years[0], 0, len(series_years) - 1))
            if intake_year not in series_years and len(series_years) > 1:
                outside.add(intake_year)
            scale = multiplier[:, g] if intake_year > inputs.base_year else 1.0
            intakes[:, t, g] = places[row, g] * scale
    if outside:
        assumptions.append(
            Assumption(
                name="training_places",
                value=sorted(outside),
                reason="intake years outside the series: held at the nearest year's places",
            )
        )
    return intakes


def baseline_routes(
    inputs: ModelInputs, draws: Draws, horizon: int, assumptions: list[Assumption]
) -> dict[str, Route]:
    """Baseline joiners by route, each a product of compact ``(Dx, Tx, Ax, G)`` factors."""
    groups = inputs.coords.staff_group
    routes: dict[str, Route] = {}
    for route, array_name, parameter in (
        ("international", "international_joiners", "international_joiners_multiplier"),
        ("return_to_practice", "return_to_practice_joiners", "return_to_practice_multiplier"),
        ("other", "other_joiners", "other_joiners_multiplier"),
    ):
        multiplier = group_values(draws, parameter, groups)[:, np.newaxis, np.newaxis, :]
        routes[route] = (Term((inputs.array(array_name)[np.newaxis, np.newaxis], multiplier)),)
    routes["other"] = _calibrated_other(inputs, draws, horizon, assumptions, routes["other"])
    intakes = training_intakes(inputs, draws, horizon, assumptions)
    completion = inputs.array("completion_rate")
    take_up = inputs.array("take_up_rate")
    per_place = np.stack(
        [training_yield(draws, groups, g, completion[g], take_up[g]) for g in range(len(groups))],
        axis=-1,
    )  # (Dy, G)
    per_place_by_area = per_place[:, np.newaxis, np.newaxis, :] * inputs.array("area_share")
    routes["newly_qualified"] = (Term((intakes[:, :, np.newaxis, :], per_place_by_area)),)
    return routes


def _calibrated_other(inputs: ModelInputs, draws: Draws, horizon: int,
                      assumptions: list[Assumption], other: Route) -> Route:
    """Other joiners, replaced by leavers + trend in the groups calibrated to their census trend.

    See :mod:`~wfplan.model.calibration`; unchanged when no group follows a trend.
    """
    mask = trend_mask(inputs, draws, assumptions)
    if not mask.any():
        return other
    (term,) = other
    keep = (~mask).astype(float)[:, np.newaxis, np.newaxis, :]
    trend = trend_joiners(inputs, draws, mask, horizon, assumptions)
    return (Term((*term.factors, keep)), Term((trend, term.factors[1])))


def add_intervention_joiners(
    routes: dict[str, Route], effects: InterventionEffects
) -> dict[str, Route]:
    """Routes with each intervention's joiners added as one more term, in scenario order."""
    totals = dict(routes)
    for route, terms in effects.routes.items():
        totals[route] = (*totals.get(route, ()), *terms)
    return totals


def route_flow(route: Route, horizon: int) -> np.ndarray:
    """Joiners a year by one route as ``(D?, T+1, A, G)``; year 0 (no flows) is NaN."""
    values = materialise(route)
    flow = np.empty((values.shape[0], horizon + 1, *values.shape[2:]))
    flow[...] = values
    flow[:, 0] = np.nan
    return flow


def fte_per_head(
    inputs: ModelInputs, draws: Draws, horizon: int, factor: np.ndarray | None
) -> np.ndarray:
    """``(Df, T+1, A, G)`` FTE per head: base x multiplier x flexible-working factor."""
    multiplier = group_values(draws, "fte_per_head_multiplier", inputs.coords.staff_group)
    base = inputs.array("fte_per_head")[np.newaxis] * multiplier[:, np.newaxis, :]
    per_year = np.repeat(base[:, np.newaxis], horizon + 1, axis=1)
    return per_year if factor is None else per_year * factor


def _take_groups(array: np.ndarray, groups: np.ndarray | None, axis: int = -1) -> np.ndarray:
    return array if groups is None else np.take(array, groups, axis=axis)


def supply_drivers(
    inputs: ModelInputs,
    draws: Draws,
    routes: dict[str, Route],
    retention: np.ndarray | None,
    horizon: int,
    groups: np.ndarray | None = None,
    age_retention: np.ndarray | None = None,
    older_bands: np.ndarray | None = None,
) -> SupplyDrivers:
    """Assemble kernel inputs, for every staff group or only the group indices ``groups``.

    ``age_retention`` is ``(T+1, K, A or 1, G)``: leaver-rate factors by age band
    (:class:`~wfplan.model.intervention_types.RetireAndReturn`); terms marked
    ``older`` join in the age bands ``older_bands``, as each cell's base stock is.
    """
    stock = np.moveaxis(inputs.array("stock_hc"), 2, 0)  # (K, A, G)
    leaver_rate = np.moveaxis(leaver_rates(inputs, draws), 2, 0)
    multiplier = group_values(draws, "leaver_rate_multiplier", inputs.coords.staff_group)
    multiplier = np.broadcast_to(multiplier[:, np.newaxis, :], (len(multiplier), *stock.shape[1:]))
    profiles = [
        np.broadcast_to(inputs.array(name).T[:, np.newaxis], stock.shape)
        for name in ("newly_qualified_age_profile", "joiner_age_profile")
    ]

    def cells(array: np.ndarray) -> np.ndarray:
        """(..., A, G) -> (..., C) with cells staff-group major, as the kernel expects."""
        selected = np.swapaxes(_take_groups(array, groups), -1, -2)
        return np.ascontiguousarray(selected).reshape(*selected.shape[:-2], -1)

    def native(factor: np.ndarray) -> np.ndarray:
        """(Dx, Tx, Ax, G) -> contiguous (Dx, Tx, G, Ax), the kernel's cell order."""
        return np.ascontiguousarray(np.swapaxes(_take_groups(factor, groups), -1, -2))

    def subset(route: Route, older: bool = False) -> Route:
        terms = []
        for term in route:
            if term.older != older:
                continue
            group = term.group
            if groups is not None and group is not None:
                if group not in groups:
                    continue  # zero in every selected group
                group = int(np.flatnonzero(groups == group)[0])
            terms.append(Term(tuple(native(factor) for factor in term.factors), group))
        return tuple(terms)

    young = [name for name in ROUTES if name in routes and name in YOUNG_ROUTES]
    general = [name for name in ROUTES if name in routes and name not in YOUNG_ROUTES]
    older = tuple(route for route in (subset(routes[name], True) for name in ROUTES
                                      if name in routes) if route)
    return SupplyDrivers(
        stock=cells(stock),
        leaver_rate=cells(leaver_rate),
        leaver_multiplier=cells(multiplier),
        retention=None if retention is None else native(retention),
        young_routes=tuple(subset(routes[name]) for name in young),
        general_routes=tuple(subset(routes[name]) for name in general),
        young_profile=cells(profiles[0]),
        general_profile=cells(profiles[1]),
        ageing_fraction=1.0 / inputs.array("age_band_width")[:-1],
        years=horizon,
        areas=len(inputs.coords.area),
        groups=len(inputs.coords.staff_group) if groups is None else len(groups),
        age_retention=None if age_retention is None else native(age_retention),
        older_routes=older,
        older_profile=cells(_older_profile(stock, older_bands)) if older else None,
    )


def _older_profile(stock: np.ndarray, bands: np.ndarray | None) -> np.ndarray:
    """``(K, A, G)`` share of each cell's base headcount in ``bands`` (equal where none)."""
    older = np.zeros(stock.shape[0], dtype=bool) if bands is None else bands.astype(bool)
    if not older.any():
        older[-1] = True
    weight = stock * older[:, np.newaxis, np.newaxis]
    total = weight.sum(axis=0, keepdims=True)
    even = np.broadcast_to(older[:, np.newaxis, np.newaxis] / older.sum(), stock.shape)
    return np.divide(weight, total, out=np.array(even), where=total > 0)


def project_supply(
    drivers: SupplyDrivers, total_draws: int, workers: int | None
) -> HeadcountProjection:
    """Run the kernel (thin wrapper kept for a single place to time and test)."""
    return project_headcount(drivers, total_draws, workers)
