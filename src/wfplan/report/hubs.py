"""Employer hubs in the report: what each region's hub costs per FTE gained.

Only a scenario with ``employer_hub`` interventions (``docs/education.md``) gets
rows, so a report without hubs has no hubs table, no ``employer_hubs`` sheet and
the same table numbers as before.

For each scenario, hub area and staff group, in the final year (or ``year``):

- ``cost_gbp``: the principal run's intervention cost in that area and staff
  group, summed over the years to ``year`` (the hubs' running cost plus any
  cost per starter);
- ``fte_gained`` (P50, P5, P95): the model's ``gap_closed_fte`` there, that is
  supply with the scenario's interventions minus supply without them in the
  same simulations (hubs do not change demand);
- ``cost_per_fte_gained_p50``: the P50 over the draws of each draw's cumulative
  cost ÷ FTE gained (the model's ``cost_per_fte_gap_closed``).

Where another intervention acts on the same area and staff group its cost and
effect are counted too, and ``other_interventions`` names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from wfplan.report import format as fmt
from wfplan.report.views import Column, Numbering, TableView

#: One row per scenario, hub area and staff group.
HUB_COLUMNS = (
    "scenario", "area", "area_name", "staff_group", "hubs", "year", "cost_gbp",
    "fte_gained_p50", "fte_gained_p5", "fte_gained_p95", "cost_per_fte_gained_p50",
    "other_interventions",
)
_TYPE = "employer_hub"


def _area_name(code: str) -> str:
    """Return an NHS region's or ICB's name from the code lists, else the code."""
    from wfplan.dataset import codelists

    for name in ("region", "icb"):
        rows = {row["code"]: row["name"] for row in codelists.get(name).rows}
        if code in rows:
            return rows[code]
    return code


def _value(rows: pd.DataFrame, variable: str, statistic: str) -> float:
    found = rows[(rows["variable"] == variable) & (rows["statistic"] == statistic)]["value"]
    return float(found.iloc[0]) if len(found) else float("nan")


def _others(specs: list[Mapping[str, Any]], area: str, group: str) -> str:
    """Name the scenario's other interventions acting on ``area`` and ``group``."""
    names = []
    for spec in specs:
        if spec.get("type") == _TYPE:
            continue
        if spec.get("area") not in (None, area):
            continue
        if group in (spec.get("staff_group"), spec.get("to_staff_group")) or \
                spec.get("staff_group") == "all":
            names.append(str(spec.get("name") or spec.get("type")))
    return ", ".join(names)


def hubs_from_results(long_df: pd.DataFrame, metadata: Mapping[str, Mapping[str, Any]],
                      year: int | None = None) -> pd.DataFrame:
    """Return :data:`HUB_COLUMNS`: each scenario's hubs by area, with cost per FTE gained.

    Parameters
    ----------
    long_df : DataFrame
        IAMC long results of every scenario, with the hubs' areas.
    metadata : mapping
        Scenario name to ``Results.metadata``.
    year : int, optional
        The year reported (default: the final year of the results).
    """
    out = []
    for scenario, meta in metadata.items():
        specs = list(meta.get("scenario", {}).get("interventions", []))
        hubs = [s for s in specs if s.get("type") == _TYPE]
        if not hubs:
            continue
        own = long_df["scenario"] == scenario  # rows taken per hub cell below, not all
        if not own.any():
            continue
        when = int(long_df.loc[own, "year"].max()) if year is None else year
        cells: dict[tuple[str, str], int] = {}
        for spec in hubs:
            key = (str(spec["area"]), str(spec["staff_group"]))
            cells[key] = cells.get(key, 0) + 1
        for (area, group), count in cells.items():
            rows = long_df[own & (long_df["area"] == area) & (long_df["staff_group"] == group)]
            cost = rows[(rows["variable"] == "intervention_cost_gbp")
                        & (rows["statistic"] == "principal") & (rows["year"] <= when)]
            final = rows[rows["year"] == when]
            out.append({
                "scenario": scenario, "area": area, "area_name": _area_name(area),
                "staff_group": group, "hubs": count, "year": when,
                "cost_gbp": float(cost["value"].sum()),
                **{f"fte_gained_{s}": _value(final, "gap_closed_fte", s)
                   for s in ("p50", "p5", "p95")},
                "cost_per_fte_gained_p50": _value(final, "cost_per_fte_gap_closed", "p50"),
                "other_interventions": _others(specs, area, group),
            })
    return pd.DataFrame(out, columns=list(HUB_COLUMNS))


def hubs_table(frame: pd.DataFrame, n: Numbering, title: Any, source: str,
               period: str) -> TableView | None:
    """Return the numbered hubs table, or ``None`` (no number used) when there are no hubs."""
    if not len(frame):
        return None
    year = int(frame["year"].max())
    notes = ["FTE gained: supply with the scenario's interventions minus supply without them, "
             "in the same simulations (hubs add local joiners and do not change demand). Cost: "
             f"the principal run's, summed to {year}. Cost per FTE gained is the P50 over the "
             "simulations of each one's cost ÷ FTE gained."]
    if frame["other_interventions"].astype(bool).any():
        notes.append("Where other interventions act on the same region and staff group, "
                     "their cost and effect are included (named in the last column).")
    return n.table(frame, [
        Column("area_name", "Region"),
        Column("scenario", "Scenario", title),
        Column("staff_group", "Staff group", fmt.staff_group_name),
        Column("hubs", "Hubs", fmt.text, numeric=True),
        Column("cost_gbp", f"Cost to {year} (principal run)", fmt.gbp, numeric=True),
        Column(lambda r: fmt.value_range(r["fte_gained_p50"], r["fte_gained_p5"],
                                         r["fte_gained_p95"]),
               f"FTE gained in {year}: P50 (P5–P95)", fmt.text, numeric=True),
        Column("cost_per_fte_gained_p50", "Cost per FTE gained (P50)", fmt.gbp, numeric=True),
        Column("other_interventions", "Other interventions counted", fmt.text),
    ], "table-employer-hubs", f"Employer hubs: cost per FTE gained by region, in {year}",
        source, period, notes=notes, small=True)


def hubs_sheets(frame: pd.DataFrame, source: str,
                period: str) -> list[tuple[str, pd.DataFrame, str, str, str]]:
    """Return the ``employer_hubs`` sheet of ``tables.xlsx`` (none when there are no hubs)."""
    if not len(frame):
        return []
    return [("employer_hubs", frame, "Employer hubs: cost per FTE gained by region", source,
             period)]
