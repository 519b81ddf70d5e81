"""``/api/v1``: who am I, vintages, areas, organisations and the data-gap report."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response, status

from wfplan import __version__
from wfplan.analysis.gaps import Area, gap_report
from wfplan.dataset import accounts, codelists
from wfplan.dataset.accounts import Role, User
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
GapAreaParam = Annotated[str | None, Query(
    max_length=MAX_PARAM, description="A region or ICB code: the report of the rows and "
    "organisations placed in it (default: your role's region or ICB; England for national "
    "users). A region user may ask for one of its ICBs")]
#: Why a role gets no data-gap report.
GAPS_REFUSED = {
    "public": "the data-gap report names organisations: it is for signed-in users of "
              "England, a region or an ICB",
    "org": "the data-gap report is an area's (which of its organisations, ICBs and tables "
           "lack data), so an organisation's role has none: your organisation's figures, "
           "and what they cover, are on its own page",
}


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
async def gaps(request: Request, credentials: BearerDep, vintage: VintageParam = None,
               area: GapAreaParam = None) -> Response:
    """Return the data-gap report of your scope: England, your region or your ICB.

    National users get England's, or a region's or ICB's with ``area``; a region user
    their region's (or one of its ICBs'), an ICB user their ICB's; anything else is
    refused (403), as are organisation users and the public (the report names
    organisations). The report takes seconds to compute, so its answer is cached per
    process, as the metrics' are (:mod:`wfplan.web.cache`): per vintage and area, until
    the vintage's data changes.
    """
    cache: ResponseCache = request.app.state.cache
    state = await cache.current(lambda: _read_state(request))
    user = await cached_user(request, credentials, cache)
    where = gap_area(user.role, area)
    chosen = vintage or state.default
    key = (("gaps", chosen, state.versions[chosen], where)
           if chosen is not None and chosen in state.versions else None)
    body = cache.answer(key) if key is not None else None
    if body is None:
        body, _ = await cache.computed(key, lambda: _gap_answer(request, user, vintage, where))
    return Response(body, media_type="application/json")


def gap_area(role: Role, asked: str | None) -> Area | None:
    """Return the area of the gap report ``role`` asks for: None for England.

    The areas are the code lists' regions and ICBs, and a role's area is the service's
    rule (:func:`wfplan.analysis.scope.scope_of`): a region user's ICBs are the code
    list's ICBs of the region.

    Raises
    ------
    HTTPException
        403 for the public, organisation users and an area outside the role; 404 for a
        national user's unknown area.
    """
    if role.kind in GAPS_REFUSED:
        raise HTTPException(status.HTTP_403_FORBIDDEN, GAPS_REFUSED[role.kind])
    code = (asked or role.code or "").strip().upper()
    if not code or (role.kind == "national" and code == codelists.ENGLAND_CODE):
        return None
    icbs = {r["code"]: r["region_code"] for r in codelists.get("icb").rows}
    level = "icb" if code in icbs else "region" if code in codelists.get("region").codes \
        else None
    if level is None and role.kind == "national":
        raise not_found(f"region or ICB {asked!r}")
    allowed = role.kind == "national" or (level == role.kind and code == role.code) or (
        role.kind == "region" and level == "icb" and icbs.get(code) == role.code)
    if level is None or not allowed:
        raise forbidden(f"the data-gap report of {code}")
    return Area(level, code)


def _gap_answer(request: Request, user: User, vintage: str | None,
                area: Area | None) -> tuple[bytes, Hashable]:
    """Compute the gap report from the store; return its JSON and the key to keep it under."""
    with reading(request, user, vintage) as read:
        report = gap_report(read.store, read.vintage, area=area)
        version = data_version(read.store, read.vintage)
    sections: dict[str, list[dict[str, Any]]] = {
        name: records(frame.astype(object)) for name, frame in report.sections().items()}
    body = models.Gaps(vintage=report.vintage, newest_period=report.newest_period,
                       stale_months=report.stale_months, area=_named(area), sections=sections)
    return body.model_dump_json().encode(), ("gaps", read.vintage, version, area)


def _named(area: Area | None) -> models.Area | None:
    """Return a gap report's area with its name and parent (the code lists'), or None."""
    if area is None:
        return None
    row = next(r for r in codelists.get(area.level).rows if r["code"] == area.code)
    parent = row["region_code"] if area.level == "icb" else codelists.ENGLAND_CODE
    return models.Area(code=area.code, name=str(row["name"]),
                       level="icb" if area.level == "icb" else "region", parent_code=parent)


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
