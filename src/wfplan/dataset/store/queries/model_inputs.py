"""What :mod:`wfplan.inputs` and :mod:`wfplan.runs` read from a vintage, in domain terms.

Facts are summed by area of a level and staff group (:class:`AreaScope`),
each organisation placed by its record nearest the base period; rows reported
for a whole area (national publications) are left out, so nothing counts
twice. Every statement is portable SQL (DuckDB and PostgreSQL 15) with a total
``ORDER BY``; regular expressions are applied in pandas to distinct values.

Floating-point measures are summed with :func:`ordered_sum`: ``sum(x ORDER BY
x)``, smallest first, one addition after another. A plain ``sum`` of doubles adds
partial sums in whatever order the engine's threads finish (DuckDB and
PostgreSQL both run it in parallel), so its last bits change from run to run; in
one fixed order the same data gives the same bits every time, on either engine.
Integer measures (headcount) are summed exactly and need no order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries._binding import AREA_EXPR, AREA_ROWS, PLACEMENT, bind
from wfplan.dataset.store.queries._sums import ordered_sum

ENGLAND = codelists.ENGLAND_CODE


@dataclass(frozen=True)
class AreaScope:
    """Which rows of a vintage to sum, and by which areas.

    Attributes
    ----------
    vintage, level
        The vintage and the area level (``england``, ``region``, ``icb``, ``org``).
    period
        The base period: organisations are placed by their record nearest it.
    sector
        Only organisations of this sector, when given.
    staff_groups
        Only these staff groups, when given.
    """

    vintage: str
    level: str
    period: date
    sector: str | None = None
    staff_groups: tuple[str, ...] | None = None


def _value(value: Any) -> Any:
    return None if value is None or pd.isna(value) else value


def _day(value: Any) -> date | None:
    value = _value(value)
    return None if value is None else pd.Timestamp(value).date()


def _by_area(store: Store, scope: AreaScope, measures: str, table: str, where: str,
             values: dict[str, Any], by: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return ``area, staff_group[, by…]`` and ``measures`` summed over a fact table ``f``."""
    conds = ["f.vintage = $vintage", f"NOT ({AREA_ROWS})", where]
    named: dict[str, Any] = {"vintage": scope.vintage, "at": scope.period, **values}
    if scope.sector:
        conds.append("g.sector = $sector")
        named["sector"] = scope.sector
    if scope.staff_groups:
        conds.append("f.staff_group IN ($groups)")
        named["groups"] = list(scope.staff_groups)
    keys = [f"{AREA_EXPR[scope.level]} AS area", "f.staff_group AS staff_group",
            *(f"f.{column} AS {column}" for column in by)]
    positions = ", ".join(str(i) for i in range(1, len(keys) + 1))
    sql, params = bind(
        f"{PLACEMENT} SELECT {', '.join(keys)}, {measures} FROM {table} f "
        f"LEFT JOIN g ON g.org_code = f.org_code WHERE {' AND '.join(conds)} "
        f"GROUP BY {positions} ORDER BY {positions}", named)
    return store.query(sql, params)


#: Staff in post by whether each row gives headcount, FTE or both.
_FTE = ordered_sum("f.fte")
_STOCK = ("sum(f.headcount) FILTER (WHERE f.fte IS NOT NULL) AS hc_both, "
          f"{_FTE} FILTER (WHERE f.headcount IS NOT NULL) AS fte_both, "
          "sum(f.headcount) FILTER (WHERE f.fte IS NULL) AS hc_only, "
          f"{_FTE} FILTER (WHERE f.headcount IS NULL) AS fte_only, "
          "count(*) FILTER (WHERE f.suppressed) AS suppressed")
#: The organisation and staff group of ``f`` report flows for ``$start``–``$end``.
_REPORTING = ("EXISTS (SELECT 1 FROM flows x WHERE x.vintage = $vintage AND "
              "x.period_start = $start AND x.period_end = $end AND "
              "x.org_code = f.org_code AND x.staff_group = f.staff_group)")


