"""Builders for small, hand-checkable model inputs and scenarios (used through fixtures)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

from wfplan.model import Coords, ModelInputs, Scenario, parse_scenario


def build_inputs(
    *,
    areas: Sequence[str] = ("A",),
    groups: Sequence[str] = ("g",),
    ages: Sequence[str] = ("a",),
    widths: Sequence[float] | None = None,
    stock: Any = 100.0,
    leaver_rate: Any = 0.1,
    other_joiners: Any = 0.0,
    joiner_profile: Any = None,
    nq_profile: Any = None,
    international: Any = 0.0,
    return_to_practice: Any = 0.0,
    fte_per_head: Any = 1.0,
    vacancy: Any = 0.0,
    training_places: Any = 0.0,
    training_years: Sequence[int] | None = None,
    duration: Any = 3,
    completion: Any = 1.0,
    take_up: Any = 1.0,
    population: Any = None,
    population_years: Sequence[int] | None = None,
    variants: Sequence[str] = ("principal",),
    population_bands: Sequence[str] = ("all",),
    utilisation: Any = None,
    area_share: Any = None,
    base_year: int = 2024,
    level: str | None = None,
) -> ModelInputs:
    """Inputs from scalars or arrays (broadcast to the documented shapes)."""
    coords = Coords(area=tuple(areas), staff_group=tuple(groups), age_band=tuple(ages))
    a, g, k = len(areas), len(groups), len(ages)

    def full(value: Any, shape: tuple[int, ...]) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=float), shape).copy()

    uniform = np.full((g, k), 1.0 / k)
    widths = list(widths) if widths is not None else [5.0] * (k - 1) + [np.inf]
    optional: dict[str, Any] = {}
    if training_years is None:
        optional["training_places"] = coords.label("staff_group", full(training_places, (g,)))
    else:
        places = full(training_places, (len(training_years), g))
        optional["training_places"] = coords.label("year staff_group", places, year=training_years)
    if population is not None:
        years = population_years or tuple(range(base_year, base_year + np.shape(population)[1]))
        optional["population"] = coords.label(
            "variant year area population_age_band",
            population,
            variant=variants,
            year=years,
            population_age_band=population_bands,
        )
        if utilisation is not None:
            optional["utilisation"] = coords.label(
                "staff_group population_age_band",
                full(utilisation, (g, len(population_bands))),
                population_age_band=population_bands,
            )
    if area_share is not None:
        optional["area_share"] = coords.label("area staff_group", full(area_share, (a, g)))
    return ModelInputs(
        coords=coords,
        base_year=base_year,
        age_band_width=coords.label("age_band", widths),
        stock_hc=coords.label("area staff_group age_band", full(stock, (a, g, k))),
        leaver_rate=coords.label("area staff_group age_band", full(leaver_rate, (a, g, k))),
        joiner_age_profile=coords.label(
            "staff_group age_band",
            uniform if joiner_profile is None else full(joiner_profile, (g, k)),
        ),
        newly_qualified_age_profile=coords.label(
            "staff_group age_band", uniform if nq_profile is None else full(nq_profile, (g, k))
        ),
        other_joiners=coords.label("area staff_group", full(other_joiners, (a, g))),
        international_joiners=coords.label("area staff_group", full(international, (a, g))),
        return_to_practice_joiners=coords.label(
            "area staff_group", full(return_to_practice, (a, g))
        ),
        fte_per_head=coords.label("area staff_group", full(fte_per_head, (a, g))),
        vacancy_fte=coords.label("area staff_group", full(vacancy, (a, g))),
        training_duration=coords.label("staff_group", full(duration, (g,))),
        level=level,
        completion_rate=coords.label("staff_group", full(completion, (g,))),
        take_up_rate=coords.label("staff_group", full(take_up, (g,))),
        **optional,
    )


def build_scenario(**fields: Any) -> Scenario:
    """A valid scenario: ``horizon`` 10, level ``icb``, no draws, unless overridden."""
    data: dict[str, Any] = {"name": "test", "horizon": 10, "level": "icb"}
    data.update(fields)
    return parse_scenario(data)


def intervention(kind: str, staff_group: str = "g", amount: Any = 1.0, **fields: Any) -> dict:
    """An intervention record with a start year, source and owner filled in."""
    record = {
        "type": kind,
        "staff_group": staff_group,
        "amount": amount,
        "start_year": 2025,
        "source": "test",
        "owner": "tests",
    }
    record.update(fields)
    return record


@pytest.fixture(scope="session")
def make_inputs() -> Callable[..., ModelInputs]:
    return build_inputs


@pytest.fixture(scope="session")
def make_scenario() -> Callable[..., Scenario]:
    return build_scenario


@pytest.fixture(scope="session")
def make_intervention() -> Callable[..., dict]:
    return intervention
