"""The rules of the per-process cache (:mod:`wfplan.web.cache`) on a real DuckDB store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from wfplan.dataset import accounts
from wfplan.dataset.accounts import Role, User
from wfplan.dataset.store import open_store
from wfplan.dataset.store.base import now
from wfplan.dataset.store.queries.accounts import data_version, service_state
from wfplan.web.cache import ResponseCache

ANA = User("ana", Role.parse("national"))


def test_the_state_is_the_store_s_default_vintage_versions_and_revocations(
        tmp_path: Path) -> None:
    with open_store(str(tmp_path / "s.duckdb")) as store:
        assert service_state(store) == (None, {}, 0)
        for name in ("old", "new"):
            store.execute("INSERT INTO vintages (name, created_at) VALUES (?, ?)", [name, now()])
        default, versions, revoked = service_state(store)
        assert default == store.resolve_vintage(None).name
        assert versions == {v: data_version(store, v) for v in ("old", "new")}
        accounts.add_user(store, "ana", "national", actor="t")
        accounts.revoke_token(store, accounts.create_token(store, "ana", actor="t"), actor="t")
        assert service_state(store)[2] == revoked + 1


def test_a_revocation_forgets_every_verified_token(tmp_path: Path) -> None:
    cache = ResponseCache(check_s=0.0)
    with open_store(str(tmp_path / "s.duckdb")) as store:
        accounts.add_user(store, "ana", "national", actor="t")
        token = accounts.create_token(store, "ana", actor="t")
        other = accounts.create_token(store, "ana", actor="t")
        cache.refresh(store)
        cache.remember(token, ANA, None)
        cache.refresh(store)  # nothing revoked: still known
        assert cache.user(token) == ANA
        accounts.revoke_token(store, other, actor="t")
        cache.refresh(store)
        assert cache.user(token) is None


def test_a_token_is_not_remembered_past_its_expiry() -> None:
    cache = ResponseCache(token_s=60.0)
    cache.remember("wfp_a", ANA, now() - timedelta(seconds=1))
    assert cache.user("wfp_a") is None
    cache.remember("wfp_b", ANA, now() + timedelta(days=1))
    assert cache.user("wfp_b") == ANA


def test_an_invalidation_drops_the_state_and_the_answers(tmp_path: Path) -> None:
    cache = ResponseCache(check_s=60.0)
    with open_store(str(tmp_path / "s.duckdb")) as store:
        cache.refresh(store)
        cache.keep(("k",), b"{}")
        assert cache.fresh() is not None
        assert cache.answer(("k",)) == b"{}"
        cache.invalidate()
        assert cache.fresh() is None
        assert cache.answer(("k",)) is None
