"""Current-position metrics at England, region, ICB or organisation level.

Every metric is computed from the vintage's rows in the store. A metric the
data cannot support is missing (shown as ``n/a``), never 0. Totals are sums
over organisations, so organisations add up to ICBs, ICBs to regions and
regions to England; rows whose organisation is not in the reference data
count towards England and appear at other levels as ``UNMAPPED``.

Definitions
-----------
- FTE per head: FTE ÷ headcount.
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
  the latest survey year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.geography import AREA_EXPR, AREA_ROWS, LEVELS, UNMAPPED, placement_cte
from wfplan.dataset.store import Store
from wfplan.errors import InputError

METRIC_COLUMNS = (
    "headcount", "fte", "fte_per_head", "vacancy_fte", "vacancy_rate", "joiner_rate",
    "leaver_rate", "stability_index", "sickness_absence_rate", "share_aged_55_plus",
    "share_non_uk", "burnout_rate",
)


def _nationalities(group: str) -> str:
    """Return the nationality codes of a group (british, unknown…) as an SQL list."""
    rows = codelists.get("nationality").rows
    return ", ".join(f"'{r['code']}'" for r in rows if (r.get("group") or r["code"]) == group)


#: Nationalities counted as UK (British, English, Scottish…) and as not known.
_UK = _nationalities("british")
_UNKNOWN = _nationalities("unknown")


@dataclass(frozen=True)
class Query:
    """What to report: vintage, level, and optional filters."""

    vintage: str
    level: str = "england"
    area: str | None = None
    staff_group: str | None = None
    period: date | None = None
    sector: str | None = None


class _Metrics:
    def __init__(self, store: Store, query: Query) -> None:
        if query.level not in LEVELS:
            raise InputError(f"--level must be one of {', '.join(LEVELS)}, not {query.level!r}")
        sectors = codelists.get("sector").codes
        if query.sector is not None and query.sector not in sectors:
            raise InputError(f"--sector must be one of {', '.join(sectors)}, not {query.sector!r}")
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
        in_areas = AREA_ROWS
        conds.append(in_areas if area_rows else f"NOT ({in_areas})")
        if group_filter and self.group:
            conds.append("f.staff_group = $group")
            params = {**params, "group": self.group}
        if self.q.sector:
            conds.append("g.sector = $sector")
            params = {**params, "sector": self.q.sector}
        sql = (f"{placement_cte()} SELECT {area} AS area_code, {select} FROM {table} f "
               f"LEFT JOIN g ON g.org_code = f.org_code WHERE {' AND '.join(conds)} "
               f"GROUP BY ALL")
        return self.store.query(sql, {"vintage": self.q.vintage, "at": self.period,  # type: ignore[arg-type]
                                      **params})

    def frames(self) -> list[pd.DataFrame]:
        p = {"period": self.period}
        out = [self.run(
            "sum(headcount) AS headcount, sum(fte) AS fte, "
            "sum(headcount) FILTER (WHERE age_band IN ('55_59', '60_64', '65_plus')) AS hc55, "
            "sum(headcount) FILTER (WHERE age_band IS NOT NULL) AS hc_age, "
            f"sum(coalesce(fte, headcount)) FILTER (WHERE nationality NOT IN ({_UK}, "
            f"{_UNKNOWN})) AS non_uk, sum(coalesce(fte, headcount)) FILTER "
            f"(WHERE nationality IS NOT NULL AND nationality NOT IN ({_UNKNOWN})) AS nat_known",
            "staff_in_post", "f.period = $period", p)]
        vac_period = self.store.scalar(
            "SELECT max(period) FROM vacancies WHERE vintage = ? AND period <= ?",
            [self.q.vintage, self.period])
        if vac_period is not None and not pd.isna(vac_period):
            out.append(self.run("sum(vacancy_fte) AS vacancy_fte", "vacancies",
                                "f.period = $vp", {"vp": vac_period}))
            # The rate's denominator counts only the organisations and staff
            # groups that report vacancies, so partial coverage is not diluted.
            out.append(self.run(
                "sum(fte) AS fte_reporting_vacancies", "staff_in_post",
                "f.period = $period AND EXISTS (SELECT 1 FROM vacancies v WHERE "
                "v.vintage = $vintage AND v.period = $vp AND v.org_code = f.org_code "
                "AND v.staff_group = f.staff_group)", {**p, "vp": vac_period}))
        out.append(self._flows())
        out.append(self.run(
            "sum(fte_days_lost) AS days_lost, sum(fte_days_available) AS days_available",
            "sickness_absence",
            "f.period > $period - INTERVAL 12 MONTH AND f.period <= $period"
            + ("" if self.group else " AND f.staff_group IS NULL"),
            p))
        survey_year = self._latest("staff_survey", "year")
        if survey_year is not None and not pd.isna(survey_year):
            out.append(self.run(
                "sum(value * base) / sum(base) AS burnout_rate", "staff_survey",
                "f.indicator = 'burned_out' AND f.year = $year AND f.base > 0",
                {"year": int(survey_year)}, group_filter=False))
        return out

    def _flows(self) -> pd.DataFrame:
        start = self.store.scalar(
            "SELECT max(period_start) FROM flows WHERE vintage = ? AND period_end = ?",
            [self.q.vintage, self.period])
        if start is None or pd.isna(start):
            return pd.DataFrame(columns=["area_code"])
        flows = self.run(
            "sum(headcount) FILTER (WHERE direction = 'joiner') AS joiners, "
            "sum(headcount) FILTER (WHERE direction = 'leaver') AS leavers",
            "flows", "f.period_end = $period AND f.period_start = $start "
            "AND coalesce(f.route, '') <> 'internal'",
            {"period": self.period, "start": start})
        # Rates divide by the headcount of the organisations and staff groups
        # that report flows for this pair of censuses, and no others.
        reporting = ("EXISTS (SELECT 1 FROM flows x WHERE x.vintage = $vintage AND "
                     "x.period_start = $start AND x.period_end = $period AND "
                     "x.org_code = f.org_code AND x.staff_group = f.staff_group)")
        base = self.run(
            "sum(headcount) FILTER (WHERE f.period = $start) AS hc_start, "
            "sum(headcount) FILTER (WHERE f.period = $period) AS hc_end_reporting",
            "staff_in_post", f"f.period IN ($start, $period) AND {reporting}",
            {"start": start, "period": self.period})
        return flows.merge(base, on="area_code", how="outer")


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    return (num / den.where(den > 0)).astype("Float64")


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
    metrics = _Metrics(store, query)
    if metrics.period is None or pd.isna(metrics.period):
        raise InputError(f"vintage {query.vintage!r} has no staff in post to report on")
    table = None
    for frame in metrics.frames():
        table = frame if table is None else table.merge(frame, on="area_code", how="outer")
    assert table is not None
    table = table.reindex(columns=[*table.columns, *(
        c for c in ("vacancy_fte", "fte_reporting_vacancies", "joiners", "leavers", "hc_start",
                    "hc_end_reporting", "days_lost",
                    "days_available", "burnout_rate") if c not in table.columns)])
    table = table.astype({c: "Float64" for c in table.columns if c != "area_code"})
    mean_hc = (table["hc_start"] + table["hc_end_reporting"]) / 2
    out = pd.DataFrame({
        "area_code": table["area_code"],
        "headcount": table["headcount"], "fte": table["fte"],
        "fte_per_head": _ratio(table["fte"], table["headcount"]),
        "vacancy_fte": table["vacancy_fte"],
        "vacancy_rate": _ratio(table["vacancy_fte"],
                               table["fte_reporting_vacancies"] + table["vacancy_fte"]),
        "joiner_rate": _ratio(table["joiners"], mean_hc),
        "leaver_rate": _ratio(table["leavers"], mean_hc),
        "stability_index": 1 - _ratio(table["leavers"], table["hc_start"]),
        "sickness_absence_rate": _ratio(table["days_lost"], table["days_available"]),
        "share_aged_55_plus": _ratio(table["hc55"], table["hc_age"]),
        "share_non_uk": _ratio(table["non_uk"], table["nat_known"]),
        "burnout_rate": table["burnout_rate"],
    })
    out = _with_names(store, query, out)
    out.insert(3, "period", pd.Timestamp(metrics.period).date().isoformat())
    if query.area:
        out = out[out["area_code"].str.upper() == query.area.upper()]
        if out.empty:
            raise InputError(f"no area {query.area!r} at level {query.level} in the data")
    return out.reset_index(drop=True)


def _with_names(store: Store, query: Query, out: pd.DataFrame) -> pd.DataFrame:
    """Attach names; list every area of the level, with or without data."""
    if query.level == "org":
        names = store.query(
            "SELECT org_code AS area_code, max(name) AS area_name FROM organisations "
            "WHERE vintage = ? GROUP BY org_code", [query.vintage])
        names = names[names["area_code"].isin(out["area_code"])]
    else:
        names = store.query("SELECT code AS area_code, max(name) AS area_name FROM areas "
                            "WHERE vintage = ? AND level = ? GROUP BY code",
                            [query.vintage, query.level])
    extra = out.loc[~out["area_code"].isin(names["area_code"]), ["area_code"]]
    names = pd.concat([names, extra.assign(area_name="Unmapped organisations")])
    out = names.merge(out, on="area_code", how="left")
    out.insert(2, "level", query.level)
    out = out[["area_code", "area_name", "level", *METRIC_COLUMNS]]
    unmapped_last = out["area_code"] == UNMAPPED
    return pd.concat([out[~unmapped_last].sort_values("area_code"), out[unmapped_last]])


def ethnic_minority_by_band(store: Store, query: Query) -> pd.DataFrame:
    """Return the ethnic-minority share of headcount by AfC band (and other grades).

    Staff whose ethnicity is unknown are excluded from the denominator. The
    Model Employer goal is that each band's share matches the whole workforce's.
    """
    metrics = _Metrics(store, query)
    when = store.scalar(
        "SELECT max(period) FROM staff_in_post WHERE vintage = ? AND grade IS NOT NULL "
        "AND ethnicity IS NOT NULL AND period <= ?", [query.vintage, metrics.period])
    national = store.scalar(
        "SELECT count(*) FROM staff_in_post WHERE vintage = ? AND period = ? AND org_code IN "
        "(SELECT code FROM areas WHERE vintage = ? AND level = 'england') "
        "AND ethnicity IS NOT NULL", [query.vintage, when, query.vintage])
    minority = [r["code"] for r in codelists.get("ethnicity").rows if r["minority"] == "true"]
    known = [r["code"] for r in codelists.get("ethnicity").rows if r["minority"] in ("true",
                                                                                     "false")]
    frame = metrics.run(
        "f.grade AS grade, sum(headcount) FILTER (WHERE ethnicity IN "
        f"({', '.join(repr(c) for c in minority)})) AS minority, "
        f"sum(headcount) FILTER (WHERE ethnicity IN ({', '.join(repr(c) for c in known)})) "
        "AS known", "staff_in_post",
        "f.period = $period AND f.grade IS NOT NULL AND f.ethnicity IS NOT NULL",
        {"period": when}, area_rows=bool(national) and query.level == "england")
    if frame.empty:
        return pd.DataFrame(columns=["area_code", "grade", "minority_headcount",
                                     "known_headcount", "ethnic_minority_share"])
    frame.insert(1, "period", pd.Timestamp(when).date().isoformat())
    frame = frame.rename(columns={"minority": "minority_headcount", "known": "known_headcount"})
    frame = frame.astype({"minority_headcount": "Float64", "known_headcount": "Float64"})
    frame["ethnic_minority_share"] = _ratio(frame["minority_headcount"], frame["known_headcount"])
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
    metrics = _Metrics(store, query)
    flagged = store.query(
        "SELECT source, list(DISTINCT ingest_id ORDER BY ingest_id) AS ids FROM source_flags "
        "WHERE vintage = ? AND flag = 'flows_unavailable' GROUP BY source ORDER BY source",
        [query.vintage])
    frames = []
    for source, ids in zip(flagged["source"], flagged["ids"], strict=True):
        in_ids = ", ".join(str(int(i)) for i in ids)
        limit = "AND period <= ?" if query.period else ""
        periods = store.query(
            f"SELECT DISTINCT period FROM staff_in_post WHERE vintage = ? AND ingest_id IN "
            f"({in_ids}) {limit} ORDER BY period DESC LIMIT 2",
            [query.vintage, *([query.period] if query.period else [])])["period"]
        if len(periods) < 2:
            continue
        end, start = periods.iloc[0], periods.iloc[1]
        frame = metrics.run(
            "f.staff_group AS staff_group, f.role AS role, "
            "sum(headcount) FILTER (WHERE f.period = $start) AS headcount_start, "
            "sum(headcount) FILTER (WHERE f.period = $end) AS headcount_end, "
            "sum(fte) FILTER (WHERE f.period = $start) AS fte_start, "
            "sum(fte) FILTER (WHERE f.period = $end) AS fte_end, "
            "count(*) FILTER (WHERE f.period = $start) AS rows_start, "
            "count(*) FILTER (WHERE f.period = $end) AS rows_end",
            "staff_in_post", f"f.period IN ($start, $end) AND f.ingest_id IN ({in_ids})",
            {"start": start, "end": end})
        frames.append(frame.assign(source=source,
                                   period_start=pd.Timestamp(start).date().isoformat(),
                                   period_end=pd.Timestamp(end).date().isoformat()))
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
    out["headcount_change"] = out["headcount_end"].fillna(0) - out["headcount_start"].fillna(0)
    out["headcount_change"] = out["headcount_change"].where(
        out["headcount_end"].notna() | out["headcount_start"].notna())
    out["fte_change"] = out["fte_end"].fillna(0) - out["fte_start"].fillna(0)
    out["fte_change"] = out["fte_change"].where(out["fte_end"].notna() | out["fte_start"].notna())
    out["fte_change_rate"] = _ratio(out["fte_change"], out["fte_start"])
    if query.level == "org":
        names = store.query("SELECT org_code AS area_code, max(name) AS area_name "
                            "FROM organisations WHERE vintage = ? GROUP BY ALL", [query.vintage])
    else:
        names = store.query("SELECT code AS area_code, max(name) AS area_name FROM areas "
                            "WHERE vintage = ? AND level = ? GROUP BY ALL",
                            [query.vintage, query.level])
    out = out.merge(names, on="area_code", how="left")
    out["area_name"] = out["area_name"].fillna("Unmapped organisations")
    out["level"] = query.level
    if query.area:
        out = out[out["area_code"].str.upper() == query.area.upper()]
    out = out.sort_values(["source", "area_code", "staff_group", "role"], na_position="first")
    return out[list(NET_CHANGE_COLUMNS)].reset_index(drop=True)


def latest_by_sector(store: Store, vintage: str) -> pd.DataFrame:
    """Return each sector's latest staff-in-post period (``sector, period``).

    A vintage that mixes sources can hold a recent census for one sector and an
    older one for another; the report of the latest period then covers only the
    first. Rows reported for England as a whole are left out.
    """
    frame = store.query(
        "SELECT coalesce(o.sector, 'unmapped') AS sector, max(f.period) AS period "
        "FROM staff_in_post f LEFT JOIN (SELECT org_code, max(sector) AS sector "
        "FROM organisations WHERE vintage = ? GROUP BY org_code) o USING (org_code) "
        "WHERE f.vintage = ? AND f.org_code NOT IN (SELECT code FROM areas WHERE vintage = ? "
        "AND level = 'england') GROUP BY 1 ORDER BY 1", [vintage, vintage, vintage])
    frame["period"] = [pd.Timestamp(p).date().isoformat() for p in frame["period"]]
    return frame
