"""The NHS Long Term Workforce Plan 2023 re-run (``examples/ltwp-2023``), end to end.

Runs the commands of ``docs/ltwp-2023.md`` through the CLI in an empty folder:

    wfplan ingest examples/ltwp-2023/data/* --vintage ltwp-2023 --db l.duckdb
    wfplan assess examples/ltwp-2023/assessment.toml --db l.duckdb --out b
    wfplan verify b

then checks the published headline figures against the bundle's ``results.parquet``
(England, all staff groups). Model year 2022 is the census of 31 March 2022 (the end of
2021/22) and 2037 that of 31 March 2037 (the end of 2036/37).
"""

from __future__ import annotations

import html
import re
import tomllib
from pathlib import Path
from typing import cast

import pandas as pd
import pytest
from typer.testing import CliRunner

from wfplan.analysis.gaps import SECTORS
from wfplan.cli import app
from wfplan.dataset import codelists
from wfplan.report.format import value_range

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ltwp-2023"
ENGLAND = "E92000001"
BASE, END = 2022, 2037
runner = CliRunner()


def test_the_all_staff_group_is_no_workforce_sector() -> None:
    """``nhs_all_staff`` (sector ``other``) stands for a total across NHS trusts and general
    practice: the gap report and the demo still cover exactly the three workforce sectors."""
    sectors = {row["code"]: row["sector"] for row in codelists.get("staff_group").rows}
    assert sectors["nhs_all_staff"] == "other"
    assert codelists.workforce_sectors() == ("nhs_trust", "primary_care", "social_care")
    assert SECTORS == ("primary_care", "social_care", "nhs_trust")
    assert codelists.TOTALS_SECTOR == "other"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ingest the example's data into a new database and assess it, in an empty folder."""
    work = tmp_path_factory.mktemp("ltwp")
    files = sorted(str(p) for p in (EXAMPLE / "data").iterdir())
    db, out = str(work / "l.duckdb"), work / "b"
    ingest = runner.invoke(app, ["ingest", *files, "--vintage", "ltwp-2023", "--db", db])
    assert ingest.exit_code == 0, ingest.output
    assert "0 warning(s)" in ingest.output
    assess = runner.invoke(app, ["assess", str(EXAMPLE / "assessment.toml"), "--db", db,
                                 "--out", str(out)])
    assert assess.exit_code == 0, assess.output
    return out


@pytest.fixture(scope="module")
def england(bundle: Path) -> pd.DataFrame:
    """England all-staff rows of results.parquet, one column per statistic."""
    results = pd.read_parquet(bundle / "results.parquet")
    rows = results[(results["area"] == ENGLAND) & (results["staff_group"] == "all_staff_groups")]
    return rows.pivot_table(index=["scenario", "variable", "year"], columns="statistic",
                            values="value")


def _value(england: pd.DataFrame, scenario: str, variable: str, year: int,
           statistic: str = "p50") -> float:
    return float(cast(float, england.loc[(scenario, variable, year), statistic]))


def test_the_bundle_verifies(bundle: Path) -> None:
    result = runner.invoke(app, ["verify", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "VERIFIED" in result.output


def test_the_assessment_names_both_scenarios(england: pd.DataFrame) -> None:
    config = tomllib.loads((EXAMPLE / "assessment.toml").read_text(encoding="utf-8"))
    assert config["scenarios"] == ["without-action.toml", "with-plan.toml"]
    assert set(england.index.get_level_values("scenario")) == {"without_action", "with_plan"}


@pytest.mark.parametrize("scenario", ["without_action", "with_plan"])
def test_the_2021_22_position_is_the_published_one(england: pd.DataFrame, scenario: str) -> None:
    """About 1.4 million FTE in post and a shortfall of about 150,000 FTE (NAO 2024, para 1)."""
    supply = _value(england, scenario, "supply_fte", BASE)
    shortfall = _value(england, scenario, "gap_fte", BASE)
    assert 1.35e6 <= supply <= 1.45e6
    assert 140_000 <= shortfall <= 160_000


def test_demand_in_2036_37_is_2_3_to_2_4_million_fte(england: pd.DataFrame) -> None:
    """Demand of 2.3-2.4 million FTE by 2036/37, 65-72% above the 2021/22 supply (NAO 2024)."""
    demand = _value(england, "without_action", "demand_funded_fte", END)
    supply = _value(england, "without_action", "supply_fte", BASE)
    assert 2.3e6 <= demand <= 2.4e6
    assert 0.65 <= demand / supply - 1 <= 0.72


def test_the_without_action_shortfall_in_2036_37_is_the_published_range(
        england: pd.DataFrame) -> None:
    """260,000-360,000 FTE by 2036/37 without action (LTWP foreword), with its P5-P95."""
    p5, p50, p95 = (_value(england, "without_action", "gap_fte", END, s)
                    for s in ("p5", "p50", "p95"))
    print(f"without action, England shortfall March 2037: P50 {p50:,.0f} FTE "
          f"(P5 {p5:,.0f}, P95 {p95:,.0f})")
    assert 260_000 <= p50 <= 360_000
    assert p5 < p50 < p95
    assert p95 - p5 > 50_000  # the published range is an uncertainty, and so is this


def test_the_report_states_the_shortfall_with_its_p5_p95(bundle: Path,
                                                        england: pd.DataFrame) -> None:
    p5, p50, p95 = (_value(england, "without_action", "gap_fte", END, s)
                    for s in ("p5", "p50", "p95"))
    page = (bundle / "report.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))
    assert (f"all staff groups in England in {END} is {value_range(p50, p5, p95)} FTE"
            in text)


def test_the_plan_narrows_the_shortfall(england: pd.DataFrame) -> None:
    without = _value(england, "without_action", "gap_fte", END)
    with_plan = _value(england, "with_plan", "gap_fte", END)
    assert with_plan < without
    assert _value(england, "with_plan", "demand_funded_fte", END) == pytest.approx(
        _value(england, "without_action", "demand_funded_fte", END), rel=1e-12)


def test_the_typed_in_flows_are_the_published_rates() -> None:
    """The derived 2021/22 flows keep the plan's figures: a 9.1% leaver rate, about 1 in 4
    joiners international, and 2021 stock + joiners - leavers = the 1.4 million FTE."""
    data = EXAMPLE / "data"
    stock = pd.read_csv(data / "staff_in_post.csv").set_index("period")["fte"]
    flows = pd.read_csv(data / "flows.csv")
    joiners = flows[flows["direction"] == "joiner"].set_index("route")["fte"]
    leavers = float(flows.loc[flows["direction"] == "leaver", "fte"].sum())
    assert stock["2022-03-31"] == 1_400_000
    assert stock["2021-03-31"] + joiners.sum() - leavers == stock["2022-03-31"]
    assert leavers / stock["2021-03-31"] == pytest.approx(0.091, abs=1e-6)
    assert joiners["international"] / joiners.sum() == pytest.approx(0.25, abs=1e-5)
    vacancies = pd.read_csv(data / "vacancies.csv")
    assert vacancies["vacancy_fte"].sum() == 150_000
