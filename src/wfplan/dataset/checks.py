"""Plausibility checks: rows that are valid but unlikely, counted and warned about.

A cell can be of the right type and in range and still be a probable mistake:
a census in the future, a census date in the middle of a month, more FTE than
people, a ``dd/mm/yyyy`` date that reads both ways. ``tables.csv`` names the
checks of each column (:data:`wfplan.dataset.schema.CHECKS`). A row that fails
a check is loaded as given and counted in one :class:`Finding` per file,
column and check (how many rows, the first of them), shown in the ingest
summary; a check written with a trailing ``!`` is an error instead. Some checks compare
two columns of a row (:data:`PAIRS`): a flow's ``period_end`` after its
``period_start``, sickness days lost at most the days available.

Control characters (NUL, tab, line breaks, U+0000–U+001F and U+007F–U+009F)
are refused in every text column: a code with an invisible character in it
would be a new code, a new organisation. Name columns with the check
``strip_controls`` have them removed instead (a tab or line break becomes a
space), with a warning; ``strip_controls!`` refuses them there too.

The checks run once per distinct value (dates, text) or as one vectorised
comparison per chunk (FTE against headcount), so they cost little.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc

from wfplan.dataset.schema import Check, ColumnSpec, TableSpec

#: FTE may exceed headcount by this factor before a row is warned about. A person's
#: FTE is normally at most 1.0 (37.5 hours a week); published FTE is rounded (often to
#: 2 decimals, and small cells are adjusted to prevent disclosure) and a few contracts
#: run above standard hours, so a little more FTE than people is plausible. Beyond 5%
#: the usual cause is swapped headcount and FTE columns, or hours typed as FTE.
#: (A wfplan assumption, not a published threshold.)
FTE_PER_HEAD_TOLERANCE = 1.05

_DMY = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
#: Control characters: C0 (NUL, tab, line breaks …), DEL and C1 (RE2 syntax, for pyarrow).
CONTROL = r"[\x00-\x1f\x7f-\x9f]"
_SPACING = r"[\t\n\r\v\f]+"
#: What a code holding a control character is told.
CONTROL_RULE = ("holds a control character (rule: no control characters in codes: a code with "
                "an invisible character is a different code, e.g. a new organisation)")

#: What each check says about a failing value, and the rule it states.
RULES = {
    "not_future": ("is after the day of the ingest ({today})",
                   "not_future: a census or period date is not in the future"),
    "month_end": ("is not the last day of a month",
                  "month_end: census dates are month ends; write YYYY-MM for a month"),
    "fte_per_head": ("FTE {fte:g} is more than headcount {headcount:g} × "
                     f"{FTE_PER_HEAD_TOLERANCE:g}",
                     f"fte_per_head: FTE ≤ headcount × {FTE_PER_HEAD_TOLERANCE:g}"),
    "strip_controls": ("holds control characters; they were removed (a tab or line break "
                       "became a space)", "strip_controls: a name holds no control characters"),
    "period_order": ("is not after period_start {other}",
                     "period_order: a flow runs from period_start to a later period_end"),
    "lost_within_available": ("is more than fte_days_available {other}",
                              "lost_within_available: FTE days lost ≤ FTE days available, a "
                              "sickness absence rate of at most 100%"),
}
#: Checks that compare a cell with another column of its row: the other column, and the
#: comparison that a plausible row passes (cell, other) → bool.
PAIRS: dict[str, tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]] = {
    "period_order": ("period_start", np.greater),
    "lost_within_available": ("fte_days_available", np.less_equal),
}
#: The failing rows of a check whose message gives the other column's value.
_SHOWN = 50


#: How the documentation states each check (``wfplan template`` and docs/dataset.md).
DOCS = {
    "not_future": "a date after the day of the ingest (a census is not in the future)",
    "month_end": "a date that is not a month's last day (census dates are month ends; "
                 "YYYY-MM means the last day)",
    "fte_per_head": f"FTE above headcount × {FTE_PER_HEAD_TOLERANCE:g} (a person's FTE is "
                    "normally at most 1.0; the 5% allows for rounded FTE and a few contracts "
                    "above 37.5 hours; more usually means swapped columns or hours typed as FTE)",
    "period_order": "a period_end on or before period_start (a flow runs from one census to a "
                    "later one; swapped columns?)",
    "lost_within_available": "FTE days lost above FTE days available (a sickness absence rate "
                             "above 100%; swapped columns?)",
    "strip_controls": "a name holding control characters (NUL, tab, line breaks, U+0000–U+001F, "
                      "U+007F–U+009F): they are removed, a tab or line break becoming a space "
                      "(as an error check, the row is refused)",
}
#: The rule for control characters, which applies to every text column.
CONTROL_DOC = ("text holds no control characters (NUL, tab, line breaks, U+0000–U+001F, "
               "U+007F–U+009F): in a code, where one would make a different code (a new "
               "organisation), the row is refused; a name column with the check "
               "strip_controls has them removed, with a warning")
#: The rule for ``dd/mm/yyyy`` dates, which applies to every date column.
DAY_FIRST_DOC = ("dd/mm/yyyy is read day first, as UK publications write it; a date that reads "
                 "both ways (01/02/2025) is a warning once per file, or a note when the file's "
                 "other dates (13/02/2025) show it is day first")


def document(check: Check) -> str:
    """Return how the documentation states a check: what it flags, and its severity."""
    return f"{'error' if check.error else 'warning'}: {DOCS[check.name]}"


@dataclass
class Finding:
    """Rows of one file that fail one check of one column: loaded, counted, warned about."""

    table: str
    column: str | None
    value: str | None
    text: str
    rule: str
    rows: int
    first_row: int | None

    def merge(self, other: Finding) -> None:
        """Add the rows of another chunk's finding; keep the first row and its value."""
        self.rows += other.rows
        if other.first_row is not None and (self.first_row is None
                                            or other.first_row < self.first_row):
            self.first_row, self.value, self.text = other.first_row, other.value, other.text


