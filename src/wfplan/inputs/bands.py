"""Population age bands: parsing, partitions and a common coarsening.

Population and utilisation rows use band codes ``LO_HI`` (closed), ``N`` (one
year of age), ``LO_plus`` (open) and ``all``. Each source partitions the ages,
but not always in the same way (ONS population in ten-year bands, hospital
activity in five-year groups). The model needs one partition for both, so
both are coarsened to the **common bands**: the bands whose lower bounds are
lower bounds in every source (``0_9 … 80_plus`` for those two).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from wfplan.dataset.age_bands import band_bounds

Band = tuple[int, int | None]


def partition(codes: Iterable[str]) -> list[str] | None:
    """Return ``codes`` youngest first if they partition ages 0 and over, else ``None``.

    ``all`` counts only when it is the one band.
    """
    codes = [str(code) for code in codes]
    if codes == ["all"]:
        return codes
    bounds = {code: band_bounds(code) for code in codes}
    if not codes or any(value is None for value in bounds.values()):
        return None
    ordered = sorted(codes, key=lambda code: bounds[code][0])  # type: ignore[index]
    expected: int | None = 0
    for code in ordered:
        low, high = bounds[code]  # type: ignore[misc]
        if expected is None or low != expected:
            return None
        expected = None if high is None else high + 1
    return ordered if expected is None else None


def lower(code: str) -> int:
    """Return the lowest age of a band code (0 for ``all``)."""
    bounds = band_bounds(code)
    return 0 if bounds is None else bounds[0]


def common_lowers(partitions: Sequence[Sequence[str]]) -> list[int]:
    """Return the lower bounds shared by every partition, ascending (always includes 0)."""
    sets = [{lower(code) for code in codes} for codes in partitions]
    return sorted(set.intersection(*sets)) if sets else [0]


def common_labels(lowers: Sequence[int]) -> tuple[str, ...]:
    """Return band codes for the common bands starting at ``lowers``."""
    if list(lowers) == [0]:
        return ("all",)
    labels = []
    for i, low in enumerate(lowers):
        if i + 1 == len(lowers):
            labels.append(f"{low}_plus")
        else:
            high = lowers[i + 1] - 1
            labels.append(str(low) if high == low else f"{low}_{high}")
    return tuple(labels)


def group_index(codes: Sequence[str], lowers: Sequence[int]) -> np.ndarray:
    """Return, for each band of a partition, the index of the common band holding it."""
    starts = np.asarray(lowers)
    return np.array([int(np.searchsorted(starts, lower(code), side="right")) - 1
                     for code in codes])


def coarsen(values: np.ndarray, codes: Sequence[str], lowers: Sequence[int]) -> np.ndarray:
    """Sum the last axis (bands ``codes``) into the common bands."""
    index = group_index(codes, lowers)
    out = np.zeros((*values.shape[:-1], len(lowers)))
    for source, target in enumerate(index):
        out[..., target] += values[..., source]
    return out


def nests(fine: Sequence[str], coarse: Sequence[str]) -> bool:
    """Return whether every band of ``fine`` lies inside one band of ``coarse``."""
    outer = [band_bounds(code) for code in coarse]
    for code in fine:
        inner = band_bounds(code)
        if inner is None:
            return False
        inside = [b for b in outer if b is not None and b[0] <= inner[0] and (
            b[1] is None or (inner[1] is not None and inner[1] <= b[1]))]
        if len(inside) != 1:
            return False
    return True


def width(code: str, open_width: int = 10) -> float:
    """Return the years a band spans (an open band counts ``open_width``)."""
    bounds = band_bounds(code)
    if bounds is None:
        return float(open_width)
    return float(open_width if bounds[1] is None else bounds[1] - bounds[0] + 1)
