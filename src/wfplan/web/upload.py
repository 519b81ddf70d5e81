"""Uploads: multipart files into a named vintage, through the same ingest as ``wfplan ingest``.

``POST /api/v1/vintages/{vintage}/uploads`` (national users) takes one or more
files (field ``files``) and loads them with :func:`wfplan.dataset.ingest.ingest`:
the same detection, validation and single transaction, so an upload with any
error writes nothing and answers 422 with a JSON list of
``{file, row, column, value, rule, place, severity, rows}`` (the first 50 errors;
the header ``X-Error-Count`` says how many there are); a load answers 201 with its
files and its warnings, also as such rows (``findings``). A body over the configured maximum
(:attr:`~wfplan.web.service.Settings.max_upload_bytes`) answers 413 before it is
read past the limit (:class:`BodyLimit`). A second upload into a vintage an
upload is writing to answers 409, at once: in this process through a lock per
vintage, across processes of a PostgreSQL service through the store's vintage
lock (taken without waiting). Every upload, loaded or refused, is audited.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import tempfile
import threading
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, Path, Request, UploadFile, status
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wfplan.dataset import accounts
from wfplan.dataset.enums import FileStatus
from wfplan.dataset.ingest import IngestError, IngestReport, ingest
from wfplan.errors import InputError, StoreBusyError
from wfplan.web import models, models_upload
from wfplan.web.deps import MAX_PARAM, UserDep, stores_of

router = APIRouter(prefix="/api/v1")
#: The role kinds that may upload (:class:`~wfplan.dataset.accounts.Role`).
UPLOAD_ROLES = frozenset({"national"})
#: The header of a refused upload's answer that counts every error (the body lists 50).
ERROR_COUNT_HEADER = "X-Error-Count"
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class _TooLarge(Exception):
    """The request body passed the limit."""


class BodyLimit:
    """ASGI middleware: answer 413 to a request whose body is over ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before any of the
    body is read; a body without one (chunked) is counted as it arrives and
    refused once it passes the limit.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 413."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(send)
            return
        seen, over, sent = 0, False, False

        async def counted() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    over = True
                    raise _TooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal sent
            if not over:
                sent = True
                await send(message)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, counted, guarded)
        if over and not sent:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        response = JSONResponse({"detail": f"request body over the limit of {self.limit:,} bytes"},
                                status_code=status.HTTP_413_CONTENT_TOO_LARGE)
        await send({"type": "http.response.start", "status": response.status_code,
                    "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


def _lock(vintage: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(vintage, threading.Lock())


def _saved(files: list[UploadFile], folder: FilePath) -> list[FilePath]:
    """Write the uploaded files into ``folder`` under safe names (no folders, no dot files)."""
    paths = []
    for number, item in enumerate(files, start=1):
        name = _SAFE.sub("_", FilePath(item.filename or f"upload-{number}").name).lstrip(".")
        path = folder / f"{number:03d}-{name or 'upload'}"
        with path.open("wb") as out:
            shutil.copyfileobj(item.file, out)
        paths.append(path)
    return paths


def _row_errors(exc: InputError, names: dict[str, str]) -> list[dict[str, Any]]:
    """Return an ingest error as rows of :class:`~wfplan.web.models_upload.UploadIssue`."""
    if isinstance(exc, IngestError):
        return [{"file": names.get(e.file, _named(e.file, names)), "row": e.row,
                 "column": e.column, "value": e.value, "rule": _named(e.rule, names),
                 "place": e.place, "severity": "error", "rows": 1}
                for e in exc.errors]
    return [{"file": None, "row": None, "column": None, "value": None,
             "rule": _named(str(exc), names), "place": None, "severity": "error", "rows": 1}]


def _findings(report: IngestReport, names: dict[str, str]) -> list[models_upload.UploadIssue]:
    """Return a load's warnings (unmapped codes, failed checks) and notes, one row each."""
    found = []
    for file in report.files:
        if file.status is not FileStatus.LOADED:
            continue
        name = names.get(file.path.name, file.path.name)
        found += [models_upload.UploadIssue(
            file=name, row=u.first_row, place=file.place(u.first_row), column=u.column,
            value=u.value, rule="matches no known code; kept as given, counted as unmapped",
            severity="warning", rows=u.rows) for u in file.unmapped]
        found += [models_upload.UploadIssue(
            file=name, row=f.first_row, column=f.column, value=f.value,
            place=None if f.first_row is None else file.place(f.first_row),
            rule=f"{f.text} (rule: {f.rule})", severity="warning", rows=f.rows)
            for f in file.findings]
        found += [models_upload.UploadIssue(file=name, row=None, column=None, value=None,
                                     rule=_named(note, names), severity="note")
                  for note in file.notes]
    return found


@router.post("/vintages/{vintage}/uploads", response_model=models_upload.Upload, tags=["data"],
             status_code=status.HTTP_201_CREATED,
             responses={409: {"model": models.Problem}, 413: {"model": models.Problem},
                        422: {"model": list[models_upload.UploadIssue]}})
def upload(request: Request, user: UserDep,
           files: Annotated[list[UploadFile], File(
               description="CSV, XLSX or Parquet files; GeoJSON (.geojson) of ICB boundaries")],
           vintage: str = Path(max_length=MAX_PARAM)) -> Any:
    """Load files into a vintage (created if new), in one transaction; national users only."""
    if user.role.kind == "public":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "uploads need a token",
                            headers={"WWW-Authenticate": "Bearer"})
    if user.role.kind not in UPLOAD_ROLES:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "uploads are for national users")
    lock = _lock(vintage)
    if not lock.acquire(blocking=False):
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"another upload is writing to vintage {vintage!r}; try again")
    try:
        with tempfile.TemporaryDirectory(prefix="wfplan-upload-") as folder:
            paths = _saved(files, FilePath(folder))
            names = {str(p): f.filename or p.name for p, f in zip(paths, files, strict=True)}
            names.update({p.name: f.filename or p.name for p, f in zip(paths, files, strict=True)})
            names[folder] = "upload"
            return _load(request, user, vintage, paths, names)
    finally:
        lock.release()


