"""Real processes: a killed ingest leaves the database as it was; a busy database is explained.

These tests run ``wfplan`` as separate processes against a real database (a
DuckDB file, or a PostgreSQL schema: tests taking ``backend`` run on both),
because a lock held by another process, or a process killed mid-transaction,
cannot be imitated inside one process. On DuckDB a writer holds the whole file;
on PostgreSQL it holds only its vintage (an advisory lock) and readers are never
blocked. The corpus (tests/corpus/) runs ingest in
one process, so its busy-database cases are here: a holder reading or writing
the file, the message naming it, and ``--wait`` retrying until it lets go or
giving up.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest

import backends

if TYPE_CHECKING:
    from backends import Backend
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


#: A stand-in for a wfplan command that holds a database: a script named ``wfplan``, so
#: that its command line reads like the console script's (``python .../bin/wfplan ARGS``).
#: It opens ``--db`` for writing, or read-only if $HOLD is 'read', until stdin closes; a
#: writer on PostgreSQL holds vintage 'default' (its write lock, in an open transaction).
#: It runs in the test's tmp_path, so that ``--db base.duckdb`` names ``base_db``.
HOLDER = """import os, sys
from wfplan.dataset.store import open_store
store = open_store(sys.argv[sys.argv.index("--db") + 1], read_only=os.environ["HOLD"] == "read")
writing = store.transaction()
if os.environ["HOLD"] == "write" and store.dialect == "postgres":
    writing.__enter__()
    store.ensure_writable_vintage("default")
print("holding", flush=True)
sys.stdin.read()
if os.environ["HOLD"] == "write" and store.dialect == "postgres":
    writing.__exit__(None, None, None)
