"""The education_programmes template: loading, bad input, newly qualified supply by region.

Hand-made case (tests/handmade_vintage.py: nurses in London, Y56, ICB QMJ, and the
South West, Y58, ICB QJK; base census 31 March 2024, so 2023/24 is intake year 2024):

- U1 (university, Y56): 100 starters, attrition 10% in year 1 and 5% in year 2, so
  completion 0.9 x 0.95 = 0.855; take-up 0.9: 100 x 0.855 x 0.9 = 76.95 joiners;
- C1 (FE college, Y58): 50 starters, completion 0.8, take-up 0.5: 20 joiners.

Nationally: 150 places, completion (85.5 + 40) / 150, take-up 96.95 / 125.5, duration
(100 x 3 + 50 x 2) / 150 = 2.67, rounded to 3; so each region's newly qualified joiners,
three years after intake, are its own programmes' 76.95 and 20.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import handmade_vintage as hv
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.inputs.build import build_inputs
from wfplan.inputs.programmes import row_completion
from wfplan.model import parse_scenario, run

COLUMNS = ["academic_year", "provider", "provider_type", "region", "programme", "staff_group",
           "places", "starters", "duration_years", "attrition_year_1", "attrition_year_2",
           "completion_rate", "take_up_rate"]
ROWS = [("2023/24", "U1", "university", "Y56", "BSc Nursing", hv.N, 120, 100, 3, 0.1, 0.05,
         None, 0.9),
        ("2023/24", "C1", "fe_college", "Y58", "Nursing associate", hv.N, None, 50, 2, None,
         None, 0.8, 0.5)]
JOINERS = {"Y56": 100 * 0.9 * 0.95 * 0.9, "Y58": 50 * 0.8 * 0.5}


def _programmes(path: Path, rows: list[tuple[object, ...]] = ROWS) -> Path:
    pd.DataFrame(rows, columns=COLUMNS).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("programmes")
    path = folder / "hand.duckdb"
    with DuckDBStore(path) as store:
        ingest(store, [*hv.files(folder), _programmes(folder / "education_programmes.csv")],
               "prog")
        hv.build(store, folder)
    return path


def test_completion_comes_from_attrition_when_not_given() -> None:
    frame = pd.DataFrame(ROWS, columns=COLUMNS)
    for k in (3, 4, 5):
        frame[f"attrition_year_{k}"] = np.nan
    assert row_completion(frame).tolist() == pytest.approx([0.9 * 0.95, 0.8])


def test_the_template_loads_and_reads_back(db: Path) -> None:
    with DuckDBStore(db, read_only=True) as store:
        rows = store.query("SELECT provider, provider_type, region, starters, completion_rate "
                           "FROM education_programmes WHERE vintage = 'prog' ORDER BY provider")
    assert rows.values.tolist()[0][:4] == ["C1", "fe_college", "Y58", 50]
    assert rows["provider_type"].tolist() == ["fe_college", "university"]


@pytest.mark.parametrize("level", ["region", "icb"])
def test_newly_qualified_supply_by_region_is_each_regions_programmes(db: Path,
                                                                     level: str) -> None:
    with DuckDBStore(db, read_only=True) as store:
        inputs = build_inputs(store, "prog", hv.BASE, level)
    # the education table's years are 2023 and 2024; the programmes' 2024 series is held
    # flat before its first year (as the model holds any series), and replaces it
    assert inputs.training_places.coords["year"] == (2023, 2024)
    assert inputs.training_places.sel(staff_group=hv.N).values.tolist() == [150.0, 150.0]
    assert inputs.completion_rate.sel(staff_group=hv.N).values == pytest.approx(125.5 / 150)
    assert inputs.take_up_rate.sel(staff_group=hv.N).values == pytest.approx(96.95 / 125.5)
    assert inputs.training_duration.sel(staff_group=hv.N).values == 3
    scenario = parse_scenario({"name": "s", "horizon": 4, "level": level, "draws": 0,
                               "seed": 1})
    results = run(inputs, scenario)
    flow = results.variable("joiners_newly_qualified_hc")
    year = list(results.years).index(2027)  # intake year 2024 + 3 years
    areas = {"Y56": "Y56", "Y58": "Y58"} if level == "region" else {"Y56": "QMJ", "Y58": "QJK"}
    g = list(results.staff_groups).index(hv.N)
    for region, area in areas.items():
        a = list(results.areas).index(area)
        assert flow.values[0, year, a, g] == pytest.approx(JOINERS[region], rel=1e-12)


def test_without_programmes_the_inputs_are_as_before(db: Path) -> None:
    with DuckDBStore(db, read_only=True) as store:
        inputs = build_inputs(store, hv.VINTAGE, hv.BASE, "region")
    names = [a.name for a in inputs.assumptions]
    assert "newly qualified joiners by region" not in names
    # the education table's route (tests/test_inputs.py): 150 and 120 places
    assert inputs.training_places.sel(staff_group=hv.N).values.tolist() == [150, 120]


def _bad(tmp_path: Path, change: dict) -> Path:
    frame = pd.DataFrame(ROWS, columns=COLUMNS)
    for key, value in change.items():
        frame[key] = frame[key].astype(object)
        frame.loc[1, key] = value
    return _programmes(tmp_path / "education_programmes.csv",
                       list(frame.itertuples(index=False, name=None)))


@pytest.mark.parametrize(("change", "column", "rule"), [
    ({"completion_rate": 1.5}, "completion_rate", "must be ≤ 1 (rule: completion_rate ≤ 1)"),
    ({"take_up_rate": -0.1}, "take_up_rate", "must be ≥ 0 (rule: take_up_rate ≥ 0)"),
    ({"starters": "many"}, "starters", "many"),
])
def test_bad_programme_rows_are_refused_naming_file_row_and_column(
        kit, base_db: Path, tmp_path: Path, change: dict, column: str, rule: str) -> None:
    message = kit.refused(base_db, _bad(tmp_path, change))
    assert "education_programmes.csv, row 2 (line 3)" in message
    assert f"column '{column}'" in message
    assert rule in message


def test_an_unknown_provider_type_is_a_warning_naming_the_row(kit, base_db: Path,
                                                             tmp_path: Path) -> None:
    result = kit.loaded(base_db, _bad(tmp_path, {"provider_type": "school"}))
    text = kit.plain(result.output)
    assert "education_programmes.csv: column 'provider_type': 'school' matches no known " \
        "code (1 rows, first at row 2 (line 3))" in text
