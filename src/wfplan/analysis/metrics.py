"""Current-position metrics at England, region, ICB or organisation level.

Every metric is computed from the vintage's rows in the store. A metric the
data cannot support is missing (shown as ``n/a``), never 0. Totals are sums
over organisations, so organisations add up to ICBs, ICBs to regions and
regions to England; rows whose organisation is not in the reference data
count towards England and appear at other levels as ``UNMAPPED``. The one
exception is headcount from files whose records identify people (the PCN
workforce publication): there, each person is counted once at the level
reported (:mod:`wfplan.dataset.distinct`), so a person in two PCNs of one ICB
counts once in the ICB, and areas need not add up to their parent.

Definitions
-----------
- FTE per head: FTE ÷ headcount, over the same rows: those with both (for
  files with identifiers, the FTE of the identified records ÷ distinct people;
  contracted-services FTE, which has no headcount, is left out).
- Vacancy rate: vacancy FTE ÷ (FTE in post + vacancy FTE), at the latest
  vacancy period not after the staff-in-post period.
- Joiner and leaver rates: joiners (leavers) over the flow period ending at the
  staff-in-post period ÷ mean headcount at its start and end.
- Stability index: 1 − leavers ÷ headcount at the start of the flow period.
- Sickness absence rate: FTE days lost ÷ FTE days available over the 12 months
  to the staff-in-post period.
- Share aged 55+ and share of non-UK nationality: among staff whose age band
  (nationality) is known.
- Burnout rate: staff survey ``burned_out`` share, weighted by respondents, in
  the survey year matched to the census (:mod:`wfplan.analysis.metrics_coverage`).

:func:`position_with_coverage` also says, for each figure, which sectors and
period it covers and why it is n/a.
"""

from __future__ import annotations

import pandas as pd

from wfplan.analysis.metrics_coverage import blank_other_sectors, coverage
from wfplan.analysis.metrics_query import Aggregator, Query, Used, plus, ratio
from wfplan.dataset import codelists, distinct
from wfplan.dataset.geography import UNMAPPED
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import metrics as sums
from wfplan.dataset.store.queries.geography import area_names
from wfplan.errors import InputError

__all__ = ["METRIC_COLUMNS", "NET_CHANGE_COLUMNS", "UNMAPPED", "Query", "current_position",
           "ethnic_minority_by_band", "latest_by_sector", "net_change",
           "position_with_coverage"]

METRIC_COLUMNS = (
    "headcount", "fte", "fte_per_head", "vacancy_fte", "vacancy_rate", "joiner_rate",
    "leaver_rate", "stability_index", "sickness_absence_rate", "share_aged_55_plus",
    "share_non_uk", "burnout_rate",
)
#: Sums a figure needs, present even when their table has no rows.
_SUMS = ("vacancy_fte", "fte_reporting_vacancies", "joiners", "leavers", "hc_start",
         "hc_end_reporting", "days_lost", "days_available", "burnout_rate",
         "headcount_distinct", "fte_distinct", "headcount_distinct_fte")
_SECTOR_LISTS = ("cov_vacancy_fte", "cov_flows", "cov_sickness", "cov_burnout_rate")


def current_position(store: Store, query: Query) -> pd.DataFrame:
    """Return one row per area of the level with every current-position metric.

    Parameters
    ----------
    store : Store
        The store.
    query : Query
        Vintage, level, and optional area, staff group and period filters.

    Returns
    -------
    pandas.DataFrame
        Columns ``area_code, area_name, level, period`` then :data:`METRIC_COLUMNS`;
        a metric the data does not support is ``<NA>``.
    """
    return position_with_coverage(store, query)[0]


