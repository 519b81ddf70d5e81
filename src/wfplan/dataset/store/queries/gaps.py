"""The queries behind the data-gap report (:mod:`wfplan.analysis.gaps`).

Every query reads the rows of one fact table of a vintage with, for each row,
its period (``g_period``), whether an organisation reported it (``g_is_org``),
the level of the area it was reported for otherwise (``g_level``), its region,
ICB and sector (``g_region``, ``g_icb``, ``g_sector``) and its organisation
(``g_org``). A row's sector is its staff group's sector (``staff_groups.csv``);
failing that, its organisation's sector; ``unknown`` if neither, ``all`` for
tables about whole areas. Organisations are placed by their latest record, picked
with ``DISTINCT ON`` (as :mod:`.geography` does, for the same reason: PostgreSQL
estimates a window's ``rn = 1`` as a handful of rows and, for an area's report,
joined the areas in a nested loop over every fact row: two minutes for one query).

An :class:`Area` (a region or an ICB) restricts a query to the rows placed in it:
the rows of the organisations placed in it and those reported for the area itself
or, for a region, for its ICBs (``g_region`` or ``g_icb`` is its code). Without
one, a query's SQL is exactly what it was before areas were added.

The SQL is portable (DuckDB and PostgreSQL); code-list values are bound as
parameters, never written into the text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from wfplan.dataset import codelists, schema
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries._params import positional
from wfplan.dataset.store.queries._sums import ordered_sum


@dataclass(frozen=True)
class Fact:
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


#: An academic year ``YYYY/YY`` ends on 31 July of ``YYYY + 1``; one not starting with
#: four digits has no period.
_YEAR = "substr(f.academic_year, 1, 4)"
_ACADEMIC_YEAR_END = (f"CASE WHEN length({_YEAR}) = 4 AND translate({_YEAR}, '0123456789', '') "
                      f"= '' THEN make_date(CAST({_YEAR} AS INTEGER) + 1, 7, 31) END")

FACTS = (
    Fact("staff_in_post", "f.period", org=True, staff_group=True),
    Fact("vacancies", "f.period", org=True, staff_group=True),
    Fact("flows", "f.period_end", org=True, staff_group=True),
    Fact("sickness_absence", "f.period", org=True, staff_group=True),
    Fact("staff_survey", "make_date(CAST(f.year AS INTEGER), 12, 31)", org=True,
         staff_group=False),
    Fact("education", _ACADEMIC_YEAR_END, org=False, staff_group=True, area="region",
         workforce=False),
    Fact("population", "make_date(CAST(f.year AS INTEGER), 6, 30)", org=False, staff_group=False,
         area="area_code", workforce=False, dated=False),
    Fact("utilisation", None, org=False, staff_group=False, workforce=False, dated=False),
)


@dataclass(frozen=True)
class Area:
    """A region or an ICB that the gap report is restricted to.

    Attributes
    ----------
    level : str
        ``region`` or ``icb``.
    code : str
        The area's code (upper case).
    """

    level: str
    code: str

    def __post_init__(self) -> None:
        if self.level not in _AREA_COLUMNS:
            raise ValueError(f"a gap report's area is a region or an ICB, not {self.level!r}")


#: The placed rows' column that holds an area's code, by level.
_AREA_COLUMNS = {"region": "g_region", "icb": "g_icb"}
#: The organisations' column (of ``geo``) that holds an area's code, by level.
_ORG_COLUMNS = {"region": "region", "icb": "icb_code"}


def fact(name: str) -> Fact:
    """Return the fact table called ``name``."""
    return next(f for f in FACTS if f.name == name)


def _group_sectors() -> dict[str, tuple[str, ...]]:
    """Return each sector's staff-group codes (sector aggregates count as NHS trusts)."""
    by_sector: dict[str, list[str]] = {}
    for row in codelists.get("staff_group").rows:
        by_sector.setdefault(row["sector"], []).append(row["code"])
    by_sector.setdefault("nhs_trust", []).extend(codelists.get("staff_group_aggregate").codes)
    return {sector: tuple(codes) for sector, codes in by_sector.items()}


