"""``wfplan sweep``: run a grid or a sample of scenario variants, collect one tidy table.

A variant is one scenario of the sweep file with one design point's values set
(:mod:`wfplan.runs.sweep_spec`). The inputs are built once per vintage, base
period, level and staff groups here (through the disk cache of
:mod:`wfplan.inputs.cache` when the vintage is frozen) and sent once to each
worker; each variant then runs the model on its worker and returns only its
summary rows: for each variable, year, area (England is the sum of the run's
areas) and staff group (``all_staff_groups``, the sum, and with
``staff_groups = "each"`` every group), the principal run and P5, P50 and P95
over the draws (:func:`~wfplan.model.uncertainty.draw_statistics`).

Seeds: with ``seeds = "variant"`` (the default) each variant's seed is spawned
from the sweep's seed by a :class:`numpy.random.SeedSequence` keyed by the
variant itself (:func:`~wfplan.runs.sweep_spec.variant_seed`), never by a
worker or an order; with ``seeds = "scenario"`` every variant keeps its
scenario's seed (common random numbers). Either way the table is the same bits
on every executor and number of workers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.store import Store
from wfplan.errors import InputError
from wfplan.inputs.build import resolve_period
from wfplan.inputs.cache import cached_inputs
from wfplan.model import ModelInputError, ModelInputs, Scenario, ScenarioError, parse_scenario, run
from wfplan.model.interventions_spec import intervention_key
from wfplan.model.uncertainty import STATISTICS, draw_statistics
from wfplan.runs.executor import Executor, Progress, worker_threads
from wfplan.runs.project import (
    MAX_ROWS,
    check_memory,
    choose_vintage,
    read_scenario,
    with_overrides,
)
from wfplan.runs.sweep_spec import Sweep, SweepFile, Value, points, variant_seed

ENGLAND = codelists.ENGLAND_CODE
TOTAL = "all_staff_groups"
#: Inputs are keyed by vintage, base period (ISO date), level and staff groups.
InputsKey = tuple[str, str, str, tuple[str, ...] | None]
#: The columns every sweep table has, around the varied quantities' own.
KEY_COLUMNS = ["variant", "point", "scenario", "seed"]
ROW_COLUMNS = ["level", "area", "staff_group", "variable", "year", *STATISTICS]


@dataclass(frozen=True)
class Report:
    """What each variant reports: variables, years, areas and staff groups."""

    variables: tuple[str, ...]
    years: tuple[int, ...]
    areas: tuple[str, ...]
    each_group: bool


@dataclass(frozen=True)
class Task:
    """One variant, as a worker receives it (small: the inputs are sent apart)."""

    variant: str
    point: int
    values: dict[str, Value]
    scenario: Scenario
    inputs: InputsKey
    report: Report


@dataclass(frozen=True)
class SweepResult:
    """The sweep's table and metadata, and where it ran."""

    table: pd.DataFrame
    metadata: dict[str, Any]
    variants: int


def set_values(scenario: Scenario, values: Mapping[str, Value], **fields: Any) -> Scenario:
    """Return ``scenario`` with each quantity of ``values`` set, and ``fields`` replaced.

    A key is a parameter (``name``), a staff group's (``name[group]``) or an
    intervention's amount (``interventions.<name>.amount``, the intervention
    must be in the scenario). The result is validated again.
    """
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.update({k: v for k, v in fields.items() if v is not None})
    for key, value in values.items():
        if key.startswith("interventions."):
            found = [i for i, item in enumerate(scenario.interventions)
                     if intervention_key(i, item) == key]
            if not found:
                names = ", ".join(intervention_key(i, item)
                                  for i, item in enumerate(scenario.interventions)) or "none"
                raise InputError(f"scenario {scenario.name!r} has no intervention for {key} "
                                 f"(its interventions: {names})")
            data["interventions"][found[0]]["amount"] = value
        elif "[" in key:
            name, group = key.rstrip("]").split("[")
            data.setdefault("staff_group_parameters", {}).setdefault(group, {})[name] = value
        else:
            data.setdefault("parameters", {})[key] = value
    try:
        return parse_scenario(data)
    except ScenarioError as error:
        shown = ", ".join(f"{k} = {v!r}" for k, v in values.items())
        raise InputError(f"scenario {scenario.name!r} with {shown}: {error}") from None


