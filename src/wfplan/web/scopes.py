"""The per-process cache of where a vintage places organisations, and of the scopes built on it.

A region or ICB user's every request needs its scope
(:func:`~wfplan.analysis.scope.scope_of`), which needs the vintage's placements
(:func:`~wfplan.dataset.store.queries.geography.placements`, tens of milliseconds:
every organisation's records); ``/api/v1/organisations`` needs them again. A
:class:`ScopeCache` (one per app, ``app.state.scopes``) keeps them, keyed by the
store's location, the vintage and its data version
(:func:`~wfplan.dataset.store.queries.accounts.data_version`, read in the
request's own store each time, as the metrics' tables are kept), so a load into
the vintage, by this process or another, is seen by the next request. A scope is
kept by role: a scope is a function of the role and the vintage's data only, so
two users share one only if they have the same role. National, public and
organisation roles need no placements and are not kept (their scope reads nothing).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import TypeVar

import pandas as pd

from wfplan.analysis.scope import PLACED_KINDS, Scope, placement_date, scope_in
from wfplan.dataset.accounts import Role
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.accounts import data_version
from wfplan.dataset.store.queries.geography import placements

#: Vintage versions whose placements are kept, and scopes kept (the least recently used go).
PLACEMENTS = 8
SCOPES = 256
_Kept = TypeVar("_Kept")


class ScopeCache:
    """One process's placements and region and ICB scopes (thread-safe); see the module."""

    def __init__(self, placements: int = PLACEMENTS, scopes: int = SCOPES) -> None:
        self.limits = (placements, scopes)
        self._placed: OrderedDict[Hashable, pd.DataFrame] = OrderedDict()
        self._scopes: OrderedDict[Hashable, Scope] = OrderedDict()
        self._guard = threading.Lock()

    def placements(self, store: Store, vintage: str) -> pd.DataFrame:
        """Return the vintage's placements at its placement date (a copy of the one kept)."""
        return self._placements(store, vintage, self._key(store, vintage)).copy()

    def scope(self, store: Store, role: Role, vintage: str) -> Scope:
        """Return ``role``'s scope of ``vintage`` (kept for region and ICB roles)."""
        if role.kind not in PLACED_KINDS:
            return scope_in(role, None)
        key = self._key(store, vintage)
        with self._guard:
            found = self._scopes.get((key, str(role)))
            if found is not None:
                self._scopes.move_to_end((key, str(role)))
        if found is None:
            found = scope_in(role, self._placements(store, vintage, key))
            self._keep(self._scopes, (key, str(role)), found, self.limits[1])
        return Scope(found.role, dict(found.codes), found.controlled)

    @staticmethod
    def _key(store: Store, vintage: str) -> Hashable:
        return store.location(), vintage, data_version(store, vintage)

    def _placements(self, store: Store, vintage: str, key: Hashable) -> pd.DataFrame:
        with self._guard:
            found = self._placed.get(key)
            if found is not None:
                self._placed.move_to_end(key)
                return found
        found = placements(store, vintage, placement_date(store, vintage))
        self._keep(self._placed, key, found, self.limits[0])
        return found

    def _keep(self, kept: OrderedDict[Hashable, _Kept], key: Hashable, value: _Kept,
              limit: int) -> None:
        with self._guard:
            kept[key] = value
            while len(kept) > limit:
                kept.popitem(last=False)
