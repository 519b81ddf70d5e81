"""The metrics (and gap report) cache through the real server: scopes kept apart, audit kept,
loads seen.

Answers are cached per process by role, query, vintage and data version
(:mod:`wfplan.web.cache`). These tests fill the cache as one role and read as
another, read organisation figures twice from the cache and count the audit rows,
and load data by upload (the same process: seen by the next answer) and, on
PostgreSQL, from another process and revoke a token there (both seen within the
cache's check interval).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from live import ICB

from wfplan.dataset import accounts
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import is_postgres_url, open_store
from wfplan.web.cache import CHECK_S

if TYPE_CHECKING:
    from live import Server

    from conftest import Kit

#: How long past the check interval a change may take to show (a loaded machine).
SLACK_S = 4.0


def _areas(body: dict[str, Any]) -> set[str]:
    return {str(r["area_code"]) for r in body["current_position"]}


def test_a_cached_answer_is_never_served_to_another_scope(server: Server) -> None:
    params = {"level": "icb"}
    national = [server.get("national", "/api/v1/metrics", params=params) for _ in range(2)]
    assert national[0].status_code == 200
    assert national[0].content == national[1].content  # the second from the cache
    everything = _areas(national[0].json())
    assert national[0].json()["controlled"] is False
    public = server.get(None, "/api/v1/metrics", params=params).json()
    assert public["controlled"] is True
    assert public["disclosure"]
    assert public != national[0].json()
    region = server.get("region", "/api/v1/metrics", params=params).json()
    icb = server.get("icb", "/api/v1/metrics", params=params).json()
    assert _areas(icb) == {ICB}
    assert ICB in _areas(region) < everything
    assert region["controlled"] is False
    # and the other way round: the region's answer, now cached, is not the ICB user's
    assert _areas(server.get("icb", "/api/v1/metrics", params=params).json()) == {ICB}
    for role in ("region", "icb"):
        refused = server.get(role, "/api/v1/metrics", params={"level": "england"})
        assert refused.status_code == 403


def test_cached_organisation_reads_are_still_audited(server: Server) -> None:
    org = server.codes.org
    params = {"level": "org", "area": org}

    def rows() -> int:
        log = server.get("national", "/api/v1/audit",
                         params={"action": "read.metrics", "limit": 1000}).json()
        return sum(1 for r in log if r["actor"] == "t-org" and f"area {org}" in r["detail"])

    before = rows()
    answers = [server.get("org", "/api/v1/metrics", params=params) for _ in range(3)]
    assert {a.status_code for a in answers} == {200}
    assert answers[1].content == answers[2].content
    assert rows() == before + 3
    outside = server.get("org", "/api/v1/metrics",
                         params={"level": "org", "area": server.codes.org_same_region})
    assert outside.status_code == 403


def _upload(server: Server, vintage: str, files: list[tuple[str, bytes]]) -> None:
    answer = server.client("national").post(f"/api/v1/vintages/{vintage}/uploads",
                                            files=[("files", f) for f in files])
    assert answer.status_code == 201, answer.text


def test_an_upload_is_seen_by_the_next_answer_of_the_same_process(server: Server,
                                                                  kit: Kit) -> None:
    orgs = kit.org_csv(kit.tmp_path / "orgs.csv").read_bytes()
    _upload(server, "cache-up", [("orgs.csv", orgs), ("a.csv", kit.sip_csv(
        kit.tmp_path / "a.csv", 16).read_bytes())])
    params = {"vintage": "cache-up", "level": "england"}
    first = server.get("national", "/api/v1/metrics", params=params)
    assert server.get("national", "/api/v1/metrics", params=params).content == first.content
    gaps = server.get("national", "/api/v1/gaps", params={"vintage": "cache-up"})
    assert server.get("national", "/api/v1/gaps",
                      params={"vintage": "cache-up"}).content == gaps.content
    _upload(server, "cache-up", [("b.csv", kit.sip_csv(
        kit.tmp_path / "b.csv", 16, org="RBB").read_bytes())])
    after = server.get("national", "/api/v1/metrics", params=params)
    assert after.status_code == 200
    assert after.json()["current_position"] != first.json()["current_position"]
    rows = server.get("national", "/api/v1/gaps", params={"vintage": "cache-up"}).json()
    coverage = {(r["table"], r["sector"]): r["rows"] for r in rows["sections"]["coverage"]}
    before = {(r["table"], r["sector"]): r["rows"]
              for r in gaps.json()["sections"]["coverage"]}
    assert coverage != before, "the cached gap report outlived the upload"


def _until(check: Any, what: str) -> float:
    """Poll ``check`` until true, within the check interval and the slack; return the wait."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < CHECK_S + SLACK_S, f"{what} not seen in time"
        time.sleep(0.05)
    return time.monotonic() - start


def test_another_process_load_is_seen_within_the_check_interval(server: Server,
                                                                kit: Kit) -> None:
    if not is_postgres_url(server.db):
        pytest.skip("a DuckDB file takes one process: no other process can load into it")
    orgs = kit.org_csv(kit.tmp_path / "orgs.csv")
    with open_store(server.db) as store:
        ingest(store, [orgs, kit.sip_csv(kit.tmp_path / "a.csv", 16)], "cache-other")
    params = {"vintage": "cache-other", "level": "england"}
    first = server.get("national", "/api/v1/metrics", params=params)
    assert first.status_code == 200
    with open_store(server.db) as store:  # this test's process, not the server's
        ingest(store, [kit.sip_csv(kit.tmp_path / "b.csv", 16, org="RBB")], "cache-other")

    def changed() -> bool:
        now = server.get("national", "/api/v1/metrics", params=params).json()
        return bool(now["current_position"] != first.json()["current_position"])

    _until(changed, "the other process's load")


def test_a_revoked_token_is_refused_within_the_check_interval(server: Server) -> None:
    if not is_postgres_url(server.db):
        pytest.skip("a DuckDB file takes one process: a token is revoked with the server down")
    with open_store(server.db) as store:
        token = accounts.create_token(store, "t-national", actor="tests")
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{server.url}/api/v1/metrics"
    for _ in range(2):  # the second is answered with the token remembered
        assert httpx.get(url, headers=headers, params={"vintage": "demo"},
                         timeout=120).status_code == 200
    with open_store(server.db) as store:
        accounts.revoke_token(store, token, actor="tests")

    def refused() -> bool:
        return httpx.get(url, headers=headers,
                         params={"vintage": "demo"}, timeout=120).status_code == 401

    _until(refused, "the revocation")
    assert server.get("national", "/api/v1/metrics").status_code == 200  # others unaffected
