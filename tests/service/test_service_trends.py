"""``/api/v1/trends`` against a real server on the demo vintage on both engines (issue 14)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from wfplan.analysis import trends as t
from wfplan.dataset.store import DuckDBStore

if TYPE_CHECKING:
    from live import Server

    from conftest import DemoBuild

TRENDS = "/api/v1/trends"


def test_the_trend_is_the_analysis_series_with_its_spc(
    server: Server, demo_vintage: DemoBuild
) -> None:
    answer = server.get(
        "national", TRENDS, params={"measure": "sickness_rate", "level": "icb", "area": "QMJ"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        expected = t.trend(store, t.TrendQuery("demo", "sickness_rate", "icb", "QMJ"))
    assert [p["period"] for p in body["points"]] == list(expected.points["period"])
    assert [p["value"] for p in body["points"]] == pytest.approx(
        [float(v) for v in expected.points["value"]], rel=1e-12
    )
    assert expected.spc is not None
    spc = body["spc"]
    assert spc["mean"] == pytest.approx(expected.spc.mean, rel=1e-12)
    assert spc["upper_process_limit"] == pytest.approx(expected.spc.upper, rel=1e-12)
    assert spc["variation_icon"] in {
        "common_cause",
        "improvement_low",
        "improvement_high",
        "concern_low",
        "concern_high",
    }
    assert {p["point_type"] for p in body["points"]} <= {"common_cause", "improvement", "concern"}
    assert body["improvement"] == "lower"
    assert body["unit"] == "proportion"
    assert body["source"]
    assert body["period"] == "April 2024 to March 2025"
    assert body["controlled"] is False
    spec = server.get(None, "/api/openapi.json").json()
    assert TRENDS in spec["paths"]
    assert {"Trend", "TrendPoint", "Spc"} <= set(spec["components"]["schemas"])


def test_every_measure_of_an_icb_answers_on_both_engines_as_the_analysis_gives_it(
    server: Server, demo_vintage: DemoBuild
) -> None:
    # On PostgreSQL the vacancy rate's series ran into the 60 s statement timeout (503):
    # its pairing of vacancy periods with censuses was a correlated subquery run per row.
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        measures = t.available(store, "demo")
        expected = {m: t.trend(store, t.TrendQuery("demo", m, "icb", "QMJ")) for m in measures}
    assert "vacancy_rate" in measures
    for measure in measures:
        answer = server.get(
            "national", TRENDS, params={"measure": measure, "level": "icb", "area": "QMJ"}
        )
        assert answer.status_code == 200, (measure, answer.text[:300])
        values = [p["value"] for p in answer.json()["points"]]
        assert values == pytest.approx(
            [float(v) for v in expected[measure].points["value"]], rel=1e-12
        ), measure


def test_an_icb_user_gets_its_icb_and_is_refused_others(server: Server) -> None:
    mine = server.get("icb", TRENDS, params={"measure": "staff_in_post_headcount", "level": "icb"})
    assert mine.status_code == 200, mine.text
    assert mine.json()["area_code"] == "QMJ"
    for params in (
        {"level": "icb", "area": server.codes.icb_other_region},
        {"level": "region", "area": "Y56"},
        {"level": "england"},
        {"level": "org", "area": server.codes.org_other_region},
    ):
        refused = server.get("icb", TRENDS, params={"measure": "staff_in_post_fte", **params})
        assert refused.status_code == 403, params
    assert (
        server.get(
            "icb",
            TRENDS,
            params={"measure": "staff_in_post_fte", "level": "org", "area": server.codes.org},
        ).status_code
        == 200
    )


def test_org_level_trends_are_audited(server: Server) -> None:
    org = server.codes.org
    answer = server.get("org", TRENDS, params={"measure": "staff_in_post_fte", "level": "org"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["area_code"] == org
    rows = server.get("national", "/api/v1/audit", params={"limit": 1000}).json()
    reads = [r for r in rows if r["action"] == "read.trends" and r["actor"] == "t-org"]
    assert reads
    assert org in str(reads[-1]["detail"])


def test_the_public_sees_icbs_under_disclosure_control(server: Server) -> None:
    body = server.get(
        None, TRENDS, params={"measure": "staff_in_post_headcount", "level": "icb", "area": "QMJ"}
    ).json()
    assert body["controlled"] is True
    assert body["disclosure"]
    assert all(p["value"] % 5 == 0 for p in body["points"])
    assert (
        server.get(
            None,
            TRENDS,
            params={"measure": "staff_in_post_headcount", "level": "org", "area": server.codes.org},
        ).status_code
        == 403
    )


def test_bad_requests(server: Server) -> None:
    assert server.get("national", TRENDS, params={"measure": "nope"}).status_code == 422
    assert server.get("national", TRENDS).status_code == 422
    assert (
        server.get(
            "national", TRENDS, params={"measure": "sickness_rate", "level": "icb"}
        ).status_code
        == 422
    )
    assert (
        server.get(
            "national", TRENDS, params={"measure": "sickness_rate", "vintage": "nope"}
        ).status_code
        == 404
    )
    assert (
        server.get(
            "national", TRENDS, params={"measure": "sickness_rate", "level": "org", "area": "NOPE1"}
        ).status_code
        == 404
    )
