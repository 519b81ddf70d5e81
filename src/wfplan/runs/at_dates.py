"""Supply at chosen dates between the model's annual steps (``wfplan project --at``).

The model steps a year from the base census. Supply FTE at a month end
between two annual steps is interpolated **linearly, draw by draw** (as the
back-test reads a later census, and as a straight-line census trend runs),
then the principal, P5, P50 and P95 are taken over the draws. England
(the sum of the areas) and England's total over staff groups
(``all_staff_groups``) are summed within each draw first.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from wfplan.dataset import codelists
from wfplan.errors import InputError
from wfplan.inputs.source import years_between
from wfplan.model.uncertainty import STATISTICS, draw_statistics
from wfplan.runs.backtest import at_years
from wfplan.runs.project import Projection

QUARTERLY = "quarterly"
ALL = "all_staff_groups"
COLUMNS = ("scenario", "area", "staff_group", "date", "years", "principal", "p5", "p50", "p95")


def _month_end(text: str) -> date:
    try:
        year, month = (int(part) for part in text.strip().split("-")[:2])
        return date(year, month, calendar.monthrange(year, month)[1])
    except (ValueError, TypeError):
        raise InputError(f"--at {text!r}: give months as YYYY-MM (or 'quarterly')") from None


def at_dates(texts: Sequence[str], base: date, horizon: int) -> list[date]:
    """Return the month ends asked for (``quarterly``: every quarter end to the horizon)."""
    items = [part for text in texts for part in text.split(",") if part.strip()]
    end = _month_end(f"{base.year + horizon}-{base.month}")
    if items == [QUARTERLY]:
        out: list[date] = []
        year, month = base.year, base.month
        while True:
            month += 3
            year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
            when = date(year, month, calendar.monthrange(year, month)[1])
            if when > end:
                return out
            out.append(when)
    dates = sorted({_month_end(item) for item in items})
    wrong = [d.isoformat() for d in dates if not base < d <= end]
    if wrong:
        raise InputError(f"--at {', '.join(wrong)}: must be after the base census {base} and "
                         f"within the horizon ({end})")
    return dates


def supply_at(projection: Projection, dates: Sequence[date]) -> pd.DataFrame:
    """Supply FTE at ``dates`` by area, England and England's total; see the module notes."""
    results = projection.results
    base = date.fromisoformat(str(projection.metadata["base_period"]))
    values = np.moveaxis(results.values("supply_fte"), 1, 0)  # (T+1, D, A, G)
    england = codelists.ENGLAND_CODE
    rows = []
    for when in dates:
        years = years_between(base, when)
        cells = at_years(values, years)  # (D, A, G)
        parts = {(area, group): cells[:, a, g] for a, area in enumerate(results.areas)
                 for g, group in enumerate(results.staff_groups)}
        if england not in results.areas:
            parts.update({(england, group): cells[:, :, g].sum(axis=1)
                          for g, group in enumerate(results.staff_groups)})
        parts[(england, ALL)] = cells.sum(axis=(1, 2))
        for (area, group), draws in parts.items():
            stats = draw_statistics(draws, results.n_draws)
            rows.append({"scenario": results.scenario, "area": area, "staff_group": group,
                         "date": when.isoformat(), "years": years,
                         **dict(zip(STATISTICS, stats.tolist(), strict=True))})
    return pd.DataFrame(rows, columns=list(COLUMNS))
