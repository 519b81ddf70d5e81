"""Staff-group totals: summed within each draw, so their percentiles are not sums of percentiles."""

import numpy as np
import pytest

from wfplan.model import Results, to_long
from wfplan.model.aggregate import (
    ALL_STAFF_GROUPS,
    is_total,
    staff_group_totals,
    sum_staff_groups,
)
from wfplan.model.run_metadata import RunMetadata
from wfplan.model.uncertainty import draw_statistics


def _results(draws: int = 200) -> Results:
    """Two staff groups whose draws move in opposite directions (their sum is steady)."""
    rng = np.random.default_rng(5)
    shock = rng.normal(0.0, 100.0, draws + 1)
    shock[0] = 0.0
    demand = np.full((draws + 1, 2, 1, 2), 1000.0)
    supply = np.stack([900.0 + shock, 1050.0 - shock], axis=-1)[:, None, None, :]
    supply = np.broadcast_to(supply, (draws + 1, 2, 1, 2)).copy()
    return Results(scenario="s", base_year=2025, areas=("E",), staff_groups=("a", "b"),
                   age_bands=("x",), n_draws=draws,
                   arrays={"supply_fte": supply, "demand_funded_fte": demand},
                   principal_by_age=np.ones((2, 1, 2, 1)), metadata=RunMetadata(
                       scenario={"name": "s"}, seed=0, draws=draws, base_year=2025, horizon=1,
                       level="england", vintage=None, uncertain_parameters=[], interventions=[],
                       assumptions=[], wfplan_version="test"))


def test_a_total_is_the_percentile_of_the_per_draw_sums_not_the_sum_of_percentiles() -> None:
    results = _results()
    totals = sum_staff_groups(results, {ALL_STAFF_GROUPS: ("a", "b")})
    assert totals.staff_groups == (ALL_STAFF_GROUPS,)
    gap = totals.values("gap_fte")
    np.testing.assert_allclose(gap[..., 0], 2000.0 - 1950.0)  # the shocks cancel in every draw
    stats = draw_statistics(gap, totals.n_draws)  # principal, p5, p50, p95
    np.testing.assert_allclose(stats[1:, 1, 0, 0], [50.0, 50.0, 50.0])
    by_group = draw_statistics(results.values("gap_fte"), results.n_draws)
    summed_p5 = by_group[1, 1, 0, :].sum()
    assert summed_p5 < 50.0 - 100.0  # adding the groups' P5s would claim a wide range
    assert totals.principal_by_age.shape == (2, 1, 1, 1)
    assert totals.metadata.record()["staff_group_totals"] == {ALL_STAFF_GROUPS: ["a", "b"]}


def test_ratios_of_a_total_are_recomputed_from_its_sums() -> None:
    results = _results()
    totals = sum_staff_groups(results, {ALL_STAFF_GROUPS: ("a", "b")})
    np.testing.assert_allclose(totals.values("gap_pct")[..., 0], 100 * 50.0 / 2000.0)


def test_totals_follow_the_sectors_and_refuse_unknown_groups() -> None:
    sectors = {"c": "nhs_trust", "b": "social_care", "a": "nhs_trust"}
    totals = staff_group_totals(("a", "b", "c", "d"), sectors)
    assert totals == {ALL_STAFF_GROUPS: ("a", "b", "c", "d"), "all_nhs_trust": ("a", "c"),
                      "all_social_care": ("b",)}
    assert all(is_total(code) for code in totals)
    assert not is_total("nurses_health_visitors")
    with pytest.raises(ValueError, match=r"total 'all_x' names staff groups \['z'\]"):
        sum_staff_groups(_results(), {"all_x": ("a", "z")})


def test_existing_rows_are_unchanged_by_making_totals() -> None:
    results = _results(20)
    before = to_long(results, ["supply_fte", "gap_fte"])
    sum_staff_groups(results, {ALL_STAFF_GROUPS: ("a", "b")})
    after = to_long(results, ["supply_fte", "gap_fte"])
    assert before.equals(after)


@pytest.mark.parametrize("shape", [(7, 3, 42, 5), (1, 16, 300, 22), (2, 4, 3)])
def test_summing_a_whole_axis_in_place_equals_taking_it_first(shape):
    """England's sum skips the copy that ``take`` makes: the bits are the same."""
    from wfplan.model.aggregate import _sum_groups_of

    rng = np.random.default_rng(len(shape))
    values = rng.lognormal(size=shape) * 10.0 ** rng.integers(-8, 8, size=shape)
    values[rng.random(shape) < 0.2] *= -1.0
    axis = 2 if len(shape) == 4 else 1
    every = [list(range(shape[axis]))]
    expected = np.stack([np.take(values, every[0], axis=axis).sum(axis=axis)], axis=axis)
    got = _sum_groups_of(values, every, axis)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.view(np.uint64), expected.view(np.uint64))
    strided = values[:, ::-1]  # not C-contiguous: taken first, as before
    np.testing.assert_array_equal(
        _sum_groups_of(strided, every, axis).view(np.uint64),
        np.stack([np.take(strided, every[0], axis=axis).sum(axis=axis)], axis=axis
                 ).view(np.uint64))
