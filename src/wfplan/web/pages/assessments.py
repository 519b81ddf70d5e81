"""The assessments pages: the bundles, each bundle's report, download and verification.

- ``/assessments``: the assessment bundles the service keeps (``GET
  /api/v1/assessments``, each with its ``manifest.json``), the visitor's sensitivity
  analyses (``GET /api/v1/jobs``), and how to verify a bundle.
- ``POST /sensitivity``: the list page's form: start a sensitivity analysis of a kept
  scenario with the options of :mod:`.sensitivity_form` (the page again, 400, with
  the errors by their controls if an option is refused), then go to its page.
- ``/assessments/{bundle}``: one bundle: what its manifest says, links to its report
  (HTML, PDF) and workbook, the whole bundle as a ZIP, the exact ``wfplan verify``
  command, and its sensitivity: each scenario's tornado chart of England's gap
  (``tables/sensitivity_tornado.parquet``) and the variance shares; and each planned
  scenario's plan (:mod:`.plans`: cost per FTE gained by lever, the mix by year, the
  shadow prices in words).
- ``/assessments/{bundle}/files/{name}``: one file of the bundle, as the API serves it.
- ``/assessments/{bundle}/download``: the bundle as ``{bundle}.zip``, every file the API
  lists under the folder ``{bundle}/``, so that unzipping it gives the folder
  ``wfplan verify`` checks (nothing added, nothing left out).

The API gives bundles to national users only (they hold every area's figures); anyone
else sees the list page without them (and the reason), and is refused a bundle's
pages (the API's 403). Sensitivity jobs are their owners' and national users'.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx
import pandas as pd
from fastapi import APIRouter, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from wfplan.web.pages import sensitivity_form
from wfplan.web.pages.api import PASSED_ON, Api, PageError, _detail, together
from wfplan.web.pages.overview import PageData
from wfplan.web.pages.plans import bundle_plans, plan_views
from wfplan.web.pages.render import page
from wfplan.web.pages.sensitivity import JOB_ID, STATUS, tornado_charts, variance_table
from wfplan.web.pages.sensitivity_form import SensitivityForm
from wfplan.web.pages.session import Visitor, check_csrf, visitor_of
from wfplan.web.pages.tables import Cell, Table

router = APIRouter()
#: What a visitor who is not a national user is told about the bundles.
REFUSED = ("Assessment bundles are shown to national users only: a bundle holds the "
           "figures of every area.")
#: Files opened in the browser rather than downloaded; HTML is sandboxed (no script runs).
INLINE = {".html": "text/html; charset=utf-8", ".pdf": "application/pdf"}
SANDBOX = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"
#: The bundle's sensitivity tables (every assessment computes them).
TORNADO, VARIANCE = "tables/sensitivity_tornado.parquet", "tables/sensitivity_variance.parquet"


class BundleApi(Api):
    """:class:`Api` that also fetches a bundle file's bytes."""

    async def __aenter__(self) -> BundleApi:
        return self

    async def file(self, bundle: str, name: str) -> httpx.Response:
        """Return the API's answer of ``GET /assessments/{bundle}/files/{name}`` (200 only).

        Raises
        ------
        PageError
            As :meth:`Api.get` does for any other status.
        """
        response = await self._client.get(
            f"/api/v1/assessments/{quote(bundle, safe='')}/files/{quote(name)}")
        if response.status_code == 200:
            return response
        if response.status_code in PASSED_ON:
            raise PageError(response.status_code, _refused(response))
        if response.status_code == 422:
            raise PageError(404, "There is no such file.")
        raise PageError(502, f"the service could not answer ({response.status_code})")


def _refused(response: httpx.Response) -> str:
    """Return the sentence of a refused file: not national (403), none (404), sign in (401)."""
    return {403: REFUSED, 404: "There is no such file."}.get(
        response.status_code, "Your session has ended: log in again.")


