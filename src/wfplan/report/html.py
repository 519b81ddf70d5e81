"""The report as one self-contained HTML page (Jinja2, NHS.UK frontend macros).

:func:`render_html` turns a :class:`~wfplan.report.context.ReportData` into a page
with inline CSS and inline SVG charts: it makes no network request and needs no
other file. The same HTML is printed to PDF by :mod:`wfplan.report.pdf`.
Tables are built here as rows of cells for the ``nhsuk-frontend-jinja`` table
macro (caption, ``th scope="col"`` headers and ``th scope="row"`` first cells);
the section order and wording live in ``templates/report.html.j2``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from importlib.resources import files

from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader
from markupsafe import Markup

from wfplan.dataset.provenance import OGL_ATTRIBUTION
from wfplan.report import deferred
from wfplan.report import format as fmt
from wfplan.report.context import ReportData
from wfplan.report.sections import build_sections
from wfplan.report.table_html import view_markup
from wfplan.report.views import Numbering, hash_html


@functools.cache
def _environment() -> Environment:
    """Return the report's Jinja2 environment, made once (its templates compiled once)."""
    env = Environment(
        loader=ChoiceLoader([PackageLoader("wfplan.report", "templates"),
                             PackageLoader("nhsuk_frontend_jinja", "templates")]),
        undefined=ChainableUndefined, autoescape=True, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=True)
    env.filters["number"] = fmt.number
    env.filters["percent"] = fmt.percent
    env.filters["digest"] = lambda value: Markup(hash_html(value))  # noqa: S704 - escaped
    env.globals["table_markup"] = view_markup
    return env


def stylesheet() -> str:
    """Return the report's stylesheet (inlined into the page)."""
    return files("wfplan.report").joinpath("static/report.css").read_text(encoding="utf-8")


def render_html(data: ReportData,
                drawn: Callable[[], Mapping[str, str]] | None = None) -> str:
    """Render the whole report as one self-contained HTML page.

    Parameters
    ----------
    data : ReportData
        Everything the report shows.
    drawn : callable, optional
        Returns the gap charts' SVGs drawn elsewhere, by key
        (:mod:`wfplan.report.deferred`): the gap charts are then not drawn while the
        page is built but put in afterwards, drawn here only if ``drawn`` lacks them.
        The page is the same either way.

    Returns
    -------
    str
        The page: inline CSS and SVG, no scripts, no external resources.
    """
    if drawn is None:
        return _page(data)
    with deferred.deferring() as charts:
        page = _page(data)
    return deferred.fill(page, charts, drawn)


def _page(data: ReportData) -> str:
    sections = build_sections(data, Numbering())
    template = _environment().get_template("report.html.j2")
    return template.render(data=data, s=sections, css=Markup(stylesheet()),  # noqa: S704
                           attribution=OGL_ATTRIBUTION, fmt=fmt)
