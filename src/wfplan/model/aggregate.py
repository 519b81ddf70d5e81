"""Aggregate results: areas to a coarser level, and staff groups to totals.

Areas go from organisation to ICB, region and England; staff groups to the
total over every staff group and each sector's subtotal.

Stored variables are additive (stocks, flows, FTE, costs) and are summed within
each draw; gaps, percentages and rates are derived from the sums when asked for,
so they are recomputed at the coarser level rather than averaged, and the
percentiles of a sum are taken across the draws of the sum (percentiles do not
add up).

Sums are taken a block of draws at a time (:data:`BLOCK_BYTES` of one variable),
each variable computed on request (:class:`~wfplan.model.results.Lazy`) for that
block alone: no variable is held at full size, and each sum is the same NumPy
reduction over the same values, so the bits are those of summing the whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the results module imports the engine's: not needed for the names below
    from wfplan.model.results import Results, Stored

#: Bytes of one variable's values in a block of draws (the unit of memory when summing).
BLOCK_BYTES = 8 * 2**20


def _sum_groups_of(array: np.ndarray, groups: list[list[int]], axis: int) -> np.ndarray:
    """Sum ``array`` over each group of indices on ``axis``; a group per index of the result.

    One group of every index in order (England) is summed in place: ``take`` would
    only copy a C-contiguous array into one of the same layout, whose reduction runs
    in the same order, so the bits are the same without the copy.
    """
    if (len(groups) == 1 and array.flags.c_contiguous
            and groups[0] == list(range(array.shape[axis]))):
        return array.sum(axis=axis, keepdims=True)
    parts = [np.take(array, members, axis=axis).sum(axis=axis) for members in groups]
    return np.stack(parts, axis=axis)


def _summed(results: Results, name: str, groups: list[list[int]], axis: int) -> np.ndarray:
    """Sum a stored variable over ``groups`` of areas (axis 2) or staff groups (axis 3).

    Draw by draw, a block of draws at a time: every element is the same reduction
    over the same values as when summing the whole array.
    """
    rows = results.draw_rows(name)
    per_draw = len(results.years) * len(results.areas) * max(1, len(results.staff_groups)) * 8
    step = max(1, BLOCK_BYTES // per_draw)
    out: np.ndarray | None = None
    for start in range(0, rows, step):
        draws = slice(start, min(start + step, rows))
        part = _sum_groups_of(results.block(name, draws, slice(None)), groups, axis)
        if out is None:
            out = np.empty((rows, *part.shape[1:]))
        out[draws] = part
    assert out is not None
    return out


def aggregate(results: Results, mapping: Mapping[str, str], level: str | None = None) -> Results:
    """Sum results over areas that share a parent.

    Parameters
    ----------
    results
        Results at the finer level.
    mapping
        Area code -> parent area code, for every area in ``results``. Use one
        parent for all areas to aggregate to England.
    level
        Name of the coarser level (recorded in the metadata), e.g. ``"region"``.

    Returns
    -------
    Results
        The same variables with one area per parent, in order of first appearance.
    """
    missing = [area for area in results.areas if area not in mapping]
    if missing:
        raise ValueError(f"no parent area for {missing}; every area must be mapped")
    parents = tuple(dict.fromkeys(mapping[area] for area in results.areas))
    members = [
        [index for index, area in enumerate(results.areas) if mapping[area] == parent]
        for parent in parents
    ]
    summed: dict[int, np.ndarray] = {}
    arrays: dict[str, Stored] = {}
    for name, stored in results.arrays.items():
        # arrays shared between variables (e.g. need == funded) are summed once
        if id(stored) not in summed:
            summed[id(stored)] = _summed(results, name, members, axis=2)
        arrays[name] = summed[id(stored)]
    before = results.metadata
    from wfplan.model.run_metadata import Aggregation

    step = Aggregation(from_level=before.level, to_level=level, areas=len(parents))
    metadata = before.model_copy(update={"aggregation": [*(before.aggregation or []), step],
                                         "level": level})
    from wfplan.model.results import Results

    return Results(
        scenario=results.scenario,
        base_year=results.base_year,
        areas=parents,
        staff_groups=results.staff_groups,
        age_bands=results.age_bands,
        n_draws=results.n_draws,
        arrays=arrays,
        principal_by_age=_sum_groups_of(results.principal_by_age, members, axis=1),
        metadata=metadata,
        sampled=results.sampled,
    )


#: Staff-group code of the total over every staff group (England all-staff total).
ALL_STAFF_GROUPS = "all_staff_groups"
#: Prefix of a sector subtotal's staff-group code (``all_nhs_trust``, ``all_primary_care``...).
SECTOR_TOTAL_PREFIX = "all_"


def sector_total(sector: str) -> str:
    """Return the staff-group code of a sector's subtotal, e.g. ``all_primary_care``."""
    return SECTOR_TOTAL_PREFIX + sector