def _sector_case(column: str) -> tuple[str, dict[str, Any]]:
    """Return SQL for the sector of a staff-group column, and its parameters."""
    whens: list[str] = []
    params: dict[str, Any] = {}
    for i, (sector, codes) in enumerate(_group_sectors().items()):
        whens.append(f"WHEN {column} IN ($sg{i}) THEN CAST($sector{i} AS VARCHAR)")
        params[f"sg{i}"], params[f"sector{i}"] = codes, sector
    return f"CASE {' '.join(whens)} END", params


_GEO = """
WITH org AS (
  SELECT DISTINCT ON (org_code) org_code, name, org_type, sector, icb_code, region_code,
         valid_to
  FROM organisations WHERE vintage = $vintage
  ORDER BY org_code, valid_from DESC NULLS LAST,
    CASE WHEN icb_code IS NULL THEN 1 ELSE 0 END, name NULLS LAST, icb_code NULLS LAST,
    region_code NULLS LAST, sector NULLS LAST, org_type NULLS LAST, valid_to DESC NULLS LAST
), geo AS (
  SELECT o.*, coalesce(o.region_code, a.parent_code) AS region
  FROM org o LEFT JOIN (SELECT DISTINCT code, parent_code FROM areas
                        WHERE vintage = $vintage AND level = 'icb') a ON a.code = o.icb_code
), lvl AS (
  SELECT code, min(level) AS level, min(parent_code) AS parent
  FROM areas WHERE vintage = $vintage GROUP BY code
)"""


def _placing(table: Fact) -> tuple[str, str, str, str, str, str, str]:
    """Return the joins and the SQL of the ``g_`` columns of a fact table's rows."""
    if table.org:
        return ("LEFT JOIN geo g ON g.org_code = f.org_code "
                "LEFT JOIN lvl l ON l.code = f.org_code",
                "g.org_code IS NOT NULL", "CASE WHEN g.org_code IS NULL THEN l.level END",
                "coalesce(g.region, CASE l.level WHEN 'region' THEN f.org_code "
                "WHEN 'icb' THEN l.parent END)",
                "coalesce(g.icb_code, CASE WHEN l.level = 'icb' THEN f.org_code END)",
                "g.sector", "f.org_code")
    if table.area:
        return (f"LEFT JOIN lvl l ON l.code = f.{table.area}", "FALSE", "l.level",
                f"CASE l.level WHEN 'region' THEN f.{table.area} WHEN 'icb' THEN l.parent END",
                f"CASE WHEN l.level = 'icb' THEN f.{table.area} END", "'all'", "NULL")
    return "", "FALSE", "NULL", "NULL", "NULL", "'all'", "NULL"


def _rows(store: Store, vintage: str, table: Fact, select: str, where: str = "TRUE",
          tail: str = "", params: Mapping[str, Any] | None = None,
          area: Area | None = None) -> pd.DataFrame:
    """Run ``SELECT select FROM r WHERE where tail`` over a fact table's placed rows ``r``.

    With ``area``, only the rows placed in it (``where`` and'ed with its test).
    """
    period = table.period or "CAST(NULL AS DATE)"
    joins, is_org, level, region, icb, fallback, org = _placing(table)
    values: dict[str, Any] = {"vintage": vintage, **(params or {})}
    if area is not None:
        where = f"({where}) AND {_AREA_COLUMNS[area.level]} = $area"
        values["area"] = area.code
    if table.staff_group:
        group_sector, more = _sector_case("f.staff_group")
        values.update(more)
    else:
        group_sector = "CAST(NULL AS VARCHAR)"
    unknown = ", 'unknown'" if table.org else ""
    sql, bound = positional(
        f"{_GEO}, r AS (SELECT f.*, {period} AS g_period, {is_org} AS g_is_org, "
        f"{level} AS g_level, {region} AS g_region, {icb} AS g_icb, "
        f"coalesce({group_sector}, {fallback}{unknown}) AS g_sector, {org} AS g_org "
        f"FROM {table.name} f {joins} WHERE f.vintage = $vintage) "
        f"SELECT {select} FROM r WHERE {where} {tail}", values)
    return store.query(sql, bound)


