"""Where organisations sit, as SQL: the placement of each organisation at a date, and area names.

The rules are described in :mod:`wfplan.dataset.geography`. The SQL is
portable (DuckDB and PostgreSQL): one record per organisation is picked with
``DISTINCT ON``, and day distances are date differences. ``DISTINCT ON`` rather
than ``row_number() … WHERE rn = 1``: PostgreSQL estimates a window's ``rn = 1``
as about one row, so a further filter (a sector) led it to re-scan the fact table
once per organisation (47 s for one metrics query on the demo; 0.4 s now).
"""

from __future__ import annotations

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.geography import UNMAPPED
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries._params import positional

#: SQL for the area code of a fact row ``f`` joined to :func:`placement_cte`'s ``g``.
AREA_EXPR = {
    "england": f"'{codelists.ENGLAND_CODE}'",
    "region": f"coalesce(g.region_code, '{UNMAPPED}')",
    "icb": f"coalesce(g.icb_code, '{UNMAPPED}')",
    "org": "f.org_code",
}

#: SQL condition true for rows reported for a whole area (a national
#: publication) rather than by an organisation. A code that is an area but also
#: an organisation (a CCG or ICB as employer) reports that organisation's staff.
AREA_ROWS = ("f.org_code IN (SELECT code FROM areas WHERE vintage = $vintage) AND "
             "f.org_code NOT IN (SELECT org_code FROM organisations "
             "WHERE vintage = $vintage)")



def _distance(day: str) -> str:
    """Return SQL for the days from a record's validity to the date ``day`` (0 when valid then)."""
    return f"""CASE WHEN (valid_from IS NULL OR valid_from <= {day})
                AND (valid_to IS NULL OR valid_to >= {day}) THEN 0
           WHEN valid_from > {day} THEN valid_from - {day}
           ELSE {day} - valid_to END"""


#: Days from a record's validity to the date ``$at`` (0 when valid then).
_DISTANCE = _distance("CAST($at AS DATE)")
#: How the records of one organisation are ranked after their distance in time (best first).
_TIES = ("valid_from DESC NULLS LAST, name NULLS LAST, icb_code NULLS LAST, "
         "region_code NULLS LAST, sector NULLS LAST")


def placement_cte() -> str:
    """Return ``WITH org AS (…), g AS (…)``: one placement per organisation.

    Parameters are named: ``$vintage`` and ``$at`` (the date to place at);
    :func:`wfplan.dataset.store.queries._params.positional` binds them. ``g`` has
    ``org_code, org_name, icb_code, sector, region_code``; the region falls
    back to the ICB's parent area when the organisation's record has none.
    """
    # An organisation may have several records (reference editions, months):
    # take the one with an ICB nearest in time to the report date ($at).
    return f"""
    WITH org AS (
      SELECT DISTINCT ON (org_code) org_code, name AS org_name, icb_code, region_code,
             sector
      FROM organisations WHERE vintage = $vintage
      ORDER BY org_code, CASE WHEN icb_code IS NULL THEN 1 ELSE 0 END, {_DISTANCE},
        valid_from DESC NULLS LAST, name NULLS LAST, icb_code NULLS LAST,
        region_code NULLS LAST, sector NULLS LAST
    ), g AS (
      SELECT o.org_code, o.org_name, o.icb_code, o.sector,
             coalesce(o.region_code, a.parent_code) AS region_code
      FROM org o LEFT JOIN areas a
        ON a.vintage = $vintage AND a.code = o.icb_code AND a.level = 'icb'
    )"""


def placement_at_dates_cte(dates: str, orgs: str | None = None) -> str:
    """Return ``WITH d AS (…), org AS (…), g AS (…)``: one placement per organisation and date.

    ``dates`` is SQL selecting the dates to place at as a column ``at`` (one row
    each); ``g`` has ``at, org_code, icb_code, sector, region_code``, each
    organisation placed at each date exactly as :func:`placement_cte` places it at
    ``$at``, so a time series joined on ``g.at`` puts every period's rows where
    that period's report would. ``orgs``, SQL selecting ``org_code``, limits the
    placements to those organisations (each is placed on its own records alone, so
    this changes no placement). The one parameter is ``$vintage``.
    """
    only = f" AND org_code IN ({orgs})" if orgs else ""
    return f"""
    WITH d AS ({dates}), org AS (
      SELECT DISTINCT ON (d.at, org_code) d.at, org_code, icb_code, region_code, sector
      FROM organisations CROSS JOIN d WHERE vintage = $vintage{only}
      ORDER BY d.at, org_code, CASE WHEN icb_code IS NULL THEN 1 ELSE 0 END,
        {_distance("d.at")}, {_TIES}
    ), g AS (
      SELECT o.at, o.org_code, o.icb_code, o.sector,
             coalesce(o.region_code, a.parent_code) AS region_code
      FROM org o LEFT JOIN areas a
        ON a.vintage = $vintage AND a.code = o.icb_code AND a.level = 'icb'
    )"""


def placements(store: Store, vintage: str, at: object) -> pd.DataFrame:
    """Return every organisation of a vintage as reports place it at a date.

    Columns ``org_code, org_name, icb_code, sector, region_code``, by ``org_code``.
    """
    sql, params = positional(f"{placement_cte()} SELECT * FROM g ORDER BY org_code",
                             {"vintage": vintage, "at": at})
    return store.query(sql, params)


def area_names(store: Store, vintage: str, level: str) -> pd.DataFrame:
    """Return ``area_code, area_name`` of every area of a level (organisations for ``org``).

    An area with several records gets the greatest of their names.
    """
    if level == "org":
        return store.query("SELECT org_code AS area_code, max(name) AS area_name "
                           "FROM organisations WHERE vintage = ? GROUP BY org_code "
                           "ORDER BY org_code", [vintage])
    return store.query("SELECT code AS area_code, max(name) AS area_name FROM areas "
                       "WHERE vintage = ? AND level = ? GROUP BY code ORDER BY code",
                       [vintage, level])


def area_list(store: Store, vintage: str) -> pd.DataFrame:
    """Return England, the regions and the ICBs of a vintage: ``code, name, level, parent_code``.

    An area with several records gets the greatest of their names; by level, then code.
    """
    return store.query(
        "SELECT code, max(name) AS name, level, max(parent_code) AS parent_code FROM areas "
        "WHERE vintage = ? AND level IN ('england', 'region', 'icb') GROUP BY code, level "
        "ORDER BY CASE level WHEN 'england' THEN 0 WHEN 'region' THEN 1 ELSE 2 END, code",
        [vintage])
