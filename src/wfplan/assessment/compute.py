"""Compute an assessment from a store: every projection and every published table.

:func:`compute` is the one function both ``wfplan assess`` and ``wfplan verify``
call, always on an in-memory store loaded from the bundle's input extracts, so
that an assessment and its verification compute from exactly the same data with
exactly the same code path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from wfplan.analysis.gaps import gap_report
from wfplan.analysis.metrics import Query, current_position, ethnic_minority_by_band
from wfplan.assessment.config import AssessmentConfig
from wfplan.assessment.extract import carried_gaps
from wfplan.assessment.skills import skills_tables
from wfplan.dataset.store import Store
from wfplan.errors import InputError
from wfplan.inputs.build import build_inputs
from wfplan.model import ModelInputError, ModelInputs, Scenario
from wfplan.runs.care_pay import with_care_pay
from wfplan.runs.project import Projection, ScenarioFile, project_one, with_overrides
from wfplan.runs.sensitivity import TORNADO_COLUMNS, VARIANCE_COLUMNS, scenario_sensitivity
from wfplan.runs.wellbeing import with_wellbeing

#: Called with a description of the step under way.
Step = Callable[[str], None]
#: Columns that identify a figure of the results table.
RESULT_KEYS = ["scenario", "area", "staff_group", "variable", "unit", "year", "statistic"]
#: The sensitivity tables of every assessment: England tornado and variance shares.
SENSITIVITY_TABLES = ("sensitivity_tornado", "sensitivity_variance")


@dataclass
class Computed:
    """What an assessment computes: the long results, the tables and the metadata."""

    results: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    projections: list[Projection]


def run_scenarios(store: Store, config: AssessmentConfig, files: Sequence[ScenarioFile],
                  vintage: str, base_period: date, *, draws: int | None = None,
                  step: Step | None = None) -> list[Projection]:
    """Run every scenario on the vintage with the configuration's shared settings.

    The configuration's vintage, base period, horizon, level, draws and seed
    replace each scenario's own, so every projection of an assessment is
    comparable. ``draws`` overrides the configuration's (0 for principal runs only).
    """
    note = step or (lambda _text: None)
    inputs_by_groups: dict[Any, ModelInputs] = {}
    out = []
    for source in files:
        scenario = scenario_as_run(store, config, source.scenario, vintage, base_period)
        groups = None if scenario.staff_groups == "all" else tuple(scenario.staff_groups)
        if groups not in inputs_by_groups:
            note(f"building model inputs for {scenario.name}")
            try:
                inputs_by_groups[groups] = build_inputs(store, vintage, base_period,
                                                        config.level, staff_groups=groups,
                                                        sector=config.sector)
            except ModelInputError as error:
                raise InputError(f"inputs from vintage {vintage!r}: {error}") from None
        note(f"projecting {scenario.name}")
        fixed = ScenarioFile(source.path, scenario, source.sha256)
        out.append(project_one(store, fixed, inputs_by_groups[groups], base_period.isoformat(),
                               draws=config.draws if draws is None else draws,
                               seed=config.seed, level=config.level))
    return out


def scenario_as_run(store: Store, config: AssessmentConfig, scenario: Scenario, vintage: str,
                    base_period: date) -> Scenario:
    """Return ``scenario`` with the configuration's shared settings, wellbeing and care pay.

    :func:`run_scenarios` projects this scenario (with the configuration's draws
    and seed); its run metadata records it.
    """
    scenario = with_overrides(scenario, base_vintage=vintage,
                              base_period=base_period.isoformat(), horizon=config.horizon,
                              level=config.level)
    return with_care_pay(with_wellbeing(store, vintage, scenario))


def sort_results(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the results in a fixed order with a fresh index (for files and comparison)."""
    return frame.sort_values(RESULT_KEYS, kind="stable").reset_index(drop=True)


def current_tables(store: Store, vintage: str, base_period: date) -> dict[str, pd.DataFrame]:
    """Return the current-position tables the report publishes, at the base period.

    The data gaps are those carried by the extracts (computed from the vintage's
    rows at extraction), else computed from the store.
    """
    tables = {
        "position_region": current_position(store, Query(vintage, "region", period=base_period)),
        "position_icb": current_position(store, Query(vintage, "icb", period=base_period)),
        "ethnicity_by_band": ethnic_minority_by_band(store, Query(vintage, period=base_period)),
    }
    gaps = carried_gaps(store)
    for name, frame in (gaps if gaps is not None else gap_report(store, vintage).sections()
                        ).items():
        tables[f"gaps_{name}"] = frame
    return tables


def compute(store: Store, config: AssessmentConfig, files: Sequence[ScenarioFile],
            base_period: date, *, step: Step | None = None) -> Computed:
    """Compute every projection and table of an assessment from ``store``."""
    projections = run_scenarios(store, config, files, config.vintage, base_period, step=step)
    results = sort_results(pd.concat([p.table for p in projections], ignore_index=True))
    if step:
        step("computing the current position and the data gaps")
    tables = current_tables(store, config.vintage, base_period)
    if step:
        step("computing the sensitivity of each scenario's headline gap")
    tables.update(sensitivity_tables(projections))
    if any(source.scenario.roles is not None for source in files):
        if step:
            step("projecting the scenarios with roles by role, for the skills-gap table")
        tables.update(skills_tables(store, config, files, projections, base_period))
    return Computed(results, tables, projections)


def sensitivity_tables(projections: Sequence[Projection]) -> dict[str, pd.DataFrame]:
    """Return each scenario's England tornado and variance shares, in its final year.

    The tornado's runs are principal runs on the projection's own inputs; the
    variance shares use the projection's own draws (none when it has fewer than ten).
    """
    tornadoes, shares = [], []
    for projection in projections:
        if projection.inputs is None:
            raise ValueError(f"projection {projection.scenario.name!r} carries no inputs")
        table, variance = scenario_sensitivity(projection.inputs, projection.scenario,
                                               projection.results)
        tornadoes.append(table)
        shares.append(variance)
    return {SENSITIVITY_TABLES[0]: _joined(tornadoes, TORNADO_COLUMNS),
            SENSITIVITY_TABLES[1]: _joined(shares, VARIANCE_COLUMNS)}


def _joined(frames: Sequence[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    present = [frame for frame in frames if len(frame)]
    if not present:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(present, ignore_index=True)[list(columns)]
