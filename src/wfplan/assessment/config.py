"""The assessment configuration file (TOML), validated with pydantic.

Example (``examples/assessment-demo.toml``)::

    title = "Health and social care workforce assessment 2026 (demo data)"
    period = "2026"
    vintage = "demo"
    scenarios = ["../scenarios/baseline.toml", "../scenarios/ltwp.toml"]
    horizon = 15
    draws = 1000
    seed = 20260401
    level = "region"

The configuration's vintage, base period, horizon, level, draws and seed apply
to every scenario, so that all of an assessment's projections are comparable.
Scenario paths are relative to the configuration file; a bare name such as
``"baseline"`` that is no file there is the scenario shipped with wfplan.
"""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wfplan.errors import InputError


class AssessmentConfig(BaseModel):
    """What an assessment runs: on which data, which scenarios, how many draws."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, description="Title of the published assessment")
    period: str = Field(min_length=1, description="The assessment period, e.g. '2026'")
    vintage: str = Field(min_length=1, description="Dataset vintage (frozen for publication)")
    base_period: date | None = Field(
        None, description="Base census date; default: the vintage's latest staff in post")
    scenarios: list[str] = Field(min_length=1, description="Scenario TOML files, or the names "
                                 "of shipped scenarios (baseline, ltwp, ...); the first is the "
                                 "baseline of the headline figures")
    horizon: int = Field(15, ge=5, le=25, description="Years projected: at least 5, as the "
                         "report's headline gives the gap 5, 10 and 15 years on (those within "
                         "the horizon)")
    draws: int = Field(1000, ge=0, le=100_000, description="Monte Carlo draws")
    seed: int = Field(ge=0, description="Random seed of every scenario")
    level: Literal["england", "region", "icb"] = Field(
        "region", description="Level the model runs at; results are also summed to England")
    sector: str | None = Field(None, description="Only one sector's organisations")


class ConfigError(InputError):
    """An assessment configuration that is not valid: the message, and each problem.

    Attributes
    ----------
    problems : list of tuple
        ``(field, rule)`` for each problem; ``field`` is None for one of the whole
        file (not TOML at all).
    """

    def __init__(self, message: str, problems: list[tuple[str | None, str]]) -> None:
        super().__init__(message)
        self.problems = problems


def parse_config(text: str, source: str) -> AssessmentConfig:
    """Validate an assessment configuration's TOML text; ``source`` names it in messages.

    Raises
    ------
    ConfigError
        Naming ``source`` and every problem (field and rule), as ``wfplan assess`` prints it.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}",
                          [(None, f"not valid TOML: {exc}")]) from None
    try:
        return AssessmentConfig.model_validate(data)
    except ValidationError as exc:
        problems: list[tuple[str | None, str]] = [
            (".".join(map(str, e["loc"])) or "(file)", str(e["msg"])) for e in exc.errors()]
        lines = [f"  {field}: {rule}" for field, rule in problems]
        raise ConfigError(f"{source}: invalid assessment configuration:\n" + "\n".join(lines),
                          problems) from None


def load_config(path: Path) -> AssessmentConfig:
    """Read and validate an assessment configuration file.

    Raises
    ------
    InputError
        Naming the file and every problem (field and rule).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(text, str(path))


def scenario_paths(config: AssessmentConfig, config_path: Path) -> list[Path]:
    """Return the scenario files, relative to the configuration file.

    A bare name that is no file there (``baseline``, ``ltwp.toml``) is the
    scenario of that name shipped with wfplan.
    """
    from wfplan.runs.project import shipped_scenarios

    shipped = shipped_scenarios()
    paths = []
    for name in config.scenarios:
        local = config_path.parent / name
        ship = (shipped.get(Path(name).name.removesuffix(".toml"))
                if Path(name).parent == Path(".") else None)
        paths.append((ship if ship is not None and not local.is_file() else local).resolve())
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise InputError(f"{config_path}: scenario file(s) not found: {', '.join(missing)}")
    return paths
