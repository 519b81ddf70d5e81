"""Naive forecasts a back-test's projection is measured against.

Each is made per area × staff group from the censuses up to the origin
(``from``) only, organisations placed as at the origin:

- **no change**: the origin's figure;
- **linear trend**: the OLS straight line of FTE on time through the
  censuses up to the origin (at least two), read at the target date;
- **last interval**: the growth between the last two censuses up to the
  origin, continued at the same compound rate: ``x0 × (x0 / x−1)^(h / Δ)``.

A cell with staff at fewer than two of those censuses (or none at the one
before the origin) takes the no-change figure for the forecasts it lacks.
When the origin is the first census, neither trend forecast can be made
from before it: both are NaN, and the back-test says so.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from wfplan.dataset.store.queries.model_inputs import staff_in_post_periods
from wfplan.inputs.source import Selection, years_between
from wfplan.inputs.trend import census_series, ols

#: Forecasts, as named in the cells and summary (``<name>_ape``, ``<name>_mape`` ...).
NAIVE = ("no_change", "linear_trend", "last_interval")


def naive_forecasts(selection: Selection, labels: dict[str, tuple[str, ...]], years: float,
                    censuses: int | None = None) -> dict[str, np.ndarray]:
    """``[area, staff_group]`` FTE of each naive forecast ``years`` after the origin."""
    periods = _periods(selection, censuses)
    series = census_series(selection, labels, periods)
    base = series[-1]
    if len(periods) < 2:
        nan = np.full(base.shape, np.nan)
        return {"no_change": base, "linear_trend": nan, "last_interval": nan.copy()}
    times = np.array([-years_between(p, selection.period) for p in periods])
    used = series > 0
    slope, _, n = ols(times, series, used)
    w = used.astype(float)
    safe = np.maximum(n, 1.0)
    shape = (len(times), 1, 1)
    t_mean = (w * times.reshape(shape)).sum(axis=0) / safe
    y_mean = (w * series).sum(axis=0) / safe
    line = np.maximum(y_mean + slope * (years - t_mean), 0.0)
    previous = series[-2]
    gap = -times[-2]
    ratio = np.divide(base, previous, out=np.full(base.shape, np.nan), where=previous > 0)
    last = base * ratio ** (years / gap)
    return {"no_change": base,
            "linear_trend": np.where(np.isnan(line), base, line),
            "last_interval": np.where(np.isnan(last), base, last)}


def _periods(selection: Selection, censuses: int | None) -> list[date]:
    periods = staff_in_post_periods(selection.store, selection.vintage, selection.period)
    return periods[-max(censuses, 2):] if censuses is not None else periods
