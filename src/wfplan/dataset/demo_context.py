"""Demo tables around the workforce: vacancies, sickness, survey, population, use, education."""

from __future__ import annotations

import calendar
from collections.abc import Sequence

import numpy as np

from wfplan.dataset import codelists
from wfplan.dataset.demo_calibration import Calibration
from wfplan.dataset.demo_places import Places, place_names
from wfplan.dataset.demo_workforce import Cohort, Rows, normalise

SURVEY_YEARS = (2021, 2022, 2023)
MIN_RESPONDENTS = 50
#: Spread (log sd) of vacancy rates between organisations within a staff group.
VACANCY_SPREAD = 0.5
POPULATION_BANDS = ("0_9", "10_19", "20_29", "30_39", "40_49", "50_59", "60_69", "70_79", "80_plus")
OLD_BANDS = ("60_69", "70_79", "80_plus")
ESTIMATE_YEAR = 2022
PROJECTION_YEARS = range(2023, 2046)
VARIANTS = {"principal": 0, "high": 1, "low": -1}
SERVICES = ("AE", "APC", "OP")
ACADEMIC_YEARS = ("2023/24", "2024/25")
EDUCATION = {  # programme key: (programme name, staff group, provider kind)
    "adult_nursing": ("BSc (Hons) Nursing", "nurses_health_visitors", "university"),
    "nursing_degree_apprenticeship": ("Registered nurse degree apprenticeship",
                                      "nurses_health_visitors", "university"),
    "midwifery": ("BSc (Hons) Midwifery", "midwives", "university"),
    "medicine": ("MBBS Medicine", "hchs_doctors", "medical school"),
    "paramedic_science": ("BSc (Hons) Paramedic Science", "ambulance_staff", "university"),
    "allied_health": ("BSc (Hons) Allied Health Professions", "scientific_therapeutic_technical",
                      "university"),
    "nursing_associate": ("Trainee nursing associate apprenticeship",
                          "support_doctors_nurses_midwives", "college"),
    "gp_training": ("GP specialty training", "gp", "deanery"),
    "social_work": ("Social work degree", "asc_regulated_professions", "university"),
    "care_apprenticeship": ("Adult care worker apprenticeship (level 2-3)", "asc_direct_care",
                            "college"),
}
#: Providers per region for each provider kind (per 10 million people).
PROVIDERS_PER_10M = {"university": 12, "medical school": 5, "college": 15, "deanery": 1}


def org_totals(cohorts: Sequence[Cohort], n_orgs: int, which: str,
               measure: str = "fte") -> dict[str, np.ndarray]:
    """Return FTE (or headcount) per organisation by staff group for census ``t0`` or ``t1``."""
    out: dict[str, np.ndarray] = {}
    for cohort in cohorts:
        stock = cohort.stock0 if which == "t0" else cohort.stock1
        amount = stock * cohort.fte_per_head if measure == "fte" else stock
        per_org = amount.reshape(len(cohort.orgs), -1).sum(axis=1)
        total = out.setdefault(cohort.staff_group, np.zeros(n_orgs))
        np.add.at(total, cohort.orgs, per_org)
    return out


def vacancies(rows: Rows, rng: np.random.Generator, *, period: str, org_codes: np.ndarray,
              size: dict[str, np.ndarray], totals: dict[str, float],
              org_factor: np.ndarray) -> None:
    """Share vacancy totals by staff group over organisations (by size, with spread)."""
    for group, total in totals.items():
        weight = size[group] * org_factor * rng.lognormal(0.0, VACANCY_SPREAD, len(org_codes))
        keep = np.flatnonzero(weight > 0)
        rows.add(period=period, org_code=org_codes[keep], staff_group=group,
                 vacancy_fte=np.round(total * normalise(weight[keep]), 2))


