"""The burnout–sickness estimate (analysis/wellbeing.py) and ``wfplan wellbeing``.

The estimate is checked on the vintage of every real publication against an
independent computation from the raw files (pandas and ``numpy.polyfit``), and
its standard error against the closed form of HC1 for one regressor on a small
hand-made case. The intervention it feeds is tested in
tests/model/test_model_wellbeing.py (hand-computed) and here (filled from the
real estimate: the size the estimate implies).
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from shared_data import real
from wfplan.analysis.wellbeing import NoWellbeingData, estimate, fit_line
from wfplan.cli.main import app
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.model import Coords, ModelInputs, parse_scenario, run
from wfplan.model.distributions import Normal
from wfplan.runs.wellbeing import fill_wellbeing, wellbeing_parameters

TRUST_TYPES = ("Acute", "Mental Health", "Community Provider Trust", "Ambulance")


def _raw_points() -> pd.DataFrame:
    """Each trust's pooled burnout (%) and sickness (%) straight from the published files."""
    survey = pd.read_csv(real("staff_survey", "nhs_staff_survey_org_results_2021-2023.csv"))
    survey = survey.dropna(subset=["Burned_out_rate", "Burned_out_base"])
    survey = survey[survey["Burned_out_base"] > 0]
    survey = survey.assign(burned=survey["Burned_out_rate"] * survey["Burned_out_base"])
    pooled = survey.groupby("ODS code")[["burned", "Burned_out_base"]].sum()
    burnout = (pooled["burned"] / pooled["Burned_out_base"]).rename("burnout")
    files = sorted(real("nhs_sickness_absence").glob("nhs_sickness_absence_20*.csv"))
    sickness = pd.concat(pd.read_csv(p) for p in files)
    sickness = sickness[sickness["ORG_TYPE"].isin(TRUST_TYPES)]
    days = sickness.groupby("ORG_CODE")[["FTE_DAYS_LOST", "FTE_DAYS_AVAILABLE"]].sum()
    rate = (100 * days["FTE_DAYS_LOST"] / days["FTE_DAYS_AVAILABLE"]).rename("sickness")
    return pd.concat([burnout, rate], axis=1, join="inner")


@pytest.fixture(scope="module")
def real_store(real_vintage):
    if not real_vintage.db.exists():
        pytest.fail(f"the real vintage was not built: {real_vintage.result.stderr[-2000:]}")
    with DuckDBStore(real_vintage.db, read_only=True) as store:
        yield store


def test_the_estimate_on_the_real_files_has_its_trusts_interval_and_data(real_store):
    found = estimate(real_store, "real")
    raw = _raw_points()
    slope, intercept = np.polyfit(raw["burnout"], raw["sickness"], 1)
    assert found.fit.n == len(raw) == len(found.points)
    assert sorted(found.points["org_code"]) == sorted(raw.index)
    assert found.fit.slope == pytest.approx(slope, rel=1e-9)
    assert found.fit.intercept == pytest.approx(intercept, rel=1e-9)
    assert found.fit.low < found.fit.slope < found.fit.high
    assert found.fit.high - found.fit.low == pytest.approx(2 * 1.959964 * found.fit.se, rel=1e-6)
    assert found.survey_years == (2021, 2023)
    assert [m.isoformat() for m in found.sickness_months] == ["2024-04-30", "2025-03-31"]
    assert found.correlation == pytest.approx(np.corrcoef(raw["burnout"], raw["sickness"])[0, 1])
    assert found.trimmed.n == found.fit.n - len(found.excluded)


def test_hc1_standard_error_is_the_closed_form_for_one_regressor():
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    y = np.array([1.0, 1.5, 3.5, 3.0, 6.0])
    line = fit_line(x, y)
    dx = x - x.mean()
    slope = (dx * (y - y.mean())).sum() / (dx**2).sum()
    resid = y - (y.mean() + slope * dx)
    n = len(x)
    hc1 = n / (n - 2) * (dx**2 * resid**2).sum() / (dx**2).sum() ** 2
    assert line.slope == pytest.approx(slope, rel=1e-12)
    assert line.se == pytest.approx(math.sqrt(hc1), rel=1e-12)
    assert line.n == 5


