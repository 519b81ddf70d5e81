"""The importer interface and the registry used for format detection."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from wfplan.dataset.checks import Finding
from wfplan.dataset.readers import FileProbe
from wfplan.errors import InputError, quoted, shown

if TYPE_CHECKING:
    from wfplan.dataset.store import Store


@dataclass(frozen=True)
class Provenance:
    """What the ingest log records about a file's source."""

    publisher: str | None = None
    title: str | None = None
    period: str | None = None
    licence: str | None = None


@dataclass
class Match:
    """An importer's claim on a file: which sheet, which table, how sure."""

    importer: Importer
    sheet: str = ""
    table: str | None = None
    score: float = 1.0
    notes: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    """Header cells the importer does not know: an error, or not read with
    ``--ignore-extra-columns``."""
    errors: list[str] = field(default_factory=list)
    """Rules the file breaks as a whole (e.g. a required column missing); nothing is read."""
    headerless: bool = False
    """The file has no header row: its first line is data row 1."""


class Importer(ABC):
    """One file format: how to recognise it and how to turn it into tidy chunks."""

    #: Short identifier recorded in the ingest log, e.g. ``tidy:staff_in_post``.
    name: str
    #: One line for the list of supported formats.
    description: str
    #: Lower runs first within one ingest call (reference data before facts).
    order: int = 50
    #: The reference tables (``organisations``, ``areas``) this format is the reference
    #: for. Rows a format writes to a reference table it is not the reference for (the
    #: organisations a fact file names) only fill what the reference data lacks.
    reference_for: frozenset[str] = frozenset()
    #: Whether a CSV file that is not UTF-8 is read as Windows-1252 (publications are
    #: often saved so); if not, it is refused unless ``--encoding`` names its encoding.
    reads_windows_1252: bool = True

    @abstractmethod
    def match(self, probe: FileProbe) -> Match | None:
        """Return a match if this importer reads the file, else ``None``."""

    @abstractmethod
    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield ``(table, chunk)`` pairs of text columns named as in ``tables.csv``."""

    def provenance(self, probe: FileProbe, match: Match) -> Provenance:
        """Return the publisher, title, period and licence of the file."""
        return Provenance()

    def order_for(self, match: Match) -> int:
        """Return the load order of a matched file (lower loads first)."""
        return self.order

    def describes(self, table: str) -> bool:
        """Return whether this format is the reference for a reference table."""
        return table in self.reference_for

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Run after the file's rows are loaded (in the same transaction); return notes."""
        return []

    def findings(self) -> list[Finding]:
        """Return warnings about the file read last that only the importer could see.

        For example, ``dd/mm/yyyy`` dates it turned into ISO dates itself.
        """
        return []


_REGISTRY: list[Importer] = []


def register(importer: Importer) -> None:
    """Add an importer to the registry used by :func:`detect`."""
    _REGISTRY.append(importer)


def registered() -> list[Importer]:
    """Return every registered importer."""
    return list(_REGISTRY)


def detect(probe: FileProbe) -> Match:
    """Return the best match for a file, or raise an error listing the formats."""
    matches = [m for imp in _REGISTRY if (m := imp.match(probe)) is not None]
    if matches:
        return max(matches, key=lambda m: m.score)
    seen = "; ".join(
        f"sheet {quoted(sheet)}: {', '.join(map(shown, header)) or '(no header found)'}"
        if sheet else ", ".join(map(shown, header))
        for sheet, header in probe.headers.items()
    )
    formats = "\n".join(f"  - {imp.description}" for imp in _REGISTRY)
    raise InputError(
        f"{probe.path}: the file matches no supported format.\n"
        f"  Found: {seen or '(nothing)'}\n"
        f"Supported formats:\n{formats}\n"
        "Use 'wfplan template TABLE' for the tidy layout of each table."
    )