store.close()
"""


def holder_db(backend: Backend) -> str:
    """Return what a holder running in tmp_path passes as ``--db`` for the backend."""
    return Path(backend.db).name if backend.name == "duckdb" else backend.db


def writing_to(backend: Backend) -> str:
    """Return how the busy message ends for a writer of vintage 'default' on the backend."""
    if backend.name == "duckdb":
        return f"is writing to {backend.db}"
    return (f"is writing to vintage 'default' in {backends.SERVER} "
            f"(schema {backend.schema})")


class Holder:
    """Start processes that hold a database file; stop them all at the end."""

    def __init__(self, folder: Path) -> None:
        self.script = folder / "holder" / "wfplan"
        self.script.parent.mkdir()
        self.script.write_text(HOLDER)
        self.running: list[subprocess.Popen[str]] = []

    def __call__(self, mode: str, *args: object) -> subprocess.Popen[str]:
        """Hold the file named by ``--db`` in ``args``, to 'read' or 'write', until released."""
        process = subprocess.Popen([sys.executable, str(self.script), *map(str, args)],
                                   text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env={**os.environ, "HOLD": mode},
                                   cwd=self.script.parent.parent)
        self.running.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.strip() == "holding", process.stderr.read() if process.stderr else line
        return process

    @staticmethod
    def release(process: subprocess.Popen[str]) -> None:
        """Let the file go and wait for the holder to end."""
        if process.poll() is None:
            process.communicate("", timeout=PATIENCE_S)
        assert process.returncode == 0


@pytest.fixture
def hold(tmp_path: Path) -> Iterator[Holder]:
    """Start holders of a database file (``hold('write', 'ingest', '--db', db)``)."""
    holder = Holder(tmp_path)
    yield holder
    for process in holder.running:
        Holder.release(process)


def test_second_writer_is_told_which_process_is_writing(kit: Kit, backend: Backend,
                                                        any_base_db: str, hold: Holder) -> None:
    held = holder_db(backend)
    writer = hold("write", "ingest", "big.csv", "--db", held)
    second = run_wfplan("ingest", kit.sip_csv(kit.tmp_path / "more.csv", 3, org="RBB"),
                        "--db", any_base_db)
    assert second.returncode == 3, second.stderr
    said = " ".join(second.stderr.split())
    assert (f"database is busy: another process (pid {writer.pid}, `wfplan ingest big.csv "
            f"--db {shlex.quote(held)}`) {writing_to(backend)}") in said
    assert "--wait SECONDS" in said
    assert "Traceback" not in second.stderr + second.stdout
    freeze = run_wfplan("vintages", "freeze", "default", "--db", any_base_db)
    assert freeze.returncode == 3
    assert f"(pid {writer.pid}, `wfplan ingest" in freeze.stderr
    hold.release(writer)
    after = run_wfplan("ingest", kit.tmp_path / "more.csv", "--db", any_base_db)
    assert after.returncode == 0, after.stderr
    count = kit.read_back(any_base_db, "SELECT count(*) AS n FROM staff_in_post")
    assert count["n"].iat[0] == 23


def test_on_postgres_a_writer_holds_only_its_vintage_and_blocks_no_reader(
        kit: Kit, pg_base_db: str, pg_backend: Backend, hold: Holder) -> None:
    any_base_db, backend = pg_base_db, pg_backend
    hold("write", "ingest", "big.csv", "--db", holder_db(backend))
    listed = run_wfplan("vintages", "--db", any_base_db)
    assert listed.returncode == 0, listed.stderr
    assert "default" in listed.stdout
    other = run_wfplan("ingest", kit.sip_csv(kit.tmp_path / "more.csv", 3, org="RBB"),
                       "--db", any_base_db, "--vintage", "other")
    assert other.returncode == 0, other.stderr
    reader = hold("read", "assess", "plan.toml", "--db", holder_db(backend))
    more = run_wfplan("ingest", kit.tmp_path / "more.csv", "--db", any_base_db,
                      "--vintage", "third")
    assert more.returncode == 0, more.stderr
    hold.release(reader)


def test_a_writer_blocked_by_a_reader_is_told_the_database_is_being_read(
        kit: Kit, base_db: Path, hold: Holder) -> None:
    before = kit.db_snapshot(base_db)
    reader = hold("read", "assess", "plan.toml", "--out", "bundle", "--db", "base.duckdb")
    writer = run_wfplan("ingest", kit.sip_csv(kit.tmp_path / "more.csv", 3, org="RBB"),
                        "--db", base_db)
    assert writer.returncode == 3, writer.stderr
    said = " ".join(writer.stderr.split())
    assert (f"database is busy: another process (pid {reader.pid}, `wfplan assess plan.toml "
            f"--out bundle --db base.duckdb`) is reading {base_db}; a write needs it to "
            "finish") in said
    assert "writing" not in said
    # Readers share the file: a second reader opens it while the first holds it.
    listed = run_wfplan("vintages", "--db", base_db)
    assert listed.returncode == 0, listed.stderr
    hold.release(reader)
    assert kit.db_snapshot(base_db) == before


def test_a_reader_blocked_by_a_writer_is_told_the_database_is_being_written(
        base_db: Path, hold: Holder) -> None:
    writer = hold("write", "demo", "--db", "base.duckdb")
    reader = run_wfplan("metrics", "--db", base_db)
    assert reader.returncode == 3, reader.stderr
    assert (f"another process (pid {writer.pid}, `wfplan demo --db base.duckdb`) is writing to "
            f"{base_db}") in " ".join(reader.stderr.split())


def test_a_holder_command_line_with_brackets_is_shown_as_it_is(kit: Kit, base_db: Path,
                                                                hold: Holder) -> None:
    hold("write", "ingest", "[/tmp]/[bold]staff.csv", "--db", "base.duckdb")
    second = run_wfplan("ingest", kit.sip_csv(kit.tmp_path / "more.csv", 3), "--db", base_db)
    assert second.returncode == 3, second.stderr
    assert "Traceback" not in second.stderr
    assert "`wfplan ingest '[/tmp]/[bold]staff.csv' --db" in " ".join(second.stderr.split())


def test_wait_retries_until_the_holder_lets_go(kit: Kit, backend: Backend, any_base_db: str,
                                               hold: Holder) -> None:
    writer = hold("write", "ingest", "big.csv", "--db", holder_db(backend))
    second = subprocess.Popen(
        wfplan("ingest", kit.sip_csv(kit.tmp_path / "more.csv", 3, org="RBB"), "--db",
               any_base_db, "--wait", 60),
        text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert second.stderr is not None
    first = second.stderr.readline()  # the second process has found the database held
    assert first.startswith("waiting for the database (up to 60 s): another process "
                            f"(pid {writer.pid}, `wfplan ingest big.csv"), first
    hold.release(writer)
    _, rest = second.communicate(timeout=PATIENCE_S)
    assert second.returncode == 0, first + rest
    count = kit.read_back(any_base_db, "SELECT count(*) AS n FROM staff_in_post")
    assert count["n"].iat[0] == 23


def test_on_postgres_wait_gives_up_with_exit_3_and_the_busy_message(
        kit: Kit, pg_backend: Backend, pg_base_db: str, hold: Holder) -> None:
    any_base_db, backend = pg_base_db, pg_backend
    before = kit.db_snapshot(any_base_db)
    held = holder_db(backend)
    writer = hold("write", "ingest", "big.csv", "--db", held)
    second = run_wfplan("ingest", kit.sip_csv(kit.tmp_path / "more.csv", 3, org="RBB"),
                        "--db", any_base_db, "--wait", 1)
    assert second.returncode == 3, second.stderr
    said = " ".join(second.stderr.split())
    holder = (f"another process (pid {writer.pid}, `wfplan ingest big.csv --db "
              f"{shlex.quote(held)}`) "
              f"{writing_to(backend)}")
    assert f"waiting for the database (up to 1 s): {holder}" in said
    assert f"error: database is busy: {holder}." in said
    assert "Traceback" not in said
    freeze = run_wfplan("vintages", "--wait", 1, "freeze", "default", "--db", any_base_db)
    assert freeze.returncode == 3, freeze.stderr
    assert "waiting for the database (up to 1 s)" in freeze.stderr
    hold.release(writer)
    assert kit.db_snapshot(any_base_db) == before


def test_wait_gives_up_with_exit_3_and_the_busy_message(kit: Kit, base_db: Path,
                                                        hold: Holder) -> None:
    before = kit.db_snapshot(base_db)
    reader = hold("read", "assess", "plan.toml", "--out", "bundle", "--db", "base.duckdb")
    writer = run_wfplan("ingest", kit.sip_csv(kit.tmp_path / "more.csv", 3, org="RBB"),
                        "--db", base_db, "--wait", 1)
    assert writer.returncode == 3, writer.stderr
    said = " ".join(writer.stderr.split())
    holder = (f"another process (pid {reader.pid}, `wfplan assess plan.toml --out bundle "
              f"--db base.duckdb`) is reading {base_db}; a write needs it to finish")
    assert f"waiting for the database (up to 1 s): {holder}" in said
    assert f"error: database is busy: {holder}." in said
    assert "Traceback" not in said
    # The group's --wait reaches its subcommand.
    freeze = run_wfplan("vintages", "--wait", 1, "freeze", "default", "--db", base_db)
    assert freeze.returncode == 3, freeze.stderr
    assert "waiting for the database (up to 1 s)" in freeze.stderr
    hold.release(reader)
    assert kit.db_snapshot(base_db) == before


@pytest.mark.parametrize("command", [
    ["ingest"], ["vintages"], ["vintages", "freeze"], ["metrics"], ["gaps"], ["project"],
    ["backtest"], ["assess"], ["demo"]])
def test_every_command_that_opens_the_database_offers_wait(kit: Kit,
                                                           command: list[str]) -> None:
    shown = kit.cli(*command, "--help")
    assert shown.exit_code == 0, shown.output
    assert "--wait" in shown.output


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tidy staff_in_post file of BIG_ROWS rows (and its organisations file beside it)."""
    folder = tmp_path_factory.mktemp("big")
    subprocess.run([sys.executable, str(BENCH), "--generate", str(folder),
                    "--rows", str(BIG_ROWS)], check=True, timeout=PATIENCE_S)
    return folder / "staff_in_post.csv"


