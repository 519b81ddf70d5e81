"""The importers' queries: what they read back and set right after a file's rows are loaded.

Every statement is portable SQL (DuckDB and PostgreSQL 15): ``?`` placeholders,
none of DuckDB's own syntax, functions or types (windows in a subquery, regular
expressions and date formatting in Python). Table and column names come from code constants (the
schema in ``tables.csv``), never from input. Dates are returned as ISO text
(``CAST(d AS VARCHAR)``) where the callers compare them as text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from wfplan.dataset import schema

if TYPE_CHECKING:
    from wfplan.dataset.store import Store


def _marks(values: Sequence[object]) -> str:
    """Return ``?, ?, …``: one placeholder per value (an empty list gives ``NULL``)."""
    return ", ".join("?" for _ in values) or "NULL"


def ingest_rows(store: Store, table: str, ingest_id: int) -> int:
    """Return how many rows of ``table`` an ingest holds."""
    return int(store.scalar(f"SELECT count(*) FROM {table} WHERE ingest_id = ?", [ingest_id]))


def logged_ingests(store: Store, vintage: str, *, fmt: str | None = None,
                   other_than: int | None = None) -> pd.DataFrame:
    """Return the vintage's ingest log rows (``ingest_id, format, source_file, period``)."""
    conds, params = ["vintage = ?"], [vintage]
    if fmt is not None:
        conds.append("format = ?")
        params.append(fmt)
    if other_than is not None:
        conds.append("ingest_id <> ?")
        params.append(other_than)  # type: ignore[arg-type]
    return store.query("SELECT ingest_id, format, source_file, period FROM ingests WHERE "
                       + " AND ".join(conds) + " ORDER BY ingest_id", params)


def recount_ingest_rows(store: Store, ingest_id: int, table: str) -> None:
    """Set an ingest's logged row count to the rows of ``table`` it still holds."""
    store.execute(f"UPDATE ingests SET rows = (SELECT count(*) FROM {table} WHERE "
                  "ingest_id = ?) WHERE ingest_id = ?", [ingest_id, ingest_id])


def subtract_ingest_rows(store: Store, ingest_id: int, deleted: int) -> None:
    """Lower an ingest's logged row count by rows deleted from it."""
    store.execute("UPDATE ingests SET rows = rows - ? WHERE ingest_id = ?",
                  [int(deleted), int(ingest_id)])


# -- rows another ingest already holds ------------------------------------------------


def delete_repeated_rows(store: Store, table: str, ingest_id: int, vintage: str) -> int:
    """Delete this ingest's rows that repeat, value for value, a row of another ingest.

    Doubles compare equal within a relative 1e-9. Returns how many were deleted.
    """
    conds = []
    for col in schema.table(table).columns:
        same = f"e.{col.name} IS NOT DISTINCT FROM t.{col.name}"
        if col.type == "double":
            same = (f"({same} OR abs(e.{col.name} - t.{col.name}) <= "
                    f"1e-9 * greatest(1, abs(t.{col.name})))")
        conds.append(same)
    return _delete_if_held(store, table, ingest_id, vintage, " AND ".join(conds))


def delete_keys_held_elsewhere(store: Store, table: str, ingest_id: int, vintage: str,
                               keys: Sequence[str] | None = None) -> int:
    """Delete this ingest's rows whose key (``keys``, else the table's) another ingest holds.

    Returns how many were deleted.
    """
    columns = keys or schema.table(table).key_columns
    same = " AND ".join(f"e.{k} IS NOT DISTINCT FROM t.{k}" for k in columns)
    return _delete_if_held(store, table, ingest_id, vintage, same)


def _delete_if_held(store: Store, table: str, ingest_id: int, vintage: str, same: str) -> int:
    before = ingest_rows(store, table, ingest_id)
    store.execute(
        f"DELETE FROM {table} AS t WHERE t.vintage = ? AND t.ingest_id = ? AND EXISTS ("
        f"SELECT 1 FROM {table} AS e WHERE e.vintage = t.vintage AND e.ingest_id <> t.ingest_id "
        f"AND {same})", [vintage, ingest_id])
    return before - ingest_rows(store, table, ingest_id)


# -- reference data wins (precedence) ------------------------------------------------


