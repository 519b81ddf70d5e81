"""A running job's progress is recorded as it moves on, not only at each heartbeat.

With the default stale timeout (120 s) the heartbeat beats every 30 s, so a job
shorter than that showed no progress at all until it ended: the bug this tests.
The server here beats every 100 s; the job must still be seen part-way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobs_util import scenario_text, submit, wait
from live import start

if TYPE_CHECKING:
    from pathlib import Path

    from conftest import DemoBuild


def test_progress_is_seen_before_the_first_heartbeat(demo_vintage: DemoBuild,
                                                     tmp_path: Path) -> None:
    server = start(str(demo_vintage.copy(tmp_path / "demo.duckdb")), tmp_path,
                   extra=("--stale-after", "400"))
    try:
        _, job_id = submit(server, scenario_text("svc-progress"), seed=5, draws=30)
        seen = wait(server, job_id)
    finally:
        server.stop()
    assert seen[-1]["status"] == "done", seen[-1]
    running = [s for s in seen if s["status"] == "running" and 0.0 < s["progress"] < 1.0]
    assert running, seen
    assert len({s["message"] for s in running}) >= 2, running