def _stored_bytes(backend: Backend) -> int:
    """Return the bytes the backend's data takes: the DuckDB file, or staff_in_post's pages.

    Both grow while an ingest writes rows of its open transaction (DuckDB writes
    large inserts to the file before the commit; PostgreSQL writes the rows COPY
    sends to the table's pages), so growth means the ingest is mid-way.
    """
    if backend.name == "duckdb":
        return Path(backend.db).stat().st_size
    with psycopg.connect(backends.SERVER, autocommit=True) as conn:
        row = conn.execute("SELECT pg_total_relation_size(%s)",
                           [f'"{backend.schema}".staff_in_post']).fetchone()
    assert row is not None
    return int(row[0])


def _wait_until_writing(process: subprocess.Popen[str], backend: Backend) -> None:
    """Return once the ingest has written rows of its open transaction."""
    size_before = _stored_bytes(backend)
    deadline = time.monotonic() + PATIENCE_S
    while _stored_bytes(backend) <= size_before:
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"the ingest ended (exit {process.returncode}) before it was seen "
                        f"writing; make BIG_ROWS larger. stderr: {err}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the ingest never started writing")
        time.sleep(0.02)


@pytest.mark.slow
def test_sigkill_mid_ingest_leaves_the_database_as_it_was(kit: Kit, backend: Backend,
                                                          any_base_db: str,
                                                          big_csv: Path) -> None:
    before = kit.db_snapshot(any_base_db)
    process = subprocess.Popen(wfplan("ingest", big_csv, "--db", any_base_db),
                               text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL)
    _wait_until_writing(process, backend)
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=PATIENCE_S)
    assert process.returncode == -signal.SIGKILL, "the ingest must have been killed, not ended"

    assert kit.db_snapshot(any_base_db) == before  # opens read-only, without error
    vintages = run_wfplan("vintages", "--db", any_base_db)
    assert vintages.returncode == 0, vintages.stderr
    assert "default" in vintages.stdout
    # The database still takes writes, and the killed file's rows are not there. (The
    # server may take a moment to see that the killed client is gone and roll its
    # transaction back, releasing the vintage: hence --wait on PostgreSQL.)
    wait = ("--wait", "60") if backend.name == "postgres" else ()
    more = run_wfplan("ingest", kit.sip_csv(kit.tmp_path / "after.csv", 2, org="RBB"),
                      "--db", any_base_db, *wait)
    assert more.returncode == 0, more.stderr
    after = kit.db_snapshot(any_base_db)
    assert after["counts"]["staff_in_post"] == before["counts"]["staff_in_post"] + 2
    assert after["counts"]["organisations"] == before["counts"]["organisations"]
    assert [i["source_file"] for i in after["ingests"]][-1] == "after.csv"


