"""The ingest's queries: codes known, rows loaded, unmapped values, distinct headcounts, keys.

Every statement is portable SQL (DuckDB and PostgreSQL 15): ``?`` placeholders,
none of DuckDB's own syntax, functions or types (windows in a subquery, regular
expressions and date formatting in Python). Table and column names come from
code constants, never from input.
The duplicate-key check and the ingest id / ingest log functions are the
store's own (:mod:`wfplan.dataset.store`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.geography import UNMAPPED

if TYPE_CHECKING:
    from wfplan.dataset.store import Store


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" for _ in values) or "NULL"


def known_codes(store: Store, vintage: str) -> tuple[set[str], set[str]]:
    """Return the organisation codes and the area codes the vintage holds."""
    orgs = store.query("SELECT DISTINCT org_code FROM organisations WHERE vintage = ?",
                       [vintage])["org_code"]
    areas = store.query("SELECT DISTINCT code FROM areas WHERE vintage = ?", [vintage])["code"]
    return set(orgs), set(areas)


def rows_of_ingest(store: Store, table: str, ingest_id: int) -> int:
    """Return how many rows of ``table`` an ingest holds."""
    return int(store.scalar(f"SELECT count(*) FROM {table} WHERE ingest_id = ?", [ingest_id]))


def filled_columns(store: Store, table: str, ingest_id: int,
                   columns: Sequence[str]) -> dict[str, int]:
    """Return, per column of ``table``, how many of an ingest's rows have a value."""
    counts = ", ".join(f"count({c}) AS {c}" for c in columns)
    frame = store.query(f"SELECT {counts} FROM {table} WHERE ingest_id = ?", [ingest_id])
    return {c: int(frame[c].to_numpy()[0]) for c in columns}


def record_unmapped(store: Store, vintage: str, ingest_id: int, table: str, column: str,
                    value: str, rows: int) -> None:
    """Count a value that matched no code (kept as given) in the ``unmapped`` table."""
    store.execute("INSERT INTO unmapped VALUES (?, ?, ?, ?, ?, ?)",
                  [vintage, ingest_id, table, column, value, rows])


# -- pseudonym keys ------------------------------------------------------------------


def pseudonym_fingerprint(store: Store, vintage: str, source: str) -> str | None:
    """Return the fingerprint of the key a vintage's records of ``source`` were hashed with."""
    held = store.scalar("SELECT fingerprint FROM pseudonym_keys WHERE vintage = ? AND "
                        "source = ?", [vintage, source])
    return None if held is None else str(held)


def record_pseudonym_fingerprint(store: Store, vintage: str, source: str,
                                 fingerprint: str) -> None:
    """Record the fingerprint of the key a source's records are hashed with."""
    store.execute("INSERT INTO pseudonym_keys VALUES (?, ?, ?, current_timestamp)",
                  [vintage, source, fingerprint])


# -- distinct headcounts -------------------------------------------------------------

_AREA = {
    "org": "org_code",
    "icb": f"coalesce(icb_code, '{UNMAPPED}')",
    "region": f"coalesce(region_code, '{UNMAPPED}')",
    "england": f"'{codelists.ENGLAND_CODE}'",
}
_COLUMNS = ("vintage, ingest_id, source, period, level, area_code, sector, staff_group, role, "
            "headcount, fte")
#: One placement per organisation (the record with an ICB nearest in time to ``?`` = at),
#: as :func:`wfplan.dataset.geography.placement_cte`, in portable SQL. Parameters:
#: at ×5, vintage ×2.
_PLACEMENT = """
    WITH org AS (
      SELECT org_code, icb_code, region_code, sector FROM (
        SELECT org_code, icb_code, region_code, sector,
          row_number() OVER (PARTITION BY org_code ORDER BY
            CASE WHEN icb_code IS NULL THEN 1 ELSE 0 END,
            CASE WHEN (valid_from IS NULL OR valid_from <= ?)
                      AND (valid_to IS NULL OR valid_to >= ?) THEN 0
                 WHEN valid_from > ? THEN valid_from - CAST(? AS DATE)
                 ELSE CAST(? AS DATE) - valid_to END,
            valid_from DESC NULLS LAST, name) AS rn
        FROM organisations WHERE vintage = ?) AS ranked
      WHERE rn = 1
    ), g AS (
      SELECT o.org_code, o.icb_code, o.sector,
             coalesce(o.region_code, a.parent_code) AS region_code
      FROM org o LEFT JOIN areas a
        ON a.vintage = ? AND a.code = o.icb_code AND a.level = 'icb'
    )"""