def staff_in_post_by_age(store: Store, scope: AreaScope, when: date,
                         reporting: tuple[date, date] | None = None) -> pd.DataFrame:
    """Return staff in post at ``when`` by area, staff group and age band (NULL kept).

    Columns ``hc_both, fte_both`` sum the rows giving both headcount and FTE,
    ``hc_only`` / ``fte_only`` those giving one, ``suppressed`` counts suppressed
    rows. With ``reporting`` (a flow period), only the organisations and staff
    groups that report flows for it count.
    """
    where = "f.period = $when"
    values: dict[str, Any] = {"when": when}
    if reporting is not None:
        where += f" AND {_REPORTING}"
        values.update(start=reporting[0], end=reporting[1])
    return _by_area(store, scope, _STOCK, "staff_in_post", where, values, by=("age_band",))


def staff_in_post_by_role(store: Store, scope: AreaScope, when: date) -> pd.DataFrame:
    """Return staff in post at ``when`` by area, staff group, age band and role (NULL kept).

    The measures of :func:`staff_in_post_by_age`, one row per role as the data gives it.
    """
    return _by_area(store, scope, _STOCK, "staff_in_post", "f.period = $when",
                    {"when": when}, by=("age_band", "role"))


def staff_in_post_totals(store: Store, scope: AreaScope, when: date) -> pd.DataFrame:
    """Return ``area, staff_group, actual_fte, actual_hc``: staff in post at ``when``."""
    return _by_area(store, scope, f"{_FTE} AS actual_fte, sum(f.headcount) AS actual_hc",
                    "staff_in_post", "f.period = $when", {"when": when})


def staff_at_two_censuses(store: Store, scope: AreaScope, start: date,
                          end: date) -> pd.DataFrame:
    """Return ``area, staff_group, at_start, at_end``: FTE (else headcount) at two censuses."""
    either = ordered_sum("coalesce(f.fte, f.headcount)")
    return _by_area(store, scope,
                    f"{either} FILTER (WHERE f.period = $start) AS at_start, "
                    f"{either} FILTER (WHERE f.period = $end) AS at_end", "staff_in_post",
                    "f.period IN ($start, $end)", {"start": start, "end": end})


def area_regions(store: Store, scope: AreaScope) -> pd.DataFrame:
    """Return ``area, staff_group, region``: an NHS region of each area with staff at the base."""
    return _by_area(store, scope, "min(g.region_code) AS region", "staff_in_post",
                    "f.period = $when", {"when": scope.period})


def vacancy_fte_by_area(store: Store, scope: AreaScope, when: date) -> pd.DataFrame:
    """Return ``area, staff_group, vacancy_fte`` at vacancy period ``when``."""
    return _by_area(store, scope, f"{ordered_sum('f.vacancy_fte')} AS vacancy_fte",
                    "vacancies", "f.period = $when", {"when": when})


def flow_headcount_by_area(store: Store, scope: AreaScope, start: date,
                           end: date) -> pd.DataFrame:
    """Return flows of ``start``–``end`` (moves within an organisation left out).

    Columns ``area, staff_group, age_band, direction, route, hc`` (headcount).
    """
    return _by_area(store, scope, "sum(f.headcount) AS hc", "flows",
                    "f.period_start = $start AND f.period_end = $end AND "
                    "coalesce(f.route, '') <> 'internal'", {"start": start, "end": end},
                    by=("age_band", "direction", "route"))


def latest_flow_end(store: Store, vintage: str, up_to: date) -> date | None:
    """Return the latest end of a flow period on or before ``up_to``."""
    return _day(store.scalar("SELECT max(period_end) FROM flows WHERE vintage = ? AND "
                             "period_end <= ?", [vintage, up_to]))


def flow_start(store: Store, vintage: str, end: date) -> date | None:
    """Return the latest start of a flow period ending on ``end``."""
    return _day(store.scalar("SELECT max(period_start) FROM flows WHERE vintage = ? AND "
                             "period_end = ?", [vintage, end]))


