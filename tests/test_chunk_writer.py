"""The ingest's background writer: writes in order, one at a time, errors in the caller."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest

from wfplan.dataset.store import DuckDBStore
from wfplan.dataset.writer import ChunkWriter


def test_writes_run_in_order_one_at_a_time_off_the_callers_thread() -> None:
    done: list[int] = []
    running = threading.Lock()
    threads: set[int] = set()

    def write(number: int) -> None:
        assert running.acquire(blocking=False), "two writes overlapped"
        try:
            threads.add(threading.get_ident())
            time.sleep(0.01)
            done.append(number)
        finally:
            running.release()

    with ChunkWriter() as writer:
        for number in range(5):
            writer.submit(lambda n=number: write(n))
    assert done == [0, 1, 2, 3, 4]
    assert threading.get_ident() not in threads


def test_a_failed_write_is_raised_at_the_next_submit() -> None:
    def fail() -> None:
        raise ValueError("disk full")

    later: list[str] = []

    def two_writes() -> None:
        with ChunkWriter() as writer:
            writer.submit(fail)
            writer.submit(lambda: later.append("ran"))

    with pytest.raises(ValueError, match="disk full"):
        two_writes()
    assert later == []


def test_a_failed_last_write_is_raised_when_the_block_ends() -> None:
    def fail() -> None:
        raise ValueError("disk full")

    with pytest.raises(ValueError, match="disk full"), ChunkWriter() as writer:
        writer.submit(fail)


def test_the_blocks_own_error_wins_and_the_write_still_ends_first() -> None:
    ended: list[str] = []

    def slow() -> None:
        time.sleep(0.05)
        ended.append("write")

    def write_then_fail() -> None:
        with ChunkWriter() as writer:
            writer.submit(slow)
            raise KeyError("validation")

    with pytest.raises(KeyError):
        write_then_fail()
    assert ended == ["write"]


def test_without_a_background_thread_writes_run_at_once_in_the_caller() -> None:
    seen: list[int] = []
    with ChunkWriter(background=False) as writer:
        writer.submit(lambda: seen.append(threading.get_ident()))
        assert seen == [threading.get_ident()]


def test_duckdb_background_writes_are_inside_the_transaction(tmp_path: Path) -> None:
    with DuckDBStore(tmp_path / "w.duckdb") as store:
        store.execute("CREATE TABLE t (x BIGINT)")
        seen: list[object] = []

        def write_then_roll_back() -> None:
            with store.transaction():
                with ChunkWriter(background=store.writes_from_any_thread) as writer:
                    writer.submit(lambda: store.insert("t", pa.table({"x": [1, 2]})))
                seen.append(store.scalar("SELECT count(*) FROM t"))
                raise RuntimeError("roll back")

        with pytest.raises(RuntimeError):
            write_then_roll_back()
        assert seen == [2]
        assert store.scalar("SELECT count(*) FROM t") == 0
