"""`wfplan sweep` and the executors: the same table on every executor, seeds by variant."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from synthetic import synthetic_inputs
from wfplan.model import load_scenario_text
from wfplan.runs.executor import InProcess, LocalPool, open_executor
from wfplan.runs.sweep_spec import Sweep, points, variant_seed
from wfplan.runs.tornado import tornado

if TYPE_CHECKING:
    from conftest import DemoBuild, Kit

ROOT = Path(__file__).resolve().parents[1]
SWEEP = """
name = "small"
scenarios = ["ltwp", "baseline"]
vintage = "demo"
level = "icb"
draws = 12
seed = 11
years = [2030, 2035]
areas = ["E92000001", "QHL"]
staff_groups = "each"

[[parameters]]
key = "leaver_rate_multiplier"
values = {leavers}

[[parameters]]
key = "international_joiners_multiplier[nurses_health_visitors]"
values = [0.5, 1.0]
"""


def _sweep(kit: Kit, tmp_path: Path, db: Path, name: str, *args: object,
           leavers: str = "[0.9, 1.1]") -> pd.DataFrame:
    path = kit.write(tmp_path / f"{name}.toml", SWEEP.format(leavers=leavers))
    out = tmp_path / f"{name}.parquet"
    result = kit.cli("sweep", path, "--db", db, "--out", out, *args)
    assert result.exit_code == 0, result.output
    return pd.read_parquet(out)


@pytest.mark.slow
def test_the_table_is_the_same_on_the_local_pool_and_a_dask_local_cluster(
        kit: Kit, tmp_path: Path, demo_vintage: DemoBuild) -> None:
    db = demo_vintage.db
    alone = _sweep(kit, tmp_path, db, "alone", "--workers", "1")
    pool = _sweep(kit, tmp_path, db, "pool", "--workers", "2")
    cluster = _sweep(kit, tmp_path, db, "cluster", "--scheduler", "local-cluster",
                     "--workers", "2")
    pd.testing.assert_frame_equal(alone, pool, check_exact=True)
    pd.testing.assert_frame_equal(alone, cluster, check_exact=True)
    # 2 scenarios x 2 x 2 values; 2 years x 2 areas x (the total and 22 staff groups)
    assert alone["variant"].nunique() == 8
    assert list(alone.columns[:6]) == ["variant", "point", "scenario", "seed",
                                       "leaver_rate_multiplier",
                                       "international_joiners_multiplier[nurses_health_visitors]"]
    first = alone[alone["variant"] == "v00001"]
    assert set(first["area"]) == {"E92000001", "QHL"}
    assert set(first["year"]) == {2030, 2035}
    assert "all_staff_groups" in set(first["staff_group"])
    # England's total is the sum of the staff groups in the principal run (one draw)
    england = first[(first["area"] == "E92000001") & (first["year"] == 2035)]
    total = england.loc[england["staff_group"] == "all_staff_groups", "principal"].iloc[0]
    groups = england.loc[england["staff_group"] != "all_staff_groups", "principal"].sum()
    assert total == pytest.approx(groups, rel=1e-12)
    # each variant has its own seed; a higher leaver rate widens the gap
    assert alone.groupby("variant")["seed"].first().nunique() == 8
    totals = alone[(alone["staff_group"] == "all_staff_groups")
                   & (alone["area"] == "E92000001") & (alone["year"] == 2035)]
    by_leavers = totals.groupby(["scenario", "leaver_rate_multiplier"])["principal"].mean()
    assert (by_leavers.xs(1.1, level=1) > by_leavers.xs(0.9, level=1)).all()


@pytest.mark.slow
def test_a_variants_seed_and_rows_do_not_depend_on_its_place_in_the_sweep(
        kit: Kit, tmp_path: Path, demo_vintage: DemoBuild) -> None:
    db = demo_vintage.db
    forward = _sweep(kit, tmp_path, db, "forward", "--workers", "1")
    backward = _sweep(kit, tmp_path, db, "backward", "--workers", "1",
                      leavers="[1.1, 0.9, 1.0]")
    keys = ["scenario", "leaver_rate_multiplier",
            "international_joiners_multiplier[nurses_health_visitors]", "level", "area",
            "staff_group", "variable", "year"]
    merged = forward.merge(backward, on=keys, suffixes=("", "_b"), validate="one_to_one")
    assert len(merged) == len(forward)
    for column in ("seed", "principal", "p5", "p50", "p95"):
        assert (merged[column] == merged[f"{column}_b"]).all(), column
    assert variant_seed(11, "ltwp", {"a": 1.0}) == variant_seed(11, "ltwp", {"a": 1.0})
    assert variant_seed(11, "ltwp", {"a": 1.0}) != variant_seed(12, "ltwp", {"a": 1.0})


def test_a_sample_is_drawn_from_its_seed() -> None:
    data = {"name": "s", "scenarios": ["baseline"], "seed": 3,
            "design": {"kind": "sample", "samples": 40},
            "parameters": [{"key": "leaver_rate_multiplier", "low": 0.8, "high": 1.2},
                           {"key": "population_variant", "values": ["principal", "high"]}]}
    first = points(Sweep.model_validate(data))
    assert first == points(Sweep.model_validate(data))
    assert first != points(Sweep.model_validate({**data, "seed": 4}))
    assert len(first) == 40
    rates = [float(p["leaver_rate_multiplier"]) for p in first]
    assert 0.8 <= min(rates) < max(rates) <= 1.2
    assert {p["population_variant"] for p in first} == {"principal", "high"}


@pytest.mark.parametrize(("body", "message"), [
    ('[[parameters]]\nkey = "no_such_thing"\nvalues = [1.0]',
     "parameters[0]: no parameter, input or variable called 'no_such_thing'"),
    ('[[parameters]]\nkey = "leaver_rate_multiplier"\nlow = 0.9\nhigh = 1.1',
     "leaver_rate_multiplier: a grid needs values or low, high and steps"),
    ('[[parameters]]\nkey = "interventions.nope.amount"\nvalues = [1.0]',
     "parameters: scenario 'baseline' has no intervention for interventions.nope.amount"),
    ('areas = ["NOPE"]', "areas: NOPE is not an area at level 'icb'"),
    ('[[parameters]]\nkey = "leaver_rate_multiplier"\nvalues = [-5.0]',
     "scenario 'baseline' with leaver_rate_multiplier = -5.0"),
    ('variables = ["gap_pct"]', "variables: gap_pct is not a variable that adds up"),
    ('colour = "red"', "colour: Extra inputs are not permitted"),
])
def test_a_bad_sweep_file_names_its_file_and_key(kit: Kit, tmp_path: Path,
                                                 demo_vintage: DemoBuild, body: str,
                                                 message: str) -> None:
    head = 'name = "bad"\nscenarios = ["baseline"]\nvintage = "demo"\nlevel = "icb"\ndraws = 0\n'
    path = kit.write(tmp_path / "bad.toml", head + body + "\n")
    result = kit.cli("sweep", path, "--db", demo_vintage.db, "--workers", "1")
    assert result.exit_code == 2, result.output
    text = kit.plain(result.stderr)
    assert str(path) in text
    assert kit.plain(message) in text.replace("Value error, ", ""), text
    assert "Traceback" not in result.output


def test_a_bad_scheduler_is_refused(kit: Kit, tmp_path: Path) -> None:
    path = kit.write(tmp_path / "s.toml", 'name = "s"\nscenarios = ["baseline"]\n')
    result = kit.cli("sweep", path, "--scheduler", "somewhere")
    assert result.exit_code == 2
    assert "choose 'local', 'local-cluster' or the address of a Dask scheduler" in \
        kit.plain(result.stderr)


TORNADO = """
name = "t"
horizon = 10
level = "icb"
draws = 0
[parameters]
leaver_rate_multiplier = { dist = "uniform", low = 0.7, high = 1.3 }
population_variant = {dist="choice", options=["principal", "high", "low"], central="principal"}
"""


def test_the_tornado_is_the_same_on_a_process_pool() -> None:
    inputs = synthetic_inputs(areas=3, staff_groups=3, age_bands=4, base_year=2024)
    scenario = load_scenario_text(TORNADO)
    here = tornado(inputs, scenario, areas=("A002",), executor=InProcess())
    pool = tornado(inputs, scenario, areas=("A002",), executor=LocalPool(2))
    pd.testing.assert_frame_equal(here, pool, check_exact=True)
    assert len(here) == 4


@pytest.mark.slow
def test_sensitivity_on_a_dask_local_cluster_matches_this_process(
        kit: Kit, demo_vintage: DemoBuild) -> None:
    args = ("sensitivity", ROOT / "scenarios" / "ltwp.toml", "--vintage", "demo", "--db",
            demo_vintage.db, "--draws", "0", "--format", "csv")
    here = kit.cli(*args)
    there = kit.cli(*args, "--scheduler", "local-cluster", "--workers", "2")
    assert here.exit_code == 0, here.output
    assert there.exit_code == 0, there.output
    assert here.stdout == there.stdout
    assert here.stdout.count("\n") > 5


def test_open_executor_sizes() -> None:
    with open_executor("local", 1) as one:
        assert isinstance(one, InProcess)
        assert one.map(lambda shared, item: shared + item, [1, 2], 10) == [11, 12]
    with open_executor("local", 3) as three:
        assert isinstance(three, LocalPool)
        assert three.workers == 3


def test_run_scenarios_gives_the_same_summaries_on_a_pool() -> None:
    from functools import partial

    from wfplan.runs.executor import run_scenarios
    from wfplan.runs.tornado import headline_gaps

    inputs = synthetic_inputs(areas=3, staff_groups=3, age_bands=4, base_year=2024)
    scenarios = [load_scenario_text(TORNADO.replace("draws = 0", f"draws = {n}"))
                 for n in (0, 30)]
    summarise = partial(headline_gaps, year=2030, areas=("A001",))
    here = run_scenarios(inputs, scenarios, summarise)
    pool = run_scenarios(inputs, scenarios, summarise, LocalPool(2))
    assert [sorted(h) for h in here] == [["A001", "E92000001"]] * 2
    for a, b in zip(here, pool, strict=True):
        for area in a:
            assert np.array_equal(a[area], b[area])
    assert len(here[1]["E92000001"]) == 31


def test_a_scenario_beside_the_sweep_runs_on_the_sweeps_vintage(
        kit: Kit, tmp_path: Path, demo_vintage: DemoBuild) -> None:
    text = (ROOT / "scenarios" / "baseline.toml").read_text(encoding="utf-8")
    kit.write(tmp_path / "mine.toml", text.replace('name = "baseline"',
                                                   'name = "mine"\nbase_vintage = "old"'))
    path = kit.write(tmp_path / "one.toml", 'name = "one"\nscenarios = ["mine.toml"]\n'
                     'vintage = "demo"\nlevel = "region"\ndraws = 0\n')
    result = kit.cli("sweep", path, "--db", demo_vintage.db, "--workers", "1")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == ("variant,point,scenario,seed,level,area,staff_group,variable,year,"
                        "principal,p5,p50,p95")
    assert len(lines) == 2
    assert lines[1].startswith("v00001,0,mine,")
    assert "1 variant on local (1 worker)" in kit.plain(result.stderr)


def test_the_example_sweep_is_valid() -> None:
    from wfplan.runs.sweep_spec import read_sweep

    source = read_sweep(ROOT / "examples" / "sweep-retention.toml")
    design = points(source.sweep)
    assert len(design) == 9
    assert design[1] == {"leaver_rate_multiplier": 0.9,
                         "international_joiners_multiplier[nurses_health_visitors]": 0.7}
