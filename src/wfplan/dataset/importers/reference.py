"""Reference lookups: GP practice → PCN → CCG → ICB → region, CCG → ICB, local authorities.

See ``docs/importers/`` (gp_practice_mapping, ccg_icb_lookup,
local_authority_lookup, dim_organisation). All load before fact files in the same
ingest call (low ``order``), so that the facts' organisations and areas are
known and can be placed in their ICB and region.

- **NHS Digital GP practice → PCN → CCG → STP → region mapping**
  (``gp-reg-pat-prac-map``): ``areas`` for each CCG (level ``sub_icb``, parent
  the STP/ICB) and each PCN (level ``pcn``, parent the CCG of most of its
  practices), and ``organisations`` for each practice (sector primary_care,
  parent_code the PCN). All are valid for the extract's month.
- **CCG → ICB lookup**: ``areas`` for each CCG (level ``sub_icb``, parent the
  ICB), with no dates: it says which ICB covers a CCG's area, CCGs merged
  away included.
- **ONS lower-tier → upper-tier local authority lookup**: ``areas`` at level
  ``la`` for each English authority (a district's parent is its county, a
  county's or unitary authority's parent is England), valid for the
  geography's year.
- **Organisation reference with ICS and region by month**
  (``dim_organisation``): ``organisations`` valid from the first to the last
  month it names.

Rows that another file already gave (same key) are kept from that file, and
the note says how many.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.importers._publication import (
    TEXT,
    Layout,
    PublicationImporter,
    column_key,
    defer_to_existing,
    month_end,
    month_of,
)
from wfplan.dataset.importers.base import Match
from wfplan.dataset.importers.sickness import sector_of_type
from wfplan.dataset.provenance import OGL, ONS_GEOGRAPHY
from wfplan.dataset.readers import FileProbe

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

_CODE = re.compile(r"^[A-Z0-9]{3,9}$")
#: A practice's PCN code when it belongs to no PCN.
NO_PCN = frozenset({"U", ""})


class _WholeFile(PublicationImporter):
    """A lookup small enough to read whole, with rows that defer to earlier files."""

    order = 10
    tables: ClassVar[tuple[str, ...]] = ("areas",)
    reference_for = frozenset({"areas", "organisations"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[pd.DataFrame] = []

    def reset(self) -> None:
        """Start collecting a new file."""
        self.parts = []

    def rows(self, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
        """Collect the chunk; the whole file is turned into rows at the end."""
        self.parts.append(frame)
        return iter(())

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Read the whole file, then yield its tidy rows."""
        yield from super().chunks(probe, match)
        if self.parts:
            frame = pd.concat(self.parts)
            self.parts = []
            yield from self.whole(frame)

    @abstractmethod
    def whole(self, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
        """Turn the whole file (canonical column names, text) into tidy chunks."""

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Keep rows another file already gave; return the notes."""
        notes = self.state.closing_notes()
        for table in self.tables:
            kept = defer_to_existing(store, table, ingest_id, vintage)
            if kept:
                notes.append(f"{kept} {table} row(s) were already in the vintage from another "
                             "file; those were kept")
        return notes


def _first(values: pd.Series) -> object:
    present = values.dropna()
    return present.iloc[0] if not present.empty else None


class GpPracticeMapping(_WholeFile):
    """NHS Digital GP practice → PCN → CCG → STP → commissioning region mapping."""

    name = "nhs_digital:gp_practice_mapping"
    description = ("NHS Digital GP practice to PCN, CCG/sub-ICB, STP/ICB and region mapping "
                   "(PRACTICE_CODE, PCN_CODE, CCG_CODE, STP_CODE, COMM_REGION_CODE, …)")
    title = "Patients registered at a GP practice: practice to PCN, CCG, STP and region mapping"
    table = "organisations"
    tables = ("areas", "organisations")
    order = 15
    layout = Layout(
        required={
            "practice_code": ("practice_code",),
            "pcn_code": ("pcn_code",),
            "ccg_code": ("ccg_code", "sub_icb_location_code", "sub_icb_code", "sicbl_code"),
            "icb_code": ("stp_code", "icb_code"),
        },
        optional={
            "practice_name": ("practice_name",), "pcn_name": ("pcn_name",),
            "ccg_name": ("ccg_name", "sub_icb_location_name", "sub_icb_name", "sicbl_name"),
            "region_code": ("comm_region_code", "region_code", "nhser_code"),
            "extract_date": ("extract_date",),
        },
        ignored=("publication", "practice_postcode", "ons_ccg_code", "ons_stp_code", "stp_name",
                 "ons_comm_region_code", "comm_region_name", "icb_name", "region_name",
                 "ons_sub_icb_location_code", "ons_icb_code", "ons_region_code"),
    )

    def whole(self, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield the CCGs and PCNs as areas, then the practices as organisations."""
        month = None
        if "extract_date" in frame:
            month = month_of(str(_first(frame["extract_date"]) or ""))
        if month is None:
            month = month_of(str(_first(pd.Series(
                re.findall(r"20\d{2}-\d{2}", self.state.path.name))) or ""))
        if month is None:
            self.state.note("the extract date is unknown: rows are loaded without dates")
        else:
            self.state.months.add(month)
        start, end = (f"{month}-01", month_end(month)) if month else (None, None)
        code = frame["practice_code"].str.upper()
        pcn = frame["pcn_code"].str.upper().mask(frame["pcn_code"].fillna("").isin(NO_PCN))
        ccg = frame["ccg_code"].str.upper()
        icb = frame["icb_code"].str.upper()
        ccgs = pd.DataFrame({
            "code": ccg, "name": frame.get("ccg_name", ccg).fillna(ccg), "level": "sub_icb",
            "parent_code": icb, "valid_from": start, "valid_to": end,
        }, index=frame.index).dropna(subset=["code"]).drop_duplicates("code")
        yield "areas", ccgs.astype(TEXT)
        yield "areas", self._pcns(frame, pcn, ccg, start, end)
        practices = pd.DataFrame({
            "org_code": code, "name": frame.get("practice_name", code).fillna(code),
            "org_type": "GP practice", "sector": "primary_care", "icb_code": icb,
            "region_code": frame["region_code"].str.upper() if "region_code" in frame else None,
            "parent_code": pcn, "valid_from": start, "valid_to": end,
        }, index=frame.index)
        unallocated = int(pcn.isna().sum())
        if unallocated:
            self.state.note(f"{unallocated} practice(s) belong to no PCN (PCN code 'U')")
        yield "organisations", practices.astype(TEXT)

    def _pcns(self, frame: pd.DataFrame, pcn: pd.Series, ccg: pd.Series, start: str | None,
              end: str | None) -> pd.DataFrame:
        """Return one area per PCN, its parent the CCG of most of its practices."""
        names = frame.get("pcn_name", pcn)
        members = pd.DataFrame({"pcn": pcn, "ccg": ccg, "name": names,
                                "row": frame.index}).dropna(subset=["pcn"])
        split = members.groupby("pcn")["ccg"].nunique()
        if (split > 1).any():
            self.state.note(f"{int((split > 1).sum())} PCN(s) have practices in more than one "
                            "CCG: each is placed in the CCG of most of its practices")
        sizes = members.groupby(["pcn", "ccg"], dropna=False).agg(
            practices=("row", "size"), row=("row", "min"), name=("name", "first")).reset_index()
        best = sizes.sort_values(["practices", "row"], ascending=[False, True]).drop_duplicates(
            "pcn")
        pcns = pd.DataFrame({"code": best["pcn"], "name": best["name"].fillna(best["pcn"]),
                             "level": "pcn", "parent_code": best["ccg"], "valid_from": start,
                             "valid_to": end})
        pcns.index = pd.Index(best["row"].to_numpy())
        return pcns.sort_index().astype(TEXT)


class CcgIcbLookup(_WholeFile):
    """A CCG code → ICB code lookup (e.g. the Health Equity Evidence Centre's)."""

    name = "lookup:ccg_icb"
    description = "CCG to ICB lookup (CCG Code, ICB Code, ICB Name)"
    title = "CCG to ICB lookup"
    publisher = "Health Equity Evidence Centre (derived from NHS England ODS codes)"
    licence = f"not stated (the codes are ODS codes, {OGL})"
    table = "areas"
    layout = Layout(required={"ccg_code": ("ccg_code", "ccg"), "icb_code": ("icb_code", "icb")},
                    ignored=("icb_name", "ccg_name"))

    def whole(self, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield one sub-ICB area per CCG code, its parent the ICB."""
        code = frame["ccg_code"].str.upper()
        valid = code.str.match(_CODE).fillna(False).astype(bool)
        if (~valid).any():
            self.state.note(f"{int((~valid).sum())} row(s) whose CCG code is not a code were "
                            f"skipped, e.g. {_first(frame.loc[~valid, 'ccg_code'])!r}")
        areas = pd.DataFrame({
            "code": code, "name": "CCG " + code, "level": "sub_icb",
            "parent_code": frame["icb_code"].str.upper(),
        }, index=frame.index)[valid].drop_duplicates("code")
        unknown = sorted(set(areas["parent_code"].dropna()) - set(codelists.get("icb").codes))
        if unknown:
            self.state.note("ICB code(s) not in wfplan's ICB list: " + ", ".join(unknown))
        yield "areas", areas.astype(TEXT)


class LocalAuthorityLookup(_WholeFile):
    """ONS lower-tier → upper-tier local authority lookup (England and Wales)."""

    name = "ons:ltla_utla"
    description = ("ONS lower-tier to upper-tier local authority lookup "
                   "(LTLAyyCD, LTLAyyNM, UTLAyyCD, UTLAyyNM)")
    title = "Lower Tier Local Authority to Upper Tier Local Authority lookup"
    publisher = ONS_GEOGRAPHY
    table = "areas"
    layout = Layout(required={})
    _PATTERN = re.compile(r"^(ltla|lad|utla)(\d{2})(cd|nm)$")

    def layout_for(self, header: list[str]) -> Layout:
        """Return the layout of this header's year (``LTLA22CD`` …)."""
        found: dict[str, tuple[str, ...]] = {}
        for cell in header:
            hit = self._PATTERN.match(column_key(cell))
            if hit:
                tier = "upper" if hit.group(1) == "utla" else "lower"
                found.setdefault(f"{tier}_{hit.group(3)}", (column_key(cell),))
                found.setdefault("year", (hit.group(2),))
        year = found.pop("year", ("",))
        self.year = year[0]
        return Layout(required=found, ignored=("objectid", "fid"))

    def match(self, probe: FileProbe) -> Match | None:
        """Match a header with lower- and upper-tier codes and names."""
        for sheet, header in probe.headers.items():
            layout = self.layout_for(header)
            if {"lower_cd", "lower_nm", "upper_cd", "upper_nm"} <= set(layout.required):
                return Match(self, sheet=sheet, table="areas", score=3.0,
                             errors=self.header_errors(probe, sheet))
        return None

    def whole(self, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield each English authority once, a district under its county."""
        year = f"20{self.year}" if self.year else None
        if year:
            self.state.months.add(year)
        lower, upper = frame["lower_cd"].str.upper(), frame["upper_cd"].str.upper()
        england = lower.str.startswith("E").fillna(False).astype(bool)
        if (~england).any():
            self.state.note(f"{int((~england).sum())} authorities outside England (Wales) were "
                            "not loaded: wfplan covers England")
        districts = pd.DataFrame({
            "code": lower, "name": frame["lower_nm"],
            "parent_code": upper.where(upper != lower, codelists.ENGLAND_CODE),
        }, index=frame.index)[england]
        counties = pd.DataFrame({"code": upper, "name": frame["upper_nm"],
                                 "parent_code": codelists.ENGLAND_CODE},
                                index=frame.index)[england & (upper != lower)]
        areas = pd.concat([districts, counties]).drop_duplicates("code")
        areas["level"] = "la"
        areas["valid_from"] = f"{year}-01-01" if year else None
        areas["valid_to"] = f"{year}-12-31" if year else None
        yield "areas", areas.sort_index(kind="stable").astype(TEXT)


class OrganisationReference(_WholeFile):
    """An organisation reference with region and ICS for a span of months (dim_organisation)."""

    name = "lookup:dim_organisation"
    description = ("Organisation reference with region and ICS by month (OrganisationCode, "
                   "CanonicalOrganisationName, OrganisationType, RegionCode, ICSCode, "
                   "ValidFromMonth, ValidToMonth)")
    title = "Organisation reference with region and ICS (derived)"
    publisher = ("Derived from NHS Digital sickness absence and workforce statistics "
                 "(compiled by ml20g2l)")
    licence = f"{OGL} (the source publications)"
    table = "organisations"
    tables = ("organisations",)
    order = 20
    layout = Layout(
        required={"org_code": ("organisationcode", "org_code"),
                  "name": ("canonicalorganisationname", "organisationname", "org_name"),
                  "valid_from": ("validfrommonth", "valid_from"),
                  "valid_to": ("validtomonth", "valid_to")},
        optional={"org_type": ("organisationtype", "org_type"),
                  "region_code": ("regioncode", "region_code"),
                  "icb_code": ("icscode", "icbcode", "ics_code", "icb_code")},
        ignored=("regionname", "icsname", "stableallthreemonths", "inclusionflag",
                 "reportingcohort", "observedaliases", "mappingstatus", "reviewnote"),
    )

    def whole(self, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield one organisation per row, valid from its first to its last month."""
        # An unreadable month is NA, not None, in a text column: test for text, not truth.
        first = frame["valid_from"].map(lambda v: month_of(v) if isinstance(v, str) else None)
        last = frame["valid_to"].map(lambda v: month_of(v) if isinstance(v, str) else None)
        self.state.months.update(m for m in (*first, *last) if isinstance(m, str))
        types = frame["org_type"] if "org_type" in frame else pd.Series(pd.NA, index=frame.index)
        sectors = types.map(sector_of_type)
        unknown = sorted({str(t) for t, s in zip(types, sectors, strict=True)
                          if pd.isna(s) and isinstance(t, str)})
        orgs = pd.DataFrame({
            "org_code": frame["org_code"].str.upper(), "name": frame["name"],
            "org_type": types, "sector": sectors.fillna("other"),
            "region_code": frame.get("region_code"), "icb_code": frame.get("icb_code"),
            "valid_from": _day_or_given(first, frame["valid_from"], lambda m: f"{m}-01"),
            "valid_to": _day_or_given(last, frame["valid_to"], month_end),
        }, index=frame.index)
        if unknown:
            self.state.note("organisation type(s) not known to wfplan, sector set to 'other': "
                            + ", ".join(unknown))
        yield "organisations", orgs.astype(TEXT)


def _day_or_given(months: pd.Series, given: pd.Series,
                  day: Callable[[str], str]) -> pd.Series:
    """Return the day of each readable month, else the cell as given (for validation to name)."""
    return pd.Series([day(m) if isinstance(m, str) else g
                      for m, g in zip(months, given, strict=True)], index=given.index, dtype=TEXT)


IMPORTERS = [GpPracticeMapping(), CcgIcbLookup(), LocalAuthorityLookup(), OrganisationReference()]
