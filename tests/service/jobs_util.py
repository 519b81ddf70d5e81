"""Helpers of the job tests: a small scenario, submitting it, waiting for its job, the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from live import Server

#: Seconds a job may take in the tests (every wait is bounded).
JOB_S = 600
_DATA = resources.files("wfplan").joinpath("data")
#: The demo assessment (``wfplan/data/demo_assessment.toml``) with no Monte Carlo draws
#: (the least ``wfplan assess`` takes) and a five-year horizon, to keep the suite quick.
ASSESSMENT = re.sub(r"(?m)^horizon = \d+$", "horizon = 5", re.sub(
    r"(?m)^draws = \d+$", "draws = 0", _DATA.joinpath("demo_assessment.toml").read_text()))
#: Its scenario files, by the names it gives them.
SCENARIOS = {name: _DATA.joinpath(name).read_text(encoding="utf-8")
             for name in ("demo_baseline.toml", "demo_ltwp.toml")}


def scenario_text(name: str, *, level: str = "region", draws: int = 40,
                  horizon: int = 5) -> str:
    """Return a valid scenario's TOML on the demo vintage."""
    return (f'name = "{name}"\nhorizon = {horizon}\nlevel = "{level}"\n'
            f'staff_groups = "all"\ndraws = {draws}\nseed = 3\nbase_vintage = "demo"\n')


#: The job kind each way of submitting a kept scenario queues (its path under the scenario).
KINDS = {"runs": "project", "sensitivity": "sensitivity"}


def submit(server: Server, text: str, role: str = "national", *, action: str = "runs",
           **options: Any) -> tuple[str, str]:
    """Keep the scenario and queue a job on it: a run (``action="runs"``, the default) or a
    sensitivity analysis (``action="sensitivity"``), with ``options`` as the body; return
    the scenario's and the job's ids."""
    client = server.client(role)
    made = client.post("/api/v1/scenarios", json={"toml": text})
    assert made.status_code == 201, made.text
    scenario_id = made.json()["scenario_id"]
    queued = client.post(f"/api/v1/scenarios/{scenario_id}/{action}", json=options)
    assert queued.status_code == 202, queued.text
    assert queued.headers["location"] == f"/api/v1/jobs/{queued.json()['job_id']}"
    assert queued.json()["kind"] == KINDS[action]
    return scenario_id, str(queued.json()["job_id"])


def wait(server: Server, job_id: str, until: tuple[str, ...] = ("done", "failed"),
         role: str = "national", attempts: int = 0) -> list[dict[str, Any]]:
    """Poll the job until its status is in ``until`` (and it was claimed ``attempts``
    times or more, or it ended); return every state seen."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + JOB_S
    while time.monotonic() < deadline:
        answer = server.client(role).get(f"/api/v1/jobs/{job_id}")
        assert answer.status_code == 200, answer.text
        state = answer.json()
        seen.append(state)
        ended = state["status"] in ("done", "failed")
        if state["status"] in until and (state["attempts"] >= attempts or ended):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still {seen[-1]} after {JOB_S} s")


def results(server: Server, job_id: str, role: str = "national") -> dict[str, Any]:
    """Return the job's results as the API serves them (every page, rows joined)."""
    body: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    while not body or len(rows) < body["total"]:
        answer = server.client(role).get(f"/api/v1/jobs/{job_id}/results",
                                         params={"offset": len(rows)})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["rows"] or not body["total"], "an empty page before the end"
        rows.extend(body["rows"])
        if not body["total"]:
            break
    return {**body, "rows": rows}


def frame(body: dict[str, Any]) -> pd.DataFrame:
    """Return the API's result rows as the long table (missing values as NaN)."""
    rows = pd.DataFrame(body["rows"])
    rows["value"] = rows["value"].astype(float)
    rows["year"] = rows["year"].astype("int64")
    return rows


def cli_project(db: str, text: str, folder: Path, *, seed: int, draws: int) -> Path:
    """Run ``wfplan project`` on the scenario in a subprocess; return its Parquet file."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "scenario.toml"  # the worker's name for it: same metadata, same bytes
    source.write_text(text, encoding="utf-8")
    out = folder / "cli.parquet"
    done = subprocess.run(
        [sys.executable, "-m", "wfplan.cli", "project", str(source), "--seed", str(seed),
         "--draws", str(draws), "--out", str(out), "--db", db],
        capture_output=True, text=True, timeout=JOB_S, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return out