def position_with_coverage(store: Store, query: Query) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return :func:`current_position` and the coverage of each figure.

    Returns
    -------
    tuple of pandas.DataFrame
        The current position, and one row per figure with ``metric, shown,
        sectors, period, note`` (see :func:`wfplan.analysis.metrics_coverage.coverage`).
    """
    metrics = Aggregator(store, query)
    if metrics.period is None or pd.isna(metrics.period):
        raise InputError(f"vintage {query.vintage!r} has no staff in post to report on")
    if query.level == "england" and query.area and query.area.upper() != codelists.ENGLAND_CODE:
        raise InputError(_no_area(query))  # England is the level's only area: nothing to sum
    used = Used(census=pd.Timestamp(metrics.period).date())
    table = None
    for frame in metrics.frames(used):
        table = frame if table is None else table.merge(frame, on="area_code", how="outer")
    assert table is not None
    table = table.reindex(columns=[*table.columns, *(
        c for c in (*_SUMS, *_SECTOR_LISTS) if c not in table.columns)])
    table = table.astype({c: "Float64" for c in table.columns
                          if c != "area_code" and not c.startswith("cov_")})
    out = _figures(table)
    blanked = blank_other_sectors(table, out)
    lists = [c for c in table.columns if c.startswith("cov_")]
    out = _with_names(store, query, pd.concat([out, table[lists]], axis=1))
    out.insert(3, "period", used.census.isoformat())
    if query.area:
        out = out[out["area_code"].str.upper() == query.area.upper()]
        if out.empty:
            raise InputError(_no_area(query))
    covered = coverage(out, out, used, blanked)
    return out.drop(columns=lists).reset_index(drop=True), covered


def _no_area(query: Query) -> str:
    """Return the message of a query naming an area its level does not have."""
    return f"no area {query.area!r} at level {query.level} in the data"


def _figures(table: pd.DataFrame) -> pd.DataFrame:
    """Return the metrics of each area from the sums of :meth:`Aggregator.frames`."""
    mean_hc = (table["hc_start"] + table["hc_end_reporting"]) / 2
    return pd.DataFrame({
        "area_code": table["area_code"],
        "headcount": plus(table["headcount_cells"], table["headcount_distinct"]),
        "fte": table["fte"],
        "fte_per_head": ratio(plus(table["fte_both"], table["fte_distinct"]),
                              plus(table["hc_both"], table["headcount_distinct_fte"])),
        "vacancy_fte": table["vacancy_fte"],
        "vacancy_rate": ratio(table["vacancy_fte"],
                              table["fte_reporting_vacancies"] + table["vacancy_fte"]),
        "joiner_rate": ratio(table["joiners"], mean_hc),
        "leaver_rate": ratio(table["leavers"], mean_hc),
        "stability_index": 1 - ratio(table["leavers"], table["hc_start"]),
        "sickness_absence_rate": ratio(table["days_lost"], table["days_available"]),
        "share_aged_55_plus": ratio(table["hc55"], table["hc_age"]),
        "share_non_uk": ratio(table["non_uk"], table["nat_known"]),
        "burnout_rate": table["burnout_rate"],
    })


def _with_names(store: Store, query: Query, out: pd.DataFrame) -> pd.DataFrame:
    """Attach names; list every area of the level, with or without data."""
    names = area_names(store, query.vintage, query.level)
    if query.level == "org":
        names = names[names["area_code"].isin(out["area_code"])]
    extra = out.loc[~out["area_code"].isin(names["area_code"]), ["area_code"]]
    names = pd.concat([names, extra.assign(area_name="Unmapped organisations")])
    out = names.merge(out, on="area_code", how="left")
    out.insert(2, "level", query.level)
    lists = [c for c in out.columns if c.startswith("cov_")]
    out = out[["area_code", "area_name", "level", *METRIC_COLUMNS, *lists]]
    unmapped_last = out["area_code"] == UNMAPPED
    return pd.concat([out[~unmapped_last].sort_values("area_code"), out[unmapped_last]])


def ethnic_minority_by_band(store: Store, query: Query) -> pd.DataFrame:
    """Return the ethnic-minority share of headcount by AfC band (and other grades).

    Staff whose ethnicity is unknown are excluded from the denominator. The
    Model Employer goal is that each band's share matches the whole workforce's.
    With ``query.area``, only that area's rows (as :func:`current_position`).
    """
    metrics = Aggregator(store, query)
    when = sums.ethnicity_period(store, query.vintage, metrics.period)
    national = sums.national_ethnicity_rows(store, query.vintage, when)
    frame = sums.ethnicity_by_grade(store, metrics.selection(), when,
                                    area_rows=bool(national) and query.level == "england")
    if frame.empty:
        return pd.DataFrame(columns=["area_code", "period", "grade", "minority_headcount",
                                     "known_headcount", "ethnic_minority_share"])
    if query.area:
        frame = frame[frame["area_code"].str.upper() == query.area.upper()]
    frame.insert(1, "period", pd.Timestamp(when).date().isoformat())
    frame = frame.rename(columns={"minority": "minority_headcount", "known": "known_headcount"})
    frame = frame.astype({"minority_headcount": "Float64", "known_headcount": "Float64"})
    frame["ethnic_minority_share"] = ratio(frame["minority_headcount"], frame["known_headcount"])
    order = {code: i for i, code in enumerate(codelists.get("grade").codes)}
    frame["_order"] = frame["grade"].map(order).fillna(len(order))
    frame = frame.sort_values(["area_code", "_order", "grade"]).drop(columns="_order")
    return frame.reset_index(drop=True)


#: Columns of :func:`net_change`.
NET_CHANGE_COLUMNS = (
    "area_code", "area_name", "level", "source", "staff_group", "role", "period_start",
    "period_end", "headcount_start", "headcount_end", "headcount_change", "fte_start",
    "fte_end", "fte_change", "fte_change_rate",
)


def net_change(store: Store, query: Query) -> pd.DataFrame:
    """Return the change in staff in post between the two latest censuses of sources without flows.

    Where an importer found that a source's flows cannot be derived (a
    ``flows_unavailable`` row in ``source_flags``: the PCN workforce
    publication, whose identifiers are unique within one file only), joiners
    and leavers are unknown; what can be said is the net change of staff in
    post between its two latest censuses (on or before ``query.period``, if
    given), by area of the level, staff group and role. A census reports its
    whole workforce, so a role with no rows at one census counts 0 there; a
    headcount the source left empty (contracted services) stays missing.

    Parameters
    ----------
    store : Store
        The store.
    query : Query
        Vintage, level, and optional area, staff group, sector and period filters.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`NET_CHANGE_COLUMNS`, one row per source, area, staff group
        and role with staff in post at either census; empty when no source lacks
        flows or a source has a single census. ``fte_change_rate`` is the change
        ÷ FTE at the first census (``<NA>`` when that is 0 or missing).
    """
    metrics = Aggregator(store, query)
    frames = [frame for source, ids in sums.flows_unavailable(store, query.vintage).items()
              if (frame := _source_change(metrics, source, ids)) is not None]
    if not frames:
        return pd.DataFrame(columns=list(NET_CHANGE_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    measures = ["headcount_start", "headcount_end", "fte_start", "fte_end"]
    out = out.astype(dict.fromkeys(measures, "Float64"))
    # A census reports its whole workforce: no rows for a role at a census means none.
    for when in ("start", "end"):
        absent = out[f"rows_{when}"] == 0
        for measure in ("headcount", "fte"):
            out.loc[absent, f"{measure}_{when}"] = 0.0
    for measure in ("headcount", "fte"):
        change = out[f"{measure}_end"].fillna(0) - out[f"{measure}_start"].fillna(0)
        out[f"{measure}_change"] = change.where(
            out[f"{measure}_end"].notna() | out[f"{measure}_start"].notna())
    out["fte_change_rate"] = ratio(out["fte_change"], out["fte_start"])
    names = area_names(store, query.vintage, query.level)
    out = out.merge(names, on="area_code", how="left")
    out["area_name"] = out["area_name"].fillna("Unmapped organisations")
    out["level"] = query.level
    if query.area:
        out = out[out["area_code"].str.upper() == query.area.upper()]
    out = out.sort_values(["source", "area_code", "staff_group", "role"], na_position="first")
    return out[list(NET_CHANGE_COLUMNS)].reset_index(drop=True)


def _source_change(metrics: Aggregator, source: str, ids: list[int]) -> pd.DataFrame | None:
    """Return one source's staff in post at its two latest censuses, by area, group and role."""
    store, query = metrics.store, metrics.q
    periods = sums.latest_censuses(store, query.vintage, ids, query.period)
    if len(periods) < 2:
        return None
    end, start = periods[0], periods[1]
    frame = sums.staff_by_role(store, metrics.selection(), ids, start, end)
    for when, day in (("start", start), ("end", end)):
        frame = _distinct_by_role(metrics, frame, when, day, ids)
    return frame.assign(source=source, period_start=pd.Timestamp(start).date().isoformat(),
                        period_end=pd.Timestamp(end).date().isoformat())


