"""NumPy arrays with named dimensions and explicit coordinates.

The model computes on plain ndarrays for speed but every array that crosses an
API boundary is a :class:`LabelledArray`, so a transposed or mislabelled array
is refused rather than silently broadcast.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

Label = str | int

#: The only dimension names the model knows. Unnamed (``dim_0``) or misspelt
#: dimensions are refused.
DIMENSIONS = frozenset(
    {"draw", "year", "area", "staff_group", "age_band", "variant", "population_age_band"}
)


def _as_dims(dims: str | Sequence[str]) -> tuple[str, ...]:
    return tuple(dims.split()) if isinstance(dims, str) else tuple(dims)


@dataclass(frozen=True, eq=False)
class LabelledArray:
    """An ndarray whose axes have names and coordinate labels.

    Parameters
    ----------
    dims
        Dimension names, one per axis, each from :data:`DIMENSIONS`.
    coords
        Labels for every dimension; ``len(coords[dim])`` must equal the axis length.
    values
        The data.
    """

    dims: tuple[str, ...]
    coords: Mapping[str, tuple[Label, ...]]
    values: np.ndarray

    def __post_init__(self) -> None:
        dims = _as_dims(self.dims)
        values = np.asarray(self.values)
        if len(dims) != values.ndim:
            raise ValueError(f"{len(dims)} dimension names {dims} for a {values.ndim}-d array")
        if len(set(dims)) != len(dims):
            raise ValueError(f"repeated dimension name in {dims}")
        unknown = [dim for dim in dims if dim not in DIMENSIONS]
        if unknown:
            raise ValueError(f"unknown dimension name(s) {unknown}; use {sorted(DIMENSIONS)}")
        coords: dict[str, tuple[Label, ...]] = {}
        for axis, dim in enumerate(dims):
            if dim not in self.coords:
                raise ValueError(f"no coordinate labels for dimension '{dim}'")
            labels = tuple(self.coords[dim])
            if len(labels) != values.shape[axis]:
                raise ValueError(
                    f"dimension '{dim}' has {values.shape[axis]} entries "
                    f"but {len(labels)} coordinate labels"
                )
            if len(set(labels)) != len(labels):
                raise ValueError(f"repeated coordinate label in dimension '{dim}'")
            coords[dim] = labels
        object.__setattr__(self, "dims", dims)
        object.__setattr__(self, "coords", coords)
        object.__setattr__(self, "values", values)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of the underlying array."""
        return tuple(self.values.shape)

    def transpose(self, dims: str | Sequence[str]) -> LabelledArray:
        """Return the array with its axes in the order ``dims`` (same set of names)."""
        order = _as_dims(dims)
        if sorted(order) != sorted(self.dims):
            raise ValueError(f"cannot transpose dims {self.dims} to {order}")
        axes = [self.dims.index(dim) for dim in order]
        return LabelledArray(order, self.coords, np.transpose(self.values, axes))

    def reindex(self, dim: str, labels: Sequence[Label]) -> LabelledArray:
        """Reorder one dimension to ``labels``; every label must already be present."""
        current = self.coords[dim]
        position = {label: index for index, label in enumerate(current)}
        missing = [label for label in labels if label not in position]
        if missing or len(labels) != len(current):
            extra = sorted(set(current) - set(labels), key=str)
            raise ValueError(f"dimension '{dim}': missing labels {missing}, unexpected {extra}")
        index = [position[label] for label in labels]
        values = np.take(self.values, index, axis=self.dims.index(dim))
        return LabelledArray(self.dims, {**self.coords, dim: tuple(labels)}, values)

    def sel(self, **labels: Label) -> LabelledArray:
        """Select one label on each named dimension, dropping those dimensions."""
        values = self.values
        dims = list(self.dims)
        for dim, label in labels.items():
            if dim not in dims:
                raise ValueError(f"no dimension '{dim}' in {tuple(dims)}")
            axis = dims.index(dim)
            try:
                position = self.coords[dim].index(label)
            except ValueError:
                raise KeyError(f"{dim}={label!r} not in coordinates") from None
            values = np.take(values, position, axis=axis)
            dims.pop(axis)
        return LabelledArray(tuple(dims), {dim: self.coords[dim] for dim in dims}, values)


def labelled(
    dims: str | Sequence[str], values: ArrayLike, coords: Mapping[str, Sequence[Label]]
) -> LabelledArray:
    """Build a float64 :class:`LabelledArray` from ``dims`` (names or a space-separated string)."""
    names = _as_dims(dims)
    missing = [dim for dim in names if dim not in coords]
    if missing:
        raise ValueError(f"no coordinate labels for dimension(s) {missing}")
    return LabelledArray(names, {dim: tuple(coords[dim]) for dim in names}, _float(values))


def _float(values: ArrayLike) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(values, dtype=np.float64))


@dataclass(frozen=True)
class Coords:
    """The coordinates shared by every input array of one model run.

    Parameters
    ----------
    area
        Area codes (ICB, region, organisation codes...), in model order.
    staff_group
        Staff group codes.
    age_band
        Age band codes, youngest first.
    """

    area: tuple[str, ...]
    staff_group: tuple[str, ...]
    age_band: tuple[str, ...]

    def __post_init__(self) -> None:
        for dim in ("area", "staff_group", "age_band"):
            labels = tuple(str(label) for label in getattr(self, dim))
            if not labels:
                raise ValueError(f"coordinate '{dim}' is empty")
            if any(not label for label in labels):
                raise ValueError(f"coordinate '{dim}' has an empty code")
            if len(set(labels)) != len(labels):
                raise ValueError(f"coordinate '{dim}' has repeated codes")
            object.__setattr__(self, dim, labels)

    def as_dict(self) -> dict[str, tuple[Label, ...]]:
        """Return the coordinates as a mapping from dimension name to labels."""
        return {"area": self.area, "staff_group": self.staff_group, "age_band": self.age_band}

    def label(
        self, dims: str | Sequence[str], values: ArrayLike, **extra: Sequence[Any]
    ) -> LabelledArray:
        """Label ``values`` with these coordinates plus ``extra`` ones (e.g. ``year=...``)."""
        return labelled(dims, values, {**self.as_dict(), **extra})
