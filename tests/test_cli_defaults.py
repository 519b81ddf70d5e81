"""Defaults that work: the vintage read when --vintage is omitted, --period as YYYY-MM,
and the scenarios shipped with wfplan found by name from any folder."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import typer

import handmade_vintage as hv
from wfplan.assessment.config import AssessmentConfig, scenario_paths
from wfplan.cli import app
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore

if TYPE_CHECKING:
    from conftest import Kit

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "src" / "wfplan" / "data" / "scenarios"
SCENARIO = """
name = "{name}"
{base}
horizon = 5
level = "icb"
draws = 5
seed = 3
"""


@pytest.fixture(scope="module")
def hand_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database whose only vintage is the hand-made one, 'hand' (not 'default')."""
    folder = tmp_path_factory.mktemp("defaults")
    path = folder / "w.duckdb"
    with DuckDBStore(path) as store:
        hv.build(store, folder)
    return path


@pytest.fixture
def two_vintages(tmp_path: Path, kit: Kit) -> Path:
    """'older' loaded first, then 'newer'; 'older' was created first too."""
    db = tmp_path / "two.duckdb"
    with DuckDBStore(db) as store:
        ingest(store, [kit.org_csv(tmp_path / "orgs.csv"),
                       kit.sip_csv(tmp_path / "a.csv", 4, period="2024-03")], "older")
        ingest(store, [kit.org_csv(tmp_path / "orgs.csv"),
                       kit.sip_csv(tmp_path / "b.csv", 6, period="2024-06")], "newer")
    return db


# -- the default vintage ------------------------------------------------------------


def test_without_vintage_the_only_vintage_is_read_and_named_on_stderr(kit: Kit,
                                                                      hand_db: Path) -> None:
    for args in (("metrics", "--level", "region"), ("gaps",), ("equality", "--level", "icb"),
                 ("backtest", "--from", "2023-03", "--to", "2024-03", "--level", "icb")):
        result = kit.cli(*args, "--db", hand_db)
        assert result.exit_code == 0, (args, result.output)
        assert f"using vintage 'hand' (the only one in {hand_db})" in kit.plain(result.stderr)
        assert "using vintage" not in result.stdout


