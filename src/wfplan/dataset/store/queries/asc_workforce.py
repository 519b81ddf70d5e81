"""Queries of the ``asc_workforce`` tidy table (``docs/social-care.md``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from wfplan.dataset.store import Store
from wfplan.dataset.store.queries._params import positional

#: The measures of the table, summed by :func:`location_totals`.
MEASURES = ("filled_posts", "vacancies", "starters", "leavers")


def periods(store: Store, vintage: str) -> list[date]:
    """Return the periods the vintage's ``asc_workforce`` rows give, in order."""
    frame = store.query("SELECT DISTINCT period FROM asc_workforce WHERE vintage = ? "
                        "ORDER BY period", [vintage])
    return [pd.Timestamp(value).date() for value in frame["period"]]


def placement_conflicts(store: Store, vintage: str, limit: int) -> pd.DataFrame:
    """Return the rows of locations given more than one placement in the vintage.

    Columns ``location_id, la_code, icb_code, ingest_id, source_row``, at most
    ``limit`` rows, by location and then in the order the rows were loaded.
    """
    return store.query(
        "SELECT location_id, la_code, icb_code, ingest_id, source_row FROM asc_workforce "
        "WHERE vintage = ? AND location_id IN (SELECT location_id FROM asc_workforce "
        "WHERE vintage = ? GROUP BY location_id HAVING count(DISTINCT la_code) > 1 OR "
        "count(DISTINCT coalesce(icb_code, '')) > 1) "
        f"ORDER BY location_id, ingest_id, source_row LIMIT {int(limit)}", [vintage, vintage])


_TOTALS = """
WITH lookup AS (
    SELECT la_code, min(icb_code) AS icb_code FROM la_icb_lookup
    WHERE vintage = $vintage AND (valid_from IS NULL OR valid_from <= $period)
    GROUP BY la_code HAVING count(DISTINCT icb_code) = 1
)
SELECT w.location_id, w.la_code, coalesce(w.icb_code, l.icb_code) AS icb_code, w.job_role,
       {sums}
FROM asc_workforce w LEFT JOIN lookup l ON l.la_code = w.la_code
WHERE w.vintage = $vintage AND w.period = $period
GROUP BY w.location_id, w.la_code, coalesce(w.icb_code, l.icb_code), w.job_role
ORDER BY w.location_id, w.job_role
"""


def location_totals(store: Store, vintage: str, period: Any) -> pd.DataFrame:
    """Return each location's measures by job role at ``period``, placed in its ICB.

    Columns ``location_id, la_code, icb_code, job_role`` and :data:`MEASURES`
    (floats; NaN where no row reported the measure). ``icb_code`` is the row's
    own, else the ICB of its local authority in ``la_icb_lookup`` when the rows
    valid at ``period`` name one; else NULL (not placed).
    """
    sums = ", ".join(f"CAST(sum({m}) AS DOUBLE PRECISION) AS {m}" for m in MEASURES)
    sql, params = positional(_TOTALS.format(sums=sums), {"vintage": vintage, "period": period})
    frame = store.query(sql, params)
    for measure in MEASURES:
        frame[measure] = pd.to_numeric(frame[measure], errors="coerce").astype("float64")
    return frame