def _reference_condition(table: str, key: str, ours_in_list: bool, ids: Sequence[int]) -> str:
    listed = f"ingest_id IN ({_marks(ids)})"
    if ours_in_list:
        return (f"vintage = ? AND {listed} AND {key} IN (SELECT {key} FROM {table} "
                "WHERE vintage = ? AND ingest_id = ?)")
    return (f"vintage = ? AND ingest_id = ? AND {key} IN (SELECT {key} FROM {table} "
            f"WHERE vintage = ? AND {listed})")


def delete_codes_described_by(store: Store, vintage: str, ingest_id: int, table: str,
                              key: str, references: Sequence[int]) -> int:
    """Delete this ingest's rows for codes the ``references`` ingests describe; return codes."""
    ids = [int(i) for i in references]
    condition = _reference_condition(table, key, False, ids)
    params = [vintage, ingest_id, vintage, *ids]
    codes = int(store.scalar(f"SELECT count(DISTINCT {key}) FROM {table} WHERE {condition}",
                             params))
    if codes:
        store.execute(f"DELETE FROM {table} WHERE {condition}", params)
    return codes


def delete_codes_now_described(store: Store, vintage: str, ingest_id: int, table: str,
                               key: str, by_products: Sequence[int]) -> tuple[pd.DataFrame, int]:
    """Delete the ``by_products`` ingests' rows for codes this ingest describes.

    Returns the rows deleted per ingest (``ingest_id, n``) and the codes.
    """
    ids = [int(i) for i in by_products]
    condition = _reference_condition(table, key, True, ids)
    params = [vintage, *ids, vintage, ingest_id]
    counts = store.query(f"SELECT ingest_id, count(*) AS n FROM {table} WHERE {condition} "
                         "GROUP BY ingest_id ORDER BY ingest_id", params)
    if counts.empty:
        return counts, 0
    codes = int(store.scalar(f"SELECT count(DISTINCT {key}) FROM {table} WHERE {condition}",
                             params))
    store.execute(f"DELETE FROM {table} WHERE {condition}", params)
    return counts, codes


# -- organisations -------------------------------------------------------------------

_PLACE_SQL = """
UPDATE organisations AS t
SET icb_code = p.icb_code,
    region_code = coalesce(t.region_code, p.region_code, p.icb_region)
FROM (
  SELECT k.org_code, k.valid_from, k.icb_code, k.region_code,
    (SELECT max(a.parent_code) FROM areas a WHERE a.vintage = ? AND a.level = 'icb'
       AND a.code = k.icb_code) AS icb_region
  FROM (
    SELECT o.org_code, o.valid_from, r.icb_code, r.region_code,
      row_number() OVER (PARTITION BY o.org_code, o.valid_from ORDER BY
        CASE WHEN (r.valid_from IS NULL OR r.valid_from <= o.at)
                  AND (r.valid_to IS NULL OR r.valid_to >= o.at) THEN 0
             WHEN r.valid_from > o.at THEN r.valid_from - o.at
             ELSE o.at - r.valid_to END,
        r.valid_from DESC NULLS LAST) AS rn
    FROM (
      SELECT org_code, valid_from, coalesce(valid_to, valid_from) AS at
      FROM organisations WHERE vintage = ? AND ingest_id = ? AND icb_code IS NULL
    ) AS o JOIN (
      SELECT org_code, icb_code, region_code, valid_from, valid_to FROM organisations
      WHERE vintage = ? AND ingest_id <> ? AND icb_code IS NOT NULL
      UNION ALL
      SELECT code, parent_code, NULL, valid_from, valid_to FROM areas
      WHERE vintage = ? AND level = 'sub_icb' AND parent_code IS NOT NULL
    ) AS r ON r.org_code = o.org_code
  ) AS k
  WHERE k.rn = 1
) AS p
WHERE t.vintage = ? AND t.ingest_id = ? AND t.org_code = p.org_code
  AND t.valid_from IS NOT DISTINCT FROM p.valid_from
"""


def unplaced_organisations(store: Store, vintage: str, ingest_id: int, *,
                           distinct_codes: bool = False) -> int:
    """Return how many of this ingest's organisation rows (or codes) have no ICB."""
    what = "DISTINCT org_code" if distinct_codes else "*"
    return int(store.scalar(f"SELECT count({what}) FROM organisations WHERE vintage = ? AND "
                            "ingest_id = ? AND icb_code IS NULL", [vintage, ingest_id]))