def _distinct_by_role(metrics: Aggregator, frame: pd.DataFrame, when: str, day: object,
                      ids: list[int]) -> pd.DataFrame:
    """Replace ``headcount_<when>`` by the distinct people of each role, where counted."""
    store, query = metrics.store, metrics.q
    covered = [i for i in distinct.covered(store, query.vintage, day, query.level, query.sector)
               if i in ids]
    if not covered:
        return frame
    people = distinct.counts(store, query.vintage, day, query.level, covered,
                             sector=query.sector, by_role=True)
    keys = ["area_code", "staff_group", "role"]
    people = people[[*keys, "headcount_distinct"]].rename(
        columns={"headcount_distinct": "people"})
    frame = frame.merge(people, on=keys, how="left")
    column = f"headcount_{when}"
    frame[column] = frame["people"].where(frame["people"].notna(), frame[column])
    return frame.drop(columns="people")


def latest_by_sector(store: Store, vintage: str) -> pd.DataFrame:
    """Return each sector's latest staff-in-post period (``sector, period``).

    A vintage that mixes sources can hold a recent census for one sector and an
    older one for another; the report of the latest period then covers only the
    first. Rows reported for England as a whole are left out.
    """
    frame = sums.latest_by_sector(store, vintage)
    frame["period"] = [pd.Timestamp(p).date().isoformat() for p in frame["period"]]
    return frame
