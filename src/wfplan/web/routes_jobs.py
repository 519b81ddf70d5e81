"""``/api/v1``: scenarios (validate, keep, list, run, sensitivity) and the jobs that run them.

Who may do what (enforced here, on the server):

- national, region and ICB users may validate, keep and run scenarios; an
  organisation user and the public may not (403 and 401): a projection covers
  every area of its level, which is more than their scope;
- a scenario or job is seen by its owner and by national users; to anyone else
  it is 404 (its id is random, so the answer says nothing about whether it exists);
- a job's results are the rows of areas in the caller's scope (a region user
  who runs an ICB-level scenario gets its ICBs; England's rows are national only).

Every kept scenario (``scenario.create``), every run (``scenario.run``) and every
sensitivity analysis (``scenario.sensitivity``) is audited. Assessments are queued
by :mod:`wfplan.web.routes_assess`; their jobs are listed and read here.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request, Response, status

from wfplan.dataset import accounts
from wfplan.dataset.accounts import User
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import jobs
from wfplan.model import Scenario, load_scenario_text
from wfplan.web import models, routes_assess, sensitivity_job
from wfplan.web.deps import (
    MAX_PARAM,
    UserDep,
    forbidden,
    not_found,
    parse_scenario,
    stores_of,
)
from wfplan.web.frames import records
from wfplan.web.models_projection import SkillsResults
from wfplan.web.results import (
    MAX_ROWS,
    job_model,
    projection_rows,
    sensitivity_rows,
    skills_view,
)

router = APIRouter(prefix="/api/v1")
_ID = {"max_length": 32, "pattern": r"^[0-9a-f]{1,32}$", "description": "An id from this API"}
ScenarioId = Annotated[str, Path(**_ID)]
JobId = Annotated[str, Path(**_ID)]
Filter = Annotated[str | None, Query(max_length=MAX_PARAM)]
#: The roles that may keep and run scenarios.
RUNNERS = ("national", "region", "icb")


def _runner(user: User) -> None:
    if user.role.kind == "public":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "scenarios need a token",
                            headers={"WWW-Authenticate": "Bearer"})
    if user.role.kind not in RUNNERS:
        raise forbidden("running scenarios (a projection covers every area of its level)")


def summary_of(scenario: Scenario) -> models.ScenarioSummary:
    """Return what a valid scenario runs (its name, level, horizon, draws, seed, groups)."""
    groups = scenario.staff_groups
    return models.ScenarioSummary(
        name=scenario.name, level=str(getattr(scenario.level, "value", scenario.level)),
        horizon=scenario.horizon, draws=scenario.draws, seed=scenario.seed,
        staff_groups=groups if isinstance(groups, str) else list(groups))


def _stored(row: dict[str, Any], with_text: bool) -> models.StoredScenario:
    return models.StoredScenario(
        scenario_id=row["scenario_id"], name=row["name"], owner=row["owner"],
        sha256=row["sha256"], created_at=row["created_at"],
        summary=summary_of(load_scenario_text(str(row["toml"]))),
        toml=str(row["toml"]) if with_text else None)


def _visible(user: User, owner: object) -> bool:
    return user.role.kind == "national" or str(owner) == user.name


def _visible_scenario(store: Store, user: User, scenario_id: str) -> dict[str, Any]:
    """Return the kept scenario's row if ``user`` may see it (its owner, or national); else 404."""
    row = jobs.scenario(store, scenario_id)
    if row is None or not _visible(user, row["owner"]):
        raise not_found(f"scenario {scenario_id!r}")
    return row


ScenarioBody = Annotated[models.ScenarioText, Body()]
_INVALID: dict[int | str, dict[str, Any]] = {422: {"model": list[models.RowError]}}


@router.post("/scenarios/validate", response_model=models.ScenarioSummary, tags=["scenarios"],
             responses=_INVALID)
def validate(user: UserDep, body: ScenarioBody) -> models.ScenarioSummary:
    """Validate a scenario file's text without keeping it (422 lists every problem)."""
    _runner(user)
    return summary_of(parse_scenario(body.toml))


