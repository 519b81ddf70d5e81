"""Supply calibration: census trends (other joiners = leavers + net change) or published rates.

The inputs may carry, for staff groups with no flows, a census trend per area
× staff group (``supply_trend_linear`` / ``supply_trend_log_linear``, growth a
year, with standard errors; ``supply_trend_points`` censuses per staff group).
The scenario parameter ``supply_calibration`` chooses per staff group:

- ``trend``: the stock follows the trend. With ``P(t)`` the trend path relative
  to the base (``1 + c t`` linear, floored at 0; ``exp(b t)`` log-linear) and
  ``r`` the base leaver rate (headcount-weighted over age bands), other joiners
  in year ``t`` are::

      J(t) = S0 x (r x P(t-1) + P(t) - P(t-1))          (at least 0)

  so that ``S(t) = S(t-1) - r S(t-1) + J(t) = S0 P(t)`` in expectation (exact
  when the leaver rate is the same at every age and the multipliers are 1).
  They replace the group's other joiners (which, with no flows, replace its
  leavers); the other routes are unchanged. Monte Carlo: each staff group draws
  one standard normal ``z`` a draw (its own stream, keyed ``supply_trend[GROUP]``;
  draw 0 has ``z = 0``), and every area's slope is ``slope + z x se`` (areas move
  together);
- ``published_rates``: the group's leaver rates are its published ones
  (``published_leaver_rate``, from the evidence library, the same in every area)
  in place of the rates the vintage gives; joiners are as in the inputs
  (observed flows; with no flows, other joiners = leavers at the library rate,
  which is the published rate, so the stock is still held). It must be the
  choice of every draw of the group (a choice of names mixing it is refused);
- ``no_change``: the inputs as they are (leaver rates as resolved, joiners as
  observed; with no flows, joiners replace leavers);
- ``auto`` (default): ``trend`` where the inputs carry a trend, else the inputs.

``supply_trend_form`` (``linear`` by default, or ``log_linear``) chooses the form.
"""

from __future__ import annotations

import numpy as np

from wfplan.model.assumptions import Assumption
from wfplan.model.errors import ScenarioError
from wfplan.model.inputs import ModelInputs
from wfplan.model.parameters import get_spec
from wfplan.model.uncertainty import Draws, parameter_rng

CALIBRATIONS = ("auto", "trend", "published_rates", "no_change")
FORMS = ("linear", "log_linear")


def group_categories(draws: Draws, name: str, staff_groups: tuple[str, ...]) -> np.ndarray:
    """``(Dp, staff_group)`` values of a per-group category parameter, as strings."""
    default = np.array([get_spec(name).default.value], dtype=object)
    columns = [np.asarray(draws.values.get(f"{name}[{group}]", draws.values.get(name, default)),
                          dtype=object) for group in staff_groups]
    width = max((len(column) for column in columns), default=1)
    return np.stack([np.broadcast_to(column, (width,)) for column in columns], axis=1)


def _check(values: np.ndarray, name: str, allowed: tuple[str, ...]) -> None:
    unknown = sorted({str(v) for v in values.ravel()} - set(allowed))
    if unknown:
        raise ScenarioError([f"parameters.{name}: {unknown} is not one of {', '.join(allowed)}"])


def published_mask(inputs: ModelInputs, draws: Draws) -> np.ndarray:
    """``(G,)`` whether each staff group uses its published leaver rates (every draw)."""
    groups = inputs.coords.staff_group
    choice = group_categories(draws, "supply_calibration", groups)
    _check(choice, "supply_calibration", CALIBRATIONS)
    published = choice == "published_rates"
    mixed = [group for g, group in enumerate(groups)
             if published[:, g].any() and not published[:, g].all()]
    if mixed:
        raise ScenarioError([f"parameters.supply_calibration: published_rates must be the choice "
                             f"of every draw, not one option of several (staff groups "
                             f"{', '.join(mixed)})"])
    return np.asarray(published[0], dtype=bool)


def leaver_rates(inputs: ModelInputs, draws: Draws) -> np.ndarray:
    """Return ``(A, G, K)`` base leaver rates, published ones in ``published_rates`` groups."""
    observed = inputs.array("leaver_rate")
    published = published_mask(inputs, draws)
    if not published.any():
        return observed
    return np.where(published[np.newaxis, :, np.newaxis],
                    inputs.array("published_leaver_rate")[np.newaxis], observed)


def _published_assumption(inputs: ModelInputs, group: str) -> Assumption:
    """Return the assumption naming ``group``'s published leaver rates and their source."""
    g = inputs.coords.staff_group.index(group)
    rates = inputs.array("published_leaver_rate")[g]
    value = float(rates[0]) if np.all(rates == rates[0]) else rates.tolist()
    why = (f"supply_calibration = published_rates for staff group {group}: these leaver rates "
           "(every area) replace the vintage's")
    given = inputs.published_leaver_rate_sources.get(group)
    if given is None:
        default = get_spec("published_leaver_rate").source
        return Assumption(name="published_leaver_rate", value=value,
                          reason=f"{why}; no source came with the inputs (the parameter "
                                 f"table's default where not given: {default})")
    return Assumption(name="published_leaver_rate", value=value, reason=why,
                      source=given.source, tier=given.tier)


