"""An organisation's baseline fans: the organisation projected alone is its rows of them all.

:func:`wfplan.runs.fans.org_fans` runs the baseline on the organisation-level inputs of
every demo organisation cut to one (``ModelInputs.select_areas``). Those must be, bit
for bit, that organisation's figures of the model run on every organisation: the full
run of the demo's 8,743 organisations is too big for ``wfplan project`` (refused: its
long table would pass the row limit) and for memory at the service's 100 draws, so the
full run here is the model's own (:func:`wfplan.model.run`) with a few draws; the draws
are the scenario's, the same for any set of areas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from wfplan.dataset.store import DuckDBStore
from wfplan.errors import InputError
from wfplan.model import ModelInputError, run
from wfplan.runs.fans import ORG, org_fans, org_table
from wfplan.runs.project import check_size, with_overrides

#: Draws of the run on every organisation (small: 8,743 organisations' arrays).
DRAWS = 4
SEED = 7
#: Variables compared: the fans' and what they are made of.
VARIABLES = ("supply_hc", "supply_fte", "leavers_hc", "demand_funded_fte", "gap_fte",
             "gap_pct", "joiners_newly_qualified_hc")


def _scenario(demo_org_inputs: Any, draws: int = DRAWS) -> Any:
    return with_overrides(demo_org_inputs.source.scenario, level=ORG, draws=draws, seed=SEED)


def test_one_organisation_alone_is_its_rows_of_the_run_on_every_organisation(
        demo_org_inputs: Any) -> None:
    inputs = demo_org_inputs.inputs
    areas = inputs.coords.area
    assert len(areas) > 8000
    full = run(inputs, _scenario(demo_org_inputs))
    heads = inputs.array("stock_hc").sum(axis=(1, 2))
    trained = inputs.array("area_share")[:, list(inputs.coords.staff_group).index(
        "nurses_health_visitors")]
    # the first, the last, the largest, and one with newly qualified nurses to share
    chosen = {areas[0], areas[-1], areas[int(np.argmax(heads))],
              areas[int(np.flatnonzero(trained > 0)[0])]}
    for org in sorted(chosen):
        one = run(inputs.select_areas([org]), _scenario(demo_org_inputs))
        a = areas.index(org)
        assert one.areas == (org,)
        for name in VARIABLES:
            np.testing.assert_array_equal(one.values(name)[:, :, 0], full.values(name)[:, :, a],
                                          err_msg=f"{org} {name}")
    nurses = full.values("joiners_newly_qualified_hc")[..., list(full.staff_groups).index(
        "nurses_health_visitors")]
    assert nurses.any(), "the demo's organisations share newly qualified nurses"


def test_the_fans_are_those_of_the_organisation_s_run(demo_vintage: Any,
                                                      demo_org_inputs: Any) -> None:
    org = demo_org_inputs.organisations[0]
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        fans = org_fans(store, demo_org_inputs, org, draws=DRAWS, seed=SEED)
    one = run(demo_org_inputs.inputs.select_areas([org]), _scenario(demo_org_inputs))
    expected = org_table(one)
    assert fans.table.equals(expected)
    assert set(fans.table["area_code"]) == {org}
    assert set(fans.table["level"]) == {ORG}
    assert {"all_staff_groups", "nurses_health_visitors"} <= set(fans.table["staff_group"])
    assert (fans.metadata["level"], fans.metadata["draws"], fans.metadata["seed"]) == (
        ORG, DRAWS, SEED)
    assert fans.metadata["scenario"] == "baseline"


def test_wfplan_project_refuses_every_organisation_of_the_demo_at_once(
        demo_org_inputs: Any) -> None:
    with pytest.raises(InputError, match="would make a table of about"):
        check_size(demo_org_inputs.inputs, _scenario(demo_org_inputs, 100))


def test_an_unknown_organisation_is_refused(demo_org_inputs: Any) -> None:
    with pytest.raises(ModelInputError, match="unknown areas"):
        demo_org_inputs.inputs.select_areas(["NOPE1"])
