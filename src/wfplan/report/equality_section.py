"""The report's Model Employer trajectory table (the equality section, docs/equality.md).

It is derived from the bundle's ethnicity-by-band table alone (so ``wfplan verify``
re-renders it identically): for each band below the goal (the workforce's overall
share), the appointments a year and the ethnic-minority appointments needed to
reach the goal by :func:`~wfplan.analysis.equality.default_target_year`, by the rule
of :mod:`wfplan.analysis.model_employer`, with the evidence library's leaver rate
(:func:`wfplan.inputs.equality.leaver_fallback`), no promotions out of a band and
each band's headcount held (the wfplan assumptions of ``wfplan equality``).
"""

from __future__ import annotations

import pandas as pd

from wfplan.analysis.equality import default_target_year
from wfplan.analysis.model_employer import BandStart, trajectory
from wfplan.inputs.equality import leaver_fallback
from wfplan.report import format as fmt
from wfplan.report.views import Column, Numbering, TableView

__all__ = ["model_employer_rows", "model_employer_table"]


def model_employer_rows(frame: pd.DataFrame, goal: float, leaver: float) -> pd.DataFrame:
    """Return one row per band below ``goal``: its first and last year's appointments needed.

    ``frame`` is the ethnicity-by-band table (one area, one census).
    """
    rows = []
    for record in frame.to_dict("records"):
        known, minority = record["known_headcount"], record["minority_headcount"]
        if pd.isna(known) or pd.isna(minority) or not known:
            continue
        year = pd.Timestamp(str(record["period"])).year
        band = BandStart(str(record["area_code"]), str(record["grade"]), year, float(known),
                         float(minority), goal, default_target_year(year), leaver)
        if band.at_goal:
            continue
        path = trajectory(band)
        first, last = path.iloc[0], path.iloc[-1]
        rows.append({"grade": band.grade, "share": band.base_share,
                     "target_year": band.target_year, "appointments": first["appointments"],
                     "needed_first": first["minority_appointments"],
                     "needed_last": last["minority_appointments"],
                     "share_first": first["minority_share_of_appointments"]})
    return pd.DataFrame(rows)


def model_employer_table(frame: pd.DataFrame, goal: float, numbering: Numbering, source: str,
                         period: str) -> tuple[TableView | None, str]:
    """Return the trajectory table of the bands below ``goal`` and the paragraph before it."""
    if frame.empty or fmt.is_missing(goal):
        return None, ""
    leaver, cited = leaver_fallback()
    rows = model_employer_rows(frame, float(goal), leaver)
    if rows.empty:
        return None, ""
    year = int(str(rows["target_year"].iat[0]))
    note = (f"To reach the goal by {year} along a straight path, each band below it needs "
            f"the ethnic-minority appointments below each year. Leaver rate "
            f"{fmt.percent(leaver)} a year for every band and ethnic group (the evidence "
            f"library's {cited.split(':')[0].removeprefix('evidence ')}, whose source wfplan "
            "evidence lists); no "
            "promotions out of a band and each band's headcount held at this census "
            "(wfplan assumptions; wfplan equality --goal sets ICS goals and rates, "
            "docs/equality.md).")
    table = numbering.table(rows, [
        Column("grade", "Pay band", fmt.grade_name),
        Column("share", "Ethnic-minority share now", fmt.percent, numeric=True),
        Column("appointments", "Appointments a year (all staff)", fmt.number, numeric=True),
        Column("needed_first", "Ethnic-minority appointments needed, first year", fmt.number,
               numeric=True),
        Column("needed_last", f"Ethnic-minority appointments needed, {year}", fmt.number,
               numeric=True),
        Column("share_first", "Share of appointments, first year", fmt.percent, numeric=True),
    ], "table-model-employer", f"Model Employer trajectory: appointments needed to reach "
       f"{fmt.percent(goal)} at every band by {year}, from {period}", source, period)
    return table, note
