"""NHS England Organisation Data Service (ODS): the ``etr`` NHS trusts file.

ODS files have no header row. The ``etr`` layout has 27 columns: code, name,
national grouping (NHS England region), high-level health geography (ICB, or
STP before July 2022), five address lines, postcode, open date, close date,
…, amended-record flag, …, government office region, …. It is recognised by
its shape: an ODS code, a region-like code and an 8-digit open date in the
places the layout puts them. See ``docs/importers/ods_etr.md``.

- ``organisations``: org_code, name, org_type "NHS trust", sector nhs_trust,
  region_code, icb_code, valid_from = open date, valid_to = close date. Trusts
  in Wales (region ``W…``, ICB ``Q99``) keep NULL region and ICB.

**Editions.** Each file is one edition, dated by the year and month in its
file name (``etr_2022-03.csv``), else by the latest open or close date in it.
When a vintage holds several editions of the same trust, each edition's record
holds from that edition's date (the earliest from the open date) until the day
before the next edition's, or the close date if earlier. A later edition's
record of a trust that closed before that edition adds only the close date.
So a trust is placed in the ICB it belonged to at any date, by the edition
current then; ICB codes that changed when ICBs merged stay with their dates.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from wfplan.dataset import readers
from wfplan.dataset.importers._publication import (
    TEXT,
    FileState,
    clean,
    iso_date,
)
from wfplan.dataset.importers.base import Importer, Match, Provenance
from wfplan.dataset.provenance import ODS, OGL
from wfplan.dataset.readers import FileProbe
from wfplan.dataset.store.queries import importers as importer_queries

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

#: Fewest columns an ODS organisation file has (code … close date, then more).
MIN_COLUMNS = 12
_CODE = re.compile(r"^[A-Z0-9]{3,6}$")
_REGION = re.compile(r"^([A-Z][0-9A-Z]{2})?$")
_ICB = re.compile(r"^([A-Z0-9]{3,5})?$")
_DATE = re.compile(r"^(\d{8})?$")
_EDITION = re.compile(r"(?<!\d)(20\d{2})(?:[-_]?(0[1-9]|1[0-2]))?(?!\d)")
#: ODS codes for bodies outside England's regions and ICBs.
OUTSIDE_ENGLAND_REGION = re.compile(r"^W")
OUTSIDE_ENGLAND_ICB = frozenset({"Q99"})


def edition_of(path_name: str, dates: pd.Series) -> str | None:
    """Return an edition's ``YYYY-MM`` (or ``YYYY``) from its file name, else its latest date."""
    found = _EDITION.search(path_name)
    if found:
        return found.group(1) + (f"-{found.group(2)}" if found.group(2) else "")
    days = [d for d in dates.dropna() if re.fullmatch(r"\d{8}", str(d))]
    latest = max(days, default=None)
    return f"{latest[:4]}-{latest[4:6]}" if latest else None


def edition_start(edition: str | None) -> date | None:
    """Return the first day of an edition given as ``YYYY`` or ``YYYY-MM``."""
    if not edition or not re.fullmatch(r"\d{4}(-\d{2})?", edition):
        return None
    return date(int(edition[:4]), int(edition[5:7]) if len(edition) > 4 else 1, 1)


class OdsTrusts(Importer):
    """The ODS ``etr`` file of NHS trusts (no header row)."""

    name = "ods:etr"
    description = ("NHS England ODS organisation file in the etr layout, no header: code, name, "
                   "region, ICB, 5 address lines, postcode, open date, close date, …")
    order = 20
    reference_for = frozenset({"organisations"})

    def __init__(self) -> None:
        self.state = FileState(Path())
        self.edition: str | None = None
        self.outside = 0

    def match(self, probe: FileProbe) -> Match | None:
        """Recognise the etr layout by the shape of its first row."""
        first = probe.headers.get("")
        if probe.kind != "csv" or not first or len(first) < MIN_COLUMNS:
            return None
        cells = [str(c).strip() for c in first]
        if (_CODE.match(cells[0]) and cells[1] and _REGION.match(cells[2])
                and _ICB.match(cells[3]) and re.fullmatch(r"\d{8}", cells[10])
                and _DATE.match(cells[11])):
            return Match(self, table="organisations", score=3.0, headerless=True)
        return None

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield the trusts as organisations valid from their open to their close date."""
        self.state = FileState(probe.path)
        self.outside = 0
        names = [f"c{i}" for i in range(len(probe.headers[""]))]
        opened: list[pd.Series] = []
        for chunk in readers.read_csv(probe.path, names[:12], encoding=probe.encoding,
                                      column_names=names, skip_row=self.state.skip_notes_line):
            frame = clean(chunk, self.state)
            if frame.empty:
                continue
            opened += [frame["c10"], frame["c11"]]
            yield "organisations", self._organisations(frame)
        self.edition = edition_of(probe.path.name, pd.concat(opened) if opened else pd.Series())
        if self.outside:
            self.state.note(f"{self.outside} organisation(s) outside England (Wales): no region "
                            "or ICB")

    def _organisations(self, frame: pd.DataFrame) -> pd.DataFrame:
        region = frame["c2"].str.upper()
        icb = frame["c3"].str.upper()
        outside = region.str.match(OUTSIDE_ENGLAND_REGION).fillna(False).astype(bool) | icb.isin(
            OUTSIDE_ENGLAND_ICB)
        self.outside += int(outside.sum())
        orgs = pd.DataFrame({
            "org_code": frame["c0"].str.upper(), "name": frame["c1"],
            "org_type": "NHS trust", "sector": "nhs_trust",
            "region_code": region.mask(outside), "icb_code": icb.mask(outside),
            "valid_from": frame["c10"].map(iso_date), "valid_to": frame["c11"].map(iso_date),
        }, index=frame.index)
        return orgs.astype(TEXT)

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Chain this edition with the other editions already in the vintage."""
        changed, dropped = chain_editions(store, vintage, self.name, ingest_id,
                                          edition_start(self.edition))
        notes = self.state.closing_notes()
        if self.edition is None:
            notes.append("the edition date is unknown (name the file with its date, e.g. "
                         "etr_2024-06.csv); records run from their open dates")
        if changed or dropped:
            notes.append(f"chained with the other etr editions in the vintage: {changed} "
                         f"record(s) re-dated, {dropped} record(s) of trusts closed before an "
                         "edition folded into the earlier record")
        return notes

    def provenance(self, probe: FileProbe, match: Match) -> Provenance:
        """Return ODS as publisher, the edition and the licence."""
        return Provenance(publisher=ODS, title="NHS trusts (etr)", period=self.edition,
                          licence=OGL)


