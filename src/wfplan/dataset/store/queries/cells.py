"""What an assessment extracts from a vintage: fact tables summed by cell (portable SQL).

:mod:`wfplan.assessment.cells` describes the cells (organisations of one ICB,
region and sector whose rows for a staff group report the same things) and
which rows each table keeps. Every statement here runs unchanged on DuckDB and
PostgreSQL 15 and orders its rows by every column it returns.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa

from wfplan.dataset import codelists
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries._binding import AREA_ROWS, PLACEMENT, bind, literal, quote
from wfplan.dataset.store.queries._sums import ordered_sum
from wfplan.dataset.store.queries.asc_workforce import MEASURES as ASC_MEASURES

ENGLAND = codelists.ENGLAND_CODE
#: The joiner routes the model tells apart; every other route (but ``internal``) is ``other``.
ROUTES = ("international", "return_to_practice", "newly_qualified")


@dataclass(frozen=True)
class Periods:
    """The periods an assessment at ``base`` reads (``None`` where the vintage has none)."""

    base: date
    model_flows: tuple[date, date] | None
    base_flows_start: date | None
    vacancy: date | None
    survey_year: int | None
    ethnicity: date | None

    @property
    def censuses(self) -> list[date]:
        """Return the staff-in-post censuses read: the base and each flow period's ends."""
        days = {self.base, *(self.model_flows or ()), self.base_flows_start}
        return sorted(d for d in days if d is not None)

    def params(self) -> dict[str, Any]:
        """Return the named SQL parameters of the periods."""
        start, end = self.model_flows or (None, None)
        return {"base": self.base, "s1": start, "e1": end, "s2": self.base_flows_start,
                "vp": self.vacancy, "year": self.survey_year, "when": self.ethnicity,
                "year_before": year_before(self.base), "at": self.base,
                "censuses": self.censuses, "england": ENGLAND}


def year_before(day: date) -> date:
    """Return the same day twelve months earlier (the month's last day if it has fewer)."""
    last = calendar.monthrange(day.year - 1, day.month)[1]
    return date(day.year - 1, day.month, min(day.day, last))


def survey_years(store: Store, vintage: str, up_to: int) -> list[int]:
    """Return the years with burnout survey results up to ``up_to``, oldest first."""
    frame = store.query("SELECT DISTINCT year FROM staff_survey WHERE vintage = ? AND "
                        "indicator = 'burned_out' AND year <= ? ORDER BY year",
                        [vintage, up_to])
    return [int(y) for y in frame["year"]]


def latest_ethnicity_census(store: Store, vintage: str, up_to: date) -> object:
    """Return the latest census on or before ``up_to`` with rows by grade and ethnic group."""
    return store.scalar(
        "SELECT max(period) FROM staff_in_post WHERE vintage = ? AND grade IS NOT NULL AND "
        "ethnicity IS NOT NULL AND period <= ?", [vintage, up_to])


def _codes(name: str, test: str) -> str:
    """Return an SQL list of the code list's codes whose row passes ``test`` (a column=value)."""
    column, value = test.split("=")
    rows = codelists.get(name).rows
    return ", ".join(literal(r["code"]) for r in rows if (r.get(column) or r["code"]) == value)


_NATIONALITY = (f"CASE WHEN nationality IS NULL THEN NULL "
                f"WHEN nationality IN ({_codes('nationality', 'group=british')}) "
                "THEN 'british' "
                f"WHEN nationality IN ({_codes('nationality', 'group=unknown')}) "
                "THEN 'unknown' ELSE 'non_uk' END")
_ETHNICITY = ("CASE WHEN f.ethnicity IN ("
              + ", ".join(literal(c) for c in codelists.get("ethnicity").codes)
              + ") THEN f.ethnicity ELSE 'unknown' END")
_ROUTE = ("CASE WHEN route = 'internal' THEN 'internal' WHEN direction = 'joiner' AND "
          f"route IN ({', '.join(literal(r) for r in ROUTES)}) THEN route ELSE 'other' END")
#: Suppressed rows stay one row each (their count is reported); others are summed.
_ROW = "CASE WHEN suppressed THEN source_row ELSE 0 END"


@dataclass(frozen=True)
class _Fact:
    """One fact table read by cell: which rows, and whether its rows have a staff group."""

    where: str
    grouped: bool = True


