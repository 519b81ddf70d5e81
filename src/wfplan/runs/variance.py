"""Share of the headline gap's variance explained by each uncertain quantity.

Estimated from a run's own Monte Carlo draws 1..N (draw 0, the principal run,
is left out), with each draw's sampled values (:attr:`Results.sampled`):

* ``share`` of a quantity: the R² of a least-squares regression of the
  headline gap on that quantity alone (with an intercept). For a categorical
  choice the regressors are indicators of its options, and the R² is the
  correlation ratio η² (between-option variance over total variance). With
  independent draws this estimates the first-order (main-effect) variance
  share where the gap is linear in the quantity, and a lower bound otherwise;
  the shares sum to at most about 1 (sampling noise can push them a little
  over), the rest being interactions and non-linearity.
* ``total_r2``: the R² of one regression of the gap on every quantity at once
  (categoricals as indicators): how much of the variance a linear model of all
  of them explains.

The headline is :func:`wfplan.runs.tornado.headline_gaps`: the funded gap
over every staff group in a year, in England and any area asked for.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from wfplan.model import Results
from wfplan.runs.tornado import headline_gaps

#: Columns of the variance-share table, one row per quantity and area.
VARIANCE_COLUMNS = ["scenario", "area", "year", "rank", "quantity", "share", "total_r2",
                    "draws"]
#: Fewest sampled draws for which shares are estimated.
MIN_DRAWS = 10


def _regressors(values: np.ndarray) -> np.ndarray:
    """``(N, k)`` regressors of one quantity: itself, or indicators of a choice's options."""
    if values.dtype != object:
        return values.astype(np.float64).reshape(-1, 1)
    options = sorted(set(values.tolist()))
    return np.column_stack([values == option for option in options[1:]]).astype(np.float64) \
        if len(options) > 1 else np.zeros((len(values), 1))


def r_squared(y: np.ndarray, x: np.ndarray) -> float:
    """R² of the least-squares regression of ``y`` on the columns of ``x`` and an intercept.

    NaN when ``y`` does not vary.
    """
    centred = y - y.mean()
    total = float(centred @ centred)
    if total <= 1e-12 * max(float(y @ y), 1.0):
        return float("nan")
    design = np.column_stack([np.ones(len(y)), x])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coefficients
    return float(min(max(1.0 - float(residual @ residual) / total, 0.0), 1.0))


def variance_shares(results: Results, year: int, areas: Sequence[str] = ()) -> pd.DataFrame:
    """Return each uncertain quantity's share of the headline gap's variance.

    Columns :data:`VARIANCE_COLUMNS`.

    Rows are by area (England first), quantities by share, largest first. Empty
    when the run has fewer than :data:`MIN_DRAWS` sampled draws or no uncertain quantity.
    """
    if results.n_draws < MIN_DRAWS or not results.sampled:
        return pd.DataFrame(columns=VARIANCE_COLUMNS)
    design = {key: _regressors(np.asarray(values)[1:])
              for key, values in sorted(results.sampled.items())}
    everything = np.hstack(list(design.values()))
    rows = []
    for area, gap in headline_gaps(results, year, areas).items():
        y = np.asarray(gap[1:], dtype=np.float64)
        total = r_squared(y, everything)
        shares = sorted(((r_squared(y, x), key) for key, x in design.items()),
                        key=lambda item: (-np.nan_to_num(item[0], nan=-1.0), item[1]))
        rows += [{"scenario": results.scenario, "area": area, "year": year, "rank": rank,
                  "quantity": key, "share": share, "total_r2": total,
                  "draws": results.n_draws}
                 for rank, (share, key) in enumerate(shares, start=1)]
    return pd.DataFrame(rows, columns=VARIANCE_COLUMNS)