def summary_rows(results: Any, report: Report) -> pd.DataFrame:
    """Return a run's rows (:data:`ROW_COLUMNS`): each statistic of each reported cell."""
    frames = []
    year_index = [results.years.index(y) for y in report.years]
    groups = [TOTAL, *(results.staff_groups if report.each_group else ())]
    for variable in report.variables:
        values = results.values(variable)[:, year_index]  # (Dp, Y, A, G)
        columns = []
        for area in report.areas:
            cell = (values.sum(axis=2) if area == ENGLAND
                    else values[:, :, results.areas.index(area)])  # (Dp, Y, G)
            parts = [cell.sum(axis=2, keepdims=True)]
            if report.each_group:
                parts.append(cell)
            columns.append(np.concatenate(parts, axis=2))
        stacked = np.stack(columns, axis=2)  # (Dp, Y, A', G')
        stats = draw_statistics(stacked, results.n_draws, workers=1)  # (S, Y, A', G')
        y, a, g = np.meshgrid(np.arange(len(report.years)), np.arange(len(report.areas)),
                              np.arange(len(groups)), indexing="ij")
        frame = pd.DataFrame({
            "level": results.metadata.level,
            "area": np.asarray(report.areas, dtype=object)[a.ravel()],
            "staff_group": np.asarray(groups, dtype=object)[g.ravel()],
            "variable": variable,
            "year": np.asarray(report.years, dtype=np.int64)[y.ravel()],
        })
        for s, name in enumerate(STATISTICS):
            frame[name] = stats[s].ravel()
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def run_variant(shared: Mapping[InputsKey, ModelInputs], task: Task) -> pd.DataFrame:
    """Run one variant on its inputs (sent once to the worker) and return its rows."""
    try:
        results = run(shared[task.inputs], task.scenario, workers=worker_threads())
    except (ScenarioError, ModelInputError) as error:
        raise InputError(f"variant {task.variant} (scenario {task.scenario.name!r}): "
                         f"{error}") from None
    rows = summary_rows(results, task.report)
    keys = {"variant": task.variant, "point": task.point, "scenario": task.scenario.name,
            "seed": task.scenario.seed, **task.values}
    return pd.concat([pd.DataFrame({k: [v] * len(rows) for k, v in keys.items()}), rows],
                     axis=1)


def _scenario(source: SweepFile, ref: str, level: str | None, draws: int | None) -> Scenario:
    """Read a scenario the sweep names: beside the sweep file first, else a path or shipped."""
    beside = source.path.parent / ref
    chosen = read_scenario(beside if beside.is_file() else ref).scenario
    return with_overrides(chosen, level=level, draws=draws)


def _report(sweep: Sweep, inputs: ModelInputs, scenario: Scenario, where: str) -> Report:
    areas = tuple(inputs.coords.area) if sweep.areas == "all" else tuple(sweep.areas)
    areas = ((ENGLAND, *areas) if sweep.areas == "all" else areas)
    unknown = [a for a in areas if a != ENGLAND and a not in inputs.coords.area]
    if unknown:
        raise InputError(f"{where}: areas: {', '.join(unknown)} is not an area at level "
                         f"{scenario.level!r} (or {ENGLAND}, England)")
    last = inputs.base_year + scenario.horizon
    years = tuple(sweep.years) or (last,)
    outside = [y for y in years if not inputs.base_year <= y <= last]
    if outside:
        raise InputError(f"{where}: years: {', '.join(map(str, outside))} is outside scenario "
                         f"{scenario.name!r}'s projection ({inputs.base_year} to {last})")
    return Report(tuple(sweep.variables), years, areas, sweep.staff_groups == "each")


def _inputs(store: Store, scenario: Scenario, vintage: str | None,
            tell: Callable[[str], None]) -> tuple[InputsKey, Callable[[], ModelInputs]]:
    chosen = choose_vintage(store, scenario, vintage, tell)
    store.require_vintage(chosen)
    period = resolve_period(store, chosen, scenario.base_period)
    groups = None if scenario.staff_groups == "all" else tuple(scenario.staff_groups)
    key: InputsKey = (chosen, period.isoformat(), scenario.level, groups)

    def build() -> ModelInputs:
        try:
            return cached_inputs(store, chosen, period, scenario.level, groups)
        except ModelInputError as error:
            raise InputError(f"inputs from vintage {chosen!r}: {error}") from None

    return key, build


