"""Population and utilisation by age: the demographic demand driver's inputs.

**Population** ``[variant, year, area, population_age_band]``, persons (rows
with no sex):

- England uses ``E92000001``; a region its NHS region code (``Y56`` …);
  **below region level demography is regional**: an ICB or organisation takes
  its NHS region's population (the demand driver is a ratio to the base year,
  so only the region's age mix and growth matter). An area without a region,
  or a region without rows, takes England's.
- Variants: each named variant (``principal``, ``high``, ``low``); years with
  no row of a variant take the estimate (no variant) of that year. A vintage
  with estimates only gives the variant ``principal``.
- Years: base year to base year + 25 (the longest horizon). A year outside the
  data takes the nearest year held (flat), and that is recorded.

**Utilisation** ``[staff_group, population_age_band]``: activity per head summed
over services (rows with no sex). The ``utilisation`` table has no staff group,
so every staff group gets the same age profile, and that is recorded.

**Age bands** of the two are coarsened to their common bands
(:mod:`wfplan.inputs.bands`): population by summing; utilisation as a
population-weighted mean, weighting by England's population by single year of
age where the vintage has it (else by England's population in its own bands
when they nest in the utilisation bands, else by band width).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import model_inputs as queries
from wfplan.inputs import bands as b
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


def _utilisation(store: Store, vintage: str) -> tuple[pd.Series, str] | None:
    frame = queries.utilisation_by_age(store, vintage)
    if frame.empty:
        return None
    partitions = {tuple(b.partition(part["age_band"]) or ()) for _, part in
                  frame.groupby("service")}
    if len(partitions) != 1 or not next(iter(partitions)):
        return None
    series = frame.groupby("age_band")["activity"].sum().astype("float64")
    return series.reindex(list(next(iter(partitions)))), ", ".join(sorted(set(frame["service"])))


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
                    groups: int, base_year: int, last_year: int,
                    assumptions: Assumptions) -> Demography | None:
    """Return population and utilisation for the model's areas, or None without a population."""
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
    used = sorted(set(wanted.values()))
    utilisation = _utilisation(store, vintage)
    partitions = [band_sets[code] for code in used]
    if utilisation is not None:
        partitions.append(list(utilisation[0].index))
    lowers = b.common_lowers(partitions)
    return _assemble(store, vintage, rows, band_sets, wanted, lowers, utilisation, groups,
                     base_year, assumptions, level)


def _assemble(store: Store, vintage: str, rows: pd.DataFrame, band_sets: dict[str, list[str]],
              wanted: dict[str, str], lowers: list[int],
              utilisation: tuple[pd.Series, str] | None, groups: int, base_year: int,
              assumptions: Assumptions, level: str) -> Demography:
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
    _record(assumptions, named, sorted(flat), level, labels, band_sets)
    if utilisation is None:
        assumptions.add("utilisation", 1.0, "no utilisation by age in the vintage (or its "
                        "services' age bands differ): equal activity per head at every age")
        return Demography(variants, years, labels, population, np.ones((groups, len(labels))))
    series_u, services = utilisation
    codes = list(series_u.index)
    england = _england_rows(rows, variants[0], band_sets[ENGLAND])
    weights = _weights(store, vintage, codes, england, assumptions)
    total = b.coarsen(series_u.to_numpy(dtype=np.float64) * weights, codes, lowers)
    profile = total / b.coarsen(weights, codes, lowers)
    assumptions.add("utilisation", f"activity per head summed over {services}",
                    "the utilisation table has no staff group: every staff group gets the "
                    "same age profile of hospital activity")
    return Demography(variants, years, labels, population,
                      np.broadcast_to(profile, (groups, len(labels))).copy())


def _england_rows(rows: pd.DataFrame, variant: str, codes: list[str]) -> pd.DataFrame:
    """England's rows of one year (the latest estimate, else the variant's latest year)."""
    england = rows[(rows["area_code"] == ENGLAND) & rows["age_band"].isin(codes)]
    chosen = england[england["variant"].isna()]
    if chosen.empty:
        chosen = england[england["variant"] == variant]
    return chosen[chosen["year"] == chosen["year"].max()]


def _record(assumptions: Assumptions, named: list[str], flat: list[int], level: str,
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
    if level in ("icb", "org"):
        assumptions.add("population below region level", "NHS region's population",
                        f"demography is regional below region level: each {level} takes its "
                        "NHS region's population by age")
    coarse = any(list(labels) != codes for codes in band_sets.values())
    if coarse:
        assumptions.add("population age bands", ", ".join(labels),
                        "population and utilisation age bands merged to their common bands")
