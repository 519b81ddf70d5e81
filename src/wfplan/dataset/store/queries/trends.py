"""The sums behind the trends (:mod:`wfplan.analysis.trends`): one row per period of one area.

Each function sums one fact table of a vintage by period and area of a level,
with the rows of every period placed as that period's report places them
(:func:`~wfplan.dataset.store.queries.geography.placement_at_dates_cte`), so a
series' point at a census is the figure the current-position metrics give at
that census (:mod:`wfplan.dataset.store.queries.metrics`: the same filters, the
same ordered float sums, rows for whole areas left out). The area is filtered
in SQL; with none, every area of the level is summed.

The SQL is portable (DuckDB and PostgreSQL); values are bound as parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from wfplan.dataset.store import Store
from wfplan.dataset.store.queries._params import positional
from wfplan.dataset.store.queries._sums import ordered_sum
from wfplan.dataset.store.queries.geography import AREA_EXPR, AREA_ROWS, placement_at_dates_cte

#: The fact tables a series can come from.
SERIES_TABLES = ("staff_in_post", "sickness_absence", "vacancies")


@dataclass(frozen=True)
class SeriesSelection:
    """Which rows a series sums.

    Attributes
    ----------
    vintage : str
        The vintage.
    level : str
        ``england``, ``region``, ``icb`` or ``org``.
    area : str or None
        Only this area of the level (its code, upper case); None: every area.
    staff_group : str or None
        Only this staff-group code.
    sector : str or None
        Only organisations of this sector.
    """

    vintage: str
    level: str
    area: str | None = None
    staff_group: str | None = None
    sector: str | None = None


def _conditions(
    sel: SeriesSelection, group_filter: bool = True
) -> tuple[list[str], dict[str, Any]]:
    """Return the conditions every series shares on its fact rows ``f``, and their values."""
    conds = ["f.vintage = $vintage", f"NOT ({AREA_ROWS})"]
    values: dict[str, Any] = {"vintage": sel.vintage}
    if group_filter and sel.staff_group:
        conds.append("f.staff_group = $group")
        values["group"] = sel.staff_group
    if sel.sector:
        conds.append("g.sector = $sector")
        values["sector"] = sel.sector
    if sel.area is not None:
        conds.append(f"{AREA_EXPR[sel.level]} = $area")
        values["area"] = sel.area
    return conds, values


def _series(
    store: Store,
    sel: SeriesSelection,
    dates: str,
    select: str,
    source: str,
    where: list[str],
    params: Mapping[str, Any],
    *,
    group_filter: bool = True,
    at: str = "f.period",
    period: str = "f.period",
    orgs: str | None = None,
) -> pd.DataFrame:
    """Sum ``select`` over the rows of ``source`` (fact rows ``f``) by period and area.

    Rows are placed at the date ``at`` and reported at the period ``period``; only the
    organisations of table ``orgs`` (default: the first word of ``source``) are placed.
    """
    conds, values = _conditions(sel, group_filter)
    table = orgs or source.split()[0]
    placed = f"SELECT DISTINCT org_code FROM {table} WHERE vintage = $vintage"
    sql, bound = positional(
        f"{placement_at_dates_cte(dates, placed)} SELECT {period} AS period, "
        f"{AREA_EXPR[sel.level]} AS area_code, {select} FROM {source} "
        f"LEFT JOIN g ON g.org_code = f.org_code AND g.at = {at} "
        f"WHERE {' AND '.join([*conds, *where])} GROUP BY 1, 2 ORDER BY 1, 2",
        {**values, **params},
    )
    return store.query(sql, bound)


def _covered(sel: SeriesSelection) -> str:
    """Return SQL true where row ``f``'s ingest has distinct counts at its census and level."""
    found = (
        "EXISTS (SELECT 1 FROM distinct_headcount d WHERE d.vintage = $vintage AND "
        "d.ingest_id = f.ingest_id AND d.period = f.period AND d.level = $level)"
    )
    if sel.sector is None:
        return found
    return (
        f"{found} AND NOT EXISTS (SELECT 1 FROM distinct_headcount d WHERE "
        "d.vintage = $vintage AND d.ingest_id = f.ingest_id AND d.period = f.period AND "
        "d.level = $level AND d.sector IS NULL)"
    )


def staff_series(store: Store, sel: SeriesSelection) -> pd.DataFrame:
    """Return staff in post at every census by area: ``headcount_cells`` and ``fte``.

    ``headcount_cells`` leaves out the rows of ingests whose people are counted
    once (:func:`distinct_series`), as the metrics do.
    """
    dates = "SELECT DISTINCT period AS at FROM staff_in_post WHERE vintage = $vintage"
    select = (
        f"sum(f.headcount) FILTER (WHERE NOT ({_covered(sel)})) AS headcount_cells, "
        f"{ordered_sum('f.fte')} AS fte"
    )
    return _series(store, sel, dates, select, "staff_in_post f", [], {"level": sel.level})


