"""``/api/v1/metrics``: the current position, the same figures as ``wfplan metrics``.

The figures come from the same functions (:mod:`wfplan.analysis.metrics`); the
rows the caller may not see are dropped before the answer is built, and the
public's go through the same disclosure control as ``wfplan metrics --public``
(:func:`wfplan.analysis.public.control_frame`). A read at organisation level is
audited.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from datetime import date
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials

from wfplan.analysis import metrics as m
from wfplan.analysis.public import control_frame, statement
from wfplan.analysis.scope import Scope
from wfplan.dataset import accounts, codelists
from wfplan.dataset.accounts import User
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.accounts import data_version
from wfplan.dataset.store.queries.model_inputs import staff_in_post_periods
from wfplan.errors import InputError
from wfplan.web import models
from wfplan.web.cache import ResponseCache, State
from wfplan.web.deps import (
    MAX_PARAM,
    BearerDep,
    VintageParam,
    forbidden,
    known_user,
    not_found,
    reading,
    stores_of,
    verified,
)
from wfplan.web.frames import records

router = APIRouter(prefix="/api/v1")
Text = Annotated[str | None, Query(max_length=MAX_PARAM)]


def _check(scope: Scope, level: str, area: str | None) -> None:
    """Refuse a level or area outside the scope (403), before anything is read."""
    if not scope.allows_level(level):
        what = ("organisation-level figures" if level == "org" else f"level {level!r}")
        raise forbidden(what)
    if area is not None and not scope.allows(level, area):
        raise forbidden(f"area {area!r}")


def _known_group(label: str | None) -> None:
    """Refuse a staff group that is neither a code nor a label of the code lists (422)."""
    if label is None:
        return
    if not (codelists.get("staff_group").code_for(label)
            or codelists.get("staff_group_aggregate").code_for(label)):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"unknown staff group {label!r}: use a code or label of "
                            "the staff group code list")


#: Queries whose unscoped tables are kept per process (the newest used are kept).
CACHED = 64
_cache: OrderedDict[tuple[object, ...], dict[str, pd.DataFrame]] = OrderedDict()
_cache_guard = threading.Lock()


def _frames(store: Store, query: m.Query,
            version: tuple[int, int]) -> dict[str, pd.DataFrame]:
    """Return the four tables of ``wfplan metrics`` for ``query``, for every area of the level.

    They are kept (at most :data:`CACHED` queries) under the query and the vintage's
    data ``version`` (:func:`~wfplan.dataset.store.queries.accounts.data_version`), so a
    load into the vintage, by this process or another, is seen by the next request.
    The caller's scope is applied to a copy afterwards, never stored.
    """
    key = (store.location(), query, version)
    with _cache_guard:
        if key in _cache:
            _cache.move_to_end(key)
            return dict(_cache[key])
    position, coverage = m.position_with_coverage(store, query)
    frames = {"current_position": position, "coverage": coverage,
              "ethnic_minority_by_band": m.ethnic_minority_by_band(store, query),
              "net_change": m.net_change(store, query)}
    with _cache_guard:
        _cache[key] = frames
        while len(_cache) > CACHED:
            _cache.popitem(last=False)
    return dict(frames)


def _scoped(frames: dict[str, pd.DataFrame], scope: Scope, level: str) -> dict[str, pd.DataFrame]:
    """Keep the rows the scope may see; say a figure is shown only if a row kept shows it."""
    out = {name: scope.visible(frame, level) if name != "coverage" else frame
           for name, frame in frames.items()}
    if scope.role.kind != "national":
        position = out["current_position"]
        coverage = out["coverage"].copy()
        coverage["shown"] = [bool(position[c].notna().any()) if c in position else bool(s)
                             for c, s in zip(coverage["metric"], coverage["shown"], strict=True)]
        out["coverage"] = coverage
    return out


MetricsParams = tuple[models.Level, str | None, str | None, date | None, str | None]


@router.get("/metrics", response_model=models.Metrics, tags=["data"])
async def metrics(
    request: Request, credentials: BearerDep, vintage: VintageParam = None,
    level: models.Level = "england", area: Text = None, staff_group: Text = None,
    period: Annotated[date | None, Query(description="A census date (YYYY-MM-DD)")] = None,
    sector: Text = None,
) -> Response:
    """Return the current position at one level (optionally one area, staff group, period, sector).

    403 for a level or area outside your scope; the public sees England, regions
    and ICBs only, under disclosure control. Answers are cached per process
    (:mod:`wfplan.web.cache`): another process's load is seen within
    ``WFPLAN_CACHE_CHECK_S`` seconds, this process's own at once.
    """
    cache: ResponseCache = request.app.state.cache
    state = await cache.current(lambda: _read_state(request))
    user = await cached_user(request, credentials, cache)
    params: MetricsParams = (level, area, staff_group, period, sector)
    chosen = vintage or state.default
    key = (("metrics", str(user.role), params, chosen, state.versions[chosen])
           if chosen is not None and chosen in state.versions else None)
    body = cache.answer(key) if key is not None else None
    audited = False
    if body is None:
        body, audited = await cache.computed(key, lambda: _answer(request, user, vintage, params))
    if level == "org" and not audited:
        await run_in_threadpool(_audit_org, request, user, str(chosen), area)
    return Response(body, media_type="application/json")


async def cached_user(request: Request, credentials: HTTPAuthorizationCredentials | None,
                      cache: ResponseCache) -> User:
    """Return the caller: from the token cache if it knows the token, else verified (and kept)."""
    known = known_user(request, credentials, cache)
    if known is not None:
        return known
    user, expires = await run_in_threadpool(verified, request, credentials)
    if credentials is not None:
        cache.remember(credentials.credentials.strip(), user, expires)
    return user


def _read_state(request: Request) -> State:
    """Read the database's state into the cache (it queries a store: run in the threadpool)."""
    cache: ResponseCache = request.app.state.cache
    with stores_of(request).lend() as store:
        return cache.refresh(store)


