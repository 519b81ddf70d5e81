"""Record-level staff extracts (ESR-style) with stable pseudonymous identifiers.

The ``staff_records`` template has one row per staff record (assignment) per
census period::

    period, person_id, org_code, staff_group, role, band, age_band, sex, ethnicity, fte

``period``, ``person_id``, ``org_code`` and ``staff_group`` are required; the
rest may be left out or empty. ``staff_records`` is **not** a stored table:
record-level rows never leave the store unaggregated. On ingest:

1. Every record is read into memory (never into a database table with its raw
   identifier) and labels are mapped onto codes.
2. ``staff_in_post`` gets one row per period × organisation × staff group ×
   role × band × age band × sex × ethnicity. FTE sums every record; headcount
   counts each person once per organisation and staff group, in the cell of
   their main record (largest FTE; ties go to the first record in the file),
   so that headcounts add up to the distinct people of the organisation and
   staff group.
3. :meth:`StaffRecords.finish` hashes ``person_id`` with HMAC-SHA256 under the
   user's **pseudonym key** (``--pseudonym-key FILE`` or
   ``$WFPLAN_PSEUDONYM_KEY``: :mod:`wfplan.dataset.pseudonym`), which is never
   stored with the data, and keeps the hashed records in the private table
   ``person_records`` (period, hash, organisation, staff group, age band and
   FTE: what flows need), which no report, API or export reads. It is what lets
   a later extract add a period: flows for the new consecutive pair need the
   previous period's people, so the same key is required for every extract of a
   vintage (the database keeps only the key's fingerprint to check it).
4. ``flows`` are derived for every new pair of consecutive periods: pairs
   within the file while reading (so they are validated, checked for
   duplicate keys and counted like any other rows), and the pair from the
   vintage's previous period to the file's first one in :meth:`finish`, from
   the hashed records. For each
   organisation × staff group a person is a *joiner* if present at the end and
   in no record at the start, a *leaver* if present at the start and in no
   record at the end, and an *internal* move (route ``internal``, on both the
   leaving and the joining cell) if they are in the extract at both dates but
   changed organisation or staff group. Hence, exactly, for every organisation
   × staff group::

       headcount(t+1) = headcount(t) + joiners − leavers + internal in − internal out

   Joiners and leavers other than internal moves have route NULL: an extract
   does not say why people came or went.

Rules: each period's records come from one file, and a file adds periods after
those already in the vintage (load extracts in date order); otherwise the
ingest stops with a message, because flows already derived would be wrong. A
file is refused too when the vintage holds earlier staff_records periods whose
person records are gone (deleted, or hashed under the salt older versions kept
in the database, which the upgrade to schema 4 deleted): flows from them cannot
be derived.

Over 400 lines (issue 10 allows it with a reason): pseudonymising records,
deriving staff in post and deriving flows from one extract must agree on one
reading of its rows; they are kept together so that they cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from wfplan.dataset import pseudonym, readers, schema
from wfplan.dataset.cells import DATE_RANGE_RULE, clean, in_range, parse_date
from wfplan.dataset.checks import DayFirstDates, Finding
from wfplan.dataset.importers.base import Importer, Match, Provenance
from wfplan.dataset.importers.headers import duplicate_errors
from wfplan.dataset.importers.toolkit import (
    MISSING_VALUES,
    column_key,
    parse_numbers,
    read_publication_csv,
    store_person_records,
    text_frame,
    to_codes,
)
from wfplan.dataset.readers import FileProbe
from wfplan.dataset.store.queries import importers as importer_queries
from wfplan.dataset.store.queries import ingest as ingest_queries
from wfplan.dataset.validate import ChunkValidator
from wfplan.errors import InputError

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

SOURCE = "staff_records"

#: The template's columns: name, required, aliases (normalised), description.
TEMPLATE_COLUMNS: tuple[tuple[str, bool, tuple[str, ...], str], ...] = (
    ("period", True, ("census_date", "month"),
     "Census date (YYYY-MM, YYYY-MM-DD or dd/mm/yyyy; a month means its last day)"),
    ("person_id", True, ("person", "employee_id", "staff_id", "assignment_person_id"),
     "Stable pseudonymous person identifier (same person, same id in every period); "
     "hashed on ingest, never stored"),
    ("org_code", True, ("organisation_code", "org"), "ODS code of the employing organisation"),
    ("staff_group", True, (), "Staff group code or publication label"),
    ("role", False, ("job_role",), "Role within the staff group (code or label)"),
    ("band", False, ("grade", "pay_band", "afc_band"), "AfC band or other grade"),
    ("age_band", False, ("age_group",), "Age band (code or label, e.g. 25_29 or 25-29)"),
    ("sex", False, ("gender",), "Sex (code or label)"),
    ("ethnicity", False, ("ethnic_group",), "Ethnic group (ONS 6+1, code or label)"),
    ("fte", False, ("wte",), "Full-time equivalent of the record (37.5 hours a week = 1.0)"),
)
_DIMENSIONS = ("role", "band", "age_band", "sex", "ethnicity")
_CODELIST = {"staff_group": "staff_group", "role": "role", "band": "grade",
             "age_band": "age_band", "sex": "sex", "ethnicity": "ethnicity"}


def template_docs() -> pd.DataFrame:
    """Return the ``staff_records`` template's columns documented like ``wfplan template``."""
    return pd.DataFrame([
        {"column": name, "required": "yes" if required else "no (empty = not recorded)",
         "also accepted as": ", ".join(aliases), "description": text}
        for name, required, aliases, text in TEMPLATE_COLUMNS
    ])


