"""Input extracts at the level the assessment models: SQL that aggregates a vintage.

An assessment reads its facts by area (England, NHS region, ICB) and staff
group, never by organisation: organisations only say where staff are (their ICB,
region and sector) and which of them report flows and vacancies (the "reporting
cells" of :mod:`wfplan.inputs.flows` and :mod:`wfplan.analysis.metrics`).
So the extract replaces each organisation by a **cell**: every organisation of
one ICB, region and sector whose rows for a staff group report the same things.
A cell's code is ``~ICB~region~sector~FFV`` (``-`` for none; the three flags say
whether the staff group reports flows for the model's flow period, flows for
the period ending at the base period, and vacancies at the vacancy period);
organisations with no reference record are ``~unmapped~FFV``. Rows reported for
a whole area (a national publication) keep their area code. Cells are ICB-level
at their finest, so every level an assessment runs at, and the ICB table of its
report, sum exactly as from the organisations' own rows.

Each table keeps only the rows and columns that an assessment reads:

- ``staff_in_post``: the censuses read (the base period and the two flow
  periods' first and last censuses) by cell, staff group, age band and
  nationality (``british``, ``unknown`` or ``non_uk``: all the share of non-UK
  staff needs); role, grade, sex and ethnicity are dropped. For the ethnicity by
  pay band table, one set of England rows (``org_code`` E92000001, no staff
  group) by grade and ethnic group at the latest census with both, which no
  other figure reads. Suppressed cells stay one row each.
- ``flows``: the two flow periods, by cell, staff group, age band, direction and
  route (``international``, ``return_to_practice``, ``newly_qualified``,
  ``internal`` or ``other``); no FTE.
- ``vacancies`` at the vacancy period; ``sickness_absence`` (all staff) over the
  twelve months to the base period; ``staff_survey`` (burnout, the survey year
  matched to the base period), by cell.
- ``education`` summed nationally by academic year, staff group, completion
  rate and duration; ``population`` (persons) for England and the cells'
  regions; ``utilisation`` (persons); ``distinct_headcount`` of all staff at ICB,
  region and England level at the base period; ``areas`` as they are.

Rows are grouped on whether each measure is missing, so a figure that counts
only rows with both headcount and FTE counts the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa

from wfplan.analysis.metrics_coverage import pick_survey_year
from wfplan.dataset import codelists
from wfplan.dataset.geography import AREA_ROWS, placement_cte
from wfplan.dataset.store import Store

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
                "vp": self.vacancy, "year": self.survey_year, "when": self.ethnicity}


def _day(value: object) -> date | None:
    if value is None or value != value:
        return None
    return date.fromisoformat(str(value)[:10])


def periods(store: Store, vintage: str, base: date) -> Periods:
    """Return the periods read, found as :mod:`~wfplan.assessment` and the metrics find them."""
    one = store.scalar
    end = _day(one("SELECT max(period_end) FROM flows WHERE vintage = ? AND period_end <= ?",
                   [vintage, base]))
    pair = None
    if end is not None:
        start = _day(one("SELECT max(period_start) FROM flows WHERE vintage = ? AND "
                         "period_end = ?", [vintage, end]))
        pair = (start, end) if start is not None else None
    at_base = _day(one("SELECT max(period_start) FROM flows WHERE vintage = ? AND "
                       "period_end = ?", [vintage, base]))
    vacancy = _day(one("SELECT max(period) FROM vacancies WHERE vintage = ? AND period <= ?",
                       [vintage, base]))
    years = store.query("SELECT DISTINCT year FROM staff_survey WHERE vintage = ? AND "
                        "indicator = 'burned_out' AND year <= ?", [vintage, base.year])["year"]
    survey, _ = pick_survey_year(base, [int(y) for y in years]) if len(years) else (None, None)
    ethnicity = _day(one(
        "SELECT max(period) FROM staff_in_post WHERE vintage = ? AND grade IS NOT NULL AND "
        "ethnicity IS NOT NULL AND period <= ?", [vintage, base]))
    return Periods(base, pair, at_base, vacancy, survey, ethnicity)


def _codes(name: str, test: str) -> str:
    """Return an SQL list of the code list's codes whose row passes ``test`` (a column=value)."""
    column, value = test.split("=")
    rows = codelists.get(name).rows
    return ", ".join(f"'{r['code']}'" for r in rows if (r.get(column) or r["code"]) == value)


_NATIONALITY = (f"CASE WHEN f.nationality IS NULL THEN NULL "
                f"WHEN f.nationality IN ({_codes('nationality', 'group=british')}) "
                "THEN 'british' "
                f"WHEN f.nationality IN ({_codes('nationality', 'group=unknown')}) "
                "THEN 'unknown' ELSE 'non_uk' END")
_ETHNICITY = ("CASE WHEN f.ethnicity IN ("
              + ", ".join(f"'{c}'" for c in codelists.get("ethnicity").codes)
              + ") THEN f.ethnicity ELSE 'unknown' END")
