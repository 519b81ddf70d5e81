"""Social care supply from the asc_workforce returns, on a hand-made vintage.

Providers P1 (ICB QMJ, London Y56) and P2 (QT6, South West Y58), social care.
Staff in post at 31 March 2025 (BASE): direct care 100 heads (90 FTE) at P1 and
50 (40 FTE) at P2; regulated professions 10 (10 FTE) at P2. Flows 31 March 2024
-> BASE: P1's direct care lose 30 and gain 5 international recruits, so without
the returns direct care in Y56 leaves at 30%.

The returns are those of tests/test_asc_workforce.py (31 March 2025):

- Y56 (L1, Camden): direct care (care + senior care workers) 50 filled, 5 vacant,
  14 starters, 12 leavers: leaver rate 12 / 50, joiners 14 / 50 x 100 heads = 28,
  vacancy FTE 5 / 50 x 100 x 0.9 = 9;
- Y58 (L2, Cornwall): direct care 30 filled, 6 vacant, 9 starters, 9 leavers: 9 / 30,
  9 / 30 x 50 = 15, 6 / 30 x 50 x 0.8 = 8; registered nurses (regulated
  professions) 5 filled, 1 vacant, 1 starter, 2 leavers: 2 / 5, 1 / 5 x 10 = 2;
- L3 (Hertfordshire, no ICB) counts for England only: England's direct care is
  50 + 30 + 20 = 100 filled, 12 + 9 + 4 = 25 leavers and 14 + 9 + 5 = 28 starters,
  so joiners 28 / 100 x 150 heads.

At organisation level the returns are not read (providers are not locations).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from test_asc_workforce import HEADER, LOOKUP, ROWS
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.inputs.build import build_inputs

BASE, START = "2025-03-31", "2024-03-31"
DC, RP = "asc_direct_care", "asc_regulated_professions"
ORGS = [("P1", "Provider 1", "Care home", "social_care", "QMJ", "Y56"),
        ("P2", "Provider 2", "Care home with nursing", "social_care", "QT6", "Y58")]
STAFF = [(period, *row) for period in (START, BASE) for row in (
    ("P1", DC, "25_29", 100, 90.0), ("P2", DC, "25_29", 50, 40.0),
    ("P2", RP, "25_29", 10, 10.0))]
FLOWS = [(START, BASE, "P1", DC, "25_29", "leaver", "voluntary", 30),
         (START, BASE, "P1", DC, "25_29", "joiner", "international", 5)]


def _csv(path: Path, rows: list[tuple[object, ...]], columns: list[str]) -> Path:
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


def _vintage(store: DuckDBStore, folder: Path, vintage: str, returns: bool) -> None:
    files = [
        _csv(folder / "orgs.csv", ORGS,
             ["org_code", "name", "org_type", "sector", "icb_code", "region_code"]),
        _csv(folder / "staff.csv", STAFF,
             ["period", "org_code", "staff_group", "age_band", "headcount", "fte"]),
        _csv(folder / "flows.csv", FLOWS,
             ["period_start", "period_end", "org_code", "staff_group", "age_band",
              "direction", "route", "headcount"]),
    ]
    if returns:
        lookup = folder / "la_icb_lookup.csv"
        lookup.write_text(LOOKUP, encoding="utf-8")
        path = folder / "asc_workforce.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(["" if v is None else v for v in row] for row in ROWS)
        files += [lookup, path]
    ingest(store, files, vintage)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("asc_supply")
    path = folder / "asc.duckdb"
    with DuckDBStore(path) as store:
        for vintage, returns in (("with", True), ("without", False)):
            (folder / vintage).mkdir()
            _vintage(store, folder / vintage, vintage, returns)
    return path


def _at(inputs, name, area, group):
    array = inputs.array(name)
    return array[inputs.coords.area.index(area), inputs.coords.staff_group.index(group)]


def test_the_returns_give_social_care_leaver_rates_joiners_and_vacancies_by_region(db: Path):
    with DuckDBStore(db, read_only=True) as store:
        inputs = build_inputs(store, "with", level="region", demography=False)
    np.testing.assert_allclose(_at(inputs, "leaver_rate", "Y56", DC), 12 / 50)
    np.testing.assert_allclose(_at(inputs, "leaver_rate", "Y58", DC), 9 / 30)
    np.testing.assert_allclose(_at(inputs, "leaver_rate", "Y58", RP), 2 / 5)
    assert _at(inputs, "other_joiners", "Y56", DC) == pytest.approx(14 / 50 * 100)
    assert _at(inputs, "other_joiners", "Y58", DC) == pytest.approx(9 / 30 * 50)
    assert _at(inputs, "other_joiners", "Y58", RP) == pytest.approx(1 / 5 * 10)
    # the returns' starters are every route: the flows' international recruits are in them
    assert _at(inputs, "international_joiners", "Y56", DC) == 0.0
    assert _at(inputs, "vacancy_fte", "Y56", DC) == pytest.approx(5 / 50 * 100 * 0.9)
    assert _at(inputs, "vacancy_fte", "Y58", DC) == pytest.approx(6 / 30 * 50 * 0.8)
    assert _at(inputs, "vacancy_fte", "Y58", RP) == pytest.approx(1 / 5 * 10 * 1.0)
    used = {a.name: a for a in inputs.assumptions}
    assert used["asc_workforce"].value == "2025-03-31"


def test_at_england_the_unplaced_location_counts(db: Path):
    with DuckDBStore(db, read_only=True) as store:
        inputs = build_inputs(store, "with", level="england", demography=False)
    england = inputs.coords.area[0]
    np.testing.assert_allclose(_at(inputs, "leaver_rate", england, DC), 25 / 100)
    assert _at(inputs, "other_joiners", england, DC) == pytest.approx(28 / 100 * 150)


def test_an_icb_without_returns_takes_the_national_rate_and_org_level_reads_flows(db: Path):
    with DuckDBStore(db, read_only=True) as store:
        icb = build_inputs(store, "with", level="icb", demography=False)
        org = build_inputs(store, "with", level="org", demography=False)
        plain = build_inputs(store, "without", level="org", demography=False)
    # regulated professions report only in QT6: QMJ has none in post, QT6 its own rate
    np.testing.assert_allclose(_at(icb, "leaver_rate", "QT6", RP), 2 / 5)
    np.testing.assert_allclose(_at(icb, "leaver_rate", "QMJ", DC), 12 / 50)
    # organisation level: providers are not locations; the flows' 30% stays, and it says so
    np.testing.assert_allclose(_at(org, "leaver_rate", "P1", DC), 0.3)
    assert "not read" in {a.name: a.value for a in org.assumptions}.values()
    np.testing.assert_array_equal(org.array("leaver_rate"), plain.array("leaver_rate"))


def test_a_vintage_without_returns_is_read_as_before(db: Path):
    with DuckDBStore(db, read_only=True) as store:
        inputs = build_inputs(store, "without", level="region", demography=False)
    np.testing.assert_allclose(_at(inputs, "leaver_rate", "Y56", DC), 0.3)
    assert _at(inputs, "international_joiners", "Y56", DC) == pytest.approx(5.0)
    assert "asc_workforce" not in {a.name for a in inputs.assumptions}


PAY_SCENARIO = """
name = "care_pay"
base_vintage = "with"
horizon = 2
level = "region"
draws = 0
seed = 3
staff_groups = ["asc_direct_care"]

