"""The service's baseline projection is computed once per vintage data version, reproducibly.

An organisation's is computed once per organisation and kept, a bounded number of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from fastapi import HTTPException

from wfplan.dataset.store import DuckDBStore
from wfplan.dataset.store.queries.accounts import data_version
from wfplan.web import routes_projection
from wfplan.web.routes_projection import fans_of, org_fans_of
from wfplan.web.service import Settings

if TYPE_CHECKING:
    from conftest import DemoBuild


def test_the_projection_is_kept_per_data_version_and_the_same_seed_gives_the_same_numbers(
        demo_vintage: DemoBuild) -> None:
    settings = Settings(str(demo_vintage.db), projection_draws=5, projection_seed=11)
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        version = data_version(store, "demo")
        first, names = fans_of(store, "demo", settings, version)
        assert fans_of(store, "demo", settings, version)[0] is first  # kept, not recomputed
        # A load into the vintage changes its data version: the projection is made again,
        # and with the same seed and data it has the same numbers, bit for bit.
        again, _ = fans_of(store, "demo", settings, (version[0], version[1] + 1))
    assert again is not first
    pd.testing.assert_frame_equal(again.table, first.table, check_exact=True)
    assert (first.metadata["seed"], first.metadata["draws"]) == (11, 5)
    assert names["QMJ"] == "North Central London"
    assert set(first.table["level"]) == {"england", "region", "icb"}


def test_an_organisation_s_fans_are_kept_per_organisation_and_bounded(
        demo_vintage: DemoBuild, demo_org_inputs: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(str(demo_vintage.db), projection_draws=5, projection_seed=11)
    monkeypatch.setattr(routes_projection, "KEPT_ORGS", 2)
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        version = data_version(store, "demo")
        orgs = demo_org_inputs.organisations[:3]
        first = org_fans_of(store, "demo", settings, version, orgs[0])
        assert org_fans_of(store, "demo", settings, version, orgs[0]) is first  # kept
        second = org_fans_of(store, "demo", settings, version, orgs[1])
        assert set(second.table["area_code"]) == {orgs[1]}
        org_fans_of(store, "demo", settings, version, orgs[2])  # the third: the first goes
        again = org_fans_of(store, "demo", settings, version, orgs[0])
        assert org_fans_of(store, "demo", settings, version, orgs[2]) is not None
        with pytest.raises(HTTPException) as refused:
            org_fans_of(store, "demo", settings, version, "NOPE1")
    assert again is not first
    pd.testing.assert_frame_equal(again.table, first.table, check_exact=True)
    assert refused.value.status_code == 404
    assert len(routes_projection._kept_orgs) <= 2