def distinct_series(store: Store, sel: SeriesSelection) -> pd.DataFrame:
    """Return the distinct people at every census by area (``headcount_distinct``).

    The ingests counted are those :func:`wfplan.dataset.distinct.covered` names
    at each census (with a sector, only those whose rows each have one sector).
    """
    conds = [
        "d.vintage = ?",
        "d.level = ?",
        "d.staff_group IS NOT DISTINCT FROM ?",
        "d.role IS NULL",
    ]
    params: list[Any] = [sel.vintage, sel.level, sel.staff_group]
    if sel.sector is not None:
        conds += [
            "d.sector = ?",
            "NOT EXISTS (SELECT 1 FROM distinct_headcount m WHERE "
            "m.vintage = d.vintage AND m.ingest_id = d.ingest_id AND m.period = d.period "
            "AND m.level = d.level AND m.sector IS NULL)",
        ]
        params.append(sel.sector)
    if sel.area is not None:
        conds.append("d.area_code = ?")
        params.append(sel.area)
    return store.query(
        "SELECT d.period AS period, d.area_code AS area_code, sum(d.headcount) AS "
        f"headcount_distinct FROM distinct_headcount d WHERE {' AND '.join(conds)} "
        "GROUP BY 1, 2 ORDER BY 1, 2",
        params,
    )


def sickness_series(store: Store, sel: SeriesSelection) -> pd.DataFrame:
    """Return FTE days lost and available in every month by area.

    Without a staff group only the rows for all staff groups count (as the metrics).
    """
    dates = "SELECT DISTINCT period AS at FROM sickness_absence WHERE vintage = $vintage"
    where = [] if sel.staff_group else ["f.staff_group IS NULL"]
    select = (
        f"{ordered_sum('f.fte_days_lost')} AS days_lost, "
        f"{ordered_sum('f.fte_days_available')} AS days_available"
    )
    return _series(store, sel, dates, select, "sickness_absence f", where, {})


#: Each vacancy period with the census it is reported with: the first on or after it.
#: Each vacancy period and the first census on or after it (NULL if none). An aggregate,
#: not a correlated subquery: PostgreSQL would run that once per joined fact row.
_PAIRS = (
    "SELECT v.period AS period, min(s.period) AS census "
    "FROM (SELECT DISTINCT period FROM vacancies WHERE vintage = $vintage) v "
    "LEFT JOIN (SELECT DISTINCT period FROM staff_in_post WHERE vintage = $vintage) s "
    "ON s.period >= v.period GROUP BY v.period"
)


def vacancy_series(store: Store, sel: SeriesSelection) -> pd.DataFrame:
    """Return vacancy FTE at every vacancy period, and FTE in post where reported, by area.

    A vacancy period is paired with the first staff-in-post census on or after
    it (the census whose current position reports it, when it is the latest
    vacancy period before that census); one with no census after it has no
    row. ``fte_reporting_vacancies`` counts the organisations and staff groups
    that report vacancies at the period, as the metrics do. Columns ``period``
    (of the vacancies), ``area_code``, ``census``, ``vacancy_fte``,
    ``fte_reporting_vacancies``.
    """
    dates = f"SELECT DISTINCT census AS at FROM ({_PAIRS}) q WHERE census IS NOT NULL"
    pairs = f"JOIN ({_PAIRS}) p ON p.period = f.period AND p.census IS NOT NULL"
    vacancies = _series(
        store,
        sel,
        dates,
        f"max(p.census) AS census, {ordered_sum('f.vacancy_fte')} AS vacancy_fte",
        f"vacancies f {pairs}",
        [],
        {},
        at="p.census",
    )
    reported = (
        "EXISTS (SELECT 1 FROM vacancies v WHERE v.vintage = $vintage AND "
        "v.period = p.period AND v.org_code = f.org_code AND "
        "v.staff_group = f.staff_group)"
    )
    pairs_by_census = f"JOIN ({_PAIRS}) p ON p.census = f.period"
    staff = _series(
        store,
        sel,
        dates,
        f"{ordered_sum('f.fte')} AS fte_reporting_vacancies",
        f"staff_in_post f {pairs_by_census}",
        [reported],
        {},
        period="p.period",
        orgs="vacancies",
    )
    return vacancies.merge(staff, on=["period", "area_code"], how="left")


def series_ingests(store: Store, vintage: str, table: str) -> list[int]:
    """Return the ingests whose rows a series of ``table`` reads, in order."""
    if table not in SERIES_TABLES:
        raise ValueError(f"{table!r} is not a table a series is read from")
    found = store.query(
        f"SELECT DISTINCT ingest_id FROM {table} WHERE vintage = ? ORDER BY ingest_id", [vintage]
    )
    return [int(i) for i in found["ingest_id"]]


def period_counts(store: Store, vintage: str) -> dict[str, int]:
    """Return how many distinct periods each table of :data:`SERIES_TABLES` holds in ``vintage``."""
    return {table: int(store.scalar(f"SELECT count(DISTINCT period) FROM {table} "
                                    "WHERE vintage = ?", [vintage]) or 0)
            for table in SERIES_TABLES}
