"""Population and utilisation by age: the demographic demand driver's inputs.

**Population** ``[variant, year, area, population_age_band]``, persons (rows
with no sex):

- England uses ``E92000001``; a region its NHS region code (``Y56`` …). Below
  region level an ICB takes the sum of its local authorities' population when
  the vintage has them and a ``la_icb_lookup`` (:mod:`wfplan.inputs.local`);
  otherwise, and for organisations, an area takes its NHS region's population
  (the demand driver is a ratio to the base year, so only the region's age mix
  and growth matter), and that is recorded. An area without a region, or a
  region without rows, takes England's.
- Variants: each named variant (``principal``, ``high``, ``low``); years with
  no row of a variant take the estimate (no variant) of that year. A vintage
  with estimates only gives the variant ``principal``.
- Years: base year to base year + 25 (the longest horizon). A year outside the
  data takes the nearest year held (flat), and that is recorded.

**Utilisation** ``[staff_group, population_age_band]``: each staff group's age
profile is the weighted mix of the profiles of the services it serves
(:mod:`wfplan.inputs.services`): the vintage's ``utilisation`` rows where they
name a service (``AE``, ``APC``, ``OP`` and other unnamed services are
hospital activity), else the package's sourced profiles. Each service profile
is scaled to a mean of 1 weighted by England's base-year population before
mixing, so the weights are shares of the group's work (England's bands are
always among the common bands, so the scale is the same at every level). What
was used is recorded.

**Age bands** of the two are coarsened to their common bands
(:mod:`wfplan.inputs.bands`): population by summing; utilisation as a
population-weighted mean, weighting by England's population by single year of
age where the vintage has it (else by England's population in its own bands
when they nest in the utilisation bands, else by band width).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import model_inputs as queries
from wfplan.inputs import bands as b
from wfplan.inputs import services
from wfplan.inputs.local import local_population
from wfplan.inputs.source import Assumptions

ENGLAND = codelists.ENGLAND_CODE
YEARS_AHEAD = 25


@dataclass(frozen=True)
class Demography:
    """Population and utilisation on common age bands."""

    variants: tuple[str, ...]
    years: tuple[int, ...]
    bands: tuple[str, ...]
    population: np.ndarray
    utilisation: np.ndarray
    services: dict[str, np.ndarray]


def _population_code(level: str, area: str, region: str | None) -> str:
    if level == "england":
        return ENGLAND
    return region or ENGLAND


def _band_sets(rows: pd.DataFrame) -> dict[str, list[str]] | None:
    """Return each population area's partition of ages, or None if one has none."""
    out = {}
    for code, part in rows.groupby("area_code"):
        codes = sorted(set(part["age_band"]))
        finer = [c for c in codes if c != "all"]
        chosen = b.partition(finer) if finer else None
        if chosen is None and "all" in codes:
            chosen = ["all"]
        if chosen is None:
            return None
        out[str(code)] = chosen
    return out


def _series(rows: pd.DataFrame, codes: list[str], lowers: list[int], variant: str,
            years: Sequence[int]) -> tuple[np.ndarray, list[int]]:
    """``[year, band]`` of one area and variant, the estimates filling its gaps."""
    rows = rows[rows["age_band"].isin(codes)]
    own = rows[rows["variant"] == variant]
    estimates = rows[rows["variant"].isna()]
    table = pd.concat([own, estimates[~estimates["year"].isin(own["year"])]])
    wide = table.pivot_table(index="year", columns="age_band", values="persons",
                             aggfunc="sum").reindex(columns=codes).fillna(0.0)
    held = [int(y) for y in wide.index]
    chosen = [_nearest(held, year) for year in years]
    values = wide.loc[chosen].to_numpy(dtype=np.float64)
    flat = [y for y, c in zip(years, chosen, strict=True) if y != c]
    return b.coarsen(values, codes, lowers), flat


def _nearest(held: list[int], year: int) -> int:
    """Return the year held nearest to ``year`` (the later one on a tie)."""
    return min(held, key=lambda h: (abs(h - year), -h))


