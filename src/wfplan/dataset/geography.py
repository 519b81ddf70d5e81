"""Where organisations sit: organisation → ICB → region → England, at a date.

Reference files give an organisation several records through time (ODS
editions, census months). Everything that reports by area (metrics, model
inputs, back-tests) places an organisation by its record with an ICB nearest
in time to a date, so figures from 2018 stay in the ICBs of 2018 after a later
edition merges ICBs. Organisations not in the reference data fall in
:data:`UNMAPPED` at region and ICB level, and still count towards England.
"""

from __future__ import annotations

from wfplan.dataset import codelists

UNMAPPED = "UNMAPPED"
LEVELS = ("england", "region", "icb", "org")

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


def placement_cte() -> str:
    """Return ``WITH org AS (…), g AS (…)``: one placement per organisation.

    Parameters are named: ``$vintage`` and ``$at`` (the date to place at). ``g``
    has ``org_code, org_name, icb_code, sector, region_code``; the region falls
    back to the ICB's parent area when the organisation's record has none.
    """
    # An organisation may have several records (reference editions, months):
    # take the one with an ICB nearest in time to the report date ($at).
    return """
    WITH org AS (
      SELECT org_code, name AS org_name, icb_code, region_code, sector
      FROM organisations WHERE vintage = $vintage
      QUALIFY row_number() OVER (PARTITION BY org_code ORDER BY icb_code IS NULL,
        CASE WHEN (valid_from IS NULL OR valid_from <= $at)
                  AND (valid_to IS NULL OR valid_to >= $at) THEN 0
             WHEN valid_from > $at THEN date_diff('day', $at, valid_from)
             ELSE date_diff('day', valid_to, $at) END,
        valid_from DESC NULLS LAST, name) = 1
    ), g AS (
      SELECT o.org_code, o.org_name, o.icb_code, o.sector,
             coalesce(o.region_code, a.parent_code) AS region_code
      FROM org o LEFT JOIN areas a
        ON a.vintage = $vintage AND a.code = o.icb_code AND a.level = 'icb'
    )"""
