"""SPC (Making Data Count XmR) rules: each special cause built to trigger, and one built not to."""

from __future__ import annotations

import numpy as np
import pytest

from wfplan.analysis.spc import xmr

#: A stable process: points alternate either side of 10 (mean 10, mean moving range 4).
STEADY = [8.0, 12.0] * 10


def _flagged(mask: np.ndarray) -> list[int]:
    return [int(i) for i in np.flatnonzero(mask)]


def test_limits_are_the_mean_plus_minus_2_66_mean_moving_ranges() -> None:
    chart = xmr([1.0, 2.0, 3.0, 2.0, 1.0])
    assert chart.mean == pytest.approx(1.8)
    assert chart.mean_moving_range == pytest.approx(1.0)
    assert (chart.lower, chart.upper) == pytest.approx((1.8 - 2.66, 1.8 + 2.66))


def test_a_steady_process_has_only_common_cause() -> None:
    chart = xmr(STEADY, direction="higher", target=10.0)
    assert not chart.special.any()
    assert set(chart.point_types) == {"common_cause"}
    assert chart.variation == "common_cause"
    assert chart.warning is None


def test_a_point_outside_the_limits_and_one_just_inside() -> None:
    outside = xmr([*STEADY, 25.0, *STEADY])
    assert outside.values[20] > outside.upper
    assert _flagged(outside.outside) == [20]
    assert _flagged(outside.special) == [20]
    inside = xmr([*STEADY, 21.0, *STEADY])
    assert inside.mean < inside.values[20] < inside.upper
    assert not inside.special.any()


def test_a_run_of_seven_on_one_side_of_the_mean_and_a_run_of_six() -> None:
    before, after = [12.0, 8.0] * 4, [8.0, 12.0] * 4
    seven = xmr(before + [11.0, 11.5] * 3 + [11.0] + after)
    assert (seven.values[8:15] > seven.mean).all()
    assert _flagged(seven.shift) == list(range(8, 15))
    assert _flagged(seven.special) == list(range(8, 15))
    six = xmr(before + [11.0, 11.5] * 3 + after)
    assert (six.values[8:14] > six.mean).all()
    assert not six.special.any()


def test_a_point_on_the_mean_ends_a_run() -> None:
    # Mean exactly 10: seven points above it but for the middle one, on the mean.
    run = [11.0, 11.5, 11.0, 10.0, 11.0, 11.5, 11.0]
    low = [2 * 10.0 - v for v in run]
    chart = xmr([12.0, 8.0] * 4 + run + [8.0, 12.0] * 4 + low)
    assert chart.mean == 10.0
    assert not chart.shift.any()


def test_a_trend_of_seven_and_a_trend_of_six() -> None:
    rising = [9.0, 9.5, 10.0, 10.5, 11.0, 11.5, 12.0]
    seven = xmr([8.0, 12.0] * 3 + rising + [8.0, 12.0] * 3)
    assert _flagged(seven.trend) == list(range(6, 13))
    assert _flagged(seven.special) == list(range(6, 13))
    falling = xmr([8.0, 12.0] * 3 + rising[::-1] + [12.0, 8.0] * 3)
    assert _flagged(falling.trend) == list(range(6, 13))
    six = xmr([8.0, 12.0] * 3 + rising[1:] + [8.0, 12.0] * 3)
    assert not six.special.any()


def test_an_unchanged_value_ends_a_trend() -> None:
    flat = [9.0, 9.5, 10.0, 10.0, 10.5, 11.0, 11.5, 12.0]
    assert not xmr([8.0, 12.0] * 3 + flat + [8.0, 12.0] * 3).trend.any()


def test_two_of_three_beyond_two_thirds_on_one_side_and_on_opposite_sides() -> None:
    two = xmr([*STEADY, 18.5, 11.0, 18.5, *STEADY])
    close = two.mean + 2 / 3 * (two.upper - two.mean)
    assert close < two.values[20] < two.upper
    assert two.values[21] < close
    assert _flagged(two.two_of_three) == [20, 22]
    assert _flagged(two.special) == [20, 22]
    one = xmr([*STEADY, 18.5, 11.0, 17.0, *STEADY])
    assert one.values[22] < one.mean + 2 / 3 * (one.upper - one.mean)
    assert not one.special.any()
    opposite = xmr([*STEADY, 18.5, 10.0, 2.3, *STEADY])
    assert opposite.values[22] < opposite.mean - 2 / 3 * (opposite.mean - opposite.lower)
    assert opposite.values[22] > opposite.lower
    assert not opposite.special.any()


def test_point_types_follow_the_direction_of_improvement() -> None:
    series = [12.0, 8.0] * 4 + [11.0, 11.5] * 3 + [11.0] + [8.0, 12.0] * 4 + [11.0] * 7
    assert xmr(series, direction="higher").point_types[8] == "improvement"
    assert xmr(series, direction="lower").point_types[8] == "concern"
    assert xmr(series).point_types[8] == "neutral_high"
    assert xmr(series, direction="lower").variation == "concern"
    assert xmr([2 * 10 - v for v in series], direction="lower").variation == "improvement"


def test_a_point_on_the_mean_in_a_trend_takes_the_trend_s_way() -> None:
    chart = xmr([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], direction="higher")
    assert chart.mean == 4.0
    assert chart.point_types == ("concern",) * 3 + ("improvement",) * 4


def test_assurance_against_a_target() -> None:
    lower, upper = xmr(STEADY).lower, xmr(STEADY).upper
    assert xmr(STEADY, direction="higher", target=lower - 0.1).assurance == "pass"
    assert xmr(STEADY, direction="higher", target=upper + 0.1).assurance == "fail"
    assert xmr(STEADY, direction="higher", target=10.0).assurance == "hit_and_miss"
    assert xmr(STEADY, direction="lower", target=upper + 0.1).assurance == "pass"
    assert xmr(STEADY, direction="lower", target=lower - 0.1).assurance == "fail"
    assert xmr(STEADY, target=10.0).assurance is None
    assert xmr(STEADY, direction="higher").assurance is None


def test_short_and_bad_series() -> None:
    assert "11 points" in (xmr(STEADY[:11]).warning or "")
    assert xmr(STEADY[:12]).warning is None
    with pytest.raises(ValueError, match="at least 2"):
        xmr([1.0])
    with pytest.raises(ValueError, match="finite"):
        xmr([1.0, float("nan"), 2.0])
