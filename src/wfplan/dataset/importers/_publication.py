"""Shared machinery for the importers of real publications (NHS Digital, NHS England, ONS, ODS).

Publications vary in ways that carry no meaning: encoding (UTF-8 with or
without a byte-order mark, Windows-1252), line endings, the case and spacing
of column names, extra columns, blank and notes rows, thousands separators and
suppression markers. The helpers here absorb that variation (the encoding is
decided once per file, for every importer, by :mod:`wfplan.dataset.charset`). They never guess
meaning: a label that matches no code list is passed on as given, so that
validation keeps the row, counts the value as unmapped and warns.

A :class:`PublicationImporter` reads one file at a time. What it learns while
reading (months covered, notes for the user) lives in a :class:`FileState`
that :meth:`~PublicationImporter.finish` and
:meth:`~PublicationImporter.provenance` use afterwards: the ingest reads,
finishes and records one file before it starts the next.
"""

from __future__ import annotations

import calendar
import re
from abc import abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Final

import pandas as pd

from wfplan.dataset import readers
from wfplan.dataset.importers.base import Importer, Match, Provenance
from wfplan.dataset.importers.headers import duplicate_errors, unread_note
from wfplan.dataset.importers.toolkit import column_key
from wfplan.dataset.provenance import NHS_DIGITAL, OGL
from wfplan.dataset.readers import FileProbe
from wfplan.dataset.store.queries import importers as importer_queries

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

TEXT: Final = "string[pyarrow]"

_MONTHS = {name.casefold(): number for number, name in enumerate(calendar.month_abbr) if name}
_MONTHS.update({name.casefold(): number for number, name in enumerate(calendar.month_name)
                if name})
_MONTHS["sept"] = 9
_PERIOD_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:[T ].*)?$"), "ymd"),
    (re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$"), "dmy"),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), "ymd"),
    (re.compile(r"^(\d{4})(\d{2})$"), "ymd"),
    (re.compile(r"^(\d{4})[\s/_-]*([A-Za-z]{3,9})$"), "y_mon"),
    (re.compile(r"^([A-Za-z]{3,9})[\s/_-]*(\d{4}|\d{2})$"), "mon_y"),
    (re.compile(r"^\d{1,2}[\s/_-]*([A-Za-z]{3,9})[\s/_-]*(\d{4})$"), "mon_y"),
)


@dataclass(frozen=True)
class Layout:
    """The columns of a publication: a canonical name and its accepted header spellings."""

    required: Mapping[str, tuple[str, ...]]
    optional: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Columns known and deliberately not read (names of codes, derived figures).
    ignored: tuple[str, ...] = ()

    def resolve(self, header: list[str]) -> dict[str, str] | None:
        """Return canonical name → raw header cell, or ``None`` if a required column is missing."""
        cells: dict[str, str] = {}
        for cell in header:
            if column_key(cell):
                cells.setdefault(column_key(cell), cell)
        found: dict[str, str] = {}
        for name, spellings in {**self.required, **self.optional}.items():
            for spelling in (name, *spellings):
                if column_key(spelling) in cells:
                    found[name] = cells[column_key(spelling)]
                    break
        return found if set(self.required) <= set(found) else None


@dataclass
class FileState:
    """What an importer learns while reading one file."""

    path: Path
    notes: list[str] = field(default_factory=list)
    months: set[str] = field(default_factory=set)
    dropped_rows: int = 0
    first_dropped: str | None = None
    skipped_lines: list[str] = field(default_factory=list)
    organisations: set[tuple[object, object]] = field(default_factory=set)

    def note(self, text: str) -> None:
        """Add a note for the ingest report (shown as a warning)."""
        if text not in self.notes:
            self.notes.append(text)

    def skip_notes_line(self, text: str) -> bool:
        """Accept a CSV line with the wrong number of fields if it has under two values."""
        values = [v for v in re.split(r",", text.strip()) if v.strip().strip('"')]
        if len(values) < 2:
            self.skipped_lines.append(text.strip())
            return True
        return False

    def period_text(self) -> str | None:
        """Return the months read, e.g. ``2017-09 to 2018-06``, for the ingest log."""
        if not self.months:
            return None
        first, last = min(self.months), max(self.months)
        return first if first == last else f"{first} to {last}"

    def closing_notes(self) -> list[str]:
        """Return every note, with the rows and lines that were set aside."""
        notes = list(self.notes)
        if self.dropped_rows:
            example = f", e.g. {self.first_dropped!r}" if self.first_dropped else ""
            notes.append(f"{self.dropped_rows} blank or notes row(s) set aside (fewer than two "
                         f"filled cells{example})")
        if self.skipped_lines:
            notes.append(f"{len(self.skipped_lines)} notes line(s) set aside, e.g. "
                         f"{self.skipped_lines[0][:60]!r}")
        return notes


