"""Training places, duration and completion from the ``education`` table.

National, by staff group: places (or starters where places are not given) are
summed over providers and regions for each academic year. Completion rate and
duration are means weighted by places; the model needs whole years, so the
duration is rounded half up. A staff group whose education rows give no
completion rate or duration takes the evidence library's figure, else the
parameter table's default (:mod:`~wfplan.inputs.resolve`). Years missing inside
the series repeat the year before; the model holds places flat outside it.
Staff groups with no education rows get no training route (0 places) and that
is recorded: their newly qualified joiners observed in the flows are then
counted with the other joiners instead.

Academic years and census years
-------------------------------
The model steps from census to census: its year ``y`` is the twelve months
ending on the census date in calendar year ``y``, and ``NQ[y] = places[y - d]``.
An academic year ``Y/Y+1`` starts on 1 September ``Y``, so its intake is dated
to the census year whose twelve months contain that day
(:func:`intake_census_year`): ``Y`` for a census from September to December,
``Y + 1`` for a census from January to August. Completers of a ``d``-year
course finish in the summer of ``Y + d`` and join from September ``Y + d``; they
then first count at the census of year ``intake + d``: with a March census
``2024/25`` is census year 2025 and a 3-year course's completers arrive by
March 2028 (after finishing in summer 2027), not March 2027; with a September
census ``2024/25`` is 2024 and they arrive by September 2027.

When only what was known at a date may be used (``known_at``, back-tests),
intakes that start after that date are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.model_inputs import education_places
from wfplan.inputs.resolve import Resolved, record, resolve_groups
from wfplan.inputs.source import Assumptions

#: The day an academic year starts: ``Y/Y+1`` starts on 1 September ``Y``.
ACADEMIC_YEAR_START = (9, 1)

def _starts_by(day: date) -> bool:
    """Whether the academic year of ``day``'s calendar year has started on ``day``."""
    return (day.month, day.day) >= ACADEMIC_YEAR_START


def intake_census_year(start_year: int, census: date) -> int:
    """Return the census year of the intake of academic year ``start_year/start_year+1``.

    The census year ``y`` is the twelve months ending on the census's month and
    day in calendar year ``y``; the intake counts in the one that contains its
    first day, 1 September ``start_year``.

    Parameters
    ----------
    start_year
        The academic year's first calendar year (2024 for ``2024/25``).
    census
        A census date; only its month and day matter.

    Returns
    -------
    int
        ``start_year`` for a census from 1 September to 31 December, else
        ``start_year + 1``.
    """
    return start_year if _starts_by(census) else start_year + 1


def last_known_start(known_at: date) -> int:
    """Return the first calendar year of the latest academic year started by ``known_at``."""
    return known_at.year if _starts_by(known_at) else known_at.year - 1


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
              parameter: str) -> tuple[np.ndarray, list[Resolved]]:
    """Return the places-weighted mean by group; groups without it resolve ``parameter``."""
    sums = frame.groupby("staff_group")[[value, base]].sum()
    numerator = sums[value].to_dict()
    denominator = sums[base].to_dict()
    missing = [g for g in groups if float(denominator.get(g, 0.0)) <= 0]
    resolved = dict(zip(missing, resolve_groups(parameter, missing), strict=True))
    out = [resolved[g].value if g in resolved
           else float(numerator[g]) / float(denominator[g]) for g in groups]
    return np.array(out, dtype=np.float64), list(resolved.values())


def read_training(store: Store, vintage: str, groups: tuple[str, ...], census: date,
                  assumptions: Assumptions, known_at: date | None = None) -> Training | None:
    """Return the training route of ``groups``, if any, by census year of intake.

    Parameters
    ----------
    store, vintage
        Where the ``education`` rows are.
    groups
        The staff groups of the model, in order.
    census
        The base census: academic years are dated to its census years
        (:func:`intake_census_year`).
    assumptions
        Where defaults are recorded.
    known_at
        Leave out intakes that start after this date (back-tests).
    """
    offset = intake_census_year(0, census)
    last_start = last_known_start(known_at) if known_at else 9999
    frame = education_places(store, vintage, offset, last_start)
    frame = frame[frame["staff_group"].isin(groups) & (frame["places"] > 0)]
    if frame.empty:
        return None
    frame = frame.astype({c: "float64" for c in frame.columns if c not in ("staff_group",
                                                                             "year")})
    assumptions.add(
        "training_places years", f"academic year Y/Y+1 -> census year Y+{offset}",
        f"an academic year starts on 1 September; with a census on {census:%d %B} its "
        f"intake counts in the census year {'it starts in' if offset == 0 else 'after'} "
        "(docs/model.md)" + ("" if known_at is None else
                             f"; intakes starting after {known_at.isoformat()} left out"))
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
                                    "completion_rate")
    duration, no_length = _weighted(frame, "duration", "duration_base", groups,
                                    "training_duration")
    _record(assumptions, trained, no_rate, no_length, duration)
    whole = np.clip(np.floor(duration + 0.5), 0, 15)
    return Training(groups, years, places, whole, np.clip(completion, 0.0, 1.0), trained)


def _record(assumptions: Assumptions, trained: frozenset[str], no_rate: list[Resolved],
            no_length: list[Resolved], duration: np.ndarray) -> None:
    lacking_rate = sorted((r for r in no_rate if r.staff_group in trained),
                          key=lambda r: r.staff_group)
    if lacking_rate:
        record(assumptions, lacking_rate, "no completion rate in education")
    lacking_length = sorted((r for r in no_length if r.staff_group in trained),
                            key=lambda r: r.staff_group)
    if lacking_length:
        record(assumptions, lacking_length, "no duration in education")
    if not np.array_equal(duration, np.floor(duration + 0.5)):
        assumptions.add("training_duration", "rounded to whole years",
                        "the model needs whole years: the places-weighted mean duration is "
                        "rounded half up", tier="data")
