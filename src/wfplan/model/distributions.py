"""Distributions for uncertain parameters, and how to sample them.

A parameter or an intervention amount may be given as a table with a ``dist``
key instead of a number::

    {dist = "triangular", low = 0.015, mode = 0.0175, high = 0.02}
    {dist = "normal", mean = 1.0, sd = 0.05}            # optional low / high
    {dist = "uniform", low = 0.9, high = 1.1}
    {dist = "choice", options = ["principal", "high", "low"],
     weights = [0.5, 0.25, 0.25], central = "principal"}

The principal run (draw 0) uses :meth:`central`: the mode, the mean, the
midpoint, or the ``central`` option.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from statistics import NormalDist
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Smallest acceptable chance that a truncated normal draw falls inside its bounds.
MIN_TRUNCATED_MASS = 1e-3


class _Distribution(BaseModel, ABC):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @abstractmethod
    def bounds(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can take."""

    @abstractmethod
    def central(self) -> float | str:
        """Value used by the principal run (draw 0)."""

    @abstractmethod
    def sample(
        self, rng: np.random.Generator, size: int, limits: tuple[float, float]
    ) -> np.ndarray:
        """Draw ``size`` values; ``limits`` is the parameter's allowed range."""


class Triangular(_Distribution):
    """Triangular distribution between ``low`` and ``high`` peaking at ``mode``."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low >= self.high:
            raise ValueError("triangular needs low <= mode <= high and low < high")
        return self

    def bounds(self) -> tuple[float, float]:  # noqa: D102
        return self.low, self.high

    def central(self) -> float:  # noqa: D102
        return self.mode

    def sample(  # noqa: D102
        self, rng: np.random.Generator, size: int, limits: tuple[float, float]
    ) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, size)


class Normal(_Distribution):
    """Normal distribution, truncated to ``[low, high]`` and the parameter's range."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Normal:
        low, high = self.bounds()
        if not low < high:
            raise ValueError("normal truncation needs low < high")
        if not low <= self.mean <= high:
            raise ValueError("normal mean must lie between low and high")
        return self

    def bounds(self) -> tuple[float, float]:  # noqa: D102
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        return low, high

    def central(self) -> float:  # noqa: D102
        return self.mean

    def truncated_bounds(self, limits: tuple[float, float]) -> tuple[float, float]:
        """Return the truncation interval: ``low``/``high`` within the parameter's range."""
        low, high = self.bounds()
        return max(low, limits[0]), min(high, limits[1])

    def inside_mass(self, limits: tuple[float, float]) -> float:
        """Probability that an untruncated draw lies inside the truncation interval."""
        low, high = self.truncated_bounds(limits)
        normal = NormalDist(self.mean, self.sd)
        return normal.cdf(high) - normal.cdf(low)

    def sample(  # noqa: D102
        self, rng: np.random.Generator, size: int, limits: tuple[float, float]
    ) -> np.ndarray:
        low, high = self.truncated_bounds(limits)
        values = rng.normal(self.mean, self.sd, size)
        outside = (values < low) | (values > high)
        # Rejection sampling: redraw the values outside, in order, until none are.
        while outside.any():
            values[outside] = rng.normal(self.mean, self.sd, int(outside.sum()))
            outside = (values < low) | (values > high)
        return values


class Uniform(_Distribution):
    """Uniform distribution on ``[low, high)``."""

    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError("uniform needs low < high")
        return self

    def bounds(self) -> tuple[float, float]:  # noqa: D102
        return self.low, self.high

    def central(self) -> float:  # noqa: D102
        return (self.low + self.high) / 2

    def sample(  # noqa: D102
        self, rng: np.random.Generator, size: int, limits: tuple[float, float]
    ) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


class Choice(_Distribution):
    """A discrete choice among options (numbers or category names), with weights."""

    dist: Literal["choice"]
    options: list[float | str] = Field(min_length=1)
    weights: list[float] | None = None
    central_option: float | str = Field(alias="central")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _consistent(self) -> Choice:
        kinds = {isinstance(option, str) for option in self.options}
        if len(kinds) > 1:
            raise ValueError("choice options must be all numbers or all names")
        if len(set(self.options)) != len(self.options):
            raise ValueError("choice options must be distinct")
        if self.central_option not in self.options:
            raise ValueError(f"choice central {self.central_option!r} is not one of the options")
        if self.weights is not None:
            if len(self.weights) != len(self.options):
                raise ValueError("choice needs one weight per option")
            if min(self.weights) < 0 or not math.isclose(sum(self.weights), 1.0, abs_tol=1e-9):
                raise ValueError("choice weights must be non-negative and sum to 1")
        return self

    @property
    def is_categorical(self) -> bool:
        """Whether the options are category names."""
        return isinstance(self.options[0], str)

    def probabilities(self) -> np.ndarray:
        """Weights as an array (equal weights when none were given)."""
        if self.weights is None:
            return np.full(len(self.options), 1 / len(self.options))
        return np.asarray(self.weights, dtype=np.float64)

    def bounds(self) -> tuple[float, float]:  # noqa: D102
        if self.is_categorical:
            return -math.inf, math.inf
        numbers = [float(option) for option in self.options]
        return min(numbers), max(numbers)

    def central(self) -> float | str:  # noqa: D102
        return self.central_option

    def sample(  # noqa: D102
        self, rng: np.random.Generator, size: int, limits: tuple[float, float]
    ) -> np.ndarray:
        picks = rng.choice(len(self.options), size=size, p=self.probabilities())
        return np.asarray(self.options, dtype=object if self.is_categorical else np.float64)[picks]


Distribution = Annotated[Triangular | Normal | Uniform | Choice, Field(discriminator="dist")]
