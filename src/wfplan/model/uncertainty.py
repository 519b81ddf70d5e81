"""Monte Carlo draws of uncertain parameters, and summary statistics over draws.

Draw 0 is the principal run: every parameter at its central value. Draws 1..N
are sampled. Each uncertain quantity has its own random stream: a
``numpy.random.Generator(PCG64)`` seeded by ``SeedSequence(seed, spawn_key=K)``
where ``K`` is derived from the quantity's name (SHA-256). So the same scenario
and seed always give bit-identical draws, and adding, removing or reordering one
uncertain parameter never changes the draws of another.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from wfplan.model.distributions import Choice, Normal, Triangular, Uniform
from wfplan.model.interventions_spec import intervention_key
from wfplan.model.parameters import get_spec
from wfplan.model.percentiles import percentiles_over_draws
from wfplan.model.scenario import Scenario

STATISTICS = ("principal", "p5", "p50", "p95")
PERCENTILES = (5.0, 50.0, 95.0)
_DISTRIBUTIONS = (Triangular, Normal, Uniform, Choice)


def parameter_rng(seed: int, key: str) -> np.random.Generator:
    """Random generator for one named quantity, independent of every other name."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    spawn_key = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    sequence = np.random.SeedSequence(seed, spawn_key=spawn_key)
    return np.random.Generator(np.random.PCG64(sequence))


@dataclass(frozen=True)
class Draws:
    """Values of every scenario quantity for each draw.

    Attributes
    ----------
    n_draws
        Sampled draws N; arrays of uncertain quantities have N + 1 entries (draw 0
        is principal), fixed quantities have 1.
    seed
        The scenario seed.
    values
        Key -> array. Keys are parameter names, ``name[staff_group]`` for
        per-group values and ``interventions.<name>.amount``.
    uncertain
        Keys given as distributions, sorted.
    """

    n_draws: int
    seed: int
    values: Mapping[str, np.ndarray]
    uncertain: tuple[str, ...]

    @property
    def total(self) -> int:
        """Number of draws including the principal (N + 1)."""
        return self.n_draws + 1


def _scenario_quantities(scenario: Scenario) -> Iterator[tuple[str, Any, tuple[float, float]]]:
    for name, value in scenario.parameters.items():
        spec = get_spec(name)
        yield name, value, (spec.minimum, spec.maximum)
    for group, values in scenario.staff_group_parameters.items():
        for name, value in values.items():
            spec = get_spec(name)
            yield f"{name}[{group}]", value, (spec.minimum, spec.maximum)
    for index, item in enumerate(scenario.interventions):
        yield intervention_key(index, item), item.amount, type(item).amount_range
        for field, (extra, bounds) in item.sampled_fields().items():
            yield intervention_key(index, item, field), extra, bounds


def sample_draws(scenario: Scenario) -> Draws:
    """Sample every uncertain quantity of ``scenario`` (principal value first)."""
    n_draws = scenario.draws
    values: dict[str, np.ndarray] = {}
    uncertain = []
    for key, value, limits in sorted(_scenario_quantities(scenario), key=lambda item: item[0]):
        if isinstance(value, _DISTRIBUTIONS):
            categorical = isinstance(value, Choice) and value.is_categorical
            array = np.empty(n_draws + 1, dtype=object if categorical else np.float64)
            array[0] = value.central()
            if n_draws:
                array[1:] = value.sample(parameter_rng(scenario.seed, key), n_draws, limits)
            if n_draws:
                uncertain.append(key)
            values[key] = array
        else:
            values[key] = np.array([value], dtype=object if isinstance(value, str) else np.float64)
    return Draws(n_draws, scenario.seed, values, tuple(uncertain))


def group_values(draws: Draws, name: str, staff_groups: Sequence[str]) -> np.ndarray:
    """``(Dp, staff_group)`` values of a numeric parameter; Dp is 1 unless it is uncertain.

    A per-group value wins over the scenario-wide value, which wins over the
    parameter table default.
    """
    default = np.array([get_spec(name).default_value])
    columns = []
    for group in staff_groups:
        value = draws.values.get(f"{name}[{group}]", draws.values.get(name, default))
        columns.append(np.asarray(value, dtype=np.float64))
    width = max(len(column) for column in columns)
    return np.stack([np.broadcast_to(column, (width,)) for column in columns], axis=1)


def category_values(draws: Draws, name: str) -> np.ndarray:
    """Per-draw values of a categorical (scenario-wide) parameter, as strings."""
    default = np.array([get_spec(name).default.value], dtype=object)
    return np.asarray(draws.values.get(name, default), dtype=object)


def draw_statistics(values: np.ndarray, n_draws: int, *, workers: int | None = None) -> np.ndarray:
    """Principal, P5, P50 and P95 over the draw axis (axis 0).

    Percentiles are taken over draws 1..N, or over draw 0 alone when N = 0. A
    leading axis of length 1 means the value is the same in every draw. They equal
    ``np.percentile(..., method="linear")`` bit for bit
    (:func:`~wfplan.model.percentiles.percentiles_over_draws`), on ``workers``
    threads (default: the CPUs available).
    """
    out = np.empty((len(STATISTICS), *values.shape[1:]), dtype=np.float64)
    out[0] = values[0]
    if values.shape[0] == 1:
        out[1:] = values[0]
        return out
    sampled = values[1:] if n_draws > 0 else values[:1]
    percentiles_over_draws(sampled, PERCENTILES, out[1:], workers=workers)
    return out
