"""Helpers of the job tests: a small scenario, submitting it, waiting for its job, the CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow.parquet as pq

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


#: The run the job test submits on each engine; ``wfplan project`` runs it once for the
#: whole run on the DuckDB demo (``cli_projection``, tests/service/conftest.py).
EQUAL = {"text": scenario_text("svc-equal"), "seed": 11, "draws": 30}

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


#: The manifest fields that record when the bundle was made and how long it took.
TIMING = {"created", "seconds", "manifest_sha256"}
#: The files that print the time the bundle was made.
STAMPED = {"report.html", "report.pdf", "tables.xlsx"}


def cli_assess(db: str, folder: Path) -> Path:
    """Run ``wfplan assess --out`` on :data:`ASSESSMENT` in a subprocess; return the bundle."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "assessment.toml").write_text(ASSESSMENT, encoding="utf-8")
    for file, text in SCENARIOS.items():
        (folder / file).write_text(text, encoding="utf-8")
    out = folder / "out" / "assessment-cli"
    done = subprocess.run([sys.executable, "-m", "wfplan.cli", "assess",
                           str(folder / "assessment.toml"), "--out", str(out), "--db", db],
                          capture_output=True, text=True, timeout=JOB_S, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return out


#: A bundle's ingest log: from another load of the same files, only its load times differ.
LOG = "inputs/ingests.parquet"


def same_tables(served: Path, cli: Path, *, loaded_at: list[Any] | None = None) -> None:
    """Check every Parquet file of the two bundles is the same table.

    ``loaded_at``: the bundles were made from two loads of the same files (the
    PostgreSQL demo and the DuckDB one): the served bundle's ingest log must then have
    these load times (its database's own), and be the other's in every other column.
    """
    names = sorted(p.relative_to(cli).as_posix() for p in cli.rglob("*.parquet"))
    assert names == sorted(p.relative_to(served).as_posix() for p in served.rglob("*.parquet"))
    assert "results.parquet" in names
    assert any(n.startswith("tables/") for n in names)
    for name in names:
        ours, theirs = pq.read_table(served / name), pq.read_table(cli / name)
        if name == LOG and loaded_at is not None:
            assert ours.column("loaded_at").to_pylist() == loaded_at
            ours, theirs = (t.drop_columns(["loaded_at"]) for t in (ours, theirs))
        assert ours.equals(theirs), name


def same_manifest(served: Path, cli: Path, *, reloaded: bool = False) -> None:
    """Check the manifests differ only in when, how long, the bundle's name and stamped files.

    ``reloaded``: made from two loads of the same files (see :func:`same_tables`), so the
    ingest log's file, and the core digest over it, differ too.
    """
    ours = json.loads((served / "manifest.json").read_text(encoding="utf-8"))
    theirs = json.loads((cli / "manifest.json").read_text(encoding="utf-8"))
    assert set(ours) == set(theirs)
    assert ours["bundle_name"] == served.name
    differ = {k for k in ours if ours[k] != theirs[k]}
    assert differ <= TIMING | {"files", "bundle_name"} | ({"core_sha256"} if reloaded else set()), \
        differ
    changed = {f for f in ours["files"] if ours["files"][f] != theirs["files"].get(f)}
    assert changed <= STAMPED | ({LOG} if reloaded else set()), changed
    assert set(ours["files"]) == set(theirs["files"])


def download_bundle(server: Server, links: list[dict[str, Any]], folder: Path) -> Path:
    """Download every file of a bundle through the API into ``folder``; return it."""
    for link in links:
        answer = server.client("national").get(link["url"])
        assert answer.status_code == 200, (link, answer.text[:200])
        assert len(answer.content) == link["bytes"], link
        target = folder / link["name"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(answer.content)
    return folder


def check_assessment_progress(seen: list[dict[str, Any]], *, on_the_way: bool = True) -> None:
    """Check an assessment job ended done, its progress only rose, and it said so on the way.

    ``on_the_way=False`` skips the last part, for a run too quick for the polls to be sure
    of seeing it mid-way (a second attempt reads the inputs the first one cached).
    """
    final = seen[-1]
    assert final["status"] == "done", final
    assert (final["kind"], final["progress"], final["draws"]) == ("assess", 1.0, 0)
    fractions = [s["progress"] for s in seen]
    assert fractions == sorted(fractions), "progress went backwards"
    if not on_the_way:
        return
    running = [s for s in seen if s["status"] == "running" and 0.0 < s["progress"] < 1.0]
    assert running, seen
    assert any("projecting" in str(s["message"]) for s in running), running