def read_columns(probe: FileProbe, sheet: str, columns: list[str],
                 state: FileState) -> Iterator[pd.DataFrame]:
    """Yield the named raw columns of a CSV, XLSX sheet or Parquet file in chunks of text."""
    if probe.kind == "csv":
        return readers.read_csv(probe.path, columns, encoding=probe.encoding,
                                skip_row=state.skip_notes_line)
    if probe.kind == "xlsx":
        return readers.read_xlsx(probe.path, sheet, columns)
    return readers.read_parquet(probe.path, columns)


def clean(chunk: pd.DataFrame, state: FileState) -> pd.DataFrame:
    """Strip cells, and set aside rows with fewer than two filled cells (blank or notes rows)."""
    text = chunk.apply(lambda col: col.astype(TEXT).str.strip()).mask(lambda f: f == "")
    filled = text.notna().sum(axis=1)
    notes = filled < 2
    if notes.any():
        if state.first_dropped is None:
            cells = text[notes & (filled == 1)].bfill(axis=1)
            if not cells.empty:
                state.first_dropped = str(cells.iloc[0, 0])[:60]
        state.dropped_rows += int(notes.sum())
        text = text[~notes]
    return text


def unused_columns(header: list[str], used: Mapping[str, str]) -> list[str]:
    """Return the header cells a layout does not read (for a note)."""
    taken = set(used.values())
    return [c for c in header if c not in taken and column_key(c)]


# -- dates ----------------------------------------------------------------------


def _year(text: str) -> int:
    number = int(text)
    return number + 2000 if number < 100 else number


def month_of(text: str) -> str | None:
    """Return the ``YYYY-MM`` of a publication's month or date, or ``None`` if unreadable.

    Accepts ``2017-SEP``, ``Sep-17``, ``September 2017``, ``2017-09``,
    ``2017-09-30``, ``30/09/2017``, ``01Sep2017``, ``20170930`` and ``201709``.
    """
    value = text.strip()
    for pattern, kind in _PERIOD_PATTERNS:
        found = pattern.match(value)
        if not found:
            continue
        if kind == "ymd":
            year, month = int(found.group(1)), int(found.group(2))
        elif kind == "dmy":
            year, month = int(found.group(3)), int(found.group(2))
        elif kind == "y_mon":
            year, month = int(found.group(1)), _MONTHS.get(found.group(2).casefold(), 0)
        else:
            year, month = _year(found.group(2)), _MONTHS.get(found.group(1).casefold(), 0)
        return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else None
    return None


def months(text: pd.Series, state: FileState) -> pd.Series:
    """Map a column of publication months to ``YYYY-MM`` (unreadable values kept as given).

    Unreadable values are passed on so that validation reports them with their
    row; every month read is remembered for the ingest log.
    """
    lookup = {v: month_of(v) for v in text.dropna().unique()}
    state.months.update(m for m in lookup.values() if m)
    mapped = text.map(lambda v: lookup.get(v) or v if isinstance(v, str) else v)
    return mapped.astype(TEXT)