def region_codes(store: Store, vintage: str, area: Area | None = None) -> list[str]:
    """Return the codes of the vintage's NHS regions, in order (in ``area``: its region)."""
    if area is None:
        return [str(c) for c in store.query(
            "SELECT DISTINCT code FROM areas WHERE vintage = ? AND level = 'region' "
            "ORDER BY code", [vintage])["code"]]
    inside = ("code = ?" if area.level == "region" else "code IN (SELECT parent_code FROM "
              "areas WHERE vintage = ? AND level = 'icb' AND code = ?)")
    params = [vintage, area.code] if area.level == "region" else [vintage, vintage, area.code]
    return [str(c) for c in store.query(
        f"SELECT DISTINCT code FROM areas WHERE vintage = ? AND level = 'region' AND {inside} "
        "ORDER BY code", params)["code"]]


def icb_count(store: Store, vintage: str, area: Area | None = None) -> int:
    """Return how many ICBs the vintage's areas hold (in ``area``: its ICBs)."""
    if area is None:
        return int(store.scalar("SELECT count(DISTINCT code) FROM areas WHERE vintage = ? AND "
                                "level = 'icb'", [vintage]) or 0)
    inside = "parent_code" if area.level == "region" else "code"
    return int(store.scalar("SELECT count(DISTINCT code) FROM areas WHERE vintage = ? AND "
                            f"level = 'icb' AND {inside} = ?", [vintage, area.code]) or 0)


def area_level(store: Store, vintage: str, code: str) -> str | None:
    """Return the level of area ``code`` in a vintage (``region``, ``icb``...), or None."""
    found = store.query("SELECT min(level) AS level FROM areas WHERE vintage = ? AND code = ?",
                        [vintage, code])["level"]
    value = found.iloc[0] if len(found) else None
    return None if value is None or pd.isna(value) else str(value)


def latest_period(store: Store, vintage: str, table: Fact) -> Any:
    """Return a fact table's latest period in a vintage (missing when it has no rows)."""
    return _rows(store, vintage, table, "max(g_period) AS p")["p"].iloc[0]


def coverage_by_sector(store: Store, vintage: str, table: Fact,
                       area: Area | None = None) -> pd.DataFrame:
    """Return a fact table's rows by sector, with periods, regions and ICBs covered.

    Columns ``sector, rows, periods, first_period, last_period, regions`` (an
    array of region codes, or missing), ``icbs, national_rows, org_rows``.
    """
    return _rows(store, vintage, table,
                 "g_sector AS sector, count(*) AS rows, count(DISTINCT g_period) AS periods, "
                 "min(g_period) AS first_period, max(g_period) AS last_period, "
                 "array_agg(DISTINCT g_region ORDER BY g_region) FILTER "
                 "(WHERE g_region IS NOT NULL) AS regions, "
                 "count(DISTINCT g_icb) FILTER (WHERE g_icb IN (SELECT code FROM lvl "
                 "WHERE level = 'icb')) AS icbs, "
                 "count(*) FILTER (WHERE g_level = 'england') AS national_rows, "
                 "count(*) FILTER (WHERE g_is_org) AS org_rows",
                 tail="GROUP BY g_sector ORDER BY g_sector", area=area)


def current_organisations(store: Store, vintage: str, at: Any,
                          area: Area | None = None) -> pd.DataFrame:
    """Return ``org_code, name, sector`` of the organisations whose record is valid at ``at``.

    With ``area``, those placed in it (by their latest record, as the rows are).
    """
    where = "valid_to IS NULL OR valid_to >= $at"
    values: dict[str, Any] = {"vintage": vintage, "at": at}
    if area is not None:
        where = f"({where}) AND {_ORG_COLUMNS[area.level]} = $area"
        values["area"] = area.code
    sql, params = positional(f"{_GEO} SELECT org_code, name, sector FROM geo WHERE "
                             f"{where} ORDER BY org_code", values)
    return store.query(sql, params)