# -- Pseudonymisation ---------------------------------------------------------------

def _gone(store: Store, vintage: str, ingest_id: int) -> list[str]:
    """Return the vintage's earlier staff_records periods whose person records are gone."""
    return importer_queries.periods_without_records(store, vintage, ingest_id, SOURCE, SOURCE)


# -- The importer -------------------------------------------------------------------


@dataclass
class _Pending:
    records: pd.DataFrame
    file: str
    notes: list[str]


#: The record columns flows are derived from.
_PEOPLE = ("period", "person_id", "org_code", "staff_group", "age_band", "fte", "source_row")


class StaffRecords(Importer):
    """Reads record-level ``staff_records`` extracts and derives flows."""

    name = "staff_records"
    description = (
        "record-level staff extract, wfplan 'staff_records' template (CSV, XLSX or Parquet: "
        "period, person_id, org_code, staff_group, role, band, age_band, sex, ethnicity, fte)"
    )
    order = 45

    def __init__(self) -> None:
        self._pending: _Pending | None = None
        self._periods: str | None = None
        self._findings: list[Finding] = []

    def match(self, probe: FileProbe) -> Match | None:
        """Match a header with every required template column (or an alias)."""
        for sheet in probe.headers:
            found = _columns([column_key(c) for c in probe.headers[sheet]])
            if found is not None:
                # Above a tidy staff_in_post header with extra columns (6–7): the
                # person_id column makes this the staff_records template.
                return Match(self, sheet=sheet, table="staff_in_post", score=9.0,
                             errors=duplicate_errors(probe, sheet, found.values(), column_key))
        return None

    def provenance(self, probe: FileProbe, match: Match) -> Provenance:
        """Record-level extracts carry no publisher; the periods are recorded."""
        return Provenance(title="record-level staff extract (staff_records template)",
                          period=self._periods)

    def findings(self) -> list[Finding]:
        """Return the warning about the file's ambiguous ``dd/mm/yyyy`` periods, if any."""
        return self._findings

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Read every record; yield staff in post, then the flows between the file's periods."""
        self._pending = None
        records = _read_records(probe, match)
        finding, note = records.attrs["day_first"].outcome(
            lambda row: readers.row_places(probe, {row}, match.sheet)[row])
        self._findings = [finding] if finding else []
        if records.empty:
            return
        periods = sorted(records["period"].unique())
        self._periods = ", ".join(periods)
        # A file without an FTE column gives no FTE (not an FTE empty in every row).
        given = "fte" in (_columns([column_key(c) for c in probe.headers[match.sheet]]) or {})
        unread = [] if given else ["fte"]
        yield "staff_in_post", _staff_in_post(records).drop(columns=unread)
        people = records[list(_PEOPLE)]
        pairs = list(pairwise(periods))
        flows = [derive_flows(people, a, b) for a, b in pairs]
        self._pending = _Pending(records, probe.path.name,
                                 [_flow_note(f, a, b) for f, (a, b) in zip(flows, pairs,
                                                                          strict=True)]
                                 + ([note] if note else []))
        frame = pd.concat(flows, ignore_index=True) if flows else pd.DataFrame()
        if not frame.empty:
            # Derived rows have no file row of their own: number them after the file's rows.
            first = int(records["source_row"].max()) + 1
            frame.index = pd.RangeIndex(first, first + len(frame))
            yield "flows", text_frame(frame[list(schema.table("flows").column_names)]
                                      .drop(columns=unread))

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Hash and keep the records; derive flows from the vintage's previous period."""
        pending, self._pending = self._pending, None
        if pending is None:
            return []
        key = pseudonym.required(pending.file)
        gone = _gone(store, vintage, ingest_id)
        if gone:
            raise InputError(
                f"{pending.file}: vintage {vintage!r} holds staff_records periods "
                f"({', '.join(gone)}) whose person records are gone (deleted, or hashed with "
                "the salt that wfplan before schema 4 kept in the database, which the upgrade "
                "deleted because it made the pseudonyms reversible), so flows from them "
                "cannot be derived; load every extract of the series again, with a pseudonym "
                "key, into a new vintage")
        pseudonym.check_series(store, vintage, SOURCE, key)
        records = pending.records
        new = sorted(records["period"].unique())
        known = importer_queries.record_periods(store, vintage, SOURCE)
        clash = sorted(set(new) & set(known))
        if clash:
            raise InputError(
                f"{pending.file}: period {clash[0]} is already in vintage {vintage!r} from "
                "another staff_records file; each period's records must come from one file "
                "(combine the extracts), or load into a new vintage")
        if known and new[0] < known[-1]:
            raise InputError(
                f"{pending.file}: period {new[0]} is earlier than {known[-1]}, already in "
                f"vintage {vintage!r}; load record-level extracts in date order (flows already "
                "derived would be wrong), or load into a new vintage")
        previous = _stored_records(store, vintage, known[-1]) if known else None
        hashes = store_person_records(store, vintage, ingest_id, SOURCE,
                                      records.drop(columns=["role"]), key)
        notes = ["record-level rows are kept only as HMAC-SHA256 hashes (under the pseudonym "
                 f"key with fingerprint {key.fingerprint[:16]}…, which is not stored) in the "
                 "private person_records table; raw identifiers were not stored"]
        if previous is not None:
            first = records[records["period"] == new[0]].assign(person_id=hashes)
            people = pd.concat([previous, first[list(_PEOPLE)]], ignore_index=True)
            frame = derive_flows(people, known[-1], new[0])
            if not frame.empty:
                _insert_flows(store, vintage, ingest_id, pending.file, frame)
            notes.append(_flow_note(frame, known[-1], new[0]))
        elif len(new) == 1:
            notes.append(f"one period ({new[0]}): no flows yet; they are derived when the next "
                         "period is loaded")
        return [*notes, *pending.notes]