def month_end(month: str) -> str:
    """Return the last day of a ``YYYY-MM`` month as ``YYYY-MM-DD``."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{month}-{calendar.monthrange(year, number)[1]:02d}"


def iso_date(text: str | None) -> str | None:
    """Return ``YYYYMMDD`` (ODS) or ``dd/mm/yyyy`` as ``YYYY-MM-DD``; other text as given."""
    if text is None or pd.isna(text):
        return None
    value = str(text).strip()
    if re.fullmatch(r"\d{8}", value):
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    found = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
    if found:
        return f"{found.group(3)}-{int(found.group(2)):02d}-{int(found.group(1)):02d}"
    return value or None


def number_text(values: pd.Series, scale: float) -> pd.Series:
    """Multiply numeric text by ``scale``; markers and other text pass through for validation."""
    plain = values.str.replace(r"^(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?)$",
                               lambda m: m.group(1).replace(",", ""), regex=True)
    plain = plain.str.replace(r"%$", "", regex=True).str.strip()
    numbers = pd.to_numeric(plain, errors="coerce")
    scaled = (numbers * scale).map(lambda v: repr(float(v)) if pd.notna(v) else None)
    # A column with no number at all maps to a float column: make it hold text first.
    return scaled.astype(object).where(numbers.notna(), values).astype(TEXT)


# -- after loading: repeated rows, by-product rows, placing organisations ---------


def drop_repeated_rows(store: Store, table: str, ingest_id: int, vintage: str) -> int:
    """Delete this ingest's rows that repeat, value for value, a row of another ingest.

    The same publication saved twice (XLSX and CSV) then loads once. A row
    whose key is taken by a *different* figure stays, so that the duplicate-key
    check reports the conflict.
    """
    return importer_queries.delete_repeated_rows(store, table, ingest_id, vintage)


def defer_to_existing(store: Store, table: str, ingest_id: int, vintage: str) -> int:
    """Delete this ingest's rows whose key another ingest already holds (that row stands).

    Used for rows a file gives only as a by-product (the organisations named
    in a fact file, the areas in a lookup): the vintage keeps one description
    per key, and the first one loaded (reference data loads first) wins.
    """
    return importer_queries.delete_keys_held_elsewhere(store, table, ingest_id, vintage)


def place_organisations(store: Store, ingest_id: int, vintage: str) -> int:
    """Give this ingest's organisations without an ICB the ICB and region of the reference data.

    The reference is any other description of the same code in the vintage
    (ODS, sickness absence files, lookups) or a sub-ICB location (CCG) of the
    same code. The one valid at the organisation's date wins; failing that,
    the one nearest in time. Returns how many organisations were placed.
    """
    before = importer_queries.unplaced_organisations(store, vintage, ingest_id)
    if before:
        importer_queries.place_organisations(store, vintage, ingest_id)
    return before - importer_queries.unplaced_organisations(store, vintage, ingest_id)


# -- the importer base class --------------------------------------------------------


class PublicationImporter(Importer):
    """An importer of one publication whose header names its columns.

    Subclasses set ``layout``, ``table`` (the main table), ``publisher``,
    ``title`` and ``source_url``, and implement :meth:`rows`.
    """

    layout: ClassVar[Layout]
    table: ClassVar[str]
    publisher: ClassVar[str] = NHS_DIGITAL
    title: ClassVar[str]
    licence: ClassVar[str] = OGL
    #: Preferred sheet names in a workbook, best first.
    sheets: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.state = FileState(Path())

    def accepts(self, columns: dict[str, str]) -> bool:
        """Return whether a header the layout resolved really is this publication."""
        return True

    def match(self, probe: FileProbe) -> Match | None:
        """Match the sheet whose header holds every required column of the layout.

        A header that names a column the importer reads more than once is
        matched with an error naming the places (nothing is read).
        """
        best: Match | None = None
        for sheet, header in probe.headers.items():
            columns = self.layout.resolve(header)
            if columns is None or not self.accepts(columns):
                continue
            score = 2.0 + 0.1 * len(columns) + (0.5 if sheet in self.sheets else 0.0)
            if best is None or score > best.score:
                best = Match(self, sheet=sheet, table=self.table, score=score,
                             errors=self.header_errors(probe, sheet))
        return best

    def header_errors(self, probe: FileProbe, sheet: str) -> list[str]:
        """Return an error for each column read that the sheet's header names more than once."""
        header = probe.headers[sheet]
        columns = self.layout_for(header).resolve(header) or {}
        return duplicate_errors(probe, sheet, [column_key(c) for c in columns.values()],
                                column_key)

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield ``(table, chunk)`` pairs of tidy text columns, indexed by source row."""
        self.state = FileState(probe.path)
        self.reset()
        header = probe.headers[match.sheet]
        layout = self.layout_for(header)
        columns = layout.resolve(header)
        assert columns is not None
        known = {column_key(c) for c in layout.ignored}
        ignored = [c for c in unused_columns(header, columns) if column_key(c) not in known]
        if ignored:
            self.state.note("columns not read: " + unread_note(probe, match.sheet, ignored,
                                                               column_key))
        raw = list(dict.fromkeys(columns.values()))
        for chunk in read_columns(probe, match.sheet, raw, self.state):
            frame = clean(chunk, self.state)
            if frame.empty:
                continue
            named = pd.DataFrame({name: frame[cell] for name, cell in columns.items()},
                                 index=frame.index)
            yield from self.rows(named)

    def layout_for(self, header: list[str]) -> Layout:
        """Return the layout to read a file with this header (by default, ``layout``)."""
        return self.layout

    def reset(self) -> None:
        """Forget what the previous file taught (called before each file is read)."""

    @abstractmethod
    def rows(self, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
        """Turn one chunk (canonical column names, text) into tidy chunks."""

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Drop rows repeated from another file; return the file's notes."""
        repeated = drop_repeated_rows(store, self.table, ingest_id, vintage)
        if repeated:
            self.state.note(f"{repeated:,} {self.table} rows repeat figures already in the "
                            "vintage (the same publication in another file) and were not "
                            "loaded again")
        return self.state.closing_notes()

    def provenance(self, probe: FileProbe, match: Match) -> Provenance:
        """Return the publisher, title, months covered and licence."""
        return Provenance(publisher=self.publisher, title=self.title,
                          period=self.state.period_text(), licence=self.licence)


def new_organisations(orgs: pd.DataFrame, state: FileState) -> pd.DataFrame:
    """Return the organisation rows whose ``(org_code, valid_from)`` this file has not yet given."""
    keys = pd.Series(list(zip(orgs["org_code"], orgs["valid_from"], strict=True)),
                     index=orgs.index, dtype=object)
    fresh = ~keys.duplicated() & ~keys.map(lambda k: k in state.organisations).astype(bool)
    state.organisations.update(keys[fresh])
    return orgs[fresh]