@dataclass
class DayFirstDates:
    """The ``dd/mm/yyyy`` dates of one file: ambiguous ones, and those only day first reads.

    Shared by every table of a file, so that the file gets one warning (or note).
    """

    ambiguous_rows: int = 0
    ambiguous: tuple[str, int] | None = None
    """The first ambiguous value and its row."""
    column: str | None = None
    """The column of the first ambiguous value."""
    day_first: tuple[str, int] | None = None
    """The first value whose day is above 12 (readable only day first) and its row."""

    def add(self, values: list[str | None], rows: np.ndarray, first_rows: np.ndarray,
            column: str) -> None:
        """Record a column's distinct values with their row counts and first rows."""
        for value, count, first in zip(values, rows.tolist(), first_rows.tolist(), strict=True):
            found = _DMY.match(value or "")
            if found is None or count == 0:
                continue
            day, month = int(found[1]), int(found[2])
            if day <= 12 and day != month and month <= 12:
                self.ambiguous_rows += count
                if self.ambiguous is None or first < self.ambiguous[1]:
                    self.ambiguous, self.column = (value or "", first), column
            elif day > 12 and month <= 12 and (self.day_first is None or first < self.day_first[1]):
                self.day_first = (value or "", first)

    def outcome(self, place: Callable[[int], str]) -> tuple[Finding | None, str | None]:
        """Return the file's warning about ambiguous dates, or a note when they are not.

        ``place`` says where a data row is (``row 3 (line 4)``).
        """
        if self.ambiguous is None:
            return None, None
        value, row = self.ambiguous
        day, month, year = (int(p) for p in value.split("/"))
        read = f"{day} {date(year, month, day):%B %Y}"
        if self.day_first is not None:
            other, other_row = self.day_first
            return None, (f"{self.ambiguous_rows:,} dd/mm/yyyy date(s) such as {value!r} "
                          f"({place(row)}) could be read either way; they were read day first "
                          f"({read}), as the file's other dates such as {other!r} "
                          f"({place(other_row)}) can only be read")
        return Finding("", self.column, value, f"could be day first or month first; read day first "
                       f"({read}), as UK publications write dates", "dd/mm/yyyy is read day "
                       "first; write YYYY-MM-DD to be unambiguous", self.ambiguous_rows,
                       row), None


