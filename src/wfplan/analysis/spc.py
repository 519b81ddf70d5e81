"""Statistical process control (SPC) of a monthly or yearly series: XmR charts.

Follows NHS England's "Making Data Count": an XmR (individuals) chart whose
centre line is the mean of the series and whose process limits are the mean
± 2.66 × the mean moving range (the mean of the absolute differences between
consecutive points). A point is *special cause* when any of these holds:

``outside``
    the point is above the upper or below the lower process limit;
``shift``
    it is one of a run of 7 or more consecutive points on the same side of the
    mean (a point exactly on the mean ends a run);
``trend``
    it is one of 7 or more consecutive points each higher than the one before,
    or each lower (an unchanged value ends a trend);
``two_of_three``
    it is beyond two-thirds of the way from the mean to a process limit, and at
    least one of the two points before or after it within a window of 3
    consecutive points is beyond two-thirds of the way to the *same* limit (the
    Western Electric form: the third point of the window may be anywhere).

Each point then gets a *point type*: common cause, or special cause of
improvement or concern (by whether higher is better), or neutral high/low
where neither direction is better. The chart's *variation* icon is the type
of its latest point, and, given a target, its *assurance* icon says whether the
process limits are all on the passing side of the target (``pass``), all on
the failing side (``fail``), or straddle it (``hit_and_miss``).

Series of fewer than :data:`FEW_POINTS` points get a warning: their limits
rest on too few moving ranges to be trusted (the threshold NHSRplotthedots,
the NHS-R community's Making Data Count package, warns at: a wfplan choice,
not a published rule).

Pure NumPy, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

#: Process limits are the mean ± this many mean moving ranges (3 / d2, d2 = 1.128).
LIMIT_FACTOR = 2.66
#: Length of the shift (points on one side of the mean) and trend rules.
RUN_LENGTH = 7
#: Fraction of the way from the mean to a limit beyond which a point is "close".
CLOSE_FRACTION = 2.0 / 3.0
#: Fewer points than this get a warning that the limits are unreliable.
FEW_POINTS = 12

Direction = Literal["higher", "lower", "neutral"]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class SpcChart:
    """An XmR chart of one series: its limits, the rule flags and the icons.

    Attributes
    ----------
    values : numpy.ndarray
        The series, oldest first.
    mean, mean_moving_range, upper, lower : float
        Centre line, mean moving range and process limits.
    outside, shift, trend, two_of_three : numpy.ndarray
        One boolean per point for each special-cause rule.
    point_types : tuple of str
        ``common_cause``, ``improvement``, ``concern``, ``neutral_high`` or
        ``neutral_low`` per point.
    variation : str
        The latest point's type: the chart's variation icon.
    assurance : str or None
        ``pass``, ``fail`` or ``hit_and_miss`` against the target; ``None`` without one.
    warning : str or None
        Why the limits may not be trusted (too few points), else ``None``.
    """

    values: NDArray[np.float64]
    mean: float
    mean_moving_range: float
    upper: float
    lower: float
    outside: BoolArray
    shift: BoolArray
    trend: BoolArray
    two_of_three: BoolArray
    point_types: tuple[str, ...]
    variation: str
    assurance: str | None
    warning: str | None

    @property
    def special(self) -> BoolArray:
        """Points flagged by any rule."""
        return self.outside | self.shift | self.trend | self.two_of_three


def xmr(values: Sequence[float] | NDArray[np.float64], *, direction: Direction = "neutral",
        target: float | None = None) -> SpcChart:
    """Return the XmR chart of a series with every special-cause rule applied.

    Parameters
    ----------
    values : sequence of float
        The series, oldest first; at least 2 finite values.
    direction : {"higher", "lower", "neutral"}
        Which way is improvement (``neutral``: neither).
    target : float, optional
        The target, for the assurance icon.

    Raises
    ------
    ValueError
        With fewer than 2 values, or a value that is not finite.
    """
    y = np.asarray(values, dtype=np.float64)
    if y.ndim != 1 or y.size < 2:
        raise ValueError("an SPC chart needs a series of at least 2 values")
    if not np.isfinite(y).all():
        raise ValueError("an SPC chart needs finite values (no gaps)")
    mean = float(y.mean())
    mr_bar = float(np.abs(np.diff(y)).mean())
    upper, lower = mean + LIMIT_FACTOR * mr_bar, mean - LIMIT_FACTOR * mr_bar
    side = np.sign(y - mean).astype(np.int8)
    trend = _trend(y)
    flags = {"outside": (y > upper) | (y < lower),
             "shift": _mark_runs(side, RUN_LENGTH, 0) != 0, "trend": trend != 0,
             "two_of_three": _two_of_three(y, mean, upper, lower)}
    special = flags["outside"] | flags["shift"] | flags["trend"] | flags["two_of_three"]
    # Only a trend can flag a point exactly on the mean: it takes the trend's way.
    way = np.where(side != 0, side, trend)
    types = tuple(_point_type(bool(s), int(d), direction)
                  for s, d in zip(special, way, strict=True))
    warning = (f"only {y.size} points: process limits from fewer than {FEW_POINTS} "
               "points are unreliable" if y.size < FEW_POINTS else None)
    return SpcChart(values=y, mean=mean, mean_moving_range=mr_bar, upper=upper, lower=lower,
                    point_types=types, variation=types[-1],
                    assurance=_assurance(upper, lower, direction, target),
                    warning=warning, **flags)


def _runs(keys: NDArray[np.int8]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Return the start and (exclusive) end of each run of equal values."""
    edges = np.flatnonzero(np.diff(keys)) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [keys.size]))
    return starts, ends


