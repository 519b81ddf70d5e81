"""NHS Digital "Primary Care Networks workforce", individual level, quarterly.

The publication (``N.Primary_Care_Networks_-_<Month>_<Year>_Individual_Level.csv``,
cp1252) has one row per staff record: census year and month, the PCN with its
sub-ICB location, ICB and commissioning region, staff group, staff role, a
detailed role, FTE and ``UNIQUE_IDENTIFIER``. Rows from "NWRS contracted
services" carry the identifier ``NULL``.

What is loaded
--------------
- ``staff_in_post`` per census × PCN × staff group × role: FTE is the sum of
  the records' FTE; headcount is the number of distinct identifiers.
  Contracted-services rows (no identifier) add FTE but no headcount; a cell of
  contracted services only has headcount NULL. A cell whose FTE sums below
  zero (the September 2021 file has two records of −0.027 FTE) gets FTE NULL,
  with a warning; other negative records stay in the sums so that totals
  match the publication.
- ``organisations``: one record per PCN per census (sector ``primary_care``,
  type ``PCN``, ICB, region, parent sub-ICB), valid from the first day of the
  census month, so that the 7 quarterly files never share a key.
- ``areas``: the PCNs (level ``pcn``, parent the sub-ICB location) and the
  sub-ICB locations (level ``sub_icb``, parent the ICB), keyed the same way.
- ``distinct_headcount``: the distinct identifiers of each census at PCN, ICB,
  region and England level, by staff group and role, with their records' FTE
  (:mod:`wfplan.dataset.distinct`), because a person with records in several
  cells is in each cell's headcount (6,911 cells' headcount against 6,859
  people in March 2021).

Flows
-----
``UNIQUE_IDENTIFIER`` is unique within one publication only. When the rows are
loaded, :meth:`PcnWorkforce.finish` keeps each census's identifiers, HMAC-hashed
with the public open-data key (they are printed in the open publication, so
there is nothing to keep secret), in the private ``person_records`` table and
checks every pair of consecutive censuses in the vintage: of the identifiers
present in both, how many keep the same PCN and role. (June → September 2021:
4 of 1,793.) The conclusion, "flows unavailable: identifiers not stable", goes
into the ingest notes and the ``source_flags`` table read by ``wfplan gaps``;
no ``flows`` rows are written, only net change can be reported.

The CSV helpers (tolerant reading, number parsing, label → code mapping) are
those of every publication importer, in :mod:`wfplan.dataset.importers.toolkit`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.importers.base import Importer, Match, Provenance
from wfplan.dataset.importers.toolkit import (
    MISSING_VALUES,
    find_columns,
    header_errors,
    month_start,
    note_rows,
    parse_numbers,
    period_date,
    read_all,
    store_person_records,
    text_frame,
    to_codes,
)
from wfplan.dataset.provenance import NHS_DIGITAL_PRIMARY_CARE, OGL
from wfplan.dataset.readers import FileProbe
from wfplan.dataset.store.queries import importers as importer_queries
from wfplan.errors import InputError

if TYPE_CHECKING:
    from wfplan.dataset.store import Store


# -- PCN workforce ----------------------------------------------------------------

SOURCE = "pcn_workforce"
_COLUMNS = {
    "year": ("census_year",),
    "month": ("census_month",),
    "pcn": ("pcn_code",),
    "pcn_name": ("pcn_name",),
    "sub_icb": ("sub_icb_code", "sub_icb_location_code", "ccg_code"),
    "sub_icb_name": ("sub_icb_name", "sub_icb_location_name", "ccg_name"),
    "icb": ("icb_code", "stp_code"),
    "region": ("comm_region_code", "region_code"),
    "staff_group": ("staff_group",),
    "role": ("staff_role",),
    "fte": ("fte",),
    "person": ("unique_identifier",),
}
_OPTIONAL = {"source": ("data_source",)}
#: Share of overlapping identifiers keeping PCN and role above which they would look stable.
STABLE_SHARE = 0.5
_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


@dataclass
class _Pending:
    """What :meth:`PcnWorkforce.chunks` leaves for :meth:`PcnWorkforce.finish`."""

    records: pd.DataFrame
    """period, person, org_code, role of every identified record."""
    notes: list[str]


class PcnWorkforce(Importer):
    """Reads the PCN workforce individual-level CSV."""

    name = "nhsd:pcn_workforce_individual"
    description = (
        "NHS Digital Primary Care Networks workforce, individual level (CSV, one row per "
        "staff record: CENSUS_YEAR, CENSUS_MONTH, PCN_CODE, …, STAFF_ROLE, FTE, "
        "UNIQUE_IDENTIFIER)"
    )
    order = 40

    def __init__(self) -> None:
        self._pending: _Pending | None = None
        self._period_text: str | None = None

    def match(self, probe: FileProbe) -> Match | None:
        """Match a CSV whose header has the individual-level PCN columns."""
        cols = find_columns(probe, _COLUMNS) if probe.kind == "csv" else None
        if cols is None:
            return None
        read = [*cols.values(), *(find_columns(probe, _OPTIONAL) or {}).values()]
        return Match(self, table="staff_in_post", score=5.0, errors=header_errors(probe, read))

    def provenance(self, probe: FileProbe, match: Match) -> Provenance:
        """NHS Digital, OGL v3.0; the period is read back from the loaded censuses."""
        return Provenance(
            publisher=NHS_DIGITAL_PRIMARY_CARE,
            title="Primary Care Networks workforce, individual level",
            period=self._period_text,
            licence=OGL,
        )

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield areas, organisations, then staff in post of each census in the file."""
        self._pending = None
        cols = find_columns(probe, _COLUMNS)
        assert cols is not None
        optional = find_columns(probe, _OPTIONAL)
        wanted = list(cols.values()) + (list(optional.values()) if optional else [])
        raw = read_all(probe.path, probe.encoding, wanted)
        data = raw.rename(columns={v: k for k, v in cols.items()})
        if optional:
            data = data.rename(columns={v: k for k, v in optional.items()})
        notes: list[str] = []
        blank = note_rows(data, ["pcn", "staff_group", "role", "fte"])
        if blank.any():
            notes.append(f"skipped {int(blank.sum())} notes or blank rows (first at row "
                         f"{int(data.index[blank][0])}): no PCN, staff group, role or FTE")
            data = data[~blank]
        if data.empty:
            return
        name = probe.path.name
        data = data.assign(period=_periods(data, name))
        fte, _ = parse_numbers(data["fte"], name, cols["fte"])
        data["fte_value"] = fte
        person = data["person"].where(~data["person"].isin(MISSING_VALUES))
        data["person"] = person
        data["staff_group_code"] = to_codes(data["staff_group"], "staff_group")
        data["role_code"] = to_codes(data["role"], "role")
        data["source_row"] = data.index
        notes += _role_group_notes(data)
        self._period_text = ", ".join(sorted({p[:7] for p in data["period"]}))

        sub_icbs, pcns = _areas(data)
        yield "areas", sub_icbs
        yield "areas", pcns
        yield "organisations", _organisations(data)
        cells, cell_notes = _staff_in_post(data)
        notes += cell_notes
        notes += _census_summaries(data)
        yield "staff_in_post", cells
        identified = data[data["person"].notna()]
        self._pending = _Pending(
            records=pd.DataFrame({
                "period": identified["period"].to_numpy(),
                "person": identified["person"].to_numpy(),
                "org_code": identified["pcn"].to_numpy(),
                "staff_group": identified["staff_group_code"].to_numpy(),
                "role": identified["role_code"].to_numpy(),
                "fte": identified["fte_value"].to_numpy(),
            }),
            notes=notes,
        )

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Keep hashed identifiers, count distinct people, check consecutive censuses."""
        pending, self._pending = self._pending, None
        if pending is None:
            return []
        from wfplan.dataset import distinct
        from wfplan.dataset.pseudonym import OPEN_DATA_KEY

        # The publication prints its identifiers openly: their hashes need no secret key.
        store_person_records(store, vintage, ingest_id, SOURCE, pending.records.rename(
            columns={"person": "person_id"}), OPEN_DATA_KEY)
        counted = distinct.record(store, vintage, ingest_id)
        periods = sorted(set(pending.records["period"]))
        return [*pending.notes, *counted,
                *check_identifier_stability(store, vintage, ingest_id, periods)]


def _periods(data: pd.DataFrame, file: str) -> pd.Series:
    year = pd.to_numeric(data["year"], errors="coerce")
    month = pd.to_numeric(data["month"], errors="coerce")
    bad = year.isna() | month.isna() | ~month.between(1, 12) | ~year.between(2000, 2100)
    if bad.any():
        row = int(data.index[bad][0])
        raise InputError(f"{file}: row {row}: CENSUS_YEAR/CENSUS_MONTH "
                         f"{data.at[row, 'year']!r}/{data.at[row, 'month']!r} is not a year "
                         "and month (rule: census year 2000–2100, month 1–12)")
    return year.astype(int).map("{:04d}".format) + "-" + month.astype(int).map("{:02d}".format)


def _role_group_notes(data: pd.DataFrame) -> list[str]:
    """Warn where a role's code-list staff group differs from the row's staff group."""
    roles = codelists.get("role")
    group_of = {row["code"]: row["staff_group"] for row in roles.rows}
    pairs = data[["staff_group_code", "role_code"]].drop_duplicates()
    notes = []
    for group, role in pairs.itertuples(index=False):
        expected = group_of.get(role)
        if expected and group in group_of.values() and expected != group:
            notes.append(f"role {role!r} is listed under staff group {expected!r} in the code "
                         f"list but appears under {group!r}; kept as published")
    return notes


def _first_rows(data: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Return one row per key, the first in the file (its source row is the index)."""
    first = data.sort_values("source_row").drop_duplicates(keys)
    return first.set_index("source_row", drop=False)