@router.post("/scenarios", response_model=models.StoredScenario, tags=["scenarios"],
             status_code=status.HTTP_201_CREATED, responses=_INVALID)
def create(request: Request, response: Response, user: UserDep,
           body: ScenarioBody) -> models.StoredScenario:
    """Validate and keep a scenario (audited); 422 lists every problem."""
    _runner(user)
    scenario = parse_scenario(body.toml)
    digest = hashlib.sha256(body.toml.encode()).hexdigest()
    with stores_of(request).lend() as store, store.transaction():
        scenario_id = jobs.add_scenario(store, scenario.name, user.name, str(user.role),
                                        body.toml, digest)
        accounts.record(store, user.name, "scenario.create", str(user.role),
                        f"scenario {scenario_id} ({scenario.name!r}, sha256 {digest[:12]})")
        row = jobs.scenario(store, scenario_id)
    response.headers["Location"] = f"/api/v1/scenarios/{scenario_id}"
    assert row is not None
    return _stored(row, with_text=False)


@router.get("/scenarios", response_model=list[models.StoredScenario], tags=["scenarios"])
def scenarios(request: Request, user: UserDep) -> list[models.StoredScenario]:
    """List the scenarios you kept (national users: every scenario)."""
    _runner(user)
    with stores_of(request).lend() as store:
        frame = jobs.scenarios(store, None if user.role.kind == "national" else user.name)
    return [_stored(row, with_text=False) for row in records(frame)]


@router.get("/scenarios/{scenario_id}", response_model=models.StoredScenario,
            tags=["scenarios"])
def scenario(request: Request, user: UserDep,
             scenario_id: ScenarioId) -> models.StoredScenario:
    """Return one scenario with its text (yours, or any for national users)."""
    _runner(user)
    with stores_of(request).lend() as store:
        row = _visible_scenario(store, user, scenario_id)
    return _stored(row, with_text=True)


@router.post("/scenarios/{scenario_id}/runs", response_model=models.Job, tags=["scenarios"],
             status_code=status.HTTP_202_ACCEPTED)
def run(request: Request, response: Response, user: UserDep, scenario_id: ScenarioId,
        body: Annotated[models.RunRequest | None, Body()] = None) -> models.Job:
    """Queue a projection of the scenario (audited); the job's address is in ``Location``."""
    _runner(user)
    wanted = body or models.RunRequest()
    with stores_of(request).lend() as store:
        row = _visible_scenario(store, user, scenario_id)
        with store.transaction():
            job_id = jobs.submit(store, "project", str(row["toml"]), user.name, str(user.role),
                                 scenario_id=scenario_id, seed=wanted.seed, draws=wanted.draws)
            accounts.record(store, user.name, "scenario.run", str(user.role),
                            f"job {job_id}: scenario {scenario_id} ({row['name']!r}), seed "
                            f"{wanted.seed if wanted.seed is not None else 'its own'}, draws "
                            f"{wanted.draws if wanted.draws is not None else 'its own'}")
        found = jobs.job(store, job_id)
    response.headers["Location"] = f"/api/v1/jobs/{job_id}"
    assert found is not None
    return job_model(found)


@router.post("/scenarios/{scenario_id}/sensitivity", response_model=models.Job,
             tags=["scenarios"], status_code=status.HTTP_202_ACCEPTED)
def sensitivity(request: Request, response: Response, user: UserDep, scenario_id: ScenarioId,
                body: Annotated[models.SensitivityRequest | None, Body()] = None
                ) -> models.Job:
    """Queue a sensitivity analysis of the scenario, as ``wfplan sensitivity`` (audited)."""
    _runner(user)
    wanted = body or models.SensitivityRequest()
    with stores_of(request).lend() as store:
        row = _visible_scenario(store, user, scenario_id)
        config = sensitivity_job.config(str(row["toml"]), year=wanted.year,
                                        areas=wanted.areas, spread=wanted.fixed_spread)
        with store.transaction():
            job_id = jobs.submit(store, "sensitivity", config, user.name, str(user.role),
                                 scenario_id=scenario_id, draws=wanted.draws)
            accounts.record(store, user.name, "scenario.sensitivity", str(user.role),
                            f"job {job_id}: scenario {scenario_id} ({row['name']!r}), "
                            f"options {wanted.model_dump()}")
        found = jobs.job(store, job_id)
    response.headers["Location"] = f"/api/v1/jobs/{job_id}"
    assert found is not None
    return job_model(found)


