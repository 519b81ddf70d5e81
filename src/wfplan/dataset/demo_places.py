"""Synthetic geography and organisations for the demo dataset.

England's 7 regions and 42 ICBs come from the code lists. Below them the
demo invents sub-ICB locations, primary care networks (PCNs), NHS trusts, GP
practices and adult social care providers, with ODS-like codes that are
clearly synthetic (sub-ICBs ``X..``, PCNs ``U#####``, trusts ``R..``,
practices a letter and five digits, social care ``ASC#####``) and made-up
place names. Every organisation has an ICB and the region of that ICB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wfplan.dataset import codelists
from wfplan.dataset.demo_calibration import Calibration
from wfplan.dataset.demo_workforce import Rows

#: How many of each organisation the demo makes (real England has about the same).
N_SUB_ICB = 106
N_PCN = 1250
TRUSTS_BY_TYPE = {"Acute": 125, "Mental Health": 50, "Community": 15}
#: Ambulance trusts per region (ten in all, as in England).
AMBULANCE_BY_REGION = {"Y56": 1, "Y58": 1, "Y59": 2, "Y60": 2, "Y61": 1, "Y62": 1, "Y63": 2}
N_SOCIAL_CARE = 1000
SOCIAL_CARE_TYPES = {"Care home": 0.45, "Care home with nursing": 0.15, "Domiciliary care": 0.40}
#: Relative size (staff per organisation) by trust type.
TRUST_SIZE = {"Acute": 1.0, "Mental Health": 0.55, "Community": 0.45, "Ambulance": 0.9}
PRACTICE_LETTER = {"Y56": "F", "Y58": "L", "Y59": "H", "Y60": "M", "Y61": "D", "Y62": "N",
                   "Y63": "B"}

_FIRST = ("Ash", "Bram", "Cal", "Dun", "Elm", "Fern", "Gold", "Hart", "Ivy", "Kings", "Lang", "Mar",
          "North", "Oak", "Pen", "Red", "Stan", "Thorn", "Wal", "West", "Whit", "Wood", "Brook",
          "Clay", "Sand", "Stone", "Sil", "Hazel", "Holly", "Lark", "Mill", "Raven", "East", "Fox")
_SECOND = ("ford", "ley", "ton", "bury", "field", "ham", "wick", "dale", "mouth", "worth", "by",
           "stead", "combe", "minster", "well", "gate", "hurst", "port", "bridge", "moor")
_ALNUM = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


@dataclass(frozen=True)
class Geography:
    """The ICBs with their regions and shares of England's population."""

    icb_codes: np.ndarray
    icb_names: np.ndarray
    icb_region: np.ndarray
    icb_share: np.ndarray


@dataclass
class OrgSet:
    """The organisations of one kind, as parallel arrays."""

    codes: np.ndarray
    names: np.ndarray
    org_type: np.ndarray
    sector: str
    icb: np.ndarray
    """Index into :attr:`Geography.icb_codes`."""
    parent: np.ndarray
    size: np.ndarray
    """Relative number of staff (mean about 1 within the set)."""

    def __len__(self) -> int:
        return len(self.codes)


@dataclass
class Places:
    """Everything the demo invents about where people work."""

    geography: Geography
    sub_icb_codes: np.ndarray
    sub_icb_names: np.ndarray
    sub_icb_icb: np.ndarray
    trusts: OrgSet
    pcns: OrgSet
    practices: OrgSet
    social_care: OrgSet


def place_names(rng: np.random.Generator, count: int) -> np.ndarray:
    """Return ``count`` made-up English place names (repeats get a compass point)."""
    first = rng.integers(0, len(_FIRST), count)
    second = rng.integers(0, len(_SECOND), count)
    names = np.array([_FIRST[a] + _SECOND[b] for a, b in zip(first, second, strict=True)],
                     dtype=object)
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        n = seen.get(name, 0)
        seen[name] = n + 1
        if n:
            names[i] = f"{name} {('North', 'South', 'East', 'West', 'Central')[(n - 1) % 5]}"
    return names


def unique_codes(rng: np.random.Generator, count: int, prefix: str, width: int,
                 *, digits_only: bool = False) -> np.ndarray:
    """Return ``count`` distinct codes: ``prefix`` and ``width`` random characters."""
    alphabet = tuple("0123456789") if digits_only else _ALNUM
    space = len(alphabet) ** width
    picks = rng.choice(space, size=count, replace=False)
    out = []
    for pick in np.sort(picks):
        chars = []
        for _ in range(width):
            pick, rem = divmod(int(pick), len(alphabet))
            chars.append(alphabet[rem])
        out.append(prefix + "".join(reversed(chars)))
    return np.array(rng.permutation(out), dtype=object)


