"""Calibration from census series: the net change of staff groups that have no flows.

When a vintage has several censuses of staff in post but no flows for a staff
group (the PCN, GP practice and HCHS publications), its stock would otherwise
be held steady. :func:`read_trend` estimates, per area × staff group, the
trend of FTE (each row's FTE, else its headcount) over the censuses up to
the base period (the last ``censuses`` of them; all by default), placing
organisations as at the base period:

- **log-linear**: OLS of ``log FTE`` on time in years; the slope ``b`` is the
  continuous growth a year (``exp(b) − 1`` a year), with its standard error;
- **linear**: OLS of FTE on time in years; the slope ÷ the base FTE is the
  growth a year as a share of the base (a straight line), with its standard
  error.

Censuses where a cell has no staff are left out of its fit (a log needs a
positive value). Three points or more give a standard error; two give the
interval growth with no standard error (0, recorded). A cell with fewer than
two points takes the staff group's pooled trend (the fit of its total over the
areas), else no change; each fallback is recorded as an assumption. Only staff
groups with no flows are calibrated (where flows exist they are the better
evidence); the model's ``supply_calibration`` parameter chooses per staff
group whether the trend is used (see ``docs/model.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from wfplan.dataset.store.queries import model_inputs as queries
from wfplan.inputs.source import Assumptions, Selection, pivot, years_between
from wfplan.inputs.stock import Stock

#: Staff groups whose growth in the published series is policy-funded expansion.
POLICY_DRIVEN = {
    "pc_direct_patient_care": "Additional Roles Reimbursement Scheme (ARRS)",
    "pc_admin": "Additional Roles Reimbursement Scheme (ARRS) and PCN set-up",
    "pc_directors": "PCN set-up (Network Contract DES, from July 2019)",
}
FORMS = ("log_linear", "linear")


@dataclass(frozen=True)
class Trend:
    """Trend estimates ``[area, staff_group]`` by form, and points ``[staff_group]``.

    ``slope[form]`` and ``se[form]`` are growth a year (log-linear: continuous
    rate; linear: share of the base FTE); ``points`` is the number of censuses
    in each staff group's pooled series (0 where the group is not calibrated).
    """

    slope: dict[str, np.ndarray]
    se: dict[str, np.ndarray]
    points: np.ndarray
    censuses: tuple[date, ...]


def no_trend(stock: Stock) -> Trend:
    """Return a trend of zeros: no staff group calibrated."""
    zeros = np.zeros(stock.headcount.shape[:2])
    return Trend(dict.fromkeys(FORMS, zeros), dict.fromkeys(FORMS, zeros),
                 np.zeros(len(stock.staff_groups)), ())


def census_series(selection: Selection, labels: dict[str, tuple[str, ...]],
                  periods: list[date]) -> np.ndarray:
    """Return ``[census, area, staff_group]`` FTE (a row's headcount where it has no FTE).

    Organisations are placed as at the base period.
    """
    out = []
    for when in periods:
        # each row's FTE, else its headcount (the query of the comparability check)
        frame = queries.staff_at_two_censuses(selection.store, selection.scope, when, when)
        frame["value"] = frame["at_start"].astype("float64").fillna(0.0)
        out.append(pivot(frame, "value", ["area", "staff_group"], None, labels))
    shape = (0, len(labels["area"]), len(labels["staff_group"]))
    return np.stack(out) if out else np.zeros(shape)


def ols(times: np.ndarray, values: np.ndarray, used: np.ndarray
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slope, its standard error and the number of points of OLS fits along axis 0.

    ``times`` is ``(N,)``; ``values`` and ``used`` (which points count) are
    ``(N, ...)``. Fewer than two points give NaN; two give the slope with SE 0.
    """
    shape = (len(times),) + (1,) * (values.ndim - 1)
    t = np.broadcast_to(times.reshape(shape), values.shape)
    w = used.astype(float)
    n = w.sum(axis=0)
    safe = np.maximum(n, 1.0)
    t_mean = (w * t).sum(axis=0) / safe
    y_mean = (w * np.where(used, values, 0.0)).sum(axis=0) / safe
    dt = np.where(used, t - t_mean, 0.0)
    dy = np.where(used, values - y_mean, 0.0)
    sxx = (dt * dt).sum(axis=0)
    ok = (n >= 2) & (sxx > 0)
    slope = np.divide((dt * dy).sum(axis=0), sxx, out=np.full(n.shape, np.nan), where=ok)
    residual = np.where(used, dy - np.nan_to_num(slope) * dt, 0.0)
    variance = np.divide((residual * residual).sum(axis=0), n - 2,
                         out=np.zeros(n.shape), where=n > 2)
    se = np.sqrt(np.divide(variance, sxx, out=np.zeros(n.shape), where=ok))
    return slope, np.where(ok, se, np.nan), np.where(ok, n, 0.0)


def _fit(times: np.ndarray, series: np.ndarray, base: np.ndarray, form: str
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    positive = series > 0
    if form == "log_linear":
        values = np.log(np.where(positive, series, 1.0))
        return ols(times, values, positive)
    slope, se, n = ols(times, series, positive)
    return (np.divide(slope, base, out=np.full(base.shape, np.nan), where=base > 0),
            np.divide(se, base, out=np.full(base.shape, np.nan), where=base > 0), n)


def fit_trend(times: np.ndarray, series: np.ndarray, form: str
              ) -> tuple[np.ndarray, np.ndarray]:
    """Slope and standard error of ``series`` (``(N, ...)``, the base last) in one form.

    NaN where a cell has fewer than two censuses with staff (no fallback here).
    """
    slope, se, _ = _fit(times, series, series[-1], form)
    return slope, se


def _estimate(times: np.ndarray, series: np.ndarray, form: str, calibrated: np.ndarray,
              groups: tuple[str, ...], assumptions: Assumptions) -> tuple[np.ndarray, np.ndarray]:
    """Cell slopes and SEs, with the pooled, then no-change, fallbacks recorded."""
    base = series[-1]
    slope, se, n = _fit(times, series, base, form)
    pooled, pooled_se, _ = _fit(times, series.sum(axis=1), base.sum(axis=0), form)
    staffed = base > 0
    lacking = staffed & np.isnan(slope) & calibrated[np.newaxis]
    use_pool = lacking & ~np.isnan(pooled)[np.newaxis]
    slope = np.where(use_pool, pooled[np.newaxis], slope)
    se = np.where(use_pool, pooled_se[np.newaxis], se)
    if use_pool.any():
        assumptions.add("supply_trend", f"{form}: staff group's pooled trend",
                        f"{int(use_pool.sum())} area x staff group cells have fewer than two "
                        "censuses with staff: the trend of the staff group's total is used")
    none = lacking & ~use_pool
    if none.any():
        assumptions.add("supply_trend", f"{form}: no change",
                        f"{int(none.sum())} area x staff group cells with no trend (fewer than "
                        "two censuses with staff, for the cell and its staff group): held steady")
    two = calibrated & (n.max(axis=0) == 2)
    if two.any() and form == FORMS[0]:
        names = ", ".join(g for g, flag in zip(groups, two, strict=True) if flag)
        assumptions.add("supply_trend_se", 0.0,
                        f"staff groups {names}: two censuses give the interval growth with no "
                        "standard error, so the trend adds no uncertainty")
    keep = calibrated[np.newaxis] & staffed
    return (np.where(keep, np.nan_to_num(slope), 0.0),
            np.where(keep, np.nan_to_num(se), 0.0))


def read_trend(selection: Selection, stock: Stock, steady: frozenset[str],
               assumptions: Assumptions, censuses: int | None = None) -> Trend | None:
    """Estimate the census trends of the staff groups in ``steady``; see the module notes.

    Returns None when no staff group is calibrated (no steady group, or fewer
    than two censuses up to the base period).
    """
    periods = queries.staff_in_post_periods(selection.store, selection.vintage, selection.period)
    if censuses is not None:
        periods = periods[-max(censuses, 2):]
    calibrated = np.array([group in steady for group in stock.staff_groups])
    if len(periods) < 2 or not calibrated.any():
        return None
    series = census_series(selection, stock.labels, periods)
    times = np.array([-years_between(p, selection.period) for p in periods])
    slopes, ses = {}, {}
    for form in FORMS:
        slopes[form], ses[form] = _estimate(times, series, form, calibrated,
                                            stock.staff_groups, assumptions)
    points = np.where(calibrated, (series.sum(axis=1) > 0).sum(axis=0), 0).astype(float)
    points = np.where(points >= 2, points, 0.0)
    _record(stock.staff_groups, points, periods, assumptions)
    return Trend(slopes, ses, points, tuple(periods))


def _record(groups: tuple[str, ...], points: np.ndarray, periods: list[date],
            assumptions: Assumptions) -> None:
    span = f"{periods[0].isoformat()} to {periods[-1].isoformat()}"
    for group, n in zip(groups, points, strict=True):
        if n < 2:
            continue
        assumptions.add("supply_trend", f"{group}: {int(n)} censuses {span}",
                        "no flows: the census trend is estimated for the supply_calibration "
                        "parameter (trend by default)")
        if group in POLICY_DRIVEN:
            assumptions.add("policy-driven expansion", group,
                            f"the growth of {group} in the series is policy-funded: "
                            f"{POLICY_DRIVEN[group]}; a trend continues it as if the policy "
                            "and its funding continued")
