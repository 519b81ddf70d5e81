"""Distinct headcount: each person counted once at every level of aggregation.

A record-level source can list one person on several records. The PCN
workforce publication has a row per staff record, and a person who works in
two PCNs, or in two roles, is in two staff-in-post cells: in March 2021 the
cells' headcounts add up to 6,911 in England against 6,859 distinct
identifiers. Each cell's headcount counts its own people once, but a sum of
cells does not.

At ingest, :func:`record` counts the distinct (hashed) identifiers of each
census of one file at each level of :data:`LEVELS`, for all staff, for each
staff group and for each staff group and role, with the FTE of those people's
records (records without an identifier, such as the PCN publication's
contracted services, are in neither). Organisations are placed as the metrics
place them (:func:`wfplan.dataset.geography.placement_cte` at the census date).
The identifiers of the PCN publication are unique within one file only, so a
count never combines files. The counts go to ``distinct_headcount``; the hashed
identifiers stay in the private ``person_records`` table, which no report reads.

The metrics use :func:`covered` and :func:`counts` to replace the sum of a
file's cells by its distinct headcount at the level reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.geography import UNMAPPED, placement_cte

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

#: Levels of aggregation, named as the metrics name them (``org`` is the PCN).
LEVELS = ("org", "icb", "region", "england")
#: Sources whose ingests record distinct headcounts (their records carry identifiers).
SOURCES = ("pcn_workforce",)

_AREA = {
    "org": "org_code",
    "icb": f"coalesce(icb_code, '{UNMAPPED}')",
    "region": f"coalesce(region_code, '{UNMAPPED}')",
    "england": f"'{codelists.ENGLAND_CODE}'",
}
_COLUMNS = ("vintage, ingest_id, source, period, level, area_code, sector, staff_group, role, "
            "headcount, fte")


def _count_sql() -> str:
    levels = " UNION ALL ".join(f"SELECT '{level}' AS level, {expr} AS area_code, * FROM r"
                                for level, expr in _AREA.items())
    return f"""{placement_cte()}, cells AS (
      SELECT org_code, role, any_value(staff_group) AS staff_group FROM staff_in_post
      WHERE vintage = $vintage AND ingest_id = $ingest AND period = $at GROUP BY ALL
    ), r AS (
      SELECT f.person_hash, f.org_code, coalesce(f.staff_group, c.staff_group) AS staff_group,
             f.role, f.fte, g.sector, g.icb_code, g.region_code
      FROM person_records f LEFT JOIN g ON g.org_code = f.org_code
      LEFT JOIN cells c ON c.org_code = f.org_code AND c.role IS NOT DISTINCT FROM f.role
      WHERE f.vintage = $vintage AND f.ingest_id = $ingest AND f.period = $at
    ), leveled AS ({levels})
    SELECT $vintage, $ingest, $source, $at, level, area_code,
           CASE WHEN count(sector) = count(*) AND count(DISTINCT sector) = 1
                THEN any_value(sector) END,
           staff_group, role, count(DISTINCT person_hash), sum(fte)
    FROM leveled
    GROUP BY GROUPING SETS ((level, area_code), (level, area_code, staff_group),
                            (level, area_code, staff_group, role))
    HAVING NOT (GROUPING(staff_group) = 0 AND staff_group IS NULL)
       AND NOT (GROUPING(role) = 0 AND role IS NULL)"""


def record(store: Store, vintage: str, ingest_id: int) -> list[str]:
    """Count the distinct people of one ingest's person records; return a note per census.

    Parameters
    ----------
    store, vintage, ingest_id
        The ingest whose ``person_records`` (and organisations) are in the store.

    Returns
    -------
    list of str
        For each census: the distinct people in England against the sum of the
        ingest's staff-in-post cells.
    """
    found = store.query("SELECT DISTINCT period, source FROM person_records WHERE vintage = ? "
                        "AND ingest_id = ? ORDER BY period", [vintage, ingest_id])
    notes = []
    for period, source in zip(found["period"], found["source"], strict=True):
        at = pd.Timestamp(period).date()
        params: dict[str, Any] = {"vintage": vintage, "ingest": ingest_id, "at": at,
                                  "source": source}
        store.execute(f"INSERT INTO distinct_headcount ({_COLUMNS}) {_count_sql()}",
                      params)  # type: ignore[arg-type]
        notes.append(_note(store, vintage, ingest_id, at))
    return notes


def _note(store: Store, vintage: str, ingest_id: int, at: date) -> str:
    people = store.scalar(
        "SELECT headcount FROM distinct_headcount WHERE vintage = ? AND ingest_id = ? AND "
        "period = ? AND level = 'england' AND staff_group IS NULL", [vintage, ingest_id, at])
    cells = store.scalar(
        "SELECT sum(headcount) FROM staff_in_post WHERE vintage = ? AND ingest_id = ? AND "
        "period = ?", [vintage, ingest_id, at])
    return (f"census {at:%Y-%m}: {int(people or 0):,} distinct people in England "
            f"({int(cells or 0):,} if each cell's headcount were added up); headcount at "
            "organisation, ICB, region and England level counts each person once")


def backfill(store: Store) -> None:
    """Record the distinct headcounts of ingests loaded before ``distinct_headcount`` existed."""
    sources = ", ".join(f"'{s}'" for s in SOURCES)
    ingests = store.query(
        f"SELECT DISTINCT vintage, ingest_id FROM person_records WHERE source IN ({sources}) "
        "AND (vintage, ingest_id) NOT IN (SELECT vintage, ingest_id FROM distinct_headcount) "
        "ORDER BY ingest_id")
    for vintage, ingest_id in zip(ingests["vintage"], ingests["ingest_id"], strict=True):
        record(store, str(vintage), int(ingest_id))


def covered(store: Store, vintage: str, period: object, level: str,
            sector: str | None = None) -> list[int]:
    """Return the ingests whose cells at ``period`` are replaced by distinct counts at ``level``.

    With a ``sector``, an ingest whose people span several sectors (rows with
    no single sector) is left to the sum of its cells, which the sector filter
    can split.
    """
    frame = store.query(
        "SELECT ingest_id, bool_or(sector IS NULL) AS mixed FROM distinct_headcount "
        "WHERE vintage = ? AND period = ? AND level = ? GROUP BY ingest_id ORDER BY ingest_id",
        [vintage, period, level])
    return [int(i) for i, mixed in zip(frame["ingest_id"], frame["mixed"], strict=True)
            if sector is None or not mixed]


def counts(store: Store, vintage: str, period: object, level: str, ingests: Sequence[int], *,
           staff_group: str | None = None, sector: str | None = None,
           by_role: bool = False) -> pd.DataFrame:
    """Return distinct headcount by area of ``level`` for the given ingests.

    Returns
    -------
    pandas.DataFrame
        ``area_code`` (then ``staff_group, role`` when ``by_role``),
        ``headcount_distinct``, ``fte_distinct`` (FTE of the people counted) and
        ``headcount_distinct_fte`` (the people whose FTE is known), summed over
        the ingests.
    """
    keys = "area_code, staff_group, role" if by_role else "area_code"
    conds = ["vintage = $vintage", "period = $period", "level = $level",
             "list_contains($ingests, ingest_id)"]
    params: dict[str, Any] = {"vintage": vintage, "period": period, "level": level,
                              "ingests": [int(i) for i in ingests]}
    if by_role:
        conds.append("role IS NOT NULL")
    else:
        conds += ["staff_group IS NOT DISTINCT FROM $group", "role IS NULL"]
        params["group"] = staff_group
    if sector is not None:
        conds.append("sector = $sector")
        params["sector"] = sector
    if not ingests:
        return pd.DataFrame(columns=[*keys.split(", "), "headcount_distinct", "fte_distinct",
                                     "headcount_distinct_fte"])
    return store.query(
        f"SELECT {keys}, sum(headcount) AS headcount_distinct, sum(fte) AS fte_distinct, "
        "sum(headcount) FILTER (WHERE fte IS NOT NULL) AS headcount_distinct_fte "
        f"FROM distinct_headcount WHERE {' AND '.join(conds)} GROUP BY ALL",
        params)  # type: ignore[arg-type]
