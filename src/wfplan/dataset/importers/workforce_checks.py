"""What the NHS Workforce Statistics importer tells the user about a file's hierarchy.

:class:`HierarchyReport` collects, while one file is read, the staff-group
labels it does not know, repeated rows, sort orders that change, and the
parents whose figure is not the sum of their children
(:class:`wfplan.dataset.importers.staff_hierarchy.Mismatch`), and turns them
into warnings (one per parent, naming the file's row) and notes.

Headcount is not additive: NHS Digital counts a person once at every level, so
someone in two staff groups is in both groups but once in their parent. (The
November 2014 edition of the series, for example, gave 1,216,834 people against
a role count of 1,240,454: NHS Workforce Statistics, November 2014, Provisional
Statistics, HSCIC, 24 February 2015.) So a parent headcount *below* its
children's sum is expected and is counted in one note; a parent headcount
*above* it, or any FTE that differs, is a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from wfplan.dataset.checks import Finding
from wfplan.dataset.importers import staff_hierarchy as tree
from wfplan.dataset.importers.toolkit import BadCells

#: Parents warned about one by one; the rest are counted in a note.
MAX_SHOWN = 50
_WORDS = {"fte": "FTE", "headcount": "HC"}
PARENT_RULE = ("a parent staff group equals the sum of its children; only the children "
               "are stored, so the parent's figure is not loaded")
REPEAT_RULE = ("one figure per organisation, month, data type and staff group (rule: no "
               "repeated staff group)")


@dataclass
class HierarchyReport:
    """The hierarchy checks of one file."""

    warned: list[tree.Mismatch] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    below: list[tree.Mismatch] = field(default_factory=list)
    unknown: dict[str, tuple[int, int]] = field(default_factory=dict)
    repeats: int = 0
    first_repeat: int | None = None
    orders: dict[str, list[str]] = field(default_factory=dict)
    totals: dict[str, tuple[float, float]] = field(default_factory=dict)
    unknown_clusters: set[str] = field(default_factory=set)
    empty: tuple[int, int] = (0, 0)
    conflicts: pd.DataFrame = field(default_factory=pd.DataFrame)
    parent_conflicts: tuple[int, int] = (0, 0)
    lone: tuple[int, str] = (0, "")

    def unknown_labels(self, rows: pd.DataFrame) -> None:
        """Remember the staff-group labels no node matches (their rows are not loaded)."""
        unknown = rows[rows["node"].isna() & rows["label"].notna()]
        for label, part in unknown.groupby("label", sort=True):
            self.unknown[str(label)] = (len(part), int(part.index.min()))

    def no_figure(self, rows: pd.DataFrame) -> None:
        """Remember the rows whose ``Total`` is empty or suppressed (left out)."""
        if not rows.empty:
            self.empty = (len(rows), int(rows.index.min()))

    def unplaced(self, leaves: pd.DataFrame) -> None:
        """Remember the leaves that are no staff group (a Total or an aggregate, alone)."""
        if not leaves.empty:
            first = leaves.loc[leaves.index.min()]
            self.lone = (len(leaves), f"{self.name(str(first['node']))!r} of "
                         f"{first['org_code']}, {first['period']}, "
                         f"{_WORDS.get(str(first['data_type']), '')} at row {leaves.index.min()}")

    def without_repeats(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Drop rows that repeat a node of the same organisation, month and data type.

        Two spellings of one group (``HCHS Doctors`` and ``HCHS doctors``) with the
        same figure are one row. Those with different figures are kept aside for
        :meth:`conflicting_leaves`: which one is right is a guess.
        """
        key = [*tree_keys(), "node"]
        repeated = rows.duplicated(subset=key, keep="first")
        if not repeated.any():
            return rows
        first = rows[~repeated].set_index(key)["value"]
        again = rows[repeated]
        before = first.reindex(pd.MultiIndex.from_frame(again[key])).to_numpy()
        differs = before != again["value"].to_numpy()
        self.conflicts = again[differs]
        same = again[~differs]
        self.repeats = len(same)
        self.first_repeat = int(same.index.min()) if len(same) else None
        return rows[~repeated]

    def conflicting_leaves(self, leaves: pd.DataFrame, bad: BadCells) -> None:
        """Refuse a repeat with another figure of a leaf; count those of parents in a note.

        A leaf's figure is stored, so a second figure for it is an error. A
        parent's is only checked (against the first figure given).
        """
        if self.conflicts.empty:
            return
        key = [*tree_keys(), "node"]
        stored = pd.MultiIndex.from_frame(leaves[key])
        leaf = pd.MultiIndex.from_frame(self.conflicts[key]).isin(stored)
        bad.add(self.conflicts["label"].astype(str), pd.Series(leaf, index=self.conflicts.index),
                "Staff Group", "repeats a staff group of an earlier row with another figure "
                f"({REPEAT_RULE})")
        parents = self.conflicts[~leaf]
        self.parent_conflicts = (len(parents), int(parents.index.min()) if len(parents) else 0)

    def sort_orders(self, frame: pd.DataFrame) -> None:
        """Remember the staff groups given more than one sort order in the file."""
        pairs = frame[["staff_group", "sort_order"]].dropna().drop_duplicates()
        counted = pairs.groupby("staff_group")["sort_order"].agg(lambda s: sorted(set(s)))
        self.orders = {str(k): v for k, v in counted.items() if len(v) > 1}

    def add(self, mismatches: list[tree.Mismatch], rows: pd.DataFrame) -> None:
        """Sort the mismatches into warnings and the expected headcount ones; add up totals."""
        for label, node in zip(rows["label"], rows["node"], strict=True):
            self.labels.setdefault(str(node), str(label))
        for found in mismatches:
            expected = found.data_type == "headcount" and found.value < found.total
            (self.below if expected else self.warned).append(found)
        for kind, part in rows.groupby("data_type"):
            roots = part.loc[part["node"] == tree.TOTAL, "value"]
            self.totals[str(kind)] = (float(roots.sum()) if len(roots) else float("nan"), 0.0)
        self.warned.sort(key=lambda m: m.row)

    def set_leaves(self, leaves: pd.DataFrame) -> None:
        """Record the sum of the leaves, by data type, beside the file's Total rows."""
        for kind, part in leaves.groupby("data_type"):
            root = self.totals.get(str(kind), (float("nan"), 0.0))[0]
            self.totals[str(kind)] = (root, float(part["value"].sum()))

    def name(self, node: str) -> str:
        """Return a node as the file spells it."""
        return self.labels.get(node) or tree.nodes()[node].name

    def findings(self) -> list[Finding]:
        """Return one warning per parent that differs from its children (up to MAX_SHOWN)."""
        return [Finding("staff_in_post", "Total", _num(m.value, grouped=False), self._text(m),
                        PARENT_RULE, 1, m.row) for m in self.warned[:MAX_SHOWN]]

    def _text(self, m: tree.Mismatch) -> str:
        children = ", ".join(f"{self.name(k)} {_num(v)}" for k, v in m.children.items())
        return (f"{self.name(m.parent)!r} of organisation {m.org_code}, {m.period}, "
                f"{_WORDS.get(m.data_type, m.data_type)} is {_num(m.value)} but its children "
                f"sum to {_num(m.total)} ({children})")

    def notes(self) -> list[str]:
        """Return the notes: labels not known, repeats, sort orders, headcount, totals."""
        notes = []
        if len(self.warned) > MAX_SHOWN:
            notes.append(f"{len(self.warned) - MAX_SHOWN:,} more parent staff groups differ "
                         f"from the sum of their children (the first {MAX_SHOWN} are shown)")
        notes += [f"staff group {label!r} is not in wfplan's staff-group hierarchy: its "
                  f"{count:,} row(s) (first at row {first}) were not loaded"
                  for label, (count, first) in self.unknown.items()]
        if self.empty[0]:
            notes.append(f"{self.empty[0]:,} row(s) have no figure in Total (empty or "
                         f"suppressed; first at row {self.empty[1]}): left out, so their "
                         "parents are checked without them")
        if self.parent_conflicts[0]:
            notes.append(f"{self.parent_conflicts[0]:,} row(s) repeat a parent staff group "
                         "with another figure for the same organisation, month and data type "
                         f"(first at row {self.parent_conflicts[1]}): the first figure was "
                         "checked against the children (a parent is not stored)")
        if self.lone[0]:
            notes.append(f"{self.lone[0]:,} figure(s) of a parent staff group given without "
                         f"any of its children (first: {self.lone[1]}) are in no wfplan staff "
                         "group and were not loaded")
        if self.repeats:
            notes.append(f"{self.repeats:,} row(s) repeat the figure of a staff group given "
                         f"earlier for the same organisation, month and data type (first at "
                         f"row {self.first_repeat}; e.g. two spellings): loaded once")
        notes += [f"staff group {label!r} has more than one sort order: {', '.join(orders)}"
                  for label, orders in self.orders.items()]
        if self.below:
            worst = max(self.below, key=lambda m: m.total - m.value)
            notes.append(
                f"{len(self.below):,} parent headcount(s) are below the sum of their children, "
                "as expected: a person in two staff groups is counted once in their parent "
                f"(largest: {self.name(worst.parent)!r} of {worst.org_code}, {worst.period}: "
                f"{worst.value:,.0f} against {worst.total:,.0f}); stored headcounts are the "
                "children's, so their sum over staff groups can exceed the published total")
        for kind, (root, leaves) in sorted(self.totals.items()):
            given = ("the file has no Total rows" if root != root else
                     f"the file's Total rows sum to {_num(root)}")
            notes.append(f"{_WORDS.get(kind, kind)}: {given}; the staff groups loaded (the "
                         f"leaves) sum to {_num(leaves)}")
        if self.unknown_clusters:
            notes.append("cluster group(s) not known to wfplan, sector set to 'other': "
                         + ", ".join(sorted(self.unknown_clusters)))
        return notes


def tree_keys() -> list[str]:
    """Return the columns that identify one organisation, month and data type."""
    return ["period", "org_code", "data_type"]


def _num(value: float, *, grouped: bool = True) -> str:
    """Return a figure for reading: thousands separated, no float noise (``1,234.5``)."""
    text = f"{round(value, 6):{',' if grouped else ''}.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
