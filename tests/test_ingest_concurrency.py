"""Real processes: a killed ingest leaves the database as it was; a second writer is told to wait.

These tests run ``wfplan`` as separate processes against a real database file,
because a lock held by another process, or a process killed mid-transaction,
cannot be imitated inside one process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Kit

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench_ingest.py"
#: Rows of the big file: enough that an ingest runs for seconds, not milliseconds.
BIG_ROWS = 3_000_000
#: Generous limits; the tests never assert on time, these only stop a hung process.
PATIENCE_S = 240


def wfplan(*args: object) -> list[str]:
    return [sys.executable, "-c", "from wfplan.cli import main; main()", *map(str, args)]


def run_wfplan(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(wfplan(*args), capture_output=True, text=True, check=False,
                          timeout=PATIENCE_S, stdin=subprocess.DEVNULL)


@pytest.fixture
def holder(base_db: Path) -> Iterator[subprocess.Popen[str]]:
    """A process that holds ``base_db`` open for writing until it is stopped."""
    code = ("import sys, time\n"
            "from wfplan.dataset.store import DuckDBStore\n"
            "store = DuckDBStore(sys.argv[1])\n"
            "print('holding', flush=True)\n"
            "sys.stdin.read()\n"
            "store.close()\n")
    process = subprocess.Popen([sys.executable, "-c", code, str(base_db)], text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "holding", process.stderr.read() if process.stderr else line
    yield process
    if process.poll() is None:
        process.communicate("", timeout=PATIENCE_S)


def test_second_writer_is_told_the_database_is_busy(kit: Kit, base_db: Path,
                                                    holder: subprocess.Popen[str]) -> None:
    second = run_wfplan("ingest", kit.sip_csv(kit.tmp_path / "more.csv", 3, org="RBB"),
                        "--db", base_db)
    assert second.returncode == 3, second.stderr
    assert "database is busy" in second.stderr
    assert "another wfplan process is writing" in second.stderr
    assert "Traceback" not in second.stderr + second.stdout
    freeze = run_wfplan("vintages", "freeze", "default", "--db", base_db)
    assert freeze.returncode == 3
    assert "database is busy" in freeze.stderr
    holder.communicate("", timeout=PATIENCE_S)
    assert holder.returncode == 0
    after = run_wfplan("ingest", kit.tmp_path / "more.csv", "--db", base_db)
    assert after.returncode == 0, after.stderr
    count = kit.read_back(base_db, "SELECT count(*) AS n FROM staff_in_post")
    assert count["n"].iat[0] == 23


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tidy staff_in_post file of BIG_ROWS rows (and its organisations file beside it)."""
    folder = tmp_path_factory.mktemp("big")
    subprocess.run([sys.executable, str(BENCH), "--generate", str(folder),
                    "--rows", str(BIG_ROWS)], check=True, timeout=PATIENCE_S)
    return folder / "staff_in_post.csv"


def _wait_until_writing(process: subprocess.Popen[str], db: Path, size_before: int) -> None:
    """Return once the ingest has written rows of its open transaction to the file.

    DuckDB writes large inserts to the database file before the transaction
    commits; the file growing while the process runs means it is mid-ingest.
    """
    deadline = time.monotonic() + PATIENCE_S
    while db.stat().st_size <= size_before:
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"the ingest ended (exit {process.returncode}) before it was seen "
                        f"writing; make BIG_ROWS larger. stderr: {err}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the ingest never started writing")
        time.sleep(0.02)


@pytest.mark.slow
def test_sigkill_mid_ingest_leaves_the_database_as_it_was(kit: Kit, base_db: Path,
                                                          big_csv: Path) -> None:
    before = kit.db_snapshot(base_db)
    size_before = base_db.stat().st_size
    process = subprocess.Popen(wfplan("ingest", big_csv, "--db", base_db),
                               text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL)
    _wait_until_writing(process, base_db, size_before)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=PATIENCE_S)
    assert process.returncode == -signal.SIGKILL, "the ingest must have been killed, not ended"

    assert kit.db_snapshot(base_db) == before  # opens read-only, without error
    vintages = run_wfplan("vintages", "--db", base_db)
    assert vintages.returncode == 0, vintages.stderr
    assert "default" in vintages.stdout
    # The database still takes writes, and the killed file's rows are not there.
    more = run_wfplan("ingest", kit.sip_csv(kit.tmp_path / "after.csv", 2, org="RBB"),
                      "--db", base_db)
    assert more.returncode == 0, more.stderr
    after = kit.db_snapshot(base_db)
    assert after["counts"]["staff_in_post"] == before["counts"]["staff_in_post"] + 2
    assert after["counts"]["organisations"] == before["counts"]["organisations"]
    assert [i["source_file"] for i in after["ingests"]][-1] == "after.csv"