async def _listed(api: Api) -> list[dict[str, Any]]:
    """Return the bundles the API lists (403 for anyone but national users, with why)."""
    try:
        return list(await api.get("/assessments"))
    except PageError as error:
        if error.status == 403:
            raise PageError(403, REFUSED) from error
        raise


async def _manifest(api: BundleApi, bundle: str) -> tuple[dict[str, Any], str]:
    """Return a bundle's manifest and the SHA-256 of its ``manifest.json``."""
    raw = (await api.file(bundle, "manifest.json")).content
    return json.loads(raw), hashlib.sha256(raw).hexdigest()


def _signer(manifest: Mapping[str, Any]) -> str:
    signature = manifest.get("signature")
    return str(signature.get("signer")) if isinstance(signature, dict) else "not signed"


def bundles_table(bundles: Sequence[Mapping[str, Any]],
                  manifests: Sequence[Mapping[str, Any]]) -> Table:
    """Return the table of the bundles (``assessments-bundles``), each linked to its page."""
    table = Table("assessments-bundles", "Assessment bundles",
                  ["Bundle", "Title", "Period", "Vintage", "Created (UTC)", "Scenarios",
                   "Disclosure", "Signed by", "Files"])
    for bundle, manifest in zip(bundles, manifests, strict=True):
        name = str(bundle["name"])
        scenarios = ", ".join(str(s.get("name")) for s in manifest.get("scenarios", []))
        table.rows.append([
            Cell(name, href=f"/assessments/{quote(name)}"), Cell(manifest.get("title")),
            Cell(manifest.get("period")), Cell(manifest.get("vintage")),
            Cell(str(manifest.get("created", "")).replace("T", " ")), Cell(scenarios),
            Cell((manifest.get("disclosure") or {}).get("status")), Cell(_signer(manifest)),
            Cell(len(bundle["files"]), "count")])
    return table