def _audit_org(request: Request, user: User, vintage: str, area: str | None) -> None:
    """Write the audit row of an organisation-level read."""
    with stores_of(request).lend() as store:
        accounts.record(store, user.name, "read.metrics", str(user.role),
                        _org_detail(vintage, area))


def _org_detail(vintage: str, area: str | None) -> str:
    return f"vintage {vintage}; level org" + (f"; area {area}" if area else "")


def _answer(request: Request, user: User, vintage: str | None,
            params: MetricsParams) -> tuple[bytes, Hashable]:
    """Compute an answer from the store; return its JSON and the key to keep it under."""
    level, area, staff_group, period, sector = params
    with reading(request, user, vintage) as read:
        _check(read.scope, level, area)
        _known_group(staff_group)
        if period is not None and period not in staff_in_post_periods(read.store, read.vintage):
            raise not_found(f"census {period.isoformat()}")
        query = m.Query(read.vintage, level, area, staff_group, period, sector)
        version = data_version(read.store, read.vintage)
        try:
            frames = _frames(read.store, query, version)
        except InputError as exc:
            code = status.HTTP_404_NOT_FOUND if "no area" in str(exc) else (
                status.HTTP_422_UNPROCESSABLE_CONTENT)
            raise HTTPException(code, str(exc)) from None
        if level == "org":
            read.audit("read.metrics", _org_detail(read.vintage, area))
        scope = read.scope
    body = _model(read.vintage, level, scope, _scoped(frames, scope, level))
    return (body.model_dump_json().encode(),
            ("metrics", str(user.role), params, read.vintage, version))


def _model(vintage: str, level: models.Level, scope: Scope,
           frames: dict[str, pd.DataFrame]) -> models.Metrics:
    """Return the answer's model (disclosure control applied for a controlled scope)."""
    if scope.controlled:
        frames = {name: control_frame(frame, name).frame if name == "coverage"
                  else control_frame(frame, name).marked() for name, frame in frames.items()}
    body = {name: records(frame) for name, frame in frames.items()}
    return models.Metrics(vintage=vintage, level=level, controlled=scope.controlled,
                          disclosure=statement() if scope.controlled else None,
                          current_position=[models.PositionRow(**r)
                                            for r in body["current_position"]],
                          coverage=[models.CoverageRow(**r) for r in body["coverage"]],
                          ethnic_minority_by_band=[models.BandRow(**r)
                                                   for r in body["ethnic_minority_by_band"]],
                          net_change=[models.NetChangeRow(**r) for r in body["net_change"]])
