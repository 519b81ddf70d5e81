"""Resolve a model input that the vintage's data lacks: evidence library, then default.

Every input is taken from the vintage's own data first (:mod:`~wfplan.inputs.stock`,
:mod:`~wfplan.inputs.flows`, :mod:`~wfplan.inputs.training`). Where the data
gives no value for a staff group, :func:`resolve` looks in the evidence library
(:mod:`wfplan.inputs.evidence`, rows with ``resolves = true``), most specific
row first:

1. the staff group and age band;
2. the staff group, all ages;
3. every staff group of the group's sector (``staff_group = all``), by age band, then all ages;
4. every staff group (``sector = all``), by age band, then all ages;

and else takes the parameter table's default. :func:`record` writes one
:class:`~wfplan.model.Assumption` for each source used, with its ``tier``
(``evidence`` or ``default``) and ``source`` (library version, row id and
citation), so results, the assumptions table and the report's methods table
name it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from wfplan.dataset import codelists
from wfplan.inputs.evidence import ALL, EvidenceLibrary, EvidenceRow, load_library
from wfplan.inputs.source import Assumptions
from wfplan.model.assumptions import Assumption
from wfplan.model.parameters import get_spec

EVIDENCE, DEFAULT = "evidence", "default"


@dataclass(frozen=True)
class Resolved:
    """The value of one input for one staff group (and age band), and where it came from."""

    parameter: str
    staff_group: str
    value: float
    row: EvidenceRow | None
    version: str

    @property
    def tier(self) -> str:
        """``evidence`` when a library row gave the value, else ``default``."""
        return DEFAULT if self.row is None else EVIDENCE

    def source(self) -> str:
        """Return the source for a reader: the library row's citation, or the table's."""
        if self.row is None:
            return f"parameter table default ({get_spec(self.parameter).source})"
        return (f"evidence library {self.version}, row {self.row.id} ({self.row.status}): "
                f"{self.row.citation()}")

    def key(self) -> str:
        """Return what two groups share when they resolved from the same source."""
        return "default" if self.row is None else self.row.id


def _sector(staff_group: str) -> str | None:
    rows = codelists.get("staff_group").rows
    return next((row["sector"] for row in rows if row["code"] == staff_group), None)


def _rank(row: EvidenceRow, staff_group: str, sector: str | None,
          age_band: str | None) -> int | None:
    """Return how specific ``row`` is for the group and band, or ``None`` if it does not apply."""
    if row.staff_group not in (staff_group, ALL) or row.sector not in (sector, ALL):
        return None
    if row.age_band is not None and row.age_band != age_band:
        return None
    return (4 * (row.staff_group == staff_group) + 2 * (row.sector != ALL)
            + (row.age_band is not None))


def resolve(parameter: str, staff_group: str, age_band: str | None = None,
            library: EvidenceLibrary | None = None) -> Resolved:
    """Return ``parameter`` for ``staff_group`` (and ``age_band``) from the library, else default.

    Parameters
    ----------
    parameter
        A resolvable input (:data:`wfplan.inputs.evidence.RESOLVABLE`).
    staff_group, age_band
        Codes of the staff-group and age-band code lists.
    library
        The library to use (default: the package's).
    """
    library = library or load_library()
    sector = _sector(staff_group)
    ranked = [(rank, row) for row in library.resolving(parameter)
              if (rank := _rank(row, staff_group, sector, age_band)) is not None]
    if not ranked:
        return Resolved(parameter, staff_group, float(get_spec(parameter).default_value), None,
                        library.version)
    row = max(ranked, key=lambda item: item[0])[1]
    assert row.value is not None  # a resolving row has a value (validated)
    return Resolved(parameter, staff_group, float(row.value), row, library.version)


def resolve_groups(parameter: str, staff_groups: Sequence[str],
                   library: EvidenceLibrary | None = None) -> list[Resolved]:
    """Return ``parameter`` (all ages) for each staff group, in order."""
    return [resolve(parameter, group, None, library) for group in staff_groups]


def record(assumptions: Assumptions, resolved: Sequence[Resolved], why: str) -> None:
    """Record one assumption per source used by ``resolved`` (staff groups named in each).

    ``why`` says what the data lacked, e.g. ``"no flows"``.
    """
    by_source: dict[str, list[Resolved]] = {}
    for item in resolved:
        by_source.setdefault(item.key(), []).append(item)
    for items in by_source.values():
        first = items[0]
        groups = ", ".join(dict.fromkeys(item.staff_group for item in items))
        values = sorted({item.value for item in items})
        where = ("evidence library" if first.row is not None else "parameter table default")
        assumptions.add(first.parameter, values[0] if len(values) == 1 else values,
                        f"{why} for staff groups {groups}: {where}", first.source(),
                        first.tier)


def resolve_leaver_rate(staff_group: str, age_bands: Sequence[str],
                        library: EvidenceLibrary | None = None,
                        ) -> tuple[np.ndarray, Assumption]:
    """Return the annual leaver rate of ``staff_group`` by age band, and its assumption.

    For a staff group whose vintage has no flows (e.g. joiners = leavers + trend).
    The assumption names the library row(s) used, or the parameter table's default.
    """
    found = [resolve("leaver_rate", staff_group, band, library) for band in age_bands]
    rates = np.array([item.value for item in found], dtype=np.float64)
    sink = Assumptions()
    record(sink, found, "no leaver rates in the data")
    first = sink.records[0]
    if len(sink.records) > 1:
        sources = "; ".join(str(item.source) for item in sink.records)
        first = first.model_copy(update={"value": rates.tolist(), "source": sources})
    return rates, first
