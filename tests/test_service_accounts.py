"""Accounts of the service (issue 13, step 1): roles, tokens, passwords and the audit log.

Every test runs on DuckDB and PostgreSQL (the ``backend`` fixture).
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from wfplan.dataset import accounts, schema
from wfplan.dataset.accounts import Role
from wfplan.dataset.store.base import now
from wfplan.errors import InputError

if TYPE_CHECKING:
    from backends import Backend
    from conftest import Kit


@pytest.mark.parametrize(("text", "role"), [
    ("national", Role("national")), ("public", Role("public")),
    ("region:y56", Role("region", "Y56")), ("icb:QMJ", Role("icb", "QMJ")),
    ("org:raa", Role("org", "RAA")),
])
def test_roles_parse(text: str, role: Role) -> None:
    assert Role.parse(text) == role
    assert Role.parse(str(role)) == role


@pytest.mark.parametrize("text", ["", "admin", "region", "region:ZZZ", "icb:Y56", "national:X",
                                  "org:'; DROP TABLE users; --", "org:A"])
def test_bad_roles_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        Role.parse(text)


def test_a_token_authenticates_its_user_and_only_its_hash_is_stored(backend: Backend) -> None:
    with backend.open() as store:
        accounts.add_user(store, "alice", "icb:QMJ")
        token = accounts.create_token(store, "alice")
        assert token.startswith("wfp_")
        assert len(token.split("_", 2)[2]) == 43  # 32 random bytes, URL-safe base64
        found = accounts.authenticate(store, token)
        assert found == accounts.User("alice", Role("icb", "QMJ"))
        stored = store.query("SELECT * FROM tokens")
        assert token not in stored.astype(str).to_numpy().ravel().tolist()
        assert stored["sha256"].iat[0] == hashlib.sha256(token.encode()).hexdigest()
        assert stored["prefix"].iat[0] == token.split("_")[1]


def test_wrong_expired_and_revoked_tokens_fail(backend: Backend) -> None:
    with backend.open() as store:
        accounts.add_user(store, "bob", "national")
        token = accounts.create_token(store, "bob", days=2)
        tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
        assert accounts.authenticate(store, tampered) is None
        assert accounts.authenticate(store, "wfp_00000000_" + "x" * 43) is None
        assert accounts.authenticate(store, "not a token") is None
        assert accounts.authenticate(store, token) is not None
        assert accounts.authenticate(store, token, now() + timedelta(days=3)) is None
        accounts.revoke_token(store, token.split("_")[1])
        assert accounts.authenticate(store, token) is None
        with pytest.raises(InputError, match="no live token"):
            accounts.revoke_token(store, token.split("_")[1])


def test_users_are_unique_and_tokens_need_a_user(backend: Backend) -> None:
    with backend.open() as store:
        accounts.add_user(store, "carol", "org:RAA", password="correct horse")
        with pytest.raises(InputError, match="exists already"):
            accounts.add_user(store, "carol", "national")
        with pytest.raises(InputError, match="no user"):
            accounts.create_token(store, "nobody")
        with pytest.raises(InputError, match="at least 1 day"):
            accounts.create_token(store, "carol", days=0)
        assert accounts.check_password(store, "carol", "correct horse")
        assert not accounts.check_password(store, "carol", "wrong")
        assert not accounts.check_password(store, "nobody", "correct horse")
        hashed = store.scalar("SELECT password_hash FROM users WHERE name = 'carol'")
        assert hashed.startswith("$argon2id$")
        assert list(accounts.list_users(store)["name"]) == ["carol"]


def test_account_and_token_changes_are_audited(backend: Backend) -> None:
    with backend.open() as store:
        accounts.add_user(store, "dave", "region:Y56")
        token = accounts.create_token(store, "dave")
        accounts.revoke_token(store, token)
        log = accounts.audit_log(store)
    assert list(log["action"]) == ["user.add", "token.create", "token.revoke"]
    assert list(log["scope"])[:2] == ["region:Y56", "region:Y56"]
    assert token not in " ".join(log["detail"])
    assert log["audit_id"].is_monotonic_increasing


def test_a_failed_change_leaves_no_audit_row(backend: Backend) -> None:
    with backend.open() as store:
        with pytest.raises(InputError):
            accounts.add_user(store, "erin", "region:NOPE")
        assert accounts.audit_log(store).empty


def test_the_audit_log_refuses_updates_and_deletes_on_postgres(pg_backend: Backend) -> None:
    import psycopg

    with pg_backend.open() as store:
        accounts.record(store, "test", "probe")
        for statement in ("UPDATE audit SET actor = 'x'", "DELETE FROM audit",
                          "TRUNCATE audit"):
            with pytest.raises(psycopg.Error, match="append-only"):
                store.execute(statement)
        assert len(accounts.audit_log(store)) == 1


def test_migration_to_7_adds_accounts(backend: Backend) -> None:
    with backend.open() as store:
        store.ensure_writable_vintage("v")
    for table in schema.META_TABLES_V7:
        backend.sql(f"DROP TABLE {table.name}")
    backend.sql("DROP SEQUENCE audit_ids")
    backend.sql("UPDATE schema_meta SET value = '6' WHERE key = 'schema_version'")
    with backend.open() as migrated:
        assert int(migrated.scalar("SELECT value FROM schema_meta WHERE key = 'schema_version'")
                   ) == schema.SCHEMA_VERSION
        accounts.add_user(migrated, "fay", "national")
        assert len(accounts.audit_log(migrated)) == 1
        assert migrated.vintage_exists("v")


def test_cli_users_tokens_and_audit(kit: Kit, backend: Backend) -> None:
    db = backend.db
    added = kit.cli("users", "add", "gina", "--role", "icb:qmj", "--db", db)
    assert added.exit_code == 0, added.output
    assert "icb:QMJ" in added.stdout
    bad = kit.cli("users", "add", "hal", "--role", "boss", "--db", db)
    assert bad.exit_code == 2
    assert "unknown role" in bad.stderr
    assert "Traceback" not in bad.output
    made = kit.cli("tokens", "create", "gina", "--expires", "30", "--db", db)
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert token.startswith("wfp_")
    assert "shown once" in made.stderr
    listed = kit.cli("users", "list", "--db", db)
    assert "gina" in listed.stdout
    assert "icb:QMJ" in listed.stdout
    tokens = kit.cli("tokens", "list", "--db", db)
    prefix = token.split("_")[1]
    assert prefix in tokens.stdout
    assert token not in tokens.stdout
    revoked = kit.cli("tokens", "revoke", prefix, "--db", db)
    assert revoked.exit_code == 0, revoked.output
    log = kit.cli("audit", "--db", db)
    assert log.exit_code == 0
    for action in ("user.add", "token.create", "token.revoke"):
        assert action in log.stdout
    assert token not in log.stdout
