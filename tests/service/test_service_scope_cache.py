"""The per-process cache of placements and scopes (wfplan.web.scopes) through the real server.

A region or ICB role's scope is kept per vintage and data version, and by role. These
tests read a vintage as an ICB user and a region user (each scope then kept), load an
organisation into the ICB by upload and check that the ICB user's very next requests
see it (the kept scope is not served after the vintage changed), and that neither
user is ever answered with the other's organisations. On PostgreSQL they also check
that a token revoked from another process is refused within the cache's check
interval by the endpoints that now take verified tokens from the cache too.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from wfplan.dataset import accounts
from wfplan.dataset.accounts import Role
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import is_postgres_url, open_store
from wfplan.web.cache import CHECK_S
from wfplan.web.scopes import ScopeCache

if TYPE_CHECKING:
    from live import Server

    from conftest import Kit

VINTAGE = "scope-cache"
#: How long past the check interval a change may take to show (a loaded machine).
SLACK_S = 4.0


def _upload(server: Server, files: list[tuple[str, bytes]]) -> None:
    answer = server.client("national").post(f"/api/v1/vintages/{VINTAGE}/uploads",
                                            files=[("files", f) for f in files])
    assert answer.status_code == 201, answer.text


def _orgs(server: Server, role: str) -> set[str]:
    answer = server.get(role, "/api/v1/organisations", params={"vintage": VINTAGE})
    assert answer.status_code == 200, answer.text
    return {str(o["org_code"]) for o in answer.json()}


def _status(server: Server, role: str, path: str, **params: Any) -> int:
    return server.get(role, path, params={"vintage": VINTAGE, **params}).status_code


def test_a_kept_scope_follows_an_upload_and_stays_its_role_s(server: Server, kit: Kit) -> None:
    # RAA, RBB in North Central London (QMJ), RCC in another London ICB, RDD in the South West
    _upload(server, [("orgs.csv", kit.org_csv(kit.tmp_path / "orgs.csv").read_bytes()),
                     ("a.csv", kit.sip_csv(kit.tmp_path / "a.csv", 16).read_bytes())])
    for _ in range(2):  # the second from the kept scopes, each role's its own
        assert _orgs(server, "icb") == {"RAA", "RBB"}
        assert _orgs(server, "region") == {"RAA", "RBB", "RCC"}
    assert _status(server, "icb", "/api/v1/organisations/RCC") == 403
    assert _status(server, "icb", "/api/v1/organisations/REE") == 403  # not placed in QMJ yet
    assert _status(server, "icb", "/api/v1/metrics", level="org", area="REE") == 403
    new = kit.org_csv(kit.tmp_path / "new.csv", [("REE", "Trust E", "Acute", "nhs_trust",
                                                   "QMJ", "Y56")])
    _upload(server, [("new.csv", new.read_bytes()),
                     ("e.csv", kit.sip_csv(kit.tmp_path / "e.csv", 16, org="REE").read_bytes())])
    # the very next requests: the vintage's data version changed, so its scopes are new
    assert _status(server, "icb", "/api/v1/organisations/REE") == 200
    assert _status(server, "icb", "/api/v1/metrics", level="org", area="REE") == 200
    assert _orgs(server, "icb") == {"RAA", "RBB", "REE"}
    assert _orgs(server, "region") == {"RAA", "RBB", "RCC", "REE"}
    assert _orgs(server, "icb") == {"RAA", "RBB", "REE"}  # not the region's, now kept
    assert _status(server, "icb", "/api/v1/organisations/RCC") == 403
    assert _status(server, "region", "/api/v1/organisations/RDD") == 403
    # the demo vintage's scope is its own (another vintage, other placements)
    demo = server.get("icb", "/api/v1/organisations").json()
    assert len(demo) > 100
    assert {o["icb_code"] for o in demo} == {"QMJ"}


def test_two_roles_of_one_kind_never_share_a_kept_scope(kit: Kit) -> None:
    cache = ScopeCache()
    with open_store(kit.tmp_path / "tiny.duckdb") as store:
        ingest(store, [kit.org_csv(kit.tmp_path / "orgs.csv"),
                       kit.sip_csv(kit.tmp_path / "a.csv", 16)], "tiny")

        def orgs(role: str) -> frozenset[str] | None:
            return cache.scope(store, Role.parse(role), "tiny").codes["org"]

        for _ in range(2):  # the second from the cache
            assert orgs("icb:QMJ") == {"RAA", "RBB"}
            assert orgs("icb:QKK") == {"RCC"}
            assert orgs("region:Y56") == {"RAA", "RBB", "RCC"}
            assert orgs("region:Y58") == {"RDD"}
        ingest(store, [kit.org_csv(kit.tmp_path / "new.csv", [
            ("REE", "Trust E", "Acute", "nhs_trust", "QKK", "Y56")])], "tiny")
        assert orgs("icb:QKK") == {"RCC", "REE"}
        assert orgs("icb:QMJ") == {"RAA", "RBB"}
        placed = cache.placements(store, "tiny")
        placed.loc[:, "icb_code"] = "QMJ"  # a caller changing its copy changes nothing kept
        assert set(cache.placements(store, "tiny")["icb_code"]) == {"QMJ", "QKK", "QJK"}


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/organisations", "/api/v1/areas"])
def test_a_revoked_token_is_refused_within_the_check_interval_everywhere(server: Server,
                                                                         path: str) -> None:
    if not is_postgres_url(server.db):
        pytest.skip("a DuckDB file takes one process: a token is revoked with the server down")
    with open_store(server.db) as store:
        token = accounts.create_token(store, "t-icb", actor="tests")
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{server.url}{path}"
    for _ in range(2):  # the second is answered with the token remembered
        assert httpx.get(url, headers=headers, params={"vintage": "demo"},
                         timeout=120).status_code == 200
    with open_store(server.db) as store:
        accounts.revoke_token(store, token, actor="tests")
    start = time.monotonic()
    while httpx.get(url, headers=headers, params={"vintage": "demo"},
                    timeout=120).status_code != 401:
        assert time.monotonic() - start < CHECK_S + SLACK_S, "the revocation was not seen"
        time.sleep(0.05)
    assert server.get("icb", path).status_code == 200  # others unaffected