def _weights(store: Store, vintage: str, codes: list[str], england: pd.DataFrame,
             assumptions: Assumptions) -> np.ndarray:
    """Return the population in the utilisation bands, to weight them when merging."""
    single = queries.england_single_year_population(store, vintage)
    for candidate in (single, england):
        bands = b.partition(candidate["age_band"]) if not candidate.empty else None
        if bands and b.nests(bands, codes):
            sums = candidate.groupby("age_band")["persons"].sum()
            index = [next(i for i, c in enumerate(codes) if b.nests([band], [c]))
                     for band in bands]
            weights = np.zeros(len(codes))
            np.add.at(weights, index, sums.reindex(bands).to_numpy(dtype=np.float64))
            if (weights > 0).all():
                return weights
    assumptions.add("utilisation age weights", "band width",
                    "no population nested in the utilisation age bands: they are merged "
                    "weighting each by its width in years (open band: 10)")
    return np.array([b.width(code) for code in codes])


def read_demography(store: Store, vintage: str, level: str, regions: dict[str, str | None],
                    groups: tuple[str, ...], base_year: int, last_year: int,
                    assumptions: Assumptions, on: date | None = None) -> Demography | None:
    """Return population and utilisation for the model's areas, or None without a population.

    ``groups`` are the staff group codes (the rows of the utilisation); ``on``
    (default 31 December of the base year) picks the ``la_icb_lookup`` rows valid then.
    """
    wanted = {area: _population_code(level, area, region) for area, region in regions.items()}
    rows = queries.population_by_area(store, vintage, sorted({*wanted.values(), ENGLAND}),
                                      last_year)
    band_sets = _band_sets(rows) if not rows.empty else None
    if not band_sets or ENGLAND not in band_sets:
        assumptions.add("population", "none (demog = 1)",
                        "the vintage has no usable England population by age (rows with no "
                        "sex, bands partitioning the ages) up to the base period's data")
        return None
    missing = sorted({code for code in wanted.values() if code not in band_sets})
    if missing:
        assumptions.add("population", "England's population",
                        f"no population rows for {', '.join(missing)}: those areas use England's")
        wanted = {area: code if code in band_sets else ENGLAND for area, code in wanted.items()}
    if level == "icb":
        rows, band_sets = _local(store, vintage, regions, wanted, rows, band_sets,
                                 on or date(base_year, 12, 31), last_year, assumptions)
    elif level == "org":
        assumptions.add("population below region level", "NHS region's population",
                        "at organisation level each organisation takes its NHS region's "
                        "population by age (la_icb_lookup is used at ICB level only)")
    frame = queries.utilisation_by_age(store, vintage)
    profiles, notes = services.profiles_for(groups, frame)
    for note in notes:
        assumptions.add("utilisation rows left out", "package profile", note)
    used = sorted(set(wanted.values()))
    partitions = [band_sets[code] for code in {*used, ENGLAND}]
    partitions += [list(p.bands) for p in profiles.values()]
    lowers = b.common_lowers(partitions)
    return _assemble(store, vintage, rows, band_sets, wanted, lowers, profiles, groups,
                     base_year, assumptions)


def _local(store: Store, vintage: str, regions: dict[str, str | None], wanted: dict[str, str],
           rows: pd.DataFrame, band_sets: dict[str, list[str]], on: date, last_year: int,
           assumptions: Assumptions) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Give each ICB the lookup covers its local authorities' population; record the rest."""
    local, skipped = local_population(store, vintage, regions, on, last_year, rows)
    local_sets = _band_sets(local) if not local.empty else {}
    for code in sorted(local_sets or {}):
        wanted[code] = code
    regional = sorted(a for a in wanted if wanted[a] != a and regions.get(a))
    if local_sets:
        assumptions.add("population below region level", "local authorities (la_icb_lookup)",
                        f"{len(local_sets)} ICBs take the sum of their local authorities' "
                        "population (x share); years after the latest local year held grow "
                        "with the NHS region's population in each age band")
    if regional:
        reasons = "; ".join(f"{icb}: {why}" for icb, why in sorted(skipped.items()))
        assumptions.add("population below region level", "NHS region's population",
                        f"{len(regional)} areas ({', '.join(regional[:10])}"
                        f"{', ...' if len(regional) > 10 else ''}) take their NHS region's "
                        "population by age: the vintage has no local authority population "
                        "and la_icb_lookup rows for them" + (f" ({reasons})" if reasons else ""))
    if not local_sets:
        return rows, band_sets
    return pd.concat([rows, local], ignore_index=True), {**band_sets, **local_sets}


