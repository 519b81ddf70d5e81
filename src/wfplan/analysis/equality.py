"""Equality: WRES indicator 1 and Model Employer trajectories (``wfplan equality``).

**WRES indicator 1** (the Workforce Race Equality Standard's first indicator) is
the ethnic-minority share of staff by Agenda for Change band and medical grade,
beside the share of the workforce as a whole. :func:`wres_indicator1` gives it for
England, each region or each ICB, from the staff in post with a grade and an
ethnic group (headcount; staff whose ethnicity is unknown are left out of both
numerator and denominator). Where the data do not allow a level (the GOV.UK
ethnicity series is for England as a whole), it says so and gives the widest
level they do allow.

**Model Employer trajectories** (:func:`model_employer`) apply a goal to each band
(:mod:`wfplan.analysis.equality_goals`; by default the band's share equal to the
area's overall share by :func:`default_target_year`) and give the appointments
needed per year (:mod:`wfplan.analysis.model_employer`), and progress at every
census after the base. The rates and their sources are in :data:`PROMOTION_RULE`,
:data:`GROWTH_RULE` and :func:`_leaver_rates` (with the evidence library's rate,
:func:`wfplan.inputs.equality.leaver_fallback`, where the vintage has none).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import pandas as pd

from wfplan.analysis import metrics as m
from wfplan.analysis.equality_goals import Goal, goal_for
from wfplan.analysis.model_employer import (
    TRAJECTORY_COLUMNS,
    BandStart,
    progress_row,
    trajectory,
)
from wfplan.dataset import codelists
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import metrics as sums
from wfplan.dataset.store.queries.geography import area_names
from wfplan.errors import InputError

__all__ = ["BASE_BEFORE", "GROWTH_RULE", "PROMOTION_RULE",
           "ModelEmployer", "Wres", "default_base", "default_target_year",
           "ethnicity_periods", "model_employer", "wres_indicator1"]

#: Columns of :attr:`ModelEmployer.bands` and :attr:`ModelEmployer.progress`.
GOAL_COLUMNS = ("area_code", "grade", "base_period", "known_headcount", "minority_headcount",
                "base_share", "target_share", "target_year", "leaver_rate",
                "leaver_rate_source", "promotion_rate", "headcount_growth", "at_base", "goal")
PROGRESS_COLUMNS = ("period", "area_code", "grade", "year", "minority_headcount",
                    "known_headcount", "path_share", "expected_minority", "gap_heads", "status")
#: A change to the band counts before anything is derived (disclosure control).
Adjust = Callable[[pd.DataFrame], pd.DataFrame]
#: Columns of :attr:`Wres.frame`.
WRES_COLUMNS = ("level", "area_code", "area_name", "period", "grade", "role",
                "minority_headcount",
                "known_headcount", "ethnic_minority_share", "overall_share", "difference")
#: The default base census is the latest on or before this day (A Model Employer was
#: published in January 2019, from 2018 data), else the earliest census there is.
BASE_BEFORE = date(2018, 12, 31)
#: The default goal year: the end of A Model Employer's ten-year horizon (NHS England,
#: WRES leadership strategy, January 2019, https://www.england.nhs.uk/publication/a-model-employer/).
MODEL_EMPLOYER_YEAR = 2028
PROMOTION_RULE = (
    "promotion rate 0 unless the goal file sets promotion_rate: wfplan assumption. No "
    "publication wfplan loads reports moves between bands; a promotion out of a band is an "
    "exit like a leaver, so a rate p adds p x headcount to the band's appointments and "
    "p x ethnic-minority headcount to the ethnic-minority appointments needed (the band "
    "above counts it among its own appointments)")
GROWTH_RULE = ("headcount of each band held at the base census unless the goal file sets "
               "headcount_growth: wfplan assumption (the goal is about shares, not growth)")
SAME_RATES = ("ethnic-minority staff leave and are promoted at the same rates as other staff "
              "in the band: wfplan assumption (no loaded source gives flows by ethnic group)")


@dataclass(frozen=True)
class Wres:
    """WRES indicator 1 at one level: the rows, the level they are at, and notes."""

    frame: pd.DataFrame
    level: str
    period: date | None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ModelEmployer:
    """Model Employer goals applied: each band's start, its trajectory and progress."""

    bands: pd.DataFrame
    trajectory: pd.DataFrame
    progress: pd.DataFrame
    base: date | None = None
    notes: list[str] = field(default_factory=list)
    assumptions: tuple[str, ...] = (PROMOTION_RULE, GROWTH_RULE, SAME_RATES)


