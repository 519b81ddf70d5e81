"""Supply calibration from census trends: other joiners = leavers + the trend's net change."""

from __future__ import annotations

import numpy as np
import pytest

from wfplan.model import Coords, ModelInputs, ScenarioError, parse_scenario, run

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
    assert "h: published_rates" in found
    assert "no census trend" in found["h: published_rates"]
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