def spread(rng: np.random.Generator, total: int, weights: np.ndarray,
           minimum: int = 1) -> np.ndarray:
    """Share ``total`` whole units across bins by weight, each bin getting at least ``minimum``."""
    extra = total - minimum * len(weights)
    return minimum + rng.multinomial(extra, weights / weights.sum())


def make_geography(rng: np.random.Generator, calibration: Calibration) -> Geography:
    """Split each region's population between its ICBs (Dirichlet shares, seeded)."""
    icbs = codelists.get("icb").rows
    codes = np.array([r["code"] for r in icbs], dtype=object)
    regions = np.array([r["region_code"] for r in icbs], dtype=object)
    share = np.zeros(len(codes))
    region_pop = calibration.group("pop.region.2022")
    total = sum(region_pop.values())
    for region, pop in region_pop.items():
        members = np.flatnonzero(regions == region)
        share[members] = pop / total * rng.dirichlet(np.full(len(members), 8.0))
    return Geography(codes, np.array([r["name"] for r in icbs], dtype=object), regions, share)


def make_places(rng: np.random.Generator, calibration: Calibration) -> Places:
    """Invent sub-ICB locations, PCNs, trusts, practices and social care providers."""
    geo = make_geography(rng, calibration)
    n_icb = len(geo.icb_codes)
    # Sub-ICB locations: at least one per ICB, the rest by population.
    per_icb = spread(rng, N_SUB_ICB, geo.icb_share)
    sub_icb_icb = np.repeat(np.arange(n_icb), per_icb)
    sub_share = geo.icb_share[sub_icb_icb] * rng.dirichlet(np.full(N_SUB_ICB, 6.0)) * N_SUB_ICB
    sub_share /= sub_share.sum()
    sub_codes = unique_codes(rng, N_SUB_ICB, "X", 2)
    sub_names = np.array([f"NHS {geo.icb_names[i]} ICB - {c}"
                          for i, c in zip(sub_icb_icb, sub_codes, strict=True)], dtype=object)
    # PCNs: at least one per sub-ICB.
    per_sub = spread(rng, N_PCN, sub_share)
    pcn_sub = np.repeat(np.arange(N_SUB_ICB), per_sub)
    pcn_size = sub_share[pcn_sub] / per_sub[pcn_sub] * rng.lognormal(0, 0.3, N_PCN)
    pcn_size /= pcn_size.mean()
    pcns = OrgSet(
        codes=unique_codes(rng, N_PCN, "U", 5, digits_only=True),
        names=np.array([f"{n} PCN" for n in place_names(rng, N_PCN)], dtype=object),
        org_type=np.full(N_PCN, "PCN", dtype=object), sector="primary_care",
        icb=sub_icb_icb[pcn_sub], parent=sub_codes[pcn_sub], size=pcn_size,
    )
    practices = _practices(rng, calibration, geo, pcns)
    return Places(geo, sub_codes, sub_names, sub_icb_icb, _trusts(rng, geo), pcns, practices,
                  _social_care(rng, geo))


def _trusts(rng: np.random.Generator, geo: Geography) -> OrgSet:
    n_icb = len(geo.icb_codes)
    icb: list[int] = []
    types: list[str] = []
    for org_type, count in TRUSTS_BY_TYPE.items():
        if org_type == "Community":
            chosen = rng.choice(n_icb, size=count, replace=False, p=geo.icb_share)
        else:
            chosen = np.repeat(np.arange(n_icb), spread(rng, count, geo.icb_share))
        icb += [int(i) for i in chosen]
        types += [org_type] * count
    for region, count in AMBULANCE_BY_REGION.items():
        members = np.flatnonzero(geo.icb_region == region)
        icb += [int(i) for i in rng.choice(members, size=count, replace=False)]
        types += ["Ambulance"] * count
    icb_arr = np.array(icb)
    type_arr = np.array(types, dtype=object)
    places = place_names(rng, len(icb_arr))
    names = []
    for org_type, place, i in zip(type_arr, places, icb_arr, strict=True):
        if org_type == "Acute":
            names.append(f"{place} Hospitals NHS Foundation Trust")
        elif org_type == "Mental Health":
            names.append(f"{place} Mental Health NHS Foundation Trust")
        elif org_type == "Community":
            names.append(f"{place} Community Health Services NHS Trust")
        else:
            region_name = codelists.get("region").attribute(geo.icb_region[i], "name")
            names.append(f"{region_name} {place} Ambulance Service NHS Trust")
    size = np.array([TRUST_SIZE[t] for t in type_arr]) * rng.lognormal(0, 0.45, len(icb_arr))
    # Larger ICBs have larger trusts: scale by population per trust of that ICB.
    per_icb = np.bincount(icb_arr, minlength=len(geo.icb_codes))
    size *= (geo.icb_share[icb_arr] / per_icb[icb_arr]) ** 0.5
    return OrgSet(unique_codes(rng, len(icb_arr), "R", 2), np.array(names, dtype=object),
                  type_arr, "nhs_trust", icb_arr, np.full(len(icb_arr), None, dtype=object),
                  size / size.mean())


