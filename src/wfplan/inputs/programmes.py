"""Newly qualified supply by region from the ``education_programmes`` table.

Each row is one programme of one provider (a university or further education
college) in one NHS region, for one academic year's intake: its starters (else
places), duration, attrition in each course year, completion and take-up (the
share of completers who join the workforce in the region where they trained).
For every staff group with programme rows (``docs/education.md``):

- a row's completion is its ``completion_rate``, else the product of
  ``1 - attrition_year_k`` over the course years given, else the staff group's
  completion rate (evidence library or parameter table); its take-up and
  duration, when empty, are the staff group's;
- places a year = the sum of starters (intake years dated as in
  :mod:`~wfplan.inputs.training`); completion, take-up and duration are the
  means weighted by starters (take-up by completers), the duration rounded
  half up;
- the newly qualified joiners are split between regions by each region's
  expected joiners (starters x completion x take-up, over all intake years),
  and within a region between its areas by their headcount of the group, so
  each region's joiners are those its own programmes produce.

These groups' routes replace those of the ``education`` table. Without
programme rows nothing changes: the inputs are as before, bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from wfplan.dataset.store.queries.programmes import programme_rows
from wfplan.inputs.resolve import resolve_groups
from wfplan.inputs.source import Assumptions, Selection
from wfplan.inputs.stock import Stock
from wfplan.inputs.training import Training, intake_census_year, last_known_start

ATTRITION = tuple(f"attrition_year_{k}" for k in range(1, 6))
#: The first calendar year of an academic year (``2024`` of ``2024/25``).
START_YEAR = r"^([0-9]{4})"


@dataclass(frozen=True)
class Programmes:
    """The training route of the staff groups with programme rows, and its regional split.

    Attributes
    ----------
    training
        National route of those groups (``places`` 0 for the others).
    take_up
        ``[staff_group]`` take-up of those groups (NaN for the others).
    region_share
        Staff group → NHS region → share of the group's newly qualified joiners.
    """

    training: Training
    take_up: np.ndarray
    region_share: dict[str, dict[str, float]]


def row_completion(frame: pd.DataFrame) -> pd.Series:
    """Return each row's completion: given, else ``prod(1 - attrition)``, else NaN."""
    attrition = frame[list(ATTRITION)].astype("float64")
    derived = (1.0 - attrition).prod(axis=1, skipna=True)
    derived[attrition.isna().all(axis=1)] = np.nan
    return frame["completion_rate"].astype("float64").fillna(derived)


def _rows(selection: Selection, groups: tuple[str, ...], census: date,
          known_at: date | None) -> pd.DataFrame:
    frame = programme_rows(selection.store, selection.vintage)
    frame = frame[frame["staff_group"].isin(groups)].copy()
    starts = frame["academic_year"].astype(str).str.extract(START_YEAR)[0]
    frame["start"] = pd.to_numeric(starts, errors="coerce")
    last = last_known_start(known_at) if known_at else 9999
    frame = frame[frame["start"].notna() & (frame["start"] <= last)]
    frame["n"] = frame["starters"].astype("float64").fillna(frame["places"].astype("float64"))
    frame = frame[frame["n"].notna() & (frame["n"] > 0)].copy()
    frame["year"] = [intake_census_year(int(s), census) for s in frame["start"]]
    return frame


def _fill(frame: pd.DataFrame, column: str, parameter: str,
          assumptions: Assumptions) -> pd.Series:
    """Fill a column's empty cells with the staff group's resolved value (recorded)."""
    values = frame[column].astype("float64")
    lacking = sorted(set(frame.loc[values.isna(), "staff_group"]))
    if not lacking:
        return values
    resolved = dict(zip(lacking, resolve_groups(parameter, lacking), strict=True))
    for group, item in resolved.items():
        assumptions.add(f"{parameter} ({group})", item.value,
                        f"education_programmes rows with no {column} take the staff group's "
                        f"{parameter}", item.source(), item.tier)
    return values.fillna(frame["staff_group"].map({g: r.value for g, r in resolved.items()}))