def latest_vacancy_period(store: Store, vintage: str, up_to: date) -> date | None:
    """Return the latest vacancy period on or before ``up_to``."""
    return _day(store.scalar("SELECT max(period) FROM vacancies WHERE vintage = ? AND "
                             "period <= ?", [vintage, up_to]))


def staff_in_post_periods(store: Store, vintage: str, up_to: date | None = None) -> list[date]:
    """Return the censuses with staff in post (up to ``up_to``), oldest first."""
    limit = up_to or date(9999, 12, 31)
    frame = store.query("SELECT DISTINCT period FROM staff_in_post WHERE vintage = ? AND "
                        "period <= ? ORDER BY period", [vintage, limit])
    return [pd.Timestamp(p).date() for p in frame["period"]]


def has_headcount(store: Store, vintage: str, when: date) -> bool:
    """Return whether any staff-in-post row at ``when`` gives a headcount."""
    return bool(store.scalar("SELECT count(*) FROM staff_in_post WHERE vintage = ? AND "
                             "period = ? AND headcount IS NOT NULL", [vintage, when]))


def organisations_placed(store: Store, vintage: str, start: date, end: date) -> pd.DataFrame:
    """Return ``org_code, at_start, at_end``: whether a record places it in an area then."""
    valid = ("(valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR valid_to >= ?) "
             "AND (icb_code IS NOT NULL OR region_code IS NOT NULL)")
    return store.query(
        f"SELECT org_code, bool_or({valid}) AS at_start, bool_or({valid}) AS at_end "
        "FROM organisations WHERE vintage = ? GROUP BY org_code ORDER BY org_code",
        [start, start, end, end, vintage])


def ingest_sources(store: Store, vintage: str) -> pd.DataFrame:
    """Return the files loaded into a vintage, in load order (no load times)."""
    return store.query(
        "SELECT source_file, sha256, format, publisher, title, licence, rows FROM ingests "
        "WHERE vintage = ? ORDER BY ingest_id", [vintage])


_START_YEAR = re.compile(r"^([0-9]{4})")


def education_places(store: Store, vintage: str, offset: int, last_start: int) -> pd.DataFrame:
    """Return education places by staff group and census year.

    An academic year ``Y/Y+1`` (its first four digits) counts in census year
    ``Y + offset``; intakes starting after ``last_start`` and years that start
    with no year are left out. Rows count their places, else their starters.
    Columns ``staff_group, year, places`` and the sums for the weighted means
    ``completed / completion_base`` and ``duration / duration_base``.
    """
    held = store.query("SELECT DISTINCT academic_year FROM education WHERE vintage = ? AND "
                       "academic_year IS NOT NULL ORDER BY academic_year", [vintage])
    starts = {}
    for text in held["academic_year"]:
        match = _START_YEAR.match(str(text))
        if match and int(match.group(1)) <= last_start:
            starts[str(text)] = int(match.group(1))
    if not starts:
        return pd.DataFrame(columns=["staff_group", "year", "places", "completed",
                                     "completion_base", "duration", "duration_base"])
    pairs = ", ".join("(?, ?)" for _ in starts)
    params: list[Any] = [offset, *(v for pair in starts.items() for v in pair), vintage]
    return store.query(
        "SELECT staff_group, start + ? AS year, sum(n) AS places, "
        f"{ordered_sum('completion_rate * n')} FILTER (WHERE completion_rate IS NOT NULL) "
        "AS completed, sum(n) FILTER (WHERE completion_rate IS NOT NULL) AS completion_base, "
        f"{ordered_sum('duration_years * n')} FILTER (WHERE duration_years IS NOT NULL) "
        "AS duration, "
        "sum(n) FILTER (WHERE duration_years IS NOT NULL) AS duration_base "
        "FROM (SELECT e.staff_group, e.completion_rate, e.duration_years, "
        "coalesce(e.places, e.starters) AS n, y.start FROM education e "
        f"JOIN (VALUES {pairs}) AS y (academic_year, start) ON y.academic_year = "
        "e.academic_year WHERE e.vintage = ?) t WHERE n IS NOT NULL "
        "GROUP BY staff_group, start ORDER BY staff_group, start", params)


