"""The service's jobs in the store: claims, heartbeats, recovery of lost jobs, migration 8."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

from wfplan.dataset import schema
from wfplan.dataset.store.queries import jobs

if TYPE_CHECKING:
    from pathlib import Path

    from backends import Backend


def test_a_job_goes_to_one_worker_oldest_first(backend: Backend) -> None:
    with backend.open() as store:
        first = jobs.submit(store, "project", "name = 'a'", "ann", "national", seed=1)
        second = jobs.submit(store, "project", "name = 'b'", "ann", "national")
        got = jobs.claim(store, "w1")
        assert got is not None
        assert (got.job_id, got.seed, got.draws, got.attempts) == (first, 1, None, 1)
        other = jobs.claim(store, "w2")
        assert other is not None
        assert other.job_id == second
        assert jobs.claim(store, "w3") is None
        jobs.beat(store, first, "w1", 0.5, "half")
        assert jobs.job(store, first)["progress"] == 0.5  # type: ignore[index]
        jobs.beat(store, first, "w2", 0.9, "not its job")  # another worker's beat: ignored
        assert jobs.job(store, first)["message"] == "half"  # type: ignore[index]
        jobs.finish(store, first, "w1", f"{first}/projection.parquet", "ab" * 32)
        done = jobs.job(store, first)
        assert done is not None
        assert (done["status"], done["progress"]) == ("done", 1.0)


def test_a_lost_job_is_requeued_once_then_failed_with_the_reason(backend: Backend) -> None:
    with backend.open() as store:
        job_id = jobs.submit(store, "project", "name = 'a'", "ann", "national")
        assert jobs.claim(store, "dead-1") is not None
        assert jobs.recover(store, stale_s=3600) == (0, 0)  # its heartbeat is fresh
        assert jobs.recover(store, stale_s=-1) == (1, 0)
        state = jobs.job(store, job_id)
        assert state is not None
        assert state["status"] == "queued"
        assert "dead-1 stopped sending heartbeats" in state["message"]
        again = jobs.claim(store, "dead-2")
        assert again is not None
        assert again.attempts == 2
        assert jobs.recover(store, stale_s=-1) == (0, 1)
        final = jobs.job(store, job_id)
        assert final is not None
        assert final["status"] == "failed"
        assert "failed after 2 attempts" in final["message"]
        assert jobs.claim(store, "w") is None


def test_migration_to_8_adds_scenarios_and_jobs(backend: Backend) -> None:
    with backend.open() as store:
        store.ensure_writable_vintage("v")
    for table in schema.META_TABLES_V8:
        backend.sql(f"DROP TABLE {table.name}")
    backend.sql("UPDATE schema_meta SET value = '7' WHERE key = 'schema_version'")
    with backend.open() as migrated:
        version = migrated.scalar("SELECT value FROM schema_meta WHERE key = 'schema_version'")
        assert int(version) == schema.SCHEMA_VERSION
        scenario_id = jobs.add_scenario(migrated, "a", "ann", "national", "name = 'a'", "00")
        assert jobs.scenario(migrated, scenario_id) is not None
        assert migrated.vintage_exists("v")


def test_wfplan_worker_refuses_a_duckdb_file(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "wfplan.cli", "worker", "--db",
                           str(tmp_path / "x.duckdb")], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "needs a PostgreSQL --db" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