def _own_job(request: Request, user: User, job_id: str) -> dict[str, Any]:
    if user.role.kind == "public":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "jobs need a token",
                            headers={"WWW-Authenticate": "Bearer"})
    with stores_of(request).lend() as store:
        row = jobs.job(store, job_id)
    if row is None or not _visible(user, row["owner"]):
        raise not_found(f"job {job_id!r}")
    return row


@router.get("/jobs", response_model=list[models.Job], tags=["jobs"])
def job_list(request: Request, user: UserDep) -> list[models.Job]:
    """List your newest 100 jobs (national users: everyone's)."""
    _runner(user)
    with stores_of(request).lend() as store:
        frame = jobs.jobs(store, None if user.role.kind == "national" else user.name)
    return [job_model(row) for row in records(frame)]


@router.get("/jobs/{job_id}", response_model=models.Job, tags=["jobs"])
def job(request: Request, user: UserDep, job_id: JobId) -> models.Job:
    """Return a job's status and progress (0 to 1)."""
    return job_model(_own_job(request, user, job_id))


@router.get("/jobs/{job_id}/results",
            response_model=models.ProjectionResults | models.SensitivityResults
            | models.AssessmentResults, tags=["jobs"],
            responses={409: {"model": models.Problem}})
def results(request: Request, user: UserDep, job_id: JobId,
            area: Filter = None, staff_group: Filter = None, variable: Filter = None,
            statistic: Filter = None,
            offset: Annotated[int, Query(ge=0)] = 0,
            limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = MAX_ROWS,
            ) -> models.ProjectionResults | models.SensitivityResults | models.AssessmentResults:
    """Return a done job's results: the rows of areas in your scope (409 before).

    A projection: its long table; filter by ``area``, ``staff_group``, ``variable`` or
    ``statistic``; page with ``offset`` and ``limit`` (``total`` counts the rows in
    scope after the filters). A sensitivity analysis: its tornado and variance
    shares, filtered by ``area`` only (they are small, so not paged). An assessment
    (national users): its bundle's name, manifest summary and files' download links.
    """
    row = _own_job(request, user, job_id)
    if row["status"] != "done":
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"job {job_id} is {row['status']}, it has no results"
                            + (f": {row['message']}" if row["status"] == "failed" else ""))
    if row["kind"] == "sensitivity":
        return sensitivity_rows(request, user, row, area=area)
    if row["kind"] == "assess":
        return routes_assess.job_results(request, user, row)
    wanted = {"area": area, "staff_group": staff_group, "variable": variable,
              "statistic": statistic}
    return projection_rows(request, user, row, filters=wanted, offset=offset, limit=limit)


@router.get("/jobs/{job_id}/skills", response_model=SkillsResults, tags=["jobs"],
            responses={409: {"model": models.Problem}})
def skills(request: Request, user: UserDep, job_id: JobId) -> SkillsResults:
    """Return a done projection's skills-gap view, the rows of areas in your scope (409 before).

    Shortfall, surplus and the shortfall left after substitution, P50, P5 and P95,
    5, 10 and 15 years on, for each role and its staff group (a group's are its
    roles' sums, not their net; docs/skills.md); no rows for a run by staff group.
    """
    row = _own_job(request, user, job_id)
    if row["status"] != "done" or row["kind"] != "project":
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"job {job_id} is a {row['kind']} job, {row['status']}: it has no "
                            "skills-gap view (a done projection has)")
    return skills_view(request, user, row)
