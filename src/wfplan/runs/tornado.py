"""One-at-a-time sensitivity of a scenario's headline gap: the tornado.

Every uncertain quantity of a scenario (a parameter or an intervention amount
given as a distribution, docs/model.md "Uncertainty"), and optionally every
number the scenario sets, is moved to its low and then its high value, one at a
time, with every other quantity at its central value: each run is the principal
run (draw 0, ``draws = 0``) of the scenario with just that quantity fixed. The
headline is the funded gap (FTE) summed over every staff group of the run, in
England (the sum of the run's areas) and in any area asked for, in one year.

Low and high (:func:`quantities`):

* triangular and uniform: ``low`` and ``high``;
* normal: the mean ∓ 1.645 sd (its untruncated P5 and P95), kept within its
  ``low``/``high`` and the parameter's allowed range;
* numeric choice: the smallest and the largest option;
* categorical choice (``population_variant``): every option is run; low and high
  are the options that give the smallest and the largest England gap;
* a fixed number, when asked (``spread``): the number ∓ ``spread`` of itself,
  kept within the allowed range; a zero is left out (it has no scale).

The model runs on inputs built once (:func:`tornado` takes them), so each
point costs one principal run of the model; the points are independent and run
on any executor (:mod:`wfplan.runs.executor`), the inputs sent once to each
worker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wfplan.dataset import codelists
from wfplan.errors import InputError
from wfplan.model import (
    ModelInputError,
    ModelInputs,
    Results,
    Scenario,
    ScenarioError,
    parse_scenario,
    run,
)
from wfplan.model.distributions import Choice, Normal, Triangular, Uniform
from wfplan.model.interventions_spec import intervention_key
from wfplan.model.parameters import get_spec
from wfplan.runs.executor import Executor, InProcess, worker_threads
from wfplan.runs.project import with_overrides

ENGLAND = codelists.ENGLAND_CODE
#: z of the 5th and 95th percentiles of a normal distribution.
Z90 = 1.645
#: Columns of a tornado table, one row per quantity and area.
TORNADO_COLUMNS = ["scenario", "area", "year", "rank", "quantity", "kind", "central", "low",
                   "high", "gap_central", "gap_low", "gap_high", "swing"]


@dataclass(frozen=True)
class Quantity:
    """One quantity moved by the tornado, with the values it is moved to.

    Attributes
    ----------
    key
        Its name as in the draws: ``name``, ``name[staff_group]`` or
        ``interventions.<name>.amount``.
    kind
        How low and high were chosen (``triangular``, ``normal P5-P95``, ...).
    central
        The principal run's value.
    points
        The values run: low and high, or every option of a categorical choice.
    """

    key: str
    kind: str
    central: float | str
    points: tuple[float | str, ...]


def _intervention_field(scenario: Scenario, key: str) -> tuple[int, str, tuple[float, float]]:
    """Return the intervention, field and allowed range a quantity key names."""
    for index, item in enumerate(scenario.interventions):
        if intervention_key(index, item) == key:
            return index, "amount", type(item).amount_range
        for field, (_value, limits) in item.sampled_fields().items():
            if intervention_key(index, item, field) == key:
                return index, field, limits
    raise KeyError(key)


def _limits(scenario: Scenario, key: str) -> tuple[float, float]:
    if key.startswith("interventions."):
        return _intervention_field(scenario, key)[2]
    spec = get_spec(key.split("[")[0])
    return spec.minimum, spec.maximum


def _scenario_values(scenario: Scenario) -> Iterator[tuple[str, Any]]:
    for name, value in scenario.parameters.items():
        yield name, value
    for group, values in scenario.staff_group_parameters.items():
        for name, value in values.items():
            yield f"{name}[{group}]", value
    for index, item in enumerate(scenario.interventions):
        yield intervention_key(index, item), item.amount
        for field, (extra, _bounds) in item.sampled_fields().items():
            yield intervention_key(index, item, field), extra


def _clip(value: float, limits: tuple[float, float]) -> float:
    return float(min(max(value, limits[0]), limits[1]))


def _points(value: Any, limits: tuple[float, float],
            spread: float | None) -> tuple[str, tuple[float | str, ...]] | None:
    """How low and high are chosen for one value, and the values to run (None: not moved)."""
    if isinstance(value, Triangular | Uniform):
        return value.dist, (value.low, value.high)
    if isinstance(value, Normal):
        low, high = value.truncated_bounds(limits)
        return (f"normal P5-P95 (mean ∓ {Z90} sd)",
                (max(value.mean - Z90 * value.sd, low), min(value.mean + Z90 * value.sd, high)))
    if isinstance(value, Choice):
        if value.is_categorical:
            return "choice (every option)", tuple(value.options)
        numbers = [float(option) for option in value.options]
        return "choice (smallest and largest option)", (min(numbers), max(numbers))
    if spread is None or isinstance(value, str) or float(value) == 0:
        return None
    number = float(value)
    points = (_clip(number * (1 - spread), limits), _clip(number * (1 + spread), limits))
    return f"fixed ∓ {spread:.0%}", (min(points), max(points))


def quantities(scenario: Scenario, *, spread: float | None = None) -> list[Quantity]:
    """Return the quantities a tornado moves, sorted by key.

    ``spread`` (a fraction, e.g. 0.1) also moves every non-zero number the
    scenario sets by ∓ that share of itself; ``None`` moves only distributions.
    """
    out = []
    for key, value in sorted(_scenario_values(scenario), key=lambda item: item[0]):
        chosen = _points(value, _limits(scenario, key), spread)
        if chosen is None:
            continue
        central = value.central() if hasattr(value, "central") else float(value)
        out.append(Quantity(key, chosen[0], central, chosen[1]))
    return out


def with_value(scenario: Scenario, key: str, value: float | str) -> Scenario:
    """Return the principal-only scenario (``draws = 0``) with quantity ``key`` set to ``value``."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["draws"] = 0
    if key.startswith("interventions."):
        index, field, _range = _intervention_field(scenario, key)
        data["interventions"][index][field] = value
    elif "[" in key:
        name, group = key.rstrip("]").split("[")
        data["staff_group_parameters"][group][name] = value
    else:
        data["parameters"][key] = value
    try:
        return parse_scenario(data)
    except ScenarioError as error:
        raise InputError(f"scenario {scenario.name!r} with {key} = {value}: {error}") from None


