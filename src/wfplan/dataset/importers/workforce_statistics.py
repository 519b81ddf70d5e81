"""NHS Digital: NHS Workforce Statistics, the monthly organisation × staff-group CSV.

One row per month, organisation, staff group and data type: ``Date,
NHSE_Region_Code, NHSE_Region_Name, ICS code, ICS name, Org Code, Org Name,
Cluster Group, Benchmark Group, Staff Group Sort Order, Staff Group, Data Type,
Total``. The staff groups are a hierarchy (Total → professionally qualified
clinical staff → HCHS doctors → consultant …; see
:mod:`wfplan.dataset.importers.staff_hierarchy`). See
``docs/importers/workforce_statistics.md``.

- ``staff_in_post``: the **leaves** of the hierarchy only, so nothing is
  counted twice: period (month), org_code, staff_group (wfplan's code), role
  (the medical grade of a doctor, e.g. ``consultant``; NULL for other groups),
  fte (the ``FTE`` row) and headcount (the ``HC`` row).
- Every parent present is checked against the sum of its children, per
  organisation, month and data type; a parent that differs is a warning naming
  the parent, its figure, the children and their sum. Headcount is the
  exception that proves the rule: a person in two staff groups is counted once
  in their parent, so a parent headcount *below* its children's sum is expected
  and is counted in one note; one *above* it is warned about.
- ``organisations``: each organisation once per month, valid on its census
  date: name, type (``Cluster Group``), sector, ICB (``ICS code``) and region.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wfplan.dataset.checks import Finding
from wfplan.dataset.importers import staff_hierarchy as tree
from wfplan.dataset.importers._publication import (
    TEXT,
    Layout,
    PublicationImporter,
    defer_to_existing,
    month_end,
    month_of,
    months,
    new_organisations,
)
from wfplan.dataset.importers.base import Match
from wfplan.dataset.importers.sickness import NOT_AN_AREA, sector_of_type
from wfplan.dataset.importers.toolkit import BadCells, parse_numbers, text_frame
from wfplan.dataset.importers.workforce_checks import HierarchyReport
from wfplan.dataset.readers import FileProbe
from wfplan.errors import InputError

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

_WORD = {"fte": "FTE", "headcount": "HC"}
#: The largest headcount read exactly (2**53: a double holds every whole number up to it).
MAX_HEADCOUNT = 2**53
#: Published data types → wfplan measure.
DATA_TYPES = {"fte": "fte", "full time equivalent": "fte", "hc": "headcount",
              "headcount": "headcount"}


class WorkforceStatistics(PublicationImporter):
    """NHS Workforce Statistics: staff group by organisation, monthly CSV (FTE and HC)."""

    name = "nhs_digital:workforce_statistics"
    description = ("NHS Digital NHS Workforce Statistics, organisation × staff group CSV "
                   "(Date, NHSE_Region_Code, ICS code, Org Code, Org Name, Cluster Group, "
                   "Benchmark Group, Staff Group Sort Order, Staff Group, Data Type, Total)")
    title = "NHS Workforce Statistics (staff group by organisation)"
    table = "staff_in_post"
    layout = Layout(
        required={
            "date": ("date", "month", "period"),
            "org_code": ("org_code", "organisation_code"),
            "staff_group": ("staff_group",),
            "data_type": ("data_type",),
            "total": ("total",),
        },
        optional={
            "org_name": ("org_name", "organisation_name"),
            "cluster_group": ("cluster_group",),
            "region_code": ("nhse_region_code", "region_code"),
            "icb_code": ("ics_code", "icb_code"),
            "sort_order": ("staff_group_sort_order",),
        },
        ignored=("nhse_region_name", "ics_name", "icb_name", "benchmark_group"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[pd.DataFrame] = []
        self.report = HierarchyReport()

    def reset(self) -> None:
        """Forget the previous file's rows and checks."""
        self.parts, self.report = [], HierarchyReport()

    def rows(self, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
        """Keep the chunk: the hierarchy is checked once the whole file is read."""
        self.parts.append(frame)
        yield from ()

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Read the whole file, then yield its organisations and its leaves."""
        yield from super().chunks(probe, match)
        if not self.parts:
            return
        frame = pd.concat(self.parts)
        self.parts = []
        month = months(frame["date"], self.state)
        readable = month.map(lambda m: isinstance(m, str) and month_of(m) == m).astype(bool)
        orgs = self._organisations(frame[readable], month[readable])
        if not orgs.empty:
            yield "organisations", orgs
        staff = self._leaves(frame.assign(period=month), probe.path.name)
        if not staff.empty:
            yield "staff_in_post", staff

    def _leaves(self, frame: pd.DataFrame, file: str) -> pd.DataFrame:
        """Check the cells and the hierarchy; return the leaves as staff in post."""
        bad = BadCells(file)
        kind = pd.Series([DATA_TYPES.get(t.strip().casefold()) if isinstance(t, str) else None
                          for t in frame["data_type"]], index=frame.index, dtype=object)
        bad.add(frame["data_type"].fillna(""), kind.isna(), "Data Type",
                "must be FTE or HC (rule: data type)")
        value, _ = parse_numbers(frame["total"].fillna(""), file, "Total", bad)
        total = frame["total"].fillna("")
        bad.add(total, (value < 0) | np.isinf(value), "Total",
                "must be a finite number of at least 0 (rule: min 0)")
        value = value.where(np.isfinite(value))
        whole = (kind == "headcount") & value.notna() & (
            (value != value.round()) | (value > MAX_HEADCOUNT))
        bad.add(total, whole, "Total", "must be a whole number (at most "
                f"{MAX_HEADCOUNT:,}) for data type HC (rule: headcount is a count)")
        for column, name in (("date", "Date"), ("org_code", "Org Code"),
                             ("staff_group", "Staff Group")):
            bad.add(frame[column].fillna(""), frame[column].isna(), name,
                    "is required but empty (rule: required)")
        node = pd.Series([tree.node_of(s) if isinstance(s, str) else None
                          for s in frame["staff_group"]], index=frame.index, dtype=object)
        rows = pd.DataFrame({"period": frame["period"], "org_code": frame["org_code"].str.upper(),
                             "data_type": kind, "node": node, "value": value,
                             "label": frame["staff_group"]}, index=frame.index)
        self.report.unknown_labels(rows)
        self.report.no_figure(rows[rows["value"].isna()])
        rows = rows[rows["node"].notna() & rows["data_type"].notna() & rows["value"].notna()]
        bad.check()
        rows = self.report.without_repeats(rows)
        if "sort_order" in frame:
            self.report.sort_orders(frame)
        # Headcounts are whole numbers: any difference counts.
        tolerance = {"fte": _rounding(frame["total"][kind == "fte"]), "headcount": 0.0}
        leaves, mismatches = tree.resolve(rows, tolerance)
        self.report.conflicting_leaves(leaves, bad)
        bad.check()
        self.report.add(mismatches, rows)
        placed = leaves["node"].map(lambda n: tree.nodes()[n].staff_group is not None)
        self.report.unplaced(leaves[~placed.astype(bool)])
        leaves = leaves[placed.astype(bool)]
        self.report.set_leaves(leaves)
        return self._staff(leaves) if not leaves.empty else pd.DataFrame()

    def _staff(self, leaves: pd.DataFrame) -> pd.DataFrame:
        """Return one staff-in-post row per leaf: the FTE and HC rows side by side."""
        known = tree.nodes()
        leaves = leaves.assign(row=leaves.index)
        wide = leaves.pivot_table(index=["period", "org_code", "node"], columns="data_type",
                                  values=["value", "row"], aggfunc="first")
        wide.columns = ["_".join(map(str, column)) for column in wide.columns]
        wide = wide.reset_index()
        for measure in ("fte", "headcount"):
            for part in ("value", "row"):
                if f"{part}_{measure}" not in wide:
                    wide[f"{part}_{measure}"] = np.nan
        row = wide["row_fte"].fillna(wide["row_headcount"]).astype(int)
        staff = pd.DataFrame({
            "period": wide["period"], "org_code": wide["org_code"],
            "staff_group": wide["node"].map(lambda n: known[n].staff_group),
            "role": wide["node"].map(lambda n: known[n].role),
            "headcount": wide["value_headcount"].round().astype("Int64"),
            "fte": wide["value_fte"],
        })
        staff.index = pd.Index(row.to_numpy())
        given = [m for m in ("fte", "headcount") if staff[m].notna().any()]
        if not given:
            raise InputError(f"{self.state.path.name}: no FTE or HC figure of a staff group "
                             "could be loaded (rule: staff_in_post needs FTE or headcount)")
        for measure in {"fte", "headcount"} - set(given):
            self.state.note(f"the file gives no {_WORD[measure]} figure of a staff group: "
                            f"{measure} is not loaded")
            staff = staff.drop(columns=measure)
        return text_frame(staff.sort_index())

    def _organisations(self, frame: pd.DataFrame, month: pd.Series) -> pd.DataFrame:
        census = month.map(month_end)
        code = frame["org_code"].str.upper()
        orgs = pd.DataFrame({
            "org_code": code,
            "name": frame["org_name"].fillna(code) if "org_name" in frame else code,
            "valid_from": census, "valid_to": census,
        }, index=frame.index).dropna(subset=["org_code"])
        orgs = new_organisations(orgs, self.state)
        if orgs.empty:
            return orgs
        types = (frame.loc[orgs.index, "cluster_group"] if "cluster_group" in frame
                 else pd.Series(pd.NA, index=orgs.index, dtype=TEXT))
        orgs["org_type"] = types
        orgs["sector"] = types.map(self._sector).astype(TEXT)
        for column in ("region_code", "icb_code"):
            codes = (frame.loc[orgs.index, column].str.upper() if column in frame
                     else pd.Series(pd.NA, index=orgs.index, dtype=TEXT))
            orgs[column] = codes.mask(codes.isin(NOT_AN_AREA))
        return orgs.astype(TEXT)

    def _sector(self, cluster: object) -> str:
        sector = sector_of_type(cluster)
        if sector is None and isinstance(cluster, str):
            self.report.unknown_clusters.add(cluster)
        return sector or "other"

    def findings(self) -> list[Finding]:
        """Return a warning per parent whose figure is not its children's sum."""
        return self.report.findings()

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Report the checks; keep one description per organisation and date."""
        notes = super().finish(store, ingest_id, vintage)
        kept = defer_to_existing(store, "organisations", ingest_id, vintage)
        if kept:
            notes.append(f"{kept} organisation-month(s) were already described in the vintage; "
                         "those descriptions were kept")
        return notes + self.report.notes()


def _rounding(text: pd.Series) -> float:
    """Return half a unit of the last decimal the file gives (0.005 for 2 decimals)."""
    decimals = text.dropna().map(lambda t: len(m.group(1)) if (m := re.search(
        r"\.(\d+)$", str(t).strip())) else 0)
    places = int(decimals.max()) if len(decimals) else 0
    return 0.5 * 10.0 ** -min(places, 9)


IMPORTERS = [WorkforceStatistics()]