def jobs_table(jobs: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> Table:
    """Return the visitor's sensitivity analyses (``assessments-sensitivity``), newest first."""
    table = Table("assessments-sensitivity", "Sensitivity analyses",
                  ["Job", "Scenario", "Status", "Submitted (UTC)", "Finished (UTC)", "Owner"])
    for job in jobs:
        if job.get("kind") != "sensitivity":
            continue
        job_id = str(job["job_id"])
        table.rows.append([
            Cell(job_id, href=f"/sensitivity/{job_id}"),
            Cell(names.get(str(job.get("scenario_id")), job.get("scenario_id"))),
            Cell(STATUS.get(str(job["status"]), job["status"])),
            Cell(_when(job.get("created_at"))), Cell(_when(job.get("finished_at"))),
            Cell(job.get("owner"))])
    return table


def _when(value: object) -> str | None:
    return None if value is None else str(value).replace("T", " ")[:19]


async def _optional(call: Any) -> Any:
    """Return the API's answer, or None where it refuses the visitor (401, 403)."""
    try:
        return await call
    except PageError as error:
        if error.status in (401, 403):
            return None
        raise


async def assessments_data(request: Request, visitor: Visitor,
                           form: SensitivityForm | None = None) -> PageData:
    """Return the list page's data: the bundles and sensitivity analyses the API gives.

    ``form`` is the sensitivity form as typed (its errors), if it is shown again.
    """
    async with BundleApi(request, visitor.token) as api:
        bundles, jobs, scenarios = await together(
            _optional(_listed(api)), _optional(api.get("/jobs")),
            _optional(api.get("/scenarios")))
        manifests = await together(*(_manifest(api, str(b["name"])) for b in bundles or []))
    tables = {}
    if bundles is not None:
        tables["assessments-bundles"] = bundles_table(bundles, [m for m, _ in manifests])
    if jobs is not None:
        names = {str(s["scenario_id"]): str(s["name"]) for s in scenarios or []}
        tables["assessments-sensitivity"] = jobs_table(jobs, names)
    kept = [{"value": str(s["scenario_id"]), "text": f"{s['name']} ({s['scenario_id']})"}
            for s in scenarios or []]
    return PageData("Assessments", tables, [{"text": "England", "href": "/"},
                                            {"text": "Assessments", "href": "/assessments"}],
                    extra={"refused": REFUSED, "scenarios": kept,
                           "form": form or SensitivityForm({})})


async def _sensitivity_tables(api: BundleApi, bundle: str,
                              listed: set[str]) -> tuple[list[dict[str, Any]], ...]:
    """Return the bundle's tornado and variance rows (none where the bundle lacks them)."""
    out: list[list[dict[str, Any]]] = []
    for name in (TORNADO, VARIANCE):
        if name not in listed:
            out.append([])
            continue
        frame = pd.read_parquet(io.BytesIO((await api.file(bundle, name)).content))
        out.append([{str(k): v for k, v in row.items()} for row in
                    frame.astype(object).where(frame.notna(), None).to_dict("records")])
    return tuple(out)


async def bundle_data(request: Request, visitor: Visitor, bundle: str) -> PageData:
    """Return one bundle's page data (404 if not listed; the API's 403 for others)."""
    async with BundleApi(request, visitor.token) as api:
        found = next((b for b in await _listed(api) if b["name"] == bundle), None)
        if found is None:
            raise PageError(404, f"There is no assessment bundle {bundle!r}.")
        files = {str(f["name"]): int(f["bytes"]) for f in found["files"]}
        (manifest, sha256), (tornado_rows, variance_rows) = await together(
            _manifest(api, bundle), _sensitivity_tables(api, bundle, set(files)))
        planned = await bundle_plans(lambda name: api.file(bundle, name),
                                     manifest.get("scenarios") or [], files)
    source = (f"assessment bundle {bundle}, {TORNADO} (vintage {manifest.get('vintage')}, "
              f"base period {manifest.get('base_period')})")
    charts = tornado_charts(tornado_rows, stem="bundle", source=source,
                            names={"E92000001": "England"}, by="scenario")
    files_table = Table(f"assessment-{bundle}-files", f"The files of bundle {bundle}",
                        ["File", "Bytes"])
    for name, size in files.items():
        files_table.rows.append([Cell(name, href=file_href(bundle, name)), Cell(size, "count")])
    variance = variance_table(f"assessment-{bundle}-variance",
                              "Share of England's gap variance by quantity", variance_rows)
    plans, plan_tables = plan_views(bundle, planned, (
        f"assessment bundle {bundle}, the [plan] table of its scenario file (written by "
        "wfplan plan)"))
    crumbs = [{"text": "England", "href": "/"}, {"text": "Assessments", "href": "/assessments"},
              {"text": bundle, "href": f"/assessments/{quote(bundle)}"}]
    return PageData(str(manifest.get("title") or bundle),
                    {**{t.table_id: t for t in (files_table, variance)}, **plan_tables}, crumbs,
                    extra={"bundle": bundle, "manifest": manifest, "sha256": sha256,
                           "plans": plans,
                           "files": files, "size": sum(files.values()), "charts": charts,
                           "signature": manifest.get("signature") or None,
                           "environment": manifest.get("environment") or {}})


def file_href(bundle: str, name: str) -> str:
    """Return the page address of one file of a bundle."""
    return f"/assessments/{quote(bundle)}/files/{quote(name)}"


@router.get("/assessments", response_class=HTMLResponse, include_in_schema=False)
async def assessments(request: Request) -> HTMLResponse:
    """Show the bundles, the visitor's sensitivity analyses and how to verify a bundle."""
    visitor = await visitor_of(request)
    data = await assessments_data(request, visitor)
    return page(request, visitor, "assessments.html", data=data)


@router.post("/sensitivity", include_in_schema=False)
async def start(request: Request) -> Response:
    """Start a sensitivity analysis of the form's kept scenario; go to its page.

    The assessments page again (400) with the errors if an option is refused.
    """
    visitor = await visitor_of(request)
    form = await request.form()
    check_csrf(visitor, form.get("csrf"))
    scenario = form.get("scenario")
    if not (isinstance(scenario, str) and JOB_ID.match(scenario)):
        raise PageError(400, "Choose one of your kept scenarios.")
    parsed = sensitivity_form.parse(form)
    if not parsed.errors:
        async with Api(request, visitor.token) as api:
            answer = await api.send(f"/scenarios/{scenario}/sensitivity", parsed.body)
        if answer.status_code == 202:
            response = RedirectResponse(f"/sensitivity/{answer.json()['job_id']}",
                                        status_code=status.HTTP_303_SEE_OTHER)
            visitor.set_cookies(request, response)
            return response
        if answer.status_code in PASSED_ON:
            raise PageError(answer.status_code, _detail(answer))
        if answer.status_code != 422:
            raise PageError(502, f"the service could not answer ({answer.status_code})")
        sensitivity_form.api_errors(parsed, answer)
    data = await assessments_data(request, visitor, parsed)
    for item in data.extra["scenarios"]:
        item["selected"] = item["value"] == scenario
    return page(request, visitor, "assessments.html", status=400, data=data)


@router.get("/assessments/{bundle}", response_class=HTMLResponse, include_in_schema=False)
async def assessment(request: Request, bundle: str) -> HTMLResponse:
    """Show one bundle: its manifest, report, download, verification and sensitivity."""
    visitor = await visitor_of(request)
    data = await bundle_data(request, visitor, bundle)
    return page(request, visitor, "assessment.html", data=data)


@router.get("/assessments/{bundle}/files/{name:path}", include_in_schema=False)
async def bundle_file(request: Request, bundle: str, name: str) -> Response:
    """Serve one file of a bundle from the API (HTML and PDF in the browser, sandboxed)."""
    visitor = await visitor_of(request)
    async with BundleApi(request, visitor.token) as api:
        answer = await api.file(bundle, name)
    leaf = name.rsplit("/", 1)[-1]
    suffix = leaf[leaf.rfind("."):].lower() if "." in leaf else ""
    kind = "inline" if suffix in INLINE else "attachment"
    headers = {"Content-Disposition": f"{kind}; filename=\"{quote(leaf)}\"",
               "X-Content-Type-Options": "nosniff"}
    if suffix == ".html":
        headers["Content-Security-Policy"] = SANDBOX
    media = INLINE.get(suffix) or answer.headers.get("content-type", "application/octet-stream")
    return Response(answer.content, media_type=media, headers=headers)


def _chunks(spool: Any, size: int = 1 << 16) -> Iterator[bytes]:
    with spool:
        while chunk := spool.read(size):
            yield chunk


async def _zip(api: BundleApi, bundle: str, spool: Any) -> None:
    """Write every file the API lists of the bundle into ``spool`` as a ZIP, under ``{bundle}/``."""
    found = next((b for b in await _listed(api) if b["name"] == bundle), None)
    if found is None:
        raise PageError(404, f"There is no assessment bundle {bundle!r}.")
    with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in found["files"]:
            content = (await api.file(bundle, str(item["name"]))).content
            archive.writestr(f"{bundle}/{item['name']}", content)


@router.get("/assessments/{bundle}/download", include_in_schema=False)
async def bundle_zip(request: Request, bundle: str) -> StreamingResponse:
    """Return the bundle as ``{bundle}.zip``: every listed file under ``{bundle}/``."""
    visitor = await visitor_of(request)
    spool = tempfile.SpooledTemporaryFile(max_size=64 << 20)  # noqa: SIM115 - closed by _chunks
    try:
        async with BundleApi(request, visitor.token) as api:
            await _zip(api, bundle, spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return StreamingResponse(_chunks(spool), media_type="application/zip", headers={
        "Content-Disposition": f"attachment; filename=\"{quote(bundle)}.zip\""})
