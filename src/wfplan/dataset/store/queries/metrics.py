"""The sums behind the current-position metrics (:mod:`wfplan.analysis.metrics`), by area.

Each function sums one fact table of a vintage by area of a level, placing
organisations as :mod:`wfplan.dataset.geography` does, and lists the sectors
of the rows behind each figure (columns ``cov_<figure>``, arrays of sector
codes, ``unmapped`` for organisations with no reference record). Rows
reported for a whole area (a national publication) are left out unless asked
for, so that they never double count the organisations' own rows.

The SQL is portable (DuckDB and PostgreSQL); code-list values are bound as
parameters, never written into the text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries._params import positional
from wfplan.dataset.store.queries._sums import ordered_sum
from wfplan.dataset.store.queries.geography import AREA_EXPR, AREA_ROWS, placement_cte

#: Age bands counted as aged 55 and over.
AGED_55_PLUS = ("55_59", "60_64", "65_plus")
_SECTOR = "coalesce(g.sector, 'unmapped')"
#: Float sums of staff in post, in one fixed order (:mod:`._sums`).
_FTE = ordered_sum("f.fte")
_FTE_OR_HC = ordered_sum("coalesce(f.fte, f.headcount)")


def _nationalities(group: str) -> tuple[str, ...]:
    """Return the nationality codes of a group (british, unknown…)."""
    rows = codelists.get("nationality").rows
    return tuple(r["code"] for r in rows if (r.get("group") or r["code"]) == group)


def _ethnicities(*minority: str) -> tuple[str, ...]:
    """Return the ethnicity codes whose ``minority`` attribute is one of ``minority``."""
    return tuple(r["code"] for r in codelists.get("ethnicity").rows if r["minority"] in minority)


@dataclass(frozen=True)
class AreaSelection:
    """Which rows to sum and how to place them.

    Attributes
    ----------
    vintage : str
        The vintage.
    level : str
        ``england``, ``region``, ``icb`` or ``org``.
    at : object
        The date organisations are placed at (the staff-in-post census).
    staff_group : str or None
        Only this staff-group code.
    sector : str or None
        Only organisations of this sector.
    """

    vintage: str
    level: str
    at: Any
    staff_group: str | None = None
    sector: str | None = None


def sectors(name: str, condition: str = "TRUE") -> str:
    """Return SQL listing the sectors of the rows behind a figure, as ``cov_<name>``."""
    return (f"array_agg(DISTINCT {_SECTOR} ORDER BY {_SECTOR}) FILTER (WHERE {condition}) "
            f"AS cov_{name}")


def _by_area(store: Store, sel: AreaSelection, select: str, table: str, where: str,
             params: Mapping[str, Any], *, keys: Sequence[str] = (),
             group_filter: bool = True, area_rows: bool = False) -> pd.DataFrame:
    """Aggregate ``select`` over a fact table ``f`` by area (then by the columns ``keys``)."""
    conds = ["f.vintage = $vintage", where, AREA_ROWS if area_rows else f"NOT ({AREA_ROWS})"]
    values = {"vintage": sel.vintage, "at": sel.at, **params}
    if group_filter and sel.staff_group:
        conds.append("f.staff_group = $group")
        values["group"] = sel.staff_group
    if sel.sector:
        conds.append("g.sector = $sector")
        values["sector"] = sel.sector
    columns = "".join(f"f.{key} AS {key}, " for key in keys)
    groups = ", ".join(str(i) for i in range(1, len(keys) + 2))
    sql, bound = positional(
        f"{placement_cte()} SELECT {AREA_EXPR[sel.level]} AS area_code, {columns}{select} "
        f"FROM {table} f LEFT JOIN g ON g.org_code = f.org_code "
        f"WHERE {' AND '.join(conds)} GROUP BY {groups} ORDER BY {groups}", values)
    return store.query(sql, bound)


def latest_staff_period(store: Store, vintage: str) -> Any:
    """Return the latest staff-in-post period of a vintage, or ``None``."""
    return store.scalar("SELECT max(period) FROM staff_in_post WHERE vintage = ?", [vintage])


def staff_sums(store: Store, sel: AreaSelection, distinct_ingests: Sequence[int]) -> pd.DataFrame:
    """Return staff in post at ``sel.at`` by area: headcount, FTE and the shares' parts.

    Headcount of the ``distinct_ingests`` (counted as distinct people elsewhere)
    is left out of ``headcount_cells``, ``fte_both`` and ``hc_both``.
    """
    cells = "NOT (f.ingest_id IN ($covered))" if distinct_ingests else "TRUE"
    both = "f.headcount IS NOT NULL AND f.fte IS NOT NULL"
    known_age = "f.age_band IS NOT NULL AND f.headcount IS NOT NULL"
    known_nat = "f.nationality IS NOT NULL AND f.nationality NOT IN ($unknown)"
    select = (
        f"sum(f.headcount) FILTER (WHERE {cells}) AS headcount_cells, {_FTE} AS fte, "
        f"{_FTE} FILTER (WHERE {cells} AND {both}) AS fte_both, "
        f"sum(f.headcount) FILTER (WHERE {cells} AND {both}) AS hc_both, "
        "sum(f.headcount) FILTER (WHERE f.age_band IN ($aged)) AS hc55, "
        "sum(f.headcount) FILTER (WHERE f.age_band IS NOT NULL) AS hc_age, "
        f"{_FTE_OR_HC} FILTER (WHERE f.nationality NOT IN ($uk, $unknown)) "
        f"AS non_uk, {_FTE_OR_HC} FILTER (WHERE {known_nat}) AS nat_known, "
        f"{sectors('headcount', 'f.headcount IS NOT NULL')}, "
        f"{sectors('fte', 'f.fte IS NOT NULL')}, {sectors('fte_per_head', both)}, "
        f"{sectors('share_aged_55_plus', known_age)}, {sectors('share_non_uk', known_nat)}")
    params = {"period": sel.at, "aged": AGED_55_PLUS, "uk": _nationalities("british"),
              "unknown": _nationalities("unknown"), "covered": list(distinct_ingests)}
    return _by_area(store, sel, select, "staff_in_post", "f.period = $period", params)


def staff_by_role_at(store: Store, sel: AreaSelection,
                     distinct_ingests: Sequence[int]) -> pd.DataFrame:
    """Return staff in post at ``sel.at`` by area, staff group and role (role NULL: not given).

    Only the staff groups with at least one row giving a role at ``sel.at``. As
    :func:`staff_sums`, headcount of the ``distinct_ingests`` is left out of
    ``headcount_cells``, ``fte_both`` and ``hc_both``.
    """
    cells = "NOT (f.ingest_id IN ($covered))" if distinct_ingests else "TRUE"
    both = "f.headcount IS NOT NULL AND f.fte IS NOT NULL"
    select = (
        f"sum(f.headcount) FILTER (WHERE {cells}) AS headcount_cells, {_FTE} AS fte, "
        f"{_FTE} FILTER (WHERE {cells} AND {both}) AS fte_both, "
        f"sum(f.headcount) FILTER (WHERE {cells} AND {both}) AS hc_both, "
        "coalesce(sum(f.headcount) FILTER (WHERE f.age_band IN ($aged)), 0) AS hc55, "
        "sum(f.headcount) FILTER (WHERE f.age_band IS NOT NULL) AS hc_age")
    with_roles = ("f.period = $period AND f.staff_group IN (SELECT DISTINCT staff_group FROM "
                  "staff_in_post WHERE vintage = $vintage AND period = $period AND role IS "
                  "NOT NULL)")
    params = {"period": sel.at, "aged": AGED_55_PLUS, "covered": list(distinct_ingests)}
    frame = _by_area(store, sel, select, "staff_in_post", with_roles, params,
                     keys=("staff_group", "role"))
    return frame[["area_code", "staff_group", "role", "headcount_cells", "fte", "fte_both",
                  "hc_both", "hc55", "hc_age"]]


def vacancy_period(store: Store, vintage: str, until: Any) -> Any:
    """Return the latest vacancy period on or before ``until``, or ``None``."""
    return store.scalar("SELECT max(period) FROM vacancies WHERE vintage = ? AND period <= ?",
                        [vintage, until])


def vacancy_sums(store: Store, sel: AreaSelection, period: Any) -> list[pd.DataFrame]:
    """Return vacancy FTE at ``period``, and FTE in post where vacancies are reported, by area.

    The second frame (``fte_reporting_vacancies``) counts only the organisations
    and staff groups that report vacancies, so that partial coverage does not
    dilute the rate.
    """
    params = {"period": sel.at, "vp": period}
    vacancies = f"{ordered_sum('f.vacancy_fte')} AS vacancy_fte, {sectors('vacancy_fte')}"
    return [_by_area(store, sel, vacancies, "vacancies", "f.period = $vp", params),
            _by_area(store, sel, f"{_FTE} AS fte_reporting_vacancies", "staff_in_post",
                     "f.period = $period AND EXISTS (SELECT 1 FROM vacancies v WHERE "
                     "v.vintage = $vintage AND v.period = $vp AND v.org_code = f.org_code "
                     "AND v.staff_group = f.staff_group)", params)]


def flow_start(store: Store, vintage: str, period_end: Any) -> Any:
    """Return the latest start of a flow period ending at ``period_end``, or ``None``."""
    return store.scalar("SELECT max(period_start) FROM flows WHERE vintage = ? AND "
                        "period_end = ?", [vintage, period_end])


def flow_sums(store: Store, sel: AreaSelection, start: Any) -> pd.DataFrame:
    """Return joiners, leavers and the headcount they are rates of, by area.

    The flow period runs from ``start`` to ``sel.at``; moves within the
    organisation (route ``internal``) are left out. ``hc_start`` and
    ``hc_end_reporting`` count the organisations and staff groups that report
    flows for this pair of censuses, and no others.
    """
    params = {"period": sel.at, "start": start}
    flows = _by_area(
        store, sel, "sum(f.headcount) FILTER (WHERE f.direction = 'joiner') AS joiners, "
        "sum(f.headcount) FILTER (WHERE f.direction = 'leaver') AS leavers, "
        f"{sectors('flows')}", "flows", "f.period_end = $period AND f.period_start = $start "
        "AND coalesce(f.route, '') <> 'internal'", params)
    reporting = ("EXISTS (SELECT 1 FROM flows x WHERE x.vintage = $vintage AND "
                 "x.period_start = $start AND x.period_end = $period AND "
                 "x.org_code = f.org_code AND x.staff_group = f.staff_group)")
    base = _by_area(
        store, sel, "sum(f.headcount) FILTER (WHERE f.period = $start) AS hc_start, "
        "sum(f.headcount) FILTER (WHERE f.period = $period) AS hc_end_reporting",
        "staff_in_post", f"f.period IN ($start, $period) AND {reporting}", params)
    return flows.merge(base, on="area_code", how="outer")


def sickness_sums(store: Store, sel: AreaSelection) -> pd.DataFrame:
    """Return FTE days lost and available over the 12 months to ``sel.at``, by area.

    Without a staff group, only the rows for all staff groups count. Columns
    ``sick_first`` and ``sick_last`` are the first and last months found.
    """
    where = ("f.period > CAST($period AS DATE) - INTERVAL '12 months' AND f.period <= $period"
             + ("" if sel.staff_group else " AND f.staff_group IS NULL"))
    return _by_area(
        store, sel, f"{ordered_sum('f.fte_days_lost')} AS days_lost, "
        f"{ordered_sum('f.fte_days_available')} AS days_available, min(f.period) AS sick_first, "
        f"max(f.period) AS sick_last, {sectors('sickness')}", "sickness_absence", where,
        {"period": sel.at})


def survey_years(store: Store, vintage: str) -> list[int]:
    """Return the staff survey years of a vintage with a ``burned_out`` indicator."""
    years = store.query("SELECT DISTINCT year FROM staff_survey WHERE vintage = ? AND "
                        "indicator = 'burned_out' ORDER BY year", [vintage])["year"]
    return [int(y) for y in years]


def burnout_sums(store: Store, sel: AreaSelection, year: int) -> pd.DataFrame:
    """Return the ``burned_out`` share of a survey year by area, weighted by respondents."""
    return _by_area(
        store, sel, f"{ordered_sum('f.value * f.base')} / CAST(sum(f.base) AS DOUBLE PRECISION) "
        f"AS burnout_rate, {sectors('burnout_rate')}", "staff_survey",
        "f.indicator = 'burned_out' AND f.year = $year AND f.base > 0", {"year": year},
        group_filter=False)


def burnout_pooled_sums(store: Store, sel: AreaSelection, first: int, last: int) -> pd.DataFrame:
    """Return ``burned_out`` respondents and respondents of survey years ``first``..``last``.

    By area: ``burned`` (the share times its respondents, summed), ``base`` (the
    respondents) and ``years`` (the survey years found), so that the pooled share
    is ``burned / base``: each year weighted by its respondents.
    """
    return _by_area(
        store, sel, f"{ordered_sum('f.value * f.base')} AS burned, sum(f.base) AS base, "
        "count(DISTINCT f.year) AS years", "staff_survey",
        "f.indicator = 'burned_out' AND f.year >= $first AND f.year <= $last AND f.base > 0",
        {"first": first, "last": last}, group_filter=False)


def sickness_latest(store: Store, vintage: str) -> Any:
    """Return the latest month of all-staff sickness absence in a vintage, or ``None``."""
    return store.scalar("SELECT max(period) FROM sickness_absence WHERE vintage = ? AND "
                        "staff_group IS NULL", [vintage])


def ethnicity_period(store: Store, vintage: str, until: Any) -> Any:
    """Return the latest staff-in-post period with grade and ethnicity, on or before ``until``."""
    return store.scalar(
        "SELECT max(period) FROM staff_in_post WHERE vintage = ? AND grade IS NOT NULL "
        "AND ethnicity IS NOT NULL AND period <= ?", [vintage, until])


def national_ethnicity_rows(store: Store, vintage: str, period: Any) -> int:
    """Return how many staff-in-post rows for England as a whole give ethnicity at ``period``."""
    return int(store.scalar(
        "SELECT count(*) FROM staff_in_post WHERE vintage = ? AND period = ? AND org_code IN "
        "(SELECT code FROM areas WHERE vintage = ? AND level = 'england') "
        "AND ethnicity IS NOT NULL", [vintage, period, vintage]) or 0)


def ethnicity_by_grade(store: Store, sel: AreaSelection, period: Any,
                       area_rows: bool) -> pd.DataFrame:
    """Return headcount by area and grade: ethnic ``minority`` and ethnicity ``known``.

    ``area_rows`` sums the rows for whole areas (a national publication) instead
    of the organisations' rows.
    """
    return _by_area(
        store, sel, "sum(f.headcount) FILTER (WHERE f.ethnicity IN ($minority)) AS minority, "
        "sum(f.headcount) FILTER (WHERE f.ethnicity IN ($known)) AS known", "staff_in_post",
        "f.period = $period AND f.grade IS NOT NULL AND f.ethnicity IS NOT NULL",
        {"period": period, "minority": _ethnicities("true"),
         "known": _ethnicities("true", "false")}, keys=("grade",), area_rows=area_rows)


def ethnicity_by_medical_grade(store: Store, sel: AreaSelection, period: Any,
                               area_rows: bool) -> pd.DataFrame:
    """Return doctors' headcount by area and medical grade (``role``), as ethnicity_by_grade.

    Only rows of grade ``medical`` that name the grade as their role (the GOV.UK
    ethnicity series does; docs/importers/ethnicity.md).
    """
    return _by_area(
        store, sel, "sum(f.headcount) FILTER (WHERE f.ethnicity IN ($minority)) AS minority, "
        "sum(f.headcount) FILTER (WHERE f.ethnicity IN ($known)) AS known", "staff_in_post",
        "f.period = $period AND f.grade = 'medical' AND f.role IS NOT NULL "
        "AND f.ethnicity IS NOT NULL",
        {"period": period, "minority": _ethnicities("true"),
         "known": _ethnicities("true", "false")}, keys=("role",), area_rows=area_rows)


def flows_unavailable(store: Store, vintage: str) -> dict[str, list[int]]:
    """Return the sources an importer found have no derivable flows, with their ingests."""
    frame = store.query("SELECT DISTINCT source, ingest_id FROM source_flags WHERE vintage = ? "
                        "AND flag = 'flows_unavailable' ORDER BY source, ingest_id", [vintage])
    out: dict[str, list[int]] = {}
    for source, ingest in zip(frame["source"], frame["ingest_id"], strict=True):
        out.setdefault(str(source), []).append(int(ingest))
    return out


def latest_censuses(store: Store, vintage: str, ingests: Sequence[int], until: Any | None,
                    count: int = 2) -> list[Any]:
    """Return the ``count`` latest staff-in-post periods of some ingests, newest first."""
    limit = " AND period <= $until" if until else ""
    sql, params = positional(
        f"SELECT DISTINCT period FROM staff_in_post WHERE vintage = $vintage AND ingest_id "
        f"IN ($ingests){limit} ORDER BY period DESC LIMIT {int(count)}",
        {"vintage": vintage, "ingests": list(ingests), "until": until})
    return list(store.query(sql, params)["period"])


def staff_by_role(store: Store, sel: AreaSelection, ingests: Sequence[int], start: Any,
                  end: Any) -> pd.DataFrame:
    """Return some ingests' staff in post at two censuses by area, staff group and role.

    Columns ``headcount_<when>``, ``fte_<when>`` and ``rows_<when>`` for ``start``
    and ``end``.
    """
    select = ", ".join(
        f"sum(f.headcount) FILTER (WHERE f.period = ${w}) AS headcount_{w}, "
        f"sum(f.fte) FILTER (WHERE f.period = ${w}) AS fte_{w}" for w in ("start", "end"))
    counts = ", ".join(f"count(*) FILTER (WHERE f.period = ${w}) AS rows_{w}"
                       for w in ("start", "end"))
    frame = _by_area(store, sel, f"{select}, {counts}", "staff_in_post",
                     "f.period IN ($start, $end) AND f.ingest_id IN ($ingests)",
                     {"start": start, "end": end, "ingests": list(ingests)},
                     keys=("staff_group", "role"))
    columns = ["area_code", "staff_group", "role", "headcount_start", "headcount_end",
               "fte_start", "fte_end", "rows_start", "rows_end"]
    return frame[columns]


def latest_by_sector(store: Store, vintage: str) -> pd.DataFrame:
    """Return each sector's latest staff-in-post period (``sector, period``), by sector.

    Rows reported for England as a whole are left out; organisations with no
    reference record are sector ``unmapped``.
    """
    return store.query(
        "SELECT coalesce(o.sector, 'unmapped') AS sector, max(f.period) AS period "
        "FROM staff_in_post f LEFT JOIN (SELECT org_code, max(sector) AS sector "
        "FROM organisations WHERE vintage = ? GROUP BY org_code) o ON o.org_code = f.org_code "
        "WHERE f.vintage = ? AND f.org_code NOT IN (SELECT code FROM areas WHERE vintage = ? "
        "AND level = 'england') GROUP BY 1 ORDER BY 1", [vintage, vintage, vintage])


def ethnicity_periods(store: Store, vintage: str) -> pd.DataFrame:
    """Return the distinct staff-in-post periods with grade and ethnicity, oldest first."""
    return store.query("SELECT DISTINCT period FROM staff_in_post WHERE vintage = ? AND "
                       "grade IS NOT NULL AND ethnicity IS NOT NULL ORDER BY period",
                       [vintage])