def organisations_with_rows(store: Store, vintage: str, table: Fact,
                            area: Area | None = None) -> set[str]:
    """Return the organisations with rows of their own in a fact table."""
    found = _rows(store, vintage, table, "DISTINCT g_org AS org", "g_is_org", area=area)
    return {str(o) for o in found["org"]}


def organisations_by_sector(store: Store, vintage: str, table: Fact,
                            area: Area | None = None) -> dict[str, set[str]]:
    """Return, per sector, the organisations with rows of their own in a fact table."""
    rows = _rows(store, vintage, table, "DISTINCT g_sector AS sector, g_org AS org", "g_is_org",
                 "ORDER BY sector, org", area=area)
    out: dict[str, set[str]] = {}
    for sector, org in zip(rows["sector"], rows["org"], strict=True):
        out.setdefault(str(sector), set()).add(str(org))
    return out


def latest_staff_by_sector(store: Store, vintage: str,
                           area: Area | None = None) -> dict[str, Any]:
    """Return each sector's latest period of staff in post reported by organisations."""
    rows = _rows(store, vintage, fact("staff_in_post"), "g_sector AS sector, max(g_period) AS p",
                 "g_is_org", "GROUP BY g_sector ORDER BY g_sector", area=area)
    return dict(zip(rows["sector"], rows["p"], strict=True))


#: FTE, headcount where FTE is missing, summed in one fixed order (:mod:`._sums`).
_WEIGHT = ordered_sum("coalesce(fte, headcount, 0)")


def dimension_weights(store: Store, vintage: str, sector: str, period: Any,
                      dimensions: Sequence[str], area: Area | None = None) -> dict[str, Any]:
    """Return a sector's FTE at ``period`` (``total``) and, per dimension, the FTE not given.

    FTE is headcount where FTE is missing; organisations' own rows only. Keys
    ``<dimension>_null`` (not reported) and ``<dimension>_unknown`` (reported
    as unknown).
    """
    cols = ", ".join(
        f"{_WEIGHT} FILTER (WHERE {d} IS NULL) AS {d}_null, "
        f"{_WEIGHT} FILTER (WHERE {d} = 'unknown') AS {d}_unknown" for d in dimensions)
    frame = _rows(store, vintage, fact("staff_in_post"), f"{_WEIGHT} AS total, {cols}",
                  "g_is_org AND g_sector = $sector AND g_period = $p",
                  params={"sector": sector, "p": period}, area=area)
    return {str(k): v for k, v in frame.iloc[0].items()}


def area_level_rows(store: Store, vintage: str, sector: str,
                    dimensions: Sequence[str], area: Area | None = None) -> dict[str, Any]:
    """Return, per dimension, a sector's staff-in-post rows for whole areas that give it."""
    frame = _rows(store, vintage, fact("staff_in_post"), ", ".join(
        f"count(*) FILTER (WHERE {d} IS NOT NULL) AS {d}" for d in dimensions),
        "NOT g_is_org AND g_level IS NOT NULL AND g_sector = $sector",
        params={"sector": sector}, area=area)
    return {str(k): v for k, v in frame.iloc[0].items()}


def organisation_weights(store: Store, vintage: str, sector: str, period: Any,
                         area: Area | None = None) -> dict[str, float]:
    """Return each organisation's FTE (headcount where FTE is missing) of a sector at ``period``."""
    rows = _rows(store, vintage, fact("staff_in_post"), f"g_org AS org, {_WEIGHT} AS w",
                 "g_is_org AND g_sector = $sector AND g_period = $p",
                 "GROUP BY g_org ORDER BY g_org", {"sector": sector, "p": period}, area=area)
    return {str(o): float(0 if pd.isna(w) else w)
            for o, w in zip(rows["org"], rows["w"], strict=True)}