def _flow_note(pair: pd.DataFrame, start: str, end: str) -> str:
    """Summarise the flows of one pair of periods."""
    if pair.empty:
        return f"flows {start} → {end}: no joiners, leavers or internal moves"
    internal = pair["route"] == "internal"
    joiners = pair[(pair["direction"] == "joiner") & ~internal]["headcount"].sum()
    leavers = pair[(pair["direction"] == "leaver") & ~internal]["headcount"].sum()
    moves = pair[(pair["direction"] == "joiner") & internal]["headcount"].sum()
    return (f"flows {start} → {end}: {int(joiners):,} joiners, {int(leavers):,} leavers, "
            f"{int(moves):,} internal moves (organisation or staff group)")


def _columns(header: list[str]) -> dict[str, str] | None:
    present = set(header)
    found: dict[str, str] = {}
    for name, required, aliases, _ in TEMPLATE_COLUMNS:
        hit = next((c for c in (name, *aliases) if c in present), None)
        if hit is None:
            if required:
                return None
            continue
        found[name] = hit
    return found


def _read_records(probe: FileProbe, match: Match) -> pd.DataFrame:
    raw_header = probe.headers[match.sheet]
    cols = _columns([column_key(c) for c in raw_header])
    assert cols is not None
    by_norm = {column_key(c): c for c in raw_header}
    name = probe.path.name
    if probe.kind == "csv":
        parts = [chunk[list(cols.values())] for chunk in
                 read_publication_csv(probe.path, probe.encoding)]
    else:
        raw_cols = [by_norm[c] for c in cols.values()]
        source = (readers.read_parquet(probe.path, raw_cols) if probe.kind == "parquet"
                  else readers.read_xlsx(probe.path, match.sheet, raw_cols))
        parts = [chunk.rename(columns=column_key).fillna("").astype(str)
                 for chunk in source]
    if not parts:
        return pd.DataFrame()
    data = pd.concat(parts).rename(columns={v: k for k, v in cols.items()})
    for col in data.columns:
        data[col] = data[col].astype(str).str.strip()
    blank = (data[["period", "person_id", "org_code", "staff_group"]] == "").all(axis=1)
    data = data[~blank]
    for required in ("period", "person_id", "org_code", "staff_group"):
        empty = data[required].isin(MISSING_VALUES)
        if empty.any():
            raise InputError(f"{name}: row {int(data.index[empty][0])}, column '{required}': "
                             f"is required but empty ({int(empty.sum())} rows) (rule: required)")
    out = pd.DataFrame(index=data.index)
    out["period"] = _iso_periods(data["period"], name)
    out.attrs["day_first"] = _day_first(data["period"])
    out["person_id"] = data["person_id"]
    out["org_code"] = data["org_code"].str.upper()
    for col, codelist in _CODELIST.items():
        out[col] = to_codes(data[col], codelist) if col in data else None
    if "fte" in data:
        fte, _ = parse_numbers(data["fte"], name, cols["fte"])
        if (fte < 0).any():
            row = int(data.index[fte < 0][0])
            raise InputError(f"{name}: row {row}, column 'fte': value {data.at[row, 'fte']!r}: "
                             "must be ≥ 0 (rule: fte ≥ 0)")
        out["fte"] = fte
    else:
        out["fte"] = np.nan
    out["source_row"] = out.index.astype(int)
    return out