def _practices(rng: np.random.Generator, calibration: Calibration, geo: Geography,
               pcns: OrgSet) -> OrgSet:
    count = int(calibration["pc.practices"])
    pcn_of = np.repeat(np.arange(len(pcns)), spread(rng, count, pcns.size))
    icb = pcns.icb[pcn_of]
    numbers = unique_codes(rng, count, "", 5, digits_only=True)
    codes = np.array([PRACTICE_LETTER[geo.icb_region[i]] + n
                      for i, n in zip(icb, numbers, strict=True)], dtype=object)
    kinds = ("Surgery", "Medical Centre", "Health Centre", "Medical Practice", "Family Practice")
    kind_of = rng.integers(0, len(kinds), count)
    names = np.array([f"{p} {kinds[k]}" for p, k in
                      zip(place_names(rng, count), kind_of, strict=True)], dtype=object)
    per_pcn = np.bincount(pcn_of, minlength=len(pcns))
    size = pcns.size[pcn_of] / per_pcn[pcn_of] * rng.lognormal(0, 0.45, count)
    return OrgSet(codes, names, np.full(count, "GP practice", dtype=object), "primary_care",
                  icb, pcns.codes[pcn_of], size / size.mean())


def _social_care(rng: np.random.Generator, geo: Geography) -> OrgSet:
    icb = np.repeat(np.arange(len(geo.icb_codes)), spread(rng, N_SOCIAL_CARE, geo.icb_share))
    kinds = np.array(list(SOCIAL_CARE_TYPES), dtype=object)
    org_type = kinds[rng.choice(len(kinds), size=N_SOCIAL_CARE,
                                p=np.array(list(SOCIAL_CARE_TYPES.values())))]
    suffix = {"Care home": "Care Homes Ltd", "Care home with nursing": "Nursing Homes Ltd",
              "Domiciliary care": "Home Care Ltd"}
    names = np.array([f"{p} {suffix[t]}" for p, t in
                      zip(place_names(rng, N_SOCIAL_CARE), org_type, strict=True)], dtype=object)
    size = rng.lognormal(0, 0.6, N_SOCIAL_CARE)
    return OrgSet(unique_codes(rng, N_SOCIAL_CARE, "ASC", 5, digits_only=True), names, org_type,
                  "social_care", icb, np.full(N_SOCIAL_CARE, None, dtype=object),
                  size / size.mean())


def areas_rows(places: Places) -> Rows:
    """Return the ``areas`` rows: sub-ICB locations, then PCNs."""
    geo = places.geography
    rows = Rows()
    rows.add(code=places.sub_icb_codes, name=places.sub_icb_names, level="sub_icb",
             parent_code=geo.icb_codes[places.sub_icb_icb])
    rows.add(code=places.pcns.codes, name=places.pcns.names, level="pcn",
             parent_code=places.pcns.parent)
    return rows


def organisations_rows(places: Places) -> Rows:
    """Return the ``organisations`` rows of every sector."""
    geo = places.geography
    rows = Rows()
    for orgs in (places.trusts, places.pcns, places.practices, places.social_care):
        rows.add(org_code=orgs.codes, name=orgs.names, org_type=orgs.org_type,
                 sector=orgs.sector, icb_code=geo.icb_codes[orgs.icb],
                 region_code=geo.icb_region[orgs.icb], parent_code=orgs.parent)
    return rows
