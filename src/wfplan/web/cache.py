"""The service's per-process cache: verified tokens, the database's state, finished answers.

A request on the hot path (``/api/v1/metrics``) needs three things from the
database: who the token belongs to, which vintage it reads and at which data
version, and the figures. Each process keeps them here, so that a repeated
request is answered without a database call:

- **The state** (:class:`State`): the default vintage, each vintage's data
  version (:func:`~wfplan.dataset.store.queries.accounts.data_versions`) and the
  number of revoked tokens. It is read again at most every
  :attr:`ResponseCache.check_s` seconds (``WFPLAN_CACHE_CHECK_S``, default 1 s),
  so a load or a revocation by another process is seen within that time; this
  process's own uploads drop it at once (:meth:`ResponseCache.invalidate`).
- **Tokens**: a token that verified is remembered (by its SHA-256, never the
  token) until it expires or for :attr:`ResponseCache.token_s` seconds,
  whichever comes first, and all are forgotten whenever the count of revoked
  tokens changes. A revoked token is therefore refused within ``check_s``.
  Bad tokens are never remembered (they still go through the throttle).
- **Answers**: the serialised JSON of a successful answer, keyed by the
  caller's role (which fixes its scope and whether disclosure control applies),
  the normalised query, the vintage and its data version. Two callers share an
  answer only if they have the same role. Only 200 answers are kept.

Audit is not cached: an organisation-level read served from here still writes
its audit row (the caller does that for every request).
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from fastapi.concurrency import run_in_threadpool

from wfplan.dataset.accounts import User
from wfplan.dataset.store import Store
from wfplan.dataset.store.base import now
from wfplan.dataset.store.queries import accounts as sql

#: Seconds between two reads of the state (per process), and a verified token's longest life.
CHECK_S = 1.0
TOKEN_S = 60.0
#: Answers kept per process (the least recently used go first).
ENTRIES = 512


@dataclass(frozen=True)
class State:
    """What the database said when last asked: default vintage, data versions, revocations."""

    default: str | None
    versions: dict[str, tuple[int, int]]
    revoked: int
    read_at: float


def read_state(store: Store) -> State:
    """Return the database's :class:`State` now (one query)."""
    default, versions, revoked = sql.service_state(store)
    return State(default, versions, revoked, time.monotonic())


def digest(token: str) -> str:
    """Return the key a token is remembered under (its SHA-256)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ResponseCache:
    """One process's cache (thread-safe); see the module for what it keeps and for how long."""

    def __init__(self, check_s: float = CHECK_S, token_s: float = TOKEN_S,
                 entries: int = ENTRIES) -> None:
        self.check_s = check_s
        self.token_s = token_s
        self.entries = entries
        self._state: State | None = None
        self._tokens: dict[str, tuple[User, float]] = {}
        self._answers: OrderedDict[Hashable, bytes] = OrderedDict()
        self._guard = threading.Lock()
        self._generation = 0  # bumped by invalidate: a read begun before it is not kept
        self._reading: tuple[asyncio.Future[State], int] | None = None
        self._pending: dict[Hashable, asyncio.Future[tuple[bytes, Hashable]]] = {}

    def fresh(self) -> State | None:
        """Return the state if it was read less than ``check_s`` ago, else None."""
        state = self._state
        if state is None or time.monotonic() - state.read_at >= self.check_s:
            return None
        return state

    async def current(self, read: Callable[[], State]) -> State:
        """Return the state, read again (``read``, in the threadpool) if older than ``check_s``.

        One read at a time: while it runs, other requests go on with the state
        before it (so an answer may lag another process's load by ``check_s`` plus
        one read); after :meth:`invalidate` they wait for a read begun after it.
        """
        state = self.fresh()
        if state is not None:
            return state
        generation = self._generation
        if self._reading is None or self._reading[1] != generation or self._reading[0].done():
            self._reading = (asyncio.ensure_future(run_in_threadpool(read)), generation)
        task = self._reading[0]
        if self._state is not None:
            return self._state
        return await asyncio.shield(task)

    def refresh(self, store: Store) -> State:
        """Read the state from ``store``; forget tokens if a revocation happened since."""
        generation = self._generation
        state = read_state(store)
        with self._guard:
            if generation != self._generation:  # invalidated while reading: maybe stale
                return state
            old = self._state
            if old is None or old.revoked != state.revoked:
                self._tokens.clear()
            if old is not None and old.versions != state.versions:
                self._answers.clear()
            self._state = state
        return state

    def invalidate(self) -> None:
        """Forget the state and every answer (this process changed the data)."""
        with self._guard:
            self._generation += 1
            self._state = None
            self._answers.clear()

    def user(self, token: str) -> User | None:
        """Return the user of a token verified lately and still within its life, else None."""
        key = digest(token)
        with self._guard:
            found = self._tokens.get(key)
            if found is None:
                return None
            if time.monotonic() >= found[1]:
                del self._tokens[key]
                return None
            return found[0]

    def remember(self, token: str, user: User, expires_at: object) -> None:
        """Remember a token that verified, until ``expires_at`` or ``token_s`` from now."""
        life = self.token_s
        if isinstance(expires_at, datetime | pd.Timestamp) and not pd.isna(expires_at):
            left = (pd.Timestamp(expires_at) - pd.Timestamp(now())).total_seconds()
            life = min(life, left)
        if life <= 0:
            return
        with self._guard:
            if len(self._tokens) > 10_000:
                self._tokens.clear()
            self._tokens[digest(token)] = (user, time.monotonic() + life)

    def forget(self, token: str) -> None:
        """Forget a token at once (this process revoked it: a signed-out session)."""
        with self._guard:
            self._tokens.pop(digest(token), None)

    async def computed(self, key: Hashable | None,
                       compute: Callable[[], tuple[bytes, Hashable]]) -> tuple[bytes, bool]:
        """Return an answer computed by ``compute`` (in the threadpool), and keep it.

        ``compute`` returns the answer and the key it is valid under. Requests for
        the same ``key`` at once share one computation (only the first runs it);
        the flag says whether this request ran it (and so wrote its audit row). An
        error (a 403, a 404) reaches each of them alike.
        """
        pending = self._pending.get(key) if key is not None else None
        if pending is not None:
            return (await asyncio.shield(pending))[0], False
        task = asyncio.ensure_future(run_in_threadpool(compute))
        if key is not None:
            self._pending[key] = task
        try:
            body, valid = await asyncio.shield(task)
        finally:
            if key is not None and self._pending.get(key) is task:
                del self._pending[key]
        self.keep(valid, body)
        return body, True

    def answer(self, key: Hashable) -> bytes | None:
        """Return the answer kept under ``key``, or None."""
        with self._guard:
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
            return found

    def keep(self, key: Hashable, body: bytes) -> None:
        """Keep an answer under ``key`` (dropping the least recently used past ``entries``)."""
        with self._guard:
            self._answers[key] = body
            while len(self._answers) > self.entries:
                self._answers.popitem(last=False)