def place_organisations(store: Store, vintage: str, ingest_id: int) -> None:
    """Give this ingest's organisations without an ICB the ICB and region of the nearest reference.

    The reference valid at the organisation's date wins, else the nearest in
    time (then the latest starting).
    """
    store.execute(_PLACE_SQL, [vintage, vintage, ingest_id, vintage, ingest_id, vintage,
                               vintage, ingest_id])


def organisation_editions(store: Store, vintage: str, ingest_ids: Sequence[int]) -> pd.DataFrame:
    """Return the organisation records that more than one of the ingests gives."""
    ids = [int(i) for i in ingest_ids]
    marks = _marks(ids)
    return store.query(
        "SELECT org_code, ingest_id, source_row, valid_from, valid_to FROM organisations "
        f"WHERE vintage = ? AND ingest_id IN ({marks}) AND org_code IN (SELECT org_code FROM "
        f"organisations WHERE vintage = ? AND ingest_id IN ({marks}) GROUP BY org_code "
        "HAVING count(DISTINCT ingest_id) > 1) ORDER BY org_code, ingest_id, source_row",
        [vintage, *ids, vintage, *ids])


def delete_organisation_record(store: Store, vintage: str, ingest_id: int,
                               source_row: int) -> None:
    """Delete one organisation record, named by its ingest and source row."""
    store.execute("DELETE FROM organisations WHERE vintage = ? AND ingest_id = ? AND "
                  "source_row = ?", [vintage, ingest_id, source_row])


def redate_organisation_record(store: Store, vintage: str, ingest_id: int, source_row: int,
                               valid_from: date | None, valid_to: date | None) -> None:
    """Set the validity of one organisation record."""
    store.execute("UPDATE organisations SET valid_from = ?, valid_to = ? WHERE vintage = ? "
                  "AND ingest_id = ? AND source_row = ?",
                  [valid_from, valid_to, vintage, ingest_id, source_row])


# -- record-level data -----------------------------------------------------------------


def periods_without_records(store: Store, vintage: str, ingest_id: int, fmt: str,
                            source: str) -> list[str]:
    """Return the ISO periods of other ``fmt`` ingests' staff in post with no person records."""
    frame = store.query(
        "SELECT DISTINCT CAST(period AS VARCHAR) AS period FROM staff_in_post "
        "WHERE vintage = ? AND ingest_id <> ? AND ingest_id IN (SELECT ingest_id FROM ingests "
        "WHERE vintage = ? AND format = ?) AND period NOT IN (SELECT period FROM "
        "person_records WHERE vintage = ? AND source = ?) ORDER BY 1",
        [vintage, ingest_id, vintage, fmt, vintage, source])
    return [str(p) for p in frame["period"]]


def record_periods(store: Store, vintage: str, source: str) -> list[str]:
    """Return the ISO periods of the vintage's person records of ``source``, in order."""
    frame = store.query("SELECT DISTINCT CAST(period AS VARCHAR) AS period FROM person_records "
                        "WHERE vintage = ? AND source = ? ORDER BY 1", [vintage, source])
    return [str(p) for p in frame["period"]]


def records_at(store: Store, vintage: str, source: str, period: str) -> pd.DataFrame:
    """Return the person records of one period, as :func:`derive_flows` reads them."""
    return store.query(
        "SELECT CAST(period AS VARCHAR) AS period, person_hash AS person_id, org_code, "
        "staff_group, age_band, fte, 0 AS source_row FROM person_records "
        "WHERE vintage = ? AND source = ? AND period = CAST(? AS DATE) "
        "ORDER BY person_hash, org_code, staff_group, age_band, fte",
        [vintage, source, period])


def record_placements(store: Store, vintage: str, source: str) -> pd.DataFrame:
    """Return each distinct (``YYYY-MM`` period, person hash, organisation, role) of a source."""
    return store.query(
        "SELECT DISTINCT substr(CAST(period AS VARCHAR), 1, 7) AS period, person_hash, "
        "org_code, role FROM person_records WHERE vintage = ? AND source = ? "
        "ORDER BY 1, 2, 3, 4", [vintage, source])


