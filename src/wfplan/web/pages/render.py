"""The dashboard's Jinja2 environment and the one function that renders a page.

Templates live in ``wfplan/web/templates`` and extend ``base.html``, itself built on
the ``nhsuk-frontend-jinja`` page template and macros (header, breadcrumb, footer,
tables), as the report is (:mod:`wfplan.report.html`). Every asset the pages load
is served by the app under ``/static`` (:data:`STATIC`): no CDN, no external request.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader

from wfplan import __version__
from wfplan.web.pages.session import Visitor
from wfplan.web.pages.table_html import table_html
from wfplan.web.upload import UPLOAD_ROLES

#: The role kinds with a data-gap report (the API's rule: England's, a region's, an ICB's).
GAP_ROLES = ("national", "region", "icb")

#: The folder served at ``/static`` (the vendored front-end files are under ``vendor/``).
STATIC = Path(str(files("wfplan.web").joinpath("static")))
#: Where the NHS.UK frontend's files are served.
NHSUK = "/static/vendor/nhsuk-frontend/dist/nhsuk"


@functools.cache
def environment() -> Environment:
    """Return the pages' Jinja2 environment (made once; autoescaped)."""
    env = Environment(
        loader=ChoiceLoader([PackageLoader("wfplan.web", "templates"),
                             PackageLoader("nhsuk_frontend_jinja", "templates")]),
        undefined=ChainableUndefined, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(nhsuk=NHSUK, version=__version__, table_html=table_html)
    return env


def navigation(request: Request, visitor: Visitor) -> list[dict[str, Any]]:
    """Return the header's navigation (England, your area, the pages, Upload).

    The items: England, your area, Data gaps, Equality, Assessments, Scenarios, Upload.
    Data gaps is national, region and ICB users' (the API's rule: each gets the report of
    their scope), Upload that of the roles that may upload (:func:`may_upload`). Equality
    is everyone's: a region or ICB user's goes to their area's page, the others' to
    England's. The public sees England, Equality, Assessments and Scenarios: no
    organisation links and no Upload.
    """
    path = request.url.path
    items: list[dict[str, Any]] = [{"text": "England", "href": "/", "current": path == "/"}]
    home = visitor.home()
    if home is not None:
        items.append({"text": "Your area", "href": home, "current": path == home})
    if visitor.role.partition(":")[0] in GAP_ROLES:  # the API's rule: a report of your scope
        items.append({"text": "Data gaps", "href": "/gaps", "current": path == "/gaps"})
    kind, _, code = visitor.role.partition(":")
    items.append({"text": "Equality", "current": path == "/equality",
                  "href": f"/equality?area={code}" if kind in ("region", "icb") and code
                  else "/equality"})
    items.append({"text": "Assessments", "href": "/assessments",
                  "current": path.startswith(("/assessments", "/sensitivity"))})
    items.append({"text": "Scenarios", "href": "/scenarios",
                  "current": path.startswith("/scenarios")})
    if may_upload(visitor):
        items.append({"text": "Upload", "href": "/upload", "current": path == "/upload"})
    return items


def may_upload(visitor: Visitor) -> bool:
    """Return whether the visitor's role may upload (the API's rule, national users)."""
    return visitor.signed_in and visitor.role.partition(":")[0] in UPLOAD_ROLES


def page(request: Request, visitor: Visitor, template: str, *, status: int = 200,
         **context: Any) -> HTMLResponse:
    """Render ``template`` for ``visitor`` and return it (with the visitor's cookies).

    Every template gets ``visitor``, ``csrf`` (the hidden field's value for any form),
    ``nav`` (:func:`navigation`) and ``query`` (the page's query string, kept in
    download links).
    """
    html = environment().get_template(template).render(
        visitor=visitor, csrf=visitor.csrf, nav=navigation(request, visitor),
        query=request.url.query, **context)
    response = HTMLResponse(html, status_code=status)
    visitor.set_cookies(request, response)
    return response
