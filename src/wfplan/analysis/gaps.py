"""The data-gap report: what a vintage's dataset lacks, computed from the store.

Every figure here is computed from the rows of one vintage; nothing is
written by hand. For each table and each sector (NHS trusts, primary care,
social care) the report says:

- **coverage**: rows, periods, and which NHS regions and ICBs have data;
- **missing organisations**: organisations in the reference data (the
  ``organisations`` table, records still valid at the vintage's newest period)
  with no rows in a table where they are expected;
- **dimensions**: at the sector's latest staff-in-post period, the share of
  FTE (headcount where FTE is missing) for which age band, sex, ethnicity,
  nationality, grade and role are not reported (NULL) or reported as unknown,
  counting organisations' own rows only; and the share of that FTE in
  organisations with any vacancy or flow figures;
- **unmapped** codes (from ``unmapped``);
- **stale** sources: per table, sector and source (the ingest's title), the
  latest period, stale when more than :data:`STALE_MONTHS` months before the
  vintage's newest workforce period;
- **findings** recorded by importers in ``source_flags``, e.g. "flows
  unavailable: identifiers not stable" for the PCN workforce publication;
- a short **ranked list** of the most important gaps, primary care and social
  care first (see :func:`rank`).

A row's sector is its staff group's sector (``staff_groups.csv``); failing
that, its organisation's sector.

``gap_report(..., area=Area("icb", "QMJ"))`` is the report of one region or ICB:
the same sections of the rows and organisations placed in it (see
:mod:`wfplan.analysis.gaps_sections` for what changes); without an area the
report is England's, computed exactly as before areas were added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from wfplan.analysis.gaps_sections import (
    DIMENSIONS,
    EXPECTED,
    FIRST_SECTORS,
    SECTOR_NAMES,
    SECTORS,
    STALE_MONTHS,
    Sections,
    is_missing,
    publication_name,
    records,
)
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.gaps import Area

__all__ = ["DIMENSIONS", "EXPECTED", "SECTORS", "SECTOR_NAMES", "STALE_MONTHS", "TOP_GAPS",
           "Area", "GapReport", "gap_report", "in_sentence", "publication_name", "rank"]

#: How many gaps the ranked list shows.
TOP_GAPS = 10



@dataclass
class GapReport:
    """The gap report of one vintage (of one area, with ``area``): one DataFrame per section."""

    vintage: str
    newest_period: date | None
    stale_months: int
    coverage: pd.DataFrame
    missing_organisations: pd.DataFrame
    dimensions: pd.DataFrame
    unmapped: pd.DataFrame
    stale: pd.DataFrame
    findings: pd.DataFrame
    ranked: pd.DataFrame
    totals: dict[str, int] = field(default_factory=dict)
    area: Area | None = None

    def sections(self) -> dict[str, pd.DataFrame]:
        """Return the sections by name, in report order (the ranked gaps last)."""
        return {"coverage": self.coverage,
                "missing_organisations": self.missing_organisations,
                "dimensions": self.dimensions, "stale": self.stale,
                "unmapped": self.unmapped, "findings": self.findings, "ranked": self.ranked}

    def to_long(self) -> pd.DataFrame:
        """Return every section as one long table: section, then each section's columns."""
        parts = []
        for name, frame in self.sections().items():
            part = frame.copy()
            part.insert(0, "section", name)
            parts.append(part.astype(object))
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

