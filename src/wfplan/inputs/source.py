"""Reading a vintage for the model: one selection of areas, staff groups and dates.

A :class:`Selection` says what to read; the store's queries
(:mod:`wfplan.dataset.store.queries.model_inputs`) sum a fact table by area of the
level and staff group, placing each organisation as
:mod:`wfplan.dataset.geography` does (by its record nearest the base period).
Rows reported for a whole area (national publications) are left out, as in the
metrics, so nothing counts twice.
:class:`Assumptions` collects the records of every input that was defaulted.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.geography import UNMAPPED
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.model_inputs import AreaScope, area_regions
from wfplan.model.assumptions import Assumption


@dataclass
class Assumptions:
    """Records an :class:`Assumption` for each input that the data did not give."""

    records: list[Assumption] = field(default_factory=list)

    def add(self, name: str, value: object, reason: str, source: str | None = None,
            tier: str | None = None) -> None:
        """Record one assumption (``value`` is kept JSON-friendly).

        ``source`` and ``tier`` say where a resolved input came from
        (:mod:`wfplan.inputs.resolve`).
        """
        if isinstance(value, np.generic):
            value = value.item()
        self.records.append(Assumption.model_validate(
            {"name": name, "value": value, "reason": reason, "source": source, "tier": tier}))


@dataclass(frozen=True)
class Selection:
    """What to read: vintage, level, base period and filters.

    Attributes
    ----------
    store, vintage, level
        The store, the vintage and the area level (``england``, ``region``,
        ``icb`` or ``org``).
    period
        The base period (a census date); organisations are placed at it.
    sector
        Only organisations of this sector, when given.
    staff_groups
        Only these staff groups, when given.
    """

    store: Store
    vintage: str
    level: str
    period: date
    sector: str | None = None
    staff_groups: tuple[str, ...] | None = None

    @property
    def scope(self) -> AreaScope:
        """Return what to read, for the store's queries."""
        return AreaScope(self.vintage, self.level, self.period, self.sector, self.staff_groups)

    def regions(self) -> dict[str, str | None]:
        """Return the NHS region of every area of the level that has staff at the base period."""
        if self.level == "england":
            return {codelists.ENGLAND_CODE: None}
        frame = area_regions(self.store, self.scope)
        out: dict[str, str | None] = {}
        for area, region in zip(frame["area"], frame["region"], strict=True):
            if self.level == "region":
                region = None if area == UNMAPPED else area
            known = None if region is None or pd.isna(region) else str(region)
            out[str(area)] = out.get(str(area)) or known
        return out


def years_between(start: date, end: date) -> float:
    """Return the years from ``start`` to ``end``: whole months ÷ 12 between month ends.

    Censuses are month ends, so September 2017 to June 2018 is 0.75 years and
    March to March exactly 1; other dates count days ÷ 365.25.
    """
    if _month_end(start) and _month_end(end):
        return ((end.year - start.year) * 12 + end.month - start.month) / 12
    return (end - start).days / 365.25


def _month_end(day: date) -> bool:
    return (day + timedelta(days=1)).day == 1


def age_bands() -> tuple[tuple[str, ...], np.ndarray]:
    """Return the code list's age bands, youngest first, and their widths (last open)."""
    rows = codelists.get("age_band").rows
    codes = tuple(row["code"] for row in rows)
    widths = np.array([float(row["width"]) if row["width"] else np.inf for row in rows])
    return codes, widths


@cache
def _default_rows() -> tuple[dict[str, str], ...]:
    text = files("wfplan").joinpath("data/input_defaults.csv").read_text(encoding="utf-8")
    return tuple(csv.DictReader(io.StringIO(text)))


def default_profile(name: str) -> tuple[np.ndarray, str]:
    """Return a default age profile from ``data/input_defaults.csv`` and its source.

    ``name`` is ``stock_age_profile`` or ``joiner_age_profile``; the profile is in
    the order of :func:`age_bands` and sums to 1.
    """
    rows = {row["age_band"]: row for row in _default_rows() if row["name"] == name}
    codes, _ = age_bands()
    values = np.array([float(rows[code]["value"]) for code in codes])
    return values / values.sum(), rows[codes[0]]["source"]


def pivot(frame: pd.DataFrame, value: str, index: list[str], columns: str | None,
          labels: dict[str, tuple[str, ...]]) -> np.ndarray:
    """Return ``frame[value]`` as a dense array over ``labels`` (missing cells are 0)."""
    dims = [*index, *([columns] if columns else [])]
    if frame.empty:
        return np.zeros(tuple(len(labels[d]) for d in dims))
    series = frame.groupby(dims, dropna=False)[value].sum()
    full = pd.MultiIndex.from_product([list(labels[d]) for d in dims], names=dims)
    dense = series.reindex(full, fill_value=0.0).fillna(0.0)
    return dense.to_numpy(dtype=np.float64).reshape(tuple(len(labels[d]) for d in dims))
