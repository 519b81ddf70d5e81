"""The sections of the data-gap report (:mod:`wfplan.analysis.gaps`), from the store's queries.

:class:`Sections` computes each section of one vintage's gap report with the
queries of :mod:`wfplan.dataset.store.queries.gaps`; the constants here say which
sectors, tables and staff-in-post dimensions the report covers.

With an :class:`~wfplan.dataset.store.queries.gaps.Area` (a region or an ICB) every
section is of the rows placed in the area and of the organisations placed in it,
and the area's regions and ICBs stand for England's: its region (one) and its ICBs.
The newest workforce period stays the vintage's, so an area whose data stops early
is stale against the rest of England. Unmapped codes are not placed in any area (the
``unmapped`` table does not say which rows hold them), so an area's report has none;
an importer's finding is the area's when the area has staff in post from the
flagged source.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.enums import Sector
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import gaps as queries
from wfplan.dataset.store.queries.gaps import FACTS, Area

#: The sectors ranked first among gaps of equal severity, and listed first.
FIRST_SECTORS = (Sector.PRIMARY_CARE.value, Sector.SOCIAL_CARE.value)
#: The sectors the report always covers (those of the staff groups), in the order it lists them.
SECTORS = (*FIRST_SECTORS,
           *(s for s in codelists.workforce_sectors() if s not in FIRST_SECTORS))
#: Sector names from the code list (``enums.csv``), and those of the values that are not
#: sectors (``all``, ``unknown``): :func:`wfplan.dataset.codelists.sector_names`.
SECTOR_NAMES = codelists.sector_names()
#: A table is stale when its latest period is more than this many months before the newest.
STALE_MONTHS = 12
#: Staff-in-post dimensions checked, with the weight of a missing one in the ranking.
DIMENSIONS = {"age_band": 60, "ethnicity": 50, "sex": 40, "nationality": 30, "grade": 20,
              "role": 15}
#: Tables whose organisations are expected to report, by sector.
EXPECTED = {
    "staff_in_post": SECTORS, "vacancies": SECTORS, "flows": SECTORS,
    "sickness_absence": (Sector.NHS_TRUST.value,), "staff_survey": (Sector.NHS_TRUST.value,),
}


class Sections:
    """The sections of one vintage's gap report."""

    def __init__(self, store: Store, vintage: str, stale_months: int,
                 area: Area | None = None) -> None:
        store.require_vintage(vintage)
        self.store = store
        self.vintage = vintage
        self.stale_months = stale_months
        self.area = area
        self.regions = queries.region_codes(store, vintage, area)
        self.icb_count = queries.icb_count(store, vintage, area)
        found = [queries.latest_period(store, vintage, f) for f in FACTS
                 if f.workforce and f.period]
        days = [pd.Timestamp(n).date() for n in found if not is_missing(n)]
        self.newest: date | None = max(days) if days else None

    # -- sections ------------------------------------------------------------------

    def coverage(self) -> pd.DataFrame:
        """Return rows, periods, regions and ICBs with data, per table and sector."""
        out: list[dict[str, Any]] = []
        for fact in FACTS:
            found = {r["sector"]: r for r in records(
                queries.coverage_by_sector(self.store, self.vintage, fact, self.area))}
            placed = fact.org or fact.area is not None
            sectors = list(SECTORS) if fact.staff_group or fact.org else []
            for sector in [*sectors, *(s for s in found if s not in sectors)]:
                out.append(self._coverage_row(fact.name, sector, found.get(sector, {}),
                                              placed))
        return pd.DataFrame(out)

    def _coverage_row(self, table: str, sector: str, row: dict[str, Any],
                      placed: bool) -> dict[str, Any]:
        regions = row.get("regions")
        have = {str(r) for r in (list(regions) if regions is not None else [])}
        return {
            "table": table, "sector": sector, "rows": int(row.get("rows", 0)),
            "periods": int(row.get("periods", 0)),
            "first_period": _day(row.get("first_period")),
            "last_period": _day(row.get("last_period")),
            "regions_with_data": len(have & set(self.regions)),
            "regions_without_data": ", ".join(r for r in self.regions if r not in have)
            if placed else "",
            "icbs_with_data": int(row.get("icbs", 0)), "icbs_total": self.icb_count,
            "national_rows": int(row.get("national_rows", 0)),
            "org_rows": int(row.get("org_rows", 0)),
        }

    def missing_organisations(self) -> pd.DataFrame:
        """Return, per table and sector, the expected organisations without rows."""
        out: list[dict[str, Any]] = []
        orgs = records(queries.current_organisations(self.store, self.vintage,
                                                      self.newest or date.max, self.area))
        for table, sectors in EXPECTED.items():
            with_data = queries.organisations_with_rows(self.store, self.vintage,
                                                        queries.fact(table), self.area)
            for sector in sectors:
                expected = [o for o in orgs if o["sector"] == sector]
                missing = [o for o in expected if o["org_code"] not in with_data]
                out.append({
                    "table": table, "sector": sector, "expected": len(expected),
                    "with_data": len(expected) - len(missing), "without_data": len(missing),
                    "share_without_data": _share(len(missing), len(expected)),
                    "examples": ", ".join(f"{o['org_code']} ({o['name']})" for o in missing[:5]),
                })
        return pd.DataFrame(out)

    def dimensions(self) -> pd.DataFrame:
        """Return, per sector, the share of FTE without each staff-in-post dimension."""
        latest = queries.latest_staff_by_sector(self.store, self.vintage, self.area)
        reporting = {table: queries.organisations_by_sector(self.store, self.vintage,
                                                            queries.fact(table), self.area)
                     for table in ("vacancies", "flows")}
        out: list[dict[str, Any]] = []
        for sector in SECTORS:
            period = latest.get(sector)
            if period is None:
                out += [{"sector": sector, "dimension": dim, "period": None,
                         "share_not_reported": None, "share_unknown": None,
                         "area_level_rows": 0} for dim in [*DIMENSIONS, "vacancies", "flows"]]
                continue
            out += self._sector_dimensions(sector, period, reporting)
        return pd.DataFrame(out)

    def _sector_dimensions(self, sector: str, period: Any,
                           reporting: dict[str, dict[str, set[str]]]) -> list[dict[str, Any]]:
        """Return the dimension rows of one sector at its latest period."""
        row = queries.dimension_weights(self.store, self.vintage, sector, period,
                                        tuple(DIMENSIONS), self.area)
        area_rows = queries.area_level_rows(self.store, self.vintage, sector, tuple(DIMENSIONS),
                                            self.area)
        total = 0.0 if is_missing(row["total"]) else float(row["total"])
        out = [{"sector": sector, "dimension": dim, "period": _day(period),
                "share_not_reported": _share(row[f"{dim}_null"], total),
                "share_unknown": _share(row[f"{dim}_unknown"], total),
                "area_level_rows": int(area_rows[dim] or 0)} for dim in DIMENSIONS]
        weights = queries.organisation_weights(self.store, self.vintage, sector, period,
                                               self.area)
        for dim, orgs in reporting.items():
            covered = sum(w for o, w in weights.items() if o in orgs.get(sector, set()))
            share = _share(covered, total)
            out.append({"sector": sector, "dimension": dim, "period": _day(period),
                        "share_not_reported": None if share is None else max(0.0, 1 - share),
                        "share_unknown": None, "area_level_rows": 0})
        return out

    def unmapped(self) -> pd.DataFrame:
        """Return the unmapped codes by table and column, with their share of the rows."""
        columns = ["table", "column", "values", "rows", "share_of_rows", "examples"]
        tables = {f.name for f in FACTS} | {"organisations", "areas"}
        out: list[dict[str, Any]] = []
        if self.area is not None:  # unmapped codes are placed in no area
            return pd.DataFrame(out, columns=columns)
        for row in records(queries.unmapped_codes(self.store, self.vintage)):
            table = str(row["table_name"])
            size = queries.row_count(self.store, self.vintage, table) if table in tables else 0
            out.append({"table": table, "column": row["column_name"], "values": int(row["n"]),
                        "rows": int(row["rows"]), "share_of_rows": _share(row["rows"], size),
                        "examples": ", ".join(str(v) for v in row["examples"])})
        return pd.DataFrame(out, columns=columns)

    def stale(self) -> pd.DataFrame:
        """Return each table, sector and source's latest period, and whether it is stale."""
        columns = ["table", "sector", "source", "last_period", "newest_period",
                   "months_behind", "stale"]
        titles = self.publications()
        out: dict[tuple[str, str, str], Any] = {}
        for fact in FACTS:
            if not fact.dated:
                continue
            for row in records(queries.last_period_by_ingest(self.store, self.vintage, fact,
                                                             self.area)):
                key = (fact.name, str(row["sector"]), titles.get(int(row["ingest_id"]), "?"))
                last = pd.Timestamp(row["last"])
                out[key] = max(out.get(key, last), last)
        rows = []
        for (table, sector, source), last in sorted(out.items()):
            behind = _months(last, self.newest) if self.newest else None
            rows.append({"table": table, "sector": sector, "source": source,
                         "last_period": _day(last), "newest_period": _day(self.newest),
                         "months_behind": behind,
                         "stale": behind is not None and behind > self.stale_months})
        return pd.DataFrame(rows, columns=columns)

    def publications(self) -> dict[int, str]:
        """Return each ingest's publication name: title and publisher, or the file's name."""
        return {int(r["ingest_id"]): publication_name(r)
                for r in records(queries.ingest_sources(self.store, self.vintage))}

    def findings(self) -> pd.DataFrame:
        """Return the latest "flows unavailable" finding of each source, with its sector."""
        columns = ["source", "publication", "sector", "flag", "period", "detail"]
        names = self.publications()
        flags = records(queries.latest_flags(self.store, self.vintage, "flows_unavailable"))
        kept = []
        for flag in flags:
            ids = queries.flagged_ingests(self.store, self.vintage, str(flag["source"]))
            found = records(queries.sector_rows(self.store, self.vintage, ids, self.area))
            if self.area is not None and not found:
                continue  # the source has no staff in post in the area
            flag["sector"] = found[0]["sector"] if found else "all"
            flag["period"] = _day(flag["period"])
            flag["publication"] = names.get(int(flag.pop("ingest_id")), str(flag["source"]))
            kept.append(flag)
        return pd.DataFrame(kept, columns=columns)

    def totals(self) -> dict[str, int]:
        """Return the rows of each fact table in the vintage (in the area, with one)."""
        if self.area is not None:
            return {f.name: queries.area_row_count(self.store, self.vintage, f, self.area)
                    for f in FACTS}
        return {f.name: queries.row_count(self.store, self.vintage, f.name) for f in FACTS}