def is_total(staff_group: str) -> bool:
    """Return whether a staff-group code is a total made by :func:`sum_staff_groups`."""
    return str(staff_group).startswith(SECTOR_TOTAL_PREFIX)


def staff_group_totals(staff_groups: Sequence[str], sector_of: Mapping[str, str],
                       ) -> dict[str, tuple[str, ...]]:
    """Return the totals to make: every staff group, then each sector that has one.

    Parameters
    ----------
    staff_groups
        The staff groups of the results, in order.
    sector_of
        Staff group code -> sector code (from the staff-group code list). A group
        with no sector counts in the all-staff total only.

    Returns
    -------
    dict
        Total code -> member staff groups: :data:`ALL_STAFF_GROUPS` first, then
        ``all_<sector>`` for each sector with a staff group in the results, in the
        order the sectors first appear in ``sector_of``.
    """
    totals = {ALL_STAFF_GROUPS: tuple(staff_groups)}
    for sector in dict.fromkeys(sector_of.values()):
        members = tuple(g for g in staff_groups if sector_of.get(g) == sector)
        if sector and members:
            totals[sector_total(sector)] = members
    return totals


def sum_staff_groups(results: Results, totals: Mapping[str, Sequence[str]]) -> Results:
    """Sum staff groups within each draw into totals (all staff, a sector...).

    Percentiles do not add up: a total's P5 is not the sum of its groups' P5. So
    the stored (additive) variables are summed draw by draw here, and the
    percentiles of a total are taken afterwards, across the draws of the sums.
    Gaps, percentages and costs per FTE are derived from the sums, so a surplus
    in one staff group offsets a shortfall in another.

    Parameters
    ----------
    results
        Results with the member staff groups.
    totals
        Total code -> the staff groups it sums (see :func:`staff_group_totals`).

    Returns
    -------
    Results
        One "staff group" per total, in the order given; areas and draws unchanged.
    """
    index = {group: i for i, group in enumerate(results.staff_groups)}
    members = []
    for code, groups in totals.items():
        unknown = [g for g in groups if g not in index]
        if unknown or not groups:
            raise ValueError(f"total {code!r} names staff groups {unknown or '(none)'} "
                             f"that are not in the results {results.staff_groups}")
        members.append([index[g] for g in groups])
    summed: dict[int, np.ndarray] = {}
    arrays: dict[str, Stored] = {}
    for name, stored in results.arrays.items():
        if id(stored) not in summed:
            summed[id(stored)] = _summed(results, name, members, axis=3)
        arrays[name] = summed[id(stored)]
    metadata = results.metadata.model_copy(update={
        "staff_group_totals": {code: list(groups) for code, groups in totals.items()}})
    from wfplan.model.results import Results

    return Results(
        scenario=results.scenario,
        base_year=results.base_year,
        areas=results.areas,
        staff_groups=tuple(totals),
        age_bands=results.age_bands,
        n_draws=results.n_draws,
        arrays=arrays,
        principal_by_age=_sum_groups_of(results.principal_by_age, members, axis=2),
        metadata=metadata,
        sampled=results.sampled,
    )