def ethnicity_periods(store: Store, vintage: str) -> list[date]:
    """Return every staff-in-post census with grade and ethnicity, oldest first."""
    frame = sums.ethnicity_periods(store, vintage)
    return [pd.Timestamp(p).date() for p in frame["period"]]


def default_base(periods: list[date]) -> date:
    """Return the default base census (:data:`BASE_BEFORE`)."""
    before = [p for p in periods if p <= BASE_BEFORE]
    return before[-1] if before else periods[0]


def default_target_year(base_year: int) -> int:
    """Return the default goal year: 2028 (A Model Employer), or 10 years on if that is past."""
    return MODEL_EMPLOYER_YEAR if base_year < MODEL_EMPLOYER_YEAR else base_year + 10


def wres_indicator1(store: Store, vintage: str, level: str, period: date | None = None,
                    adjust: Adjust | None = None) -> Wres:
    """Return WRES indicator 1 at ``level`` (at the latest census, or on or before ``period``).

    Each row is one band of one area; ``overall_share`` is the area's share over
    every band and grade, ``difference`` the band's share minus it. When no area of
    ``level`` has the data, the rows are England's and a note says why. ``adjust``
    changes the band counts before anything is derived from them (the service's
    disclosure control; a ``suppressed`` column it adds is kept).
    """
    notes: list[str] = []
    frame = m.ethnic_minority_by_band(store, m.Query(vintage, level, period=period))
    shown = level
    if frame.empty and level != "england":
        national = m.ethnic_minority_by_band(store, m.Query(vintage, "england", period=period))
        if not national.empty:
            notes.append(f"no {_level_name(level)} has staff in post by pay band and ethnic "
                         "group in this vintage: the ethnicity data are for England as a "
                         "whole, so the figures below are England's")
            frame, shown = national, "england"
    if frame.empty:
        notes.append("no staff in post by pay band and ethnic group in this vintage")
        return Wres(pd.DataFrame(columns=list(WRES_COLUMNS)), shown, None, notes)
    frame = _with_medical_grades(store, vintage, shown, period, frame)
    frame = _with_overall(adjust(frame) if adjust else frame)
    names = area_names(store, vintage, shown)
    frame = frame.merge(names, on="area_code", how="left")
    frame["area_name"] = frame["area_name"].fillna("England" if shown == "england" else "")
    frame.insert(0, "level", shown)
    notes.extend(_missing_notes(frame, names, shown))
    when = pd.Timestamp(str(frame["period"].iat[0])).date()
    columns = [*WRES_COLUMNS, *(["suppressed"] if "suppressed" in frame.columns else [])]
    return Wres(frame[columns].reset_index(drop=True), shown, when, notes)


def _with_medical_grades(store: Store, vintage: str, level: str, period: date | None,
                         frame: pd.DataFrame) -> pd.DataFrame:
    """Return the band rows with each area's medical grades after its ``medical`` row.

    A medical grade's row has grade ``medical`` and the grade as ``role``; the band
    rows have no role. Where no row names a medical grade, the band rows alone.
    """
    query = m.Query(vintage, level, period=period)
    metrics = m.Aggregator(store, query)
    when = sums.ethnicity_period(store, vintage, metrics.period)
    national = sums.national_ethnicity_rows(store, vintage, when)
    grades = sums.ethnicity_by_medical_grade(store, metrics.selection(), when,
                                             area_rows=bool(national) and level == "england")
    out = frame.copy()
    out["role"] = pd.Series(pd.NA, index=out.index, dtype="object")
    if grades.empty:
        return out
    grades = grades.rename(columns={"minority": "minority_headcount",
                                    "known": "known_headcount"})
    grades = grades.astype({"minority_headcount": "Float64", "known_headcount": "Float64"})
    grades["ethnic_minority_share"] = m.ratio(grades["minority_headcount"],
                                              grades["known_headcount"])
    grades["grade"] = "medical"
    grades["period"] = str(out["period"].iat[0])
    order = {code: i for i, code in enumerate(codelists.get("role").codes)}
    grades["_order"] = grades["role"].map(order).fillna(len(order))
    out["_order"] = -1
    whole = pd.concat([out, grades[grades["area_code"].isin(out["area_code"])]],
                      ignore_index=True)
    grade_order = {code: i for i, code in enumerate(codelists.get("grade").codes)}
    whole["_grade"] = whole["grade"].map(grade_order).fillna(len(grade_order))
    whole = whole.sort_values(["area_code", "_grade", "_order"], kind="stable")
    return whole.drop(columns=["_order", "_grade"]).reset_index(drop=True)


