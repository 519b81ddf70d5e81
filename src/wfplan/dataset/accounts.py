"""Accounts of the service: users and their roles, API tokens, passwords, the audit log.

A **role** says what a user may see (:class:`Role`): ``national`` (everything),
``region:CODE`` (the NHS region and everything in it), ``icb:CODE`` (the ICB and
its organisations), ``org:CODE`` (the organisation, plus aggregates at ICB level
and above) or ``public`` (disclosure-controlled aggregates at ICB level and above,
what anyone without a token sees).

A **token** is ``wfp_<prefix>_<secret>``: 8 hex digits of public prefix (to find
its row) and 256 random bits from :mod:`secrets`. Only its SHA-256 is stored, so
a copy of the database holds no usable token; a token is shown once, when made,
and checked in constant time. Tokens expire (if made with an expiry) and can be
revoked. A **password** (for the dashboard's log-in) is stored as an argon2id
hash (argon2-cffi's defaults, RFC 9106's second recommended profile).

Every account or token change is written to the append-only **audit** log in
the same transaction as the change (:func:`record`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from wfplan.dataset import codelists
from wfplan.dataset.store import Store
from wfplan.dataset.store.base import now
from wfplan.dataset.store.queries import accounts as sql
from wfplan.errors import InputError

#: The kinds of role, widest first.
KINDS = ("national", "region", "icb", "org", "public")
#: What a token starts with (so that a leaked one is easy to recognise and scan for).
TOKEN_START = "wfp_"  # noqa: S105 - a public marker, not a secret
#: Random bytes in a token's secret part (256 bits).
TOKEN_BYTES = 32
_PREFIX_HEX = 8
_TOKEN = re.compile(rf"^{TOKEN_START}([0-9a-f]{{{_PREFIX_HEX}}})_([A-Za-z0-9_-]{{43}})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_ORG = re.compile(r"^[A-Z0-9]{3,12}$")
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class Role:
    """What a user may see: a kind and, for region, ICB and organisation, its code.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    code : str or None
        The region, ICB or organisation code (upper case); None for ``national``
        and ``public``.
    """

    kind: str
    code: str | None = None

    def __str__(self) -> str:
        return self.kind if self.code is None else f"{self.kind}:{self.code}"

    @classmethod
    def parse(cls, text: str) -> Role:
        """Return the role ``text`` names (``national``, ``region:Y56``, ``org:RAA``, ...).

        Raises
        ------
        InputError
            If the kind is unknown, a code is missing or not in its code list.
        """
        kind, _, code = text.strip().partition(":")
        kind, code = kind.lower(), code.strip().upper()
        if kind not in KINDS:
            raise InputError(f"unknown role {text!r}: use national, region:CODE, icb:CODE, "
                             "org:CODE or public")
        if kind in ("national", "public"):
            if code:
                raise InputError(f"role {kind!r} takes no code (got {text!r})")
            return cls(kind)
        if not code:
            raise InputError(f"role {kind!r} needs a code, e.g. {kind}:CODE")
        if kind in ("region", "icb") and code not in codelists.get(kind).codes:
            raise InputError(f"{code!r} is not an NHS {'region' if kind == 'region' else 'ICB'}"
                             f" code (see 'wfplan template' and the code lists)")
        if kind == "org" and not _ORG.match(code):
            raise InputError(f"{code!r} is not an organisation code (3 to 12 letters or digits)")
        return cls(kind, code)


@dataclass(frozen=True)
class User:
    """A user the service knows, as a request's authentication found it."""

    name: str
    role: Role


#: Whoever calls without a token.
PUBLIC = User("public", Role("public"))


def record(store: Store, actor: str, action: str, scope: str | None = None,
           detail: str | None = None) -> None:
    """Append one row to the audit log: who (``actor``) did what, in which scope, now."""
    sql.append_audit(store, now(), actor, action, scope, detail)


