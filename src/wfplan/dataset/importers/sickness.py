"""NHS Digital: NHS Sickness Absence Rates, organisation-level monthly CSV.

One row per organisation per month: FTE days lost and available, the rate,
and the organisation's NHS England region and ICS. See
``docs/importers/sickness_absence.md``.

- ``sickness_absence``: period (month end), org_code, fte_days_lost,
  fte_days_available; staff_group NULL (all staff) unless a later edition adds
  a staff-group column. The published rate is not stored (it is lost ÷
  available) but is checked against the two measures.
- ``organisations``: each organisation as the file describes it, valid for the
  month's census date: name, type, sector (trusts → nhs_trust, ICBs →
  commissioner, commissioning support units and other bodies → other), ICB
  and region. ``QZZ`` ("Special Health Authorities and other statutory
  bodies") is neither an ICB nor a region: those stay NULL.
"""

from __future__ import annotations

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
)

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

#: Region and ICS code of bodies outside the ICB structure.
NOT_AN_AREA = frozenset({"QZZ"})
_SECTORS = {
    "acute": "nhs_trust", "mental health": "nhs_trust", "community provider trust": "nhs_trust",
    "ambulance": "nhs_trust", "integrated care board": "commissioner",
    "clinical commissioning group": "commissioner", "commissioning support unit": "other",
    "others": "other", "other": "other",
}


def sector_of_type(org_type: object) -> str | None:
    """Return the sector of a published organisation type (``Acute`` → nhs_trust), or ``None``."""
    if not isinstance(org_type, str):
        return None
    return _SECTORS.get(org_type.strip().casefold())


#: Largest difference (percentage points) between the published rate and lost ÷ available.
RATE_TOLERANCE = 0.01


class SicknessAbsence(PublicationImporter):
    """NHS Sickness Absence Rates, one organisation-level monthly CSV."""

    name = "nhs_digital:sickness_absence"
    description = ("NHS Digital NHS Sickness Absence Rates, organisation CSV (DATE, "
                   "NHSE_REGION_CODE, ICS_CODE, ORG_CODE, ORG_NAME, ORG_TYPE, FTE_DAYS_LOST, "
                   "FTE_DAYS_AVAILABLE, SICKNESS_ABSENCE_RATE_PERCENT)")
    title = "NHS Sickness Absence Rates (organisation level)"
    table = "sickness_absence"
    layout = Layout(
        required={
            "date": ("date", "month", "period"),
            "org_code": ("org_code", "organisation_code"),
            "fte_days_lost": ("fte_days_lost",),
            "fte_days_available": ("fte_days_available",),
        },
        optional={
            "org_name": ("org_name", "organisation_name"),
            "org_type": ("org_type", "organisation_type"),
            "region_code": ("nhse_region_code", "region_code", "comm_region_code"),
            "icb_code": ("ics_code", "icb_code", "stp_code"),
            "staff_group": ("staff_group",),
            "rate": ("sickness_absence_rate_percent", "sickness_absence_rate"),
        },
        ignored=("nhse_region_name", "ics_name", "icb_name", "region_name"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.rate_mismatches = 0
        self.unknown_types: set[str] = set()

    def reset(self) -> None:
        """Start the checks afresh for a new file."""
        self.rate_mismatches, self.unknown_types = 0, set()

    def rows(self, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield the organisations first seen in this chunk, then its sickness absence."""
        month = months(frame["date"], self.state)
        readable = month.map(lambda m: isinstance(m, str) and month_of(m) == m).astype(bool)
        orgs = self._organisations(frame[readable], month[readable])
        if not orgs.empty:
            yield "organisations", orgs
        absence = pd.DataFrame({
            "period": month,
            "org_code": frame["org_code"].str.upper(),
            "fte_days_lost": frame["fte_days_lost"],
            "fte_days_available": frame["fte_days_available"],
        }, index=frame.index)
        if "staff_group" in frame:
            absence["staff_group"] = frame["staff_group"]
        if "rate" in frame:
            self._check_rate(frame)
        yield "sickness_absence", absence.astype(TEXT)

    def _organisations(self, frame: pd.DataFrame, month: pd.Series) -> pd.DataFrame:
        census = month.map(month_end)
        code = frame["org_code"].str.upper()
        orgs = pd.DataFrame({
            "org_code": code,
            "name": frame["org_name"].fillna(code) if "org_name" in frame else code,
            "valid_from": census, "valid_to": census,
        }, index=frame.index).dropna(subset=["org_code"])
        orgs = new_organisations(orgs, self.state)
        if orgs.empty:
            return orgs
        types = (frame.loc[orgs.index, "org_type"] if "org_type" in frame
                 else pd.Series(pd.NA, index=orgs.index, dtype=TEXT))
        orgs["org_type"] = types
        orgs["sector"] = types.map(self._sector).astype(TEXT)
        for column in ("region_code", "icb_code"):
            codes = (frame.loc[orgs.index, column].str.upper() if column in frame
                     else pd.Series(pd.NA, index=orgs.index, dtype=TEXT))
            orgs[column] = codes.mask(codes.isin(NOT_AN_AREA))
        return orgs.astype(TEXT)

    def _sector(self, org_type: object) -> str:
        sector = sector_of_type(org_type)
        if sector is None and isinstance(org_type, str):
            self.unknown_types.add(org_type)
        return sector or "other"

    def _check_rate(self, frame: pd.DataFrame) -> None:
        numbers = frame[["fte_days_lost", "fte_days_available", "rate"]].apply(
            lambda c: pd.to_numeric(c.str.replace(",", "", regex=False), errors="coerce"))
        computed = 100 * numbers["fte_days_lost"] / numbers["fte_days_available"].where(
            numbers["fte_days_available"] > 0)
        wrong = (computed - numbers["rate"]).abs() > RATE_TOLERANCE
        self.rate_mismatches += int(wrong.sum())

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Report checks; keep one description per organisation and date."""
        notes = super().finish(store, ingest_id, vintage)
        kept = defer_to_existing(store, "organisations", ingest_id, vintage)
        if kept:
            notes.append(f"{kept} organisation(s) were already described in the vintage for "
                         "this month; those descriptions were kept")
        if self.unknown_types:
            notes.append("organisation type(s) not known to wfplan, sector set to 'other': "
                         + ", ".join(sorted(self.unknown_types)))
        if self.rate_mismatches:
            notes.append(f"{self.rate_mismatches} row(s) whose published rate differs from "
                         f"FTE days lost ÷ available by more than {RATE_TOLERANCE} points")
        return notes


IMPORTERS = [SicknessAbsence()]