def _count_sql() -> str:
    levels = " UNION ALL ".join(f"SELECT '{level}' AS level, {expr} AS area_code, r.* FROM r"
                                for level, expr in _AREA.items())
    return f"""INSERT INTO distinct_headcount ({_COLUMNS}) {_PLACEMENT}, cells AS (
      SELECT org_code, role, min(staff_group) AS staff_group FROM staff_in_post
      WHERE vintage = ? AND ingest_id = ? AND period = ? GROUP BY org_code, role
    ), r AS (
      SELECT f.person_hash, f.org_code, coalesce(f.staff_group, c.staff_group) AS staff_group,
             f.role, f.fte, g.sector, g.icb_code, g.region_code
      FROM person_records f LEFT JOIN g ON g.org_code = f.org_code
      LEFT JOIN cells c ON c.org_code = f.org_code AND c.role IS NOT DISTINCT FROM f.role
      WHERE f.vintage = ? AND f.ingest_id = ? AND f.period = ?
    ), leveled AS ({levels})
    SELECT CAST(? AS VARCHAR), CAST(? AS BIGINT), CAST(? AS VARCHAR), CAST(? AS DATE), level,
           area_code,
           CASE WHEN count(sector) = count(*) AND count(DISTINCT sector) = 1
                THEN min(sector) END,
           staff_group, role, count(DISTINCT person_hash), sum(fte)
    FROM leveled
    GROUP BY GROUPING SETS ((level, area_code), (level, area_code, staff_group),
                            (level, area_code, staff_group, role))
    HAVING NOT (GROUPING(staff_group) = 0 AND staff_group IS NULL)
       AND NOT (GROUPING(role) = 0 AND role IS NULL)"""


def record_periods_of_ingest(store: Store, vintage: str, ingest_id: int) -> pd.DataFrame:
    """Return each (period, source) of an ingest's person records, in period order."""
    return store.query("SELECT DISTINCT period, source FROM person_records WHERE vintage = ? "
                       "AND ingest_id = ? ORDER BY period, source", [vintage, ingest_id])


def count_distinct_people(store: Store, vintage: str, ingest_id: int, source: str,
                          at: date) -> None:
    """Record the distinct people of one census of an ingest, at every level and grouping."""
    params = [at, at, at, at, at, vintage, vintage, vintage, ingest_id, at,
              vintage, ingest_id, at, vintage, ingest_id, source, at]
    store.execute(_count_sql(), params)


def england_people_and_cells(store: Store, vintage: str, ingest_id: int,
                             at: date) -> tuple[int, int]:
    """Return an ingest's distinct people in England at ``at``, and its cells' headcount sum."""
    people = store.scalar(
        "SELECT headcount FROM distinct_headcount WHERE vintage = ? AND ingest_id = ? AND "
        "period = ? AND level = 'england' AND staff_group IS NULL", [vintage, ingest_id, at])
    cells = store.scalar(
        "SELECT sum(headcount) FROM staff_in_post WHERE vintage = ? AND ingest_id = ? AND "
        "period = ?", [vintage, ingest_id, at])
    return int(people or 0), int(cells or 0)


def ingests_without_distinct_counts(store: Store, sources: Sequence[str]) -> pd.DataFrame:
    """Return the (vintage, ingest_id) whose person records of ``sources`` have no counts."""
    return store.query(
        f"SELECT DISTINCT p.vintage, p.ingest_id FROM person_records p WHERE p.source IN "
        f"({_marks(sources)}) AND NOT EXISTS (SELECT 1 FROM distinct_headcount d WHERE "
        "d.vintage = p.vintage AND d.ingest_id = p.ingest_id) ORDER BY p.ingest_id, p.vintage",
        list(sources))