def read_programmes(selection: Selection, stock: Stock, census: date,
                    assumptions: Assumptions, known_at: date | None = None,
                    ) -> Programmes | None:
    """Return the programme route of the stock's staff groups, or ``None`` without rows."""
    groups = stock.staff_groups
    frame = _rows(selection, groups, census, known_at)
    if frame.empty:
        return None
    frame["c"] = row_completion(frame)
    frame["c"] = _fill(frame.assign(completion_rate=frame["c"]), "completion_rate",
                       "completion_rate", assumptions)
    frame["t"] = _fill(frame, "take_up_rate", "take_up_rate", assumptions)
    frame["d"] = _fill(frame, "duration_years", "training_duration", assumptions)
    frame["nc"] = frame["n"] * frame["c"]
    frame["nct"] = frame["nc"] * frame["t"]
    frame["nd"] = frame["n"] * frame["d"]
    years = tuple(range(int(frame["year"].min()), int(frame["year"].max()) + 1))
    table = frame.pivot_table(index="year", columns="staff_group", values="n", aggfunc="sum")
    table = table.reindex(index=list(years), columns=list(groups))
    trained = frozenset(str(g) for g in frame["staff_group"].unique())
    for group in trained:
        table[group] = table[group].ffill()
    sums = frame.groupby("staff_group")[["n", "nc", "nct", "nd"]].sum()
    pick = [g if g in trained else None for g in groups]

    def ratio(top: str, bottom: str) -> np.ndarray:
        above, below = sums[top].to_dict(), sums[bottom].to_dict()
        return np.array([float(above[g]) / float(below[g])
                         if g is not None and float(below[g]) > 0 else math.nan
                         for g in pick])

    duration = ratio("nd", "n")
    whole = np.clip(np.floor(np.nan_to_num(duration) + 0.5), 0, 15)
    training = Training(groups, years, table.fillna(0.0).to_numpy(dtype=np.float64), whole,
                        np.clip(np.nan_to_num(ratio("nc", "n")), 0.0, 1.0), trained)
    return _programmes(frame, training, ratio("nct", "nc"), assumptions)


def _programmes(frame: pd.DataFrame, training: Training, take_up: np.ndarray,
                assumptions: Assumptions) -> Programmes:
    """Split each group's joiners between regions by starters x completion x take-up."""
    trained = training.trained
    expected = frame.groupby(["staff_group", "region"])["nct"].sum()
    shares: dict[str, dict[str, float]] = {}
    totals = expected.groupby(level=0).sum()
    for key, value in expected.items():
        group, region = str(key[0]), str(key[1])  # type: ignore[index]
        total = float(totals[group])
        if total > 0:
            shares.setdefault(group, {})[region] = float(value) / total
    assumptions.add("newly qualified joiners by region", "education_programmes",
                    f"staff groups {', '.join(sorted(trained))}: places, completion, take-up "
                    "and duration from education_programmes (their education rows are not "
                    "used); joiners split between regions by each region's starters x "
                    "completion x take-up over all intake years, and within a region by "
                    "headcount (docs/education.md)", tier="data")
    return Programmes(training, np.clip(take_up, 0.0, 1.0), shares)


def merge_training(education: Training | None, programmes: Training) -> Training:
    """Return one route: the programmes' groups from ``programmes``, the others as before.

    Both series are put on the union of their years; a group's places outside its
    own series are its first or last year's (as the model holds them).
    """
    if education is None:
        return programmes
    first = min(education.years[0], programmes.years[0])
    last = max(education.years[-1], programmes.years[-1])
    years = tuple(range(first, last + 1))
    own = programmes.trained

    def spread(route: Training) -> np.ndarray:
        frame = pd.DataFrame(route.places, index=list(route.years))
        return frame.reindex(list(years)).ffill().bfill().to_numpy(dtype=np.float64)

    use = np.array([g in own for g in programmes.groups])
    places = np.where(use[np.newaxis, :], spread(programmes), spread(education))
    return Training(programmes.groups, years, places,
                    np.where(use, programmes.duration, education.duration),
                    np.where(use, programmes.completion, education.completion),
                    (education.trained - own) | own)


def regional_area_share(selection: Selection, stock: Stock, programmes: Programmes,
                        assumptions: Assumptions) -> np.ndarray:
    """Return ``[area, staff_group]``: the default headcount share, by region for programmes.

    A group without programmes keeps each area's share of its headcount (the
    model's default). A programme group's share in an area is its region's share
    of the joiners times the area's share of the region's headcount of the group.
    """
    by_area = stock.headcount.sum(axis=2)
    totals = by_area.sum(axis=0)
    equal = np.full_like(by_area, 1.0 / by_area.shape[0])
    share = np.divide(by_area, totals, out=equal, where=totals > 0)
    regions = selection.regions()
    area_region = [regions.get(a) if selection.level != "england" else None
                   for a in stock.areas]
    for g, group in enumerate(stock.staff_groups):
        wanted = programmes.region_share.get(group)
        if wanted is None:
            continue
        if selection.level == "england":
            share[:, g] = 1.0
            continue
        column = np.zeros(len(stock.areas))
        for region, part in wanted.items():
            members = [a for a, r in enumerate(area_region) if r == region]
            if not members:
                assumptions.add(f"newly qualified joiners of {region} ({group})", 0.0,
                                f"the run has no area in region {region}: the "
                                "joiners of its programmes are not counted")
                continue
            heads = by_area[members, g]
            weights = heads / heads.sum() if heads.sum() > 0 else np.full(len(members),
                                                                           1 / len(members))
            column[members] = part * weights
        share[:, g] = column
    return share

