"""Supply calibration from census trends: other joiners = leavers + the trend's net change."""

from __future__ import annotations

import numpy as np
import pytest

from wfplan.model import Coords, ModelInputs, Results, ScenarioError, parse_scenario, run
from wfplan.model.assumptions import Assumption

COORDS = Coords(area=("A", "B"), staff_group=("g", "h"), age_band=("young", "old"))
STOCK = np.array([[[30.0, 10.0], [8.0, 12.0]], [[5.0, 15.0], [40.0, 0.0]]])  # (A, G, K)
RATE = 0.1


def _inputs(linear: float = 0.2, log_linear: float = 0.3, se: float = 0.0,
            points: tuple[float, float] = (4.0, 0.0)) -> ModelInputs:
    cells = COORDS.label("area staff_group", np.full((2, 2), 0.0))
    held = (STOCK * RATE).sum(axis=2)  # no flows: other joiners replace leavers
    slope = {"linear": linear, "log_linear": log_linear}
    trends = {}
    for form, value in slope.items():
        trends[f"supply_trend_{form}"] = COORDS.label("area staff_group",
                                                      np.full((2, 2), value))
        trends[f"supply_trend_{form}_se"] = COORDS.label("area staff_group",
                                                         np.full((2, 2), se))
    return ModelInputs(
        coords=COORDS, base_year=2024,
        age_band_width=COORDS.label("age_band", [10.0, np.inf]),
        stock_hc=COORDS.label("area staff_group age_band", STOCK),
        leaver_rate=COORDS.label("area staff_group age_band", np.full(STOCK.shape, RATE)),
        joiner_age_profile=COORDS.label("staff_group age_band", [[0.6, 0.4], [0.5, 0.5]]),
        other_joiners=COORDS.label("area staff_group", held),
        fte_per_head=COORDS.label("area staff_group", np.ones((2, 2))),
        supply_trend_points=COORDS.label("staff_group", list(points)),
        vacancy_fte=cells, **trends)


def _supply(inputs: ModelInputs, **scenario: object) -> np.ndarray:
    spec = {"name": "x", "horizon": 5, "level": "england", **scenario}
    return run(inputs, parse_scenario(spec)).values("supply_hc")


def test_the_stock_follows_the_linear_trend_and_others_are_held() -> None:
    supply = _supply(_inputs())[0]  # (T+1, A, G)
    base = STOCK.sum(axis=2)
    t = np.arange(6)[:, None]
    np.testing.assert_allclose(supply[:, :, 0], base[:, 0] * (1 + 0.2 * t), rtol=1e-12)
    # h carries no trend (points 0): joiners replace leavers, as before
    np.testing.assert_allclose(supply[:, :, 1], np.broadcast_to(base[:, 1], (6, 2)), rtol=1e-12)


def test_the_log_linear_form_compounds() -> None:
    supply = _supply(_inputs(), parameters={"supply_trend_form": "log_linear"})[0]
    base = STOCK.sum(axis=2)[:, 0]
    t = np.arange(6)[:, None]
    np.testing.assert_allclose(supply[:, :, 0], base * np.exp(0.3 * t), rtol=1e-12)


@pytest.mark.parametrize("choice", ["no_change", "published_rates"])
def test_a_staff_group_can_choose_not_to_follow_its_trend(choice: str) -> None:
    inputs = _inputs()
    chosen = _supply(inputs, staff_group_parameters={"g": {"supply_calibration": choice}})
    held = _supply(_inputs(points=(0.0, 0.0)))
    np.testing.assert_array_equal(chosen, held)
    assumptions = run(inputs, parse_scenario({
        "name": "x", "horizon": 1, "level": "england",
        "staff_group_parameters": {"g": {"supply_calibration": choice}}})).metadata.assumptions
    assert any(a.name == "supply_calibration" and a.value == f"g: {choice}"
               for a in assumptions)


def test_a_trend_asked_for_where_there_is_none_is_recorded() -> None:
    results = run(_inputs(), parse_scenario({
        "name": "x", "horizon": 1, "level": "england",
        "parameters": {"supply_calibration": "trend"}}))
    found = {a.value: a.reason for a in results.metadata.assumptions
             if a.name == "supply_calibration"}
    assert "h: no_change" in found
    assert "no census trend" in found["h: no_change"]
    assert "g: trend" in found


