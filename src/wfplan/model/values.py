"""Parsing and range-checking scenario values: numbers, names and distributions."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from wfplan.model.distributions import (
    MIN_TRUNCATED_MASS,
    Choice,
    Distribution,
    Normal,
    Triangular,
    Uniform,
)

_DISTRIBUTION: TypeAdapter[Any] = TypeAdapter(Distribution)
Value = float | str | Triangular | Normal | Uniform | Choice


def format_location(location: tuple[str | int, ...]) -> str:
    """Write a pydantic error location as ``a.b[0].c``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _distribution(value: Mapping[str, Any]) -> Value:
    try:
        return _DISTRIBUTION.validate_python(dict(value))
    except ValidationError as error:
        problems = []
        for item in error.errors():
            # drop the tag level pydantic adds for a discriminated union
            location = tuple(part for part in item["loc"] if part != value.get("dist"))
            where = format_location(location)
            message = item["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {message}" if where else message)
        raise ValueError("; ".join(problems)) from None


def parse_value(value: object) -> Value:
    """Parse a parameter value: a number, a category name or a distribution table."""
    if isinstance(value, BaseModel):
        if isinstance(value, Triangular | Normal | Uniform | Choice):
            return value
        raise ValueError("must be a number, a name or a {dist = ...} table")
    if isinstance(value, bool):
        raise ValueError("must be a number, a name or a {dist = ...} table, not true/false")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        if "dist" not in value:
            raise ValueError(
                "a table value needs dist = 'triangular', 'normal', 'uniform' or 'choice'"
            )
        return _distribution(value)
    raise ValueError("must be a number, a name or a {dist = ...} table")


def parse_number_or_distribution(value: object) -> float | Triangular | Normal | Uniform:
    """Parse an intervention amount: a number or a numeric, continuous distribution."""
    parsed = parse_value(value)
    if isinstance(parsed, str | Choice):
        raise ValueError("must be a number or a triangular, normal or uniform distribution")
    return parsed


def check_number_or_distribution(value: Value, limits: tuple[float, float]) -> str | None:
    """Return why ``value`` falls outside ``limits``, or None if it fits."""
    low, high = limits
    if isinstance(value, str):
        return "must be a number or a distribution, not a name"
    if isinstance(value, float):
        if value < low:
            return f"= {value:g} is below the minimum {low:g}"
        if value > high:
            return f"= {value:g} is above the maximum {high:g}"
        return None
    if isinstance(value, Choice) and value.is_categorical:
        return "must be numeric, not a choice of names"
    if isinstance(value, Normal):
        if not low <= value.mean <= high:
            return f"normal mean {value.mean:g} is outside the allowed range {low:g} to {high:g}"
        if value.inside_mass(limits) < MIN_TRUNCATED_MASS:
            return "normal truncation interval holds almost none of the distribution"
        return None
    dist_low, dist_high = value.bounds()
    if dist_low < low or dist_high > high:
        return (
            f"{value.dist} range {dist_low:g} to {dist_high:g} is outside "
            f"the allowed range {low:g} to {high:g}"
        )
    return None


def check_category(value: Value) -> str | None:
    """Return why ``value`` is not a category name or a choice of names, or None."""
    if isinstance(value, str):
        return None
    if isinstance(value, Choice) and value.is_categorical:
        return None
    return "is a category: give a name or a choice of names"