@dataclass
class Plausibility:
    """The checks of one file's rows for one table, across its chunks."""

    spec: TableSpec
    dates: DayFirstDates = field(default_factory=DayFirstDates)
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)
    filled: dict[str, bool] = field(default_factory=dict)
    today: np.datetime64 = field(default_factory=lambda: np.datetime64(date.today(), "D"))

    def date_column(self, col: ColumnSpec, values: list[str | None], days: Sequence[object],
                    positions: np.ndarray, index: pd.Index) -> pd.DataFrame:
        """Check one date column's distinct values; return the rows failing an error check."""
        checked = [c for c in col.checks if c.name in ("not_future", "month_end")]
        dmy = any(v is not None and _DMY.match(v) for v in values)
        if not checked and not dmy:
            return _no_rows()
        stamps = np.array([np.datetime64("NaT") if d is None else d for d in days],
                          dtype="datetime64[D]")
        failing = {c.name: self._fails(c.name, stamps) for c in checked}
        if not dmy and not any(f.any() for f in failing.values()):
            return _no_rows()
        counts, first = _counts(positions, len(values), index)
        if dmy:
            self.dates.add(values, counts, first, col.name)
        errors = []
        for check in checked:
            bad = np.flatnonzero(failing[check.name])
            if not bad.size:
                continue
            if check.error:
                rows = index.to_numpy()[np.isin(positions, bad)]
                errors.append(_rows(rows, self.spec, col.name, _rule(check.name, self.today)))
                continue
            at = int(bad[np.argmin(first[bad])])
            text, rule = RULES[check.name]
            self._add(Finding(self.spec.name, col.name, values[at], text.format(
                today=str(self.today)), rule, int(counts[bad].sum()), int(first[at])))
        return pd.concat(errors, ignore_index=True) if errors else _no_rows()

    def controls(self, col: ColumnSpec, values: pyarrow.Array, positions: np.ndarray,
                 index: pd.Index) -> tuple[pyarrow.Array, pd.DataFrame]:
        """Check a text column's distinct values for control characters.

        Returns the values (without their control characters, in a column whose
        ``strip_controls`` check is a warning) and the rows refused.
        """
        found = pc.match_substring_regex(pc.utf8_trim_whitespace(values), CONTROL)
        if not pc.any(found).as_py():
            return values, _no_rows()
        bad = np.flatnonzero(found.fill_null(False).to_numpy(zero_copy_only=False))
        check = next((c for c in col.checks if c.name == "strip_controls"), None)
        if check is None or check.error:
            rule = CONTROL_RULE if check is None else _rule("strip_controls")
            rows = index.to_numpy()[np.isin(positions, bad)]
            return values, _rows(rows, self.spec, col.name, rule)
        counts, first = _counts(positions, len(values), index)
        at = int(bad[np.argmin(first[bad])])
        text, rule = RULES["strip_controls"]
        self._add(Finding(self.spec.name, col.name, values[at].as_py(), text, rule,
                          int(counts[bad].sum()), int(first[at])))
        spaced = pc.replace_substring_regex(values, _SPACING, " ")
        return pc.replace_substring_regex(spaced, CONTROL, ""), _no_rows()

    def _fails(self, check: str, stamps: np.ndarray) -> np.ndarray:
        known = ~np.isnat(stamps)
        if check == "not_future":
            return known & (stamps > self.today)
        next_day = stamps + np.timedelta64(1, "D")
        return known & (next_day.astype("datetime64[M]") == stamps.astype("datetime64[M]"))

    def measure(self, name: str, text_valid: int, marked: int) -> None:
        """Record whether a measure column of a chunk holds any value (or marker)."""
        self.filled[name] = self.filled.get(name, False) or text_valid + marked > 0

    def per_head(self, values: dict[str, pd.Series], index: pd.Index) -> pd.DataFrame:
        """Compare FTE with headcount, row by row; return the rows failing an error check."""
        col = self.spec.column("fte") if "fte" in self.spec.column_names else None
        check = next((c for c in col.checks if c.name == "fte_per_head"), None) if col else None
        if check is None or "headcount" not in values or "fte" not in values:
            return _no_rows()
        fte = values["fte"].to_numpy(dtype="float64", na_value=np.nan)
        heads = values["headcount"].to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(invalid="ignore"):
            bad = fte > heads * FTE_PER_HEAD_TOLERANCE
        if not bad.any():
            return _no_rows()
        if check.error:
            return _rows(index.to_numpy()[bad], self.spec, "fte", _rule("fte_per_head"))
        at = int(np.flatnonzero(bad)[0])
        text, rule = RULES["fte_per_head"]
        self._add(Finding(self.spec.name, "fte", f"{fte[at]:g}", text.format(
            fte=fte[at], headcount=heads[at]), rule, int(bad.sum()), int(index[at])))
        return _no_rows()

    def pairs(self, values: dict[str, pd.Series], index: pd.Index) -> pd.DataFrame:
        """Compare cells with another column of their row (:data:`PAIRS`).

        Returns the rows failing an error check; a warning check is counted in a
        finding. A row with either cell empty passes.
        """
        found = [_no_rows()]
        for col in self.spec.columns:
            for check in (c for c in col.checks if c.name in PAIRS):
                other, holds = PAIRS[check.name]
                if col.name not in values or other not in values:
                    continue
                mine, theirs = _comparable(values[col.name]), _comparable(values[other])
                with np.errstate(invalid="ignore"):
                    bad = ~holds(mine, theirs) & ~np.isnan(mine) & ~np.isnan(theirs)
                if not bad.any():
                    continue
                rows = np.flatnonzero(bad)
                text, rule = RULES[check.name]
                shown = [text.format(other=_shown(values[other].iloc[r])) for r in rows[:_SHOWN]]
                if check.error:
                    rules = [f"{t} (rule: {rule})" for t in shown]
                    unshown = f"{text.replace(' {other}', '')} (rule: {rule})"
                    rules += [unshown] * (len(rows) - len(shown))
                    found.append(_rows(index.to_numpy()[rows], self.spec, col.name, rules))
                    continue
                self._add(Finding(self.spec.name, col.name, _shown(values[col.name].iloc[rows[0]]),
                                  shown[0], rule, len(rows), int(index[rows[0]])))
        return pd.concat(found, ignore_index=True)

    def _add(self, finding: Finding) -> None:
        key = (str(finding.column), finding.rule)
        if key in self.findings:
            self.findings[key].merge(finding)
        else:
            self.findings[key] = finding

    def finish(self) -> tuple[list[tuple[str, str]], list[Finding]]:
        """Return the file-level errors (column, rule) and every warning of the file."""
        errors = [(name, f"is empty in every row (rule: required measure: a {self.spec.name} "
                         f"file gives {name} in at least one row; a column left blank, or "
                         "merged header cells?)")
                  for name in self.unfilled() if self.spec.column(name).required]
        return errors, list(self.findings.values())

    def unfilled(self) -> list[str]:
        """Return the measure columns the file has but leaves empty in every row so far."""
        return [name for name, filled in self.filled.items() if not filled]