def add_user(store: Store, name: str, role: str, *, password: str | None = None,
             actor: str = "cli") -> User:
    """Create a user with a role (and an argon2-hashed password, if given); audited.

    Raises
    ------
    InputError
        If the name or role is not valid, or a user of that name exists.
    """
    if not _NAME.match(name):
        raise InputError(f"user name {name!r}: 1 to 64 letters, digits or . _ @ -, "
                         "starting with a letter or digit")
    parsed = Role.parse(role)
    hashed = _HASHER.hash(password) if password else None
    with store.transaction():
        if sql.user(store, name) is not None:
            raise InputError(f"user {name!r} exists already")
        sql.add_user(store, name, str(parsed), hashed, now())
        record(store, actor, "user.add", str(parsed),
               f"user {name}" + (" with a password" if hashed else ""))
    return User(name, parsed)


def check_password(store: Store, name: str, password: str) -> bool:
    """Return whether ``password`` is the user's (False for no such user or no password)."""
    found = sql.user(store, name)
    hashed = None if found is None else found["password_hash"]
    if not isinstance(hashed, str):
        return False
    try:
        return bool(_HASHER.verify(hashed, password))
    except (VerificationError, InvalidHashError):
        return False


def list_users(store: Store) -> pd.DataFrame:
    """Return every user: name, role, whether it has a password, created, live tokens."""
    return sql.users(store)


def create_token(store: Store, name: str, *, days: int | None = None,
                 actor: str = "cli") -> str:
    """Make a token for user ``name`` (expiring after ``days``, if given); return it, once.

    Raises
    ------
    InputError
        If there is no such user, or ``days`` is not positive.
    """
    if days is not None and days < 1:
        raise InputError(f"--expires must be at least 1 day (got {days})")
    with store.transaction():
        found = sql.user(store, name)
        if found is None:
            raise InputError(f"no user named {name!r}: add it with 'wfplan users add'")
        prefix = secrets.token_hex(_PREFIX_HEX // 2)
        while sql.prefix_taken(store, prefix):
            prefix = secrets.token_hex(_PREFIX_HEX // 2)
        text = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(TOKEN_BYTES)}"
        made = now()
        expires = made + timedelta(days=days) if days is not None else None
        sql.add_token(store, prefix, name, _digest(text), made, expires)
        record(store, actor, "token.create", str(found["role"]),
               f"token {prefix} for user {name}"
               + (f", expires {expires:%Y-%m-%d %H:%M}" if expires else ", no expiry"))
    return text


def revoke_token(store: Store, prefix: str, *, actor: str = "cli") -> str:
    """Revoke the live token with ``prefix``; return its user; audited.

    Raises
    ------
    InputError
        If no live token has that prefix.
    """
    prefix = prefix.removeprefix(TOKEN_START).split("_")[0].lower()
    with store.transaction():
        owner = sql.revoke_token(store, prefix, now())
        if owner is None:
            raise InputError(f"no live token with prefix {prefix!r} (see 'wfplan tokens list')")
        record(store, actor, "token.revoke", None, f"token {prefix} of user {owner}")
    return owner


def list_tokens(store: Store) -> pd.DataFrame:
    """Return every token's prefix, user, creation, expiry and revocation."""
    return sql.tokens(store)


def authenticate(store: Store, text: str, at: datetime | None = None) -> User | None:
    """Return the user a token belongs to, or None if it is malformed, unknown, expired or revoked.

    The stored hash is compared in constant time; nothing about which check
    failed is returned (the caller answers 401 alike).
    """
    match = _TOKEN.match(text)
    if match is None:
        return None
    found = sql.token(store, match.group(1))
    if found is None or not hmac.compare_digest(str(found["sha256"]), _digest(text)):
        return None
    when = at or now()
    if not _missing(found["revoked_at"]):
        return None
    if not _missing(found["expires_at"]) and pd.Timestamp(str(found["expires_at"])) <= when:
        return None
    return User(str(found["user_name"]), Role.parse(str(found["role"])))


def audit_log(store: Store, limit: int = 100, actor: str | None = None,
              action: str | None = None) -> pd.DataFrame:
    """Return the newest ``limit`` rows of the audit log, oldest first."""
    return sql.audit(store, limit, actor, action)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or value is pd.NA or (
        isinstance(value, float) and value != value)
