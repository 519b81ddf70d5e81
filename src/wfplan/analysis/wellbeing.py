"""How staff-survey burnout relates to sickness absence across NHS trusts (docs/wellbeing.md).

From one vintage: each NHS trust's share of staff survey respondents who said
they were burnt out because of work, pooled over the survey years (each year
weighted by its respondents), against its sickness absence rate (FTE days lost
÷ FTE days available) over the 12 months to the latest sickness month. Trusts
are joined by organisation code; both sides are read through the same queries
as ``wfplan metrics`` (:mod:`wfplan.dataset.store.queries.metrics`, level
``org``, sector ``nhs_trust``).

The estimate is an ordinary least-squares line across trusts, one trust one
point (not weighted by size: the question is how trusts differ, and a size
weight lets a few large trusts decide it), with a heteroskedasticity-robust
(HC1) standard error and a large-sample normal 95% interval. Two checks are
reported beside it: the line weighted by FTE days available, and the line
without influential trusts (Cook's distance above 4 / n). It is an
association across trusts, not the effect of changing burnout in one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from statistics import NormalDist

import numpy as np
import pandas as pd

from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import metrics as sums

#: Two-sided level of the reported interval.
LEVEL = 0.95
#: Sector of the organisations compared.
SECTOR = "nhs_trust"


class NoWellbeingData(ValueError):
    """The vintage lacks what the estimate needs (staff survey burnout, sickness absence)."""


@dataclass(frozen=True)
class Line:
    """A fitted line ``y = intercept + slope x`` with its robust standard error.

    Attributes
    ----------
    slope, intercept : float
        Percentage points of sickness absence per percentage point of burnout,
        and the sickness rate (%) at no burnout.
    se : float
        HC1 heteroskedasticity-robust standard error of the slope.
    low, high : float
        The 95% interval of the slope (``slope -/+ 1.96 se``).
    n : int
        Trusts in the fit.
    """

    slope: float
    intercept: float
    se: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class BurnoutSickness:
    """The estimate, its data and its checks.

    Attributes
    ----------
    vintage : str
        The vintage read.
    survey_years : tuple of int
        First and last staff survey years pooled.
    sickness_months : tuple of date
        First and last sickness absence months (12 months to the latest).
    fit : Line
        The estimate: unweighted OLS across trusts, HC1 standard error.
    weighted : Line
        The same line weighted by FTE days available.
    trimmed : Line
        The line without the influential trusts in ``excluded``.
    excluded : tuple of str
        Trusts whose Cook's distance exceeds 4 / n.
    correlation : float
        Pearson correlation across trusts.
    mean_burnout : float
        Respondent-weighted share burnt out over the trusts (0 to 1).
    mean_sickness : float
        FTE days lost ÷ FTE days available over the trusts (0 to 1).
    points : pandas.DataFrame
        One row per trust: ``org_code``, ``burnout_pct``, ``sickness_pct``,
        ``respondents``, ``days_available``.
    """

    vintage: str
    survey_years: tuple[int, int]
    sickness_months: tuple[date, date]
    fit: Line
    weighted: Line
    trimmed: Line
    excluded: tuple[str, ...]
    correlation: float
    mean_burnout: float
    mean_sickness: float
    points: pd.DataFrame


def _z() -> float:
    return NormalDist().inv_cdf(0.5 + LEVEL / 2)


def fit_line(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> Line:
    """Least squares of ``y`` on ``x`` (weighted by ``weights``) with an HC1 standard error.

    Raises
    ------
    ValueError
        With fewer than three points or no spread in ``x``.
    """
    n = len(x)
    if n < 3 or float(np.ptp(x)) == 0.0:
        raise ValueError(f"a line needs at least 3 points with different x (got {n})")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    design = np.column_stack([np.ones(n), x])
    bread = np.linalg.inv(design.T @ (w[:, None] * design))
    beta = bread @ design.T @ (w * y)
    resid = y - design @ beta
    scores = design * (w * resid)[:, np.newaxis]
    meat = scores.T @ scores
    cov = bread @ meat @ bread * n / (n - 2)
    se = float(np.sqrt(cov[1, 1]))
    slope = float(beta[1])
    return Line(slope=slope, intercept=float(beta[0]), se=se, low=slope - _z() * se,
                high=slope + _z() * se, n=n)


def cooks_distance(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cook's distance of each point of the unweighted line of ``y`` on ``x``."""
    design = np.column_stack([np.ones(len(x)), x])
    hat = design @ np.linalg.inv(design.T @ design) @ design.T
    leverage = np.diag(hat)
    resid = y - hat @ y
    mse = float(resid @ resid) / (len(x) - 2)
    distance: np.ndarray = resid**2 / (2 * mse) * leverage / (1 - leverage) ** 2
    return distance