_ROUTE = ("CASE WHEN f.route = 'internal' THEN 'internal' WHEN f.direction = 'joiner' AND "
          f"f.route IN ({', '.join(repr(r) for r in ROUTES)}) THEN f.route ELSE 'other' END")
#: Suppressed rows stay one row each (their count is reported); others are summed.
_ROW = "CASE WHEN f.suppressed THEN f.source_row ELSE 0 END"


@dataclass(frozen=True)
class _Fact:
    """One fact table read by cell: which rows, and whether its rows have a staff group."""

    where: str
    grouped: bool = True


FACTS: Mapping[str, _Fact] = {
    "staff_in_post": _Fact("f.period IN (SELECT unnest($censuses))"),
    "flows": _Fact("((f.period_start = $s1 AND f.period_end = $e1) OR "
                   "(f.period_start = $s2 AND f.period_end = $base))"),
    "vacancies": _Fact("f.period = $vp"),
    "sickness_absence": _Fact("f.staff_group IS NULL AND f.period > $base - INTERVAL 12 MONTH "
                              "AND f.period <= $base", grouped=False),
    "staff_survey": _Fact("f.indicator = 'burned_out' AND f.year = $year AND f.base > 0",
                          grouped=False),
}


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
        flags = ("(fm.org_code IS NOT NULL)::INT::VARCHAR || (fx.org_code IS NOT NULL)::INT"
                 "::VARCHAR || (vv.org_code IS NOT NULL)::INT::VARCHAR")
    else:
        joins, flags = "", "'000'"
    expr = (f"CASE WHEN {AREA_ROWS} THEN f.org_code "
            f"WHEN g.org_code IS NULL THEN '~unmapped~' || {flags} "
            "ELSE '~' || coalesce(g.icb_code, '-') || '~' || coalesce(g.region_code, '-') || "
            f"'~' || g.sector || '~' || {flags} END")
    return " LEFT JOIN g ON g.org_code = f.org_code" + joins, expr


def _from(table: str) -> str:
    fact = FACTS[table]
    joins, expr = _cell_sql(fact.grouped)
    return (f"{placement_cte()}, r AS (SELECT f.*, {expr} AS cell, g.org_code AS placed, "
            f"g.icb_code AS p_icb, g.region_code AS p_region, g.sector AS p_sector "
            f"FROM {table} f{joins} WHERE f.vintage = $vintage AND {fact.where}) ")


_SELECT = {
    "staff_in_post": (
        "period, cell AS org_code, staff_group, NULL AS role, NULL AS grade, age_band, "
        "NULL AS sex, NULL AS ethnicity, {nat} AS nationality, "
        "sum(headcount)::BIGINT AS headcount, sum(fte) AS fte, vintage, ingest_id, "
        "{row} AS source_row, suppressed",
        "period, cell, staff_group, age_band, {nat}, vintage, ingest_id, {row}, suppressed, "
        "headcount IS NULL, fte IS NULL"),
    "flows": (
        "period_start, period_end, cell AS org_code, staff_group, age_band, direction, "
        "{route} AS route, sum(headcount)::BIGINT AS headcount, NULL AS fte, vintage, "
        "ingest_id, {row} AS source_row, suppressed",
        "period_start, period_end, cell, staff_group, age_band, direction, {route}, vintage, "
        "ingest_id, {row}, suppressed, headcount IS NULL"),
    "vacancies": (
        "period, cell AS org_code, staff_group, sum(vacancy_fte) AS vacancy_fte, vintage, "
        "ingest_id, {row} AS source_row, suppressed",
        "period, cell, staff_group, vintage, ingest_id, {row}, suppressed, "
        "vacancy_fte IS NULL"),
    "sickness_absence": (
        "period, cell AS org_code, NULL AS staff_group, sum(fte_days_lost) AS fte_days_lost, "
        "sum(fte_days_available) AS fte_days_available, vintage, ingest_id, "
        "{row} AS source_row, suppressed",
        "period, cell, vintage, ingest_id, {row}, suppressed, fte_days_lost IS NULL, "
        "fte_days_available IS NULL"),
    "staff_survey": (
        "year, cell AS org_code, indicator, sum(value * base) / sum(base) AS value, "
        "sum(base)::BIGINT AS base, vintage, ingest_id, {row} AS source_row, suppressed",
        "year, cell, indicator, vintage, ingest_id, {row}, suppressed, value IS NULL"),
}


def _fill(text: str) -> str:
    return text.format(nat=_NATIONALITY.replace("f.", ""), row=_ROW.replace("f.", ""),
                       route=_ROUTE.replace("f.", ""))


def _params(vintage: str, found: Periods, sql: str) -> dict[str, Any]:
    values = {"vintage": vintage, "at": found.base, "censuses": found.censuses,
              **found.params()}
    return {name: value for name, value in values.items() if f"${name}" in sql}


