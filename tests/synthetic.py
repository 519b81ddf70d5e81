"""Synthetic model inputs for tests, examples and the benchmark (not real data).

The numbers are plausible in scale only: they are drawn from a seeded generator
and describe no real area or organisation.
"""

from __future__ import annotations

import numpy as np

from wfplan.model.inputs import ModelInputs
from wfplan.model.labelled import Coords, LabelledArray

#: Staff group codes of the wfplan code list (NHS, primary care, adult social care).
STAFF_GROUPS = (
    "nurses_health_visitors",
    "hchs_doctors",
    "midwives",
    "ambulance_staff",
    "scientific_therapeutic_technical",
    "support_doctors_nurses_midwives",
    "support_ambulance",
    "support_stt",
    "central_functions",
    "hotel_property_estates",
    "senior_managers",
    "managers",
    "gp",
    "pc_nurses",
    "pc_direct_patient_care",
    "pc_admin",
    "asc_direct_care",
    "asc_regulated_professions",
    "asc_managerial",
    "asc_other",
)


def _age_profile(rng: np.random.Generator, shape: tuple[int, int, int]) -> np.ndarray:
    groups, bands = shape[1], shape[2]
    weights = rng.uniform(0.2, 1.0, (groups, bands)) * np.linspace(1.5, 0.2, bands)
    return weights / weights.sum(axis=1, keepdims=True)


def _coords(areas: int, staff_groups: int, age_bands: int) -> Coords:
    group_codes = tuple(STAFF_GROUPS[:staff_groups]) + tuple(
        f"group_{i + 1}" for i in range(len(STAFF_GROUPS), staff_groups)
    )
    return Coords(
        area=tuple(f"A{i + 1:03d}" for i in range(areas)),
        staff_group=group_codes,
        age_band=tuple(f"band_{i + 1}" for i in range(age_bands)),
    )


def _demography(
    coords: Coords, rng: np.random.Generator, base_year: int, years: int
) -> dict[str, LabelledArray]:
    """Build a population in three variants (older bands growing faster) and utilisation."""
    bands = ("0-17", "18-64", "65-84", "85+")
    growth = 1 + np.array([0.0, 0.002, 0.015, 0.03])
    base_population = rng.uniform(2e5, 8e5, (len(coords.area), len(bands)))
    steps = np.arange(years)[:, np.newaxis, np.newaxis]
    principal = base_population[np.newaxis] * growth**steps
    variant_scale = np.array([1.0, 1.004, 0.996])[:, np.newaxis, np.newaxis, np.newaxis] ** steps
    return {
        "population": coords.label(
            "variant year area population_age_band",
            principal[np.newaxis] * variant_scale,
            variant=("principal", "high", "low"),
            year=tuple(range(base_year, base_year + years)),
            population_age_band=bands,
        ),
        "utilisation": coords.label(
            "staff_group population_age_band",
            rng.uniform(0.5, 4.0, (len(coords.staff_group), len(bands))),
            population_age_band=bands,
        ),
    }


def synthetic_inputs(
    areas: int = 3,
    staff_groups: int = 3,
    age_bands: int = 4,
    *,
    base_year: int = 2024,
    population_years: int = 26,
    seed: int = 0,
) -> ModelInputs:
    """Build seeded synthetic :class:`ModelInputs` of the given size.

    Staff group codes come from :data:`STAFF_GROUPS` (then ``group_21``...); areas
    are ``A001``...; age bands ``band_1``... of width 5 years.
    """
    rng = np.random.default_rng(seed)
    coords = _coords(areas, staff_groups, age_bands)
    shape = (areas, staff_groups, age_bands)
    stock = np.round(rng.uniform(50, 2000, shape))
    leaver_rate = rng.uniform(0.05, 0.15, shape)
    leaver_rate[..., -1] = rng.uniform(0.2, 0.35, shape[:2])  # retirement in the oldest band
    per_area = stock.sum(axis=2)

    def share_of_stock(share: float) -> LabelledArray:
        return coords.label("area staff_group", np.round(per_area * share))

    return ModelInputs(
        coords=coords,
        base_year=base_year,
        age_band_width=coords.label("age_band", [5.0] * (age_bands - 1) + [np.inf]),
        stock_hc=coords.label("area staff_group age_band", stock),
        leaver_rate=coords.label("area staff_group age_band", leaver_rate),
        joiner_age_profile=coords.label("staff_group age_band", _age_profile(rng, shape)),
        newly_qualified_age_profile=coords.label("staff_group age_band", _age_profile(rng, shape)),
        other_joiners=share_of_stock(0.05),
        international_joiners=share_of_stock(0.02),
        return_to_practice_joiners=share_of_stock(0.005),
        vacancy_fte=share_of_stock(0.08),
        fte_per_head=coords.label("area staff_group", rng.uniform(0.8, 0.95, shape[:2])),
        training_places=coords.label("staff_group", np.round(stock.sum((0, 2)) * 0.04)),
        training_duration=coords.label("staff_group", rng.integers(2, 6, staff_groups)),
        completion_rate=coords.label("staff_group", rng.uniform(0.7, 0.9, staff_groups)),
        take_up_rate=coords.label("staff_group", rng.uniform(0.8, 0.95, staff_groups)),
        **_demography(coords, rng, base_year, population_years),
        level="icb",
        vintage="synthetic",
        assumptions=[{"name": "all inputs", "value": "synthetic", "reason": "test data"}],
    )
