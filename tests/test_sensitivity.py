"""Sensitivity: the one-at-a-time tornado, the variance shares and `wfplan sensitivity`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from synthetic import synthetic_inputs
from wfplan.model import load_scenario_text, run
from wfplan.runs.tornado import ENGLAND, Z90, headline_gaps, quantities, tornado, with_value
from wfplan.runs.variance import r_squared, variance_shares

if TYPE_CHECKING:
    from conftest import DemoRun, Kit

ROOT = Path(__file__).resolve().parents[1]
DOMINANT = """
name = "dominant"
horizon = 10
level = "icb"
draws = {draws}
seed = 7

[parameters]
# wide by construction: leaver rates 30% either side
leaver_rate_multiplier = {{ dist = "uniform", low = 0.7, high = 1.3 }}
# narrow by construction: a tenth of a point of productivity a year
productivity_growth = {{ dist = "triangular", low = 0.009, mode = 0.0095, high = 0.010 }}
population_variant = {{dist="choice", options=["principal", "high", "low"], central="principal"}}
fte_per_head_multiplier = 1.0

[staff_group_parameters.hchs_doctors]
international_joiners_multiplier = {{ dist = "normal", mean = 1.0, sd = 0.1 }}

[[interventions]]
name = "retention"
type = "retention"
staff_group = "nurses_health_visitors"
start_year = 2026
amount = {{ dist = "triangular", low = 0.0, mode = 0.01, high = 0.02 }}
source = "test"
owner = "test"
"""


@pytest.fixture(scope="module")
def inputs():  # type: ignore[no-untyped-def]
    return synthetic_inputs(areas=3, staff_groups=3, age_bands=4, base_year=2024)


def _scenario(draws: int = 0):  # type: ignore[no-untyped-def]
    return load_scenario_text(DOMINANT.format(draws=draws))


def test_the_dominant_parameter_comes_first(inputs) -> None:  # type: ignore[no-untyped-def]
    table = tornado(inputs, _scenario(), areas=("A002",))
    england = table[table["area"] == ENGLAND]
    assert list(england["rank"]) == [1, 2, 3, 4, 5]
    assert england["quantity"].iloc[0] == "leaver_rate_multiplier"
    assert (england["swing"].diff().dropna() <= 0).all()
    assert set(table["area"]) == {ENGLAND, "A002"}
    assert table[table["area"] == "A002"]["quantity"].iloc[0] == "leaver_rate_multiplier"
    assert (table["year"] == 2034).all()
    # the fixed number is moved only when asked
    assert "fte_per_head_multiplier" not in set(table["quantity"])
    spread = tornado(inputs, _scenario(), spread=0.1)
    assert "fte_per_head_multiplier" in set(spread["quantity"])


def test_low_and_high_follow_the_stated_rules() -> None:
    points = {q.key: q for q in quantities(_scenario())}
    assert points["leaver_rate_multiplier"].points == (0.7, 1.3)
    assert points["productivity_growth"].points == (0.009, 0.010)
    normal = points["international_joiners_multiplier[hchs_doctors]"]
    assert normal.points == pytest.approx((1 - Z90 * 0.1, 1 + Z90 * 0.1))
    assert points["population_variant"].points == ("principal", "high", "low")
    assert points["interventions.retention.amount"].central == 0.01


def test_each_point_is_the_principal_run_with_one_quantity_moved(inputs) -> None:  # type: ignore[no-untyped-def]
    scenario = _scenario()
    table = tornado(inputs, scenario)
    row = table[(table["area"] == ENGLAND)
                & (table["quantity"] == "interventions.retention.amount")].iloc[0]
    # by hand: the same scenario with that amount a fixed number and no draws
    text = DOMINANT.format(draws=0).replace(
        'amount = { dist = "triangular", low = 0.0, mode = 0.01, high = 0.02 }', "amount = 0.02")
    direct = run(inputs, load_scenario_text(text))
    gap = direct.values("gap_fte")[0, -1].sum()
    assert row["gap_high"] == pytest.approx(gap, rel=1e-12)
    assert float(row["high"]) == 0.02
    central = run(inputs, _scenario(draws=50))  # draw 0 of a sampled run is the central one
    assert row["gap_central"] == pytest.approx(central.values("gap_fte")[0, -1].sum(), rel=1e-12)
    moved = with_value(scenario, "interventions.retention.amount", 0.0)
    assert moved.draws == 0
    assert moved.interventions[0].amount == 0.0
    assert moved.parameters == scenario.parameters


def test_variance_shares_find_the_dominant_quantity(inputs) -> None:  # type: ignore[no-untyped-def]
    results = run(inputs, _scenario(draws=400))
    assert set(results.sampled) == {q.key for q in quantities(_scenario())}
    assert all(len(v) == 401 for v in results.sampled.values())
    shares = variance_shares(results, 2034, ("A001",))
    england = shares[shares["area"] == ENGLAND]
    assert england["quantity"].iloc[0] == "leaver_rate_multiplier"
    assert england["share"].iloc[0] > 0.8
    assert england["share"].sum() <= 1.05
    assert england["total_r2"].iloc[0] >= england["share"].iloc[0]
    assert (england["draws"] == 400).all()
    # the shares are computed from the gap of each draw, not from the principal run
    gap = headline_gaps(results, 2034)[ENGLAND][1:]
    lrm = results.sampled["leaver_rate_multiplier"][1:]
    assert england["share"].iloc[0] == pytest.approx(np.corrcoef(gap, lrm)[0, 1] ** 2)
    assert variance_shares(run(inputs, _scenario(draws=0)), 2034).empty


def test_r_squared_of_a_choice_is_the_correlation_ratio() -> None:
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 3, 300)
    y = np.array([0.0, 5.0, -2.0])[groups] + rng.normal(0, 1, 300)
    indicators = np.column_stack([groups == 1, groups == 2]).astype(float)
    means = pd.Series(y).groupby(groups).transform("mean").to_numpy()
    eta2 = ((means - y.mean()) ** 2).sum() / ((y - y.mean()) ** 2).sum()
    assert r_squared(y, indicators) == pytest.approx(eta2)
    assert math.isnan(r_squared(np.ones(10), np.arange(10.0).reshape(-1, 1)))


def test_a_bad_area_or_year_is_a_clear_error(inputs) -> None:  # type: ignore[no-untyped-def]
    from wfplan.errors import InputError

    with pytest.raises(InputError, match="area X99 is not an area of the run at level 'icb'"):
        tornado(inputs, _scenario(), areas=("X99",))
    with pytest.raises(InputError, match="year 2050 is outside the projection"):
        tornado(inputs, _scenario(), year=2050)


def test_cli_writes_the_tornado_of_the_ltwp_scenario(kit: Kit, tmp_path: Path,
                                                     demo_command: DemoRun) -> None:
    out = tmp_path / "sens"
    args = ("sensitivity", ROOT / "scenarios" / "ltwp.toml", "--vintage", "demo", "--db",
            demo_command.db, "--draws", "50", "--area", "QHL")
    result = kit.cli(*args, "--out", out)
    assert result.exit_code == 0, result.output
    text = kit.plain(result.stdout)
    assert "ltwp: E92000001 gap FTE in 2040, all staff groups, funded" in text
    assert "ltwp: QHL gap FTE in 2040" in text
    assert "Leaver rate multiplier" in text
    assert "Share of the gap's variance over 50 draws" in text
    table = pd.read_csv(out / "ltwp_tornado.csv")
    assert set(table["area"]) == {ENGLAND, "QHL"}
    assert set(table["quantity"]) >= {"leaver_rate_multiplier", "productivity_growth",
                                      "population_variant", "interventions.nurse_retention.amount"}
    svg = (out / "ltwp_tornado_E92000001.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg")
    assert "Leaver rate multiplier" in svg
    assert (out / "ltwp_variance_shares.csv").exists()
    csv = kit.cli(*args, "--format", "csv")
    assert csv.exit_code == 0, csv.output
    assert csv.stdout.splitlines()[0].startswith("scenario,area,year,rank,quantity")
    bad = kit.cli("sensitivity", ROOT / "scenarios" / "ltwp.toml", "--vintage", "demo",
                  "--db", demo_command.db, "--draws", "0", "--area", "NOPE")
    assert bad.exit_code == 2
    assert "area NOPE is not an area of the run" in kit.plain(bad.stderr)
    assert "Traceback" not in bad.output


VARIANTS = {  # the one change each shipped variant makes to the baseline
    "baseline_demand_high": {"population_variant": "high", "non_demographic_growth": 0.01},
    "baseline_demand_low": {"population_variant": "low", "non_demographic_growth": 0.0},
    "baseline_funding_high": {"service_plan_growth": 0.01},
    "baseline_funding_low": {"service_plan_growth": -0.01},
}


def test_the_shipped_demand_and_funding_variants_change_only_what_they_say(inputs) -> None:  # type: ignore[no-untyped-def]
    from wfplan.runs.project import read_scenario, shipped_scenarios, with_overrides

    assert set(VARIANTS) <= set(shipped_scenarios())
    baseline = read_scenario("baseline").scenario
    gaps = {}
    for name, changes in VARIANTS.items():
        path = ROOT / "scenarios" / f"{name}.toml"
        variant = read_scenario(path).scenario
        expected = {**baseline.model_dump()["parameters"], **changes}
        assert variant.model_dump()["parameters"] == expected, name
        assert variant.model_dump(exclude={"name", "title", "description", "parameters"}) == \
            baseline.model_dump(exclude={"name", "title", "description", "parameters"})
        lines = path.read_text(encoding="utf-8").splitlines()
        for key in changes:  # each figure has its source or is marked an assumption
            at = next(i for i, line in enumerate(lines) if line.startswith(f"{key} ="))
            comment = []
            for line in reversed(lines[:at]):
                if not line.startswith("#"):
                    break
                comment.insert(0, line)
            text = " ".join(comment)
            assert "wfplan assumption" in text or "ONS" in text, (name, key)
        gaps[name] = run(inputs, with_overrides(variant, draws=0)).values("gap_fte")[0, -1].sum()
    central = run(inputs, with_overrides(baseline, draws=0)).values("gap_fte")[0, -1].sum()
    assert gaps["baseline_demand_low"] < central < gaps["baseline_demand_high"]
    assert gaps["baseline_funding_low"] < central < gaps["baseline_funding_high"]
