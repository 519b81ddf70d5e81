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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.geography import UNMAPPED
from wfplan.dataset.store import Store
from wfplan.model import Results, aggregate, to_long
from wfplan.model.aggregate import staff_group_totals, sum_staff_groups
from wfplan.model.levels import Level
from wfplan.runs.project import ENGLAND, project

#: The shipped scenario the fans are of.
SCENARIO = "baseline"
#: The variables served: supply, funded demand, the gap (demand minus supply), gap % of demand.
VARIABLES = ("supply_fte", "demand_funded_fte", "gap_fte", "gap_pct")
#: The headcount at the base year, by which the public's rows are judged small cells.
HEADCOUNT = "supply_hc"
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
    frames = []
    for level, part in _parts(results):
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
    run = project(store, [SCENARIO], vintage=vintage, draws=draws, seed=seed)[0]
    meta = run.metadata
    metadata = {"scenario": run.scenario.name, "title": run.scenario.title,
                "scenario_sha256": meta["scenario_sha256"], "vintage": meta["vintage"],
                "base_period": meta["base_period"], "base_year": meta["base_year"],
                "horizon": meta["horizon"], "level": meta["level"], "seed": meta["seed"],
                "draws": meta["draws"]}
    return Fans(fan_table(run.results), metadata)
