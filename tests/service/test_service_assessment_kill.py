"""An assessment job whose server is killed (SIGKILL) mid-bundle: never listed half written.

The DuckDB server runs its worker in its own process, so killing it kills the job
while ``assess`` is writing the bundle in its hidden folder. Until the restarted
server's worker has run the job again, ``GET /assessments`` does not list the
bundle; then the job is done on its second attempt, the bundle is listed and
verifies, and the hidden folder of the killed attempt is gone.
"""

from __future__ import annotations

import hashlib
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from jobs_util import (
    ASSESSMENT,
    JOB_S,
    SCENARIOS,
    check_assessment_progress,
    download_bundle,
    same_manifest,
    same_tables,
)
from live import start

from wfplan.assessment.verify import verify

if TYPE_CHECKING:
    from live import Server

    from conftest import DemoBuild


#: The job's progress once ``assess`` works in the bundle's hidden folder: its first
#: step, extracting the inputs (wfplan.web.assessment_job); the checks before are outside.
INSIDE = 0.05


def _until_inside(server: Server, job_id: str) -> dict[str, Any]:
    """Poll the job until ``assess`` is at work inside the bundle's hidden folder, or ends.

    (Killed then, the attempt has the least work done, which is all run again.)
    """
    deadline = time.monotonic() + JOB_S
    while time.monotonic() < deadline:
        state = dict(server.client("national").get(f"/api/v1/jobs/{job_id}").json())
        if state["status"] in ("done", "failed") or state["progress"] >= INSIDE:
            return state
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not start its bundle within {JOB_S} s")


def _listed(server: Server) -> set[str]:
    return {b["name"] for b in server.get("national", "/api/v1/assessments").json()}


def _done_never_listed_before(server: Server, job_id: str, name: str,
                              folder: Path) -> list[dict[str, Any]]:
    """Poll the job until it ends, checking at each poll that its bundle is listed only whole.

    The bundle appears at once, when ``assess`` renames its finished folder into place,
    which may be a moment before the job is marked done: listed, it has its manifest.
    Returns the states seen, the last one final.
    """
    deadline = time.monotonic() + JOB_S
    seen: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        state = dict(server.client("national").get(f"/api/v1/jobs/{job_id}").json())
        seen.append(state)
        if state["status"] in ("done", "failed"):
            return seen
        if name in _listed(server):
            assert (folder / name / "manifest.json").is_file(), state
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not end within {JOB_S} s")


def _served(server: Server, job_id: str, folder: Path) -> Path:
    """Download the job's bundle through the API; check its digest is the job's."""
    answer = server.client("national").get(f"/api/v1/jobs/{job_id}/results")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["manifest"]["vintage"], body["manifest"]["draws"]) == ("demo", 0)
    served = download_bundle(server, body["files"], folder / body["name"])
    manifest = (served / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest).hexdigest() == body["sha256"]
    return served


@pytest.mark.slow
def test_a_killed_assessment_is_never_listed_half_written_and_runs_again(
    demo_vintage: DemoBuild, cli_assessment: Path, tmp_path: Path
) -> None:
    """Also the DuckDB case of test_service_assessment_job.py: what the API serves of the
    bundle verifies and equals ``wfplan assess`` (one assessment fewer for the suite)."""
    db = str(demo_vintage.copy(tmp_path / "assess.duckdb"))
    folder = tmp_path / "results" / "assessments"
    server = start(db, tmp_path)
    try:
        queued = server.client("national").post(
            "/api/v1/assessments", json={"toml": ASSESSMENT, "scenarios": SCENARIOS}
        )
        assert queued.status_code == 202, queued.text
        job_id = str(queued.json()["job_id"])
        name = f"assessment-{job_id}"
        state = _until_inside(server, job_id)
        assert state["status"] == "running", state
        assert [p for p in folder.iterdir() if p.name.startswith(".")], "no hidden folder"
        assert name not in _listed(server)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(30)
    finally:
        server.stop()
    again = start(db, tmp_path, again=server)
    try:
        seen = _done_never_listed_before(again, job_id, name, folder)
        assert (seen[-1]["status"], seen[-1]["attempts"]) == ("done", 2), seen[-1]
        # the killed attempt's progress stays until the job is queued again (at 0); the
        # first attempt was seen at work above, the second may end between two polls
        check_assessment_progress([state for state in seen if state["attempts"] == 2],
                                  on_the_way=False)
        assert name in _listed(again)
        served = _served(again, job_id, tmp_path / "served")
    finally:
        again.stop()
    assert not [p for p in folder.iterdir() if p.name.startswith(".")], list(folder.iterdir())
    assert verify(folder / name).ok
    verdict = verify(served)
    assert verdict.ok, verdict.findings
    same_tables(served, cli_assessment)
    same_manifest(served, cli_assessment)