def _with_overall(frame: pd.DataFrame) -> pd.DataFrame:
    """Add each area's overall share (its grade rows, not the medical grades) and the gap."""
    grades = frame[frame["role"].isna()]
    totals = grades.groupby("area_code")[["minority_headcount", "known_headcount"]].sum(
        min_count=1)
    overall = (totals["minority_headcount"] / totals["known_headcount"]).astype("Float64")
    out = frame.copy()
    out["overall_share"] = out["area_code"].map(overall).astype("Float64")
    out["difference"] = out["ethnic_minority_share"].astype("Float64") - out["overall_share"]
    return out


def _missing_notes(frame: pd.DataFrame, names: pd.DataFrame, level: str) -> list[str]:
    notes = []
    blank = frame[frame["ethnic_minority_share"].isna()]
    if not blank.empty:
        notes.append(f"{len(blank)} band row(s) have no share (a count suppressed or not "
                     "reported): shown as n/a, never 0")
    if level != "england" and not names.empty:
        lacking = sorted(set(names["area_code"]) - set(frame["area_code"]))
        if lacking:
            notes.append(f"{len(lacking)} of {len(names)} {_level_name(level)}s have no staff "
                         "in post by pay band and ethnic group: " + ", ".join(lacking))
    return notes


def _level_name(level: str) -> str:
    return {"icb": "ICB", "org": "organisation"}.get(level, level)


def model_employer(store: Store, vintage: str, level: str, goals: list[Goal] | None = None,
                   base: date | None = None, adjust: Adjust | None = None, *,
                   fallback: tuple[float, str]) -> ModelEmployer:
    """Apply ``goals`` (default: every band at its area's overall share) at ``level``.

    The base census is ``base`` or :func:`default_base`; progress is measured at
    every later census with ethnicity by band, up to the goal's year. The notes
    are the goals' own (those of the base's WRES figures are :func:`wres_indicator1`'s).
    ``adjust`` changes the band counts first (:func:`wres_indicator1`); a band whose
    counts it leaves missing gets no trajectory. ``fallback`` is the leaver rate and
    its source where neither the goal nor the vintage gives one.
    """
    periods = ethnicity_periods(store, vintage)
    if not periods:
        return ModelEmployer(pd.DataFrame(columns=list(GOAL_COLUMNS)),
                             pd.DataFrame(columns=list(TRAJECTORY_COLUMNS)),
                             pd.DataFrame(columns=list(PROGRESS_COLUMNS)), None,
                             ["no staff in post by pay band and ethnic group in this vintage"])
    start = base or default_base(periods)
    wres = wres_indicator1(store, vintage, level, start, adjust)
    notes: list[str] = []
    rates = _leaver_rates(store, vintage, wres.level, fallback)
    starts, band_rows = _starts(wres.frame, goals, rates, notes)
    trajectories = [trajectory(b) for b in starts]
    later = [p for p in periods if p > start]
    progress = _progress(store, vintage, wres.level, starts, later, adjust)
    if not later:
        notes.append("progress is not yet measurable: no census after the base")
    return ModelEmployer(pd.DataFrame(band_rows, columns=list(GOAL_COLUMNS)),
                         pd.concat(trajectories, ignore_index=True) if trajectories
                         else pd.DataFrame(columns=list(TRAJECTORY_COLUMNS)), progress, start,
                         notes)


