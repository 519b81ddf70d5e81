"""``/api/v1/projection``: the vintage's baseline projection, the dashboard's fan charts.

England, the regions and the ICBs:

The shipped baseline scenario is projected from the vintage at ICB level by
:func:`wfplan.runs.fans.baseline_fans` (``wfplan project baseline --vintage V
--draws N --seed S``, the ICBs summed to regions and England within each draw),
with the service's :attr:`~wfplan.web.service.Settings.projection_draws` and
:attr:`~wfplan.web.service.Settings.projection_seed`. The projection takes seconds,
so each process computes it once per vintage and data version (:data:`KEPT` kept)
and every request is a filter of it; the answers are cached as ``/metrics``'s are
(:mod:`wfplan.web.cache`), by role, query, vintage and data version.

An organisation (``level=org&area=CODE``, the area required): the same scenario, draws
and seed projected at organisation level for that organisation alone
(:func:`wfplan.runs.fans.org_fans`: its rows of ``wfplan project baseline --level
org``). Its first request computes it (the organisation-level inputs of the vintage
are built once per data version, :data:`KEPT_INPUTS` kept, then each organisation's
run takes about a second on the demo vintage); :data:`KEPT_ORGS` organisations' fans are kept,
the least recently used dropped. One projection, ICB or organisation, is computed at a
time.

Scope is that of ``/metrics``: a level or area outside it is 403 before anything
is read (so an organisation is 403 for the public, and for a region or ICB user an
organisation placed outside their region or ICB), and only the rows of areas it names
are kept. The public's answer is
under disclosure control: a series (an area's staff group) whose base-year
headcount is 1 to 4 people is suppressed, every year and variable of it, because
its base year *is* the census figure ``/metrics`` suppresses and its first years
stay close to it. Projected FTE is not a count of people, so other rows are not
rounded, as the current position's FTE is not.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from wfplan.analysis.disclosure import POLICY
from wfplan.analysis.scope import Scope
from wfplan.dataset import codelists
from wfplan.dataset.accounts import User
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.accounts import data_version
from wfplan.dataset.store.queries.geography import area_list
from wfplan.model.aggregate import ALL_STAFF_GROUPS, sector_total
from wfplan.report import format as fmt
from wfplan.runs.fans import SCENARIO, Fans, OrgInputs, baseline_fans, org_fans, org_inputs
from wfplan.web import models
from wfplan.web.cache import ResponseCache
from wfplan.web.deps import MAX_PARAM, BearerDep, VintageParam, not_found, reading, scopes_of
from wfplan.web.frames import records
from wfplan.web.models_projection import FanRow, Projection
from wfplan.web.routes_metrics import _check, _read_state, cached_user
from wfplan.web.service import Settings

router = APIRouter(prefix="/api/v1")
Text = Annotated[str | None, Query(max_length=MAX_PARAM)]
YearParam = Annotated[int | None, Query(ge=1900, le=2300, description="One year only")]
#: Projections kept per process (the newest used): one per vintage and data version.
KEPT = 4
_kept: OrderedDict[tuple[object, ...], tuple[Fans, dict[str, str]]] = OrderedDict()
#: Organisations whose fans are kept per process (the newest used).
KEPT_ORGS = 64
#: Organisation-level inputs kept per process (the newest used): one per vintage and version.
KEPT_INPUTS = 2
_kept_orgs: OrderedDict[tuple[object, ...], Fans] = OrderedDict()
_kept_inputs: OrderedDict[tuple[object, ...], OrgInputs] = OrderedDict()
_computing = threading.Lock()  # one projection at a time: a second request waits for it
ProjectionParams = tuple[models.Level, str | None, str | None, int | None]


def fans_of(store: Store, vintage: str, settings: Settings,
            version: tuple[int, int]) -> tuple[Fans, dict[str, str]]:
    """Return the vintage's baseline fans and its areas' names, computed once per data version.

    They are kept (at most :data:`KEPT`) under the store, the vintage, its data
    ``version``, the draws and the seed, so a load into the vintage is seen by the
    next request that reads the state.
    """
    key = (store.location(), vintage, version, settings.projection_draws,
           settings.projection_seed)
    with _computing:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
        seed = settings.projection_seed
        fans = baseline_fans(store, vintage, draws=settings.projection_draws,
                             seed=_scenario_seed() if seed is None else seed)
        names = {str(r["code"]): str(r["name"]) for r in records(area_list(store, vintage))
                 if r["name"] is not None}
        _kept[key] = (fans, names)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
        return fans, names


def org_fans_of(store: Store, vintage: str, settings: Settings, version: tuple[int, int],
                org: str) -> Fans:
    """Return organisation ``org``'s baseline fans, computed once per data version.

    They are kept (at most :data:`KEPT_ORGS` organisations) under the store, the
    vintage, its data ``version``, the draws, the seed and the organisation; the
    organisation-level inputs they are cut from are kept too (:data:`KEPT_INPUTS`).
    404 for an organisation the inputs do not have (no staff in post at the census).
    """
    where = (store.location(), vintage, version)
    key = (*where, settings.projection_draws, settings.projection_seed, org)
    with _computing:
        if key in _kept_orgs:
            _kept_orgs.move_to_end(key)
            return _kept_orgs[key]
        if where in _kept_inputs:
            _kept_inputs.move_to_end(where)
        else:
            _kept_inputs[where] = org_inputs(store, vintage)
            while len(_kept_inputs) > KEPT_INPUTS:
                _kept_inputs.popitem(last=False)
        base = _kept_inputs[where]
        if org not in base.organisations:
            raise not_found(f"organisation {org!r} in the projection (it has no staff in post "
                            f"at the census of {base.base_period})")
        seed = settings.projection_seed
        fans = org_fans(store, base, org, draws=settings.projection_draws,
                        seed=_scenario_seed() if seed is None else seed)
        _kept_orgs[key] = fans
        while len(_kept_orgs) > KEPT_ORGS:
            _kept_orgs.popitem(last=False)
        return fans


def _scenario_seed() -> int:
    from wfplan.runs.project import read_scenario

    return int(read_scenario(SCENARIO).scenario.seed)


@router.get("/projection", response_model=Projection, tags=["data"])
async def projection(
    request: Request, credentials: BearerDep, vintage: VintageParam = None,
    level: models.Level = "england", area: Text = None, staff_group: Text = None,
    year: YearParam = None,
) -> Response:
    """Return the vintage's baseline projection: supply, demand and gap P5, P50, P95 by year.

    England, a region or an ICB (``area``; without it, every area of ``level`` in
    your scope), or one organisation (``level=org``, ``area`` its code: required),
    each staff group and the totals (``staff_group``: one code or label, or a total
    such as ``all_staff_groups``). 403 outside your scope, as ``/metrics`` (the public
    is refused every organisation); 404 for an area or a year the projection does not
    have; 422 for an unknown staff group, or ``level=org`` without ``area``. The first
    request for a vintage runs the ICB projection (seconds), and the first for an
    organisation runs that organisation's; later ones are filters of them, cached per
    process.
    """
    cache: ResponseCache = request.app.state.cache
    state = await cache.current(lambda: _read_state(request))
    user = await cached_user(request, credentials, cache)
    params: ProjectionParams = (level, area.upper() if area else None, staff_group, year)
    chosen = vintage or state.default
    key = (("projection", str(user.role), params, chosen, state.versions[chosen])
           if chosen is not None and chosen in state.versions else None)
    body = cache.answer(key) if key is not None else None
    if body is None:
        body, _ = await cache.computed(key, lambda: _answer(request, user, vintage, params))
    return Response(body, media_type="application/json")


def _group(label: str | None) -> str | None:
    """Return the staff group's code (a code, a label, or a total's code); 422 if unknown."""
    if label is None:
        return None
    rows = codelists.get("staff_group").rows
    totals = {ALL_STAFF_GROUPS, *(sector_total(str(r["sector"])) for r in rows if r["sector"])}
    code = label if label in totals else codelists.get("staff_group").code_for(label)
    if code is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"unknown staff group {label!r}: use a code or label of the staff "
                            "group code list, or all_staff_groups, or all_<sector>")
    return code


def _answer(request: Request, user: User, vintage: str | None,
            params: ProjectionParams) -> tuple[bytes, Hashable]:
    """Compute an answer; return its JSON and the key to keep it under."""
    level, area, staff_group, year = params
    settings: Settings = request.app.state.settings
    group = _group(staff_group)
    with reading(request, user, vintage) as read:
        _check(read.scope, level, area)
        version = data_version(read.store, read.vintage)
        if level == "org":
            fans, names = _org(request, read.store, read.vintage, settings, version, area)
        else:
            fans, names = fans_of(read.store, read.vintage, settings, version)
        scope = read.scope
    rows = _rows(fans.table, scope, level, area, group, year)
    body = _model(fans, names, scope, rows)
    return (body.model_dump_json().encode(),
            ("projection", str(user.role), params, read.vintage, version))


def _org(request: Request, store: Store, vintage: str, settings: Settings,
         version: tuple[int, int], org: str | None) -> tuple[Fans, dict[str, str]]:
    """Return an organisation's fans and its name (422 without an organisation)."""
    if org is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "level org needs area: the code of one organisation")
    fans = org_fans_of(store, vintage, settings, version, org)
    placed = scopes_of(request).placements(store, vintage)
    named = placed.loc[placed["org_code"] == org, "org_name"].dropna()
    return fans, {org: str(named.iloc[0])} if len(named) else {}


