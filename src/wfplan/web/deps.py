"""What every endpoint shares: who is asking, which vintage, what they may see, errors.

Authentication: ``Authorization: Bearer TOKEN`` (:func:`wfplan.dataset.accounts.authenticate`).
No header is the public; a header that is not a live token is 401, whatever
the endpoint. Every answer that could hold data is computed for the caller's
:class:`~wfplan.analysis.scope.Scope`; a request naming an area or organisation
outside it gets 403 before anything is read (so that the answer says nothing
about whether the code exists), one naming a code that is in scope but has no
data gets 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from wfplan.analysis.scope import Scope
from wfplan.dataset import accounts
from wfplan.dataset.accounts import PUBLIC, User
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.accounts import token as token_row
from wfplan.errors import InputError
from wfplan.model import Scenario, ScenarioError, load_scenario_text
from wfplan.web.cache import ResponseCache
from wfplan.web.scopes import ScopeCache
from wfplan.web.service import Stores
from wfplan.web.throttle import Throttle

_BEARER = HTTPBearer(auto_error=False, description="An API token from 'wfplan tokens create'")
#: Longest text any query parameter takes (codes, vintage names, labels).
MAX_PARAM = 100

VintageParam = Annotated[str | None, Query(
    max_length=MAX_PARAM, description="Vintage (default: the one loaded most recently)")]


def stores_of(request: Request) -> Stores:
    """Return the service's stores."""
    stores: Stores = request.app.state.stores
    return stores


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
) -> User:
    """Return the caller: the token's user, or the public without an Authorization header.

    A token verified lately is taken from the process's token cache
    (:mod:`wfplan.web.cache`: a revocation is seen within its check interval, a
    log-out of this process at once), as ``/api/v1/metrics`` takes it.

    Raises
    ------
    HTTPException
        401 if a header is given and is not a live bearer token; 429 if the client
        sent too many of those lately (:mod:`wfplan.web.throttle`).
    """
    if request.headers.get("authorization") is None:
        return PUBLIC
    cache: ResponseCache = request.app.state.cache
    if cache.fresh() is None:  # revocations by another process are seen within check_s
        with stores_of(request).lend() as store:
            cache.refresh(store)
    known = known_user(request, credentials, cache)
    if known is not None:
        return known
    user, expires = verified(request, credentials)
    if credentials is not None:
        cache.remember(credentials.credentials.strip(), user, expires)
    return user


def known_user(request: Request, credentials: HTTPAuthorizationCredentials | None,
               cache: ResponseCache) -> User | None:
    """Return the caller without the database (the public, or a token verified lately), or None.

    None means the token must be verified (:func:`verified`), also for a client
    that is locked out, so that it gets its 429. Tokens are remembered by
    :class:`~wfplan.web.cache.ResponseCache` (and forgotten on any revocation).
    """
    if request.headers.get("authorization") is None:
        return PUBLIC
    if credentials is None:
        return None
    throttle: Throttle = request.app.state.throttle
    if throttle.locked(request.client.host if request.client else "unknown"):
        return None
    return cache.user(credentials.credentials.strip())


def verified(request: Request,
             credentials: HTTPAuthorizationCredentials | None) -> tuple[User, object]:
    """Return the caller (as :func:`current_user`) and its token's expiry (None: none)."""
    if credentials is None and request.headers.get("authorization") is None:
        return PUBLIC, None
    throttle: Throttle = request.app.state.throttle
    client = request.client.host if request.client else "unknown"
    if throttle.locked(client):
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            "too many invalid tokens from this address; try again later",
                            headers={"Retry-After": str(int(throttle.lockout_s))})
    found, expires = None, None
    if credentials is not None:
        text = credentials.credentials.strip()
        with stores_of(request).lend() as store:
            found = accounts.authenticate(store, text)
            if found is not None:
                row = token_row(store, text[len(accounts.TOKEN_START):].split("_")[0])
                expires = None if row is None else row["expires_at"]
    if found is None:
        throttle.failed(client)
        raise _unauthorised()
    return found, expires


def _unauthorised() -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid, expired or revoked token",
                         headers={"WWW-Authenticate": "Bearer"})


def forbidden(what: str) -> HTTPException:
    """Return the 403 of a request outside the caller's scope."""
    return HTTPException(status.HTTP_403_FORBIDDEN, f"{what} is outside your scope")


def not_found(what: str) -> HTTPException:
    """Return the 404 of something in scope that the data does not hold."""
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")


class Invalid(Exception):
    """A scenario or assessment definition that is not valid: its problems as rows."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows


def parse_scenario(text: str, file: str = "scenario.toml") -> Scenario:
    """Return the scenario, or raise :class:`Invalid` listing each problem as an upload's rows."""
    try:
        return load_scenario_text(text)
    except ScenarioError as error:
        rows = []
        for problem in error.problems:
            field, sep, rule = problem.partition(": ")
            rows.append({"file": file, "row": None, "column": field if sep else None,
                         "value": None, "rule": rule if sep else problem})
        raise Invalid(rows) from None


def invalid_scenario(request: Request, exc: Exception) -> JSONResponse:
    """Answer an invalid definition: 422, each problem as ``{file, row, column, value, rule}``."""
    rows = exc.rows if isinstance(exc, Invalid) else []
    return JSONResponse(rows, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


UserDep = Annotated[User, Depends(current_user)]
#: The bearer credentials alone (for an endpoint that checks them itself, from a cache).
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]


@dataclass(frozen=True)
class Reading:
    """One request's read of a vintage: the store lent, the vintage and the caller's scope."""

    store: Store
    vintage: str
    scope: Scope
    user: User

    def audit(self, action: str, detail: str) -> None:
        """Append an audit row for this caller (in this request's store)."""
        accounts.record(self.store, self.user.name, action, str(self.user.role), detail)


@contextmanager
def reading(request: Request, user: User, vintage: str | None) -> Iterator[Reading]:
    """Lend a store and resolve the vintage and the caller's scope in it.

    The scope of a region or ICB role is kept per vintage and data version
    (:class:`~wfplan.web.scopes.ScopeCache`).

    Raises
    ------
    HTTPException
        404 if the vintage does not exist (or there is none).
    """
    with stores_of(request).lend() as store:
        if vintage is not None and not store.vintage_exists(vintage):
            raise not_found(f"vintage {vintage!r}")
        try:
            chosen = vintage or store.resolve_vintage(None).name
        except InputError:
            raise not_found("vintage (the database has none yet)") from None
        yield Reading(store, chosen, scopes_of(request).scope(store, user.role, chosen), user)


def scopes_of(request: Request) -> ScopeCache:
    """Return the service's cache of placements and scopes (:mod:`wfplan.web.scopes`)."""
    scopes: ScopeCache = request.app.state.scopes
    return scopes
