"""Academic years dated to census years: an intake counts from the census year it starts in.

An academic year ``Y/Y+1`` starts on 1 September ``Y``. With a March census its
intake falls in the census year to March ``Y+1``; with a September census in the
one to September ``Y``. Completers of a ``d``-year course then arrive ``d``
census years later, after they finish (docs/model.md).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import handmade_vintage as hv
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.inputs.build import build_inputs
from wfplan.inputs.source import Assumptions
from wfplan.inputs.training import intake_census_year, last_known_start, read_training
from wfplan.model import parse_scenario, run


@pytest.fixture
def education_only(tmp_path: Path) -> DuckDBStore:
    path = tmp_path / "education.csv"
    pd.DataFrame([("2023/24", "U1", "BSc Nursing", hv.N, "Y56", 100, 0.8, 3.0),
                  ("2024/25", "U1", "BSc Nursing", hv.N, "Y56", 200, 0.8, 3.0)],
                 columns=hv.EDUCATION_COLUMNS).to_csv(path, index=False)
    store = DuckDBStore(tmp_path / "t.duckdb")
    ingest(store, [path], "t")
    return store


@pytest.mark.parametrize(("census", "expected"), [
    (date(2025, 3, 31), 2025), (date(2024, 8, 31), 2025), (date(2024, 9, 30), 2024),
    (date(2024, 12, 31), 2024), (date(2025, 6, 30), 2025)])
def test_the_2024_25_intake_counts_in_the_census_year_containing_1_september_2024(
        census: date, expected: int) -> None:
    assert intake_census_year(2024, census) == expected


def test_an_intake_is_known_once_it_has_started() -> None:
    assert last_known_start(date(2024, 3, 31)) == 2023  # 2024/25 starts in September
    assert last_known_start(date(2024, 8, 31)) == 2023
    assert last_known_start(date(2024, 9, 30)) == 2024


def test_a_march_census_dates_each_academic_year_to_the_census_year_after_it_starts(
        education_only: DuckDBStore) -> None:
    training = read_training(education_only, "t", (hv.N,), date(2025, 3, 31), Assumptions())
    assert training is not None
    assert training.years == (2024, 2025)  # 2023/24 → year to March 2024; 2024/25 → 2025
    assert training.places[:, 0].tolist() == [100, 200]


def test_a_september_census_dates_each_academic_year_to_the_census_year_it_starts(
        education_only: DuckDBStore) -> None:
    assumptions = Assumptions()
    training = read_training(education_only, "t", (hv.N,), date(2024, 9, 30), assumptions)
    assert training is not None
    assert training.years == (2023, 2024)
    assert training.places[:, 0].tolist() == [100, 200]
    assert any(a.name == "training_places years" for a in assumptions.records)


def test_intakes_starting_after_the_known_date_are_left_out(
        education_only: DuckDBStore) -> None:
    march = read_training(education_only, "t", (hv.N,), date(2024, 3, 31), Assumptions(),
                          known_at=date(2024, 3, 31))
    assert march is not None
    assert march.years == (2024,)  # 2024/25 starts in September 2024, after the census
    september = read_training(education_only, "t", (hv.N,), date(2024, 9, 30), Assumptions(),
                              known_at=date(2024, 9, 30))
    assert september is not None
    assert september.years == (2023, 2024)  # 2024/25 started on 1 September


def test_newly_qualified_from_a_march_census_arrive_after_they_complete(tmp_path: Path) -> None:
    # 2023/24 (100 places) and 2024/25 (1,000 places), 3-year courses, base March 2024.
    # The 2024/25 cohort starts in September 2024, finishes in summer 2027 and first
    # counts at the March 2028 census, not March 2027.
    with DuckDBStore(tmp_path / "h.duckdb") as store:
        hv.build_with_education(store, tmp_path / "files", "march", [
            ("2023/24", "U1", "BSc Nursing", hv.N, "Y56", 100, 0.8, 3.0),
            ("2024/25", "U1", "BSc Nursing", hv.N, "Y56", 1000, 0.8, 3.0)])
        inputs = build_inputs(store, "march", hv.BASE, "england", demography=False)
    results = run(inputs, parse_scenario({"name": "x", "horizon": 5, "level": "england"}))
    nurses = inputs.coords.staff_group.index(hv.N)
    joiners = results.values("joiners_newly_qualified_hc")[0][:, 0, nurses]
    per_place = 0.8 * float(inputs.array("take_up_rate")[nurses])
    # year t is the census year 2024 + t: 2027 gets the 2023/24 cohort, 2028 the 2024/25
    assert joiners[3] == pytest.approx(100 * per_place)
    assert joiners[4] == pytest.approx(1000 * per_place)
    assert np.isnan(joiners[0])