@dataclass
class _Record:
    """One edition's record of one organisation, as the chain re-dates it."""

    ingest_id: int
    source_row: int
    edition: date
    valid_from: date | None
    valid_to: date | None

    def __post_init__(self) -> None:
        self.loaded = (self.valid_from, self.valid_to)


def _chain(records: list[_Record]) -> tuple[list[_Record], list[_Record]]:
    """Re-date one organisation's records, oldest edition first; return (kept, folded)."""
    records.sort(key=lambda r: r.edition)
    for earlier, later in itertools.pairwise(records):
        if later.valid_from is None or later.valid_from < later.edition:
            later.valid_from = later.edition
        day_before = later.edition - timedelta(days=1)
        if earlier.valid_to is None or earlier.valid_to > day_before:
            earlier.valid_to = day_before
    kept: list[_Record] = []
    folded: list[_Record] = []
    for record in records:
        closed_before = (record.valid_from is not None and record.valid_to is not None
                         and record.valid_from > record.valid_to)
        if closed_before and kept:
            last = kept[-1]
            if last.valid_to is None or (record.valid_to and last.valid_to > record.valid_to):
                last.valid_to = record.valid_to
            folded.append(record)
        else:
            kept.append(record)
    return kept, folded


def chain_editions(store: Store, vintage: str, fmt: str, ingest_id: int,
                   start: date | None) -> tuple[int, int]:
    """Re-date the records of every edition of one ODS file in the vintage; see the module.

    Returns how many records were re-dated and how many were folded into an
    earlier edition's record. Undated editions, and editions of the same date,
    are left as loaded (the duplicate-key check then reports any clash).
    """
    editions = {ingest_id: start}
    logged = importer_queries.logged_ingests(store, vintage, fmt=fmt)
    for logged_row in logged.to_dict("records"):
        editions[int(logged_row["ingest_id"])] = edition_start(str(logged_row["period"]))
    rows = importer_queries.organisation_editions(store, vintage, list(editions))
    changed = folded_count = 0
    for _, group in rows.groupby("org_code"):
        dates = [editions.get(int(i)) for i in group["ingest_id"]]
        if None in dates or len(set(dates)) < len(dates):
            continue
        records = [_Record(int(r["ingest_id"]), int(r["source_row"]), when, _day(r["valid_from"]),
                           _day(r["valid_to"]))
                   for r, when in zip(group.to_dict("records"), dates, strict=True)
                   if when is not None]
        kept, folded = _chain(records)
        for record in folded:
            importer_queries.delete_organisation_record(store, vintage, record.ingest_id,
                                                        record.source_row)
        for record in kept:
            if (record.valid_from, record.valid_to) != record.loaded:
                importer_queries.redate_organisation_record(
                    store, vintage, record.ingest_id, record.source_row, record.valid_from,
                    record.valid_to)
                changed += 1
        folded_count += len(folded)
        for record in folded:  # keep the ingest log's row counts true
            importer_queries.recount_ingest_rows(store, record.ingest_id, "organisations")
    return changed, folded_count


def _day(value: object) -> date | None:
    """Return a date from the store (a timestamp, date, NaT or NULL)."""
    stamp = pd.Timestamp(value) if value is not None else None  # type: ignore[arg-type]
    return None if stamp is None or pd.isna(stamp) else stamp.date()


IMPORTERS = [OdsTrusts()]