def group_totals(total: float, groups: Sequence[str], size: dict[str, np.ndarray],
                 relative: np.ndarray) -> dict[str, float]:
    """Split a vacancy total over groups in proportion to size × relative vacancy rate."""
    weight = np.array([size[g].sum() for g in groups]) * relative
    return {g: float(total * w) for g, w in zip(groups, normalise(weight), strict=True)}


def sickness(rows: Rows, rng: np.random.Generator, cal: Calibration, places: Places,
             fte0: np.ndarray, fte1: np.ndarray) -> None:
    """Add monthly sickness absence per trust (all staff), April 2024 to March 2025."""
    trusts = places.trusts
    by_type = cal.group("nhs.sickness_rate_by_type")
    type_rate = np.array([by_type[t] for t in trusts.org_type])
    type_factor = type_rate / float(np.average(type_rate, weights=fte0))
    spread = cal["nhs.sickness_org_spread"]
    org_factor = type_factor * rng.lognormal(-spread**2 / 2, spread, len(trusts))
    months = cal.group("nhs.sickness_rate")
    for step, (month_end, rate) in enumerate(months.items(), start=1):
        year, month = int(month_end[:4]), int(month_end[5:7])
        days = calendar.monthrange(year, month)[1]
        fte = fte0 + (fte1 - fte0) * step / len(months)
        available = fte * days
        noise = rng.lognormal(-0.05**2 / 2, 0.05, len(trusts))
        lost = available * np.clip(rate * org_factor * noise, 0.0, 0.5)
        rows.add(period=month_end, org_code=trusts.codes, fte_days_lost=np.round(lost, 2),
                 fte_days_available=np.round(available, 2))


def staff_survey(rows: Rows, rng: np.random.Generator, cal: Calibration, places: Places,
                 headcount: np.ndarray) -> None:
    """Add yearly staff survey results per trust, held to the national means."""
    trusts = places.trusts
    indicators = sorted({parts[1] for parts in (name.split(".") for name in cal.values)
                         if parts[0] == "survey" and len(parts) == 3 and parts[2].isdigit()})
    per_head = cal["survey.respondents_per_head"]
    ambulance = trusts.org_type == "Ambulance"
    for indicator in indicators:
        spread = cal[f"survey.{indicator}.spread"]
        lasting = rng.normal(0.0, spread * 0.8, len(trusts))
        if indicator == "burned_out":
            lasting = lasting + ambulance * cal["survey.burned_out.ambulance_uplift"]
        for year in SURVEY_YEARS:
            response = rng.uniform(0.7, 1.3, len(trusts))
            base = np.maximum(MIN_RESPONDENTS, np.round(headcount * per_head * response))
            effect = lasting + rng.normal(0.0, spread * 0.4, len(trusts))
            effect -= np.average(effect, weights=base)
            value = np.clip(cal[f"survey.{indicator}.{year}"] + effect, 0.01, 0.99)
            rows.add(year=np.full(len(trusts), year, dtype=np.int64), org_code=trusts.codes,
                     indicator=indicator, value=np.round(value, 4), base=base.astype(np.int64))