def _query(store: Store, sql: str, vintage: str, found: Periods) -> pa.Table:
    return store.query_arrow(sql, _params(vintage, found, sql))  # type: ignore[arg-type]


def fact_cells(store: Store, table: str, vintage: str, found: Periods) -> pa.Table:
    """Return one fact table's rows summed by cell (see the module notes)."""
    select, group = (_fill(part) for part in _SELECT[table])
    sql = f"{_from(table)} SELECT {select} FROM r GROUP BY {group} ORDER BY ALL"
    return _query(store, sql, vintage, found)


def ethnicity_rows(store: Store, vintage: str, found: Periods) -> pa.Table:
    """Return England's staff in post by grade and ethnic group at the ethnicity census.

    As :func:`wfplan.analysis.metrics.ethnic_minority_by_band` reads them: the rows
    reported for areas where the vintage has England rows with an ethnic group,
    else the organisations' rows. No other figure reads these rows (they are area
    rows: every other sum leaves them out).
    """
    national = store.scalar(
        "SELECT count(*) FROM staff_in_post WHERE vintage = ? AND period = ? AND org_code IN "
        "(SELECT code FROM areas WHERE vintage = ? AND level = 'england') "
        "AND ethnicity IS NOT NULL", [vintage, found.ethnicity, vintage])
    rows = AREA_ROWS if national else f"NOT ({AREA_ROWS})"
    sql = (f"SELECT period, '{ENGLAND}' AS org_code, NULL AS staff_group, NULL AS role, "
           f"grade, NULL AS age_band, NULL AS sex, {_ETHNICITY} AS ethnicity, "
           "NULL AS nationality, sum(headcount)::BIGINT AS headcount, NULL AS fte, vintage, "
           f"ingest_id, {_ROW} AS source_row, suppressed FROM staff_in_post f "
           f"WHERE f.vintage = $vintage AND f.period = $when AND f.grade IS NOT NULL AND "
           f"f.ethnicity IS NOT NULL AND {rows} GROUP BY period, grade, {_ETHNICITY}, vintage, "
           f"ingest_id, {_ROW}, suppressed, headcount IS NULL ORDER BY ALL")
    return _query(store, sql, vintage, found)


def organisation_cells(store: Store, vintage: str, found: Periods) -> pa.Table:
    """Return one ``organisations`` row per cell with a reference record: its placement."""
    parts = [f"SELECT * FROM ({_from(table)} SELECT DISTINCT cell, p_icb, p_region, p_sector, "
             "ingest_id FROM r WHERE placed IS NOT NULL AND starts_with(cell, '~'))"
             for table in FACTS]
    names = ("'organisations of ICB ' || coalesce(p_icb, '-') || ', region ' || "
             "coalesce(p_region, '-') || ', sector ' || p_sector")
    sql = (f"SELECT cell AS org_code, {names} AS name, NULL AS org_type, p_sector AS sector, "
           "p_icb AS icb_code, p_region AS region_code, NULL AS parent_code, "
           "NULL AS valid_from, NULL AS valid_to, $vintage AS vintage, "
           "min(ingest_id) AS ingest_id, 0 AS source_row, FALSE AS suppressed FROM ("
           + " UNION ALL ".join(parts) + ") GROUP BY ALL ORDER BY ALL")
    return _query(store, sql, vintage, found)


#: Tables read as they are, with the rows an assessment reads.
PLAIN = {
    "areas": "TRUE",
    "education": "",
    "population": ("sex IS NULL AND (area_code = $england OR area_code IN (SELECT DISTINCT "
                   "region_code FROM g WHERE region_code IS NOT NULL))"),
    "utilisation": "sex IS NULL AND activity_per_head IS NOT NULL",
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
           "NULL AS region, sum(places)::BIGINT AS places, "
           "CASE WHEN places IS NULL THEN sum(starters)::BIGINT END AS starters, "
           "completion_rate, duration_years, vintage, ingest_id, "
           f"{_ROW} AS source_row, suppressed FROM education f WHERE f.vintage = $vintage AND "
           "(places IS NOT NULL OR starters IS NOT NULL) GROUP BY academic_year, staff_group, "
           f"completion_rate, duration_years, places IS NULL, vintage, ingest_id, {_ROW}, "
           "suppressed ORDER BY ALL")
    return _query(store, sql, vintage, found)


def plain_rows(store: Store, table: str, vintage: str, found: Periods) -> pa.Table:
    """Return the rows of a table read as it is (see :data:`PLAIN`)."""
    if table == "education":
        return education_rows(store, vintage, found)
    condition = PLAIN[table]
    prefix = placement_cte() if " g " in f"{condition} " or "FROM g" in condition else ""
    sql = f"{prefix} SELECT * FROM {table} WHERE vintage = $vintage AND {condition} ORDER BY ALL"
    params = _params(vintage, found, sql)
    if "$england" in sql:
        params["england"] = ENGLAND
    return store.query_arrow(sql, params)  # type: ignore[arg-type]