def _mark_runs(keys: NDArray[np.int8], min_length: int, extend: int) -> NDArray[np.int8]:
    """Return the key of every position in a run of one non-zero key of ``min_length`` or more.

    Other positions get 0. ``extend`` more positions after each run take its
    key too (a run of differences covers one point more than its length).
    """
    marked = np.zeros(keys.size + extend, dtype=np.int8)
    starts, ends = _runs(keys)
    for start, end in zip(starts, ends, strict=True):
        if keys[start] != 0 and end - start >= min_length:
            marked[start:end + extend] = keys[start]
    return marked


def _trend(y: NDArray[np.float64]) -> NDArray[np.int8]:
    """+1 or -1 for points in :data:`RUN_LENGTH` or more consecutive rises or falls, else 0."""
    steps = np.sign(np.diff(y)).astype(np.int8)
    return _mark_runs(steps, RUN_LENGTH - 1, 1)


def _two_of_three(y: NDArray[np.float64], mean: float, upper: float,
                  lower: float) -> BoolArray:
    """Close points (beyond 2/3 of the way to a limit) with another close on that side."""
    flagged = np.zeros(y.size, dtype=np.bool_)
    for close in (y > mean + CLOSE_FRACTION * (upper - mean),
                  y < mean - CLOSE_FRACTION * (mean - lower)):
        for start in range(max(y.size - 2, 0)):
            window = close[start:start + 3]
            if window.sum() >= 2:
                flagged[start:start + 3] |= window
    return flagged


def _point_type(special: bool, side: int, direction: Direction) -> str:
    if not special:
        return "common_cause"
    if direction == "neutral":
        return "neutral_high" if side > 0 else "neutral_low"
    good = 1 if direction == "higher" else -1
    return "improvement" if side == good else "concern"


def _assurance(upper: float, lower: float, direction: Direction,
               target: float | None) -> str | None:
    if target is None or direction == "neutral":
        return None
    passing_low, passing_high = (lower, upper) if direction == "higher" else (-upper, -lower)
    goal = target if direction == "higher" else -target
    if passing_low >= goal:
        return "pass"
    if passing_high < goal:
        return "fail"
    return "hit_and_miss"
