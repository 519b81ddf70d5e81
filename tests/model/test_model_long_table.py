"""The long table, taken a block of areas at a time, equals the percentiles of whole arrays."""

import numpy as np
import pytest

from wfplan.model import STATISTICS, VARIABLES, long_table, run, to_long
from wfplan.model.results import FLOW_VARIABLES
from wfplan.model.uncertainty import PERCENTILES

UNCERTAIN = {
    "leaver_rate_multiplier": {"dist": "triangular", "low": 0.8, "mode": 1.0, "high": 1.3},
    "productivity_growth": {"dist": "normal", "mean": 0.01, "sd": 0.01},
}


@pytest.fixture(scope="module")
def results(make_inputs, make_scenario, make_intervention):
    inputs = make_inputs(areas=("A", "B", "C", "D", "E"), groups=("g", "h", "k"),
                         ages=("y", "o"), stock=[[[300.0, 100.0], [50.0, 0.0], [0.0, 0.0]]] * 5,
                         other_joiners=10.0, international=5.0)
    scenario = make_scenario(horizon=5, draws=40, seed=3, parameters=UNCERTAIN, interventions=[
        make_intervention("retention", staff_group="h", name="keep",
                          amount={"dist": "uniform", "low": 0.0, "high": 0.2})])
    return run(inputs, scenario)


def expected_table(results):
    """Each variable's principal and np.percentile over its whole array, in table order."""
    rows = []
    for name in VARIABLES:
        values = np.broadcast_to(results.values(name),
                                 (results.n_draws + 1, *results.values(name).shape[1:]))
        with np.errstate(invalid="ignore"):
            stats = np.concatenate([values[:1], np.percentile(values[1:], PERCENTILES, axis=0)])
        first = 1 if name in FLOW_VARIABLES else 0
        for a, area in enumerate(results.areas):
            for g, group in enumerate(results.staff_groups):
                for t, year in enumerate(results.years[first:], start=first):
                    for s, statistic in enumerate(STATISTICS):
                        rows.append((area, group, name, year, statistic, stats[s, t, a, g]))
    return rows


@pytest.mark.parametrize("block_bytes", [1, long_table.BLOCK_BYTES])
def test_every_row_equals_numpy_percentiles_bit_for_bit(results, monkeypatch, block_bytes):
    monkeypatch.setattr(long_table, "BLOCK_BYTES", block_bytes)  # 1: a block per area
    table = to_long(results)
    columns = ["area", "staff_group", "variable", "year", "statistic"]
    got = list(zip(*(table[c].tolist() for c in columns), table["value"].tolist(), strict=True))
    expected = expected_table(results)
    assert [row[:5] for row in got] == [row[:5] for row in expected]
    np.testing.assert_array_equal(np.array([r[5] for r in got]).view(np.uint64),
                                  np.array([r[5] for r in expected]).view(np.uint64))
    assert set(table["scenario"]) == {results.scenario}
    assert str(table["area"].dtype) == "str"
    assert table["year"].dtype == np.int64


def test_an_unknown_variable_is_refused(results):
    with pytest.raises(KeyError, match="no variable 'nonsense'"):
        to_long(results, ["supply_hc", "nonsense"])


def test_the_table_is_put_together_a_column_at_a_time(make_inputs, make_scenario):
    """NumPy memory while the table is built: the statistics, the two number columns
    and one column's codes, not every column's codes at once, nor a copy in the frame."""
    import tracemalloc

    areas = tuple(f"A{i}" for i in range(60))
    inputs = make_inputs(areas=areas, groups=("g", "h", "k"), ages=("y", "o"),
                         stock=[[[300.0, 100.0], [50.0, 0.0], [0.0, 0.0]]] * len(areas))
    results = run(inputs, make_scenario(horizon=5, draws=4, seed=3))
    rows = len(to_long(results))
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        table = to_long(results)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert len(table) == rows
    assert peak < 40 * rows


def test_a_derived_variable_with_anothers_bits_is_summarised_once(results):
    """Need is funded demand here, so gap_need_fte is gap_fte: one summary, the same bits."""
    from wfplan.model.results import same_bits_as

    assert same_bits_as(results.arrays, "gap_need_fte") == "gap_fte"
    both = long_table.statistics(results, ["gap_fte", "gap_need_fte"])
    alone = long_table.statistics(results, ["gap_need_fte"])
    assert both["gap_need_fte"] is both["gap_fte"]
    np.testing.assert_array_equal(both["gap_need_fte"].view(np.uint64),
                                  alone["gap_need_fte"].view(np.uint64))
    apart = {**results.arrays, "demand_need_fte": np.zeros((1, 1, 1, 1))}
    assert same_bits_as(apart, "gap_need_fte") is None
    assert same_bits_as(results.arrays, "counterfactual_gap_fte") is None  # an intervention