def _rows(table: pd.DataFrame, scope: Scope, level: str, area: str | None,
          group: str | None, year: int | None) -> pd.DataFrame:
    """Return the rows asked for that the scope may see (404 for an area or year not there)."""
    rows = table[table["level"] == level]
    if area is not None:
        rows = rows[rows["area_code"] == area]
        if rows.empty:
            raise not_found(f"area {area!r} of level {level} in the projection")
    if year is not None:
        rows = rows[rows["year"] == year]
        if rows.empty:
            first, last = int(table["year"].min()), int(table["year"].max())
            raise not_found(f"year {year} in the projection (it runs from {first} to {last})")
    if group is not None:
        rows = rows[rows["staff_group"] == group]
    return scope.visible(rows, level).copy()


def _controlled(rows: pd.DataFrame) -> pd.DataFrame:
    """Suppress the series whose base-year headcount is a small cell (1 to 4 people)."""
    heads = rows["base_headcount"].to_numpy(dtype=float, na_value=np.nan)
    small = POLICY.small(heads)
    for column in ("p5", "p50", "p95"):
        rows[column] = rows[column].astype(object).where(~small, None)
    return rows.assign(suppressed=small)


def _model(fans: Fans, names: dict[str, str], scope: Scope, rows: pd.DataFrame) -> Projection:
    """Return the answer's model (disclosure control applied for a controlled scope)."""
    rows = _controlled(rows) if scope.controlled else rows.assign(suppressed=False)
    meta = fans.metadata
    group_names = {g: fmt.staff_group_name(g) for g in rows["staff_group"].unique()}
    out: list[FanRow] = []
    for row in records(rows.drop(columns="base_headcount")):
        out.append(FanRow(area_name=names.get(str(row["area_code"])),
                          staff_group_name=group_names[row["staff_group"]],
                          unit="%" if row["variable"] == "gap_pct" else "FTE", **row))
    return Projection(
        vintage=str(meta["vintage"]), scenario=str(meta["scenario"]),
        scenario_title=str(meta["title"]), scenario_sha256=str(meta["scenario_sha256"]),
        base_period=str(meta["base_period"]), base_year=int(meta["base_year"]),
        final_year=int(meta["base_year"]) + int(meta["horizon"]),
        projected_level=meta["level"], seed=int(meta["seed"]),
        draws=int(meta["draws"]),
        source=source_sentence(meta), controlled=scope.controlled,
        disclosure=disclosure() if scope.controlled else None, rows=out)


def disclosure() -> str:
    """Return the sentence that says the public's answer is under disclosure control."""
    return (f"Disclosure control applied (public output): the series of an area's staff group "
            f"with 1 to {POLICY.threshold - 1} people in post at the census is suppressed "
            "(null, suppressed true), every year and variable of it; projected FTE is not a "
            f"count of people and is not rounded. Method: {POLICY.source}")


def source_sentence(meta: dict[str, Any]) -> str:
    """Return what the figures are, for a chart's caption."""
    org = meta["level"] == "org"
    where = "organisation level, this organisation alone" if org else "ICB level"
    command = f"wfplan project {meta['scenario']}" + (" --level org" if org else "")
    return (f"wfplan's {meta['scenario']} scenario ({meta['title']}) projected from vintage "
            f"{meta['vintage']} at {where} ({meta['draws']} draws, seed {meta['seed']}; "
            f"base census {meta['base_period']}), as '{command}' projects it")
