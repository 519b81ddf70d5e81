"""The trend charts of a page: an SPC chart of each measure the vintage has a series of.

Each chart is drawn from ``GET /api/v1/trends`` (so scope, disclosure control and
audit are the API's) by :func:`wfplan.web.charts.spc_chart`. A measure the vintage
has no series of (404), or one the level cannot give (400, the API's 422), is left
out; so is a series of a single point, which has no trend to show.
"""

from __future__ import annotations

from wfplan.web import models_trends
from wfplan.web.charts import Chart, spc_chart
from wfplan.web.pages.api import Api, PageError, together

#: The measures drawn, in the order the page shows them.
MEASURES = ("staff_in_post_headcount", "staff_in_post_fte", "sickness_rate", "vacancy_rate")


async def _trend(api: Api, measure: str, level: str, code: str | None,
                 vintage: str | None) -> Chart | None:
    """Return the SPC chart of one measure, or None where there is no series to draw."""
    try:
        answer = await api.get("/trends", measure=measure, level=level, area=code,
                               vintage=vintage)
    except PageError as error:
        if error.status in (400, 404):
            return None
        raise
    trend = models_trends.Trend.model_validate(answer)
    if len(trend.points) < 2:
        return None
    return spc_chart(trend, id=f"trend-{measure.replace('_', '-')}")


async def trend_charts(api: Api, level: str, code: str | None,
                       vintage: str | None) -> list[Chart]:
    """Return the SPC charts of an area (``code`` None for England), in :data:`MEASURES` order."""
    found = await together(*(_trend(api, measure, level, code, vintage)
                             for measure in MEASURES))
    return [chart for chart in found if chart is not None]
