"""The FastAPI app of ``wfplan serve``: the REST API under ``/api/v1``, and the dashboard.

The dashboard's pages (:mod:`wfplan.web.pages`) are at ``/``, ``/area/...``,
``/login``, ``/logout`` and ``/download/...``, its files at ``/static``; they get
their data from the API alone.

:func:`create_app` builds it on :class:`~wfplan.web.service.Settings`;
:func:`from_environment` is the factory uvicorn calls in each server process
(``wfplan serve`` puts the settings in the environment). The OpenAPI document
is ``/api/openapi.json``, the interactive docs ``/api/docs``.

Errors are JSON ``{"detail": ...}``: 401 (a token that is not live), 403
(outside the caller's scope), 404, 409 (a busy vintage, a job without results),
413 (an upload over the limit), 422 (bad parameters, rows or scenario), 429 (too
many bad tokens), 503 (no store free in time, or a query over the time limit).
Any other failure is a 500 whose body says only that, never the exception.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from psycopg.errors import QueryCanceled

from wfplan import __version__
from wfplan.errors import InputError, RefusedError, StoreBusyError
from wfplan.web import (
    pages,
    routes_assess,
    routes_boundaries,
    routes_data,
    routes_jobs,
    routes_metrics,
    routes_projection,
    routes_shipped,
    upload,
)
from wfplan.web.cache import ResponseCache
from wfplan.web.deps import Invalid, invalid_scenario
from wfplan.web.routes_equality import router as equality_router
from wfplan.web.routes_trends import router as trends_router
from wfplan.web.scopes import ScopeCache
from wfplan.web.service import Settings, Stores, StoreUnavailable
from wfplan.web.throttle import Throttle
from wfplan.web.worker import start_thread

log = logging.getLogger("wfplan.web")


def create_app(settings: Settings) -> FastAPI:
    """Return the service's app on ``settings`` (stores open at start-up, close at shut-down)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.stores = Stores(settings)
        worker = start_thread(settings.worker_settings())[0] if settings.worker else None
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            app.state.stores.close()

    app = FastAPI(title="wfplan", version=__version__, lifespan=lifespan,
                  openapi_url="/api/openapi.json", docs_url="/api/docs", redoc_url=None,
                  description="Workforce planning for health and social care in England: "
                  "the single workforce dataset, by scope.")
    app.state.settings = settings
    app.state.throttle = Throttle(failures=settings.token_failures)
    app.state.cache = ResponseCache(check_s=settings.cache_check_s)
    app.state.scopes = ScopeCache()
    app.include_router(routes_data.router)
    app.include_router(routes_boundaries.router)
    app.include_router(routes_metrics.router)
    app.include_router(equality_router)
    app.include_router(routes_projection.router)
    app.include_router(upload.router)
    app.include_router(routes_shipped.router)  # before /scenarios/{scenario_id}
    app.include_router(routes_jobs.router)
    app.include_router(routes_assess.router)
    app.include_router(trends_router)
    pages.install(app)
    app.add_middleware(upload.BodyLimit, limit=settings.max_upload_bytes)
    _handlers(app)
    return app


def _detail(code: int, text: str) -> JSONResponse:
    return JSONResponse({"detail": text}, status_code=code)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        return JSONResponse({"detail": jsonable_encoder(errors)},
                            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> JSONResponse:
        return _detail(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc))

    @app.exception_handler(StoreBusyError)
    async def busy(request: Request, exc: StoreBusyError) -> JSONResponse:
        return _detail(status.HTTP_409_CONFLICT, str(exc))

    @app.exception_handler(RefusedError)
    async def refused(request: Request, exc: RefusedError) -> JSONResponse:
        return _detail(status.HTTP_409_CONFLICT, str(exc))

    app.add_exception_handler(Invalid, invalid_scenario)

    @app.exception_handler(QueryCanceled)
    async def too_long(request: Request, exc: QueryCanceled) -> JSONResponse:
        return _detail(status.HTTP_503_SERVICE_UNAVAILABLE, "the query took longer than the "
                       "service's per-query limit; narrow it, or try again later")

    @app.exception_handler(StoreUnavailable)
    async def unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        return _detail(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected failure on %s %s", request.method, request.url.path)
        return _detail(status.HTTP_500_INTERNAL_SERVER_ERROR, "internal error (logged)")


def from_environment() -> FastAPI:
    """Return the app on the settings ``wfplan serve`` put in the environment (uvicorn factory)."""
    return create_app(Settings.from_environment())
