"""Results: the long IAMC table, lazily derived variables, and aggregation between levels."""

import numpy as np
import pytest

from wfplan.model import STATISTICS, VARIABLES, aggregate, run, to_long
from wfplan.model.parameters import get_spec

ORGS = ("R1", "R2", "R3", "R4", "R5", "R6")
ICB_OF = {"R1": "Q1", "R2": "Q1", "R3": "Q2", "R4": "Q2", "R5": "Q3", "R6": "Q3"}
REGION_OF = {"Q1": "Y56", "Q2": "Y56", "Q3": "Y58"}


@pytest.fixture(scope="module")
def org_results(make_inputs, make_scenario, make_intervention):
    rng = np.random.default_rng(2)
    inputs = make_inputs(
        areas=ORGS,
        groups=("g", "h"),
        ages=("y", "m", "o"),
        widths=[5, 10, np.inf],
        stock=np.round(rng.uniform(10, 500, (6, 2, 3))),
        leaver_rate=rng.uniform(0, 0.2, (6, 2, 3)),
        other_joiners=rng.uniform(0, 30, (6, 2)),
        vacancy=rng.uniform(0, 40, (6, 2)),
        fte_per_head=rng.uniform(0.7, 1, (6, 2)),
        training_places=[60.0, 0.0],
    )
    scenario = make_scenario(
        horizon=7,
        draws=30,
        seed=8,
        parameters={
            "productivity_growth": {"dist": "uniform", "low": 0.0, "high": 0.02},
            "leaver_rate_multiplier": {"dist": "uniform", "low": 0.9, "high": 1.1},
        },
        interventions=[
            make_intervention("training_places", amount=40, cost_per_unit=100.0),
            make_intervention("employer_hub", staff_group="h", area="R3", amount=5),
        ],
    )
    return run(inputs, scenario)


def test_long_table_has_the_iamc_columns_and_statistics(org_results):
    table = to_long(org_results)
    assert list(table.columns) == [
        "scenario",
        "area",
        "staff_group",
        "variable",
        "unit",
        "year",
        "statistic",
        "value",
    ]
    assert set(table["statistic"]) == set(STATISTICS)
    assert set(table["variable"]) == set(VARIABLES)
    assert table.groupby("variable")["unit"].first()["gap_pct"] == get_spec("gap_pct").unit
    leavers = table[table["variable"] == "leavers_hc"]
    assert leavers["year"].min() == 2025  # flows have no base-year row
    assert table[table["variable"] == "supply_hc"]["year"].min() == 2024
    rows = table.set_index(["area", "staff_group", "variable", "year", "statistic"])["value"]
    supply = org_results.variable("supply_hc").values
    assert rows[("R2", "h", "supply_hc", 2027, "principal")] == supply[0, 3, 1, 1]
    assert rows[("R2", "h", "supply_hc", 2027, "p50")] == np.percentile(supply[1:, 3, 1, 1], 50)


def test_percentiles_are_ordered(org_results):
    table = to_long(org_results, ["supply_fte", "demand_funded_fte"])
    wide = table.pivot_table(
        index=["area", "staff_group", "variable", "year"], columns="statistic", values="value"
    )
    assert (wide["p5"] <= wide["p50"]).all()
    assert (wide["p50"] <= wide["p95"]).all()


def test_aggregation_org_to_icb_to_region_to_england_is_consistent(org_results):
    icb = aggregate(org_results, ICB_OF, level="icb")
    region = aggregate(icb, REGION_OF, level="region")
    england = aggregate(region, {"Y56": "E92000001", "Y58": "E92000001"}, level="england")
    direct = aggregate(org_results, dict.fromkeys(ORGS, "E92000001"), level="england")
    assert icb.areas == ("Q1", "Q2", "Q3")
    assert region.areas == ("Y56", "Y58")
    for name in (
        "supply_hc",
        "supply_fte",
        "leavers_hc",
        "joiners_hc",
        "demand_funded_fte",
        "intervention_cost_gbp",
        "gap_fte",
        "gap_closed_fte",
    ):
        orgs = org_results.variable(name).values
        np.testing.assert_allclose(
            icb.variable(name).values[:, :, 0],
            orgs[:, :, 0] + orgs[:, :, 1],
            rtol=1e-12,
            err_msg=name,
        )
        np.testing.assert_allclose(
            england.variable(name).values, direct.variable(name).values, rtol=1e-12, err_msg=name
        )
        np.testing.assert_allclose(
            england.variable(name).values[:, :, 0], orgs.sum(axis=2), rtol=1e-12, err_msg=name
        )
    np.testing.assert_allclose(
        england.supply_hc_by_age().values.sum(axis=-1),
        england.variable("supply_hc").values[0],
        rtol=1e-12,
    )
    assert england.metadata.record()["level"] == "england"
    assert len(england.metadata.record()["aggregation"]) == 3


def test_ratios_are_recomputed_from_aggregated_sums(org_results):
    icb = aggregate(org_results, ICB_OF)
    orgs = org_results
    gap = orgs.variable("gap_fte").values[:, :, :2].sum(axis=2)
    demand = orgs.variable("demand_funded_fte").values[:, :, :2].sum(axis=2)
    np.testing.assert_allclose(
        icb.variable("gap_pct").values[:, :, 0], 100 * gap / demand, rtol=1e-12
    )
    mean_of_ratios = orgs.variable("gap_pct").values[:, :, :2].mean(axis=2)
    assert not np.allclose(icb.variable("gap_pct").values[:, :, 0], mean_of_ratios)


def test_every_area_must_have_a_parent(org_results):
    with pytest.raises(ValueError, match="no parent area for"):
        aggregate(org_results, {"R1": "Q1"})


def test_cost_per_fte_gap_closed_uses_cumulative_cost(org_results):
    cost = org_results.variable("intervention_cost_gbp").values[0, :, :, 0]
    closed = org_results.variable("gap_closed_fte").values[0, :, :, 0]
    ratio = org_results.variable("cost_per_fte_gap_closed").values[0, :, :, 0]
    positive = closed > 0
    assert positive.any()
    np.testing.assert_allclose(
        ratio[positive], np.cumsum(cost, axis=0)[positive] / closed[positive], rtol=1e-12
    )
    assert np.isnan(ratio[~positive]).all()


def test_metadata_records_interventions_sources_and_assumptions(org_results):
    metadata = org_results.metadata.record()
    assert [item["type"] for item in metadata["interventions"]] == [
        "training_places",
        "employer_hub",
    ]
    assert all(item["source"] and item["owner"] for item in metadata["interventions"])
    names = {item["name"] for item in metadata["assumptions"]}
    assert {
        "population",
        "unmet_need_fraction",
        "interventions[0].duration_years",
        "interventions[1].lead_time_years",
    } <= names
    assert metadata["scenario"]["name"] == "test"


def test_variables_are_labelled_and_broadcast(org_results):
    joiners = org_results.variable("joiners_other_hc")
    assert joiners.dims == ("draw", "year", "area", "staff_group")
    assert joiners.shape == (31, 8, 6, 2)
    assert not joiners.values.flags.writeable  # the same in every draw: a broadcast view
    with pytest.raises(KeyError, match="no variable"):
        org_results.variable("happiness")
