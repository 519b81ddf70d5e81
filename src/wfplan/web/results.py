"""A projection job's results as the API serves them: the stored file, checked and scoped.

The file is the job's ``projection.parquet`` under the results folder, written by
the worker (:mod:`wfplan.web.worker`) as ``wfplan project --out`` writes it. It is
read only if its SHA-256 is the one kept with the job and its path stays inside
the results folder; its rows are kept only for areas the caller's scope names.
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
from wfplan.web import models
from wfplan.web.deps import stores_of
from wfplan.web.frames import records
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


def _table(request: Request, row: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    path = inside(results_folder(request), str(row["result_path"]))
    lost = HTTPException(status.HTTP_410_GONE, f"job {row['job_id']}: its result file is "
                         "missing or changed; run the scenario again")
    if path is None or not path.is_file():
        raise lost
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != row["result_sha256"]:
        raise lost
    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {}).get(b"wfplan", b"{}"))
    return table.to_pandas(), meta


def projection_rows(request: Request, user: User, row: dict[str, Any], *,
                    filters: dict[str, str | None], offset: int,
                    limit: int) -> models.ProjectionResults:
    """Return the job's rows in ``user``'s scope, filtered and paged."""
    frame, meta = _table(request, row)
    first = (meta.get("scenarios") or [{}])[0]
    vintage = str(first.get("vintage", ""))
    if user.role.kind != "national":
        with stores_of(request).lend() as store:
            scope = scope_of(store, user.role, vintage)
        keep = {code for code in frame["area"].unique()
                if any(scope.allows(level, str(code)) for level in LEVELS)}
        frame = frame[frame["area"].isin(keep)]
    for column, wanted in filters.items():
        if wanted is not None:
            frame = frame[frame[column] == wanted]
    page = frame.iloc[offset:offset + limit]
    return models.ProjectionResults(
        job_id=str(row["job_id"]), vintage=vintage, seed=int(first.get("seed", 0)),
        draws=int(first.get("draws", 0)), sha256=str(row["result_sha256"]), total=len(frame),
        offset=offset, rows=[models.ResultRow(**r) for r in records(page)])
