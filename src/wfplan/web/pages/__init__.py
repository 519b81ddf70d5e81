"""The dashboard: NHS.UK-styled pages rendered on the server, clients of the service's API.

:func:`install` adds the pages to the service's app: the routers of each page group
(:mod:`.overview`, :mod:`.area`, :mod:`.login`, :mod:`.downloads`,
:mod:`.gaps`, :mod:`.equality`, :mod:`.assessments`, :mod:`.sensitivity`, :mod:`.scenarios`,
:mod:`.upload`), the static files
at ``/static`` and the error pages. Pages get their data only from ``/api/v1``
(:mod:`.api`); see docs/dashboard.md.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from wfplan.web.pages import (
    area,
    assessments,
    downloads,
    equality,
    gaps,
    login,
    overview,
    scenario_runs,
    scenarios,
    sensitivity,
    upload,
)
from wfplan.web.pages.api import PageError
from wfplan.web.pages.render import STATIC, page
from wfplan.web.pages.session import Visitor, visitor_of
from wfplan.web.pages.timing import ServerTiming

#: The error pages' titles by status.
TITLES = {400: "The address is not right", 401: "Sign in again", 403: "You cannot see this page",
          404: "Page not found", 429: "Too many attempts", 502: "The service could not answer"}


def install(app: FastAPI) -> None:
    """Add the dashboard's pages, static files, error pages and ``Server-Timing`` to ``app``."""
    for module in (overview, area, login, downloads, gaps, equality, assessments, sensitivity,
                   scenarios, scenario_runs, upload):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(ServerTiming)

    @app.exception_handler(PageError)
    async def refused(request: Request, exc: PageError) -> HTMLResponse:
        visitor: Visitor | None = getattr(request.state, "visitor", None)
        if visitor is None:
            try:
                visitor = await visitor_of(request)
            except PageError:  # the API cannot say who it is: show the page as to the public
                visitor = Visitor(None, "public", "public", False, "", False)
        return page(request, visitor, "error.html", status=exc.status,
                    title=TITLES.get(exc.status, "Something went wrong"), message=exc.message)
