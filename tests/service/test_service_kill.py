"""Nothing is lost: SIGKILL of the server during an upload leaves the database as it was.

On DuckDB (the server's own file) and on PostgreSQL (a second server on the
session's schema, killed while its upload's transaction is open).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from typing import TYPE_CHECKING

import httpx
import pytest
from live import Server, start

from wfplan.dataset.store import DuckDBStore, is_postgres_url, open_store

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from conftest import DemoBuild, Kit

#: Rows of the upload: enough that its ingest is still running when the server is killed.
ROWS = 150_000


def _state(db: str) -> dict[str, int]:
    if is_postgres_url(db):
        with open_store(db, read_only=True) as store:
            return {**store.table_counts(), "vintage_names": len(store.vintages())}
    with DuckDBStore(db, read_only=True) as store:
        return {**store.table_counts(), "vintage_names": len(store.vintages())}


def _kill_during_upload(server: Server, body: bytes, vintage: str) -> None:
    """Send ``body`` as an upload into ``vintage`` and SIGKILL the server once it is sent."""
    sent = threading.Event()

    def chunks() -> Iterator[bytes]:
        yield (b'--kb\r\nContent-Disposition: form-data; name="files"; filename="big.csv"\r\n'
               b"Content-Type: text/csv\r\n\r\n")
        for start_at in range(0, len(body), 1 << 20):
            yield body[start_at:start_at + (1 << 20)]
        yield b"\r\n--kb--\r\n"
        sent.set()

    def upload() -> None:
        with contextlib.suppress(httpx.TransportError):  # the server dies under it
            httpx.post(f"{server.url}/api/v1/vintages/{vintage}/uploads", content=chunks(),
                       headers={"Authorization": f"Bearer {server.tokens['national']}",
                                "Content-Type": "multipart/form-data; boundary=kb"},
                       timeout=120)

    try:
        thread = threading.Thread(target=upload)
        thread.start()
        assert sent.wait(120)
        time.sleep(0.5)  # let the ingest begin writing (not a timed assertion)
        assert server.process.poll() is None, "the server finished before it was killed"
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(30)
        thread.join(60)
    finally:
        server.stop()


def test_sigkill_during_an_upload_leaves_the_database_as_it_was(
        demo_vintage: DemoBuild, kit: Kit, tmp_path: Path) -> None:
    db = demo_vintage.copy(tmp_path / "killed.duckdb")
    body = kit.sip_csv(tmp_path / "big.csv", ROWS).read_bytes()
    server = start(str(db), tmp_path, max_upload_mb=100)
    _kill_during_upload(server, body, "killed")
    restarted = start(str(db), tmp_path, again=server)
    try:
        names = [v["name"] for v in restarted.get("national", "/api/v1/vintages").json()]
    finally:
        restarted.stop()
    assert names == ["demo"]
    assert _state(str(db)) == _state(str(demo_vintage.db))  # row for row as before


def test_sigkill_during_an_upload_on_postgres(server: Server, kit: Kit, tmp_path: Path) -> None:
    if not is_postgres_url(server.db):
        pytest.skip("the DuckDB case is the test above")
    body = kit.sip_csv(tmp_path / "big.csv", ROWS).read_bytes()
    before = _state(server.db)
    second = start(server.db, tmp_path, max_upload_mb=100, again=server, worker=False)
    _kill_during_upload(second, body, "killed-pg")
    assert _state(server.db) == before  # the open transaction died with its connection
    names = [v["name"] for v in server.get("national", "/api/v1/vintages").json()]
    assert "killed-pg" not in names
