"""Time series of one area's figures, with their SPC (``/api/v1/trends``, the dashboard's charts).

A trend is one measure of one area, at every period the vintage holds, oldest
first, with its XmR chart (:func:`wfplan.analysis.spc.xmr`). The measures
(:data:`MEASURES`):

- ``staff_in_post_headcount`` and ``staff_in_post_fte``: staff in post at each
  census, as the current position counts them at that census (people in files
  with identifiers counted once, :mod:`wfplan.dataset.distinct`);
- ``sickness_rate``: FTE days lost ÷ FTE days available in each month (the
  current position's rate is over the 12 months to the census instead);
- ``vacancy_rate``: vacancy FTE ÷ (FTE in post + vacancy FTE) at each vacancy
  period, FTE in post from the first census on or after it, where vacancies are
  reported (a wfplan choice: the census whose current position reports that
  period when it is the latest before it).

Every period's rows are placed in areas as that period's report places them, so
a point at a census is the figure of ``wfplan metrics --period`` there. Lower
sickness and vacancy rates are improvement; staff in post has no better
direction (neutral). Points are dropped where the area has no figure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from wfplan.analysis.disclosure import TREND_POLICY
from wfplan.analysis.gaps_sections import publication_name, records
from wfplan.analysis.metrics_query import plus, ratio
from wfplan.analysis.public import control_frame
from wfplan.analysis.spc import Direction, SpcChart, xmr
from wfplan.dataset import codelists
from wfplan.dataset.geography import LEVELS, UNMAPPED
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import trends as q
from wfplan.dataset.store.queries.gaps import ingest_sources
from wfplan.dataset.store.queries.geography import area_names
from wfplan.errors import InputError

MeasureName = Literal[
    "sickness_rate", "staff_in_post_headcount", "staff_in_post_fte", "vacancy_rate"
]
#: Columns of :attr:`Trend.points`.
POINT_COLUMNS = ("period", "value", "numerator", "denominator", "suppressed")


@dataclass(frozen=True)
class Measure:
    """One measure a trend can show.

    Attributes
    ----------
    name, label : str
        Its name in the API and its name in words.
    unit : str
        ``proportion`` (a rate, 0 to 1), ``persons`` or ``FTE``.
    table : str
        The fact table it comes from.
    direction : {"higher", "lower", "neutral"}
        Which way is improvement.
    frequency : str
        What its periods are.
    numerator, denominator : str or None
        What a rate's two parts are (None for a level).
    control : str
        The disclosure table it is published as (:data:`wfplan.analysis.disclosure.TRENDS`).
    """

    name: MeasureName
    label: str
    unit: str
    table: str
    direction: Direction
    frequency: str
    numerator: str | None
    denominator: str | None
    control: str


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure(
            "sickness_rate",
            "Sickness absence rate",
            "proportion",
            "sickness_absence",
            "lower",
            "month",
            "FTE days lost",
            "FTE days available",
            "trend_sickness",
        ),
        Measure(
            "staff_in_post_headcount",
            "Staff in post (headcount)",
            "persons",
            "staff_in_post",
            "neutral",
            "census",
            None,
            None,
            "trend_headcount",
        ),
        Measure(
            "staff_in_post_fte",
            "Staff in post (FTE)",
            "FTE",
            "staff_in_post",
            "neutral",
            "census",
            None,
            None,
            "trend_fte",
        ),
        Measure(
            "vacancy_rate",
            "Vacancy rate",
            "proportion",
            "vacancies",
            "lower",
            "vacancy period",
            "vacancy FTE",
            "FTE in post plus vacancy FTE",
            "trend_vacancy",
        ),
    )
}


class NoSeries(InputError):
    """The vintage has no series of the measure for the area asked (404 in the API)."""


@dataclass(frozen=True)
class TrendQuery:
    """What to chart: a measure of one area (England when no area is named)."""

    vintage: str
    measure: str
    level: str = "england"
    area: str | None = None
    staff_group: str | None = None
    sector: str | None = None


@dataclass(frozen=True)
class Trend:
    """One area's series of one measure, and its SPC.

    Attributes
    ----------
    query : TrendQuery
        What was asked.
    measure : Measure
        The measure.
    area_code, area_name : str
        The area.
    points : pandas.DataFrame
        :data:`POINT_COLUMNS`, oldest first (``headcount`` too for FTE, for control).
    spc : SpcChart or None
        The XmR chart; None with fewer than 2 points, or with a point suppressed.
    warning : str or None
        Why the SPC is missing or not to be trusted.
    sources : tuple of str
        The publications the rows come from.
    """

    query: TrendQuery
    measure: Measure
    area_code: str
    area_name: str
    points: pd.DataFrame
    spc: SpcChart | None
    warning: str | None
    sources: tuple[str, ...]

    @property
    def period(self) -> str:
        """The period covered, in words ("April 2024 to March 2025")."""
        days = [pd.Timestamp(p) for p in self.points["period"]]
        if not days:
            return "no periods"
        first, last = f"{days[0]:%B %Y}", f"{days[-1]:%B %Y}"
        return first if first == last else f"{first} to {last}"


def available(store: Store, vintage: str) -> list[str]:
    """Return the measures the vintage has a series of (vacancies: at 2 periods or more)."""
    periods = q.period_counts(store, vintage)
    return [
        name
        for name, m in MEASURES.items()
        if periods[m.table] >= (2 if m.table == "vacancies" else 1)
    ]


def _group_code(label: str | None) -> str | None:
    if label is None:
        return None
    return (
        codelists.get("staff_group").code_for(label)
        or codelists.get("staff_group_aggregate").code_for(label)
        or label
    )


def _selection(store: Store, query: TrendQuery) -> q.SeriesSelection:
    """Check the query and return the rows it sums."""
    if query.measure not in MEASURES:
        raise InputError(f"measure must be one of {', '.join(MEASURES)}, not {query.measure!r}")
    if query.level not in LEVELS:
        raise InputError(f"level must be one of {', '.join(LEVELS)}, not {query.level!r}")
    known = codelists.get("sector").codes
    if query.sector is not None and query.sector not in known:
        raise InputError(f"sector must be one of {', '.join(known)}, not {query.sector!r}")
    if query.level != "england" and not query.area:
        raise InputError(f"a trend at level {query.level} needs an area")
    store.require_vintage(query.vintage)
    area = codelists.ENGLAND_CODE if query.level == "england" else str(query.area).upper()
    return q.SeriesSelection(
        query.vintage, query.level, area, _group_code(query.staff_group), query.sector
    )


def _frame(store: Store, measure: Measure, sel: q.SeriesSelection) -> pd.DataFrame:
    """Return the measure's points by period for the selected area (before dropping gaps)."""
    if measure.table == "sickness_absence":
        raw = q.sickness_series(store, sel).astype(
            {"days_lost": "Float64", "days_available": "Float64"}
        )
        return pd.DataFrame(
            {
                "period": raw["period"],
                "numerator": raw["days_lost"],
                "denominator": raw["days_available"],
                "value": ratio(raw["days_lost"], raw["days_available"]),
            }
        )
    if measure.table == "vacancies":
        raw = q.vacancy_series(store, sel).astype(
            {"vacancy_fte": "Float64", "fte_reporting_vacancies": "Float64"}
        )
        whole = raw["fte_reporting_vacancies"] + raw["vacancy_fte"]
        return pd.DataFrame(
            {
                "period": raw["period"],
                "numerator": raw["vacancy_fte"],
                "denominator": whole,
                "value": ratio(raw["vacancy_fte"], whole),
            }
        )
    staff = q.staff_series(store, sel)
    people = q.distinct_series(store, sel)
    raw = staff.merge(people, on=["period", "area_code"], how="outer").sort_values("period")
    raw = raw.astype(dict.fromkeys(("headcount_cells", "fte", "headcount_distinct"), "Float64"))
    headcount = plus(raw["headcount_cells"], raw["headcount_distinct"])
    value = headcount if measure.name == "staff_in_post_headcount" else raw["fte"]
    missing = pd.array([pd.NA] * len(raw), dtype="Float64")
    return pd.DataFrame(
        {
            "period": raw["period"],
            "numerator": missing,
            "denominator": missing,
            "value": value,
            "headcount": headcount,
        }
    )