def distinct_count_ingests(store: Store, vintage: str, period: object,
                           level: str) -> pd.DataFrame:
    """Return the ingests with distinct counts at ``period`` and ``level``, and whether mixed.

    ``mixed`` is true where some of the ingest's rows have no single sector.
    """
    return store.query(
        "SELECT ingest_id, bool_or(sector IS NULL) AS mixed FROM distinct_headcount "
        "WHERE vintage = ? AND period = ? AND level = ? GROUP BY ingest_id ORDER BY ingest_id",
        [vintage, period, level])


def distinct_counts(store: Store, vintage: str, period: object, level: str,
                    ingests: Sequence[int], *, staff_group: str | None,
                    sector: str | None, by_role: bool) -> pd.DataFrame:
    """Return distinct headcount and FTE by area (and staff group and role) for the ingests."""
    keys = "area_code, staff_group, role" if by_role else "area_code"
    ids = [int(i) for i in ingests]
    conds = ["vintage = ?", "period = ?", "level = ?", f"ingest_id IN ({_marks(ids)})"]
    params: list[object] = [vintage, period, level, *ids]
    if by_role:
        conds.append("role IS NOT NULL")
    else:
        conds += ["staff_group IS NOT DISTINCT FROM ?", "role IS NULL"]
        params.append(staff_group)
    if sector is not None:
        conds.append("sector = ?")
        params.append(sector)
    return store.query(
        f"SELECT {keys}, sum(headcount) AS headcount_distinct, sum(fte) AS fte_distinct, "
        "sum(headcount) FILTER (WHERE fte IS NOT NULL) AS headcount_distinct_fte "
        f"FROM distinct_headcount WHERE {' AND '.join(conds)} GROUP BY {keys} ORDER BY {keys}",
        params)


def source_files(store: Store, ingest_ids: Sequence[int]) -> pd.DataFrame:
    """Return ``ingest_id, source_file`` of each of ``ingest_ids`` from the ingest log."""
    if not ingest_ids:
        return pd.DataFrame({"ingest_id": [], "source_file": []})
    return store.query("SELECT ingest_id, source_file FROM ingests WHERE ingest_id IN "
                       f"({_marks(ingest_ids)}) ORDER BY ingest_id", list(ingest_ids))


def lookup_shares_over_one(store: Store, vintage: str, limit: int) -> pd.DataFrame:
    """Return the ``la_icb_lookup`` rows of local authorities whose shares sum over 1.

    Columns ``la_code, valid_from, share, total, ingest_id, source_row`` (an
    empty share counts 1), at most ``limit`` rows, by local authority.
    """
    return store.query(
        "SELECT l.la_code, l.valid_from, l.share, t.total, l.ingest_id, l.source_row "
        "FROM la_icb_lookup l JOIN (SELECT la_code, valid_from, sum(coalesce(share, 1.0)) "
        "AS total FROM la_icb_lookup WHERE vintage = ? GROUP BY la_code, valid_from "
        "HAVING sum(coalesce(share, 1.0)) > 1.000001) t ON t.la_code = l.la_code AND "
        "t.valid_from IS NOT DISTINCT FROM l.valid_from WHERE l.vintage = ? "
        f"ORDER BY l.la_code, l.valid_from, l.ingest_id, l.source_row LIMIT {int(limit)}",
        [vintage, vintage])


def lookup_unknown_icbs(store: Store, vintage: str, limit: int) -> pd.DataFrame:
    """Return the ``la_icb_lookup`` rows whose ICB is neither in the code list nor an area.

    Columns ``icb_code, ingest_id, source_row``, at most ``limit`` rows.
    """
    codes = list(codelists.get("icb").codes)
    return store.query(
        "SELECT icb_code, ingest_id, source_row FROM la_icb_lookup WHERE vintage = ? AND "
        f"icb_code NOT IN ({_marks(codes)}) AND icb_code NOT IN (SELECT code FROM areas "
        "WHERE vintage = ? AND level = 'icb') ORDER BY ingest_id, source_row "
        f"LIMIT {int(limit)}", [vintage, *codes, vintage])
