"""Utilisation by age per service, and the mix of services each staff group serves.

Two data files of the package hold the evidence (each row names its source, or
says it is a wfplan assumption and why):

- ``data/service_utilisation.csv`` (``service, age_band, use_per_head, unit,
  kind, source``): use per head of population by age for each of
  :data:`SERVICES`, in five-year bands. Only the shape matters: each profile
  is scaled to a mean of 1, weighted by England's population, before mixing.
- ``data/staff_group_services.csv`` (``staff_group, service, weight, kind,
  source``): the share of each staff group's work in each service, for every
  staff group of the code list (weights sum to 1).

A vintage's own ``utilisation`` table takes precedence, service by service: its
rows of a service named like one of :data:`SERVICES` are that service's profile;
every other service (``AE``, ``APC``, ``OP`` of the NHS activity file) is
hospital activity, summed. A staff group with no row in the mix (a publication
label outside the code list) takes the hospital profile alone.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd

from wfplan.inputs import bands as b

SERVICES = ("hospital", "general_practice", "community", "mental_health", "ambulance",
            "adult_social_care")
HOSPITAL = "hospital"
PROFILES_FILE = "data/service_utilisation.csv"
MIX_FILE = "data/staff_group_services.csv"


@dataclass(frozen=True)
class Profile:
    """One service's use per head by age band, with where it came from."""

    service: str
    bands: tuple[str, ...]
    values: np.ndarray
    source: str


def _rows(name: str) -> list[dict[str, str]]:
    text = files("wfplan").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def package_profiles() -> dict[str, Profile]:
    """Return the package's profile of every service (``data/service_utilisation.csv``).

    Raises
    ------
    ValueError
        If a service is unknown or its bands do not partition the ages (a packaging bug).
    """
    by_service: dict[str, list[dict[str, str]]] = {}
    for row in _rows(PROFILES_FILE):
        by_service.setdefault(row["service"], []).append(row)
    out = {}
    for service, rows in by_service.items():
        ordered = b.partition(row["age_band"] for row in rows)
        if service not in SERVICES or ordered is None:
            raise ValueError(f"{PROFILES_FILE}: service {service!r} is unknown or its age "
                             "bands do not partition the ages")
        values = {row["age_band"]: float(row["use_per_head"]) for row in rows}
        kinds = sorted({row["kind"] for row in rows})
        out[service] = Profile(service, tuple(ordered),
                               np.array([values[code] for code in ordered]),
                               f"{PROFILES_FILE} ({', '.join(kinds)}; {rows[0]['unit']})")
    missing = set(SERVICES) - set(out)
    if missing:
        raise ValueError(f"{PROFILES_FILE}: no profile for {', '.join(sorted(missing))}")
    return out


@cache
def staff_group_mix() -> dict[str, dict[str, float]]:
    """Return each staff group's weight on each service (``data/staff_group_services.csv``).

    Raises
    ------
    ValueError
        If a service is unknown or a group's weights do not sum to 1 (a packaging bug).
    """
    mix: dict[str, dict[str, float]] = {}
    for row in _rows(MIX_FILE):
        if row["service"] not in SERVICES:
            raise ValueError(f"{MIX_FILE}: unknown service {row['service']!r}")
        mix.setdefault(row["staff_group"], {})[row["service"]] = float(row["weight"])
    for group, weights in mix.items():
        if abs(sum(weights.values()) - 1.0) > 1e-9:
            raise ValueError(f"{MIX_FILE}: the weights of {group!r} sum to "
                             f"{sum(weights.values())}, not 1")
    return mix


def mix_for(group: str) -> dict[str, float]:
    """Return the group's service weights (hospital alone for a group not in the mix)."""
    return staff_group_mix().get(group, {HOSPITAL: 1.0})


def vintage_profiles(frame: pd.DataFrame) -> tuple[dict[str, Profile], list[str]]:
    """Return the profiles a vintage's ``utilisation`` rows give, and notes on rows left out.

    ``frame`` has columns ``service, age_band, activity``. Services named like
    :data:`SERVICES` are kept as they are; the others are summed into hospital.
    A service whose bands do not partition the ages (or, for hospital, differ
    between the services summed) is left out, with a note.
    """
    if frame.empty:
        return {}, []
    target = frame["service"].map(lambda s: s if s in SERVICES else HOSPITAL)
    out, notes = {}, []
    for service, part in frame.groupby(target):
        sources = sorted(set(part["service"]))
        partitions = {tuple(b.partition(p["age_band"]) or ()) for _, p in
                      part.groupby("service")}
        if len(partitions) != 1 or not next(iter(partitions)):
            notes.append(f"the vintage's utilisation rows of {', '.join(sources)} have no "
                         "common age bands partitioning the ages: left out")
            continue
        codes = next(iter(partitions))
        series = part.groupby("age_band")["activity"].sum().astype("float64")
        out[str(service)] = Profile(str(service), codes,
                                    series.reindex(list(codes)).to_numpy(dtype=np.float64),
                                    f"the vintage's utilisation table ({', '.join(sources)})")
    return out, notes


def profiles_for(groups: tuple[str, ...], frame: pd.DataFrame) -> tuple[dict[str, Profile],
                                                                        list[str]]:
    """Return the profile of every service the groups serve: the vintage's, else the package's."""
    own, notes = vintage_profiles(frame)
    needed = sorted({s for g in groups for s in mix_for(g)})
    package = package_profiles()
    return {s: own.get(s, package[s]) for s in needed}, notes


def mixed(groups: tuple[str, ...], scaled: dict[str, np.ndarray]) -> np.ndarray:
    """Return ``[group, band]``: each group's weighted mix of the scaled service profiles."""
    width = len(next(iter(scaled.values())))
    out = np.zeros((len(groups), width))
    for i, group in enumerate(groups):
        for service, weight in mix_for(group).items():
            out[i] += weight * scaled[service]
    return out


def describe(groups: tuple[str, ...], profiles: dict[str, Profile]) -> str:
    """Return one line per service used: its source, and the groups' weights on it."""
    parts = []
    for service, profile in sorted(profiles.items()):
        users = [f"{g} {mix_for(g)[service]:g}" for g in groups if service in mix_for(g)]
        parts.append(f"{service}: {profile.source}; weights {', '.join(users)}")
    return "; ".join(parts)
