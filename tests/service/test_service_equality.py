"""``/api/v1/equality`` against a real server on the demo vintage on both engines (issue 16)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pytest
from live import ICB, REGION

from wfplan.analysis.equality import model_employer, wres_indicator1
from wfplan.dataset.store import DuckDBStore
from wfplan.inputs.equality import leaver_fallback

if TYPE_CHECKING:
    from live import Server

    from conftest import DemoBuild

EQUALITY = "/api/v1/equality"


def test_national_answer_is_the_analysis_s(server: Server, demo_vintage: DemoBuild) -> None:
    answer = server.get("national", EQUALITY, params={"level": "icb"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        wres = wres_indicator1(store, "demo", "icb")
        employer = model_employer(store, "demo", "icb", fallback=leaver_fallback())
    assert body["level"] == "icb"
    assert body["controlled"] is False
    assert len(body["wres"]) == len(wres.frame)
    shares = wres.frame["ethnic_minority_share"]
    assert [r["ethnic_minority_share"] for r in body["wres"]] == [
        None if pd.isna(v) else pytest.approx(float(v)) for v in shares]
    assert [r["minority_appointments"] for r in body["trajectory"]] == pytest.approx(
        list(employer.trajectory["minority_appointments"]))
    assert body["base"] == employer.base.isoformat()  # type: ignore[union-attr]
    spec = server.get(None, "/api/openapi.json").json()
    assert EQUALITY in spec["paths"]


def test_an_icb_role_sees_only_its_icb_and_not_a_region(server: Server) -> None:
    answer = server.get("icb", EQUALITY, params={"level": "icb"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {r["area_code"] for r in body["wres"]} == {ICB}
    assert {r["area_code"] for r in body["trajectory"]} == {ICB}
    assert server.get("icb", EQUALITY, params={"level": "region"}).status_code == 403
    region = server.get("region", EQUALITY, params={"level": "region"}).json()
    assert {r["area_code"] for r in region["wres"]} == {REGION}


def test_the_public_gets_figures_derived_from_controlled_counts(server: Server) -> None:
    body = server.get(None, EQUALITY, params={"level": "icb"}).json()
    assert body["controlled"] is True
    assert body["disclosure"]
    shown = [r for r in body["wres"] if not r["suppressed"]]
    assert shown
    assert all(r["known_headcount"] % 5 == 0 for r in shown)
    at_base = server.get(None, EQUALITY, params={"level": "icb", "period": body["base"]})
    hidden = {(r["area_code"], r["grade"]) for r in at_base.json()["wres"]
              if r["suppressed"] and r["role"] is None}
    assert hidden, "the demo has ICB bands of 1 to 4 ethnic-minority staff"
    assert not hidden & {(r["area_code"], r["grade"]) for r in body["trajectory"]}
    for goal in body["goals"]:
        assert goal["known_headcount"] % 5 == 0
        assert goal["minority_headcount"] % 5 == 0


def test_posted_goals_are_applied_and_a_bad_one_is_422(server: Server) -> None:
    client = server.client("national")
    goals = {"goals": [{"area_code": ICB, "grade": "band_8a", "target_year": 2030,
                        "target_share": 0.5, "leaver_rate": 0.1, "promotion_rate": 0.05}]}
    answer = client.post(EQUALITY, params={"vintage": "demo", "level": "icb"}, json=goals)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [(g["area_code"], g["grade"]) for g in body["goals"]] == [(ICB, "band_8a")]
    goal = body["goals"][0]
    first = body["trajectory"][0]
    share = goal["base_share"] + (0.5 - goal["base_share"]) / (2030 - int(goal["base_period"][:4]))
    assert first["minority_appointments"] == pytest.approx(
        share * goal["known_headcount"] - 0.85 * goal["minority_headcount"])
    bad = client.post(EQUALITY, params={"vintage": "demo"},
                      json={"goals": [{"grade": "band_7", "target_year": 2030,
                                       "target_share": 3}]})
    assert bad.status_code == 422
    assert "goals[1]: target_share: 3 is not a fraction from 0 to 1" in bad.text
