"""A vintage's baseline fans: supply, demand and the gap by year for England, regions and ICBs.

The dashboard's area pages draw them (``GET /api/v1/projection``). The shipped
baseline scenario (``scenarios/baseline.toml``) is projected from the vintage by
:func:`wfplan.runs.project.project`, exactly as ``wfplan project baseline --vintage V
--draws N --seed S`` projects it (ICB level, the scenario's own level). The ICBs'
results are then summed within each draw (:func:`~wfplan.model.aggregate.aggregate`)
to their NHS regions (the ICB code list's ``region_code``) and to England, and
each area's staff groups to the all-staff and sector totals
(:func:`~wfplan.model.aggregate.sum_staff_groups`), before the percentiles are taken
(:func:`~wfplan.model.to_long`): a region's P5 is not the sum of its ICBs' P5. So the
ICBs' and England's figures are those of ``wfplan project``'s long table, bit for
bit, and the regions' and the ICBs' totals are made the way England's are.

An organisation's fans (:func:`org_fans`) are the same scenario, draws and seed run at
organisation level (``wfplan project baseline --level org``) for that organisation
alone: the organisation-level inputs of every organisation are built once
(:func:`org_inputs`, as :func:`~wfplan.runs.project.project` builds them) and cut to
the one organisation (:meth:`~wfplan.model.ModelInputs.select_areas`), which keeps
its share of the national counts (``area_share``, of every organisation). The model's
areas are separable and its draws depend on the scenario alone, so the result is that
organisation's rows of a run on every organisation (``tests/test_org_fans.py`` checks
it, bit for bit). Such a run cannot be what the service does: ``wfplan project`` refuses
it on the demo vintage (8,743 organisations make a long table over its row limit,
:func:`~wfplan.runs.project.check_size`), while one organisation's run takes about a
second (the organisation-level inputs of the demo, built once, about 3 s).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.geography import UNMAPPED
from wfplan.dataset.store import Store
from wfplan.inputs.build import resolve_period
from wfplan.inputs.cache import cached_inputs
from wfplan.model import ModelInputs, Results, aggregate, to_long
from wfplan.model.aggregate import staff_group_totals, sum_staff_groups
from wfplan.model.levels import Level
from wfplan.runs.project import (
    ENGLAND,
    Projection,
    ScenarioFile,
    project,
    project_one,
    read_scenario,
    with_overrides,
)

#: The shipped scenario the fans are of.
SCENARIO = "baseline"
#: The variables served: supply, funded demand, the gap (demand minus supply), gap % of demand.
VARIABLES = ("supply_fte", "demand_funded_fte", "gap_fte", "gap_pct")
#: The headcount at the base year, by which the public's rows are judged small cells.
HEADCOUNT = "supply_hc"
#: The level of an organisation's fans.
ORG = Level.ORG.value
#: Columns of :attr:`Fans.table`.
COLUMNS = ("level", "area_code", "staff_group", "variable", "year", "p5", "p50", "p95",
           "base_headcount")


@dataclass(frozen=True)
class Fans:
    """The fans of one projection and what they are of.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per level, area, staff group (each group and the totals), variable and
        year: :data:`COLUMNS`, ``base_headcount`` the series' headcount at the base year.
    metadata : dict
        The run's ``scenario``, ``title``, ``scenario_sha256``, ``vintage``,
        ``base_period``, ``base_year``, ``horizon``, ``level``, ``seed`` and ``draws``.
    """

    table: pd.DataFrame
    metadata: dict[str, Any]


def _regions(results: Results) -> dict[str, str]:
    """Return each ICB's region (the ICB code list's); one without is in ``UNMAPPED``.

    ``UNMAPPED`` is what the metrics call an area of no reference record: national
    users alone see it (:class:`~wfplan.analysis.scope.Scope`).
    """
    region = {str(r["code"]): str(r["region_code"]) for r in codelists.get("icb").rows
              if r.get("region_code")}
    return {area: region.get(area, UNMAPPED) for area in results.areas}


def _parts(results: Results) -> list[tuple[str, Results]]:
    """Return the ICBs', regions' and England's results, each with its staff-group totals."""
    sectors = {row["code"]: row["sector"] for row in codelists.get("staff_group").rows}
    totals = staff_group_totals(results.staff_groups, sectors)
    levels = [("icb", results),
              ("region", aggregate(results, _regions(results), Level.REGION.value)),
              ("england", aggregate(results, dict.fromkeys(results.areas, ENGLAND),
                                    Level.ENGLAND.value))]
    out = []
    for level, part in levels:
        out += [(level, part), (level, sum_staff_groups(part, totals))]
    return out