def headline_gaps(results: Results, year: int, areas: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Return the funded gap (FTE) over every staff group in ``year``, per draw, by area.

    England (the sum of the run's areas) comes first, then each of ``areas``
    (codes of the run's areas). Each value is an array over draws 0..N.
    """
    if year not in results.years:
        raise InputError(f"year {year} is outside the projection ({results.years[0]} to "
                         f"{results.years[-1]})")
    unknown = [a for a in areas if a != ENGLAND and a not in results.areas]
    if unknown:
        shown = ", ".join(results.areas[:12]) + (", ..." if len(results.areas) > 12 else "")
        raise InputError(f"area {', '.join(unknown)} is not an area of the run at level "
                         f"{results.metadata.level!r} (areas: {shown}; or {ENGLAND})")
    gap = results.values("gap_fte")[:, year - results.base_year]  # (Dp, A, G)
    gap = np.broadcast_to(gap, (results.n_draws + 1, *gap.shape[1:]))
    out = {ENGLAND: gap.sum(axis=(1, 2))}
    for area in areas:
        if area != ENGLAND:
            out[area] = gap[:, results.areas.index(area)].sum(axis=1)
    return out


def _run(inputs: ModelInputs, scenario: Scenario, workers: int | None = None) -> Results:
    try:
        return run(inputs, scenario, workers=workers)
    except (ScenarioError, ModelInputError) as error:
        raise InputError(f"scenario {scenario.name!r}: {error}") from None


def _rows(item: Quantity, gaps: list[dict[str, float]], central: dict[str, float],
          year: int) -> list[dict[str, Any]]:
    """Tornado rows of one quantity (one per area) from the gaps at each of its points."""
    england = [g[ENGLAND] for g in gaps]
    if len(item.points) == 2:
        low, high = 0, 1
    else:  # categorical: the options giving the smallest and largest England gap
        low, high = int(np.argmin(england)), int(np.argmax(england))
    rows = []
    for area, middle in central.items():
        at_low, at_high = gaps[low][area], gaps[high][area]
        rows.append({"area": area, "year": year, "quantity": item.key, "kind": item.kind,
                     "central": str(item.central), "low": str(item.points[low]),
                     "high": str(item.points[high]), "gap_central": middle,
                     "gap_low": at_low, "gap_high": at_high,
                     "swing": abs(at_high - at_low)})
    return rows


def point_gaps(inputs: ModelInputs, job: tuple[Scenario, int, tuple[str, ...]]
               ) -> dict[str, float]:
    """Return the principal run's headline gap by area of one tornado point (an executor's job).

    ``job`` is the point's scenario (``draws = 0``), the year and the areas.
    """
    scenario, year, areas = job
    return {a: float(v[0]) for a, v in headline_gaps(_run(inputs, scenario, worker_threads()),
                                                      year, areas).items()}


def tornado(inputs: ModelInputs, scenario: Scenario, *, year: int | None = None,
            areas: Sequence[str] = (), spread: float | None = None,
            progress: Callable[[str], None] | None = None,
            executor: Executor | None = None) -> pd.DataFrame:
    """Return the tornado table of ``scenario`` on ``inputs`` (:data:`TORNADO_COLUMNS`).

    ``year`` defaults to the scenario's final year. Rows are by area (England
    first), each area's quantities sorted by swing, largest first (``rank`` 1).
    The points run on ``executor`` (default: in this process, one after
    another); each is a principal run, so the table is the same on any.
    """
    chosen = inputs.base_year + scenario.horizon if year is None else year
    note = progress or (lambda _text: None)
    items = quantities(scenario, spread=spread)
    shown = tuple(areas)
    jobs = [(with_overrides(scenario, draws=0), chosen, shown)]
    labels = ["principal run"]
    for item in items:
        for point in item.points:
            jobs.append((with_value(scenario, item.key, point), chosen, shown))
            labels.append(f"{item.key} = {point}")
    note(labels[0])

    def done(count: int, total: int) -> None:
        if count < total:
            note(labels[count])

    gaps = (executor or InProcess()).map(point_gaps, jobs, inputs, done)
    base, rows, at = gaps[0], [], 1
    for item in items:
        rows += _rows(item, gaps[at:at + len(item.points)], base, chosen)
        at += len(item.points)
    frame = pd.DataFrame(rows, columns=[c for c in TORNADO_COLUMNS if c not in ("scenario",
                                                                                 "rank")])
    return rank_rows(frame.assign(scenario=scenario.name), list(base))


def rank_rows(frame: pd.DataFrame, areas: Sequence[str]) -> pd.DataFrame:
    """Sort each area's rows by swing (largest first, ties by name) and number them."""
    parts = []
    for area in areas:
        part = frame[frame["area"] == area].sort_values(["swing", "quantity"],
                                                        ascending=[False, True], kind="stable")
        parts.append(part.assign(rank=np.arange(1, len(part) + 1)))
    if not parts:
        return pd.DataFrame(columns=TORNADO_COLUMNS)
    return pd.concat(parts, ignore_index=True)[TORNADO_COLUMNS]
