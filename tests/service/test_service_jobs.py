"""Scenarios and jobs through the API, on a real server, on DuckDB and PostgreSQL (issue 13).

A job submitted through the API runs, reports its progress, and its results are
those of ``wfplan project`` on the same scenario and seed (run in a subprocess, once
for the whole run, on the DuckDB demo: ``cli_projection``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from jobs_util import EQUAL, frame, results, scenario_text, submit, wait

if TYPE_CHECKING:
    from pathlib import Path

    from live import Server


def test_a_job_runs_reports_progress_and_equals_wfplan_project(
        server: Server, cli_projection: Path) -> None:
    _, job_id = submit(server, EQUAL["text"], seed=EQUAL["seed"], draws=EQUAL["draws"])
    seen = wait(server, job_id)
    final = seen[-1]
    assert final["status"] == "done", final
    assert final["progress"] == 1.0
    assert final["attempts"] == 1
    fractions = [s["progress"] for s in seen]
    assert fractions == sorted(fractions), "progress went backwards"
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert any(s["status"] == "running" and 0.0 < s["progress"] < 1.0 for s in seen), seen
    body = results(server, job_id)
    assert (body["seed"], body["draws"], body["vintage"]) == (11, 30, "demo")
    # The CLI on the file the DuckDB server's copy was made from (that server holds its
    # copy for writing), whose files the PostgreSQL demo loaded: the same 'demo' vintage
    # on both engines (the kill test compares on the very same file).
    expected = pq.read_table(cli_projection).to_pandas()
    got = frame(body)
    assert body["total"] == len(expected)
    pd.testing.assert_frame_equal(got.drop(columns="value"), expected.drop(columns="value"),
                                  check_exact=True)
    # bit for bit: the inputs' float sums are taken in one fixed order (issue 12)
    assert np.array_equal(got["value"].to_numpy(float), expected["value"].to_numpy(float),
                          equal_nan=True)


def test_scenarios_validate_keep_list_and_read(server: Server) -> None:
    national = server.client("national")
    text = scenario_text("svc-kept")
    checked = national.post("/api/v1/scenarios/validate", json={"toml": text})
    assert checked.status_code == 200
    assert checked.json()["name"] == "svc-kept"
    made = national.post("/api/v1/scenarios", json={"toml": text})
    assert made.status_code == 201
    scenario_id = made.json()["scenario_id"]
    assert made.headers["location"] == f"/api/v1/scenarios/{scenario_id}"
    one = national.get(f"/api/v1/scenarios/{scenario_id}").json()
    assert one["toml"] == text
    assert one["summary"]["level"] == "region"
    listed = [s["scenario_id"] for s in national.get("/api/v1/scenarios").json()]
    assert scenario_id in listed
    audit = server.get("national", "/api/v1/audit", params={"action": "scenario.create"}).json()
    assert any(scenario_id in row["detail"] for row in audit)


@pytest.mark.parametrize(("text", "column"), [
    ('name = "x"\nhorizon = 500\nlevel = "icb"\n', "horizon"),
    ('name = "x"\nhorizon = 5\nlevel = "nowhere"\n', "level"),
    ("this is = not toml [", None),
])
def test_an_invalid_scenario_is_422_with_rows(server: Server, text: str,
                                              column: str | None) -> None:
    for path in ("/api/v1/scenarios", "/api/v1/scenarios/validate"):
        answer = server.client("national").post(path, json={"toml": text})
        assert answer.status_code == 422, answer.text
        rows = answer.json()
        assert rows
        assert all(set(r) == {"file", "row", "column", "value", "rule"} for r in rows)
        if column is not None:
            assert any(column in str(r["column"]) for r in rows), rows


def test_who_may_run_and_see_what(server: Server) -> None:
    text = scenario_text("svc-scope")
    assert server.client(None).post("/api/v1/scenarios", json={"toml": text}).status_code == 401
    assert server.client("org").post("/api/v1/scenarios", json={"toml": text}).status_code == 403
    scenario_id, job_id = submit(server, text, role="region", draws=10)
    # another user's scenario and job are 404, not 403 (ids are random)
    icb = server.client("icb")
    assert icb.get(f"/api/v1/scenarios/{scenario_id}").status_code == 404
    assert icb.post(f"/api/v1/scenarios/{scenario_id}/runs", json={}).status_code == 404
    assert icb.get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert icb.get(f"/api/v1/jobs/{job_id}/results").status_code == 404
    assert server.client(None).get(f"/api/v1/jobs/{job_id}").status_code == 401
    assert server.client("org").get(f"/api/v1/jobs/{job_id}").status_code == 404
    assert wait(server, job_id, role="region")[-1]["status"] == "done"
    areas = {r["area"] for r in results(server, job_id, role="region")["rows"]}
    assert areas == {"Y56"}  # its region only: no other region, not England
    every = {r["area"] for r in results(server, job_id, role="national")["rows"]}
    assert len(every) > 2
    assert "Y56" in every
    audit = server.get("national", "/api/v1/audit", params={"action": "scenario.run"}).json()
    assert any(job_id in row["detail"] and row["actor"] == "t-region" for row in audit)


def test_results_before_done_and_bad_ids(server: Server) -> None:
    national = server.client("national")
    for bad in ("../../etc", "x' OR '1'='1", "0" * 40):
        assert national.get(f"/api/v1/jobs/{bad}").status_code in (404, 422)
        assert national.get(f"/api/v1/scenarios/{bad}").status_code in (404, 422)
    assert national.get("/api/v1/jobs/0123456789abcdef").status_code == 404


def test_results_are_refused_when_the_file_changed(server: Server, tmp_path: Path) -> None:
    _, job_id = submit(server, scenario_text("svc-tamper"), draws=5)
    assert wait(server, job_id)[-1]["status"] == "done"
    folder = server.log.parent / "results" / job_id
    target = folder / "projection.parquet"
    kept = target.read_bytes()
    target.write_bytes(kept[:-1] + bytes([kept[-1] ^ 1]))
    try:
        answer = server.client("national").get(f"/api/v1/jobs/{job_id}/results")
        assert answer.status_code == 410, answer.text
    finally:
        target.write_bytes(kept)
    assert server.client("national").get(f"/api/v1/jobs/{job_id}/results").status_code == 200
