"""The service's accounts as SQL: users, tokens and the append-only audit log.

The rules (roles, how tokens are made and checked, what is audited) are in
:mod:`wfplan.dataset.accounts`; this module only reads and writes the rows,
in SQL that runs unchanged on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from wfplan.dataset import schema
from wfplan.dataset.store import Store
from wfplan.dataset.store.base import CODELIST_INGEST_FORMAT, now


def user(store: Store, name: str) -> dict[str, Any] | None:
    """Return one user's row (``name, role, password_hash, created_at``), or None."""
    found = store.query("SELECT name, role, password_hash, created_at FROM users WHERE name = ?",
                        [name])
    return None if found.empty else {str(k): v for k, v in found.iloc[0].items()}


def users(store: Store) -> pd.DataFrame:
    """Return every user with its number of live tokens, by name (no password hashes)."""
    return store.query(
        "SELECT u.name, u.role, u.password_hash IS NOT NULL AS has_password, u.created_at, "
        "(SELECT count(*) FROM tokens t WHERE t.user_name = u.name AND t.revoked_at IS NULL "
        "AND (t.expires_at IS NULL OR t.expires_at > ?)) AS live_tokens "
        "FROM users u ORDER BY u.name", [now()])


def add_user(store: Store, name: str, role: str, password_hash: str | None,
             at: datetime) -> None:
    """Insert a user."""
    store.execute("INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                  [name, role, password_hash, at])


def prefix_taken(store: Store, prefix: str) -> bool:
    """Return whether a token already has ``prefix``."""
    return bool(store.scalar("SELECT count(*) FROM tokens WHERE prefix = ?", [prefix]))


def add_token(store: Store, prefix: str, user_name: str, digest: str, at: datetime,
              expires_at: datetime | None) -> None:
    """Insert a token (its SHA-256 only)."""
    store.execute("INSERT INTO tokens (prefix, user_name, sha256, created_at, expires_at) "
                  "VALUES (?, ?, ?, ?, ?)", [prefix, user_name, digest, at, expires_at])


def token(store: Store, prefix: str) -> dict[str, Any] | None:
    """Return a token's row with its user's role, or None if no token has ``prefix``."""
    found = store.query(
        "SELECT t.prefix, t.user_name, t.sha256, t.expires_at, t.revoked_at, u.role "
        "FROM tokens t JOIN users u ON u.name = t.user_name WHERE t.prefix = ?", [prefix])
    return None if found.empty else {str(k): v for k, v in found.iloc[0].items()}


def tokens(store: Store) -> pd.DataFrame:
    """Return every token's prefix, user, creation, expiry and revocation (never a hash)."""
    return store.query("SELECT prefix, user_name, created_at, expires_at, revoked_at "
                       "FROM tokens ORDER BY created_at, prefix")


def revoke_token(store: Store, prefix: str, at: datetime) -> str | None:
    """Mark a live token revoked; return its user, or None if no live token has ``prefix``."""
    owner = store.scalar("SELECT user_name FROM tokens WHERE prefix = ? AND revoked_at IS NULL",
                         [prefix])
    if owner is None:
        return None
    store.execute("UPDATE tokens SET revoked_at = ? WHERE prefix = ?", [at, prefix])
    return str(owner)


def append_audit(store: Store, at: datetime, actor: str, action: str, scope: str | None,
                 detail: str | None) -> None:
    """Append one row to the audit log."""
    audit_id = int(store.scalar(f"SELECT nextval('{schema.AUDIT_ID_SEQUENCE}')"))
    store.execute("INSERT INTO audit (audit_id, recorded_at, actor, action, scope, detail) "
                  "VALUES (?, ?, ?, ?, ?, ?)", [audit_id, at, actor, action, scope, detail])


def audit(store: Store, limit: int, actor: str | None = None,
          action: str | None = None) -> pd.DataFrame:
    """Return the newest ``limit`` audit rows (optionally of one actor or action), oldest first."""
    where, params = [], []
    for column, value in (("actor", actor), ("action", action)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    return store.query(
        f"SELECT audit_id, recorded_at, actor, action, scope, detail FROM "
        f"(SELECT * FROM audit {clause}ORDER BY audit_id DESC LIMIT {int(limit)}) newest "
        "ORDER BY audit_id", params or None)


def data_version(store: Store, vintage: str) -> tuple[int, int]:
    """Return ``(ingests, newest ingest id)`` of a vintage: changes whenever data is loaded."""
    found = store.query("SELECT count(*) AS n, coalesce(max(ingest_id), 0) AS newest "
                        "FROM ingests WHERE vintage = ?", [vintage]).to_numpy()
    return int(found[0, 0]), int(found[0, 1])



def service_state(store: Store) -> tuple[str | None, dict[str, tuple[int, int]], int]:
    """Return the default vintage, every vintage's :func:`data_version` and the revocations.

    In one query (the service asks every second): the default vintage is the one
    :meth:`~wfplan.dataset.store.base.Store.resolve_vintage` picks (the one loaded
    most recently), the revocations are how many tokens have been revoked (a
    number that only grows).
    """
    rows = store.query_arrow(
        "SELECT v.name, count(i.ingest_id) AS n, coalesce(max(i.ingest_id), 0) AS newest, "
        "(SELECT count(*) FROM tokens WHERE revoked_at IS NOT NULL) AS revoked "
        "FROM vintages v LEFT JOIN ingests i ON i.vintage = v.name "
        "GROUP BY v.name, v.created_at ORDER BY coalesce(max(CASE WHEN i.format <> ? "
        "THEN i.loaded_at END), v.created_at) DESC, v.created_at DESC, v.name DESC",
        [CODELIST_INGEST_FORMAT]).to_pylist()
    versions = {str(r["name"]): (int(r["n"]), int(r["newest"])) for r in rows}
    revoked = int(rows[0]["revoked"]) if rows else int(
        store.scalar("SELECT count(*) FROM tokens WHERE revoked_at IS NOT NULL"))
    return (str(rows[0]["name"]) if rows else None), versions, revoked
