"""The Upload page: files into a vintage through the API, and the validation report row by row.

``GET /upload`` shows the form: the vintages the visitor may write (those not frozen,
from ``/api/v1/vintages``) or a new one, and an NHS.UK file upload. ``POST /upload``
(CSRF) sends the files to ``POST /api/v1/vintages/{vintage}/uploads`` as they came
and shows its answer: the validation report (every error of a refused upload, which
wrote nothing; the warnings and notes of a load) and what each file loaded, each
table with CSV and XLSX downloads (:mod:`.upload_report`). The API detects each
file's format, so the page asks for none. ``GET /upload/template/{table}.xlsx`` is
``wfplan template``'s workbook of a tidy table.

Only the roles the API lets upload see the page (:data:`~wfplan.web.upload.UPLOAD_ROLES`,
national users): the public is sent to log in, any other role gets a 403 page.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Request, status
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from wfplan.dataset import schema
from wfplan.dataset.template import write_template
from wfplan.web.pages.api import Api, PageError
from wfplan.web.pages.downloads import MEDIA, csv_bytes, xlsx_bytes
from wfplan.web.pages.render import may_upload, page
from wfplan.web.pages.session import Visitor, check_csrf, visitor_of
from wfplan.web.pages.upload_report import (
    Outcome,
    report_tables,
    signature,
    verified,
)
from wfplan.web.upload import ERROR_COUNT_HEADER

router = APIRouter()
#: The radio value of "a new vintage" (no vintage name starts with ``_``).
NEW_VINTAGE = "_new"
#: Files and fields one upload form takes.
MAX_FILES, MAX_FIELDS = 20, 10


class _ToLogin(Exception):
    """The public asked for the page: send it to log in."""


async def _uploader(request: Request) -> Visitor:
    """Return the visitor if they may upload; else send the public to log in, others a 403."""
    visitor = await visitor_of(request)
    if not visitor.signed_in:
        raise _ToLogin
    if not may_upload(visitor):
        raise PageError(403, f"Uploading is for national users: your role ({visitor.role}) "
                        "cannot load data. Ask a national user of your organisation.")
    return visitor


def _to_login(request: Request) -> Response:
    return RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)


class UploadApi(Api):
    """The in-process API client, with the one POST the upload page makes."""

    async def upload(self, vintage: str, files: list[UploadFile]) -> httpx.Response:
        """Send the files to ``POST /api/v1/vintages/{vintage}/uploads`` as multipart ``files``."""
        sent = [("files", (f.filename or "upload", f.file, f.content_type
                           or "application/octet-stream")) for f in files]
        return await self._client.post(f"/api/v1/vintages/{vintage}/uploads", files=sent)


async def _writable(request: Request, visitor: Visitor) -> tuple[list[str], list[str]]:
    """Return the names of the vintages not frozen, and of the frozen ones."""
    async with Api(request, visitor.token) as api:
        vintages = await api.get("/vintages")
    return ([str(v["name"]) for v in vintages if not v["frozen"]],
            [str(v["name"]) for v in vintages if v["frozen"]])


async def _form_page(request: Request, visitor: Visitor, *, status_code: int = 200,
                     errors: dict[str, str] | None = None, chosen: str = "",
                     new_name: str = "", outcome: Outcome | None = None) -> Response:
    writable, frozen = await _writable(request, visitor)
    context: dict[str, Any] = {"writable": writable, "frozen": frozen, "errors": errors or {},
                               "chosen": chosen, "new_name": new_name, "new": NEW_VINTAGE,
                               "templates": sorted(schema.tables()), "outcome": outcome}
    if outcome is not None and visitor.token is not None:
        answer = outcome.to_json()
        context.update(tables=report_tables(outcome), answer=answer,
                       signed=signature(visitor.token, answer), counts=outcome.counts())
    return page(request, visitor, "upload.html", status=status_code, title="Upload", **context)


@router.get("/upload", include_in_schema=False)
async def upload_form(request: Request) -> Response:
    """Show the upload form (national users; the public is sent to log in)."""
    try:
        visitor = await _uploader(request)
    except _ToLogin:
        return _to_login(request)
    return await _form_page(request, visitor)


def _choices(form: FormData) -> tuple[str, str, list[UploadFile], dict[str, str]]:
    """Return the form's vintage choice, new name, files and the errors of what is missing."""
    chosen = form.get("vintage")
    chosen = chosen if isinstance(chosen, str) else ""
    typed = form.get("new_vintage")
    new_name = typed.strip() if isinstance(typed, str) else ""
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    errors = {}
    if not chosen:
        errors["vintage"] = "Choose the vintage to load the files into"
    elif chosen == NEW_VINTAGE and not new_name:
        errors["new_vintage"] = "Enter the name of the new vintage"
    if not files:
        errors["files"] = "Choose one or more files to upload"
    return chosen, new_name, files, errors