def unfilled_optional(table: str, column: str) -> Finding:
    """Return the warning for an optional measure column still empty once the file is loaded.

    An importer may fill a measure after the rows are loaded (rates per head
    of a population), so the store, not the chunks, is asked.
    """
    return Finding(table, column, None, "is empty in every row; loaded as not reported",
                   "an optional measure may be left out", 0, None)


def _counts(positions: np.ndarray, size: int, index: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Return each distinct value's row count and first row number (0 if absent)."""
    present = positions >= 0
    counts = np.bincount(positions[present], minlength=size)
    first = np.zeros(size, dtype=np.int64)
    seen, at = np.unique(positions[present], return_index=True)
    first[seen] = index.to_numpy()[np.flatnonzero(present)[at]]
    return counts, first


def _rule(check: str, today: np.datetime64 | None = None) -> str:
    text, rule = RULES[check]
    if check == "fte_per_head":
        text = f"FTE is more than headcount × {FTE_PER_HEAD_TOLERANCE:g}"
    elif check == "strip_controls":
        text = "holds control characters"
    return f"{text.format(today=str(today))} (rule: {rule})"


def _comparable(values: pd.Series) -> np.ndarray:
    """Return a column as floats (dates as days since 1970), NaN where empty."""
    if isinstance(values.dtype, pd.ArrowDtype) and pyarrow.types.is_date(
            values.dtype.pyarrow_dtype):
        days = pyarrow.array(values.array).cast(pyarrow.int32()).cast(pyarrow.float64())
        return days.fill_null(np.nan).to_numpy(zero_copy_only=False)
    return values.to_numpy(dtype="float64", na_value=np.nan)


def _shown(value: object) -> str:
    """Return a cell's value as a message shows it: ``2024-03-31``, ``250``."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _rows(rows: np.ndarray, spec: TableSpec, column: str,
          rule: str | list[str]) -> pd.DataFrame:
    return pd.DataFrame({"row": rows.astype("float64"),
                         "order": float(spec.column_names.index(column)),
                         "column": column, "rule": rule})


def _no_rows() -> pd.DataFrame:
    return pd.DataFrame({"row": pd.Series(dtype="float64"), "order": pd.Series(dtype="float64"),
                         "column": pd.Series(dtype=object), "rule": pd.Series(dtype=object)})
