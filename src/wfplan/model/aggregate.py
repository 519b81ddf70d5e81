"""Aggregate results from a finer area level to a coarser one (org -> ICB -> region -> England).

Stored variables are additive (stocks, flows, FTE, costs) and are summed; gaps,
percentages and rates are derived from the sums when asked for, so they are
recomputed at the coarser level rather than averaged.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from wfplan.model.results import Results, Stored


def _sum_areas(array: np.ndarray, groups: list[list[int]], axis: int) -> np.ndarray:
    parts = [np.take(array, members, axis=axis).sum(axis=axis) for members in groups]
    return np.stack(parts, axis=axis)


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
    for name in results.arrays:
        array = results.values(name)
        # arrays shared between variables (e.g. need == funded) are summed once
        if id(array) not in summed:
            summed[id(array)] = _sum_areas(array, members, axis=2)
        arrays[name] = summed[id(array)]
    metadata = dict(results.metadata)
    metadata["aggregation"] = [
        *metadata.get("aggregation", []),
        {"from_level": metadata.get("level"), "to_level": level, "areas": len(parents)},
    ]
    metadata["level"] = level
    return Results(
        scenario=results.scenario,
        base_year=results.base_year,
        areas=parents,
        staff_groups=results.staff_groups,
        age_bands=results.age_bands,
        n_draws=results.n_draws,
        arrays=arrays,
        principal_by_age=_sum_areas(results.principal_by_age, members, axis=1),
        metadata=metadata,
    )