def _assemble(store: Store, vintage: str, rows: pd.DataFrame, band_sets: dict[str, list[str]],
              wanted: dict[str, str], lowers: list[int], profiles: dict[str, services.Profile],
              groups: tuple[str, ...], base_year: int, assumptions: Assumptions) -> Demography:
    named = sorted({str(v) for v in rows["variant"].dropna()}, key=lambda v: (v != "principal",
                                                                               v))
    variants = tuple(named) or ("principal",)
    years = tuple(range(base_year, base_year + YEARS_AHEAD + 1))
    series, flat = {}, set()
    for code in sorted(set(wanted.values())):
        part = rows[rows["area_code"] == code]
        for variant in variants:
            series[code, variant], held = _series(part, band_sets[code], lowers, variant, years)
            flat.update(held)
    population = np.stack([np.stack([series[wanted[a], v] for a in wanted], axis=1)
                           for v in variants])
    labels = b.common_labels(lowers)
    _record(assumptions, named, sorted(flat), labels, band_sets)
    england = _england_rows(rows, variants[0], band_sets[ENGLAND])
    reference = _series(rows[rows["area_code"] == ENGLAND], band_sets[ENGLAND], lowers,
                        variants[0], years[:1])[0][0]
    scaled, notes = {}, Assumptions()
    for service, profile in profiles.items():
        codes = list(profile.bands)
        weights = _weights(store, vintage, codes, england, notes)
        merged = b.coarsen(profile.values * weights, codes, lowers) / b.coarsen(
            weights, codes, lowers)
        scaled[service] = _scaled(merged, reference)
    for record in {(r.name, r.value): r for r in notes.records}.values():
        assumptions.records.append(record)
    assumptions.add("utilisation", "use per head by age of each staff group's service mix",
                    "each staff group's age profile is the weighted mix of its services' "
                    "profiles (data/staff_group_services.csv), each scaled to a mean of 1 "
                    "weighted by England's base-year population: "
                    + services.describe(groups, profiles))
    return Demography(variants, years, labels, population, services.mixed(groups, scaled),
                      scaled)


def _scaled(profile: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Return ``profile`` scaled to a mean of 1 weighted by ``population`` (as is if it cannot).

    ``population`` is England's base-year population (first variant), so that a service's
    scale, and with it each group's mix, is the same at every level and for every area.
    """
    mean = float((profile * population).sum() / population.sum()) if population.sum() > 0 else 0
    return profile / mean if mean > 0 else profile


def _england_rows(rows: pd.DataFrame, variant: str, codes: list[str]) -> pd.DataFrame:
    """England's rows of one year (the latest estimate, else the variant's latest year)."""
    england = rows[(rows["area_code"] == ENGLAND) & rows["age_band"].isin(codes)]
    chosen = england[england["variant"].isna()]
    if chosen.empty:
        chosen = england[england["variant"] == variant]
    return chosen[chosen["year"] == chosen["year"].max()]


def _record(assumptions: Assumptions, named: list[str], flat: list[int],
            labels: tuple[str, ...], band_sets: dict[str, list[str]]) -> None:
    if not named:
        assumptions.add("population variant", "principal",
                        "the vintage has population estimates only: they are the "
                        "'principal' variant")
    if flat:
        assumptions.add("population years", f"{flat[0]}..{flat[-1]}" if len(flat) > 1
                        else str(flat[0]),
                        f"{len(flat)} years outside the population data take the nearest "
                        "year held (held flat)")
    coarse = any(list(labels) != codes for codes in band_sets.values())
    if coarse:
        assumptions.add("population age bands", ", ".join(labels),
                        "population and utilisation age bands merged to their common bands")
