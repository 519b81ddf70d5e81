"""The shipped employer-hubs scenario: it projects, its report gives cost per FTE by region."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import openpyxl
import pandas as pd
import pytest

from wfplan.dataset import codelists
from wfplan.dataset.store import DuckDBStore
from wfplan.report.hubs import hubs_from_results, hubs_table
from wfplan.report.views import Numbering
from wfplan.runs.project import find_scenario, project

if TYPE_CHECKING:
    from conftest import DemoBuild

#: The seed: 5 million GBP over two years, one hub in each of the seven NHS regions.
SEED_TOTAL_GBP = 5_000_000
REGIONS = codelists.get("region").codes


def _without_hubs(folder: Path) -> Path:
    """The shipped scenario with its interventions cut out (the same draws without hubs)."""
    text = find_scenario("employer-hubs").read_text(encoding="utf-8")
    bare = text[:text.index("[[interventions]]")].replace('name = "employer-hubs"',
                                                         'name = "no-hubs"')
    path = folder / "no-hubs.toml"
    path.write_text(bare, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(demo_vintage: DemoBuild, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    folder = tmp_path_factory.mktemp("hubs")
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        return tuple(project(store, ["employer-hubs", _without_hubs(folder)], vintage="demo",
                             draws=6))


def test_the_shipped_scenario_has_one_hub_per_region_costing_the_seed(runs: tuple) -> None:
    hubs, _ = runs
    items = hubs.scenario.interventions
    assert sorted(i.area for i in items) == sorted(REGIONS)
    assert {i.type for i in items} == {"employer_hub"}
    for item in items:
        assert "wfplan assumption" in (item.source or "")
        funded_years = item.end_year - item.start_year + 1
        assert funded_years == 2
        assert item.cost_per_hub_year * funded_years * len(items) == pytest.approx(
            SEED_TOTAL_GBP, abs=0.1)


def test_hub_joiners_are_intake_x_completion_x_take_up_after_the_lead_time(runs: tuple) -> None:
    hubs, _ = runs
    results = hubs.results
    flow = results.variable("joiners_employer_hub_hc")
    years = list(results.years)
    for item in hubs.scenario.interventions:
        a = list(results.areas).index(item.area)
        g = list(results.staff_groups).index(item.staff_group)
        principal = flow.values[0, :, a, g]
        mode = item.amount.mode  # the principal run takes the triangular's mode
        expected = np.zeros(len(years))
        for start in range(item.start_year, item.end_year + 1):
            expected[years.index(start + item.lead_time_years)] = (
                mode * item.completion_rate * item.take_up_rate)
        np.testing.assert_allclose(principal[1:], expected[1:], rtol=1e-12)  # [0]: base year


def test_cost_per_fte_gained_by_region_equals_an_independent_computation(runs: tuple) -> None:
    hubs, bare = runs
    table = hubs_from_results(hubs.table, {hubs.scenario.name: hubs.metadata})
    assert sorted(table["area"]) == sorted(REGIONS)
    final = len(hubs.results.years) - 1
    supply_with = hubs.results.variable("supply_fte").values
    supply_without = bare.results.variable("supply_fte").values
    per_hub = SEED_TOTAL_GBP / len(REGIONS)  # cost_per_unit is 0: the hub's two years
    for _, row in table.iterrows():
        a = list(hubs.results.areas).index(row["area"])
        g = list(hubs.results.staff_groups).index(row["staff_group"])
        gained = supply_with[1:, final, a, g] - supply_without[1:, final, a, g]
        assert row["cost_gbp"] == pytest.approx(per_hub, abs=0.1)
        assert row["fte_gained_p50"] == pytest.approx(np.percentile(gained, 50), rel=1e-9)
        assert row["fte_gained_p5"] == pytest.approx(np.percentile(gained, 5), rel=1e-9)
        assert row["cost_per_fte_gained_p50"] == pytest.approx(
            np.percentile(per_hub / gained, 50), rel=1e-6)
        assert row["area_name"] == codelists.get("region").attribute(row["area"], "name")
        assert row["hubs"] == 1
        assert not row["other_interventions"]


def test_a_scenario_without_hubs_has_no_hubs_table_and_uses_no_number(runs: tuple) -> None:
    _, bare = runs
    table = hubs_from_results(bare.table, {bare.scenario.name: bare.metadata})
    assert table.empty
    numbering = Numbering()
    assert hubs_table(table, numbering, str, "s", "p") is None
    assert numbering.tables == 0


def test_the_hubs_scenario_assesses_and_verifies(demo_vintage: DemoBuild,
                                                 tmp_path: Path) -> None:
    from wfplan.assessment.bundle import assess
    from wfplan.assessment.verify import verify

    config = tmp_path / "hubs.toml"
    config.write_text('title = "Employer hubs test"\nperiod = "2026"\nvintage = "demo"\n'
                      'scenarios = ["employer-hubs"]\nhorizon = 5\ndraws = 4\nseed = 3\n'
                      'level = "region"\n', encoding="utf-8")
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        assess(store, config, tmp_path / "bundle")
    bundle = tmp_path / "bundle"
    verdict = verify(bundle)
    assert verdict.ok, [str(f) for f in verdict.findings]
    html = (bundle / "report.html").read_text(encoding="utf-8")
    assert 'id="table-employer-hubs"' in html
    sheet = pd.DataFrame(openpyxl.load_workbook(bundle / "tables.xlsx")["employer_hubs"]
                         .values)
    sheet.columns = sheet.iloc[0]
    sheet = sheet.iloc[1:]
    assert sorted(sheet["area"]) == sorted(REGIONS)
    for name in codelists.get("region").codes:
        assert codelists.get("region").attribute(name, "name") in html
    assert (sheet["cost_gbp"].astype(float) > 0).all()
