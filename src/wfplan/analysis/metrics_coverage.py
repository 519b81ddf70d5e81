"""What each current-position figure covers: its sectors, its period, and why it is n/a.

A figure is shown only for the periods and sectors its source covers:

- **Staff survey year.** NHS Staff Survey fieldwork starts in September of the
  survey year (and runs to about the end of November). Survey year ``Y`` is
  matched to the censuses of the twelve months from 1 September ``Y``: a census
  from September to December of ``Y``, or from January to August of ``Y + 1``
  (so March 2024 is matched to 2023, September 2023 to 2023, September 2017 to
  2017). Where the vintage lacks that year the year before is shown, and the
  coverage says so; a survey older than that, or after the census, is never
  used, and the rate is n/a.
- **Sectors.** Sickness absence and burnout come from sources about some
  sectors only (the NHS sickness absence rates and the Staff Survey cover NHS
  trusts). For an area whose staff in post at the census are all of other
  sectors (for example primary care only), they are n/a. Organisations with no
  reference record (sector ``unmapped``) may be of any sector.

:func:`coverage` returns one row per figure (:data:`FIGURES`): whether it is
shown, the sectors of the rows behind it, the period it is for, and a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from wfplan.dataset import codelists

if TYPE_CHECKING:
    from wfplan.analysis.metrics_query import Query, Used

#: Figure → (label, the ``cov_`` column listing the sectors behind it).
FIGURES = {
    "headcount": ("headcount", "headcount"),
    "fte": ("FTE", "fte"),
    "fte_per_head": ("FTE per head", "fte_per_head"),
    "vacancy_fte": ("vacancy FTE", "vacancy_fte"),
    "vacancy_rate": ("vacancy rate", "vacancy_fte"),
    "joiner_rate": ("joiner rate", "flows"),
    "leaver_rate": ("leaver rate", "flows"),
    "stability_index": ("stability index", "flows"),
    "sickness_absence_rate": ("sickness absence rate", "sickness"),
    "share_aged_55_plus": ("share aged 55+", "share_aged_55_plus"),
    "share_non_uk": ("share non-UK", "share_non_uk"),
    "burnout_rate": ("burnout rate", "burnout_rate"),
}
COVERAGE_COLUMNS = ("metric", "shown", "sectors", "period", "note")
#: Figures from a source other than staff in post, shown only where it covers the sectors.
OTHER_SOURCES = {"sickness_absence_rate": "sickness", "burnout_rate": "burnout_rate"}
UNMAPPED_SECTOR = "unmapped"


def survey_year_of(census: date) -> int:
    """Return the staff survey year matched to a census (fieldwork from 1 September)."""
    return census.year if (census.month, census.day) >= (9, 1) else census.year - 1


def pick_survey_year(census: date, years: Iterable[int]) -> tuple[int | None, str | None]:
    """Return the survey year to show for a census, and a note when it is not the census's own.

    Returns ``(None, reason)`` when the vintage has neither the census's own
    survey year nor the year before.
    """
    held = sorted(set(years))
    own = survey_year_of(census)
    if own in held:
        return own, None
    if own - 1 in held:
        return own - 1, (f"survey year {own}, the census's own, is not in the vintage; "
                         f"{own - 1}, the year before, is shown")
    listed = ", ".join(str(y) for y in held)
    return None, (f"no staff survey for the census {census:%Y-%m}: it needs survey year "
                  f"{own} (or {own - 1}); the vintage has {listed}")


def sector_set(value: object) -> set[str]:
    """Return the sectors in a ``cov_`` cell (a list, an array or missing) as a set."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return set()
    # An array's items as Python objects first: iterating the array itself is slower.
    items = value.tolist() if isinstance(value, np.ndarray) else value
    return {str(v) for v in items}  # type: ignore[union-attr]


def _overlaps(census: set[str], source: set[str]) -> bool:
    return bool(census & source) or (bool(census) and UNMAPPED_SECTOR in census | source)


def blank_other_sectors(table: pd.DataFrame, out: pd.DataFrame) -> dict[str, str]:
    """Blank sickness and burnout where the area's staff in post are of other sectors.

    ``table`` and ``out`` are aligned by position. Returns, for each figure
    blanked somewhere, a note saying where and why.
    """
    census = [sector_set(a) | sector_set(b)
              for a, b in zip(table["cov_headcount"], table["cov_fte"], strict=True)]
    blanked = {}
    for figure, column in OTHER_SOURCES.items():
        source = [sector_set(v) for v in table[f"cov_{column}"]]
        off = np.array([bool(s) and not _overlaps(c, s) for c, s in zip(census, source,
                                                                          strict=True)])
        if not off.any():
            continue
        out.loc[off, figure] = pd.NA
        covers = set().union(*(s for s, o in zip(source, off, strict=True) if o))
        staff = set().union(*(c for c, o in zip(census, off, strict=True) if o))
        blanked[figure] = (f"its source covers {_labels(covers)}; the staff in post of "
                           f"{int(off.sum())} area(s) at the census are {_labels(staff)} only")
    return blanked


def _labels(sectors: Iterable[str]) -> str:
    return ", ".join(_label(s) for s in sorted(sectors)) or "none"


def _label(sector: str) -> str:
    if sector == UNMAPPED_SECTOR:
        return "organisations with no reference record"
    return codelists.get("sector").attribute(sector, "name")