@router.post("/upload", include_in_schema=False)
async def upload(request: Request) -> Response:
    """Send the chosen files to the API and show its validation report (CSRF checked)."""
    try:
        visitor = await _uploader(request)
    except _ToLogin:
        return _to_login(request)
    async with request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS) as form:
        check_csrf(visitor, form.get("csrf"))
        chosen, new_name, files, errors = _choices(form)
        if errors:
            return await _form_page(request, visitor, status_code=400, errors=errors,
                                    chosen=chosen, new_name=new_name)
        vintage = new_name if chosen == NEW_VINTAGE else chosen
        api = UploadApi(request, visitor.token)
        async with api:
            answer = await api.upload(vintage, files)
    outcome, error = _outcome(vintage, answer)
    if error is not None:
        return await _form_page(request, visitor, status_code=answer.status_code,
                                errors={"files": error}, chosen=chosen, new_name=new_name)
    return await _form_page(request, visitor, status_code=outcome.status, outcome=outcome,
                            chosen=chosen, new_name=new_name)


def _outcome(vintage: str, answer: httpx.Response) -> tuple[Outcome, str | None]:
    """Return the API's answer as an outcome, or the sentence of an upload not tried.

    Raises
    ------
    PageError
        The API's 401, 403 or 404; 502 for an answer it should not give.
    """
    code = answer.status_code
    body = answer.json() if answer.headers.get("content-type", "").startswith(
        "application/json") else None
    if code == 201 and isinstance(body, dict):
        return Outcome(201, vintage, list(body["files"]), list(body.get("findings", []))), None
    if code == 422 and isinstance(body, list):
        total = answer.headers.get(ERROR_COUNT_HEADER, "")
        return Outcome(422, vintage, [], body, int(total) if total.isdigit() else len(body)), None
    detail = str(body.get("detail")) if isinstance(body, dict) else answer.text[:200]
    if code in (409, 413, 422):  # busy, too large, or a form the API could not read
        return Outcome(code, vintage), f"The files were not uploaded: {detail}"
    if code in (401, 403, 404):
        raise PageError(code, detail)
    raise PageError(502, f"the service could not answer ({code}): {detail}")


@router.post("/download/{name}", include_in_schema=False)
async def download_report(request: Request, name: str) -> Response:
    """One table of an upload's report as ``.csv`` or ``.xlsx``, from the signed answer."""
    try:
        visitor = await _uploader(request)
    except _ToLogin:
        return _to_login(request)
    table_id, _, kind = name.rpartition(".")
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    check_csrf(visitor, form.get("csrf"))
    if kind not in MEDIA:
        raise PageError(404, "Downloads are .csv or .xlsx.")
    assert visitor.token is not None  # a visitor who may upload is signed in
    table = report_tables(verified(visitor.token, form.get("answer"),
                                   form.get("signature"))).get(table_id)
    if table is None:
        raise PageError(404, f"There is no table {table_id!r}.")
    body = csv_bytes(table) if kind == "csv" else xlsx_bytes(table)
    return Response(body, media_type=MEDIA[kind], headers={
        "Content-Disposition": f'attachment; filename="{table.table_id}.{kind}"'})


@router.get("/upload/template/{table}.xlsx", include_in_schema=False)
async def template(request: Request,
                   table: Annotated[str, PathParam(max_length=40)]) -> Response:
    """``wfplan template TABLE --out TABLE.xlsx``: an empty workbook and its columns' sheet."""
    try:
        await _uploader(request)
    except _ToLogin:
        return _to_login(request)
    if table not in schema.tables():
        raise PageError(404, f"There is no table {table!r}.")

    def written() -> bytes:
        with tempfile.TemporaryDirectory(prefix="wfplan-template-") as folder:
            path = Path(folder) / f"{table}.xlsx"
            write_template(table, path)
            return path.read_bytes()

    return Response(await run_in_threadpool(written), media_type=MEDIA["xlsx"], headers={
        "Content-Disposition": f'attachment; filename="{table}.xlsx"'})
