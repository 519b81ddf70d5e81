"""`wfplan scenario`, `wfplan project`, `wfplan backtest` and the demo's projections, end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow.parquet as pq
import pytest

import handmade_vintage as hv
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.model import load_scenario_text

if TYPE_CHECKING:
    from conftest import DemoRun, Kit

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = """
name = "{name}"
base_vintage = "{vintage}"
horizon = 15
level = "icb"
draws = 40
seed = 11

[parameters]
leaver_rate_multiplier = {{ dist = "normal", mean = 1.0, sd = 0.05 }}
population_variant = {{ dist = "choice", options = ["principal", "high"], central = "principal" }}
"""


def scenario(folder: Path, name: str = "base", vintage: str = "hand") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(SCENARIO.format(name=name, vintage=vintage), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made vintage, and 'plain': one census, so every rate is a default."""
    folder = tmp_path_factory.mktemp("cli")
    path = folder / "w.duckdb"
    with DuckDBStore(path) as store:
        hv.build(store, folder)
        plain = folder / "plain"
        plain.mkdir()
        files = hv.files(plain)
        staff = pd.read_csv(files[1])
        staff[staff["period"] == hv.BASE].dropna(subset=["headcount", "fte"]).to_csv(
            files[1], index=False)
        ingest(store, [files[0], files[1], files[5], files[6]], "plain")
    return path


def test_scenario_schema_is_json_schema(kit: Kit) -> None:
    result = kit.cli("scenario", "schema")
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert "leaver_rate_multiplier" in schema["properties"]["parameters"]["properties"]
    assert schema["properties"]["level"]["enum"] == ["england", "region", "icb", "org"]


def test_scenario_check(kit: Kit, tmp_path: Path) -> None:
    for name in ("baseline", "ltwp"):
        result = kit.cli("scenario", "check", ROOT / "scenarios" / f"{name}.toml")
        assert result.exit_code == 0, result.output
        assert f"valid scenario '{name}'" in kit.plain(result.stdout)
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nhorizon = 40\nlevel = "ward"\n[parameters]\n'
                   'leaver_rate_multiplier = 7\n', encoding="utf-8")
    result = kit.cli("scenario", "check", bad)
    assert result.exit_code == 2
    text = kit.plain(result.stderr)
    assert "scenario is not valid (3 problems)" in text
    assert "horizon: Input should be less than or equal to 25" in text
    assert "parameters: leaver_rate_multiplier = 7 is above the maximum 3 (ratio)" in text
    assert "Traceback" not in result.output
    missing = kit.cli("scenario", "check", tmp_path / "nope.toml")
    assert missing.exit_code == 2
    assert "cannot read the scenario file" in kit.plain(missing.stderr)


#: What the demo copies may add to the shipped scenarios: the demand calibration (see
#: docs/model.md, "The demo's calibration"), for every group and for social care groups.
DEMO_DEMAND = {"non_demographic_growth", "productivity_growth"}
SOCIAL_CARE = {"asc_direct_care", "asc_regulated_professions", "asc_managerial", "asc_other"}


def test_the_demo_scenario_copies_differ_only_where_the_demo_needs(kit: Kit) -> None:
    for name in ("baseline", "ltwp"):
        shipped = load_scenario_text((ROOT / "scenarios" / f"{name}.toml").read_text())
        demo = load_scenario_text((ROOT / "src" / "wfplan" / "data" / f"demo_{name}.toml")
                                  .read_text()).model_dump()
        expected = shipped.model_dump()
        expected.update(base_vintage="demo", base_period="2025-03-31", draws=200)
        added = set(demo["parameters"]) - set(expected["parameters"])
        assert added, name
        assert added <= DEMO_DEMAND, (name, added)
        for key in added:
            del demo["parameters"][key]
        if demo["description"] != expected["description"]:  # it says how demand is calibrated
            assert "non-demographic growth" in demo.pop("description")
            del expected["description"]
        extra_groups = set(demo["staff_group_parameters"]) - set(expected["staff_group_parameters"])
        assert extra_groups == SOCIAL_CARE, (name, extra_groups)
        for group in extra_groups:
            assert set(demo["staff_group_parameters"].pop(group)) <= DEMO_DEMAND
        assert demo == expected


