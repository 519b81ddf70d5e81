"""``/api/v1/assessments``: the assessment bundles kept by the service, and their files.

A bundle is a folder ``wfplan assess --out ASSESSMENTS/NAME`` wrote (it has a
``manifest.json`` at its top) in the service's assessments folder
(:attr:`~wfplan.web.service.Settings.assessments`). National users only: a
bundle holds the vintage's figures for every area.

A download names a bundle and a file in it. The names are never joined into a
path as given: the bundle must be one listed, and the file one of the regular
files found by walking that bundle (no symbolic links), compared as text. So
``..``, an absolute path, ``%2e%2e``, a backslash or a link out of the folder
names nothing, and the answer is 404 (or 422 for a name that is not a name).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse

from wfplan.web import models
from wfplan.web.deps import UserDep, forbidden, not_found
from wfplan.web.results import inside
from wfplan.web.service import Settings

router = APIRouter(prefix="/api/v1")
#: The file every bundle has at its top.
MANIFEST = "manifest.json"
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
