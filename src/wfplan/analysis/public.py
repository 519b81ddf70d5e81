"""Published tables under disclosure control: :data:`wfplan.analysis.disclosure.POLICY` on frames.

Every table wfplan publishes from a vintage (``wfplan metrics --public`` today,
the API later) goes through :func:`control_frame`, which applies the table's
:class:`~wfplan.analysis.disclosure.TableRule`:

1. a frame with a record-level column (:attr:`Policy.person_level`) is refused
   (:class:`RecordLevelData`): record-level data is never published, controlled
   or not;
2. a row holding a count of 1 to ``threshold - 1`` people (or, without any
   count, a proxy FTE that small) is a small cell: its small counts and its
   revealing columns are suppressed;
3. every other count is rounded to the nearest ``rounding`` (0 stays 0);
4. derived columns (FTE per head, shares of two counts, a change of headcount)
   are recomputed from the controlled columns, so they reveal no more than these;
5. rates and shares are rounded to ``rate_decimals`` decimals.

A cell is *suppressed* when it held a value and holds none after control;
:attr:`PublicTable.suppressed` says which, so output can mark them (``*``).
A table the policy does not name is refused: each published table's columns
must be declared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from wfplan.analysis.disclosure import POLICY, Policy, TableRule

#: The column that marks, in CSV and JSON, a row with a suppressed cell.
SUPPRESSED_COLUMN = "suppressed"


class RecordLevelData(ValueError):
    """A frame holding record-level (person-level) columns was offered for publication."""


@dataclass(frozen=True)
class PublicTable:
    """One table after disclosure control.

    Attributes
    ----------
    name
        The table's name in :attr:`Policy.published`.
    frame
        The controlled figures (suppressed cells are missing).
    suppressed
        Which cells control suppressed (same index and columns as ``frame``).
    """

    name: str
    frame: pd.DataFrame
    suppressed: pd.DataFrame

    def marked(self) -> pd.DataFrame:
        """Return the frame with a :data:`SUPPRESSED_COLUMN` column: rows with a suppressed cell."""
        return self.frame.assign(**{SUPPRESSED_COLUMN: self.suppressed.any(axis=1).to_numpy()})


def refuse_record_level(frame: pd.DataFrame, policy: Policy = POLICY) -> None:
    """Refuse a frame with any record-level column (:attr:`Policy.person_level`).

    Raises
    ------
    RecordLevelData
        If the frame holds such a column.
    """
    found = [c for c in frame.columns if str(c) in policy.person_level]
    if found:
        raise RecordLevelData(f"record-level data cannot be published: the frame holds "
                              f"{', '.join(map(str, found))}")


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column], errors="coerce").astype("float64").to_numpy(
        na_value=np.nan)


def _put(frame: pd.DataFrame, column: str, values: np.ndarray) -> None:
    """Set a column to ``values`` (NaN is missing), keeping a nullable float column nullable."""
    if isinstance(frame[column].dtype, pd.Float64Dtype):
        frame[column] = pd.array(values, dtype="Float64")  # NaN becomes <NA>
    else:
        frame[column] = pd.Series(values, index=frame.index).astype(object).where(
            ~np.isnan(values), None)


def _small_rows(frame: pd.DataFrame, rule: TableRule, policy: Policy) -> np.ndarray:
    small = np.zeros(len(frame), dtype=bool)
    present = np.zeros(len(frame), dtype=bool)
    for column in rule.counts:
        if column in frame.columns:
            values = _numbers(frame, column)
            small |= policy.small(values)
            present |= ~np.isnan(values)
    if rule.proxy and rule.proxy in frame.columns:
        small |= ~present & policy.small(_numbers(frame, rule.proxy))
    return small


def _derive(operation: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if operation == "difference":
        return a - b
    if operation == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan)
    raise ValueError(f"unknown derived operation {operation!r}")


def control_frame(frame: pd.DataFrame, name: str, policy: Policy = POLICY) -> PublicTable:
    """Return published table ``name`` under disclosure control (see the module's steps).

    Raises
    ------
    RecordLevelData
        If the frame holds record-level columns.
    ValueError
        If the policy has no rule for ``name``.
    """
    refuse_record_level(frame, policy)
    if name not in policy.published:
        raise ValueError(f"the disclosure policy has no rule for table {name!r}: every "
                         "published table must be declared in POLICY.published")
    rule = policy.published[name]
    out = frame.copy()
    before = {c: _numbers(frame, c) for c in frame.columns
              if c in {*rule.counts, *rule.revealing, *rule.derived, *rule.rates}}
    small = _small_rows(frame, rule, policy)
    for column in rule.counts:
        if column in before:
            values = before[column]
            hide = small & policy.small(values)
            near = np.floor((values + policy.rounding / 2) / policy.rounding) * policy.rounding
            _put(out, column, np.where(hide, np.nan, near))
    for column in rule.revealing:
        if column in before:
            _put(out, column, np.where(small, np.nan, before[column]))
    for column, (operation, a, b) in rule.derived.items():
        if {column, a, b} <= set(out.columns):
            _put(out, column, np.where(np.isnan(before[column]), np.nan,
                                       _derive(operation, _numbers(out, a), _numbers(out, b))))
    for column in rule.rates:
        if column in before:
            _put(out, column, np.round(_numbers(out, column), policy.rate_decimals))
    hidden = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column, values in before.items():
        hidden[column] = ~np.isnan(values) & np.isnan(_numbers(out, column))
    return PublicTable(name, out, hidden)


def statement(policy: Policy = POLICY) -> str:
    """Return the sentence that says published output is under disclosure control."""
    return (f"Disclosure control applied (public output): counts of 1 to "
            f"{policy.threshold - 1} people suppressed (*), with the figures that would "
            f"reveal them; other counts rounded to the nearest {policy.rounding}; rates and "
            f"shares to {policy.rate_decimals} decimals. Method: {policy.source}")