def _day_first(text: pd.Series) -> DayFirstDates:
    """Return what the file's ``dd/mm/yyyy`` periods say about the order of day and month."""
    dates = DayFirstDates()
    stats = pd.DataFrame({"value": text.to_numpy(), "row": text.index}).groupby("value")["row"]
    counts = stats.agg(["size", "min"])
    dates.add(list(counts.index), counts["size"].to_numpy(), counts["min"].to_numpy(), "period")
    return dates


def _iso_periods(text: pd.Series, file: str) -> pd.Series:
    """Return census dates as ISO text, read by the rules of every tidy date cell.

    ``YYYY-MM`` means the month's last day, ``dd/mm/yyyy`` is day first, and a
    date outside :data:`~wfplan.dataset.cells.FIRST_DATE` to ``LAST_DATE`` is
    refused (:func:`wfplan.dataset.cells.parse_date`, :func:`~wfplan.dataset.cells.in_range`).
    """
    days = {value: parse_date(clean(value)) for value in text.unique()}
    for value, day in days.items():
        if day is None or not in_range(day):
            row = int(text.index[text == value][0])
            rule = ("must be a date (YYYY-MM, YYYY-MM-DD or dd/mm/yyyy) (rule: type date)"
                    if day is None else DATE_RANGE_RULE)
            raise InputError(f"{file}: row {row}, column 'period': value {value!r}: {rule}")
    return text.map({value: str(day) for value, day in days.items()})


def _main_records(records: pd.DataFrame) -> pd.Series:
    """Return a mask of each person's main record per period, organisation and staff group."""
    order = records.assign(_fte=records["fte"].fillna(0)).sort_values(
        ["_fte", "source_row"], ascending=[False, True])
    first = ~order.duplicated(["period", "person_id", "org_code", "staff_group"])
    return first.reindex(records.index)


