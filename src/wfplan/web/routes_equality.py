"""``/api/v1/equality``: WRES indicator 1 and Model Employer trajectories (``wfplan equality``).

The figures come from :mod:`wfplan.analysis.equality`, as the command's. Scope
and disclosure are those of ``/api/v1/metrics`` (:mod:`wfplan.web.routes_metrics`):
a level outside the caller's scope is refused (403) before anything is read, and
only the areas the scope names are kept. The public's WRES figures go through the
disclosure control of the metrics' band table; a band with a suppressed count has
its goal, trajectory and progress withheld, and every figure is derived from the
controlled counts (rounded to the nearest 5), never from the exact ones. ``GET``
applies the default goal (every band at its area's overall share by 2028);
``POST`` applies the goals in its body (the fields of a goals file,
docs/equality.md).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool

from wfplan.analysis.equality import ModelEmployer, Wres, model_employer, wres_indicator1
from wfplan.analysis.equality_goals import Goal, goals_from_records
from wfplan.analysis.public import control_frame, statement
from wfplan.analysis.scope import Scope
from wfplan.dataset.accounts import User
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.accounts import data_version
from wfplan.dataset.store.queries.model_inputs import staff_in_post_periods
from wfplan.errors import InputError
from wfplan.inputs.equality import leaver_fallback
from wfplan.web import models_equality as me
from wfplan.web.cache import ResponseCache
from wfplan.web.deps import BearerDep, VintageParam, not_found, reading
from wfplan.web.frames import records
from wfplan.web.models import AreaLevel
from wfplan.web.routes_metrics import _check, cached_user

router = APIRouter(prefix="/api/v1")
#: Answers kept per process, before the caller's scope is applied (the newest used are
#: kept), under the vintage's data version: a load is seen by the next request.
CACHED = 32
_answers: OrderedDict[tuple[object, ...], tuple[Wres, ModelEmployer]] = OrderedDict()
_guard = threading.Lock()
Census = Annotated[date | None, Query(description="A census date (YYYY-MM-DD)")]
BaseCensus = Annotated[date | None, Query(
    description="The goals' base census (default: the latest on or before 2018-12-31, else "
    "the earliest with ethnicity by band)")]


@router.get("/equality", response_model=me.Equality, tags=["data"])
async def equality(request: Request, credentials: BearerDep, vintage: VintageParam = None,
                   level: AreaLevel = "england", period: Census = None,
                   base: BaseCensus = None) -> me.Equality:
    """Return WRES indicator 1 and the default Model Employer goal's trajectories and progress.

    403 for a level outside your scope; the public's figures are under
    disclosure control. Where the data do not allow the level (the GOV.UK
    ethnicity series is national), the figures are England's and a note says so.
    """
    user = await cached_user(request, credentials, _cache(request))
    return await run_in_threadpool(_answer, request, user, vintage, level, (period, base), None)


@router.post("/equality", response_model=me.Equality, tags=["data"])
async def equality_goals(request: Request, body: me.GoalsIn, credentials: BearerDep,
                         vintage: VintageParam = None, level: AreaLevel = "england",
                         period: Census = None, base: BaseCensus = None) -> me.Equality:
    """Return WRES indicator 1 and the trajectories and progress of the goals in the body.

    422 for a goal that breaks a rule (the message names the goal and field).
    """
    user = await cached_user(request, credentials, _cache(request))
    try:
        goals = goals_from_records([g.model_dump(exclude_none=True) for g in body.goals])
    except InputError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
    return await run_in_threadpool(_answer, request, user, vintage, level, (period, base), goals)


def _cache(request: Request) -> ResponseCache:
    cache: ResponseCache = request.app.state.cache
    return cache


def _answer(request: Request, user: User, vintage: str | None, level: str,
            when: tuple[date | None, date | None], goals: list[Goal] | None) -> me.Equality:
    """Compute the answer in the caller's scope."""
    period, base = when
    with reading(request, user, vintage) as read:
        _check(read.scope, level, None)
        held = staff_in_post_periods(read.store, read.vintage)
        for day in (period, base):
            if day is not None and day not in held:
                raise not_found(f"census {day.isoformat()}")
        key = (read.store.location(), read.vintage, data_version(read.store, read.vintage),
               level, period, base, None if goals is None else tuple(goals),
               read.scope.controlled)
        with _guard:
            found = _answers.get(key)
            if found is not None:
                _answers.move_to_end(key)
        if found is None:
            try:
                found = _computed(read.store, read.vintage, level, (period, base), goals,
                                  read.scope.controlled)
            except InputError as exc:
                raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from None
            with _guard:
                _answers[key] = found
                while len(_answers) > CACHED:
                    _answers.popitem(last=False)
        wres, employer = found
        scope, chosen = read.scope, read.vintage
    frames, notes = _scoped(wres, employer, scope)
    return me.Equality(
        vintage=chosen, level=wres.level, requested_level=level,  # type: ignore[arg-type]
        controlled=scope.controlled, disclosure=statement() if scope.controlled else None,
        base=employer.base.isoformat() if employer.base else None,
        notes=[*wres.notes, *employer.notes, *notes], assumptions=list(employer.assumptions),
        wres=[me.WresRow(**r) for r in records(frames["wres"])],
        goals=[me.GoalRow(**r) for r in records(frames["goals"])],
        trajectory=[me.TrajectoryRow(**r) for r in records(frames["trajectory"])],
        progress=[me.ProgressRow(**r) for r in records(frames["progress"])])


def _computed(store: Store, vintage: str, level: str, when: tuple[date | None, date | None],
              goals: list[Goal] | None, controlled: bool) -> tuple[Wres, ModelEmployer]:
    """Compute the unscoped figures (under disclosure control for a ``controlled`` scope)."""
    period, base = when
    adjust = _public if controlled else None
    return (wres_indicator1(store, vintage, level, period, adjust),
            model_employer(store, vintage, level, goals, base, adjust,
                           fallback=leaver_fallback()))


def _public(frame: pd.DataFrame) -> pd.DataFrame:
    """Return band counts under the metrics' disclosure control, with ``suppressed``."""
    return control_frame(frame, "ethnic_minority_by_band").marked()


def _scoped(wres: Wres, employer: ModelEmployer, scope: Scope) -> tuple[
        dict[str, pd.DataFrame], list[str]]:
    """Keep the areas the scope may see (disclosure control was applied as they were made)."""
    frames = {"wres": scope.visible(wres.frame, wres.level),
              "goals": scope.visible(employer.bands, wres.level),
              "trajectory": scope.visible(employer.trajectory, wres.level),
              "progress": scope.visible(employer.progress, wres.level)}
    notes: list[str] = []
    if wres.frame.shape[0] and frames["wres"].empty:
        notes.append(f"the figures are for level {wres.level}, outside your scope")
    if "suppressed" not in frames["wres"].columns:
        frames["wres"] = frames["wres"].assign(suppressed=False)
    hidden = int(frames["wres"]["suppressed"].astype(bool).sum())
    if hidden:
        notes.append(f"{hidden} band row(s) with a count of 1 to 4 people are suppressed, and "
                     "their goals, trajectories and progress withheld (disclosure control)")
    return frames, notes
