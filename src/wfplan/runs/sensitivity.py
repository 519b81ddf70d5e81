"""Sensitivity of a scenario's headline gap: the tornado and the variance shares.

:func:`sensitivity` reads a scenario, builds its inputs from a vintage once,
runs the one-at-a-time tornado on them (:mod:`wfplan.runs.tornado`) and the
scenario's Monte Carlo draws, and estimates each uncertain quantity's share of
the gap's variance from those draws (:mod:`wfplan.runs.variance`).
:func:`scenario_sensitivity` does both for a projection already run (the
assessment reuses its main run's draws).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from wfplan.dataset.store import Store
from wfplan.errors import InputError
from wfplan.inputs.build import build_inputs, resolve_period
from wfplan.model import ModelInputError, ModelInputs, Results, Scenario, ScenarioError, run
from wfplan.runs.care_pay import with_care_pay
from wfplan.runs.executor import Executor
from wfplan.runs.project import choose_vintage, read_scenario, with_overrides
from wfplan.runs.tornado import ENGLAND, TORNADO_COLUMNS, quantities, tornado
from wfplan.runs.variance import VARIANCE_COLUMNS, variance_shares
from wfplan.runs.wellbeing import with_wellbeing

__all__ = ["ENGLAND", "TORNADO_COLUMNS", "VARIANCE_COLUMNS", "Sensitivity", "quantities",
           "scenario_sensitivity", "sensitivity"]


@dataclass(frozen=True)
class Sensitivity:
    """A scenario's tornado and variance shares, and what they were computed on."""

    scenario: Scenario
    vintage: str
    base_period: str
    year: int
    tornado: pd.DataFrame
    variance: pd.DataFrame


def scenario_sensitivity(inputs: ModelInputs, scenario: Scenario, results: Results, *,
                         year: int | None = None, areas: Sequence[str] = (),
                         spread: float | None = None,
                         progress: Callable[[str], None] | None = None,
                         executor: Executor | None = None
                         ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the tornado and the variance shares of a scenario already run to ``results``.

    ``year`` defaults to the final year; the variance shares use ``results``'
    own draws (none when it has fewer than ten). The tornado's points run on
    ``executor`` (default: in this process).
    """
    chosen = results.years[-1] if year is None else year
    table = tornado(inputs, scenario, year=chosen, areas=areas, spread=spread,
                    progress=progress, executor=executor)
    return table, variance_shares(results, chosen, areas)


def sensitivity(store: Store, path: str | os.PathLike[str], *, vintage: str | None = None,
                year: int | None = None, areas: Sequence[str] = (), draws: int | None = None,
                spread: float | None = None, tell: Callable[[str], None] | None = None,
                progress: Callable[[str], None] | None = None,
                executor: Executor | None = None) -> Sensitivity:
    """Compute a scenario file's tornado and variance shares on a vintage.

    The vintage is chosen as by :func:`wfplan.runs.project.project`. ``draws``
    overrides the scenario's draws for the variance shares (0: none). The
    tornado's points run on ``executor`` (default: in this process).
    """
    source = read_scenario(path)
    scenario = with_overrides(source.scenario, draws=draws)
    chosen = choose_vintage(store, scenario, vintage, tell or (lambda _text: None))
    store.require_vintage(chosen)
    scenario = with_care_pay(with_wellbeing(store, chosen,
                                            with_overrides(scenario, base_vintage=chosen)))
    period = resolve_period(store, chosen, scenario.base_period)
    groups = None if scenario.staff_groups == "all" else tuple(scenario.staff_groups)
    note = progress or (lambda _text: None)
    note(f"building inputs from vintage {chosen!r}")
    try:
        inputs = build_inputs(store, chosen, period, scenario.level, staff_groups=groups)
        note(f"running {scenario.draws} draws")
        results = run(inputs, scenario)
    except (ModelInputError, ScenarioError) as error:
        raise InputError(f"{source.path}: {error}") from None
    table, shares = scenario_sensitivity(inputs, scenario, results, year=year, areas=areas,
                                         spread=spread, progress=note, executor=executor)
    return Sensitivity(scenario, chosen, period.isoformat(),
                       results.years[-1] if year is None else year, table, shares)
