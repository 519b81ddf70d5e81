"""NHS Digital: HCHS staff by staff group, nationality and organisation.

The supplementary workbook (sheet ``Data``, with a ``Notes`` sheet) or the
same table saved as CSV: one row per month, organisation, staff group and
nationality, with the FTE. See ``docs/importers/hchs_nationality.md``.

- ``staff_in_post``: period (month end), org_code, staff_group (through the
  staff-group code list), nationality (through the nationality code list,
  whose ``group`` column says british / eu_eea / non_eu / unknown), fte; and
  headcount when a later edition adds it.
- ``organisations``: each organisation once per month, named as in the file,
  valid for the census date only. Names ending in "CCG" are commissioners,
  trusts are NHS trusts. The ICB and region come from the reference data
  already in the vintage (ODS trust files, the CCG → ICB lookup) when there is
  any; an organisation with none still loads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pandas as pd

from wfplan.dataset.importers._publication import (
    TEXT,
    Layout,
    PublicationImporter,
    defer_to_existing,
    month_end,
    month_of,
    months,
    new_organisations,
    place_organisations,
)
from wfplan.dataset.store.queries import importers as importer_queries

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

_CCG = re.compile(r"\bCCG\b|clinical commissioning group", re.IGNORECASE)
_TRUST = re.compile(r"\btrust\b", re.IGNORECASE)


def sector_of(code: str, name: str) -> str:
    """Return the sector of an organisation in the HCHS publication (trust or CCG)."""
    if _CCG.search(name or ""):
        return "commissioner"
    if _TRUST.search(name or "") or re.fullmatch(r"[RT][A-Z0-9]{2}", code or ""):
        return "nhs_trust"
    return "other"


class HchsNationality(PublicationImporter):
    """HCHS staff by staff group, nationality and organisation (FTE)."""

    name = "nhs_digital:hchs_nationality"
    description = ("NHS Digital HCHS staff by staff group, nationality and organisation "
                   "(XLSX sheet 'Data' or CSV: Month, Organisation code, Organisation name, "
                   "Staff group, Nationality, FTE)")
    title = "HCHS staff by staff group, nationality and organisation"
    table = "staff_in_post"
    sheets = ("Data",)
    layout = Layout(
        required={
            "month": ("date", "period", "census_month"),
            "org_code": ("organisation_code", "org_code", "organisation"),
            "staff_group": ("staff_group",),
            "nationality": ("nationality",),
            "fte": ("fte", "full_time_equivalent"),
        },
        optional={
            "org_name": ("organisation_name", "org_name"),
            "headcount": ("headcount", "hc"),
        },
    )

    def rows(self, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield the organisations first seen in this chunk, then its staff in post."""
        month = months(frame["month"], self.state)
        readable = month.map(lambda m: isinstance(m, str) and month_of(m) == m).astype(bool)
        names = frame["org_name"] if "org_name" in frame else frame["org_code"]
        census = month[readable].map(month_end).astype(TEXT)
        orgs = pd.DataFrame({
            "org_code": frame.loc[readable, "org_code"].str.upper(),
            "name": names[readable].fillna(frame.loc[readable, "org_code"]),
            "valid_from": census,
            "valid_to": census,
        }, index=census.index).dropna(subset=["org_code"])
        orgs = new_organisations(orgs, self.state)
        if not orgs.empty:
            orgs["sector"] = [sector_of(c, n) for c, n in zip(orgs["org_code"], orgs["name"],
                                                               strict=True)]
            orgs["org_type"] = orgs["sector"].map(
                {"commissioner": "Clinical commissioning group", "nhs_trust": "NHS trust"})
            yield "organisations", orgs.astype(TEXT)
        staff = pd.DataFrame({
            "period": month,
            "org_code": frame["org_code"].str.upper(),
            "staff_group": frame["staff_group"],
            "nationality": frame["nationality"],
            "fte": frame["fte"],
        }, index=frame.index)
        if "headcount" in frame:
            staff["headcount"] = frame["headcount"]
        yield "staff_in_post", staff.astype(TEXT)

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Load repeated figures once, keep one description per organisation, place the rest."""
        notes = super().finish(store, ingest_id, vintage)
        kept = defer_to_existing(store, "organisations", ingest_id, vintage)
        placed = place_organisations(store, ingest_id, vintage)
        unplaced = importer_queries.unplaced_organisations(store, vintage, ingest_id,
                                                           distinct_codes=True)
        if kept:
            notes.append(f"{kept} organisation-month(s) were already described in the vintage; "
                         "those descriptions were kept")
        if placed:
            notes.append(f"{placed} organisation-month(s) placed in an ICB from the reference "
                         "data in the vintage")
        if unplaced:
            notes.append(f"{unplaced} organisation(s) have no known ICB (load the ODS trust "
                         "file and the CCG → ICB lookup in the same vintage to place them)")
        return notes


IMPORTERS = [HchsNationality()]