def _load(request: Request, user: accounts.User, vintage: str, paths: list[FilePath],
          names: dict[str, str]) -> Any:
    """Ingest the saved files, audit the outcome, and answer."""
    shown = ", ".join(names[p.name] for p in paths)
    with stores_of(request).lend() as store:
        try:
            report = ingest(store, paths, vintage)
        except StoreBusyError:
            accounts.record(store, user.name, "upload.busy", str(user.role),
                            f"vintage {vintage}; {shown}")
            raise HTTPException(status.HTTP_409_CONFLICT,
                                f"another process is writing to vintage {vintage!r}") from None
        except InputError as exc:
            errors = _row_errors(exc, names)
            accounts.record(store, user.name, "upload.refused", str(user.role),
                            f"vintage {vintage}; {shown}; {len(errors)} error(s)")
            total = exc.total if isinstance(exc, IngestError) else len(errors)
            return JSONResponse(errors, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                                headers={ERROR_COUNT_HEADER: str(total)})
        request.app.state.cache.invalidate()  # this process's next answer sees the load
        accounts.record(store, user.name, "upload", str(user.role), f"vintage {vintage}; "
                        + "; ".join(f"{names.get(f.path.name, f.path.name)}: {f.status}"
                                    for f in report.files))
    loaded = [{"file": names.get(f.path.name, f.path.name), "status": str(f.status),
               "format": f.format, "rows": dict(f.rows)} for f in report.files]
    warnings = [_named(line, names) for line in report.warnings]
    return models_upload.Upload(vintage=vintage, files=loaded, warnings=warnings,
                         findings=_findings(report, names))


def _named(text: str, names: dict[str, str]) -> str:
    """Return ``text`` with the server's paths of saved files replaced by the names uploaded."""
    for saved in sorted(names, key=len, reverse=True):
        text = text.replace(saved, names[saved])
    return text