def publication_name(ingest: dict[str, Any]) -> str:
    """Return a source's name from its ingest-log row: "title – publisher", or its file.

    A tidy template has no publication of its own, so its file is named first.
    """
    title, publisher = ingest.get("title"), ingest.get("publisher")
    title = None if is_missing(title) else str(title)
    publisher = None if is_missing(publisher) else str(publisher)
    source_file = str(ingest.get("source_file") or "")
    if not title:
        return source_file or "unknown source"
    if ingest.get("format") == "tidy":
        return f"{source_file} (tidy template)" if source_file else title
    return f"{title} – {publisher}" if publisher and publisher not in title else title


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return a frame's rows as plain dicts (values of any type)."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def is_missing(value: Any) -> bool:
    """Return whether a value from a frame is missing (None, NA, NaT or NaN)."""
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float) and value != value)


def _share(part: Any, total: float) -> float | None:
    if not total:
        return None
    return (0.0 if is_missing(part) else float(part)) / total


def _day(value: Any) -> str | None:
    if is_missing(value):
        return None
    return pd.Timestamp(value).date().isoformat()


def _months(earlier: Any, later: Any) -> int:
    a, b = pd.Timestamp(earlier), pd.Timestamp(later)
    return (b.year - a.year) * 12 + (b.month - a.month)
