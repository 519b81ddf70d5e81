"""The sweep file: which scenario variants ``wfplan sweep`` runs, validated by pydantic.

A sweep file (TOML, docs/sweep.md) names the scenarios, the quantities to vary
(a parameter, ``name[staff_group]`` or ``interventions.<name>.amount``) with
their values, and the design: every combination of the values (``grid``), or
a seeded random sample of ``samples`` points (``sample``). Each point is run
with every scenario: a variant is one scenario with one point's values. Every
problem is reported with the file, the key and the rule, never a traceback.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wfplan.dataset import codelists
from wfplan.errors import InputError
from wfplan.model.parameters import get_spec, specs_of_kind
from wfplan.model.values import format_location

#: The most variants one sweep may run (a planner's sweep, not a denial of service).
MAX_VARIANTS = 100_000
#: Words of the sample's SeedSequence spawn key: the sample is drawn apart from every variant.
SAMPLE_KEY = (0x5A3B1E,)
Value = float | str
#: Units that are not summed over areas and staff groups (a sweep collects sums).
RATIO_UNITS = ("%", "fraction", "GBP per FTE")


def additive_variables() -> tuple[str, ...]:
    """Return the model variables a sweep may collect: those that add up (FTE, headcount, GBP)."""
    return tuple(s.name for s in specs_of_kind("variable") if s.unit not in RATIO_UNITS)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Quantity(_Strict):
    """One quantity varied by the sweep and the values it takes."""

    key: str = Field(min_length=1)
    values: list[Value] | None = Field(default=None, min_length=1)
    low: float | None = None
    high: float | None = None
    steps: int | None = Field(default=None, ge=2, le=1000)

    @model_validator(mode="after")
    def _rules(self) -> Quantity:
        if self.key.startswith("interventions."):
            if not self.key.endswith(".amount") or self.key.count(".") < 2:
                raise ValueError("an intervention is varied as interventions.<name>.amount")
        else:
            name, _, group = self.key.rstrip("]").partition("[")
            try:
                get_spec(name)
            except KeyError as error:
                raise ValueError(str(error.args[0])) from None
            if group and group not in codelists.get("staff_group").codes:
                raise ValueError(f"no staff group {group!r} (staff_group code list)")
        if (self.values is None) == (self.low is None and self.high is None):
            raise ValueError("give either values = [...] or low and high")
        if self.values is None and (self.low is None or self.high is None):
            raise ValueError("give both low and high")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        if self.steps is not None and self.values is not None:
            raise ValueError("steps goes with low and high, not with values")
        return self

    def grid(self) -> list[Value]:
        """Return the values a grid runs: ``values``, or ``steps`` from low to high evenly."""
        if self.values is not None:
            return list(self.values)
        if self.low is None or self.high is None or self.steps is None:
            return []  # a sample's range (Sweep refuses it in a grid)
        return [float(v) for v in np.linspace(self.low, self.high, self.steps)]

    def draw(self, rng: np.random.Generator) -> Value:
        """Return one sampled value: one of ``values`` with equal chances, or uniform."""
        if self.values is not None:
            return self.values[int(rng.integers(len(self.values)))]
        return float(rng.uniform(float(self.low or 0.0), float(self.high or 0.0)))


class Design(_Strict):
    """Every combination of the values (grid), or a seeded sample of points."""

    kind: Literal["grid", "sample"] = "grid"
    samples: int | None = Field(default=None, ge=1, le=MAX_VARIANTS)

    @model_validator(mode="after")
    def _rules(self) -> Design:
        if self.kind == "sample" and self.samples is None:
            raise ValueError("a sample needs samples = N")
        if self.kind == "grid" and self.samples is not None:
            raise ValueError("samples goes with kind = 'sample'")
        return self


class Sweep(_Strict):
    """A sweep file."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=100)
    title: str | None = None
    scenarios: list[str] = Field(min_length=1)
    vintage: str | None = None
    level: Literal["england", "region", "icb", "org"] | None = None
    draws: int | None = Field(default=None, ge=0, le=100_000)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    seeds: Literal["variant", "scenario"] = "variant"
    years: list[int] = Field(default_factory=list)
    areas: list[str] | Literal["all"] = Field(default_factory=lambda: [codelists.ENGLAND_CODE])
    staff_groups: Literal["total", "each"] = "total"
    variables: list[str] = Field(default_factory=lambda: ["gap_fte"], min_length=1)
    design: Design = Design()
    parameters: list[Quantity] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rules(self) -> Sweep:
        unknown = [v for v in self.variables if v not in additive_variables()]
        if unknown:
            raise ValueError(f"variables: {', '.join(unknown)} is not a variable that adds up "
                             "over areas and staff groups; choose from "
                             f"{', '.join(additive_variables())}")
        keys = [q.key for q in self.parameters]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"parameters: {', '.join(repeated)} is varied twice")
        if len(set(self.scenarios)) < len(self.scenarios):
            raise ValueError("scenarios: a scenario is named twice")
        if self.design.kind == "grid":
            missing = [q.key for q in self.parameters if q.values is None and q.steps is None]
            if missing:
                raise ValueError(f"parameters: {', '.join(missing)}: a grid needs values or "
                                 "low, high and steps")
        per_scenario = (self.design.samples or 0 if self.design.kind == "sample"
                        else int(np.prod([len(q.grid()) for q in self.parameters])))
        count = len(self.scenarios) * per_scenario
        if count > MAX_VARIANTS:
            raise ValueError(f"the sweep has {count:,} variants; at most {MAX_VARIANTS:,}")
        return self


