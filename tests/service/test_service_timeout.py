"""Per-query time limit on PostgreSQL: a request's query over ``--statement-timeout`` is 503."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from live import start

from wfplan.dataset.store import is_postgres_url

if TYPE_CHECKING:
    from pathlib import Path

    from live import Server


def test_a_query_over_the_limit_is_503_and_the_service_goes_on(server: Server,
                                                              tmp_path: Path) -> None:
    if not is_postgres_url(server.db):
        pytest.skip("statement_timeout is PostgreSQL's (DuckDB has no per-query limit)")
    # 0.2 s: the token's and the schema's queries take milliseconds; the current position
    # of every organisation in England has a query of about 1.5 s, so that one is cut off
    limited = start(server.db, tmp_path, again=server, worker=False,
                    extra=("--statement-timeout", "0.2"))
    try:
        assert limited.get("national", "/api/v1/me").status_code == 200
        answer = limited.get("national", "/api/v1/metrics",
                             params={"level": "org"})
        assert answer.status_code == 503, answer.text
        assert "per-query limit" in answer.json()["detail"]
        assert limited.get(None, "/api/v1/health").status_code == 200
    finally:
        limited.stop()
    # the limit is the limited server's alone: the shared one answers as before
    assert server.get("national", "/api/v1/metrics", params={"level": "icb"}).status_code == 200
