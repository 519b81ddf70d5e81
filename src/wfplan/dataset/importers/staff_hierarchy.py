"""The staff-group hierarchy of NHS Digital's workforce publications, and its check.

The monthly *NHS Workforce Statistics* organisation CSV gives, for each
organisation, month and data type (FTE or headcount), one row per node of a
tree of staff groups::

    Total
    ├── Professionally qualified clinical staff
    │   ├── HCHS doctors
    │   │   ├── Consultant, Associate Specialist, Specialty Doctor, Staff Grade,
    │   │   │   Specialty Registrar, Core Training, Foundation Doctor Year 1 and 2,
    │   │   │   Hospital Practitioner / Clinical Assistant, Other HCHS Doctor Grades
    │   ├── Nurses & health visitors, Midwives, Ambulance staff,
    │   │   Scientific, therapeutic & technical staff
    ├── Support to clinical staff
    │   └── Support to doctors, nurses & midwives, Support to ambulance staff,
    │       Support to ST&T staff
    ├── NHS infrastructure support
    │   └── Central functions, Hotel, property & estates, Senior managers, Managers
    └── Unknown classification

The tree is not written here: it is the one wfplan's code lists already hold
(``staff_group_aggregates.csv`` → ``staff_groups.csv``, whose ``parent`` is the
aggregate → ``roles.csv``, whose ``staff_group`` is the group), with ``Total``
as the root. A file need not give every node: rows with no staff are left out
(ambulance staff outside ambulance trusts), and a level may be missing
altogether (this file has no "Other staff or those with unknown
classification" row above "Unknown classification"). So, within one
organisation, month and data type, a node's parent is its nearest ancestor
*present*, and its leaves are the nodes present with no descendant present.
Only leaves are stored: nothing is counted twice, whichever levels a file gives.

:func:`resolve` returns the leaves and every parent whose figure differs from
the sum of its children.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from wfplan.dataset import codelists

TOTAL = "total"
#: Labels of the root (normalised by :func:`wfplan.dataset.codelists.normalise_label`).
_TOTAL_LABELS = frozenset({"total", "all staff", "all staff groups"})
#: The sector whose staff groups the NHS workforce publications count.
_SECTOR = "nhs_trust"


@dataclass(frozen=True)
class Node:
    """One node of the tree: what is stored for it, and its ancestors (nearest first)."""

    key: str
    name: str
    staff_group: str | None
    role: str | None
    ancestors: tuple[str, ...]


@cache
def nodes() -> dict[str, Node]:
    """Return every node of the tree by key (``total``, ``agg:…``, ``group:…``, ``role:…``)."""
    found = {TOTAL: Node(TOTAL, "Total", None, None, ())}
    for row in codelists.get("staff_group_aggregate").rows:
        key = f"agg:{row['code']}"
        found[key] = Node(key, row["name"], None, None, (TOTAL,))
    groups = [r for r in codelists.get("staff_group").rows if r["sector"] == _SECTOR]
    for row in groups:
        key, parent = f"group:{row['code']}", row["parent"]
        above = (f"agg:{parent}", TOTAL) if parent else (TOTAL,)
        found[key] = Node(key, row["name"], row["code"], None, above)
    for row in codelists.get("role").rows:
        group = found.get(f"group:{row['staff_group']}")
        if group is None:
            continue
        key = f"role:{row['code']}"
        found[key] = Node(key, row["name"], group.staff_group, row["code"],
                          (group.key, *group.ancestors))
    return found


def node_of(label: str) -> str | None:
    """Return the node a published staff-group label names, or ``None`` if unknown."""
    text = codelists.normalise_label(label)
    if text in _TOTAL_LABELS:
        return TOTAL
    known = nodes()
    for prefix, codelist in (("agg", "staff_group_aggregate"), ("group", "staff_group"),
                             ("role", "role")):
        code = codelists.get(codelist).code_for(label)
        if code is not None and f"{prefix}:{code}" in known:
            return f"{prefix}:{code}"
    return None


@dataclass
class Mismatch:
    """A parent whose figure is not the sum of its children, in one organisation and month."""

    period: str
    org_code: str
    data_type: str
    parent: str
    value: float
    children: dict[str, float]
    row: int

    @property
    def total(self) -> float:
        """Return the sum of the children."""
        return float(sum(self.children.values()))


def resolve(rows: pd.DataFrame, tolerance: dict[str, float]) -> tuple[pd.DataFrame,
                                                                     list[Mismatch]]:
    """Return the leaf rows and the parents that differ from the sum of their children.

    Parameters
    ----------
    rows
        One row per node present: ``period``, ``org_code``, ``data_type``, ``node``
        (a key of :func:`nodes`), ``value`` (float), indexed by the file's row.
        A node appears at most once per organisation, month and data type.
    tolerance
        Per data type, the largest difference of a parent from its children's
        sum that is taken for rounding, per figure summed (parent and children).

    Returns
    -------
    leaves, mismatches
        ``rows`` restricted to the leaves, and one :class:`Mismatch` per parent
        (per organisation, month and data type) beyond the tolerance.
    """
    if rows.empty:
        return rows, []
    keys = ["period", "org_code", "data_type"]
    group = rows.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    order = list(nodes())
    column = {key: i for i, key in enumerate(order)}
    node_index = rows["node"].map(column).to_numpy()
    values = np.full((int(group.max()) + 1, len(order)), np.nan)
    values[group, node_index] = rows["value"].to_numpy(dtype=float)
    present = ~np.isnan(values)
    parent = _nearest_present_parents(present, order, column)
    sums = np.zeros_like(values)
    children = np.zeros(values.shape, dtype=int)
    for n in range(len(order)):
        hit = present[:, n] & (parent[:, n] >= 0)
        at = (np.flatnonzero(hit), parent[hit, n])
        np.add.at(sums, at, values[hit, n])
        np.add.at(children, at, 1)
    has_child = children > 0
    is_leaf = (present & ~has_child)[group, node_index]
    allowed = np.zeros(len(values))
    allowed[group] = rows["data_type"].map(lambda t: tolerance.get(t, 0.0)).to_numpy(float)
    off = has_child & (np.abs(values - sums) > allowed[:, None] * (children + 1) + 1e-9)
    return rows[is_leaf], _mismatches(rows, group, node_index, off, values, parent, order)


def _nearest_present_parents(present: np.ndarray, order: list[str],
                             column: dict[str, int]) -> np.ndarray:
    """Return, per group and node, the column of its nearest present ancestor (or -1)."""
    parent = np.full(present.shape, -1)
    known = nodes()
    for n, key in enumerate(order):
        for ancestor in known[key].ancestors:
            a = column[ancestor]
            parent[:, n] = np.where((parent[:, n] < 0) & present[:, a], a, parent[:, n])
    return parent


def _mismatches(rows: pd.DataFrame, group: np.ndarray, node_index: np.ndarray,
                off: np.ndarray, values: np.ndarray, parent: np.ndarray,
                order: list[str]) -> list[Mismatch]:
    if not off.any():
        return []
    located = pd.DataFrame({"group": group, "node": node_index, "row": rows.index},
                           index=rows.index).join(rows[["period", "org_code", "data_type"]])
    found = []
    for row in located[off[group, node_index]].itertuples(index=False):
        g, p = int(row.group), int(row.node)
        kids = np.flatnonzero((parent[g] == p) & ~np.isnan(values[g]))
        found.append(Mismatch(str(row.period), str(row.org_code), str(row.data_type), order[p],
                              float(values[g, p]),
                              {order[k]: float(values[g, k]) for k in kids}, int(row.row)))
    return found
