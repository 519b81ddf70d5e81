"""The downloadable tables of the data-gap, equality, assessments and sensitivity pages, by id.

:mod:`wfplan.web.pages.downloads` asks :func:`more_tables` first: ``gaps-{section}``
(the data-gap page), ``equality-{CODE}-wres``, ``-goals``, ``-trajectory`` and
``-progress`` (the equality page of area CODE), ``assessments-bundles`` and
``assessments-sensitivity`` (the assessments page), ``assessment-{bundle}-files``, ``-variance`` and
``-plan-{n}-levers``, ``-mix`` and ``-constraints`` (a bundle's page)
and ``sensitivity-{job}-variance`` (a sensitivity analysis's page). Each is built by
its page's own function, from the same API answers.
"""

from __future__ import annotations

import re

from fastapi import Request

from wfplan.web.pages.assessments import assessments_data, bundle_data
from wfplan.web.pages.equality import equality_data
from wfplan.web.pages.gaps import gaps_data
from wfplan.web.pages.overview import PageData
from wfplan.web.pages.sensitivity import sensitivity_data
from wfplan.web.pages.session import visitor_of

_BUNDLE = re.compile(r"^assessment-([A-Za-z0-9][A-Za-z0-9._-]{0,99})-(?:files|variance|"
                     r"plan-[0-9]{1,4}-(?:levers|mix|constraints))$")
_JOB = re.compile(r"^sensitivity-([0-9a-f]{1,32})-variance$")
_EQUALITY = re.compile(r"^equality-([A-Za-z0-9]{1,100})-(?:wres|goals|trajectory|progress)$")


async def more_tables(request: Request, table_id: str, vintage: str | None) -> PageData | None:
    """Return the data of the page that has the table ``table_id``, or None if none of these."""
    bundle, job = _BUNDLE.match(table_id), _JOB.match(table_id)
    equality = _EQUALITY.match(table_id)
    if not (table_id.startswith(("gaps-", "assessments-")) or bundle or job or equality):
        return None
    visitor = await visitor_of(request)
    if equality is not None:
        return await equality_data(request, visitor, equality.group(1), vintage)
    if table_id.startswith("gaps-"):
        return await gaps_data(request, visitor, vintage)
    if bundle is not None:
        return await bundle_data(request, visitor, bundle.group(1))
    if job is not None:
        return await sensitivity_data(request, visitor, job.group(1))
    return await assessments_data(request, visitor)