def population_by_area(store: Store, vintage: str, areas: list[str],
                       last_year: int) -> pd.DataFrame:
    """Return ``area_code, year, variant, age_band, persons`` (all sexes) up to ``last_year``."""
    sql, params = bind(
        f"SELECT area_code, year, variant, age_band, {ordered_sum('persons')} AS persons "
        "FROM population "
        "WHERE vintage = $vintage AND sex IS NULL AND area_code IN ($areas) AND persons IS NOT "
        "NULL AND year <= $last GROUP BY area_code, year, variant, age_band "
        "ORDER BY area_code, year, variant, age_band",
        {"vintage": vintage, "areas": list(areas), "last": last_year})
    return store.query(sql, params)


def la_icb_lookup(store: Store, vintage: str, on: date) -> pd.DataFrame:
    """Return ``la_code, icb_code, share`` of the lookup rows valid on ``on``.

    For each local authority, the rows with its latest ``valid_from`` on or
    before ``on`` (NULL = always) are valid; an empty share means 1.
    """
    return store.query(
        "SELECT la_code, icb_code, coalesce(share, 1.0) AS share FROM la_icb_lookup l "
        "WHERE vintage = ? AND coalesce(valid_from, DATE '1900-01-01') = ("
        "SELECT max(coalesce(valid_from, DATE '1900-01-01')) FROM la_icb_lookup m "
        "WHERE m.vintage = l.vintage AND m.la_code = l.la_code AND "
        "coalesce(m.valid_from, DATE '1900-01-01') <= ?) ORDER BY icb_code, la_code",
        [vintage, on])


def utilisation_by_age(store: Store, vintage: str) -> pd.DataFrame:
    """Return ``service, age_band, activity``: activity a head (all sexes)."""
    return store.query(
        f"SELECT service, age_band, {ordered_sum('activity_per_head')} AS activity "
        "FROM utilisation "
        "WHERE vintage = ? AND sex IS NULL AND activity_per_head IS NOT NULL "
        "GROUP BY service, age_band ORDER BY service, age_band", [vintage])


_SINGLE_YEAR = re.compile(r"[0-9]+")


def england_single_year_population(store: Store, vintage: str) -> pd.DataFrame:
    """Return ``age_band, persons``: England's estimates in the latest year with single ages.

    The year is the latest whose England estimates (no sex, no variant) have an
    age band of single years (``0``, ``1``, …); every age band of that year is
    returned. Empty if there is none.
    """
    england = [vintage, ENGLAND]
    held = store.query(
        "SELECT DISTINCT year, age_band FROM population WHERE vintage = ? AND sex IS NULL AND "
        "variant IS NULL AND area_code = ? ORDER BY year, age_band", england)
    single = [int(year) for year, band in zip(held["year"], held["age_band"], strict=True)
              if isinstance(band, str) and _SINGLE_YEAR.fullmatch(band)]
    if not single:
        return pd.DataFrame({"age_band": pd.Series(dtype=object),
                             "persons": pd.Series(dtype="float64")})
    return store.query(
        f"SELECT age_band, {ordered_sum('persons')} AS persons FROM population "
        "WHERE vintage = ? AND "
        "area_code = ? AND sex IS NULL AND variant IS NULL AND year = ? "
        "GROUP BY age_band ORDER BY age_band", [*england, max(single)])


def frozen_vintage_state(store: Store, vintage: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the vintage's ``frozen, created_at, frozen_at`` row and its ingests, in order.

    What identifies a vintage's content (:mod:`wfplan.inputs.cache`): the ingests'
    ``ingest_id, sha256, format, tables, rows, warnings, loaded_at``.
    """
    found = store.query("SELECT frozen, created_at, frozen_at FROM vintages WHERE name = ?",
                        [vintage])
    ingests = store.query(
        "SELECT ingest_id, sha256, format, tables, rows, warnings, loaded_at FROM ingests "
        "WHERE vintage = ? ORDER BY ingest_id", [vintage])
    return found, ingests