#: Commands that read while the large ingest runs, both at once.
READERS = (["vintages"], ["metrics", "--level", "region"])


@pytest.mark.slow
def test_readers_succeed_while_a_large_ingest_runs_on_postgres(
        kit: Kit, pg_backend: Backend, tmp_path: Path, big_csv: Path) -> None:
    from wfplan.dataset.ingest import ingest

    with pg_backend.open() as store:
        ingest(store, [big_csv.with_name("organisations.csv"),
                       kit.sip_csv(tmp_path / "base.csv", 20, org="RA0")], "default")
    before = kit.db_snapshot(pg_backend.db)
    process = subprocess.Popen(wfplan("ingest", big_csv, "--db", pg_backend.db),
                               text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               stdin=subprocess.DEVNULL)
    _wait_until_writing(process, pg_backend)
    readers = [subprocess.Popen(wfplan(*command, "--db", pg_backend.db), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL) for command in READERS]
    read = [reader.communicate(timeout=PATIENCE_S) for reader in readers]
    still_running = process.poll() is None
    unchanged = kit.db_snapshot(pg_backend.db) == before
    _, err = process.communicate(timeout=PATIENCE_S)
    assert process.returncode == 0, err
    assert still_running, "the ingest ended before the readers did; make BIG_ROWS larger"
    assert unchanged, "the readers ran while the ingest had not committed"
    for command, reader, (out, err) in zip(READERS, readers, read, strict=True):
        assert reader.returncode == 0, (command, err)
        assert "default" in out or "England" in out, (command, out)
    after = kit.db_snapshot(pg_backend.db)
    assert after["counts"]["staff_in_post"] == BIG_ROWS + 20
