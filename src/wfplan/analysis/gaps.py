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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.store import Store

#: The sectors the report always covers, in the order it lists them.
SECTORS = ("primary_care", "social_care", "nhs_trust")
#: Sector names from the code list (``enums.csv``), and those of the values that are not
#: sectors (``all``, ``unknown``): :func:`wfplan.dataset.codelists.sector_names`.
SECTOR_NAMES = codelists.sector_names()
#: A table is stale when its latest period is more than this many months before the newest.
STALE_MONTHS = 12
#: How many gaps the ranked list shows.
TOP_GAPS = 10
#: Staff-in-post dimensions checked, with the weight of a missing one in the ranking.
DIMENSIONS = {"age_band": 60, "ethnicity": 50, "sex": 40, "nationality": 30, "grade": 20,
              "role": 15}
#: Tables whose organisations are expected to report, by sector.
EXPECTED = {
    "staff_in_post": SECTORS, "vacancies": SECTORS, "flows": SECTORS,
    "sickness_absence": ("nhs_trust",), "staff_survey": ("nhs_trust",),
}


@dataclass(frozen=True)
class _Fact:
    """A fact table: how to read its period and place its rows.

    ``workforce`` tables (staff, vacancies, flows, sickness, survey) set the
    vintage's newest workforce period; ``dated`` tables are in the stale
    section (education is dated, but its academic years end after the census).
    """

    name: str
    period: str | None
    org: bool
    staff_group: bool
    area: str | None = None
    workforce: bool = True
    dated: bool = True


FACTS = (
    _Fact("staff_in_post", "f.period", org=True, staff_group=True),
    _Fact("vacancies", "f.period", org=True, staff_group=True),
    _Fact("flows", "f.period_end", org=True, staff_group=True),
    _Fact("sickness_absence", "f.period", org=True, staff_group=True),
    _Fact("staff_survey", "make_date(f.year, 12, 31)", org=True, staff_group=False),
    _Fact("education", "make_date(try_cast(left(f.academic_year, 4) AS INTEGER) + 1, 7, 31)",
          org=False, staff_group=True, area="region", workforce=False),
    _Fact("population", "make_date(f.year, 6, 30)", org=False, staff_group=False,
          area="area_code", workforce=False, dated=False),
    _Fact("utilisation", None, org=False, staff_group=False, workforce=False, dated=False),
)


@dataclass
class GapReport:
    """The gap report of one vintage: one DataFrame per section."""

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


def _sector_case(column: str) -> str:
    by_sector: dict[str, list[str]] = {}
    for row in codelists.get("staff_group").rows:
        by_sector.setdefault(row["sector"], []).append(row["code"])
    by_sector.setdefault("nhs_trust", []).extend(codelists.get("staff_group_aggregate").codes)
    whens = " ".join(
        f"WHEN {column} IN ({', '.join(repr(c) for c in codes)}) THEN '{sector}'"
        for sector, codes in by_sector.items())
    return f"CASE {whens} END"


_GEO = """
WITH org AS (
  SELECT org_code, name, org_type, sector, icb_code, region_code, valid_to
  FROM organisations WHERE vintage = $vintage
  QUALIFY row_number() OVER (PARTITION BY org_code
                             ORDER BY valid_from DESC NULLS LAST, icb_code IS NULL, name) = 1
), geo AS (
  SELECT o.*, coalesce(o.region_code, a.parent_code) AS region
  FROM org o LEFT JOIN (SELECT DISTINCT code, parent_code FROM areas
                        WHERE vintage = $vintage AND level = 'icb') a ON a.code = o.icb_code
), lvl AS (
  SELECT code, min(level) AS level, min(parent_code) AS parent
  FROM areas WHERE vintage = $vintage GROUP BY code
)"""


