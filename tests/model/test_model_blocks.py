"""Stored variables by blocks of draws and areas have the bits of the whole (issue 12).

``wfplan project`` no longer evaluates the stored products (FTE, joiners, need,
the counterfactuals) at full size: the long table takes them a block of areas at
a time and ``aggregate``/``sum_staff_groups`` a block of draws at a time. These
tests compare every block, and every block-wise sum, with the whole array bit for
bit, on runs with retention, joiner and flexible-working interventions and an
unmet need, with and without productivity and skill-mix interventions (without
them funded demand too is computed by blocks), and check that the long table
leaves no stored variable evaluated whole.
"""

import importlib

import numpy as np
import pandas as pd
import pytest

from wfplan.model import aggregate, run, to_long
from wfplan.model.aggregate import sum_staff_groups
from wfplan.model.results import Lazy

AREAS = ("A1", "A2", "A3", "A4", "A5")
#: The module (``wfplan.model.aggregate`` the name is the function).
aggregate_module = importlib.import_module("wfplan.model.aggregate")


@pytest.fixture(scope="module", params=["demand moved", "demand as grown"])
def results(request, make_inputs, make_scenario, make_intervention):
    rng = np.random.default_rng(5)
    inputs = make_inputs(
        areas=AREAS,
        groups=("g", "h", "k"),
        ages=("y", "m", "o"),
        widths=[5, 10, np.inf],
        stock=np.round(rng.uniform(10, 500, (5, 3, 3))),
        leaver_rate=rng.uniform(0, 0.2, (5, 3, 3)),
        other_joiners=rng.uniform(0, 30, (5, 3)),
        vacancy=rng.uniform(0, 40, (5, 3)),
        fte_per_head=rng.uniform(0.7, 1, (5, 3)),
        training_places=[60.0, 0.0, 10.0],
        # two population variants growing differently by area, so demand varies by draw
        population=rng.uniform(1e4, 2e4, (2, 7, 5, 1)).cumsum(axis=1),
        variants=("principal", "high"),
        utilisation=1.0,
    )
    moving = [
        make_intervention("productivity", staff_group="h", amount=0.01, start_year=2026),
        make_intervention("skill_mix", staff_group="g", to_staff_group="k", fraction=0.1,
                          amount=1.2, cost_per_unit=50.0),
    ] if request.param == "demand moved" else []
    scenario = make_scenario(
        horizon=6,
        draws=23,
        seed=3,
        parameters={
            "leaver_rate_multiplier": {"dist": "uniform", "low": 0.9, "high": 1.1},
            "fte_per_head_multiplier": {"dist": "normal", "mean": 1.0, "sd": 0.02},
            "unmet_need_fraction": {"dist": "uniform", "low": 0.0, "high": 0.1},
            "productivity_growth": {"dist": "uniform", "low": 0.0, "high": 0.02},
            "population_variant": {"dist": "choice", "options": ["principal", "high"],
                                   "central": "principal"},
        },
        interventions=[
            *moving,
            make_intervention("retention", staff_group="g", amount=0.05),
            make_intervention("employer_hub", staff_group="h", area="A3", amount=5),
            make_intervention("flexible_working", staff_group="k", amount=0.02),
        ],
    )
    return run(inputs, scenario)


def _bits(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array).tobytes()


def test_the_run_stores_lazy_products(results) -> None:
    lazy = [name for name, stored in results.arrays.items() if isinstance(stored, Lazy)]
    assert {"supply_fte", "counterfactual_supply_fte", "demand_need_fte",
            "counterfactual_demand_funded_fte", "joiners_other_hc"} <= set(lazy)
    moved = results.metadata.interventions[0].type == "productivity"
    assert ("demand_funded_fte" in lazy) is not moved  # lazy unless demand is moved


@pytest.mark.parametrize("draws", [slice(None), slice(0, 1), slice(3, 11), slice(20, 24)])
@pytest.mark.parametrize("areas", [slice(None), slice(0, 2), slice(4, 5)])
def test_a_block_has_the_bits_of_the_same_part_of_the_whole(results, draws, areas) -> None:
    for name, stored in results.arrays.items():
        block = results.block(name, draws, areas)
        whole = stored() if callable(stored) else stored
        assert results.draw_rows(name) == whole.shape[0], name
        part = whole[draws if whole.shape[0] > 1 else slice(None), :, areas]
        assert block.shape == part.shape, name
        assert _bits(block) == _bits(part), name
    assert not results._evaluated  # no stored product was kept whole


def _whole_sum(array: np.ndarray, members: list[list[int]], axis: int) -> np.ndarray:
    return np.stack([np.take(array, m, axis=axis).sum(axis=axis) for m in members], axis=axis)


@pytest.mark.parametrize("block_bytes", [1, 1000, 8 * 2**20])
def test_sums_by_blocks_of_draws_have_the_bits_of_whole_sums(results, monkeypatch,
                                                            block_bytes) -> None:
    monkeypatch.setattr(aggregate_module, "BLOCK_BYTES", block_bytes)
    parents = {"A1": "P", "A2": "Q", "A3": "P", "A4": "Q", "A5": "P"}
    coarse = aggregate(results, parents, "region")
    totals = sum_staff_groups(results, {"all": ("g", "h", "k"), "one": ("h",), "two": ("k", "g")})
    for name, stored in results.arrays.items():
        whole = stored() if callable(stored) else stored
        assert _bits(coarse.values(name)) == _bits(_whole_sum(whole, [[0, 2, 4], [1, 3]], 2))
        assert _bits(totals.values(name)) == _bits(_whole_sum(whole, [[0, 1, 2], [1], [2, 0]], 3))


def test_one_staff_group_sums_areas_as_numpy_does(results, monkeypatch) -> None:
    # with a single staff group NumPy sums the areas pairwise, not one after another
    monkeypatch.setattr(aggregate_module, "BLOCK_BYTES", 1000)
    one = sum_staff_groups(results, {"all": ("g", "h", "k")})
    england = aggregate(one, dict.fromkeys(AREAS, "E"), "england")
    for name in one.arrays:
        assert _bits(england.values(name)) == _bits(_whole_sum(one.values(name),
                                                               [list(range(5))], 2)), name


def test_tables_of_several_results_are_their_tables_one_after_another(results) -> None:
    england = aggregate(results, dict.fromkeys(AREAS, "E"), "england")
    joined = to_long([results, england])
    assert not results._evaluated
    apart = pd.concat([to_long(results), to_long(england)], ignore_index=True)
    pd.testing.assert_frame_equal(joined, apart)
    assert _bits(joined["value"].to_numpy()) == _bits(apart["value"].to_numpy())
