"""NHS England: NHS Staff Survey, organisational results (one row per organisation and year).

After the identifying columns (``ODS code, Year, Organisation name,
Benchmarking group, Region, ICS/STP, Weighting``) come ``*_base`` / ``*_rate``
pairs. See ``docs/importers/staff_survey.md``.

- ``staff_survey``: one row per organisation, year and rate column.
  ``indicator`` is the rate column's stem in snake case (``Burned_out_rate`` →
  ``burned_out``, ``Religion_Christian_rate`` → ``religion_christian``);
  ``value`` is the rate as a proportion (the published percentages ÷ 100;
  ``*_response_rate`` columns are already proportions); ``base`` is the
  respondents: the ``*_base`` column whose stem begins the rate's stem, or
  ``Respondents`` for a response rate. A pair with both cells missing is
  skipped.
- ``organisations``: each organisation named in the survey, valid for the
  survey year, with its sector from the benchmarking group, and its region and
  ICB where the published names match the code lists.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.importers._publication import (
    TEXT,
    Layout,
    PublicationImporter,
    column_key,
    defer_to_existing,
    new_organisations,
    number_text,
)
from wfplan.dataset.importers.base import Match
from wfplan.dataset.provenance import NHS_STAFF_SURVEY
from wfplan.dataset.readers import FileProbe

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

#: Cells that mean "no figure" in the survey files (R's NA, a dash).
MISSING = frozenset({"NA", "<NA>", "N/A", "n/a", "-", "NULL"})
#: The indicators of the 2021–2023 files; any other is loaded and named in a note.
KNOWN_INDICATORS = frozenset({
    "autonomy", "burned_out", "burned_out_ever", "burned_out_response", "burned_out_sometimes",
    "discrimination_internal", "discrimination_public", "emotional_colleagues",
    "emotional_manager", "emotional_public", "emotionally_exhausting",
    "emotionally_exhausting_ever", "emotionally_exhausting_response",
    "emotionally_exhausting_sometimes", "enough_staff", "ethnic_minority", "female",
    "frustration", "frustration_ever", "frustration_response", "frustration_sometimes",
    "mastery_meaning", "med_dental", "membership", "older", "patient_facing",
    "physical_colleagues", "physical_manager", "physical_public", "religion_any_other",
    "religion_buddhist", "religion_christian", "religion_decline_answer", "religion_hindu",
    "religion_jewish", "religion_muslim", "religion_none", "religion_sikh", "sexual_minority",
    "stress", "time_demands_meet",
})
_SECTORS = (
    (re.compile(r"\b(icbs?|ccgs?|integrated care board|clinical commissioning)", re.I),
     "commissioner"),
    (re.compile(r"\btrusts?\b", re.I), "nhs_trust"),
)


def sector_of(benchmarking_group: object) -> str:
    """Return the sector of a survey benchmarking group (trusts, ICBs/CCGs, or other)."""
    if isinstance(benchmarking_group, str):
        for pattern, sector in _SECTORS:
            if pattern.search(benchmarking_group):
                return sector
    return "other"


def pairs(header: list[str]) -> dict[str, tuple[str, str | None]]:
    """Return indicator → (rate column, base column) for a survey header."""
    keys = {column_key(c): c for c in header}
    bases = sorted((k[: -len("_base")] for k in keys if k.endswith("_base")), key=len,
                   reverse=True)
    found: dict[str, tuple[str, str | None]] = {}
    for key, cell in keys.items():
        if not key.endswith("_rate"):
            continue
        stem = key[: -len("_rate")]
        base = next((keys[f"{b}_base"] for b in bases if stem == b or stem.startswith(b + "_")),
                    None)
        if stem.endswith("_response") and "respondents" in keys:
            base = keys["respondents"]
        found[stem] = (cell, base)
    return found


class StaffSurvey(PublicationImporter):
    """NHS Staff Survey organisational results: ``*_base`` / ``*_rate`` pairs per organisation."""

    name = "nhs_england:staff_survey"
    description = ("NHS England NHS Staff Survey organisational results (ODS code, Year, "
                   "Organisation name, Benchmarking group, …, then *_base / *_rate pairs)")
    title = "NHS Staff Survey: organisational results"
    publisher = NHS_STAFF_SURVEY
    table = "staff_survey"
    layout = Layout(
        required={"org_code": ("ods_code", "org_code", "organisation_code", "trust_code"),
                  "year": ("year", "survey_year")},
        optional={"org_name": ("organisation_name", "org_name", "trust_name"),
                  "benchmarking_group": ("benchmarking_group",),
                  "region": ("region",), "ics_stp": ("ics_stp", "stp"), "ics": ("ics", "icb")},
        ignored=("weighting",),
    )

    def __init__(self) -> None:
        super().__init__()
        self.indicators: dict[str, tuple[str, str | None]] = {}
        self.skipped_pairs = 0

    def reset(self) -> None:
        """Start counting afresh for a new file."""
        self.skipped_pairs = 0

    def accepts(self, columns: dict[str, str]) -> bool:
        """Refuse a header without the identifying columns of the survey."""
        return "org_name" in columns or "benchmarking_group" in columns

    def match(self, probe: FileProbe) -> Match | None:
        """Match a header with ODS code, year and at least one base/rate pair."""
        found = super().match(probe)
        if found is None or not pairs(probe.headers[found.sheet]):
            return None
        return found

    def layout_for(self, header: list[str]) -> Layout:
        """Add every base/rate pair of this header to the identifying columns."""
        self.indicators = pairs(header)
        optional = dict(self.layout.optional)
        for stem, (rate, base) in self.indicators.items():
            optional[f"rate:{stem}"] = (column_key(rate),)
            if base is not None:
                optional[f"base:{base}"] = (column_key(base),)
        return Layout(self.layout.required, optional, (*self.layout.ignored, "respondents"))

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Read the identifying columns and every base/rate pair; name new indicators."""
        yield from super().chunks(probe, match)
        new = sorted(set(self.indicators) - KNOWN_INDICATORS)
        if new:
            self.state.note("indicators new to wfplan, loaded as published: " + ", ".join(new))

    def rows(self, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield the organisations first seen, then one survey row per organisation and rate."""
        frame = frame.mask(frame.isin(MISSING))
        year = frame["year"].str.extract(r"^\s*(\d{4})", expand=False).fillna(frame["year"])
        code = frame["org_code"].str.upper()
        orgs = self._organisations(frame, code, year)
        if not orgs.empty:
            yield "organisations", orgs
        # One chunk per indicator keeps each chunk's index (the source row) unique.
        for stem, (_, base) in self.indicators.items():
            rate = frame[f"rate:{stem}"]
            counts = frame[f"base:{base}"] if base is not None else pd.Series(
                pd.NA, index=frame.index, dtype=TEXT)
            present = rate.notna() | counts.notna()
            self.skipped_pairs += int((~present).sum())
            scale = 1.0 if stem.endswith("_response") else 0.01
            if present.any():
                yield "staff_survey", pd.DataFrame({
                    "year": year[present], "org_code": code[present], "indicator": stem,
                    "value": number_text(rate[present], scale), "base": counts[present],
                }).astype(TEXT)

    def _organisations(self, frame: pd.DataFrame, code: pd.Series,
                       year: pd.Series) -> pd.DataFrame:
        readable = year.str.fullmatch(r"\d{4}").fillna(False).astype(bool)
        self.state.months.update(year[readable])
        orgs = pd.DataFrame({
            "org_code": code, "valid_from": year + "-01-01", "valid_to": year + "-12-31",
            "name": frame["org_name"].fillna(code) if "org_name" in frame else code,
        }, index=frame.index)[readable].dropna(subset=["org_code"])
        orgs = new_organisations(orgs, self.state)
        if orgs.empty:
            return orgs
        group = (frame.loc[orgs.index, "benchmarking_group"] if "benchmarking_group" in frame
                 else pd.Series(pd.NA, index=orgs.index, dtype=TEXT))
        orgs["org_type"] = group
        orgs["sector"] = group.map(sector_of)
        places = frame.loc[orgs.index, [c for c in ("ics", "ics_stp", "region") if c in frame]]
        orgs["icb_code"] = [_first_code("icb", row) for row in places.itertuples(index=False)]
        orgs["region_code"] = [_first_code("region", row)
                               for row in places.itertuples(index=False)]
        return orgs.astype(TEXT)

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Keep one description per organisation; report skipped pairs."""
        notes = super().finish(store, ingest_id, vintage)
        kept = defer_to_existing(store, "organisations", ingest_id, vintage)
        if kept:
            notes.append(f"{kept} organisation-year(s) were already described in the vintage; "
                         "those descriptions were kept")
        if self.skipped_pairs:
            notes.append(f"{self.skipped_pairs:,} base/rate pair(s) with both cells empty were "
                         "skipped")
        return notes


def _first_code(codelist: str, names: tuple[object, ...]) -> str | None:
    """Return the code of the first published name that the code list knows, if any."""
    codes = codelists.get(codelist)
    for name in names:
        if isinstance(name, str) and (code := codes.code_for(name)) is not None:
            return code
    return None


IMPORTERS = [StaffSurvey()]