def fan_table(results: Results) -> pd.DataFrame:
    """Return :data:`COLUMNS` for the ICBs of ``results``, their regions and England."""
    return _table(_parts(results))


def _table(parts: list[tuple[str, Results]]) -> pd.DataFrame:
    """Return :data:`COLUMNS` of each level's results."""
    frames = []
    for level, part in parts:
        long = to_long(part, (*VARIABLES, HEADCOUNT))
        base = long[(long["variable"] == HEADCOUNT) & (long["year"] == part.base_year)
                    & (long["statistic"] == "principal")]
        heads = base.set_index(["area", "staff_group"])["value"]
        long = long[long["variable"].isin(VARIABLES) & long["statistic"].isin(
            ["p5", "p50", "p95"])]
        wide = long.pivot_table(index=["area", "staff_group", "variable", "year"],
                                columns="statistic", values="value", sort=False,
                                dropna=False).reset_index()
        wide.columns.name = None
        keys = pd.MultiIndex.from_arrays([wide["area"], wide["staff_group"]])
        wide["base_headcount"] = heads.reindex(keys).to_numpy()
        frames.append(wide.assign(level=level).rename(columns={"area": "area_code"}))
    table = pd.concat(frames, ignore_index=True)
    return table[list(COLUMNS)]


def baseline_fans(store: Store, vintage: str, *, draws: int, seed: int) -> Fans:
    """Project the shipped baseline from ``vintage`` (``draws``, ``seed``); return its fans."""
    return _fans(project(store, [SCENARIO], vintage=vintage, draws=draws, seed=seed)[0],
                 fan_table)


def _fans(run: Projection, table: Callable[[Results], pd.DataFrame]) -> Fans:
    meta = run.metadata
    metadata = {"scenario": run.scenario.name, "title": run.scenario.title,
                "scenario_sha256": meta["scenario_sha256"], "vintage": meta["vintage"],
                "base_period": meta["base_period"], "base_year": meta["base_year"],
                "horizon": meta["horizon"], "level": meta["level"], "seed": meta["seed"],
                "draws": meta["draws"]}
    return Fans(table(run.results), metadata)


@dataclass(frozen=True)
class OrgInputs:
    """The baseline's organisation-level inputs of every organisation of a vintage.

    Attributes
    ----------
    source : ScenarioFile
        The shipped baseline scenario (as :func:`~wfplan.runs.project.project` reads it).
    inputs : ModelInputs
        Every organisation's inputs at the scenario's base period.
    base_period : str
        That census (``YYYY-MM-DD``).
    """

    source: ScenarioFile
    inputs: ModelInputs
    base_period: str

    @property
    def organisations(self) -> tuple[str, ...]:
        """The organisations that can be projected (with staff in post at the base period)."""
        return tuple(self.inputs.coords.area)


def org_inputs(store: Store, vintage: str) -> OrgInputs:
    """Build the baseline's inputs at organisation level, as ``wfplan project --level org``.

    The scenario's base period, staff groups and vintage are resolved as
    :func:`~wfplan.runs.project.project` resolves them, and the inputs are built
    uncached (its default).
    """
    source = read_scenario(SCENARIO)
    scenario = with_overrides(source.scenario, level=ORG)
    if scenario.base_vintage not in (None, vintage):
        source = replace(source, scenario=with_overrides(source.scenario,
                                                         base_vintage=vintage))
    store.require_vintage(vintage)
    groups = None if scenario.staff_groups == "all" else tuple(scenario.staff_groups)
    period = resolve_period(store, vintage, scenario.base_period)
    inputs = cached_inputs(store, vintage, period, ORG, groups, use_cache=False)
    return OrgInputs(source, inputs, period.isoformat())


def org_table(results: Results) -> pd.DataFrame:
    """Return :data:`COLUMNS` for the organisations of ``results``, with their totals."""
    sectors = {row["code"]: row["sector"] for row in codelists.get("staff_group").rows}
    totals = staff_group_totals(results.staff_groups, sectors)
    return _table([(ORG, results), (ORG, sum_staff_groups(results, totals))])


def org_fans(store: Store, base: OrgInputs, org: str, *, draws: int, seed: int) -> Fans:
    """Project the baseline for organisation ``org`` alone (``draws``, ``seed``); its fans.

    ``org`` must be one of ``base.organisations`` (a ``ModelInputError`` otherwise).
    """
    inputs = base.inputs.select_areas([org])
    run = project_one(store, base.source, inputs, base.base_period, draws=draws, seed=seed,
                      level=ORG)
    return _fans(run, org_table)
