"""Checks on single input arrays: dimensions, coordinates, ranges and sums."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from wfplan.model.errors import ModelInputError
from wfplan.model.labelled import Label, LabelledArray
from wfplan.model.parameters import ParameterSpec

#: Arrays that are distributions over one dimension, and that dimension.
_SUMS_TO_ONE = {
    "joiner_age_profile": "age_band",
    "newly_qualified_age_profile": "age_band",
    "area_share": "area",
}
_INTEGER_YEARS = ("training_places", "population")
SUM_TOLERANCE = 1e-9


def canonical(
    name: str,
    array: LabelledArray,
    dims: tuple[str, ...],
    master: Mapping[str, tuple[Label, ...]],
) -> LabelledArray:
    """Transpose ``array`` to ``dims`` and reorder its labels to the shared coordinates."""
    if sorted(array.dims) != sorted(dims):
        raise ModelInputError(name, "", f"has dimensions {array.dims}; expected {dims}")
    array = array.transpose(dims)
    for dim in dims:
        if dim not in master:
            continue
        labels = master[dim]
        got = array.coords[dim]
        if got == labels:
            continue
        missing = [label for label in labels if label not in got]
        unexpected = [label for label in got if label not in labels]
        if missing or unexpected:
            raise ModelInputError(
                name, dim, f"codes do not match: missing {missing}, unexpected {unexpected}"
            )
        array = array.reindex(dim, labels)
    values = np.ascontiguousarray(array.values, dtype=np.float64)
    return LabelledArray(array.dims, array.coords, values)


def _where(array: LabelledArray, index: tuple[int, ...]) -> str:
    return ", ".join(
        f"{dim}={array.coords[dim][position]}"
        for dim, position in zip(array.dims, index, strict=True)
    )


def _first(array: LabelledArray, bad: np.ndarray) -> str:
    return _where(array, tuple(int(i) for i in np.argwhere(bad)[0]))


def check_values(name: str, array: LabelledArray, spec: ParameterSpec, *,
                 area_subset: bool = False) -> None:
    """Raise :class:`ModelInputError` if ``array`` breaks the table's rules for ``name``.

    ``area_subset``: the areas are some of a larger set (``ModelInputs.select_areas``),
    so a distribution over areas (``area_share``) sums to at most 1 over them.
    """
    values = array.values
    checked = values
    if name == "age_band_width":
        # the last (open) band's width is ignored and may be 0 or inf
        checked = values[:-1]
    if not np.isfinite(checked).all():
        raise ModelInputError(name, _first(array, ~np.isfinite(values)), "must be finite (no NaN)")
    if (checked < spec.minimum).any():
        bad = np.zeros(values.shape, dtype=bool)
        bad[tuple(slice(0, n) for n in checked.shape)] = checked < spec.minimum
        raise ModelInputError(name, _first(array, bad), f"must be at least {spec.minimum:g}")
    if (checked > spec.maximum).any():
        bad = np.zeros(values.shape, dtype=bool)
        bad[tuple(slice(0, n) for n in checked.shape)] = checked > spec.maximum
        raise ModelInputError(name, _first(array, bad), f"must be at most {spec.maximum:g}")
    if name in _SUMS_TO_ONE:
        _check_sums_to_one(name, array, _SUMS_TO_ONE[name],
                           at_most=area_subset and _SUMS_TO_ONE[name] == "area")
    if name == "training_duration" and not np.array_equal(values, np.round(values)):
        raise ModelInputError(name, _first(array, values != np.round(values)), "whole years only")
    if name in _INTEGER_YEARS:
        years = array.coords["year"]
        if not all(isinstance(year, int | np.integer) for year in years):
            raise ModelInputError(name, "year", "year labels must be whole calendar years")
        if list(years) != list(range(int(years[0]), int(years[0]) + len(years))):
            raise ModelInputError(name, "year", "years must be consecutive and ascending")


def _check_sums_to_one(name: str, array: LabelledArray, dim: str, at_most: bool) -> None:
    axis = array.dims.index(dim)
    totals = array.values.sum(axis=axis)
    bad = (totals - 1.0 > SUM_TOLERANCE) if at_most else np.abs(totals - 1.0) > SUM_TOLERANCE
    if bad.any():
        other = LabelledArray(
            tuple(d for d in array.dims if d != dim),
            {d: array.coords[d] for d in array.dims if d != dim},
            totals,
        )
        raise ModelInputError(name, _first(other, bad), f"must sum to "
                              f"{'at most ' if at_most else ''}1 over {dim}")