def population(rows: Rows, cal: Calibration, places: Places) -> None:
    """Add England, NHS region and ICB population by ten-year age band, 2022 to 2045."""
    geo = places.geography
    england22 = cal.vector("pop.england.2022", POPULATION_BANDS)
    england28 = cal.vector("pop.england.2028", POPULATION_BANDS)
    log_growth = np.log(england28 / england22) / 6
    damping = cal["pop.growth_damping_after_2028"]
    spread = cal["pop.variant_growth_difference"]
    old = np.isin(POPULATION_BANDS, OLD_BANDS)
    base_old = england22[old].sum() / england22.sum()
    regions = codelists.get("region").codes
    by_area: dict[str, np.ndarray] = {}
    for region in regions:
        target_old = cal[f"pop.share_60_plus.2022.{region}"]
        tilt = np.where(old, target_old / base_old, (1 - target_old) / (1 - base_old))
        region_pop = cal[f"pop.region.2022.{region}"] * normalise(england22 * tilt) * 1000
        by_area[region] = region_pop
        members = np.flatnonzero(geo.icb_region == region)
        for icb, share in zip(geo.icb_codes[members], normalise(geo.icb_share[members]),
                              strict=True):
            by_area[icb] = region_pop * share
    england = sum(by_area[r] for r in regions)
    areas = [codelists.ENGLAND_CODE, *by_area]
    base = np.stack([england, *by_area.values()])  # (area, band)
    bands = np.asarray(POPULATION_BANDS, dtype=object)
    n_area, n_band = base.shape
    area_col = np.repeat(np.asarray(areas, dtype=object), n_band)
    band_col = np.tile(bands, n_area)
    rows.add(year=np.full(base.size, ESTIMATE_YEAR, dtype=np.int64), area_code=area_col,
             age_band=band_col, persons=np.round(base.ravel()))
    for variant, sign in VARIANTS.items():
        for year in PROJECTION_YEARS:
            early = min(year, 2028) - ESTIMATE_YEAR
            late = max(0, year - 2028)
            factor = np.exp(log_growth * (early + damping * late) + sign * spread * (year - 2022))
            rows.add(year=np.full(base.size, year, dtype=np.int64), area_code=area_col,
                     age_band=band_col, variant=variant,
                     persons=np.round((base * factor[None, :]).ravel()))


def utilisation(rows: Rows, cal: Calibration) -> None:
    """Add activity and cost per head by service and age band (persons)."""
    bands = np.asarray(POPULATION_BANDS, dtype=object)
    for service in SERVICES:
        rows.add(service=service, age_band=bands,
                 activity_per_head=cal.vector(f"util.{service}.activity_per_head", bands),
                 cost_per_head=cal.vector(f"util.{service}.cost_per_head", bands))


def education(rows: Rows, rng: np.random.Generator, cal: Calibration) -> None:
    """Add training places, starters and completion by provider, programme and region."""
    regions = codelists.get("region").codes
    region_pop = cal.vector("pop.region.2022", regions)
    providers = _providers(rng, regions, region_pop)
    fill = cal["edu.fill_rate"]
    growth = cal["edu.places_growth"]
    for key, (programme, group, kind) in EDUCATION.items():
        places_total = cal[f"edu.{key}.places"]
        completion = cal[f"edu.{key}.completion_rate"]
        duration = cal[f"edu.{key}.duration_years"]
        for region, share in zip(regions, normalise(region_pop), strict=True):
            names = providers[(kind, region)]
            split = rng.dirichlet(np.full(len(names), 4.0)) if len(names) > 1 else np.ones(1)
            for year_index, year in enumerate(ACADEMIC_YEARS):
                grown = places_total * share * (1 + growth) ** year_index
                places = np.maximum(1, np.round(grown * split)).astype(np.int64)
                starters = rng.binomial(places, fill)
                rate = np.clip(completion + rng.normal(0.0, 0.03, len(names)), 0.3, 0.99)
                rows.add(academic_year=year, provider=np.asarray(names, dtype=object),
                         programme=programme, staff_group=group, region=region, places=places,
                         starters=starters.astype(np.int64), completion_rate=np.round(rate, 3),
                         duration_years=np.full(len(names), duration))


def _providers(rng: np.random.Generator, regions: Sequence[str],
               region_pop: np.ndarray) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    region_names = codelists.get("region")
    for kind, per_10m in PROVIDERS_PER_10M.items():
        for region, pop in zip(regions, region_pop, strict=True):
            count = max(1, round(per_10m * pop / 10_000))
            if kind == "deanery":
                names = [f"NHS England {region_names.attribute(region, 'name')} GP School"]
            else:
                pattern = {"university": "University of {}", "medical school": "{} Medical School",
                           "college": "{} College"}[kind]
                names = [pattern.format(p) for p in place_names(rng, count)]
            out[(kind, region)] = names
    return out