def _rows_sql(fact: _Fact, select: str, where: str = "TRUE") -> str:
    """Return a query over a fact table's rows with period, sector, region, ICB and flags."""
    period = fact.period or "NULL::DATE"
    group_sector = _sector_case("f.staff_group") if fact.staff_group else "NULL"
    if fact.org:
        joins = ("LEFT JOIN geo g ON g.org_code = f.org_code "
                 "LEFT JOIN lvl l ON l.code = f.org_code")
        is_org = "g.org_code IS NOT NULL"
        level = "CASE WHEN g.org_code IS NULL THEN l.level END"
        region = ("coalesce(g.region, CASE l.level WHEN 'region' THEN f.org_code "
                  "WHEN 'icb' THEN l.parent END)")
        icb = "coalesce(g.icb_code, CASE WHEN l.level = 'icb' THEN f.org_code END)"
        sector = f"coalesce({group_sector}, g.sector, 'unknown')"
        org = "f.org_code"
    elif fact.area:
        joins = f"LEFT JOIN lvl l ON l.code = f.{fact.area}"
        is_org = "FALSE"
        level = "l.level"
        region = (f"CASE l.level WHEN 'region' THEN f.{fact.area} "
                  f"WHEN 'icb' THEN l.parent END")
        icb = f"CASE WHEN l.level = 'icb' THEN f.{fact.area} END"
        sector = f"coalesce({group_sector}, 'all')"
        org = "NULL"
    else:
        joins, is_org, level, region, icb, org = "", "FALSE", "NULL", "NULL", "NULL", "NULL"
        sector = "'all'"
    return (f"{_GEO}, r AS (SELECT f.*, {period} AS g_period, {is_org} AS g_is_org, {level} "
            f"AS g_level, {region} AS g_region, {icb} AS g_icb, {sector} AS g_sector, {org} "
            f"AS g_org FROM {fact.name} f {joins} WHERE f.vintage = $vintage) "
            f"SELECT {select} FROM r WHERE {where}")


