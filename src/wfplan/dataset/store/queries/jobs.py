"""Scenarios kept by the service and its background jobs, as rows of the store.

A **scenario** is TOML text as a user submitted it (validated before it is kept).
A **job** is one run: of a scenario (kind ``project``), a sensitivity analysis
of one (``sensitivity``) or an assessment (``assess``, no scenario id). Its life:

- ``queued`` (:func:`submit`), until a worker claims it (:func:`claim`): the
  oldest queued job goes to exactly one worker, atomically (PostgreSQL:
  ``SELECT ... FOR UPDATE SKIP LOCKED`` inside the claiming ``UPDATE``; DuckDB
  has one process, and the claim is one transaction);
- ``running``, while the worker sends heartbeats with its progress (:func:`beat`);
- ``done`` with its result file and that file's SHA-256 (:func:`finish`), or
  ``failed`` with the reason (:func:`fail`).

A running job whose heartbeat is older than the stale timeout lost its worker
(killed, or its machine stopped): :func:`recover` puts it back in the queue once
and marks it failed, saying why, the second time. Jobs are never deleted, so none
is silently lost.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from wfplan.dataset.store import Store
from wfplan.dataset.store.base import now

KINDS = ("project", "sensitivity", "assess")
STATUSES = ("queued", "running", "done", "failed")
#: Times a job may be claimed: a job whose worker died is run once more, then fails.
MAX_ATTEMPTS = 2
_JOB_COLUMNS = ("job_id, kind, scenario_id, config, seed, draws, owner, scope, status, progress, "
                "message, worker, heartbeat_at, attempts, created_at, started_at, finished_at, "
                "result_path, result_sha256")
_SCENARIO_COLUMNS = "scenario_id, name, owner, scope, toml, sha256, created_at"


@dataclass(frozen=True)
class Claimed:
    """A job a worker has claimed: what to run."""

    job_id: str
    kind: str
    config: str
    seed: int | None
    draws: int | None
    attempts: int


def new_id() -> str:
    """Return a new random id (16 hex digits): unguessable, so ids leak nothing."""
    return secrets.token_hex(8)


def add_scenario(store: Store, name: str, owner: str, scope: str, toml: str,
                 sha256: str) -> str:
    """Keep a validated scenario's text; return its id."""
    scenario_id = new_id()
    store.execute(f"INSERT INTO scenarios ({_SCENARIO_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  [scenario_id, name, owner, scope, toml, sha256, now()])
    return scenario_id


def scenarios(store: Store, owner: str | None = None) -> pd.DataFrame:
    """Return the scenarios (of ``owner``, if given), oldest first."""
    where, params = ("WHERE owner = ?", [owner]) if owner is not None else ("", [])
    return store.query(f"SELECT {_SCENARIO_COLUMNS} FROM scenarios {where} "
                       "ORDER BY created_at, scenario_id", params)


def scenario(store: Store, scenario_id: str) -> dict[str, Any] | None:
    """Return one scenario's row, or None."""
    found = store.query(f"SELECT {_SCENARIO_COLUMNS} FROM scenarios WHERE scenario_id = ?",
                        [scenario_id])
    return None if found.empty else {str(k): v for k, v in found.iloc[0].items()}


def submit(store: Store, kind: str, config: str, owner: str, scope: str, *,
           scenario_id: str | None = None, seed: int | None = None,
           draws: int | None = None) -> str:
    """Queue a job; return its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job_id = new_id()
    store.execute(
        "INSERT INTO jobs (job_id, kind, scenario_id, config, seed, draws, owner, scope, status, "
        "progress, message, attempts, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, 'queued', 0, ?)",
        [job_id, kind, scenario_id, config, seed, draws, owner, scope, now()])
    return job_id


def job(store: Store, job_id: str) -> dict[str, Any] | None:
    """Return one job's row, or None."""
    found = store.query(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE job_id = ?", [job_id])
    return None if found.empty else {str(k): v for k, v in found.iloc[0].items()}


def jobs(store: Store, owner: str | None = None, limit: int = 100) -> pd.DataFrame:
    """Return the newest ``limit`` jobs (of ``owner``, if given), newest first."""
    where, params = ("WHERE owner = ?", [owner]) if owner is not None else ("", [])
    return store.query(f"SELECT {_JOB_COLUMNS} FROM jobs {where} "
                       f"ORDER BY created_at DESC, job_id LIMIT {int(limit)}", params)


def claim(store: Store, worker: str) -> Claimed | None:
    """Give the oldest queued job to ``worker`` (atomically); None if the queue is empty.

    A worker runs one job at a time, so the job it now holds is found again by
    its id and status.
    """
    lock = " FOR UPDATE SKIP LOCKED" if store.dialect == "postgres" else ""
    at = now()
    with store.transaction():
        store.execute(
            "UPDATE jobs SET status = 'running', worker = ?, heartbeat_at = ?, started_at = ?, "
            "attempts = attempts + 1, message = 'claimed' WHERE job_id = (SELECT job_id FROM "
            f"jobs WHERE status = 'queued' ORDER BY created_at, job_id LIMIT 1{lock})",
            [worker, at, at])
        found = store.query("SELECT job_id, kind, config, seed, draws, attempts FROM jobs "
                            "WHERE worker = ? AND status = 'running' AND started_at = ?",
                            [worker, at])
    if found.empty:
        return None
    row = found.iloc[0]
    return Claimed(str(row["job_id"]), str(row["kind"]), str(row["config"]),
                   _integer(row["seed"]), _integer(row["draws"]), int(row["attempts"]))


def beat(store: Store, job_id: str, worker: str, progress: float, message: str) -> None:
    """Record a heartbeat of ``worker`` on its job, with the job's progress (0 to 1)."""
    store.execute("UPDATE jobs SET heartbeat_at = ?, progress = ?, message = ? "
                  "WHERE job_id = ? AND worker = ? AND status = 'running'",
                  [now(), min(max(float(progress), 0.0), 1.0), message[:500], job_id, worker])


def finish(store: Store, job_id: str, worker: str, result_path: str, sha256: str,
           message: str = "done") -> None:
    """Mark the job done, with its result file (relative to the results folder) and hash."""
    store.execute("UPDATE jobs SET status = 'done', progress = 1, message = ?, "
                  "finished_at = ?, heartbeat_at = ?, result_path = ?, result_sha256 = ? "
                  "WHERE job_id = ? AND worker = ? AND status = 'running'",
                  [message, now(), now(), result_path, sha256, job_id, worker])


def fail(store: Store, job_id: str, worker: str, reason: str) -> None:
    """Mark the job failed, saying why."""
    store.execute("UPDATE jobs SET status = 'failed', message = ?, finished_at = ? "
                  "WHERE job_id = ? AND worker = ? AND status = 'running'",
                  [reason[:2000], now(), job_id, worker])


def recover(store: Store, stale_s: float) -> tuple[int, int]:
    """Re-queue (once) or fail the running jobs whose worker stopped sending heartbeats.

    Returns
    -------
    tuple of int
        The jobs re-queued and the jobs marked failed.
    """
    at = now()
    cutoff = at - timedelta(seconds=stale_s)
    with store.transaction():
        stale = store.query("SELECT job_id, worker, attempts, heartbeat_at FROM jobs "
                            "WHERE status = 'running' AND heartbeat_at < ?", [cutoff])
        requeued = failed = 0
        for row in stale.to_dict("records"):
            why = (f"worker {row['worker']} stopped sending heartbeats (last at "
                   f"{pd.Timestamp(row['heartbeat_at']):%Y-%m-%d %H:%M:%S} UTC)")
            if int(row["attempts"]) < MAX_ATTEMPTS:
                store.execute("UPDATE jobs SET status = 'queued', worker = NULL, progress = 0, "
                              "message = ? WHERE job_id = ? AND status = 'running'",
                              [f"re-queued: {why}", row["job_id"]])
                requeued += 1
            else:
                store.execute("UPDATE jobs SET status = 'failed', finished_at = ?, message = ? "
                              "WHERE job_id = ? AND status = 'running'",
                              [at, f"failed after {row['attempts']} attempts: {why}",
                               row["job_id"]])
                failed += 1
    return requeued, failed


def _integer(value: object) -> int | None:
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    return int(value)  # type: ignore[call-overload]


def stamp(value: object) -> datetime | None:
    """Return a stored time as a datetime (None for a missing one)."""
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    return pd.Timestamp(value).to_pydatetime()  # type: ignore[arg-type]
