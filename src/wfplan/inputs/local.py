"""ICB populations from local authorities, through the user's ``la_icb_lookup``.

At ICB level, an ICB with rows in the vintage's ``la_icb_lookup`` (valid at the
base period) and a population for each of its local authorities takes the sum
of its authorities' populations, each times its ``share`` (the fraction of the
authority's population living in the ICB; empty = 1). The local authorities'
population usually holds one year (the ONS mid-year estimates by single year of
age); the years after the latest one held are carried forward with the growth of
the ICB's NHS region in each age band (its estimates and each variant), and that
is recorded. An ICB without a lookup, or with an authority without a population,
takes its NHS region's population as before.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import model_inputs as queries
from wfplan.inputs import bands as b

COLUMNS = ["area_code", "year", "variant", "age_band", "persons"]


def local_population(store: Store, vintage: str, regions: dict[str, str | None], on: date,
                     last_year: int, region_rows: pd.DataFrame
                     ) -> tuple[pd.DataFrame, dict[str, str]]:
    """Return population rows for the ICBs the lookup covers, and a note per ICB left out.

    The rows have the columns of :func:`queries.population_by_area`, with the
    ICB's code as ``area_code``.
    """
    lookup = queries.la_icb_lookup(store, vintage, on)
    lookup = lookup[lookup["icb_code"].isin(list(regions))]
    if lookup.empty:
        return pd.DataFrame(columns=COLUMNS), {}
    las = queries.population_by_area(store, vintage, sorted(set(lookup["la_code"])), last_year)
    held = set(las["area_code"])
    out: list[pd.DataFrame] = []
    skipped: dict[str, str] = {}
    for icb, part in lookup.groupby("icb_code"):
        missing = sorted(set(part["la_code"]) - held)
        if missing:
            skipped[str(icb)] = f"no population for {', '.join(missing)}"
            continue
        rows = las.merge(part[["la_code", "share"]], left_on="area_code", right_on="la_code")
        rows["persons"] = rows["persons"] * rows["share"]
        summed = pd.DataFrame(rows.groupby(["year", "variant", "age_band"], dropna=False,
                                           as_index=False)["persons"].sum())
        summed.insert(0, "area_code", str(icb))
        region = regions.get(str(icb))
        grown = _grown(summed, region_rows[region_rows["area_code"] == region])
        out.append(pd.concat([summed, grown], ignore_index=True))
    frame = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=COLUMNS)
    return frame[COLUMNS], skipped


def _grown(local: pd.DataFrame, region: pd.DataFrame) -> pd.DataFrame:
    """Return the local rows carried past their latest year with the region's growth by band."""
    estimates = local[local["variant"].isna()]
    if estimates.empty or region.empty:
        return pd.DataFrame(columns=local.columns)
    last = int(estimates["year"].max())
    base = estimates[estimates["year"] == last]
    codes = b.partition(base["age_band"])
    region_base = region[(region["year"] == last) & region["variant"].isna()]
    if region_base.empty:
        region_base = region[region["year"] == last]
    region_codes = b.partition(set(region_base["age_band"]))
    if codes is None or region_codes is None or not b.nests(codes, region_codes):
        return pd.DataFrame(columns=local.columns)
    at_base = region_base.groupby("age_band")["persons"].sum().reindex(region_codes)
    home = [next(c for c in region_codes if b.nests([code], [c])) for code in codes]
    persons = base.set_index("age_band")["persons"].reindex(codes).to_numpy(dtype=np.float64)
    later = region[(region["year"] > last) & region["age_band"].isin(region_codes)]
    out = []
    for (year, variant), part in later.groupby(["year", "variant"], dropna=False):
        now = part.groupby("age_band")["persons"].sum().reindex(region_codes)
        factor = (now / at_base.where(at_base > 0)).fillna(1.0).reindex(home).to_numpy()
        out.append(pd.DataFrame({"area_code": base["area_code"].iloc[0], "year": year,
                                 "variant": variant, "age_band": codes,
                                 "persons": persons * factor}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=local.columns)
