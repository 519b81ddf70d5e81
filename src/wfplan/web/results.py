"""A job and its results as the API serves them: the stored file, checked and scoped.

A projection's file is the job's ``projection.parquet`` under the results folder,
written by the worker (:mod:`wfplan.web.worker`) as ``wfplan project --out`` writes
it. A job's file is read only if its SHA-256 is the one kept with the job and its
path stays inside the results folder; its rows are kept only for areas the
caller's scope names.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from fastapi import HTTPException, Request, status

from wfplan.analysis.scope import LEVELS, scope_of
from wfplan.dataset.accounts import User
from wfplan.dataset.store.queries import jobs
from wfplan.runs.project import HORIZONS
from wfplan.runs.skills import skills_headline
from wfplan.web import models
from wfplan.web.deps import stores_of
from wfplan.web.frames import plain, records
from wfplan.web.models_projection import SkillsResults, SkillsRow
from wfplan.web.sensitivity_job import in_scope
from wfplan.web.service import Settings

#: Most rows one answer holds (page with ``offset``).
MAX_ROWS = 200_000


def results_folder(request: Request) -> Path:
    """Return the folder job results are kept under."""
    settings: Settings = request.app.state.settings
    return settings.worker_settings().results


def inside(folder: Path, relative: str) -> Path | None:
    """Return ``folder / relative`` if it stays inside ``folder`` (no ``..``, no absolute)."""
    base = folder.resolve()
    target = (base / relative).resolve()
    return target if target.is_relative_to(base) and target != base else None


def job_model(row: dict[str, Any]) -> models.Job:
    """Return a job's row as the API answers it."""
    fields = set(models.Job.model_fields)
    values = {k: plain(v) for k, v in row.items() if k in fields}
    for name in ("created_at", "started_at", "finished_at"):
        values[name] = jobs.stamp(values[name])
    return models.Job(**values)


def checked(request: Request, row: dict[str, Any]) -> Path:
    """Return the job's result file if it is there, inside the folder, with its digest."""
    path = inside(results_folder(request), str(row["result_path"]))
    lost = HTTPException(status.HTTP_410_GONE, f"job {row['job_id']}: its result file is "
                         "missing or changed; run the scenario again")
    if path is None or not path.is_file():
        raise lost
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != row["result_sha256"]:
        raise lost
    return path


def _table(request: Request, row: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    table = pq.read_table(checked(request, row))
    meta = json.loads((table.schema.metadata or {}).get(b"wfplan", b"{}"))
    return table.to_pandas(), meta


def _allows(request: Request, user: User, vintage: str) -> Any:
    """Return a test of an area code: is it in ``user``'s scope."""
    if user.role.kind == "national":
        return lambda _code: True
    with stores_of(request).lend() as store:
        scope = scope_of(store, user.role, vintage)
    return lambda code: any(scope.allows(level, str(code)) for level in LEVELS)


def sensitivity_rows(request: Request, user: User, row: dict[str, Any], *,
                     area: str | None) -> models.SensitivityResults:
    """Return a sensitivity job's tornado and variance shares, rows in ``user``'s scope."""
    payload = json.loads(checked(request, row).read_text(encoding="utf-8"))
    kept = in_scope(payload, _allows(request, user, str(payload["vintage"])), area)
    return models.SensitivityResults(job_id=str(row["job_id"]),
                                     sha256=str(row["result_sha256"]), **kept)


def _scoped(request: Request, user: User,
            row: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Return the job's long table, the rows of areas in ``user``'s scope, and its run's meta."""
    frame, meta = _table(request, row)
    first = (meta.get("scenarios") or [{}])[0]
    if user.role.kind != "national":
        allows = _allows(request, user, str(first.get("vintage", "")))
        keep = {code for code in frame["area"].unique() if allows(code)}
        frame = frame[frame["area"].isin(keep)]
    return frame, first


def skills_view(request: Request, user: User, row: dict[str, Any]) -> SkillsResults:
    """Return a projection job's skills-gap headline, in ``user``'s scope.

    Shortfall, surplus and the shortfall left after substitution (P50, P5, P95)
    5, 10 and 15 years on, by role and staff group
    (:func:`~wfplan.runs.skills.skills_headline`); no rows for a run by staff group.
    """
    frame, first = _scoped(request, user, row)
    heads = skills_headline(frame, HORIZONS)
    return SkillsResults(job_id=str(row["job_id"]), vintage=str(first.get("vintage", "")),
                         sha256=str(row["result_sha256"]),
                         rows=[SkillsRow(**r) for r in records(heads)])


def projection_rows(request: Request, user: User, row: dict[str, Any], *,
                    filters: dict[str, str | None], offset: int,
                    limit: int) -> models.ProjectionResults:
    """Return the job's rows in ``user``'s scope, filtered and paged."""
    frame, first = _scoped(request, user, row)
    vintage = str(first.get("vintage", ""))
    for column, wanted in filters.items():
        if wanted is not None:
            frame = frame[frame[column] == wanted]
    page = frame.iloc[offset:offset + limit]
    return models.ProjectionResults(
        job_id=str(row["job_id"]), vintage=vintage, seed=int(first.get("seed", 0)),
        draws=int(first.get("draws", 0)), sha256=str(row["result_sha256"]), total=len(frame),
        offset=offset, rows=[models.ResultRow(**r) for r in records(page)])