class _Gaps:
    def __init__(self, store: Store, vintage: str, stale_months: int) -> None:
        store.require_vintage(vintage)
        self.store = store
        self.vintage = vintage
        self.stale_months = stale_months
        self.regions = [str(c) for c in store.query(
            "SELECT DISTINCT code FROM areas WHERE vintage = ? AND level = 'region' "
            "ORDER BY code", [vintage])["code"]]
        self.icb_count = int(store.scalar(
            "SELECT count(DISTINCT code) FROM areas WHERE vintage = ? AND level = 'icb'",
            [vintage]))
        found = [_records(self.q(_rows_sql(f, "max(g_period) AS p")))[0]["p"] for f in FACTS
                 if f.workforce and f.period]
        days = [pd.Timestamp(n).date() for n in found if not _missing(n)]
        self.newest: date | None = max(days) if days else None

    def q(self, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        return self.store.query(sql, {"vintage": self.vintage, **(params or {})})  # type: ignore[arg-type]

    def fact(self, name: str) -> _Fact:
        return next(f for f in FACTS if f.name == name)

    # -- sections ------------------------------------------------------------------

    def coverage(self) -> pd.DataFrame:
        out: list[dict[str, Any]] = []
        for fact in FACTS:
            found = {r["sector"]: r for r in _records(self.q(_rows_sql(
                fact,
                "g_sector AS sector, count(*) AS rows, count(DISTINCT g_period) AS periods, "
                "min(g_period) AS first_period, max(g_period) AS last_period, "
                "list(DISTINCT g_region) FILTER (WHERE g_region IS NOT NULL) AS regions, "
                "count(DISTINCT g_icb) FILTER (WHERE g_icb IN (SELECT code FROM lvl "
                "WHERE level = 'icb')) AS icbs, count(*) FILTER (WHERE g_level = 'england') "
                "AS national_rows, count(*) FILTER (WHERE g_is_org) AS org_rows",
                ) + " GROUP BY ALL"))}
            placed = fact.org or fact.area is not None
            sectors = list(SECTORS) if fact.staff_group or fact.org else []
            for sector in [*sectors, *(s for s in found if s not in sectors)]:
                row = found.get(sector, {})
                regions = row.get("regions")
                have = {str(r) for r in (list(regions) if regions is not None else [])}
                out.append({
                    "table": fact.name, "sector": sector, "rows": int(row.get("rows", 0)),
                    "periods": int(row.get("periods", 0)),
                    "first_period": _day(row.get("first_period")),
                    "last_period": _day(row.get("last_period")),
                    "regions_with_data": len(have & set(self.regions)),
                    "regions_without_data": ", ".join(r for r in self.regions if r not in have)
                    if placed else "",
                    "icbs_with_data": int(row.get("icbs", 0)), "icbs_total": self.icb_count,
                    "national_rows": int(row.get("national_rows", 0)),
                    "org_rows": int(row.get("org_rows", 0)),
                })
        return pd.DataFrame(out)

    def missing_organisations(self) -> pd.DataFrame:
        out: list[dict[str, Any]] = []
        at = self.newest or date.max
        orgs = _records(self.q(f"{_GEO} SELECT org_code, name, sector FROM geo WHERE "
                               "valid_to IS NULL OR valid_to >= $at ORDER BY org_code",
                               {"at": at}))
        for table, sectors in EXPECTED.items():
            with_data = set(self.q(_rows_sql(self.fact(table), "DISTINCT g_org AS org",
                                             "g_is_org"))["org"])
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
        sip = self.fact("staff_in_post")
        latest = {r["sector"]: r["p"] for r in _records(self.q(_rows_sql(
            sip, "g_sector AS sector, max(g_period) AS p", "g_is_org") + " GROUP BY ALL"))}
        vacancy_orgs = self._orgs_with("vacancies")
        flow_orgs = self._orgs_with("flows")
        out: list[dict[str, Any]] = []
        weight = "coalesce(fte, headcount, 0)"
        for sector in SECTORS:
            period = latest.get(sector)
            if period is None:
                out += [{"sector": sector, "dimension": dim, "period": None,
                         "share_not_reported": None, "share_unknown": None,
                         "area_level_rows": 0} for dim in [*DIMENSIONS, "vacancies", "flows"]]
                continue
            where = {"sector": sector, "p": period}
            cols = ", ".join(
                f"sum({weight}) FILTER (WHERE {d} IS NULL) AS {d}_null, "
                f"sum({weight}) FILTER (WHERE {d} = 'unknown') AS {d}_unknown"
                for d in DIMENSIONS)
            row = _records(self.q(_rows_sql(sip, f"sum({weight}) AS total, {cols}",
                                            "g_is_org AND g_sector = $sector AND g_period = $p"),
                                  where))[0]
            area_rows = _records(self.q(_rows_sql(sip, ", ".join(
                f"count(*) FILTER (WHERE {d} IS NOT NULL) AS {d}" for d in DIMENSIONS),
                "NOT g_is_org AND g_level IS NOT NULL AND g_sector = $sector"),
                {"sector": sector}))[0]
            total = 0.0 if _missing(row["total"]) else float(row["total"])
            for dim in DIMENSIONS:
                out.append({
                    "sector": sector, "dimension": dim, "period": _day(period),
                    "share_not_reported": _share(row[f"{dim}_null"], total),
                    "share_unknown": _share(row[f"{dim}_unknown"], total),
                    "area_level_rows": int(area_rows[dim] or 0),
                })
            weights = {r["org"]: float(r["w"] or 0) for r in _records(self.q(_rows_sql(
                sip, f"g_org AS org, sum({weight}) AS w",
                "g_is_org AND g_sector = $sector AND g_period = $p") + " GROUP BY ALL", where))}
            for dim, orgs in (("vacancies", vacancy_orgs), ("flows", flow_orgs)):
                covered = sum(w for o, w in weights.items() if o in orgs.get(sector, set()))
                share = _share(covered, total)
                out.append({"sector": sector, "dimension": dim, "period": _day(period),
                            "share_not_reported": None if share is None
                            else max(0.0, 1 - share),
                            "share_unknown": None, "area_level_rows": 0})
        return pd.DataFrame(out)

    def _orgs_with(self, table: str) -> dict[str, set[str]]:
        rows = _records(self.q(_rows_sql(self.fact(table),
                                         "DISTINCT g_sector AS sector, g_org AS org",
                                         "g_is_org")))
        out: dict[str, set[str]] = {}
        for row in rows:
            out.setdefault(str(row["sector"]), set()).add(str(row["org"]))
        return out

    def unmapped(self) -> pd.DataFrame:
        columns = ["table", "column", "values", "rows", "share_of_rows", "examples"]
        rows = _records(self.store.query(
            "SELECT table_name, column_name, count(DISTINCT value) AS n, sum(rows) AS rows, "
            "list(value ORDER BY rows DESC, value)[1:5] AS examples FROM unmapped "
            "WHERE vintage = ? GROUP BY ALL ORDER BY rows DESC", [self.vintage]))
        tables = {f.name for f in FACTS} | {"organisations", "areas"}
        out = []
        for row in rows:
            table = str(row["table_name"])
            size = int(self.store.scalar(f"SELECT count(*) FROM {table} WHERE vintage = ?",
                                         [self.vintage])) if table in tables else 0
            out.append({"table": table, "column": row["column_name"], "values": int(row["n"]),
                        "rows": int(row["rows"]), "share_of_rows": _share(row["rows"], size),
                        "examples": ", ".join(str(v) for v in row["examples"])})
        return pd.DataFrame(out, columns=columns)

    def stale(self) -> pd.DataFrame:
        columns = ["table", "sector", "source", "last_period", "newest_period",
                   "months_behind", "stale"]
        titles = self.publications()
        out: dict[tuple[str, str, str], Any] = {}
        for fact in FACTS:
            if not fact.dated:
                continue
            for row in _records(self.q(_rows_sql(
                    fact, "g_sector AS sector, ingest_id, max(g_period) AS last") +
                    " GROUP BY ALL")):
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
        return {int(r["ingest_id"]): publication_name(r) for r in _records(self.store.query(
            "SELECT ingest_id, title, publisher, source_file, format FROM ingests "
            "WHERE vintage = ?", [self.vintage]))}

    def findings(self) -> pd.DataFrame:
        columns = ["source", "publication", "sector", "flag", "period", "detail"]
        names = self.publications()
        flags = _records(self.store.query(
            "SELECT source, ingest_id, flag, period, detail FROM source_flags "
            "WHERE vintage = ? AND flag = 'flows_unavailable' "
            "QUALIFY row_number() OVER (PARTITION BY source, flag "
            "ORDER BY ingest_id DESC) = 1 ORDER BY source", [self.vintage]))
        sip = self.fact("staff_in_post")
        for flag in flags:
            ids = self.store.query("SELECT DISTINCT ingest_id FROM source_flags WHERE vintage = ? "
                                   "AND source = ?", [self.vintage, flag["source"]])["ingest_id"]
            found = _records(self.q(_rows_sql(
                sip, "g_sector AS sector, count(*) AS n",
                f"ingest_id IN ({', '.join(str(int(i)) for i in ids)})")
                + " GROUP BY ALL ORDER BY n DESC, sector"))
            flag["sector"] = found[0]["sector"] if found else "all"
            flag["period"] = _day(flag["period"])
            flag["publication"] = names.get(int(flag.pop("ingest_id")), str(flag["source"]))
        return pd.DataFrame(flags, columns=columns)

    def totals(self) -> dict[str, int]:
        return {f.name: int(self.store.scalar(f"SELECT count(*) FROM {f.name} WHERE vintage = ?",
                                              [self.vintage])) for f in FACTS}


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

    cov = {(r["table"], r["sector"]): r for r in _records(coverage)}
    finding = {str(r["sector"]): str(r["detail"]) for r in _records(findings)}
    stale_rows = [r for r in _records(stale) if r["stale"]]
    missing_rows = {(r["table"], r["sector"]): r for r in _records(missing)}

    def rows(table: str, sector: str) -> int:
        return int(cov.get((table, sector), {}).get("rows", 0))

    for sector in SECTORS:
        name = {"nhs_trust": "NHS trusts"}.get(sector, SECTOR_NAMES[sector].lower())
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
        for dim in _records(dimensions):
            share = dim["share_not_reported"]
            if dim["sector"] != sector or dim["dimension"] not in DIMENSIONS or \
                    _missing(share) or share < 0.5:
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
    for item in _records(unmapped):
        share = 0.0 if _missing(item["share_of_rows"]) else float(item["share_of_rows"])
        add("all", max(5.0, 30 * share), f"Unmapped codes in {item['table']}.{item['column']}",
            f"{item['values']:,} value(s) on {item['rows']:,} rows ({share:.1%}), e.g. "
            f"{item['examples']}")
    priority = {"primary_care": 0, "social_care": 0, "nhs_trust": 1}
    gaps.sort(key=lambda g: (-g["severity"], priority.get(g["sector"], 2)))
    ranked = [{"rank": i, **g} for i, g in enumerate(gaps[:top], start=1)]
    return pd.DataFrame(ranked, columns=["rank", "sector", "severity", "gap", "evidence"])


def gap_report(store: Store, vintage: str, *, stale_months: int = STALE_MONTHS) -> GapReport:
    """Compute the gap report of a vintage.

    Parameters
    ----------
    store : Store
        The store (read only is enough).
    vintage : str
        The vintage to report on.
    stale_months : int
        A table is stale when its latest period is more than this many months
        before the vintage's newest workforce period.

    Returns
    -------
    GapReport
        One DataFrame per section and the ranked list.
    """
    g = _Gaps(store, vintage, stale_months)
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
                     totals=g.totals())


def publication_name(ingest: dict[str, Any]) -> str:
    """Return a source's name from its ingest-log row: "title – publisher", or its file.

    A tidy template has no publication of its own, so its file is named first.
    """
    title, publisher = ingest.get("title"), ingest.get("publisher")
    title = None if _missing(title) else str(title)
    publisher = None if _missing(publisher) else str(publisher)
    source_file = str(ingest.get("source_file") or "")
    if not title:
        return source_file or "unknown source"
    if ingest.get("format") == "tidy":
        return f"{source_file} (tidy template)" if source_file else title
    return f"{title} – {publisher}" if publisher and publisher not in title else title


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return a frame's rows as plain dicts (values of any type)."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float) and value != value)


def _share(part: Any, total: float) -> float | None:
    if not total:
        return None
    return (0.0 if _missing(part) else float(part)) / total


def _day(value: Any) -> str | None:
    if _missing(value):
        return None
    return pd.Timestamp(value).date().isoformat()


def _months(earlier: Any, later: Any) -> int:
    a, b = pd.Timestamp(earlier), pd.Timestamp(later)
    return (b.year - a.year) * 12 + (b.month - a.month)