def _areas(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the sub-ICB locations and the PCNs of each census as areas."""
    subs = _first_rows(data[data["sub_icb"] != ""], ["period", "sub_icb"])
    pcns = _first_rows(data, ["period", "pcn"])
    sub_rows = pd.DataFrame({
        "code": subs["sub_icb"],
        "name": subs["sub_icb_name"].where(subs["sub_icb_name"] != "", subs["sub_icb"]),
        "level": "sub_icb", "parent_code": subs["icb"].where(subs["icb"] != ""),
        "valid_from": subs["period"].map(month_start), "valid_to": None,
    })
    pcn_rows = pd.DataFrame({
        "code": pcns["pcn"], "name": pcns["pcn_name"].where(pcns["pcn_name"] != "", pcns["pcn"]),
        "level": "pcn", "parent_code": pcns["sub_icb"].where(pcns["sub_icb"] != ""),
        "valid_from": pcns["period"].map(month_start), "valid_to": None,
    })
    return text_frame(sub_rows), text_frame(pcn_rows)


def _organisations(data: pd.DataFrame) -> pd.DataFrame:
    pcns = _first_rows(data, ["period", "pcn"])
    frame = pd.DataFrame({
        "org_code": pcns["pcn"],
        "name": pcns["pcn_name"].where(pcns["pcn_name"] != "", pcns["pcn"]),
        "org_type": "PCN",
        "sector": "primary_care",
        "icb_code": pcns["icb"].where(pcns["icb"] != ""),
        "region_code": pcns["region"].where(pcns["region"] != ""),
        "parent_code": pcns["sub_icb"].where(pcns["sub_icb"] != ""),
        "valid_from": pcns["period"].map(month_start),
        "valid_to": None,
    })
    return text_frame(frame)


def _staff_in_post(data: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    keys = ["period", "pcn", "staff_group_code", "role_code"]
    grouped = data.groupby(keys, dropna=False, sort=True)
    cells = grouped.agg(
        fte=("fte_value", lambda s: s.sum(min_count=1)),
        headcount=("person", "nunique"),
        identified=("person", "count"),
        source_row=("source_row", "min"),
    ).reset_index()
    notes = []
    negative_records = data["fte_value"] < 0
    if negative_records.any():
        notes.append(f"{int(negative_records.sum())} record(s) have negative FTE (first at row "
                     f"{int(data.index[negative_records][0])}); kept in the sums so that totals "
                     "match the publication")
    negative = cells["fte"] < 0
    for cell in cells[negative].itertuples(index=False):
        notes.append(f"census {cell.period}, PCN {cell.pcn}, role {cell.role_code}: FTE sums to "
                     f"{cell.fte:.3f} (below zero); stored as missing (rule: fte ≥ 0)")
    cells.loc[negative, "fte"] = np.nan
    cells["headcount"] = cells["headcount"].where(cells["identified"] > 0).astype("Int64")
    frame = pd.DataFrame({
        "period": cells["period"], "org_code": cells["pcn"],
        "staff_group": cells["staff_group_code"], "role": cells["role_code"],
        "headcount": cells["headcount"], "fte": cells["fte"],
    })
    frame.index = pd.Index(cells["source_row"].astype(int))
    return text_frame(frame), notes


def _census_summaries(data: pd.DataFrame) -> list[str]:
    notes = []
    for period, rows in data.groupby("period", sort=True):
        identified = rows["person"].notna()
        year, month = int(str(period)[:4]), int(str(period)[5:7])
        notes.append(
            f"census {_MONTHS[month]} {year}: {len(rows):,} records, "
            f"{rows['fte_value'].sum():,.1f} FTE, {rows.loc[identified, 'person'].nunique():,} "
            f"distinct identifiers, {rows['pcn'].nunique():,} PCNs; "
            f"{int((~identified).sum()):,} record(s) without an identifier (contracted "
            "services) add FTE but no headcount"
        )
    return notes


def check_identifier_stability(
    store: Store, vintage: str, ingest_id: int, new_periods: list[str]
) -> list[str]:
    """Compare the hashed identifiers of consecutive PCN censuses; record the finding.

    For every pair of consecutive censuses in the vintage, count the
    identifiers present in both and those keeping the same PCN and role (at
    least one PCN × role in common). Pairs that include a newly loaded census
    are written to ``source_flags`` as ``identifier_overlap``; the conclusion
    over all pairs, pooled, is written as ``flows_unavailable`` and returned as
    a note. Identifiers would look stable if at least :data:`STABLE_SHARE` of
    the overlapping ones kept PCN and role; even then no flows are derived,
    because the publication defines them as unique within one file.
    """
    records = importer_queries.record_placements(store, vintage, SOURCE)
    periods = sorted(set(records["period"]))
    new = {p[:7] for p in new_periods}
    findings: list[tuple[str, str, int, int]] = []
    for start, end in pairwise(periods):
        a = records[records["period"] == start]
        b = records[records["period"] == end]
        both = set(a["person_hash"]) & set(b["person_hash"])
        cols = ["person_hash", "org_code", "role"]
        kept = a[a["person_hash"].isin(both)][cols].merge(
            b[b["person_hash"].isin(both)][cols], on=cols)["person_hash"].nunique()
        findings.append((start, end, len(both), kept))
        if start in new or end in new:
            importer_queries.add_source_flag(
                store, vintage, ingest_id, SOURCE, period_date(end), "identifier_overlap",
                kept / len(both) if both else None,
                f"of {len(both):,} identifiers present in both {start} and {end}, "
                f"{kept:,} keep the same PCN and role")
    overlap = sum(f[2] for f in findings)
    kept_all = sum(f[3] for f in findings)
    share = kept_all / overlap if overlap else None
    if not findings:
        detail = ("flows unavailable: identifiers are unique within one publication only "
                  "(no consecutive census in the vintage to check yet); net change only, "
                  "no flows rows")
    else:
        last = findings[-1]
        evidence = (f"across {len(findings)} pair(s) of consecutive censuses, {kept_all:,} of "
                    f"{overlap:,} identifiers present in both keep the same PCN and role; "
                    f"{last[0]}→{last[1]}: {last[3]:,} of {last[2]:,}")
        verdict = ("identifiers not stable" if share is None or share < STABLE_SHARE else
                   "identifiers are unique within one publication only, by definition, "
                   "although consecutive censuses overlap")
        detail = f"flows unavailable: {verdict} ({evidence}); net change only, no flows rows"
    importer_queries.add_source_flag(store, vintage, ingest_id, SOURCE,
                                     period_date(max(new)) if new else None,
                                     "flows_unavailable", share, detail)
    return [detail]


IMPORTERS: list[Importer] = [PcnWorkforce()]
