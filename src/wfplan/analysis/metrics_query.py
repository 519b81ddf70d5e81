"""The aggregations behind the current-position metrics (:mod:`wfplan.analysis.metrics`).

:class:`Aggregator` sums each fact table by area of the level, one query per
table, and records in :class:`Used` what each figure was computed from (the
periods, the survey year, the files whose people are counted once), for the
coverage table of :mod:`wfplan.analysis.metrics_coverage`. Every query also
lists the sectors of the rows behind each figure (columns ``cov_<figure>``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from wfplan.analysis.metrics_coverage import pick_survey_year
from wfplan.dataset import codelists, distinct
from wfplan.dataset.geography import AREA_EXPR, AREA_ROWS, LEVELS, placement_cte
from wfplan.dataset.store import Store
from wfplan.errors import InputError


def _nationalities(group: str) -> str:
    """Return the nationality codes of a group (british, unknown…) as an SQL list."""
    rows = codelists.get("nationality").rows
    return ", ".join(f"'{r['code']}'" for r in rows if (r.get("group") or r["code"]) == group)


#: Nationalities counted as UK (British, English, Scottish…) and as not known.
_UK = _nationalities("british")
_UNKNOWN = _nationalities("unknown")
_SECTOR = "coalesce(g.sector, 'unmapped')"


def sectors(name: str, condition: str = "TRUE") -> str:
    """Return SQL listing the sectors of the rows behind a figure, as ``cov_<name>``."""
    return f"list(DISTINCT {_SECTOR}) FILTER (WHERE {condition}) AS cov_{name}"


@dataclass(frozen=True)
class Query:
    """What to report: vintage, level, and optional filters."""

    vintage: str
    level: str = "england"
    area: str | None = None
    staff_group: str | None = None
    period: date | None = None
    sector: str | None = None


@dataclass
class Used:
    """What the figures were computed from, for their coverage."""

    census: date
    vacancy_period: date | None = None
    flow_start: date | None = None
    sickness_months: tuple[date, date] | None = None
    survey_years: tuple[int, ...] = ()
    survey_year: int | None = None
    survey_note: str | None = None
    distinct_ingests: tuple[int, ...] = ()
    notes: dict[str, str] = field(default_factory=dict)


def _day(value: Any) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


class Aggregator:
    """Sums of every fact table by area of the query's level."""

    def __init__(self, store: Store, query: Query) -> None:
        if query.level not in LEVELS:
            raise InputError(f"--level must be one of {', '.join(LEVELS)}, not {query.level!r}")
        known = codelists.get("sector").codes
        if query.sector is not None and query.sector not in known:
            raise InputError(f"--sector must be one of {', '.join(known)}, not {query.sector!r}")
        store.require_vintage(query.vintage)
        self.store = store
        self.q = query
        self.group = self._staff_group_code(query.staff_group)
        self.period = query.period or self._latest("staff_in_post", "period")

    def _staff_group_code(self, label: str | None) -> str | None:
        if label is None:
            return None
        code = codelists.get("staff_group").code_for(label) or codelists.get(
            "staff_group_aggregate").code_for(label)
        return code or label

    def _latest(self, table: str, column: str) -> Any:
        return self.store.scalar(
            f"SELECT max({column}) FROM {table} WHERE vintage = ?", [self.q.vintage])

    def run(self, select: str, table: str, where: str, params: dict[str, Any],
            group_filter: bool = True, area_rows: bool = False) -> pd.DataFrame:
        """Aggregate ``select`` over a fact table by area of the level.

        Rows reported for a whole area (``org_code`` is an area code and not
        also an organisation, e.g. a national publication) are left out unless
        ``area_rows`` is true, so that they never double count the
        organisations' own rows.
        """
        area = AREA_EXPR[self.q.level]
        conds = ["f.vintage = $vintage", where]
        conds.append(AREA_ROWS if area_rows else f"NOT ({AREA_ROWS})")
        if group_filter and self.group:
            conds.append("f.staff_group = $group")
            params = {**params, "group": self.group}
        if self.q.sector:
            conds.append("g.sector = $sector")
            params = {**params, "sector": self.q.sector}
        sql = (f"{placement_cte()} SELECT {area} AS area_code, {select} FROM {table} f "
               f"LEFT JOIN g ON g.org_code = f.org_code WHERE {' AND '.join(conds)} "
               f"GROUP BY ALL")
        values = {"vintage": self.q.vintage, "at": self.period, **params}
        used = {name: value for name, value in values.items() if f"${name}" in sql}
        return self.store.query(sql, used)  # type: ignore[arg-type]

    def frames(self, used: Used) -> list[pd.DataFrame]:
        """Return one frame of sums by area per source table, filling ``used``."""
        return [self._staff(used), *self._vacancies(used), self._flows(used),
                self._sickness(used), *self._survey(used)]

    def _staff(self, used: Used) -> pd.DataFrame:
        covered = distinct.covered(self.store, self.q.vintage, self.period, self.q.level,
                                   self.q.sector)
        used.distinct_ingests = tuple(covered)
        cells = "NOT list_contains($covered, f.ingest_id)" if covered else "TRUE"
        both = "f.headcount IS NOT NULL AND f.fte IS NOT NULL"
        known_age = "f.age_band IS NOT NULL AND f.headcount IS NOT NULL"
        known_nat = f"f.nationality IS NOT NULL AND f.nationality NOT IN ({_UNKNOWN})"
        frame = self.run(
            f"sum(headcount) FILTER (WHERE {cells}) AS headcount_cells, sum(fte) AS fte, "
            f"sum(fte) FILTER (WHERE {cells} AND {both}) AS fte_both, "
            f"sum(headcount) FILTER (WHERE {cells} AND {both}) AS hc_both, "
            "sum(headcount) FILTER (WHERE age_band IN ('55_59', '60_64', '65_plus')) AS hc55, "
            "sum(headcount) FILTER (WHERE age_band IS NOT NULL) AS hc_age, "
            f"sum(coalesce(fte, headcount)) FILTER (WHERE nationality NOT IN ({_UK}, "
            f"{_UNKNOWN})) AS non_uk, sum(coalesce(fte, headcount)) FILTER "
            f"(WHERE {known_nat}) AS nat_known, "
            f"{sectors('headcount', 'f.headcount IS NOT NULL')}, "
            f"{sectors('fte', 'f.fte IS NOT NULL')}, {sectors('fte_per_head', both)}, "
            f"{sectors('share_aged_55_plus', known_age)}, {sectors('share_non_uk', known_nat)}",
            "staff_in_post", "f.period = $period",
            {"period": self.period, **({"covered": covered} if covered else {})})
        found = distinct.counts(self.store, self.q.vintage, self.period, self.q.level, covered,
                                staff_group=self.group, sector=self.q.sector)
        return frame.merge(found, on="area_code", how="outer")

    def _vacancies(self, used: Used) -> list[pd.DataFrame]:
        used.vacancy_period = _day(self.store.scalar(
            "SELECT max(period) FROM vacancies WHERE vintage = ? AND period <= ?",
            [self.q.vintage, self.period]))
        if used.vacancy_period is None:
            return []
        # The rate's denominator counts only the organisations and staff groups that
        # report vacancies, so partial coverage is not diluted.
        params = {"period": self.period, "vp": used.vacancy_period}
        return [self.run(f"sum(vacancy_fte) AS vacancy_fte, {sectors('vacancy_fte')}",
                         "vacancies", "f.period = $vp", params),
                self.run("sum(fte) AS fte_reporting_vacancies", "staff_in_post",
                         "f.period = $period AND EXISTS (SELECT 1 FROM vacancies v WHERE "
                         "v.vintage = $vintage AND v.period = $vp AND v.org_code = f.org_code "
                         "AND v.staff_group = f.staff_group)", params)]

    def _flows(self, used: Used) -> pd.DataFrame:
        start = _day(self.store.scalar(
            "SELECT max(period_start) FROM flows WHERE vintage = ? AND period_end = ?",
            [self.q.vintage, self.period]))
        used.flow_start = start
        if start is None:
            return pd.DataFrame(columns=["area_code"])
        params = {"period": self.period, "start": start}
        flows = self.run(
            "sum(headcount) FILTER (WHERE direction = 'joiner') AS joiners, "
            "sum(headcount) FILTER (WHERE direction = 'leaver') AS leavers, "
            f"{sectors('flows')}", "flows", "f.period_end = $period AND f.period_start = $start "
            "AND coalesce(f.route, '') <> 'internal'", params)
        # Rates divide by the headcount of the organisations and staff groups
        # that report flows for this pair of censuses, and no others.
        reporting = ("EXISTS (SELECT 1 FROM flows x WHERE x.vintage = $vintage AND "
                     "x.period_start = $start AND x.period_end = $period AND "
                     "x.org_code = f.org_code AND x.staff_group = f.staff_group)")
        base = self.run(
            "sum(headcount) FILTER (WHERE f.period = $start) AS hc_start, "
            "sum(headcount) FILTER (WHERE f.period = $period) AS hc_end_reporting",
            "staff_in_post", f"f.period IN ($start, $period) AND {reporting}", params)
        return flows.merge(base, on="area_code", how="outer")

    def _sickness(self, used: Used) -> pd.DataFrame:
        frame = self.run(
            "sum(fte_days_lost) AS days_lost, sum(fte_days_available) AS days_available, "
            f"min(f.period) AS sick_first, max(f.period) AS sick_last, {sectors('sickness')}",
            "sickness_absence", "f.period > $period - INTERVAL 12 MONTH AND f.period <= $period"
            + ("" if self.group else " AND f.staff_group IS NULL"), {"period": self.period})
        if not frame.empty:
            first, last = _day(frame["sick_first"].min()), _day(frame["sick_last"].max())
            if first is not None and last is not None:
                used.sickness_months = (first, last)
        return frame.drop(columns=["sick_first", "sick_last"])

    def _survey(self, used: Used) -> list[pd.DataFrame]:
        years = self.store.query(
            "SELECT DISTINCT year FROM staff_survey WHERE vintage = ? AND indicator = "
            "'burned_out' ORDER BY year", [self.q.vintage])["year"]
        used.survey_years = tuple(int(y) for y in years)
        if not used.survey_years:
            return []
        if self.group:
            used.survey_note = ("the staff survey gives each organisation's results for all "
                                "its staff, not by staff group")
            return []
        census = pd.Timestamp(self.period).date()
        used.survey_year, used.survey_note = pick_survey_year(census, used.survey_years)
        if used.survey_year is None:
            return []
        return [self.run(
            f"sum(value * base) / sum(base) AS burnout_rate, {sectors('burnout_rate')}",
            "staff_survey", "f.indicator = 'burned_out' AND f.year = $year AND f.base > 0",
            {"year": used.survey_year}, group_filter=False)]


def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """Return ``num ÷ den``, missing where the denominator is not positive."""
    return (num / den.where(den > 0)).astype("Float64")


def plus(*parts: pd.Series) -> pd.Series:
    """Return the sum of series, missing only where every part is missing."""
    total = sum((p.fillna(0) for p in parts), start=pd.Series(0.0, index=parts[0].index))
    present = pd.concat([p.notna() for p in parts], axis=1).any(axis=1)
    return total.where(present).astype("Float64")

