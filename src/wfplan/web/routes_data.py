"""``/api/v1``: who am I, vintages, areas, organisations and the data-gap report."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status

from wfplan import __version__
from wfplan.analysis.gaps import gap_report
from wfplan.dataset import accounts
from wfplan.dataset.accounts import User
from wfplan.dataset.store.queries.accounts import data_version
from wfplan.dataset.store.queries.geography import area_list
from wfplan.web import models
from wfplan.web.cache import ResponseCache
from wfplan.web.deps import (
    MAX_PARAM,
    BearerDep,
    UserDep,
    VintageParam,
    forbidden,
    not_found,
    reading,
    scopes_of,
    stores_of,
)
from wfplan.web.frames import records
from wfplan.web.routes_metrics import _read_state, cached_user

router = APIRouter(prefix="/api/v1")
CodePath = Path(max_length=MAX_PARAM, description="An area or organisation code")
AreaParam = Annotated[str | None, Query(
    max_length=MAX_PARAM, description="Only the organisations placed in this area (a code)")]


@router.get("/health", response_model=models.Health, tags=["service"])
def health() -> models.Health:
    """Say the service is up (no database read)."""
    return models.Health(status="ok", version=__version__)


@router.get("/me", response_model=models.Me, tags=["service"])
def me(user: UserDep) -> models.Me:
    """Return the caller and its role (``public`` without a token)."""
    return models.Me(user=user.name, role=str(user.role))


@router.get("/vintages", response_model=list[models.Vintage], tags=["data"])
def vintages(request: Request, user: UserDep) -> list[models.Vintage]:
    """List the vintages: state and size (no figures)."""
    with stores_of(request).lend() as store:
        frame = store.vintages()
    return [models.Vintage(**row) for row in records(frame)]


def _areas(request: Request, user: UserDep, vintage: str | None,
           level: models.AreaLevel | None) -> list[models.Area]:
    with reading(request, user, vintage) as read:
        found = area_list(read.store, read.vintage)
        scope = read.scope
    if level is not None:
        found = found[found["level"] == level]
    keep = [scope.allows(str(r["level"]), str(r["code"])) for r in found.to_dict("records")]
    return [models.Area(**row) for row in records(found[keep])]


@router.get("/areas", response_model=list[models.Area], tags=["data"])
def areas(request: Request, user: UserDep, vintage: VintageParam = None,
          level: models.AreaLevel | None = None) -> list[models.Area]:
    """List England, the NHS regions and the ICBs you may see."""
    return _areas(request, user, vintage, level)


@router.get("/areas/{code}", response_model=models.Area, tags=["data"])
def area(request: Request, user: UserDep, code: str = CodePath,
         vintage: VintageParam = None) -> models.Area:
    """Return one area; 403 outside your scope, 404 if in scope but unknown."""
    shown = _areas(request, user, vintage, None)
    for item in shown:
        if item.code == code.upper():
            return item
    raise not_found(f"area {code!r}") if user.role.kind == "national" else forbidden(
        f"area {code!r}")


def _organisations(request: Request, user: UserDep, vintage: str | None, code: str | None,
                   within: dict[str, str | None] | None = None) -> list[models.Organisation]:
    """Return the organisations ``user`` may see (``code`` alone, or ``within`` ICB and region).

    ``within`` maps ``icb_code`` and ``region_code`` to a code (case-insensitive) or
    None; the filter applies after the scope, so it never shows more than the list.
    """
    if user.role.kind == "public":
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "organisations are shown only with a token; the public sees "
                            "aggregates at ICB level and above")
    with reading(request, user, vintage) as read:
        if code is not None and not read.scope.allows("org", code):
            raise forbidden(f"organisation {code!r}")
        placed = scopes_of(request).placements(read.store, read.vintage)
        placed = read.scope.visible(placed, "org", "org_code")
        if code is not None:
            placed = placed[placed["org_code"].str.upper() == code.upper()]
        filters = {k: v.upper() for k, v in (within or {}).items() if v is not None}
        for column, value in filters.items():
            placed = placed[placed[column].fillna("").str.upper() == value]
        read.audit("read.organisations", f"vintage {read.vintage}; "
                   + (f"organisation {code}" if code else f"{len(placed)} organisations")
                   + "".join(f"; {k.removesuffix('_code')} {v}" for k, v in filters.items()))
    rows = placed.rename(columns={"org_name": "name"})
    return [models.Organisation(**row) for row in records(
        rows[["org_code", "name", "sector", "icb_code", "region_code"]])]


@router.get("/organisations", response_model=list[models.Organisation], tags=["data"])
def organisations(request: Request, user: UserDep, vintage: VintageParam = None,
                  icb: AreaParam = None, region: AreaParam = None,
                  ) -> list[models.Organisation]:
    """List the organisations you may see, placed in ICBs and regions (audited).

    ``icb`` and ``region`` keep those placed in that ICB or region (within your scope:
    an area outside it gives an empty list).
    """
    return _organisations(request, user, vintage, None,
                          {"icb_code": icb, "region_code": region})


@router.get("/organisations/{code}", response_model=models.Organisation, tags=["data"])
def organisation(request: Request, user: UserDep, code: str = CodePath,
                 vintage: VintageParam = None) -> models.Organisation:
    """Return one organisation (audited); 403 outside your scope."""
    found = _organisations(request, user, vintage, code)
    if not found:
        raise not_found(f"organisation {code!r}")
    return found[0]


@router.get("/gaps", response_model=models.Gaps, tags=["data"])
async def gaps(request: Request, credentials: BearerDep,
               vintage: VintageParam = None) -> Response:
    """Return the data-gap report of a vintage (national users only: it names organisations).

    The report takes seconds to compute, so its answer is cached per process, as the
    metrics' are (:mod:`wfplan.web.cache`): until the vintage's data changes.
    """
    cache: ResponseCache = request.app.state.cache
    state = await cache.current(lambda: _read_state(request))
    user = await cached_user(request, credentials, cache)
    if user.role.kind != "national":
        raise forbidden("the data-gap report (it lists organisations across England)")
    chosen = vintage or state.default
    key = (("gaps", chosen, state.versions[chosen])
           if chosen is not None and chosen in state.versions else None)
    body = cache.answer(key) if key is not None else None
    if body is None:
        body, _ = await cache.computed(key, lambda: _gap_answer(request, user, vintage))
    return Response(body, media_type="application/json")


def _gap_answer(request: Request, user: User, vintage: str | None) -> tuple[bytes, Hashable]:
    """Compute the gap report from the store; return its JSON and the key to keep it under."""
    with reading(request, user, vintage) as read:
        report = gap_report(read.store, read.vintage)
        version = data_version(read.store, read.vintage)
    sections: dict[str, list[dict[str, Any]]] = {
        name: records(frame.astype(object)) for name, frame in report.sections().items()}
    body = models.Gaps(vintage=report.vintage, newest_period=report.newest_period,
                       stale_months=report.stale_months, sections=sections)
    return body.model_dump_json().encode(), ("gaps", read.vintage, version)


@router.get("/audit", response_model=list[models.AuditRow], tags=["service"])
def audit(request: Request, user: UserDep,
          limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
          actor: Annotated[str | None, Query(max_length=MAX_PARAM)] = None,
          action: Annotated[str | None, Query(max_length=MAX_PARAM)] = None,
          ) -> list[models.AuditRow]:
    """Return the newest rows of the audit log, oldest first (national users only)."""
    if user.role.kind != "national":
        raise forbidden("the audit log")
    with stores_of(request).lend() as store:
        frame = accounts.audit_log(store, limit, actor, action)
    return [models.AuditRow(**row) for row in records(frame)]