def rank(coverage: pd.DataFrame, missing: pd.DataFrame, dimensions: pd.DataFrame,
         unmapped: pd.DataFrame, stale: pd.DataFrame, findings: pd.DataFrame,
         top: int = TOP_GAPS) -> pd.DataFrame:
    """Return the most important gaps, by severity; primary and social care first among equals.

    Severity (0–100) is a fixed score per kind of gap, scaled by its extent:
    no staff in post at all 100; flows unavailable (an importer's finding) 85;
    no flows 80; no vacancies 80; a source's staff in post stale 70 (+½ per
    month behind, up to 90; other tables 50 to 70); staff-in-post dimensions not
    reported for at least half the FTE, one gap per sector scored by the worst
    (weights: age 60, ethnicity 50, sex 40, nationality 30, grade 20, role 15,
    × share); organisations without staff in post 60 × share
    (from 5%); ICBs without staff in post 50 × share (from 10%); no sickness
    absence or staff survey for NHS trusts 40; unmapped codes 30 × share of
    the table's rows (at least 5).
    """
    gaps: list[dict[str, Any]] = []

    def add(sector: str, severity: float, gap: str, evidence: str) -> None:
        gaps.append({"sector": sector, "severity": round(float(severity), 1), "gap": gap,
                     "evidence": evidence})

    cov = {(r["table"], r["sector"]): r for r in records(coverage)}
    finding = {str(r["sector"]): str(r["detail"]) for r in records(findings)}
    stale_rows = [r for r in records(stale) if r["stale"]]
    missing_rows = {(r["table"], r["sector"]): r for r in records(missing)}

    def rows(table: str, sector: str) -> int:
        return int(cov.get((table, sector), {}).get("rows", 0))

    for sector in SECTORS:
        name = in_sentence(SECTOR_NAMES[sector])
        if not rows("staff_in_post", sector):
            add(sector, 100, f"No staff in post for {name}",
                "staff_in_post has no rows for this sector")
            continue
        if sector in finding:
            add(sector, 85, f"Joiners and leavers cannot be measured for {name}",
                finding[sector])
        elif not rows("flows", sector):
            add(sector, 80, f"No joiner or leaver flows for {name}",
                "flows has no rows for this sector: only net change can be reported")
        if not rows("vacancies", sector):
            add(sector, 80, f"No vacancy figures for {name}",
                "vacancies has no rows for this sector")
        for old in stale_rows:
            if old["sector"] != sector:
                continue
            months = int(old["months_behind"])
            base = 70 if old["table"] == "staff_in_post" else 50
            add(sector, min(base + months / 2, base + 20),
                f"{old['table'].replace('_', ' ').capitalize()} for {name} is out of date: "
                f"{old['source']}",
                f"latest period {old['last_period']}, {months} months before the newest data "
                f"({old['newest_period']})")
        unreported = []
        for dim in records(dimensions):
            share = dim["share_not_reported"]
            if dim["sector"] != sector or dim["dimension"] not in DIMENSIONS or \
                    is_missing(share) or share < 0.5:
                continue
            where = (f", published at area level only ({dim['area_level_rows']:,} rows)"
                     if dim["area_level_rows"] else "")
            unreported.append((DIMENSIONS[str(dim["dimension"])] * share,
                               str(dim["dimension"]).replace("_", " "),
                               f"{dim['dimension']} {share:.0%}{where}", dim["period"]))
        if unreported:
            unreported.sort(key=lambda u: -u[0])
            names = [u[1] for u in unreported]
            listed = ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
            add(sector, unreported[0][0], f"{listed.capitalize()} not reported for {name}",
                f"share of FTE at {unreported[0][3]} without: "
                + "; ".join(u[2] for u in unreported))
        miss = missing_rows.get(("staff_in_post", sector))
        if miss and miss["without_data"] and (miss["share_without_data"] or 0) >= 0.05:
            share = float(miss["share_without_data"])
            add(sector, 60 * share, f"Organisations without staff in post ({name})",
                f"{miss['without_data']:,} of {miss['expected']:,} expected organisations "
                f"have none, e.g. {miss['examples']}")
        row = cov[("staff_in_post", sector)]
        if row["icbs_total"] and row["icbs_with_data"] < row["icbs_total"]:
            share = 1 - row["icbs_with_data"] / row["icbs_total"]
            if share >= 0.1:
                add(sector, 50 * share, f"ICBs without staff in post ({name})",
                    f"{row['icbs_with_data']} of {row['icbs_total']} ICBs have data; regions "
                    f"without any: {row['regions_without_data'] or 'none'}")
        for table, sectors in EXPECTED.items():
            if table in ("staff_in_post", "vacancies", "flows") or sector not in sectors:
                continue
            if not rows(table, sector):
                add(sector, 40, f"No {table.replace('_', ' ')} for {name}",
                    f"{table} has no rows for this sector")
    for item in records(unmapped):
        share = 0.0 if is_missing(item["share_of_rows"]) else float(item["share_of_rows"])
        add("all", max(5.0, 30 * share), f"Unmapped codes in {item['table']}.{item['column']}",
            f"{item['values']:,} value(s) on {item['rows']:,} rows ({share:.1%}), e.g. "
            f"{item['examples']}")
    gaps.sort(key=lambda g: (-g["severity"], 0 if g["sector"] in FIRST_SECTORS
                             else 1 if g["sector"] in SECTORS else 2))
    ranked = [{"rank": i, **g} for i, g in enumerate(gaps[:top], start=1)]
    return pd.DataFrame(ranked, columns=["rank", "sector", "severity", "gap", "evidence"])


def gap_report(store: Store, vintage: str, *, stale_months: int = STALE_MONTHS,
               area: Area | None = None) -> GapReport:
    """Compute the gap report of a vintage (of one region or ICB, with ``area``).

    Parameters
    ----------
    store : Store
        The store (read only is enough).
    vintage : str
        The vintage to report on.
    stale_months : int
        A table is stale when its latest period is more than this many months
        before the vintage's newest workforce period.
    area : Area, optional
        Only the rows and organisations placed in this region or ICB; None for England.

    Returns
    -------
    GapReport
        One DataFrame per section and the ranked list.
    """
    g = Sections(store, vintage, stale_months, area)
    coverage = g.coverage()
    missing = g.missing_organisations()
    dimensions = g.dimensions()
    unmapped = g.unmapped()
    stale = g.stale()
    findings = g.findings()
    ranked = rank(coverage, missing, dimensions, unmapped, stale, findings)
    return GapReport(vintage=vintage, newest_period=g.newest, stale_months=stale_months,
                     coverage=coverage, missing_organisations=missing, dimensions=dimensions,
                     unmapped=unmapped, stale=stale, findings=findings, ranked=ranked,
                     totals=g.totals(), area=area)

def in_sentence(name: str) -> str:
    """Return a name as written inside a sentence: ``Primary care`` → ``primary care``.

    A first word in capitals (an acronym: ``NHS trusts``) is kept.
    """
    first, _, rest = name.partition(" ")
    return name if first.isupper() else f"{first.lower()} {rest}".rstrip()