@dataclass(frozen=True)
class SweepFile:
    """A validated sweep and the file it came from."""

    path: Path
    sweep: Sweep
    sha256: str


def _problems(path: Path, error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = format_location(tuple(item["loc"])) or "sweep"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{path}: {where}: {message}")
    return "\n".join(lines)


def read_sweep(path: Path) -> SweepFile:
    """Read and validate a sweep file; a problem is an :class:`InputError` naming file and key."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(f"{path}: cannot read the sweep file ({error.strerror})") from None
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{path}: TOML: {error}") from None
    try:
        sweep = Sweep.model_validate(parsed)
    except ValidationError as error:
        raise InputError(_problems(path, error)) from None
    return SweepFile(path, sweep, hashlib.sha256(data).hexdigest())


def points(sweep: Sweep) -> list[dict[str, Value]]:
    """Return the design's points, each quantity's value by key (in the file's order).

    A grid is every combination, the last quantity varying fastest. A sample
    draws each point's values from its own generator (the sweep's seed, spawn
    key :data:`SAMPLE_KEY`): a value of ``values`` with equal chances, or
    uniformly between ``low`` and ``high``.
    """
    keys = [q.key for q in sweep.parameters]
    if sweep.design.kind == "grid":
        return [dict(zip(keys, combo, strict=True))
                for combo in itertools.product(*(q.grid() for q in sweep.parameters))]
    rng = np.random.default_rng(np.random.SeedSequence(sweep.seed, spawn_key=SAMPLE_KEY))
    out = []
    for _ in range(sweep.design.samples or 0):
        out.append({q.key: q.draw(rng) for q in sweep.parameters})
    return out


def variant_seed(root: int, scenario: str, values: dict[str, Value]) -> int:
    """Return a variant's seed: a :class:`numpy.random.SeedSequence` keyed by the variant.

    The key is the SHA-256 of the scenario's name and the point's values, so a
    variant has the same seed on any executor, in any order, in a sweep with
    other variants added or removed.
    """
    text = json.dumps({"scenario": scenario, "values": values}, sort_keys=True)
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    key = tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
    state = np.random.SeedSequence(root, spawn_key=key).generate_state(2, dtype=np.uint64)
    return int(state[0]) & (2**63 - 1)