def _staff_in_post(records: pd.DataFrame) -> pd.DataFrame:
    data = records.assign(_main=_main_records(records).astype(int))
    keys = ["period", "org_code", "staff_group", *_DIMENSIONS]
    cells = data.groupby(keys, dropna=False, sort=True).agg(
        headcount=("_main", "sum"),
        fte=("fte", lambda s: s.sum(min_count=1)),
        source_row=("source_row", "min"),
    ).reset_index()
    frame = cells.rename(columns={"band": "grade"})[
        ["period", "org_code", "staff_group", "role", "grade", "age_band", "sex", "ethnicity",
         "headcount", "fte"]]
    frame.index = pd.Index(cells["source_row"].astype(int))
    return text_frame(frame)


def _stored_records(store: Store, vintage: str, period: str) -> pd.DataFrame:
    return importer_queries.records_at(store, vintage, SOURCE, period)


def derive_flows(people: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """Return the flows between two periods, by organisation × staff group × age band.

    ``people`` has one row per record with ``period, person_id, org_code,
    staff_group, age_band, fte, source_row``; ``person_id`` must be the same
    for a person in both periods (hashed or raw alike).
    """
    cells = ["person_id", "org_code", "staff_group"]

    def members(period: str) -> pd.DataFrame:
        rows = people[people["period"] == period]
        rows = rows.assign(_fte=rows["fte"].fillna(0)).sort_values(
            ["_fte", "source_row"], ascending=[False, True])
        first = rows.drop_duplicates(cells)[[*cells, "age_band"]]
        fte = rows.groupby(cells, dropna=False)["fte"].sum(min_count=1).rename("fte")
        return first.merge(fte.reset_index(), on=cells, how="left")

    before, after = members(start), members(end)
    present_before = set(before["person_id"])
    present_after = set(after["person_id"])
    joined = after.merge(before[cells], on=cells, how="left", indicator=True)
    joined = joined[joined["_merge"] == "left_only"].drop(columns="_merge")
    left = before.merge(after[cells], on=cells, how="left", indicator=True)
    left = left[left["_merge"] == "left_only"].drop(columns="_merge")
    joined["direction"] = "joiner"
    joined["route"] = joined["person_id"].isin(present_before).map({True: "internal",
                                                                     False: None})
    left["direction"] = "leaver"
    left["route"] = left["person_id"].isin(present_after).map({True: "internal", False: None})
    moves = pd.concat([joined, left], ignore_index=True)
    keys = ["org_code", "staff_group", "age_band", "direction", "route"]
    out = moves.groupby(keys, dropna=False, sort=True).agg(
        headcount=("person_id", "size"), fte=("fte", lambda s: s.sum(min_count=1)),
    ).reset_index()
    out.insert(0, "period_start", start)
    out.insert(1, "period_end", end)
    return out


def _insert_flows(store: Store, vintage: str, ingest_id: int, file: str,
                  flows: pd.DataFrame) -> None:
    """Validate flows derived across files like any other rows, then insert them."""
    orgs, areas = ingest_queries.known_codes(store, vintage)
    frame = flows[list(schema.table("flows").column_names)].copy()
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    validator = ChunkValidator(schema.table("flows"), file,
                               {"organisation": orgs | areas, "area": areas})
    result = validator.validate(text_frame(frame))
    if result.errors or result.frame is None:
        raise InputError(f"{file}: derived flows break a rule: " +
                         "; ".join(str(e) for e in result.errors[:5]))
    typed = result.frame.assign(vintage=vintage, ingest_id=ingest_id)
    store.insert("flows", pa.Table.from_pandas(typed, preserve_index=False))
    keys = ", ".join(schema.table("flows").key_columns)
    dupes = importer_queries.repeated_keys(store, "flows", vintage)
    if dupes:
        raise InputError(f"{file}: the derived flows repeat {int(dupes)} key(s) already in "
                         f"vintage {vintage!r} (rule: unique key {keys}); load into a new vintage")


IMPORTERS: list[Importer] = [StaffRecords()]