def test_project_prints_the_headline_and_writes_the_table(kit: Kit, db: Path,
                                                         tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    result = kit.cli("project", scenario(tmp_path), "--db", db, "--out", out)
    assert result.exit_code == 0, result.output
    text = kit.plain(result.stdout)
    assert text.index("England: total gap FTE, all staff groups and by sector") < text.index(
        "England: gap FTE by staff group, P50 (P5 to P95), scenario 'base'")
    assert "All staff groups" in text
    assert "gap = funded demand - supply, FTE (negative: supply above demand)" in text
    assert "2029 (+5 y) 2034 (+10 y) 2039 (+15 y)" in text
    assert "Nurses & health visitors" in text
    assert "assumption(s) recorded" in text
    assert f"wrote {out}" in text
    table = pd.read_parquet(out)
    assert set(table["area"]) == {"QJK", "QMJ", "UNMAPPED", "E92000001"}


def test_project_at_quarter_ends_interpolates_each_draw_between_annual_steps(
        kit: Kit, db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.parquet"
    result = kit.cli("project", scenario(tmp_path), "--db", db, "--out", out,
                     "--at", "2024-09,2024-12", "--at", "2025-06")
    assert result.exit_code == 0, result.output
    assert "England supply FTE at the dates asked" in kit.plain(result.stdout)
    dated = pd.read_csv(tmp_path / "r-at.csv")
    # the base census is June 2024
    assert list(dict.fromkeys(dated["date"])) == ["2024-09-30", "2024-12-31", "2025-06-30"]
    table = pd.read_parquet(out)
    england = table[(table["area"] == "E92000001") & (table["staff_group"] == "all_staff_groups")
                    & (table["variable"] == "supply_fte") & (table["statistic"] == "principal")]
    annual = england.set_index("year")["value"]
    total = dated[(dated["area"] == "E92000001") & (dated["staff_group"] == "all_staff_groups")]
    at = total.set_index("date")
    for when, years in (("2024-09-30", 0.25), ("2024-12-31", 0.5), ("2025-06-30", 1.0)):
        expected = annual[2024] + years * (annual[2025] - annual[2024])
        assert at.loc[when, "principal"] == pytest.approx(expected, rel=1e-9)
        assert at.loc[when, "p5"] <= at.loc[when, "p50"] <= at.loc[when, "p95"]
    assert at.loc["2025-06-30", "p95"] > at.loc["2025-06-30", "p5"]  # 40 uncertain draws
    early = kit.cli("project", scenario(tmp_path), "--db", db, "--at", "2024-03")
    assert early.exit_code != 0
    assert "--at 2024-03-31: must be after the base census 2024-06-30" in kit.plain(early.output)


def test_several_scenarios_side_by_side(kit: Kit, db: Path, tmp_path: Path) -> None:
    result = kit.cli("project", scenario(tmp_path, "one"), scenario(tmp_path, "two"),
                     "--db", db, "--draws", "5")
    assert result.exit_code == 0, result.output
    text = kit.plain(result.stdout)
    for year, horizon in ((2029, 5), (2034, 10), (2039, 15)):
        assert f"England in {year} (+{horizon} years)" in text
    assert "staff group one two" in text


def test_same_seed_same_bytes_other_seed_other_draws(kit: Kit, db: Path, tmp_path: Path) -> None:
    path = scenario(tmp_path)
    files = {}
    for run, seed in (("a", "11"), ("b", "11"), ("c", "12")):
        for suffix in (".csv", ".parquet"):
            out = tmp_path / f"{run}{suffix}"
            result = kit.cli("project", path, "--db", db, "--seed", seed, "--out", out)
            assert result.exit_code == 0, result.output
            files[run, suffix] = out
    for suffix in (".csv", ".parquet"):
        assert files["a", suffix].read_bytes() == files["b", suffix].read_bytes()
    assert (tmp_path / "a.metadata.json").read_bytes() == (tmp_path / "b.metadata.json"
                                                           ).read_bytes()
    a, c = (pd.read_parquet(files[run, ".parquet"]) for run in ("a", "c"))
    principal = a["statistic"] == "principal"
    pd.testing.assert_frame_equal(a[principal], c[principal])
    assert not a.loc[a["statistic"] == "p5", "value"].equals(c.loc[c["statistic"] == "p5",
                                                                   "value"])
    meta = json.loads(pq.read_table(files["c", ".parquet"]).schema.metadata[b"wfplan"])
    assert meta["scenarios"][0]["seed"] == 12


def test_organisations_and_icbs_give_the_same_england(kit: Kit, db: Path,
                                                      tmp_path: Path) -> None:
    tables = {}
    for level in ("org", "icb", "region"):
        out = tmp_path / f"{level}.parquet"
        result = kit.cli("project", scenario(tmp_path, vintage="plain"), "--db", db,
                         "--level", level, "--out", out)
        assert result.exit_code == 0, result.output
        table = pd.read_parquet(out)
        tables[level] = table[table["area"] == "E92000001"].reset_index(drop=True)
    for level in ("icb", "region"):
        pd.testing.assert_series_equal(tables["org"]["value"], tables[level]["value"],
                                       rtol=1e-10, atol=1e-9)


def test_project_refuses_bad_input_before_running(kit: Kit, db: Path, tmp_path: Path) -> None:
    cases = [
        (("--out", tmp_path / "r.txt"), "write results as .parquet, .csv, .xlsx"),
        (("--vintage", "other"), "no vintage named 'other' (vintages: hand, plain)"),
        (("--db", tmp_path / "missing.duckdb"), "no database at"),
    ]
    for extra, message in cases:
        args = ["project", scenario(tmp_path)]
        if "--db" not in extra:
            args += ["--db", db]
        result = kit.cli(*args, *extra)
        assert result.exit_code == 2, result.output
        assert message in kit.plain(result.stderr)


def test_backtest_formats(kit: Kit, db: Path) -> None:
    args = ["backtest", "--db", db, "--vintage", "hand", "--from", "2024-03", "--to",
            "2024-06", "--level", "icb"]
    table = kit.cli(*args)
    assert table.exit_code == 0, table.output
    text = kit.plain(table.stdout)
    assert "2024-03-31 → 2024-06-30 (0.25 years), level icb" in text
    assert "MAPE %" in text
    assert "no-change MAPE %" in text
    csv = kit.cli(*args, "--format", "csv")
    assert csv.stdout.splitlines()[0].startswith("area,staff_group,status,base_fte")
    payload = json.loads(kit.cli(*args, "--format", "json").stdout)
    assert set(payload) == {"metadata", "summary", "cells"}
    assert payload["summary"][-1]["staff_group"] == "all"
    wrong = kit.cli("backtest", "--db", db, "--vintage", "hand", "--from", "2024-06",
                    "--to", "2024-03")
    assert wrong.exit_code == 2
    assert "must be after" in kit.plain(wrong.stderr)


def test_demo_projects_the_two_scenarios(kit: Kit, tmp_path: Path,
                                         demo_command: DemoRun) -> None:
    db, result = demo_command.db, demo_command.result
    assert result.exit_code == 0, result.output
    text = kit.plain(result.stdout)
    assert text.index("England: total gap FTE, all staff groups and by sector") < text.index(
        "England in 2030 (+5 years)")
    for year, horizon in ((2030, 5), (2035, 10), (2040, 15)):
        assert f"England in {year} (+{horizon} years)" in text
    assert "staff group baseline ltwp" in text
    assert "with 200 draws each" in text
    out = tmp_path / "baseline.csv"
    again = kit.cli("project", ROOT / "scenarios" / "baseline.toml", "--vintage", "demo",
                    "--db", db, "--draws", "10", "--level", "region", "--out", out)
    assert again.exit_code == 0, again.output
    table = pd.read_csv(out)
    assert set(table["area"]) == {"Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63", "E92000001"}
    meta = json.loads((tmp_path / "baseline.metadata.json").read_text())
    assert meta["scenarios"][0]["base_period"] == "2025-03-31"
    assert any(item["name"] == "population_variant" for item in meta["scenarios"][0]["parameters"])
