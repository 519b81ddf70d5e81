"""Training places, duration and completion from the ``education`` table.

National, by staff group: places (or starters where places are not given) are
summed over providers and regions for each academic year, whose first calendar
year is the intake year (``2024/25`` → 2024). Completion rate and duration are
means weighted by places; the model needs whole years, so the duration is
rounded half up. Years missing inside the series repeat the year before; the
model holds places flat outside it. Staff groups with no education rows get no
training route (0 places) and that is recorded: their newly qualified joiners
observed in the flows are then counted with the other joiners instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfplan.assessment.source import Assumptions
from wfplan.assessment.stock import input_default
from wfplan.dataset.store import Store

_SQL = """
SELECT staff_group, year, sum(n) AS places,
       sum(completion_rate * n) FILTER (WHERE completion_rate IS NOT NULL) AS completed,
       sum(n) FILTER (WHERE completion_rate IS NOT NULL) AS completion_base,
       sum(duration_years * n) FILTER (WHERE duration_years IS NOT NULL) AS duration,
       sum(n) FILTER (WHERE duration_years IS NOT NULL) AS duration_base
FROM (SELECT staff_group, completion_rate, duration_years, coalesce(places, starters) AS n,
             TRY_CAST(regexp_extract(academic_year, '^([0-9]{4})', 1) AS INTEGER) AS year
      FROM education WHERE vintage = ?)
WHERE year IS NOT NULL AND n IS NOT NULL AND year <= ?
GROUP BY ALL
"""


@dataclass(frozen=True)
class Training:
    """National training route by staff group.

    Attributes
    ----------
    groups
        The staff groups, in the order of the arrays.
    years
        Intake calendar years of ``places`` (consecutive).
    places
        ``[year, staff_group]`` places a year.
    duration, completion
        ``[staff_group]`` whole years; fraction.
    trained
        Staff groups with education rows.
    """

    groups: tuple[str, ...]
    years: tuple[int, ...]
    places: np.ndarray
    duration: np.ndarray
    completion: np.ndarray
    trained: frozenset[str]


def _weighted(frame: pd.DataFrame, value: str, base: str, groups: tuple[str, ...],
              default: float) -> tuple[np.ndarray, list[str]]:
    sums = frame.groupby("staff_group")[[value, base]].sum()
    numerator = sums[value].to_dict()
    denominator = sums[base].to_dict()
    out: list[float] = []
    missing: list[str] = []
    for group in groups:
        if float(denominator.get(group, 0.0)) > 0:
            out.append(float(numerator[group]) / float(denominator[group]))
        else:
            out.append(default)
            missing.append(group)
    return np.array(out, dtype=np.float64), missing


def read_training(store: Store, vintage: str, groups: tuple[str, ...], last_year: int,
                  assumptions: Assumptions) -> Training | None:
    """Return the training route of ``groups`` from intakes up to ``last_year``, if any."""
    frame = store.query(_SQL, [vintage, last_year])
    frame = frame[frame["staff_group"].isin(groups) & (frame["places"] > 0)]
    if frame.empty:
        return None
    frame = frame.astype({c: "float64" for c in frame.columns if c not in ("staff_group",
                                                                             "year")})
    first, last = int(frame["year"].min()), int(frame["year"].max())
    years = tuple(range(first, last + 1))
    table = frame.pivot_table(index="year", columns="staff_group", values="places",
                              aggfunc="sum").reindex(index=list(years), columns=list(groups))
    trained = frozenset(str(g) for g in frame["staff_group"].unique())
    for group in trained:  # a year missing inside a group's series repeats the year before
        table[group] = table[group].ffill()
    places = table.fillna(0.0).to_numpy(dtype=np.float64)
    untrained = [g for g in groups if g not in trained]
    if untrained:
        assumptions.add("training_places", 0.0,
                        f"no education rows for staff groups {', '.join(untrained)}: no "
                        "training route; "
                        "their observed newly qualified joiners count as other joiners")
    completion, no_rate = _weighted(frame, "completed", "completion_base", groups,
                                    input_default("completion_rate"))
    duration, no_length = _weighted(frame, "duration", "duration_base", groups,
                                    input_default("training_duration"))
    _record(assumptions, trained, no_rate, no_length, duration)
    whole = np.clip(np.floor(duration + 0.5), 0, 15)
    return Training(groups, years, places, whole, np.clip(completion, 0.0, 1.0), trained)


def _record(assumptions: Assumptions, trained: frozenset[str], no_rate: list[str],
            no_length: list[str], duration: np.ndarray) -> None:
    lacking_rate = sorted(set(no_rate) & trained)
    if lacking_rate:
        assumptions.add("completion_rate", input_default("completion_rate"),
                        f"no completion rate in education for staff groups {lacking_rate}: "
                        "parameter table default")
    lacking_length = sorted(set(no_length) & trained)
    if lacking_length:
        assumptions.add("training_duration", input_default("training_duration"),
                        f"no duration in education for staff groups {lacking_length}: "
                        "parameter table default")
    if not np.array_equal(duration, np.floor(duration + 0.5)):
        assumptions.add("training_duration", "rounded to whole years",
                        "the model needs whole years: the places-weighted mean duration is "
                        "rounded half up")