def last_period_by_ingest(store: Store, vintage: str, table: Fact,
                          area: Area | None = None) -> pd.DataFrame:
    """Return a fact table's latest period (``last``) by ``sector`` and ``ingest_id``."""
    return _rows(store, vintage, table, "g_sector AS sector, ingest_id, max(g_period) AS last",
                 tail="GROUP BY g_sector, ingest_id ORDER BY g_sector, ingest_id", area=area)


def sector_rows(store: Store, vintage: str, ingests: Sequence[int],
                area: Area | None = None) -> pd.DataFrame:
    """Return the staff-in-post rows of some ingests by sector (``sector, n``), most first."""
    return _rows(store, vintage, fact("staff_in_post"), "g_sector AS sector, count(*) AS n",
                 "ingest_id IN ($ingests)", "GROUP BY g_sector ORDER BY n DESC, g_sector",
                 {"ingests": [int(i) for i in ingests]}, area=area)


def area_row_count(store: Store, vintage: str, table: Fact, area: Area) -> int:
    """Return how many rows of a fact table are placed in ``area``."""
    return int(_rows(store, vintage, table, "count(*) AS n", area=area)["n"].iloc[0])


def unmapped_codes(store: Store, vintage: str, examples: int = 5) -> pd.DataFrame:
    """Return the unmapped codes of a vintage by table and column, most rows first.

    Columns ``table_name, column_name, n`` (distinct values), ``rows`` and
    ``examples`` (the values on most rows, at most ``examples`` of them).
    """
    frame = store.query(
        "SELECT table_name, column_name, count(DISTINCT value) AS n, sum(rows) AS rows "
        "FROM unmapped WHERE vintage = ? GROUP BY table_name, column_name "
        "ORDER BY rows DESC, table_name, column_name", [vintage])
    values = store.query("SELECT table_name, column_name, value FROM unmapped WHERE vintage = ? "
                         "ORDER BY table_name, column_name, rows DESC, value", [vintage])
    firsts = values.groupby(["table_name", "column_name"], sort=False)["value"].apply(
        lambda v: list(v.iloc[:examples]))
    frame["examples"] = [firsts.get((t, c), []) for t, c in
                         zip(frame["table_name"], frame["column_name"], strict=True)]
    return frame


def row_count(store: Store, vintage: str, table: str) -> int:
    """Return how many rows a table of the schema holds for a vintage."""
    if table not in schema.tables():
        raise ValueError(f"{table!r} is not a table of the dataset")
    return int(store.scalar(f"SELECT count(*) FROM {table} WHERE vintage = ?", [vintage]) or 0)


def ingest_sources(store: Store, vintage: str) -> pd.DataFrame:
    """Return ``ingest_id, title, publisher, source_file, format`` of a vintage's ingests."""
    return store.query("SELECT ingest_id, title, publisher, source_file, format FROM ingests "
                       "WHERE vintage = ? ORDER BY ingest_id", [vintage])


def latest_flags(store: Store, vintage: str, flag: str) -> pd.DataFrame:
    """Return each source's latest ``source_flags`` row of one flag, by source.

    Columns ``source, ingest_id, flag, period, detail``.
    """
    return store.query(
        "SELECT source, ingest_id, flag, period, detail FROM (SELECT source, ingest_id, flag, "
        "period, detail, row_number() OVER (PARTITION BY source, flag ORDER BY ingest_id DESC, "
        "period DESC NULLS LAST, detail NULLS LAST) AS rn FROM source_flags "
        "WHERE vintage = ? AND flag = ?) latest WHERE rn = 1 ORDER BY source", [vintage, flag])


def flagged_ingests(store: Store, vintage: str, source: str) -> list[int]:
    """Return the ingests of a source with any ``source_flags`` row."""
    found = store.query("SELECT DISTINCT ingest_id FROM source_flags WHERE vintage = ? "
                        "AND source = ? ORDER BY ingest_id", [vintage, source])
    return [int(i) for i in found["ingest_id"]]