def variant_tasks(store: Store, source: SweepFile, *, vintage: str | None = None,
                  draws: int | None = None, tell: Callable[[str], None] | None = None
                  ) -> tuple[list[Task], dict[InputsKey, ModelInputs]]:
    """Return every variant of a sweep as a task, and the inputs they run on (built once)."""
    sweep = source.sweep
    note = tell or (lambda _text: None)
    design = points(sweep)
    tasks: list[Task] = []
    inputs: dict[InputsKey, ModelInputs] = {}
    for ref in sweep.scenarios:
        where = f"{source.path}: scenarios: {ref}"
        try:
            scenario = _scenario(source, ref, sweep.level,
                                 sweep.draws if draws is None else draws)
            key, build = _inputs(store, scenario, vintage or sweep.vintage, note)
            if scenario.base_vintage not in (None, key[0]):  # run on the vintage chosen
                scenario = with_overrides(scenario, base_vintage=key[0])
        except InputError as error:
            raise InputError(f"{where}: {error}") from None
        if key not in inputs:
            inputs[key] = build()
        check_memory(inputs[key], scenario)  # one variant's memory, refused before any runs
        report = _report(sweep, inputs[key], scenario, str(source.path))
        for index, values in enumerate(design):
            seed = (variant_seed(sweep.seed, scenario.name, values) if sweep.seeds == "variant"
                    else None)
            try:
                variant = set_values(scenario, values, seed=seed)
            except InputError as error:
                raise InputError(f"{source.path}: parameters: {error}") from None
            tasks.append(Task(f"v{len(tasks) + 1:05d}", index, values, variant, key, report))
    rows = sum(_row_count(task.report, len(inputs[task.inputs].coords.staff_group))
               for task in tasks)
    if rows > MAX_ROWS:
        raise InputError(f"{source.path}: the sweep's table would have {rows:,} rows (at most "
                         f"{MAX_ROWS:,}); report fewer areas, years, variables or staff groups, "
                         "or run fewer variants")
    return tasks, inputs


def _row_count(report: Report, groups: int) -> int:
    """Rows one variant adds to the table."""
    return (len(report.variables) * len(report.years) * len(report.areas)
            * (1 + (groups if report.each_group else 0)))


def collect(source: SweepFile, tasks: list[Task], inputs: dict[InputsKey, ModelInputs],
            executor: Executor, progress: Progress | None = None) -> SweepResult:
    """Run the tasks of :func:`variant_tasks` on ``executor``; return the tidy table.

    The table has :data:`KEY_COLUMNS`, one column per varied quantity (its
    key), then :data:`ROW_COLUMNS`, in the variants' order whatever ran them.
    """
    parts = executor.map(run_variant, tasks, inputs, progress)
    quantities = [q.key for q in source.sweep.parameters]
    columns = [*KEY_COLUMNS, *quantities, *ROW_COLUMNS]
    table = (pd.concat(parts, ignore_index=True)[columns] if parts
             else pd.DataFrame(columns=columns))
    metadata = {
        "table": "wfplan sweep: one row per variant, level, area, staff group, variable and "
                 "year; the principal run and P5, P50, P95 over the draws",
        "sweep": source.sweep.name, "sweep_file": source.path.name,
        "sweep_sha256": source.sha256, "design": source.sweep.design.kind,
        "seed": source.sweep.seed, "seeds": source.sweep.seeds, "quantities": quantities,
        "variants": len(tasks), "vintages": sorted({key[0] for key in inputs}),
        "draws": sorted({task.scenario.draws for task in tasks}),
    }
    return SweepResult(table, metadata, len(tasks))


def sweep(store: Store, source: SweepFile, executor: Executor, *, vintage: str | None = None,
          draws: int | None = None, tell: Callable[[str], None] | None = None,
          progress: Progress | None = None) -> SweepResult:
    """Run every variant of a sweep file on ``executor``: :func:`variant_tasks`, :func:`collect`."""
    tasks, inputs = variant_tasks(store, source, vintage=vintage, draws=draws, tell=tell)
    return collect(source, tasks, inputs, executor, progress)
