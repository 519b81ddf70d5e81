"""Supply: joiner routes, leaver rates and FTE per head, fed to the cohort kernel.

All arrays here are ``(Dp, T+1, A, G)`` with ``Dp`` 1 or the number of draws;
entry ``t`` of a flow is what happens during year t (year 0 is unused).

Newly qualified joiners arriving in year ``y`` come from the intake of year
``y - duration``::

    NQ[y] = places[y - duration] x m_places x min(completion x m_completion, 1)
            x min(take_up x m_take_up, 1) x area_share

where ``m_places`` (``training_places_multiplier``) applies only to intakes after
the base year; earlier intakes are already in training.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from wfplan.model.inputs import ModelInputs
from wfplan.model.interventions import (
    ROUTES,
    YOUNG_ROUTES,
    InterventionEffects,
    training_yield,
)
from wfplan.model.kernel import HeadcountProjection, SupplyDrivers, project_headcount
from wfplan.model.uncertainty import Draws, group_values


def _flow(per_year: np.ndarray, years: int) -> np.ndarray:
    """Repeat ``(Dp, A, G)`` joiners a year over years 1..T (year 0 is 0)."""
    out = np.zeros((per_year.shape[0], years + 1, *per_year.shape[1:]))
    out[:, 1:] = per_year[:, np.newaxis]
    return out


def training_intakes(
    inputs: ModelInputs, draws: Draws, horizon: int, assumptions: list[dict[str, Any]]
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
            {
                "name": "training_places",
                "value": sorted(outside),
                "reason": "intake years outside the series: held at the nearest year's places",
            }
        )
    return intakes


def baseline_routes(
    inputs: ModelInputs, draws: Draws, horizon: int, assumptions: list[dict[str, Any]]
) -> dict[str, np.ndarray]:
    """Baseline joiners by route before interventions, ``(Dp, T+1, A, G)`` each."""
    groups = inputs.coords.staff_group
    routes = {}
    for route, array_name, parameter in (
        ("international", "international_joiners", "international_joiners_multiplier"),
        ("return_to_practice", "return_to_practice_joiners", "return_to_practice_multiplier"),
        ("other", "other_joiners", "other_joiners_multiplier"),
    ):
        multiplier = group_values(draws, parameter, groups)
        per_year = inputs.array(array_name)[np.newaxis] * multiplier[:, np.newaxis, :]
        routes[route] = _flow(per_year, horizon)
    intakes = training_intakes(inputs, draws, horizon, assumptions)
    completion = inputs.array("completion_rate")
    take_up = inputs.array("take_up_rate")
    per_place = np.stack(
        [training_yield(draws, groups, g, completion[g], take_up[g]) for g in range(len(groups))],
        axis=-1,
    )  # (Dy, G)
    joiners = intakes * per_place[:, np.newaxis, :]
    routes["newly_qualified"] = joiners[:, :, np.newaxis, :] * inputs.array("area_share")
    return routes


def total_routes(
    baseline: dict[str, np.ndarray], effects: InterventionEffects
) -> dict[str, np.ndarray]:
    """Baseline plus intervention joiners for every route present."""
    totals = dict(baseline)
    for route, added in effects.routes.items():
        totals[route] = added if route not in totals else totals[route] + added
    return totals


def fte_per_head(
    inputs: ModelInputs, draws: Draws, horizon: int, factor: np.ndarray | None
) -> np.ndarray:
    """``(Df, T+1, A, G)`` FTE per head: base x multiplier x flexible-working factor."""
    multiplier = group_values(draws, "fte_per_head_multiplier", inputs.coords.staff_group)
    base = inputs.array("fte_per_head")[np.newaxis] * multiplier[:, np.newaxis, :]
    per_year = np.repeat(base[:, np.newaxis], horizon + 1, axis=1)
    return per_year if factor is None else per_year * factor


def _cells(array: np.ndarray, cells: np.ndarray | None) -> np.ndarray:
    """Flatten the last two axes (area, staff group) to cells, optionally selecting some."""
    flat = array.reshape(*array.shape[:-2], -1)
    return flat if cells is None else flat[..., cells]


def supply_drivers(
    inputs: ModelInputs,
    draws: Draws,
    routes: dict[str, np.ndarray],
    retention: np.ndarray | None,
    horizon: int,
    cells: np.ndarray | None = None,
) -> SupplyDrivers:
    """Assemble kernel inputs, for every cell or only the flat cell indices ``cells``."""
    areas = len(inputs.coords.area)
    stock = np.moveaxis(inputs.array("stock_hc"), 2, 0)  # (K, A, G)
    leaver_rate = np.moveaxis(inputs.array("leaver_rate"), 2, 0)
    groups = inputs.coords.staff_group
    multiplier = group_values(draws, "leaver_rate_multiplier", groups)
    multiplier = np.repeat(multiplier[:, np.newaxis, :], areas, axis=1)
    profile_young = np.broadcast_to(
        inputs.array("newly_qualified_age_profile").T[:, None], stock.shape
    )
    profile_general = np.broadcast_to(inputs.array("joiner_age_profile").T[:, None], stock.shape)
    width = inputs.array("age_band_width")[:-1]
    young = [name for name in ROUTES if name in routes and name in YOUNG_ROUTES]
    general = [name for name in ROUTES if name in routes and name not in YOUNG_ROUTES]
    return SupplyDrivers(
        stock=np.ascontiguousarray(_cells(stock, cells)),
        leaver_rate=np.ascontiguousarray(_cells(leaver_rate, cells)),
        leaver_multiplier=np.ascontiguousarray(_cells(multiplier, cells)),
        retention=None if retention is None else np.ascontiguousarray(_cells(retention, cells)),
        young_routes=tuple(_cells(routes[name], cells) for name in young),
        general_routes=tuple(_cells(routes[name], cells) for name in general),
        young_profile=np.ascontiguousarray(_cells(profile_young, cells)),
        general_profile=np.ascontiguousarray(_cells(profile_general, cells)),
        ageing_fraction=1.0 / width,
        years=horizon,
    )


def project_supply(
    drivers: SupplyDrivers, total_draws: int, workers: int | None
) -> HeadcountProjection:
    """Run the kernel (thin wrapper kept for a single place to time and test)."""
    return project_headcount(drivers, total_draws, workers)