def trust_points(store: Store, vintage: str) -> tuple[pd.DataFrame, tuple[int, int],
                                                       tuple[date, date]]:
    """Return each trust's pooled burnout and its sickness rate, joined by organisation code.

    Raises
    ------
    NoWellbeingData
        Without burnout in the staff survey or without sickness absence.
    """
    years = sums.survey_years(store, vintage)
    if not years:
        raise NoWellbeingData(f"vintage {vintage!r} has no staff survey burned_out rows")
    latest = sums.sickness_latest(store, vintage)
    if latest is None:
        raise NoWellbeingData(f"vintage {vintage!r} has no all-staff sickness absence rows")
    sel = sums.AreaSelection(vintage=vintage, level="org", at=latest, sector=SECTOR)
    sick = sums.sickness_sums(store, sel)
    burn = sums.burnout_pooled_sums(store, sel, years[0], years[-1])
    joined = sick.merge(burn, on="area_code", how="inner")
    joined = joined[(joined["days_available"] > 0) & (joined["base"] > 0)]
    if joined.empty:
        raise NoWellbeingData(f"vintage {vintage!r}: no NHS trust has both staff survey "
                              "burnout and sickness absence")
    months = (pd.Timestamp(sick["sick_first"].min()).date(),
              pd.Timestamp(sick["sick_last"].max()).date())
    points = pd.DataFrame({
        "org_code": joined["area_code"].astype(str),
        "burnout_pct": 100.0 * joined["burned"].astype(float) / joined["base"].astype(float),
        "sickness_pct": 100.0 * joined["days_lost"].astype(float)
        / joined["days_available"].astype(float),
        "respondents": joined["base"].astype(float),
        "days_available": joined["days_available"].astype(float),
        "days_lost": joined["days_lost"].astype(float),
    }).sort_values("org_code", ignore_index=True)
    return points, (years[0], years[-1]), months


def estimate(store: Store, vintage: str) -> BurnoutSickness:
    """Estimate how sickness absence rises with burnout across the vintage's NHS trusts.

    Raises
    ------
    NoWellbeingData
        When the vintage lacks either side, or fewer than three trusts have both.
    """
    points, years, months = trust_points(store, vintage)
    x = points["burnout_pct"].to_numpy()
    y = points["sickness_pct"].to_numpy()
    try:
        fit = fit_line(x, y)
    except ValueError as error:
        raise NoWellbeingData(f"vintage {vintage!r}: {error}") from None
    weighted = fit_line(x, y, points["days_available"].to_numpy())
    influential = cooks_distance(x, y) > 4 / len(x)
    kept = ~influential
    trimmed = fit_line(x[kept], y[kept])
    return BurnoutSickness(
        vintage=vintage, survey_years=years, sickness_months=months, fit=fit,
        weighted=weighted, trimmed=trimmed,
        excluded=tuple(points.loc[influential, "org_code"]),
        correlation=float(np.corrcoef(x, y)[0, 1]),
        mean_burnout=float((points["burnout_pct"] * points["respondents"]).sum()
                           / points["respondents"].sum() / 100.0),
        mean_sickness=float(points["days_lost"].sum() / points["days_available"].sum()),
        points=points,
    )