def test_wfplan_wellbeing_prints_the_estimate_its_interval_trusts_and_limits(real_vintage,
                                                                           real_store):
    found = estimate(real_store, "real")
    result = subprocess.run([sys.executable, "-m", "wfplan.cli", "wellbeing", "--db",
                             str(real_vintage.db), "--vintage", "real"], capture_output=True,
                            text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert f"n = {found.fit.n} trusts" in text
    assert f"95% CI {found.fit.low:.4f} to {found.fit.high:.4f}" in text
    assert f"{found.fit.slope:.4f} percentage points of sickness absence" in text
    assert "2021-2023" in text
    assert "2024-04 to 2025-03" in text
    assert "association, not causation" in text.lower()
    assert "burnout_turnover_clinicians_2019" in text


def test_a_vintage_without_the_staff_survey_is_refused_in_words(tmp_path: Path):
    db = tmp_path / "sick.duckdb"
    with DuckDBStore(db) as store:
        ingest(store, [real("nhs_sickness_absence", "nhs_sickness_absence_2024-04.csv")], "v")
        with pytest.raises(NoWellbeingData, match="no staff survey"):
            estimate(store, "v")
    result = CliRunner().invoke(app, ["wellbeing", "--db", str(db)])
    assert result.exit_code != 0
    assert "no staff survey burned_out rows" in result.output
    assert "Traceback" not in result.output


def _one_cell(stock: float, leaver_rate: float) -> ModelInputs:
    coords = Coords(area=("A",), staff_group=("g",), age_band=("a",))
    return ModelInputs(
        coords=coords, base_year=2024,
        age_band_width=coords.label("age_band", [np.inf]),
        stock_hc=coords.label("area staff_group age_band", np.full((1, 1, 1), stock)),
        leaver_rate=coords.label("area staff_group age_band", np.full((1, 1, 1), leaver_rate)),
        joiner_age_profile=coords.label("staff_group age_band", np.ones((1, 1))),
        other_joiners=coords.label("area staff_group", np.zeros((1, 1))),
        fte_per_head=coords.label("area staff_group", np.ones((1, 1))),
    )


def test_a_wellbeing_intervention_filled_from_the_real_estimate_moves_supply_by_its_size(
        real_store):
    params = wellbeing_parameters(real_store, "real")
    scenario = parse_scenario({
        "name": "wellbeing", "horizon": 2, "level": "icb", "draws": 200, "seed": 7,
        "interventions": [{"type": "wellbeing", "staff_group": "g", "amount": 5.0,
                           "start_year": 2025, "source": "test", "owner": "tests"}]})
    filled = fill_wellbeing(scenario, params)
    item = filled.interventions[0]
    assert item.sickness_per_burnout_point == Normal(
        dist="normal", mean=params.sickness.fit.slope, sd=params.sickness.fit.se,
        low=-1.0, high=1.0)
    results = run(_one_cell(1000.0, 0.1), filled)
    fit, s0, p0 = params.sickness.fit, params.sickness.mean_sickness, params.sickness.mean_burnout
    ratio = params.leavers.ratio
    # principal draw: the estimate's slope and the published ratio, by hand
    leaver_rate = 0.1 * (1 - (ratio - 1) * 0.05 / (1 + (ratio - 1) * p0))
    hc = 1000.0 * (1 - leaver_rate)
    fte = hc * (1 + fit.slope * 0.05 / (1 - s0))
    assert results.variable("leavers_hc").values[0, 1, 0, 0] == pytest.approx(
        1000.0 * leaver_rate, rel=1e-12)
    assert results.variable("supply_fte").values[0, 1, 0, 0] == pytest.approx(fte, rel=1e-12)
    # every draw: the FTE gain over the headcount is its own slope's, drawn around the estimate
    slopes = results.sampled["interventions.[0].sickness_per_burnout_point"]
    gain = (results.variable("supply_fte").values[:, 1, 0, 0]
            / results.variable("supply_hc").values[:, 1, 0, 0] - 1)
    np.testing.assert_allclose(gain, slopes * 0.05 / (1 - s0), rtol=1e-10)
    assert abs(slopes[1:].mean() - fit.slope) < 4 * fit.se / math.sqrt(200)
    assert slopes[1:].std() == pytest.approx(fit.se, rel=0.25)
    names = [a["name"] for a in results.metadata.record()["assumptions"]]
    assert "interventions[0].sickness_per_burnout_point" in names


def test_the_tornado_moves_the_wellbeing_relations_like_any_drawn_quantity():
    from wfplan.runs.tornado import quantities, with_value

    scenario = parse_scenario({
        "name": "wb", "horizon": 2, "level": "icb", "draws": 10, "seed": 1,
        "interventions": [{
            "type": "wellbeing", "name": "wb", "staff_group": "g", "amount": 5.0,
            "start_year": 2025, "source": "test", "owner": "tests",
            "sickness_per_burnout_point": {"dist": "normal", "mean": 0.02, "sd": 0.01},
            "base_sickness_rate": 0.05, "base_burnout_rate": 0.3,
            "log_leaver_ratio": {"dist": "normal", "mean": 0.45, "sd": 0.2}}]})
    moved = {q.key: q for q in quantities(scenario)}
    slope = moved["interventions.wb.sickness_per_burnout_point"]
    assert slope.central == 0.02
    assert slope.points == pytest.approx((0.02 - 1.645 * 0.01, 0.02 + 1.645 * 0.01))  # P5, P95
    assert "interventions.wb.log_leaver_ratio" in moved
    changed = with_value(scenario, "interventions.wb.sickness_per_burnout_point", 0.05)
    assert changed.interventions[0].sickness_per_burnout_point == 0.05
    assert changed.interventions[0].amount == 5.0


def test_the_estimate_is_the_same_on_postgresql(tmp_path: Path):
    import psycopg

    import backends
    from pg_copy import pg_copy

    backends.require_postgres()
    files = [real("staff_survey", "nhs_staff_survey_org_results_2021-2023.csv"),
             *sorted(real("nhs_sickness_absence").glob("nhs_sickness_absence_20*.csv"))]
    with DuckDBStore(tmp_path / "wb.duckdb") as store:
        ingest(store, files, "wb")
        duck = estimate(store, "wb")
        with pg_copy(psycopg, store) as pg:
            on_pg = estimate(pg, "wb")
    assert on_pg.fit == duck.fit
    assert on_pg.survey_years == duck.survey_years
    assert on_pg.sickness_months == duck.sickness_months
    pd.testing.assert_frame_equal(on_pg.points, duck.points)