def _starts(frame: pd.DataFrame, goals: list[Goal] | None, rates: dict[str, tuple[float, str]],
            notes: list[str]) -> tuple[list[BandStart], list[dict[str, Any]]]:
    """Return each band's start under its goal, and the rows that describe them."""
    starts, rows = [], []
    used: set[str] = set()
    records = cast(list[dict[str, Any]], frame.to_dict("records"))
    for r in records:
        if not pd.isna(r["role"]) or pd.isna(r["known_headcount"]) or pd.isna(
                r["minority_headcount"]):
            continue
        when = pd.Timestamp(r["period"]).date()
        goal = (Goal(default_target_year(when.year)) if goals is None
                else goal_for(goals, str(r["area_code"]), str(r["grade"])))
        if goal is None:
            continue
        used.add(goal.where)
        if goal.target_year <= when.year:
            raise InputError(f"{goal.where}: target_year: {goal.target_year} is not after the "
                             f"base census ({when.isoformat()})")
        share = goal.target_share if goal.target_share is not None else r["overall_share"]
        leaver, source = ((goal.leaver_rate, f"set by the goal ({goal.where})")
                          if goal.leaver_rate is not None
                          else rates.get(str(r["area_code"]), rates["*"]))
        band = BandStart(str(r["area_code"]), str(r["grade"]), when.year,
                         float(r["known_headcount"]), float(r["minority_headcount"]),
                         float(share), goal.target_year, float(leaver),
                         goal.promotion_rate or 0.0, goal.headcount_growth or 0.0)
        starts.append(band)
        rows.append({"area_code": band.area_code, "grade": band.grade,
                     "base_period": when.isoformat(),
                     "known_headcount": band.headcount, "minority_headcount": band.minority,
                     "base_share": band.base_share, "target_share": band.target_share,
                     "target_year": band.target_year, "leaver_rate": band.leaver_rate,
                     "leaver_rate_source": source, "promotion_rate": band.promotion_rate,
                     "headcount_growth": band.headcount_growth,
                     "at_base": "at or above goal" if band.at_goal else "below goal",
                     "goal": goal.where})
    for goal in goals or []:
        if goal.where not in used:
            notes.append(f"{goal.where}: no band of the data matches it (area "
                         f"{goal.area_code or 'any'}, grade {goal.grade or 'any'})")
    return starts, rows


def _leaver_rates(store: Store, vintage: str, level: str,
                  fallback: tuple[float, str]) -> dict[str, tuple[float, str]]:
    """Return each area's leaver rate and its source; ``"*"``: ``fallback``.

    The vintage's own rate where it has one: leavers ÷ mean headcount, all staff
    groups, over the year of flows to the latest census (``wfplan metrics``'s leaver
    rate); else ``fallback`` (the evidence library's,
    :func:`wfplan.inputs.equality.leaver_fallback`).
    """
    out: dict[str, tuple[float, str]] = {"*": fallback}
    metrics = m.Aggregator(store, m.Query(vintage, level))
    start = sums.flow_start(store, vintage, metrics.period)
    if start is None:
        return out
    flows = sums.flow_sums(store, metrics.selection(), start)
    rates = m.ratio(flows["leavers"], (flows["hc_start"] + flows["hc_end_reporting"]) / 2)
    for code, rate in zip(flows["area_code"], rates, strict=True):
        if not pd.isna(rate):
            out[str(code)] = (float(rate), f"vintage {vintage}: leaver rate, all staff groups, "
                              f"{pd.Timestamp(start).date().isoformat()} to "
                              f"{pd.Timestamp(metrics.period).date().isoformat()}")
    return out


def _progress(store: Store, vintage: str, level: str, starts: list[BandStart],
              later: list[date], adjust: Adjust | None) -> pd.DataFrame:
    """Return progress of each band at each later census up to its goal's year."""
    rows = []
    for when in later:
        frame = m.ethnic_minority_by_band(store, m.Query(vintage, level, period=when))
        frame = adjust(frame) if adjust and not frame.empty else frame
        observed = {(str(a), str(g)): (k, n) for a, g, k, n in zip(
            frame["area_code"], frame["grade"], frame["known_headcount"],
            frame["minority_headcount"], strict=True)}
        for band in starts:
            known, minority = observed.get((band.area_code, band.grade), (pd.NA, pd.NA))
            if when.year > band.target_year or pd.isna(known) or pd.isna(minority):
                continue
            rows.append({"period": when.isoformat(),
                         **progress_row(band, when.year, float(known), float(minority))})
    return pd.DataFrame(rows, columns=list(PROGRESS_COLUMNS))
