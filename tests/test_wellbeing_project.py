"""``wfplan project`` fills a wellbeing intervention's relations from the vintage's estimate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wfplan.dataset.store import DuckDBStore
from wfplan.errors import InputError
from wfplan.inputs.build import resolve_period
from wfplan.report.methods import methods_from_metadata
from wfplan.report.wellbeing import relation_sentences
from wfplan.runs.project import project, read_scenario
from wfplan.runs.wellbeing import wellbeing_parameters, with_wellbeing

SCENARIO = """
name = "wellbeing_programme"
horizon = 3
level = "region"
draws = 0
seed = 11
staff_groups = ["nurses_health_visitors"]

[[interventions]]
name = "burnout_programme"
type = "wellbeing"
staff_group = "nurses_health_visitors"
start_year = {start}
amount = 4
cost_per_unit = 120
source = "test: a programme cutting burnout by 4 points"
owner = "tests"
"""


def test_project_fills_the_relations_from_the_vintage_and_moves_supply_by_them(
        demo_vintage, tmp_path: Path):
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        params = wellbeing_parameters(store, "demo")
        start = resolve_period(store, "demo", None).year + 1
        path = tmp_path / "wellbeing.toml"
        path.write_text(SCENARIO.format(start=start), encoding="utf-8")
        run = project(store, [path], vintage="demo")[0]
    item = run.scenario.interventions[0]
    assert item.sickness_per_burnout_point.mean == params.sickness.fit.slope
    assert item.sickness_per_burnout_point.sd == params.sickness.fit.se
    assert item.base_sickness_rate == params.sickness.mean_sickness
    assert item.log_leaver_ratio.mean == params.leavers.log_mean
    results = run.results
    hc = results.variable("supply_hc").values[0, 1]
    fte = results.variable("supply_fte").values[0, 1]
    per_head = results.variable("supply_fte").values[0, 0] / results.variable(
        "supply_hc").values[0, 0]
    # FTE per head rises by b c / (1 - s0) in the first year, where c = 0.04
    gain = 1 + params.sickness.fit.slope * 0.04 / (1 - params.sickness.mean_sickness)
    np.testing.assert_allclose(fte, hc * per_head * gain, rtol=1e-10)
    # and fewer leave: more heads than the same run without it (its FTE / FTE per head)
    without = results.variable("counterfactual_supply_fte").values[0, 1] / per_head
    assert (hc > without).all()
    names = {a["name"] for a in run.metadata["assumptions"]}
    assert {"interventions[0].sickness_per_burnout_point",
            "interventions[0].log_leaver_ratio"} <= names
    # the report states the relation used, its data and its limits
    _, assumptions = methods_from_metadata({run.scenario.name: results.metadata.record()})
    sentences = relation_sentences(assumptions)
    assert len(sentences) == 3
    assert f"OLS across {params.sickness.fit.n} NHS trusts" in sentences[0]
    assert "an association, not causation" in sentences[0]
    assert sentences[-1].startswith("Association, not causation")
    assert relation_sentences(assumptions.iloc[0:0]) == ()


def test_project_without_the_data_says_what_to_give(tmp_path: Path):
    path = tmp_path / "wellbeing.toml"
    path.write_text(SCENARIO.format(start=2026), encoding="utf-8")
    with DuckDBStore(tmp_path / "empty.duckdb") as store, pytest.raises(
            InputError, match="no staff survey burned_out rows; give sickness_per_burnout_point"):
        with_wellbeing(store, "v", read_scenario(path).scenario)


def test_the_report_states_the_relations_only_when_a_run_used_them(example_report):
    """On the run's example report: its page, then the page of a copy with one more row."""
    import dataclasses

    import pandas as pd

    from wfplan.report.html import render_html

    data = example_report.data
    plain = example_report.html
    assert "The wellbeing intervention's relations" not in plain
    row = {"scenario": "ltwp", "name": "interventions[2].sickness_per_burnout_point",
           "value": "normal(mean 0.0178, sd 0.0162)",
           "reason": "wellbeing relation used; OLS across 218 NHS trusts"}
    more = pd.concat([data.assumptions, pd.DataFrame([row])], ignore_index=True)
    html = render_html(dataclasses.replace(data, assumptions=more))
    assert "<h3>The wellbeing intervention's relations</h3>" in html
    assert "Scenario ltwp, interventions[2].sickness_per_burnout_point" in html
    assert "OLS across 218 NHS trusts" in html
    assert "Association, not causation:" in html
