"""The skills-gap view in the assessment report (docs/skills.md, issue 17).

An assessment of the demo vintage whose scenario projects nurses by field
(``roles``): the bundle carries ``tables/skills_gap.parquet``, its figures are
those of ``wfplan project`` on the same scenario (:func:`wfplan.runs.skills.skills_headline`),
the report shows them in a table, and ``wfplan verify`` recomputes and re-renders it.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wfplan.assessment.bundle import assess
from wfplan.assessment.skills import SKILLS_TABLE, skills_years
from wfplan.assessment.verify import verify
from wfplan.dataset.store import DuckDBStore
from wfplan.report import format as fmt
from wfplan.runs.project import project
from wfplan.runs.skills import HEADLINE_COLUMNS, skills_headline

if TYPE_CHECKING:
    from conftest import DemoBuild

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "src" / "wfplan" / "data" / "demo_baseline.toml"
DRAWS, SEED, HORIZON = 10, 7, 15


@pytest.fixture(scope="module")
def bundle(demo_vintage: DemoBuild, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("skills-report")
    scenario = folder / "fields.toml"
    text = BASELINE.read_text(encoding="utf-8")
    scenario.write_text('roles = ["nurses_health_visitors"]\n' + text, encoding="utf-8")
    config = folder / "assessment.toml"
    config.write_text(f'title = "Skills assessment"\nperiod = "2026"\nvintage = "demo"\n'
                      f'scenarios = ["{scenario}"]\nhorizon = {HORIZON}\ndraws = {DRAWS}\n'
                      f'seed = {SEED}\nlevel = "region"\n', encoding="utf-8")
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        assess(store, config, folder / "bundle")
    return {"bundle": folder / "bundle", "scenario": scenario, "db": demo_vintage.db}


def _projected(world: dict[str, Path]) -> pd.DataFrame:
    """The skills headline of ``wfplan project`` on the same scenario, draws and seed."""
    with DuckDBStore(world["db"], read_only=True) as store:
        [run] = project(store, [world["scenario"]], vintage="demo", draws=DRAWS, seed=SEED,
                        level="region")
    return skills_headline(run.table, skills_years(HORIZON), ("E92000001",))


def test_the_bundle_carries_the_skills_table_of_wfplan_project(bundle: dict[str, Path]) -> None:
    table = pd.read_parquet(bundle["bundle"] / "tables" / f"{SKILLS_TABLE}.parquet")
    expected = _projected(bundle)
    assert list(table.columns) == HEADLINE_COLUMNS
    assert set(table["horizon"]) == {5, 10, 15}
    assert {"nurse_adult", "nurse_mental_health", "nurses_health_visitors"} <= set(
        table["staff_group"])
    pd.testing.assert_frame_equal(table.reset_index(drop=True), expected, check_dtype=False)
    # the results of the assessment stay by staff group: no role's rows
    results = pd.read_parquet(bundle["bundle"] / "results.parquet", columns=["staff_group"])
    assert "nurse_adult" not in set(results["staff_group"])


def test_the_report_shows_the_table_and_verify_reproduces_it(bundle: dict[str, Path]) -> None:
    marked = (bundle["bundle"] / "report.html").read_text(encoding="utf-8")
    page = " ".join(html.unescape(re.sub(r"<[^>]+>", "", marked)).split())
    assert "Skills gaps in England by role: shortfall and surplus" in page
    expected = _projected(bundle)
    row = expected[(expected["staff_group"] == "nurse_mental_health")
                   & (expected["variable"] == "shortfall_fte")
                   & (expected["horizon"] == 15)].iloc[0]
    shown = fmt.value_range(row["p50"], row["p5"], row["p95"])
    assert shown in page
    verdict = verify(bundle["bundle"])
    assert verdict.ok, [str(f) for f in verdict.findings]
    assert verdict.checked["tables"] >= 6


def test_editing_a_figure_of_the_skills_table_fails_verify(bundle: dict[str, Path],
                                                           tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(bundle["bundle"], copy)
    path = copy / "tables" / f"{SKILLS_TABLE}.parquet"
    table = pq.read_table(path)
    values = table.column("p50").to_pylist()
    values[0] += 1.0
    position = table.schema.get_field_index("p50")
    pq.write_table(table.set_column(position, "p50", pa.array(values, pa.float64())), path)
    verdict = verify(copy)
    assert not verdict.ok
    assert any(f"tables/{SKILLS_TABLE}.parquet" in str(f) for f in verdict.findings)


def test_a_group_the_assessment_cannot_split_is_refused_naming_the_file(
    bundle: dict[str, Path]
) -> None:
    # doctors have grades in the role code list, but neither the demo's rows nor the role
    # shares table give them: the assessment cannot project them by role, and says so
    from dataclasses import replace

    from wfplan.assessment.config import AssessmentConfig
    from wfplan.assessment.skills import skills_tables
    from wfplan.errors import InputError
    from wfplan.runs.project import ScenarioFile, read_scenario, with_overrides

    source = read_scenario(bundle["scenario"])
    with DuckDBStore(bundle["db"], read_only=True) as store:
        [run] = project(store, [BASELINE], vintage="demo", draws=0, level="region")
        doctors = with_overrides(run.scenario, roles=["hchs_doctors"])
        config = AssessmentConfig(title="t", period="2026", vintage="demo",
                                  scenarios=[str(bundle["scenario"])], horizon=HORIZON,
                                  draws=0, seed=SEED, level="region")
        with pytest.raises(InputError, match=r"fields\.toml: roles: .*hchs_doctors"):
            skills_tables(store, config, [ScenarioFile(source.path, doctors, source.sha256)],
                          [replace(run, scenario=doctors)],
                          pd.Timestamp(run.metadata["base_period"]).date())


def test_an_assessment_by_role_uses_the_vintages_own_role_rows(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    # the hand-made vintage gives nurses by field (adult, mental health): its extracts keep
    # the role, so the table has those two fields (the role shares table would give four),
    # split as the data is: ICB QMJ's 2 vacant FTE, 88 adult and 54 mental health nurses
    import handmade_fields as hf

    folder = tmp_path_factory.mktemp("fields-assessment")
    db = folder / "f.duckdb"
    with DuckDBStore(db) as store:
        hf.build(store, folder / "roles")
    scenario = hf.scenario(folder)
    config = folder / "a.toml"
    config.write_text(f'title = "Fields"\nperiod = "2026"\nvintage = "fields"\n'
                      f'scenarios = ["{scenario}"]\nhorizon = 5\ndraws = 0\nseed = 1\n'
                      'level = "icb"\n', encoding="utf-8")
    with DuckDBStore(db, read_only=True) as store:
        assess(store, config, folder / "bundle")
    staff = pd.read_parquet(folder / "bundle" / "inputs" / "staff_in_post.parquet")
    assert set(staff["role"].dropna()) == {hf.ADULT, hf.MH}
    table = pd.read_parquet(folder / "bundle" / "tables" / f"{SKILLS_TABLE}.parquet")
    short = table[table["variable"] == "shortfall_fte"].set_index("staff_group")["p50"]
    assert set(short.index) == {hf.ADULT, hf.MH, hf.N}
    assert short[hf.ADULT] == pytest.approx(2 * 88 / 142, rel=1e-9)
    assert short[hf.MH] == pytest.approx(2 * 54 / 142, rel=1e-9)
    # the fields' shortfalls sum to the group's gap in the assessment's own results
    results = pd.read_parquet(folder / "bundle" / "results.parquet")
    gap = results[(results["area"] == "E92000001") & (results["staff_group"] == hf.N)
                  & (results["variable"] == "gap_fte") & (results["year"] == 2029)
                  & (results["statistic"] == "p50")]["value"]
    assert short[hf.N] == pytest.approx(float(gap.iloc[0]), rel=1e-9)
    verdict = verify(folder / "bundle")
    assert verdict.ok, [str(f) for f in verdict.findings]