def test_the_standard_error_spreads_the_draws_around_the_trend() -> None:
    supply = _supply(_inputs(se=0.05), draws=400, seed=3)
    base = STOCK.sum(axis=2)[:, 0]
    np.testing.assert_allclose(supply[0, 5, :, 0], base * 2.0, rtol=1e-12)  # principal
    sampled = supply[1:, 5, :, 0] / base  # 1 + slope x 5 with slope ~ N(0.2, 0.05)
    assert np.std(sampled[:, 0]) == pytest.approx(0.25, rel=0.15)
    assert np.mean(sampled[:, 0]) == pytest.approx(2.0, abs=0.05)
    np.testing.assert_allclose(sampled[:, 0], sampled[:, 1])  # areas move together
    again = _supply(_inputs(se=0.05), draws=400, seed=3)
    np.testing.assert_array_equal(supply, again)


def test_an_unknown_calibration_is_refused() -> None:
    with pytest.raises(ScenarioError, match="supply_calibration"):
        _supply(_inputs(), parameters={"supply_calibration": "guess"})


R_OBS = 0.05
PUBLISHED = np.array([[0.2, 0.1], [0.3, 0.15]])  # (G, K): not R_OBS anywhere
SOURCE = Assumption(name="leaver_rate", value=0.2, reason="test",
                    source="evidence library test, row leaver_test_row (published): a test",
                    tier="evidence")


def _with_flows() -> ModelInputs:
    """Both groups with flows: observed leaver rate R_OBS, other joiners 3 a year per cell."""
    return ModelInputs(
        coords=COORDS, base_year=2024,
        age_band_width=COORDS.label("age_band", [10.0, np.inf]),
        stock_hc=COORDS.label("area staff_group age_band", STOCK),
        leaver_rate=COORDS.label("area staff_group age_band", np.full(STOCK.shape, R_OBS)),
        published_leaver_rate=COORDS.label("staff_group age_band", PUBLISHED),
        published_leaver_rate_sources={"g": SOURCE},
        joiner_age_profile=COORDS.label("staff_group age_band", [[0.6, 0.4], [0.5, 0.5]]),
        other_joiners=COORDS.label("area staff_group", np.full((2, 2), 3.0)),
        fte_per_head=COORDS.label("area staff_group", np.ones((2, 2))))


def _run_flows(choice: str) -> Results:
    return run(_with_flows(), parse_scenario({
        "name": "x", "horizon": 2, "level": "england",
        "staff_group_parameters": {"g": {"supply_calibration": choice}}}))


def test_published_rates_replace_the_observed_leaver_rates() -> None:
    results = _run_flows("published_rates")
    leavers = results.values("leavers_hc")[0, 1]  # (A, G) in year 1
    # by hand: g's published rates x its base stock, by age band; h keeps R_OBS
    np.testing.assert_allclose(leavers[:, 0], (STOCK[:, 0] * PUBLISHED[0]).sum(axis=1),
                               rtol=1e-12)
    np.testing.assert_allclose(leavers[:, 1], STOCK[:, 1].sum(axis=1) * R_OBS, rtol=1e-12)
    # joiners stay as the inputs give them
    np.testing.assert_allclose(results.values("joiners_other_hc")[0, 1], 3.0, rtol=1e-12)
    used = [a for a in results.metadata.assumptions if a.name == "published_leaver_rate"]
    assert len(used) == 1
    assert "staff group g" in used[0].reason
    assert "leaver_test_row" in str(used[0].source)
    assert used[0].tier == "evidence"
    assert used[0].value == [0.2, 0.1]


@pytest.mark.parametrize("choice", ["auto", "no_change"])
def test_other_choices_keep_the_observed_leaver_rates(choice: str) -> None:
    results = _run_flows(choice)
    leavers = results.values("leavers_hc")[0, 1]
    np.testing.assert_allclose(leavers, STOCK.sum(axis=2) * R_OBS, rtol=1e-12)
    assert not any(a.name == "published_leaver_rate" for a in results.metadata.assumptions)


def test_published_rates_without_a_source_say_so() -> None:
    inputs = _inputs(points=(0.0, 0.0))  # no published rates given: the default, 0.1
    results = run(inputs, parse_scenario({
        "name": "x", "horizon": 3, "level": "england",
        "parameters": {"supply_calibration": "published_rates"}}))
    # joiners replace leavers at 0.1 = the default published rate: the stock is held
    np.testing.assert_allclose(results.values("supply_hc")[0, 3], STOCK.sum(axis=2),
                               rtol=1e-12)
    used = [a for a in results.metadata.assumptions if a.name == "published_leaver_rate"]
    assert [a.value for a in used] == [0.1, 0.1]
    assert all("no source came with the inputs" in a.reason for a in used)


def test_published_rates_must_be_every_draws_choice() -> None:
    with pytest.raises(ScenarioError, match="every draw"):
        run(_with_flows(), parse_scenario({
            "name": "x", "horizon": 1, "level": "england", "draws": 20, "seed": 1,
            "staff_group_parameters": {"g": {"supply_calibration": {
                "dist": "choice", "options": ["published_rates", "no_change"],
                "central": "published_rates"}}}}))
