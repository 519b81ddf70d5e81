"""``/api/v1/trends``: one area's series of one measure, with its SPC (the dashboard's charts).

The series comes from :func:`wfplan.analysis.trends.trend`; scope and
disclosure are those of ``/api/v1/metrics`` (:mod:`wfplan.web.routes_metrics`):
a level or area outside the caller's scope is refused (403) before anything
is read, the public sees England, regions and ICBs only, its figures under
disclosure control (:func:`wfplan.analysis.trends.controlled`), and a read at
organisation level is audited. Answers are cached per process as the metrics'.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from wfplan.analysis import trends as t
from wfplan.analysis.public import statement
from wfplan.analysis.scope import Scope
from wfplan.analysis.spc import SpcChart
from wfplan.dataset import accounts
from wfplan.dataset.accounts import User
from wfplan.dataset.store.queries.accounts import data_version
from wfplan.errors import InputError
from wfplan.web import models, models_trends
from wfplan.web.cache import ResponseCache
from wfplan.web.deps import MAX_PARAM, BearerDep, VintageParam, reading, stores_of
from wfplan.web.frames import plain
from wfplan.web.routes_metrics import (
    _check,
    _known_group,
    _org_detail,
    _read_state,
    cached_user,
)

router = APIRouter(prefix="/api/v1")
Text = Annotated[str | None, Query(max_length=MAX_PARAM)]
TrendParams = tuple[str, models.Level, str | None, str | None, str | None]


@router.get("/trends", response_model=models_trends.Trend, tags=["data"])
async def trends(
    request: Request,
    credentials: BearerDep,
    measure: models_trends.MeasureName,
    vintage: VintageParam = None,
    level: models.Level = "england",
    area: Annotated[
        str | None,
        Query(
            max_length=MAX_PARAM,
            description=(
                "Area code at the level (default: the one area of your scope at that level)"
            ),
        ),
    ] = None,
    staff_group: Text = None,
    sector: Text = None,
) -> Response:
    """Return one area's series of one measure, oldest first, with its XmR (SPC) chart.

    403 for a level or area outside your scope; 404 for a vintage, or a series of
    the measure for the area, that the data does not hold; the public sees England,
    regions and ICBs only, under disclosure control.
    """
    cache: ResponseCache = request.app.state.cache
    state = await cache.current(lambda: _read_state(request))
    user = await cached_user(request, credentials, cache)
    params: TrendParams = (measure, level, area, staff_group, sector)
    chosen = vintage or state.default
    key = (
        ("trends", str(user.role), params, chosen, state.versions[chosen])
        if chosen is not None and chosen in state.versions
        else None
    )
    body = cache.answer(key) if key is not None else None
    audited = False
    if body is None:
        body, audited = await cache.computed(key, lambda: _answer(request, user, vintage, params))
    if level == "org" and not audited:
        await run_in_threadpool(_audit_org, request, user, str(chosen), area)
    return Response(body, media_type="application/json")


def _audit_org(request: Request, user: User, vintage: str, area: str | None) -> None:
    with stores_of(request).lend() as store:
        accounts.record(store, user.name, "read.trends", str(user.role), _org_detail(vintage, area))


def _area(scope: Scope, level: str, area: str | None) -> str | None:
    """Return the area asked, or the scope's one area at the level; 422 if neither."""
    if area is not None or level == "england":
        return area
    allowed = scope.codes.get(level, frozenset())
    if allowed is not None and len(allowed) == 1:
        return next(iter(allowed))
    raise HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT,
        f"name an area: a trend at level {level} is of one area",
    )


def _answer(
    request: Request, user: User, vintage: str | None, params: TrendParams
) -> tuple[bytes, Hashable]:
    """Compute an answer from the store; return its JSON and the key to keep it under."""
    measure, level, area, staff_group, sector = params
    with reading(request, user, vintage) as read:
        _check(read.scope, level, area)
        _known_group(staff_group)
        chosen = _area(read.scope, level, area)
        query = t.TrendQuery(read.vintage, measure, level, chosen, staff_group, sector)
        try:
            found = t.trend(read.store, query)
        except t.NoSeries as exc:
            raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
        except InputError as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
        version = data_version(read.store, read.vintage)
        if level == "org":
            read.audit("read.trends", _org_detail(read.vintage, chosen))
        scope = read.scope
    if scope.controlled:
        found = t.controlled(found)
    body = model(found, controlled=scope.controlled)
    return (
        body.model_dump_json().encode(),
        ("trends", str(user.role), params, read.vintage, version),
    )


def model(found: t.Trend, *, controlled: bool = False) -> models_trends.Trend:
    """Return the answer's model of a trend (already controlled if ``controlled``)."""
    measure, query = found.measure, found.query
    return models_trends.Trend(
        vintage=query.vintage,
        measure=measure.name,
        label=measure.label,
        unit=measure.unit,  # type: ignore[arg-type]
        improvement=measure.direction,
        frequency=measure.frequency,
        numerator_label=measure.numerator,
        denominator_label=measure.denominator,
        level=query.level,  # type: ignore[arg-type]
        area_code=found.area_code,
        area_name=found.area_name,
        staff_group=query.staff_group,
        sector=query.sector,
        period=found.period,
        source="; ".join(found.sources) or "not recorded",
        controlled=controlled,
        disclosure=statement() if controlled else None,
        points=_points(found),
        spc=_spc(found.spc),
        warning=found.warning,
    )


def _points(found: t.Trend) -> list[models_trends.TrendPoint]:
    spc = found.spc
    out = []
    for i, row in enumerate(found.points.to_dict("records")):
        point = models_trends.TrendPoint(
            period=str(row["period"]),
            value=plain(row["value"]),
            numerator=plain(row["numerator"]),
            denominator=plain(row["denominator"]),
            suppressed=bool(row["suppressed"]),
        )
        if spc is not None:
            point = point.model_copy(
                update={
                    "point_type": spc.point_types[i],
                    "outside": bool(spc.outside[i]),
                    "shift": bool(spc.shift[i]),
                    "trend": bool(spc.trend[i]),
                    "two_of_three": bool(spc.two_of_three[i]),
                }
            )
        out.append(point)
    return out


def _spc(spc: SpcChart | None) -> models_trends.Spc | None:
    if spc is None:
        return None
    return models_trends.Spc(
        mean=spc.mean,
        mean_moving_range=spc.mean_moving_range,
        upper_process_limit=spc.upper,
        lower_process_limit=spc.lower,
        variation=spc.variation,  # type: ignore[arg-type]
        variation_icon=variation_icon(spc),  # type: ignore[arg-type]
        assurance_icon=spc.assurance,  # type: ignore[arg-type]
    )


def variation_icon(spc: SpcChart) -> str:
    """Return the variation icon's name: the latest point's type and its side of the mean."""
    kind = spc.variation
    if kind in ("common_cause", "neutral_high", "neutral_low"):
        return kind
    side = (
        "high"
        if spc.values[-1] > spc.mean
        or (spc.values[-1] == spc.mean and spc.values[-1] > spc.values[-2])
        else "low"
    )
    return f"{kind}_{side}"