def _points(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop periods without a value; periods as ISO dates; oldest first."""
    out = frame[frame["value"].notna()].copy()
    out["period"] = [pd.Timestamp(p).date().isoformat() for p in out["period"]]
    out["suppressed"] = False
    extra = [c for c in out.columns if c not in POINT_COLUMNS]
    return out[[*POINT_COLUMNS, *extra]].sort_values("period").reset_index(drop=True)


def trend(store: Store, query: TrendQuery) -> Trend:
    """Return one area's series of one measure with its SPC (see the module).

    Raises
    ------
    InputError
        For a measure, level or sector that does not exist, or a level below
        England without an area.
    NoSeries
        If the area has no figure of the measure at any period.
    """
    sel = _selection(store, query)
    measure = MEASURES[query.measure]
    points = _points(_frame(store, measure, sel))
    if points.empty:
        where = "England" if query.level == "england" else f"{query.level} {sel.area}"
        raise NoSeries(f"no {measure.label.lower()} for {where} in vintage {query.vintage!r}")
    names = area_names(store, query.vintage, query.level)
    named = names.loc[names["area_code"] == sel.area, "area_name"]
    area_name = str(named.iloc[0]) if len(named) else str(sel.area)
    if sel.area == UNMAPPED:
        area_name = "Unmapped organisations"
    spc, warning = spc_of(points, measure)
    return Trend(
        query,
        measure,
        str(sel.area),
        area_name,
        points,
        spc,
        warning,
        _sources(store, query.vintage, measure.table),
    )


def spc_of(points: pd.DataFrame, measure: Measure) -> tuple[SpcChart | None, str | None]:
    """Return the XmR chart of the points and a warning (SPC missing or unreliable)."""
    if bool(points["suppressed"].any()):
        return None, (
            f"{int(points['suppressed'].sum())} point(s) suppressed by disclosure "
            "control: no process limits"
        )
    values = points["value"].to_numpy(dtype=np.float64, na_value=np.nan)
    if len(values) < 2:
        return None, "only 1 point: an SPC chart needs at least 2"
    chart = xmr(values, direction=measure.direction)
    return chart, chart.warning


def _sources(store: Store, vintage: str, table: str) -> tuple[str, ...]:
    """Return the publication names of the ingests behind a table's rows."""
    ids = set(q.series_ingests(store, vintage, table))
    names = [
        publication_name(r)
        for r in records(ingest_sources(store, vintage))
        if int(r["ingest_id"]) in ids
    ]
    return tuple(dict.fromkeys(names))


def controlled(found: Trend) -> Trend:
    """Return the trend as the public sees it: under disclosure control, SPC from what is left.

    The points go through :func:`wfplan.analysis.public.control_frame` as the
    measure's table of :data:`wfplan.analysis.disclosure.TRENDS` (counts of 1 to 4
    suppressed, other counts rounded to 5, rates to 3 decimals); the SPC is of
    the controlled values, and there is none when a point is suppressed.
    """
    table = control_frame(
        found.points.drop(columns="suppressed"), found.measure.control, TREND_POLICY
    )
    frame = table.marked()
    frame = frame[[c for c in frame.columns if c in POINT_COLUMNS]]
    spc, warning = spc_of(frame, found.measure)
    return replace(found, points=frame.reset_index(drop=True), spc=spc, warning=warning)