FACTS: Mapping[str, _Fact] = {
    "staff_in_post": _Fact("f.period IN ($censuses)"),
    "flows": _Fact("((f.period_start = $s1 AND f.period_end = $e1) OR "
                   "(f.period_start = $s2 AND f.period_end = $base))"),
    "vacancies": _Fact("f.period = $vp"),
    "sickness_absence": _Fact("f.staff_group IS NULL AND f.period > $year_before "
                              "AND f.period <= $base", grouped=False),
    "staff_survey": _Fact("f.indicator = 'burned_out' AND f.year = $year AND f.base > 0",
                          grouped=False),
}


def _flag(alias: str) -> str:
    return f"CASE WHEN {alias}.org_code IS NULL THEN '0' ELSE '1' END"


def _cell_sql(grouped: bool) -> tuple[str, str]:
    """Return (joins, expression) giving the cell of a fact row ``f``."""
    if grouped:
        joins = "".join(
            f" LEFT JOIN (SELECT DISTINCT org_code, staff_group FROM {table} WHERE vintage = "
            f"$vintage AND {cond}) {name} ON {name}.org_code = f.org_code AND "
            f"{name}.staff_group = f.staff_group"
            for name, table, cond in (
                ("fm", "flows", "period_start = $s1 AND period_end = $e1"),
                ("fx", "flows", "period_start = $s2 AND period_end = $base"),
                ("vv", "vacancies", "period = $vp")))
        flags = " || ".join(_flag(alias) for alias in ("fm", "fx", "vv"))
    else:
        joins, flags = "", "'000'"
    expr = (f"CASE WHEN {AREA_ROWS} THEN f.org_code "
            f"WHEN g.org_code IS NULL THEN '~unmapped~' || {flags} "
            "ELSE '~' || coalesce(g.icb_code, '-') || '~' || coalesce(g.region_code, '-') || "
            f"'~' || g.sector || '~' || {flags} END")
    return " LEFT JOIN g ON g.org_code = f.org_code" + joins, expr


def _from(table: str, *, keys_only: bool = False) -> str:
    """Return ``WITH …, r AS (…)``: a fact table's rows ``r`` with their cell and placement.

    With ``keys_only``, ``r`` has one row per distinct organisation, staff group
    (of a table whose rows have one) and ingest instead of every row: all that a
    row's cell and placement depend on, so the distinct cells are the same, found
    from far fewer rows.
    """
    fact = FACTS[table]
    joins, expr = _cell_sql(fact.grouped)
    source = f"{table} f"
    if keys_only:
        keys = "f.org_code, f.staff_group, f.ingest_id" if fact.grouped else \
            "f.org_code, f.ingest_id"
        source = (f"(SELECT DISTINCT {keys} FROM {table} f WHERE f.vintage = $vintage AND "
                  f"{fact.where}) f")
    where = "TRUE" if keys_only else f"f.vintage = $vintage AND {fact.where}"
    return (f"{PLACEMENT}, r AS (SELECT f.*, {expr} AS cell, g.org_code AS placed, "
            f"g.icb_code AS p_icb, g.region_code AS p_region, g.sector AS p_sector "
            f"FROM {source}{joins} WHERE {where}) ")


_SELECT = {
    "staff_in_post": (
        "period, cell AS org_code, staff_group, NULL AS role, NULL AS grade, age_band, "
        "NULL AS sex, NULL AS ethnicity, {nat} AS nationality, "
        "CAST(sum(headcount) AS BIGINT) AS headcount, "
        f"{ordered_sum('fte')} AS fte, vintage, ingest_id, "
        "{row} AS source_row, suppressed",
        "period, cell, staff_group, age_band, {nat}, vintage, ingest_id, {row}, suppressed, "
        "headcount IS NULL, fte IS NULL"),
    "flows": (
        "period_start, period_end, cell AS org_code, staff_group, age_band, direction, "
        "{route} AS route, CAST(sum(headcount) AS BIGINT) AS headcount, NULL AS fte, vintage, "
        "ingest_id, {row} AS source_row, suppressed",
        "period_start, period_end, cell, staff_group, age_band, direction, {route}, vintage, "
        "ingest_id, {row}, suppressed, headcount IS NULL"),
    "vacancies": (
        "period, cell AS org_code, staff_group, "
        f"{ordered_sum('vacancy_fte')} AS vacancy_fte, vintage, "
        "ingest_id, {row} AS source_row, suppressed",
        "period, cell, staff_group, vintage, ingest_id, {row}, suppressed, "
        "vacancy_fte IS NULL"),
    "sickness_absence": (
        "period, cell AS org_code, NULL AS staff_group, "
        f"{ordered_sum('fte_days_lost')} AS fte_days_lost, "
        f"{ordered_sum('fte_days_available')} AS fte_days_available, vintage, ingest_id, "
        "{row} AS source_row, suppressed",
        "period, cell, vintage, ingest_id, {row}, suppressed, fte_days_lost IS NULL, "
        "fte_days_available IS NULL"),
    "staff_survey": (
        "year, cell AS org_code, indicator, "
        f"CAST({ordered_sum('value * base')} AS DOUBLE PRECISION) / sum(base) AS value, "
        "CAST(sum(base) AS BIGINT) AS base, vintage, ingest_id, {row} AS source_row, "
        "suppressed",
        "year, cell, indicator, vintage, ingest_id, {row}, suppressed, value IS NULL"),
}