def add_source_flag(store: Store, vintage: str, ingest_id: int, source: str,
                    period: date | None, flag: str, value: float | None, detail: str) -> None:
    """Record a finding about a source (read by ``wfplan gaps``)."""
    store.execute("INSERT INTO source_flags VALUES (?, ?, ?, ?, ?, ?, ?)",
                  [vintage, ingest_id, source, period, flag, value, detail])


def repeated_keys(store: Store, table: str, vintage: str) -> int:
    """Return how many keys of ``table`` more than one row of the vintage has."""
    keys = ", ".join(schema.table(table).key_columns)
    return int(store.scalar(f"SELECT count(*) FROM (SELECT {keys} FROM {table} WHERE "
                            f"vintage = ? GROUP BY {keys} HAVING count(*) > 1) AS d", [vintage]))


# -- population and utilisation --------------------------------------------------------

_SINGLE_YEAR = re.compile(r"[0-9]+")
_OPEN_YEAR = re.compile(r"[0-9]+_plus")


def single_year_population(store: Store, vintage: str, area_prefixes: Sequence[str], *,
                           area_code: str | None = None, by_sex: bool,
                           sexes_given: bool) -> tuple[pd.DataFrame, int | None]:
    """Return the latest year's population by single year of age (and open top band).

    The rows are those of ``area_code``, or of every area whose code starts
    with one of ``area_prefixes``; with ``sexes_given`` only rows by sex
    (added up unless ``by_sex``), else only rows for both sexes. The latest
    year is the latest with single years of age. Returns ``age_band, sex,
    persons`` and the year (``None`` if there is none).
    """
    if area_code is not None:
        area, params = "area_code = ?", [vintage, area_code]
    else:
        area = "(" + " OR ".join("area_code LIKE ?" for _ in area_prefixes) + ")"
        params = [vintage, *(f"{p}%" for p in area_prefixes)]
    sex = "sex IS NOT NULL" if sexes_given else "sex IS NULL"
    rows = store.query(
        "SELECT year, age_band, sex, sum(persons) AS persons FROM population WHERE vintage = ? "
        f"AND variant IS NULL AND {sex} AND {area} GROUP BY year, age_band, sex "
        "ORDER BY year, age_band, sex", params)
    bands = pd.Series(rows["age_band"].astype(str).unique())
    single = set(bands[bands.map(lambda b: bool(_SINGLE_YEAR.fullmatch(b)))])
    ages = single | set(bands[bands.map(lambda b: bool(_OPEN_YEAR.fullmatch(b)))])
    years = rows.loc[rows["age_band"].isin(single), "year"]
    if years.empty:
        return pd.DataFrame(columns=["age_band", "sex", "persons"]), None
    year = int(years.max())
    chosen = rows[(rows["year"] == year) & rows["age_band"].isin(ages)]
    keys = ["age_band", "sex"] if by_sex else ["age_band"]
    frame = chosen.groupby(keys, sort=True)["persons"].sum().reset_index()
    if not by_sex:
        frame.insert(1, "sex", None)
    return frame[["age_band", "sex", "persons"]], year


def set_rates_per_head(store: Store, ingest_id: int, rates: pd.DataFrame) -> None:
    """Set this ingest's utilisation rates (both sexes) per service and age band."""
    table = pa.Table.from_pandas(rates[["service", "age_band", "activity_per_head",
                                        "cost_per_head"]].astype(
        {"activity_per_head": float, "cost_per_head": float}), preserve_index=False)
    store.execute("CREATE TEMP TABLE wfplan_rates (service VARCHAR, age_band VARCHAR, "
                  "activity_per_head DOUBLE PRECISION, cost_per_head DOUBLE PRECISION)")
    try:
        store.insert("wfplan_rates", table)
        store.execute(
            "UPDATE utilisation AS u SET activity_per_head = r.activity_per_head, "
            "cost_per_head = r.cost_per_head FROM wfplan_rates AS r WHERE u.ingest_id = ? "
            "AND u.sex IS NULL AND u.service = r.service AND u.age_band = r.age_band",
            [ingest_id])
    finally:
        store.execute("DROP TABLE wfplan_rates")
