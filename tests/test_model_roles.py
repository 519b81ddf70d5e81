"""Roles below staff group: a run by role, roles sharing their group's parameters, sums
to the run by group (wfplan.model.roles, docs/skills.md)."""

from __future__ import annotations

import numpy as np
import pytest

from synthetic import synthetic_inputs
from wfplan.model import LabelledArray, ModelInputError, parse_scenario, run
from wfplan.model.aggregate import sum_staff_groups
from wfplan.model.roles import RoleSplit, role_totals, split_roles

ROLES = ("nurse_adult", "nurse_mental_health", "nurse_children")
GROUP = "nurses_health_visitors"
VARIABLES = ("supply_hc", "supply_fte", "leavers_hc", "demand_funded_fte", "gap_fte",
             "joiners_hc", "joiners_newly_qualified_hc", "joiners_other_hc",
             "intervention_cost_gbp", "counterfactual_supply_fte")


def _scenario(**fields):
    data = {"name": "roles", "horizon": 8, "level": "icb", "draws": 12, "seed": 5,
            "parameters": {"leaver_rate_multiplier": {"dist": "triangular", "low": 0.8,
                                                      "mode": 1.0, "high": 1.3},
                           "productivity_growth": 0.01},
            "interventions": [{"type": "retention", "staff_group": "hchs_doctors",
                               "amount": 0.1, "start_year": 2026, "source": "test",
                               "owner": "tests"}]}
    data.update(fields)
    return parse_scenario(data)


def _split(inputs, shares):
    share = LabelledArray(("area", "staff_group", "age_band"),
                          {"area": inputs.coords.area, "staff_group": ROLES,
                           "age_band": inputs.coords.age_band}, shares)
    return split_roles(inputs, RoleSplit(parent=dict.fromkeys(ROLES, GROUP),
                                         stock_share=share))


def _compare(by_group, by_role, exact):
    summed = sum_staff_groups(by_role, {GROUP: ROLES, **{
        g: (g,) for g in by_group.staff_groups if g != GROUP}})
    assert summed.staff_groups == by_group.staff_groups
    for name in VARIABLES:
        want = np.broadcast_to(by_group.values(name), summed.values(name).shape)
        got = summed.values(name)
        if exact:
            np.testing.assert_array_equal(got, want, err_msg=name)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-9, err_msg=name)


def test_roles_with_power_of_two_shares_sum_to_the_group_run_bit_for_bit():
    inputs = synthetic_inputs(areas=3, staff_groups=3, age_bands=4)
    shares = np.empty((3, 3, 4))
    # summed in this order, 0.25 x + 0.25 x + 0.5 x is x exactly
    shares[:, 0], shares[:, 1], shares[:, 2] = 0.25, 0.25, 0.5
    by_role = run(_split(inputs, shares), _scenario())
    assert by_role.staff_groups == (*ROLES, "hchs_doctors", "midwives")
    _compare(run(inputs, _scenario()), by_role, exact=True)


def test_roles_with_any_shares_by_area_and_age_sum_to_the_group_run():
    inputs = synthetic_inputs(areas=3, staff_groups=3, age_bands=4, seed=2)
    shares = np.random.default_rng(1).dirichlet([1.0, 2.0, 0.5], size=(3, 4))  # (A, K, R)
    by_role = run(_split(inputs, np.moveaxis(shares, 2, 1)), _scenario())
    _compare(run(inputs, _scenario()), by_role, exact=False)
    # and the roles differ from one another: the split is not trivial
    supply = by_role.values("supply_hc")[0, -1, :, :3]
    assert len({round(float(v), 6) for v in supply.ravel()}) == supply.size


def test_role_totals_name_each_group_s_roles_in_order():
    parent = {**dict.fromkeys(ROLES, GROUP), "care_worker": "asc_direct_care"}
    codes = ("nurse_adult", "nurse_children", "hchs_doctors", "care_worker")
    assert role_totals(codes, parent) == {GROUP: ("nurse_adult", "nurse_children"),
                                          "asc_direct_care": ("care_worker",)}


def test_shares_that_do_not_partition_the_group_are_refused():
    inputs = synthetic_inputs(areas=2, staff_groups=2, age_bands=3)
    with pytest.raises(ModelInputError, match="sum to 1"):
        _split(inputs, np.full((2, 3, 3), 0.3))
    share = LabelledArray(("area", "staff_group", "age_band"),
                          {"area": inputs.coords.area, "staff_group": ("hchs_doctors",),
                           "age_band": inputs.coords.age_band}, np.ones((2, 1, 3)))
    with pytest.raises(ModelInputError, match="are staff groups"):
        split_roles(inputs, RoleSplit(parent={"hchs_doctors": GROUP}, stock_share=share))


def test_a_role_may_have_leaver_rates_of_its_own():
    inputs = synthetic_inputs(areas=2, staff_groups=1, age_bands=3)
    shares = np.full((2, 3, 3), 0.25)
    shares[:, 0] = 0.5
    own = LabelledArray(("area", "staff_group", "age_band"),
                        {"area": inputs.coords.area, "staff_group": ("nurse_children",),
                         "age_band": inputs.coords.age_band}, np.full((2, 1, 3), 0.02))
    split = split_roles(inputs, RoleSplit(
        parent=dict.fromkeys(ROLES, GROUP),
        stock_share=LabelledArray(("area", "staff_group", "age_band"),
                                  {"area": inputs.coords.area, "staff_group": ROLES,
                                   "age_band": inputs.coords.age_band}, shares),
        own={"leaver_rate": own}))
    rates = split.array("leaver_rate")
    np.testing.assert_array_equal(rates[:, 2], 0.02)
    np.testing.assert_array_equal(rates[:, 0], inputs.array("leaver_rate")[:, 0])