def _periods(used: Used) -> dict[str, str | None]:
    census = used.census.isoformat()
    flows = f"{used.flow_start.isoformat()} to {census}" if used.flow_start else None
    sick = (f"{used.sickness_months[0]:%Y-%m} to {used.sickness_months[1]:%Y-%m}"
            if used.sickness_months else None)
    vacancy = used.vacancy_period.isoformat() if used.vacancy_period else None
    survey = f"survey year {used.survey_year}" if used.survey_year else None
    return {"headcount": census, "fte": census, "fte_per_head": census,
            "share_aged_55_plus": census, "share_non_uk": census, "vacancy_fte": vacancy,
            "vacancy_rate": vacancy, "joiner_rate": flows, "leaver_rate": flows,
            "stability_index": flows, "sickness_absence_rate": sick, "burnout_rate": survey}


def _notes(used: Used) -> tuple[dict[str, str], dict[str, str]]:
    """Return the notes of figures shown (how they are counted) and of figures n/a (why)."""
    census = used.census.isoformat()
    how = {"fte_per_head": "over the rows with both FTE and headcount"}
    why = {"headcount": f"no headcount at {census} (the rows give FTE only)",
           "fte": f"no FTE at {census} (the rows give headcount only)",
           "share_aged_55_plus": f"no staff in post with a known age band at {census}",
           "share_non_uk": f"no staff in post with a known nationality at {census}",
           "fte_per_head": f"no rows with both FTE and headcount at {census}"}
    if used.distinct_ingests:
        how["headcount"] = ("people on several records counted once (distinct identifiers); "
                            "records without an identifier have no headcount")
        how["fte_per_head"] += ("; for records with identifiers, their FTE ÷ distinct people "
                                "(FTE without an identifier left out)")
    if used.vacancy_period is None:
        why["vacancy_fte"] = why["vacancy_rate"] = f"no vacancies on or before {census}"
    if used.flow_start is None:
        for figure in ("joiner_rate", "leaver_rate", "stability_index"):
            why[figure] = f"no flows ending at {census}"
    if used.sickness_months is None:
        why["sickness_absence_rate"] = f"no sickness absence in the 12 months to {census}"
    if used.survey_note:
        (how if used.survey_year else why)["burnout_rate"] = used.survey_note
    elif not used.survey_years:
        why["burnout_rate"] = "no staff survey in the vintage"
    return how, why


def coverage(table: pd.DataFrame, out: pd.DataFrame, used: Used,
             blanked: dict[str, str]) -> pd.DataFrame:
    """Return one row per figure: ``metric, shown, sectors, period, note``.

    ``table`` holds the ``cov_`` columns of the areas in ``out`` (the report's
    rows). ``sectors`` lists the sector codes of the rows behind the figure
    where it is shown, else of its source's rows (``unmapped`` for
    organisations with no reference record); ``period`` is the period of those
    rows; ``note`` says why a figure is n/a, or how a figure shown is counted.
    """
    periods = _periods(used)
    how, why = _notes(used)
    rows: list[dict[str, Any]] = []
    for figure, (_, column) in FIGURES.items():
        shown = bool(out[figure].notna().any())
        keep = out[figure].notna().to_numpy() if shown else np.ones(len(out), dtype=bool)
        found: set[str] = set()
        for value in table.loc[keep, f"cov_{column}"]:
            found |= sector_set(value)
        parts = [(how if shown else why).get(figure), blanked.get(figure)]
        note = "; ".join(p for p in parts if p) or None
        rows.append({"metric": figure, "shown": shown, "sectors": sorted(found),
                     "period": periods[figure] if found else None, "note": note})
    return pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))


def coverage_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the coverage as text for a terminal: figures with the same coverage on one row.

    Columns ``figures, sectors, period, note``; the note of a figure not shown starts
    ``n/a:``.
    """
    rows: dict[tuple[str, str, str], list[str]] = {}
    for item in frame.to_dict("records"):
        period = item["period"] if isinstance(item["period"], str) else ""
        note = item["note"] if isinstance(item["note"], str) else ""
        key = (_labels(item["sectors"]), period, note if item["shown"] else f"n/a: {note}")
        rows.setdefault(key, []).append(FIGURES[item["metric"]][0])
    return pd.DataFrame([{"figures": ", ".join(names), "sectors": key[0], "period": key[1],
                          "note": key[2]} for key, names in rows.items()],
                        columns=["figures", "sectors", "period", "note"])


def census_behind(query: Query, position: pd.DataFrame, latest: pd.DataFrame) -> str | None:
    """Say when the latest census does not cover every sector, else return ``None``.

    A vintage that mixes sources can hold a recent census for one sector and an
    older one for another (``latest``: :func:`wfplan.analysis.metrics.latest_by_sector`).
    Reporting on the latest census (no period chosen) over every sector (none
    chosen) then leaves the other sectors out; this names each of them with its
    own latest census.
    """
    if query.period is not None or query.sector is not None or latest["period"].nunique() < 2:
        return None
    census_day = str(position["period"].iat[0]) if not position.empty else "the latest census"
    names = codelists.sector_names()
    others = "; ".join(f"{names.get(str(r['sector']), str(r['sector']))} {r['period']}"
                       for r in latest.to_dict("records") if r["period"] != census_day)
    return (f"the latest census, {census_day}, does not cover every sector; the other "
            f"sectors' latest: {others}")