[[interventions]]
name = "pay_rise"
type = "care_worker_pay"
staff_group = "{group}"
start_year = 2026
amount = 10
comparator = "the National Living Wage"
annual_pay = 22000
source = "test: a 10% rise relative to the National Living Wage"
owner = "tests"
"""


def _leavers(run, variable: str) -> np.ndarray:
    return run.results.variable(variable).values[0, 1]


def test_a_pay_rise_cuts_direct_care_leavers_by_three_points_on_the_returns(db: Path,
                                                                          tmp_path: Path):
    from wfplan.runs.project import project

    path = tmp_path / "pay.toml"
    path.write_text(PAY_SCENARIO.format(group=DC), encoding="utf-8")
    with DuckDBStore(db, read_only=True) as store:
        with_pay = project(store, [path])[0]
        path.write_text(PAY_SCENARIO.format(group=DC).split("[[interventions]]")[0],
                        encoding="utf-8")
        without = project(store, [path])[0]
    item = with_pay.scenario.interventions[0]
    spread = item.separation_cut_per_pay_point
    assert (spread.low, spread.mode, spread.high) == (0.001, 0.003, 0.005)
    assert "Vadean" in item.relation_source
    # the returns' rates: Y56 24% of 100 heads, Y58 30% of 50; r0 = 39 / 150 = 26%
    base = _leavers(without, "leavers_hc").sum()
    cut = _leavers(with_pay, "leavers_hc").sum()
    assert base == pytest.approx(100 * 12 / 50 + 50 * 9 / 30, rel=1e-9)
    # 10% x 0.3 points = 3 points fewer of the 150 heads leave in the first year
    assert base - cut == pytest.approx(0.03 * 150, rel=1e-9)


def test_a_pay_rise_outside_social_care_is_refused_in_words(db: Path, tmp_path: Path):
    from typer.testing import CliRunner

    from wfplan.cli import app

    path = tmp_path / "pay.toml"
    text = PAY_SCENARIO.format(group="hchs_doctors")
    path.write_text(text.replace('staff_groups = ["asc_direct_care"]\n', ""), encoding="utf-8")
    result = CliRunner().invoke(app, ["project", str(path), "--db", str(db)])
    assert result.exit_code != 0
    text = " ".join(result.output.split())
    assert ("interventions[0] (care_worker_pay): staff_group 'hchs_doctors' is not an adult "
            "social care staff group or role") in text
    assert "Traceback" not in result.output