def _fill(text: str) -> str:
    return text.format(nat=_NATIONALITY, row=_ROW, route=_ROUTE)


def _sorted(store: Store, sql: str, found: Periods, vintage: str) -> pa.Table:
    """Run ``sql`` and return its rows ordered by every column (``$name`` from the periods)."""
    shape, params = bind(f"SELECT * FROM ({sql}) q WHERE 1 = 0",
                         {"vintage": vintage, **found.params()})
    names = store.query_arrow(shape, params).schema.names
    order = ", ".join(f"q.{quote(name)}" for name in names)
    text, params = bind(f"SELECT * FROM ({sql}) q ORDER BY {order}",
                        {"vintage": vintage, **found.params()})
    return store.query_arrow(text, params)


def fact_cells(store: Store, table: str, vintage: str, found: Periods, *,
               roles: bool = False) -> pa.Table:
    """Return one fact table's rows summed by cell (see :mod:`wfplan.assessment.cells`).

    With ``roles``, ``staff_in_post`` keeps its ``role`` column (cells by role too),
    for an assessment with a scenario by role.
    """
    select, group = (_fill(part) for part in _SELECT[table])
    if roles and table == "staff_in_post":
        select = select.replace("NULL AS role", "role")
        group = group.replace("staff_group, ", "staff_group, role, ", 1)
    return _sorted(store, f"{_from(table)} SELECT {select} FROM r GROUP BY {group}",
                   found, vintage)


def has_national_ethnicity(store: Store, vintage: str, when: object) -> bool:
    """Return whether the vintage has England rows with an ethnic group at ``when``."""
    return bool(store.scalar(
        "SELECT count(*) FROM staff_in_post WHERE vintage = ? AND period = ? AND org_code IN "
        "(SELECT code FROM areas WHERE vintage = ? AND level = 'england') "
        "AND ethnicity IS NOT NULL", [vintage, when, vintage]))


def ethnicity_rows(store: Store, vintage: str, found: Periods) -> pa.Table:
    """Return England's staff in post by grade and ethnic group at the ethnicity census.

    The rows reported for areas where the vintage has England rows with an
    ethnic group, else the organisations' rows (see
    :func:`wfplan.assessment.cells.ethnicity_rows`).
    """
    national = has_national_ethnicity(store, vintage, found.ethnicity)
    rows = AREA_ROWS if national else f"NOT ({AREA_ROWS})"
    row = _ROW.replace("suppressed", "f.suppressed").replace("source_row", "f.source_row")
    sql = (f"SELECT period, {literal(ENGLAND)} AS org_code, NULL AS staff_group, NULL AS role, "
           f"grade, NULL AS age_band, NULL AS sex, {_ETHNICITY} AS ethnicity, "
           "NULL AS nationality, CAST(sum(headcount) AS BIGINT) AS headcount, NULL AS fte, "
           f"vintage, ingest_id, {row} AS source_row, suppressed FROM staff_in_post f "
           f"WHERE f.vintage = $vintage AND f.period = $when AND f.grade IS NOT NULL AND "
           f"f.ethnicity IS NOT NULL AND {rows} GROUP BY period, grade, {_ETHNICITY}, vintage, "
           f"ingest_id, {row}, suppressed, headcount IS NULL")
    return _sorted(store, sql, found, vintage)


def organisation_cells(store: Store, vintage: str, found: Periods) -> pa.Table:
    """Return one ``organisations`` row per cell with a reference record: its placement."""
    parts = [f"SELECT * FROM ({_from(table, keys_only=True)} SELECT DISTINCT cell, p_icb, "
             "p_region, p_sector, ingest_id FROM r WHERE placed IS NOT NULL AND "
             f"substr(cell, 1, 1) = '~') c{index}" for index, table in enumerate(FACTS)]
    names = ("'organisations of ICB ' || coalesce(p_icb, '-') || ', region ' || "
             "coalesce(p_region, '-') || ', sector ' || p_sector")
    sql = (f"SELECT cell AS org_code, {names} AS name, NULL AS org_type, p_sector AS sector, "
           "p_icb AS icb_code, p_region AS region_code, NULL AS parent_code, "
           "NULL AS valid_from, NULL AS valid_to, $vintage AS vintage, "
           "min(ingest_id) AS ingest_id, 0 AS source_row, FALSE AS suppressed FROM ("
           + " UNION ALL ".join(parts) + ") u GROUP BY cell, p_icb, p_region, p_sector")
    return _sorted(store, sql, found, vintage)