def test_without_vintage_the_most_recently_loaded_of_several_is_read(
        kit: Kit, two_vintages: Path) -> None:
    with DuckDBStore(two_vintages, read_only=True) as store:
        choice = store.resolve_vintage(None)
        named = store.resolve_vintage("older")
    assert choice.name == "newer"
    assert choice.note == (f"using vintage 'newer' (the most recently loaded of 2; choose "
                           f"another with --vintage in {two_vintages})")
    assert (named.name, named.note) == ("older", None)
    result = kit.cli("metrics", "--db", two_vintages, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert "2024-06-30" in result.stdout
    assert "most recently loaded of 2" in kit.plain(result.stderr)
    named_run = kit.cli("metrics", "--db", two_vintages, "--vintage", "older", "--format", "csv")
    assert "2024-03-31" in named_run.stdout
    assert "using vintage" not in named_run.stderr


def test_loading_into_an_older_vintage_makes_it_the_default(kit: Kit, two_vintages: Path,
                                                            tmp_path: Path) -> None:
    kit.loaded(two_vintages, kit.sip_csv(tmp_path / "c.csv", 3, period="2024-09"),
               extra=("--vintage", "older"))
    with DuckDBStore(two_vintages, read_only=True) as store:
        assert store.resolve_vintage(None).name == "older"


def test_a_database_without_vintages_says_how_to_load_one(kit: Kit, tmp_path: Path) -> None:
    DuckDBStore(tmp_path / "empty.duckdb").close()
    result = kit.cli("gaps", "--db", tmp_path / "empty.duckdb")
    assert result.exit_code == 2
    assert "no vintages in" in kit.plain(result.stderr)
    assert "'wfplan ingest' or 'wfplan demo'" in kit.plain(result.stderr)


def test_ingest_without_vintage_still_writes_into_default(kit: Kit, hand_db: Path,
                                                         tmp_path: Path) -> None:
    db = tmp_path / "copy.duckdb"
    db.write_bytes(hand_db.read_bytes())
    result = kit.loaded(db, kit.sip_csv(tmp_path / "s.csv", 2))
    assert "vintage 'default'" in result.stdout
    assert set(kit.read_back(db, "SELECT name FROM vintages")["name"]) == {"hand", "default"}


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found += _commands(sub, (*path, name))
    return found


def test_every_help_with_vintage_says_what_the_default_is(kit: Kit) -> None:
    with_vintage = [path for path, command in _commands(typer.main.get_command(app))
                    if any("--vintage" in p.opts for p in getattr(command, "params", []))]
    assert {("metrics",), ("gaps",), ("project",), ("backtest",), ("ingest",)} <= set(
        with_vintage)
    for path in with_vintage:
        text = kit.plain(kit.cli(*path, "--help").stdout)
        if path == ("ingest",):
            assert "(default: 'default', whatever vintages the database holds)" in text
        else:
            assert "the only vintage in the database" in text, path
            assert "loaded most recently" in text, path
            assert "printed on stderr" in text, path


# -- the scenario's base_vintage, --vintage and the default ----------------------------


def _scenario(folder: Path, name: str, base: str | None) -> Path:
    path = folder / f"{name}.toml"
    line = f'base_vintage = "{base}"' if base else ""
    path.write_text(SCENARIO.format(name=name, base=line), encoding="utf-8")
    return path


def test_project_runs_on_base_vintage_then_vintage_then_the_default(
        kit: Kit, hand_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "both.duckdb"
    db.write_bytes(hand_db.read_bytes())
    with DuckDBStore(db) as store:
        hv.build(store, tmp_path)  # 'hand' again: nothing new
        plain = tmp_path / "plain"
        plain.mkdir()
        ingest(store, hv.files(plain)[:2], "later")  # loaded last: the default

    def vintage_of(*args: object) -> tuple[str, str]:
        out = tmp_path / "r.csv"
        result = kit.cli("project", *args, "--db", db, "--out", out)
        assert result.exit_code == 0, result.output
        meta = (tmp_path / "r.metadata.json").read_text(encoding="utf-8")
        return meta.split('"vintage": "')[1].split('"')[0], kit.plain(result.stderr)

    named = _scenario(tmp_path, "named", "hand")
    bare = _scenario(tmp_path, "bare", None)
    assert vintage_of(named) == ("hand", "")
    chosen, said = vintage_of(bare)
    assert chosen == "later"
    assert "using vintage 'later' (the most recently loaded of 2" in said
    chosen, said = vintage_of(named, "--vintage", "later")
    assert chosen == "later"
    assert "names base_vintage 'hand'; running it on --vintage 'later'" in said


# -- --period ----------------------------------------------------------------------


def test_period_accepts_a_month_as_that_months_census(kit: Kit, hand_db: Path) -> None:
    by_month = kit.cli("metrics", "--db", hand_db, "--period", "2023-03", "--format", "csv")
    by_day = kit.cli("metrics", "--db", hand_db, "--period", "2023-03-31", "--format", "csv")
    assert by_month.exit_code == 0, by_month.output
    assert by_month.stdout == by_day.stdout
    assert "2023-03-31" in by_month.stdout


def test_a_period_without_data_lists_the_periods_that_have_some(kit: Kit,
                                                                hand_db: Path) -> None:
    for period, day in (("2024-05", "2024-05-31"), ("2024-03-15", "2024-03-15")):
        result = kit.cli("metrics", "--db", hand_db, "--period", period)
        assert result.exit_code == 2, result.output
        text = kit.plain(result.stderr)
        assert f"--period {period}: vintage 'hand' has no staff in post on {day}" in text
        assert "periods with data: 2023-03-31, 2024-03-31, 2024-06-30" in text
    bad = kit.cli("metrics", "--db", hand_db, "--period", "March")
    assert bad.exit_code == 2
    assert "give YYYY-MM (that month's census) or YYYY-MM-DD" in kit.plain(bad.stderr)
    assert "Traceback" not in bad.output


def test_backtest_periods_accept_months_and_list_the_censuses(kit: Kit, hand_db: Path) -> None:
    result = kit.cli("backtest", "--db", hand_db, "--from", "2023-03", "--to", "2024-05")
    assert result.exit_code == 2
    assert "censuses: 2023-03-31, 2024-03-31, 2024-06-30" in kit.plain(result.stderr)


# -- scenarios shipped in the package --------------------------------------------------


def test_the_packaged_scenarios_are_the_repository_scenarios() -> None:
    from wfplan.runs.project import shipped_scenarios

    repository = sorted(p.name for p in (ROOT / "scenarios").glob("*.toml"))
    assert repository == sorted(p.name for p in PACKAGED.glob("*.toml")) == [
        "baseline.toml", "baseline_demand_high.toml", "baseline_demand_low.toml",
        "baseline_funding_high.toml", "baseline_funding_low.toml", "employer-hubs.toml",
        "ltwp.toml"]
    for name in repository:
        assert (PACKAGED / name).read_bytes() == (ROOT / "scenarios" / name).read_bytes(), name
    assert {n: p.resolve() for n, p in shipped_scenarios().items()} == {
        p.stem: (PACKAGED / p.name).resolve() for p in (ROOT / "scenarios").glob("*.toml")}


def test_the_packaged_scenarios_are_in_the_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["wfplan"]
    for path in PACKAGED.glob("*.toml"):
        relative = path.relative_to(ROOT / "src" / "wfplan").as_posix()
        assert any(fnmatch(relative, p) and "/" in p for p in patterns
                   if p.count("/") == relative.count("/")), relative


def test_scenarios_are_found_by_name_from_any_folder(kit: Kit, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from wfplan.runs.project import find_scenario, read_scenario

    monkeypatch.chdir(tmp_path)
    for name in ("baseline", "ltwp", "ltwp.toml", "employer-hubs"):
        result = kit.cli("scenario", "check", name)
        assert result.exit_code == 0, result.output
        assert f"valid scenario '{name.removesuffix('.toml')}'" in kit.plain(result.stdout)
    assert read_scenario("baseline").path.name == "baseline.toml"
    own = tmp_path / "baseline.toml"
    own.write_text(SCENARIO.format(name="mine", base=""), encoding="utf-8")
    assert find_scenario("baseline.toml") == Path("baseline.toml")  # a file here wins
    assert read_scenario("baseline.toml").scenario.name == "mine"
    missing = kit.cli("scenario", "check", "scenarios/baseline.toml")
    assert missing.exit_code == 2
    assert "shipped scenarios, named without a folder: baseline, baseline_demand_high, " \
        "baseline_demand_low, baseline_funding_high, baseline_funding_low, employer-hubs, ltwp" \
        in kit.plain(
        missing.stderr)


def test_an_assessment_config_may_name_shipped_scenarios(tmp_path: Path) -> None:
    config = AssessmentConfig(title="t", period="2026", vintage="v", seed=1,
                              scenarios=["baseline", "ltwp.toml"])
    paths = scenario_paths(config, tmp_path / "assessment.toml")
    assert [p.name for p in paths] == ["baseline.toml", "ltwp.toml"]
    assert all(p.parent == PACKAGED.resolve() for p in paths)
    (tmp_path / "baseline").write_text(SCENARIO.format(name="local", base=""), encoding="utf-8")
    assert scenario_paths(config, tmp_path / "assessment.toml")[0] == (
        tmp_path / "baseline").resolve()
