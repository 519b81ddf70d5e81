"""``/api/v1/assessments``: the assessment bundles kept by the service, their files, new ones.

A bundle is a folder ``wfplan assess --out ASSESSMENTS/NAME`` wrote (it has a
``manifest.json`` at its top) in the service's assessments folder
(:meth:`~wfplan.web.service.Settings.assessments_folder`). National users only: a
bundle holds the vintage's figures for every area. ``POST /assessments`` queues an
assessment job (:mod:`wfplan.web.assessment_job`, audited as ``assessment.run``);
its bundle, once written, is listed here and is the job's result.

A download names a bundle and a file in it. The names are never joined into a
path as given: the bundle must be one listed, and the file one of the regular
files found by walking that bundle (no symbolic links), compared as text. So
``..``, an absolute path, ``%2e%2e``, a backslash or a link out of the folder
names nothing, and the answer is 404 (or 422 for a name that is not a name).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, HTTPException, Request, Response, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from wfplan.dataset import accounts
from wfplan.dataset.store.queries import jobs
from wfplan.web import models
from wfplan.web.assessment_job import MANIFEST, bundle_name, definition
from wfplan.web.deps import UserDep, forbidden, not_found, stores_of
from wfplan.web.results import checked, inside, job_model
from wfplan.web.service import Settings

router = APIRouter(prefix="/api/v1")
BundleName = Annotated[str, PathParam(max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
                                      description="A bundle's folder name")]
FileName = Annotated[str, PathParam(max_length=300, description="A file of the bundle, "
                                    "as listed (e.g. report.html, tables/position.parquet)")]


def assessments_folder(request: Request) -> Path:
    """Return the folder the service's assessment bundles are in."""
    settings: Settings = request.app.state.settings
    return settings.assessments_folder()


def _bundles(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    return {entry.name: entry for entry in sorted(folder.iterdir())
            if entry.is_dir() and not entry.is_symlink() and not entry.name.startswith(".")
            and (entry / MANIFEST).is_file()}


def _files(bundle: Path) -> dict[str, Path]:
    """Return the bundle's regular files by their names relative to it (``/`` between)."""
    found: dict[str, Path] = {}
    for path in sorted(bundle.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        if any(part.is_symlink() for part in path.relative_to(bundle).parents
               if str(part) != "."):
            continue
        if inside(bundle, str(path.relative_to(bundle))) is not None:
            found[path.relative_to(bundle).as_posix()] = path
    return found


def _national(user: UserDep) -> None:
    if user.role.kind != "national":
        raise forbidden("assessment bundles (they hold every area's figures)")


@router.get("/assessments", response_model=list[models.Assessment], tags=["assessments"])
def assessments(request: Request, user: UserDep) -> list[models.Assessment]:
    """List the assessment bundles and their files (national users only)."""
    _national(user)
    out = []
    for name, bundle in _bundles(assessments_folder(request)).items():
        files = [models.BundleFile(name=key, bytes=path.stat().st_size)
                 for key, path in _files(bundle).items()]
        out.append(models.Assessment(name=name, files=files))
    return out


@router.get("/assessments/{bundle}/files/{name:path}", tags=["assessments"],
            response_class=FileResponse, responses={404: {"model": models.Problem}})
def download(request: Request, user: UserDep, bundle: BundleName,
             name: FileName) -> FileResponse:
    """Download one file of a bundle by its listed name (national users only)."""
    _national(user)
    found = _bundles(assessments_folder(request)).get(bundle)
    path = None if found is None else _files(found).get(name)
    if path is None:
        raise not_found(f"file {name!r} of assessment {bundle!r}")
    return FileResponse(path, filename=Path(name).name)


_INVALID: dict[int | str, dict[str, Any]] = {422: {"model": list[models.RowError]},
                                             404: {"model": models.Problem}}


@router.post("/assessments", response_model=models.Job, tags=["assessments"],
             status_code=status.HTTP_202_ACCEPTED, responses=_INVALID)
def submit(request: Request, response: Response, user: UserDep,
           body: Annotated[models.AssessmentRequest, Body()]) -> models.Job:
    """Queue an assessment, run as ``wfplan assess --out`` runs it (national users; audited).

    The definition and its scenarios are checked first: 422 lists every problem, 404
    names a vintage that does not exist. The job's address is in ``Location``; its
    results are the bundle, which ``GET /assessments`` then lists.
    """
    if user.role.kind == "public":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "assessments need a token",
                            headers={"WWW-Authenticate": "Bearer"})
    _national(user)
    with stores_of(request).lend() as store:
        config, job_config = definition(store, body.toml, body.scenarios, public=body.public)
        with store.transaction():
            job_id = jobs.submit(store, "assess", job_config, user.name, str(user.role),
                                 seed=config.seed, draws=config.draws)
            accounts.record(store, user.name, "assessment.run", str(user.role),
                            f"job {job_id}: assessment {config.title!r} of vintage "
                            f"{config.vintage!r}, {len(config.scenarios)} scenario(s), seed "
                            f"{config.seed}, draws {config.draws}, public {body.public}")
        found = jobs.job(store, job_id)
    response.headers["Location"] = f"/api/v1/jobs/{job_id}"
    assert found is not None
    return job_model(found)


def _summary(manifest: dict[str, Any]) -> models.ManifestSummary:
    fields = set(models.ManifestSummary.model_fields) - {"disclosure", "signer", "scenarios"}
    signature = manifest.get("signature") or {}
    return models.ManifestSummary(
        **{name: manifest[name] for name in fields},
        disclosure=(manifest.get("disclosure") or {}).get("status"),
        signer=signature.get("signer") if isinstance(signature, dict) else None,
        scenarios=[models.BundleScenario(**s) for s in manifest["scenarios"]])


def job_results(request: Request, user: UserDep, row: dict[str, Any]) -> models.AssessmentResults:
    """Return a done assessment job's bundle: name, manifest summary, files and their links.

    410 if the bundle's manifest is gone or no longer has the digest kept with the job.
    """
    _national(user)
    manifest = checked(request, row)
    name = bundle_name(str(row["job_id"]))
    files = [models.BundleFile(name=key, bytes=path.stat().st_size)
             for key, path in _files(manifest.parent).items()]
    return models.AssessmentResults(
        job_id=str(row["job_id"]), sha256=str(row["result_sha256"]), name=name,
        manifest=_summary(json.loads(manifest.read_text(encoding="utf-8"))),
        files=[models.BundleLink(name=f.name, bytes=f.bytes,
                                 url=f"/api/v1/assessments/{name}/files/{quote(f.name)}")
               for f in files])