#: Tables read as they are, with the rows an assessment reads.
PLAIN = {
    "areas": "TRUE",
    "education": "",
    "population": ("sex IS NULL AND (area_code = $england OR area_code IN (SELECT DISTINCT "
                   "region_code FROM g WHERE region_code IS NOT NULL) OR area_code IN ("
                   "SELECT la_code FROM la_icb_lookup WHERE vintage = $vintage))"),
    "utilisation": "sex IS NULL AND activity_per_head IS NOT NULL",
    "la_icb_lookup": "TRUE",
    "education_programmes": "TRUE",
    "distinct_headcount": ("period = $base AND level IN ('england', 'region', 'icb') AND "
                           "staff_group IS NULL AND role IS NULL"),
}


def education_rows(store: Store, vintage: str, found: Periods) -> pa.Table:
    """Return education summed nationally by year, staff group, completion rate and duration.

    Rows giving places count their places; rows without places, their starters
    (as :mod:`wfplan.inputs.training` reads them); provider, programme and
    region are dropped.
    """
    sql = ("SELECT academic_year, NULL AS provider, NULL AS programme, staff_group, "
           "NULL AS region, CAST(sum(places) AS BIGINT) AS places, "
           "CASE WHEN places IS NULL THEN CAST(sum(starters) AS BIGINT) END AS starters, "
           "completion_rate, duration_years, vintage, ingest_id, "
           f"{_ROW} AS source_row, suppressed FROM education f WHERE f.vintage = $vintage AND "
           "(places IS NOT NULL OR starters IS NOT NULL) GROUP BY academic_year, staff_group, "
           f"completion_rate, duration_years, places IS NULL, vintage, ingest_id, {_ROW}, "
           "suppressed")
    return _sorted(store, sql, found, vintage)


_ASC_REPORTED = [f"CASE WHEN f.{m} IS NULL THEN '0' ELSE '1' END" for m in ASC_MEASURES]
_ASC_FLAGS = " || ".join(_ASC_REPORTED)
_ASC_SUMS = ", ".join(f"CAST(sum(f.{m}) AS BIGINT) AS {m}" for m in ASC_MEASURES)
_ASC_ROW = "CASE WHEN f.suppressed THEN f.source_row ELSE 0 END"


def asc_rows(store: Store, vintage: str, found: Periods) -> pa.Table:
    """Return the latest ``asc_workforce`` returns up to the base period, summed by cell.

    A cell is every location of one local authority and own ICB (empty: placed
    through ``la_icb_lookup``) whose row for a job role reports the same measures;
    its ``location_id`` is ``~LA~ICB~FFFF`` (``-`` for no ICB; the flags say
    which of :data:`ASC_MEASURES` are reported). Location names are dropped.
    """
    sql = (f"SELECT f.period, '~' || f.la_code || '~' || coalesce(f.icb_code, '-') || '~' || "
           f"{_ASC_FLAGS} AS location_id, NULL AS location_name, f.la_code, f.icb_code, "
           f"f.job_role, {_ASC_SUMS}, f.vintage, f.ingest_id, {_ASC_ROW} AS source_row, "
           "f.suppressed FROM asc_workforce f WHERE f.vintage = $vintage AND f.period = (SELECT "
           "max(period) FROM asc_workforce WHERE vintage = $vintage AND period <= $base) "
           "GROUP BY f.period, f.la_code, f.icb_code, f.job_role, "
           f"{', '.join(_ASC_REPORTED)}, f.vintage, f.ingest_id, {_ASC_ROW}, f.suppressed")
    return _sorted(store, sql, found, vintage)


def plain_rows(store: Store, table: str, vintage: str, found: Periods) -> pa.Table:
    """Return the rows of a table read as it is (see :data:`PLAIN`)."""
    if table == "education":
        return education_rows(store, vintage, found)
    condition = PLAIN[table]
    prefix = PLACEMENT if "FROM g" in condition else ""
    return _sorted(store, f"{prefix} SELECT * FROM {table} WHERE vintage = $vintage AND "
                   f"{condition}", found, vintage)