def trend_mask(inputs: ModelInputs, draws: Draws, assumptions: list[Assumption]) -> np.ndarray:
    """``(Dp, G)`` whether each staff group follows its census trend, recording the choice."""
    groups = inputs.coords.staff_group
    choice = group_categories(draws, "supply_calibration", groups)
    _check(choice, "supply_calibration", CALIBRATIONS)
    available = inputs.array("supply_trend_points") >= 2
    mask = ((choice == "trend") | (choice == "auto")) & available[np.newaxis]
    as_inputs = [group for g, group in enumerate(groups)
                 if choice[0, g] == "auto" and not available[g]]
    if as_inputs:
        assumptions.append(Assumption(
            name="supply_calibration", value="auto: the inputs as they are",
            reason=f"no census trend in the inputs for staff groups {', '.join(as_inputs)} "
                   "(they have flows, or one census): observed flows, or joiners replacing "
                   "leavers"))
    for g, group in enumerate(groups):
        asked = str(choice[0, g])
        if asked == "trend" and not available[g]:
            used, why = "no_change", "trend asked for, but the inputs carry no census " \
                "trend (flows exist, or fewer than two censuses): the inputs as they are"
        elif mask[0, g]:
            used = "trend"
            why = (f"{'auto: ' if asked == 'auto' else ''}no flows; other joiners = leavers + "
                   f"the trend of {int(inputs.array('supply_trend_points')[g])} censuses")
        elif asked == "published_rates":
            used = asked
            why = ("published leaver rates (every area) in place of the vintage's; joiners as "
                   "in the inputs (observed flows, or joiners replacing leavers)")
        else:
            used = asked  # no_change
            why = "the inputs as they are (observed flows, or joiners replacing leavers)"
        if group not in as_inputs:
            assumptions.append(Assumption(name="supply_calibration", value=f"{group}: {used}",
                                          reason=why))
        if used == "published_rates":
            assumptions.append(_published_assumption(inputs, group))
    return mask


def _normals(draws: Draws, groups: tuple[str, ...]) -> np.ndarray:
    """``(D, G)`` standard normals, draw 0 = 0, one stream per staff group."""
    z = np.zeros((draws.total, len(groups)))
    if draws.n_draws:
        for g, group in enumerate(groups):
            z[1:, g] = parameter_rng(draws.seed, f"supply_trend[{group}]").standard_normal(
                draws.n_draws)
    return z


def _path(inputs: ModelInputs, draws: Draws, horizon: int, uncertain: bool) -> np.ndarray:
    """``(D, T+1, A, G)`` trend path relative to the base stock."""
    groups = inputs.coords.staff_group
    forms = group_categories(draws, "supply_trend_form", groups)
    _check(forms, "supply_trend_form", FORMS)
    z = _normals(draws, groups) if uncertain else np.zeros((1, len(groups)))
    t = np.arange(horizon + 1, dtype=float)[np.newaxis, :, np.newaxis, np.newaxis]
    paths = {}
    for form in FORMS:
        slope = (inputs.array(f"supply_trend_{form}")[np.newaxis]
                 + z[:, np.newaxis, :] * inputs.array(f"supply_trend_{form}_se")[np.newaxis])
        rate = slope[:, np.newaxis]  # (D, 1, A, G)
        paths[form] = np.exp(rate * t) if form == "log_linear" else np.maximum(1 + rate * t, 0)
    linear = (forms == "linear")[:, np.newaxis, np.newaxis, :]
    return np.where(linear, paths["linear"], paths["log_linear"])


def trend_joiners(inputs: ModelInputs, draws: Draws, mask: np.ndarray, horizon: int,
                  assumptions: list[Assumption]) -> np.ndarray:
    """``(D?, T+1, A, G)`` other joiners of the staff groups following their trend (else 0)."""
    stock = inputs.array("stock_hc")
    base = stock.sum(axis=2)
    rate = np.divide((stock * inputs.array("leaver_rate")).sum(axis=2), base,
                     out=np.zeros(base.shape), where=base > 0)
    ses = [inputs.array(f"supply_trend_{form}_se") for form in FORMS]
    uncertain = bool(draws.n_draws) and any(bool((se[:, mask.any(axis=0)] > 0).any())
                                            for se in ses)
    path = _path(inputs, draws, horizon, uncertain)
    flow = np.zeros_like(path)
    flow[:, 1:] = base * (rate * path[:, :-1] + path[:, 1:] - path[:, :-1])
    masked = mask[:, np.newaxis, np.newaxis, :]
    if ((flow < 0) & masked).any():
        assumptions.append(Assumption(
            name="supply_trend", value="joiners floored at 0",
            reason="a trend falling faster than the leaver rate would need negative joiners: "
                   "the stock then falls by its leavers only"))
    return np.where(masked, np.maximum(flow, 0.0), 0.0)
