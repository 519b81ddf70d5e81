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
from wfplan.dataset.geography import LEVELS
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import metrics as sums
from wfplan.dataset.store.queries.metrics import AreaSelection
from wfplan.errors import InputError


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
        self.period = query.period or sums.latest_staff_period(store, query.vintage)

    def _staff_group_code(self, label: str | None) -> str | None:
        if label is None:
            return None
        code = codelists.get("staff_group").code_for(label) or codelists.get(
            "staff_group_aggregate").code_for(label)
        return code or label

    def selection(self) -> AreaSelection:
        """Return the rows the query sums: its vintage, level, census, staff group and sector."""
        return AreaSelection(self.q.vintage, self.q.level, self.period, self.group,
                             self.q.sector)

    def frames(self, used: Used) -> list[pd.DataFrame]:
        """Return one frame of sums by area per source table, filling ``used``."""
        return [self._staff(used), *self._vacancies(used), self._flows(used),
                self._sickness(used), *self._survey(used)]

    def _staff(self, used: Used) -> pd.DataFrame:
        covered = distinct.covered(self.store, self.q.vintage, self.period, self.q.level,
                                   self.q.sector)
        used.distinct_ingests = tuple(covered)
        frame = sums.staff_sums(self.store, self.selection(), covered)
        found = distinct.counts(self.store, self.q.vintage, self.period, self.q.level, covered,
                                staff_group=self.group, sector=self.q.sector)
        return frame.merge(found, on="area_code", how="outer")

    def _vacancies(self, used: Used) -> list[pd.DataFrame]:
        used.vacancy_period = _day(sums.vacancy_period(self.store, self.q.vintage, self.period))
        if used.vacancy_period is None:
            return []
        return sums.vacancy_sums(self.store, self.selection(), used.vacancy_period)

    def _flows(self, used: Used) -> pd.DataFrame:
        start = _day(sums.flow_start(self.store, self.q.vintage, self.period))
        used.flow_start = start
        if start is None:
            return pd.DataFrame(columns=["area_code"])
        return sums.flow_sums(self.store, self.selection(), start)

    def _sickness(self, used: Used) -> pd.DataFrame:
        frame = sums.sickness_sums(self.store, self.selection())
        if not frame.empty:
            first, last = _day(frame["sick_first"].min()), _day(frame["sick_last"].max())
            if first is not None and last is not None:
                used.sickness_months = (first, last)
        return frame.drop(columns=["sick_first", "sick_last"])

    def _survey(self, used: Used) -> list[pd.DataFrame]:
        used.survey_years = tuple(sums.survey_years(self.store, self.q.vintage))
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
        return [sums.burnout_sums(self.store, self.selection(), used.survey_year)]


def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """Return ``num ÷ den``, missing where the denominator is not positive."""
    return (num / den.where(den > 0)).astype("Float64")


def plus(*parts: pd.Series) -> pd.Series:
    """Return the sum of series, missing only where every part is missing."""
    total = sum((p.fillna(0) for p in parts), start=pd.Series(0.0, index=parts[0].index))
    present = pd.concat([p.notna() for p in parts], axis=1).any(axis=1)
    return total.where(present).astype("Float64")

