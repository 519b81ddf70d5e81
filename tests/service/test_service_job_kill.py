"""No job is silently lost: a worker killed (SIGKILL) mid-job, on DuckDB and PostgreSQL.

A running job whose worker stops sending heartbeats is put back in the queue
once and run again; killed a second time, it is marked failed with the reason.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from jobs_util import cli_project, frame, results, scenario_text, submit, wait
from live import start, start_worker

from wfplan.dataset.store import is_postgres_url

if TYPE_CHECKING:
    import subprocess
    from pathlib import Path

    from live import Server

    from conftest import DemoBuild

#: A run long enough to be killed in the middle of.
LONG = {"level": "icb", "draws": 300, "horizon": 15}
#: As long a run at region level: killed as soon as it is seen running too, but with a
#: fifth of the result rows (the test reads them all through the API, 200,000 a page).
RESTARTED = {**LONG, "level": "region"}


def _kill(process: subprocess.Popen[bytes]) -> None:
    assert process.poll() is None, "the process ended before it was killed"
    process.send_signal(signal.SIGKILL)
    process.wait(30)


def test_a_server_killed_mid_job_runs_it_again_after_restart(
        demo_vintage: DemoBuild, tmp_path: Path) -> None:
    db = str(demo_vintage.copy(tmp_path / "jobs.duckdb"))
    text = scenario_text("svc-killed", **RESTARTED)
    server = start(db, tmp_path)
    try:
        _, job_id = submit(server, text, seed=5)
        first = wait(server, job_id, until=("running", "done", "failed"))[-1]
        assert first["status"] == "running", first
        assert first["attempts"] == 1, first
        _kill(server.process)  # its worker is a thread of the server
    finally:
        server.stop()
    again = start(db, tmp_path, again=server)
    try:
        seen = wait(again, job_id)
        body = results(again, job_id)
    finally:
        again.stop()
    assert seen[-1]["status"] == "done", seen[-1]
    assert seen[-1]["attempts"] == 2, seen[-1]
    # its worker died with the server: after the restart it was re-queued and run again
    assert "attempt 2" in seen[-1]["message"], seen[-1]
    expected = pq.read_table(cli_project(db, text, tmp_path / "cli", seed=5,
                                         draws=300)).to_pandas()  # the very same file
    got = frame(body)
    pd.testing.assert_frame_equal(got.drop(columns="value"), expected.drop(columns="value"),
                                  check_exact=True)
    assert np.array_equal(got["value"].to_numpy(float), expected["value"].to_numpy(float),
                          equal_nan=True)


def test_a_worker_killed_twice_fails_the_job_with_the_reason(server: Server) -> None:
    if not is_postgres_url(server.db):
        pytest.skip("DuckDB runs its worker in the server (the test above kills that)")
    folder = server.log.parent
    _, job_id = submit(server, scenario_text("svc-killed-twice", **LONG), seed=6)
    for attempt in (1, 2):
        state = wait(server, job_id, until=("running",), attempts=attempt)[-1]
        assert state["status"] == "running", state
        assert state["attempts"] == attempt, state
        assert server.worker is not None
        _kill(server.worker)
        # the next worker finds the heartbeat stale: re-queues the job once, then fails it
        server.worker = start_worker(server.db, folder)
    final = wait(server, job_id)[-1]
    assert final["status"] == "failed", final
    assert "after 2 attempts" in final["message"], final
    assert "stopped sending heartbeats" in final["message"], final
    answer = server.client("national").get(f"/api/v1/jobs/{job_id}/results")
    assert answer.status_code == 409
    assert "failed" in answer.json()["detail"]
