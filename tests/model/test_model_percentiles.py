"""The percentile summary equals np.percentile bit for bit (issue 12).

Bits, not values: the sign of a zero and the NaN returned must be NumPy's too, so
the comparison is of the float64 bit patterns.
"""

import numpy as np
import pytest

from wfplan.model.percentiles import percentiles_over_draws, percentiles_over_rows
from wfplan.model.uncertainty import PERCENTILES, draw_statistics


def bits(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float64).view(np.uint64)


def awkward(rng: np.random.Generator, shape: tuple[int, ...], kind: str) -> np.ndarray:
    """Random draws with ties, signed zeros, NaNs of both signs and infinities."""
    values = rng.normal(size=shape)
    if kind in ("ties", "nan", "inf"):
        values = np.round(values)  # many ties, and zeros
        values[rng.random(shape) < 0.3] *= -0.0  # zeros of both signs
    if kind in ("nan", "inf"):
        values[rng.random(shape) < 0.01] = np.nan
        values[rng.random(shape) < 0.01] = -np.nan
        values[:, :3] = np.nan
    if kind == "inf":
        values[rng.random(shape) < 0.02] = np.inf
        values[rng.random(shape) < 0.02] = -np.inf
    return values


@pytest.mark.parametrize("kind", ["normal", "ties", "nan", "inf"])
@pytest.mark.parametrize("count", [1, 2, 3, 20, 21, 1000, 1001])
@pytest.mark.parametrize("workers", [1, 2])
def test_rows_equal_numpy_percentile_bit_for_bit(kind, count, workers):
    rng = np.random.default_rng(count)
    sampled = awkward(rng, (count, 700), kind)
    before = sampled.copy()
    out = np.empty((len(PERCENTILES), 700))
    with np.errstate(invalid="ignore"):
        expected = np.percentile(sampled, PERCENTILES, axis=0)
        percentiles_over_rows(sampled, PERCENTILES, out, workers=workers)
    np.testing.assert_array_equal(bits(out), bits(expected))
    np.testing.assert_array_equal(bits(sampled), bits(before))  # the input is left alone


def test_a_slice_of_areas_equals_the_whole_array():
    rng = np.random.default_rng(5)
    values = awkward(rng, (201, 6, 9, 4), "ties")
    block = values[1:, :, 2:7]  # cannot be flattened without a copy
    out = np.empty((len(PERCENTILES), *block.shape[1:]))
    percentiles_over_draws(block, PERCENTILES, out)
    np.testing.assert_array_equal(bits(out), bits(np.percentile(block, PERCENTILES, axis=0)))


def test_draw_statistics_are_principal_then_numpy_percentiles():
    rng = np.random.default_rng(8)
    values = awkward(rng, (1001, 4, 5, 3), "nan")
    with np.errstate(invalid="ignore"):
        stats = draw_statistics(values, 1000)
        expected = np.percentile(values[1:], PERCENTILES, axis=0)
    np.testing.assert_array_equal(bits(stats[0]), bits(values[0]))
    np.testing.assert_array_equal(bits(stats[1:]), bits(expected))


def test_integer_draws_go_to_numpy_itself():
    values = np.arange(60).reshape(20, 3)
    out = np.empty((len(PERCENTILES), 3))
    percentiles_over_rows(values, PERCENTILES, out)
    np.testing.assert_array_equal(out, np.percentile(values, PERCENTILES, axis=0))


@pytest.mark.parametrize("count", [2, 3, 1000])
def test_cells_with_one_value_in_every_draw_equal_numpy_bit_for_bit(count):
    """Cells whose draws all have the same bits skip the partition: still NumPy's bits."""
    rng = np.random.default_rng(count + 7)
    sampled = awkward(rng, (count, 300), "inf")
    constants = [1.5, -2.25, 0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-310, 7.0]
    for column, value in enumerate(constants * 15):  # every other column is constant
        sampled[:, 2 * column] = value
    sampled[:, 1] = 0.0
    sampled[::2, 1] = -0.0  # zeros of both signs: not one bit pattern, so partitioned
    for width in (300, 256, 1):  # some chunks all constant, some mixed
        part = sampled[:, :width]
        out = np.empty((len(PERCENTILES), width))
        with np.errstate(invalid="ignore"):
            expected = np.percentile(part, PERCENTILES, axis=0)
            percentiles_over_rows(part, PERCENTILES, out, workers=1)
        np.testing.assert_array_equal(bits(out), bits(expected))
    whole = np.broadcast_to(np.float64(-0.0), (count, 40)).copy()
    out = np.empty((len(PERCENTILES), 40))
    percentiles_over_rows(whole, PERCENTILES, out)
    np.testing.assert_array_equal(bits(out), bits(np.percentile(whole, PERCENTILES, axis=0)))
