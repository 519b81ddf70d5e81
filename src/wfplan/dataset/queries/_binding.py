"""Helpers of the model-input queries: named placeholders, identifiers, placement.

The queries are written with ``$name`` placeholders for readability;
:func:`bind` turns them into the portable positional ``?`` the stores take,
expanding a list into ``?, ?, …`` (an empty list into ``NULL``, which matches
nothing), so no value is ever formatted into SQL text. Everything here runs
unchanged on DuckDB and PostgreSQL 15.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from wfplan.dataset import codelists
from wfplan.dataset.geography import UNMAPPED

_NAME = re.compile(r"\$([a-z_][a-z0-9_]*)")


def bind(sql: str, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """Return ``sql`` with ``$name`` placeholders as ``?`` and the values in their order."""
    params: list[Any] = []

    def mark(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        if isinstance(value, list | tuple):
            params.extend(value)
            return ", ".join("?" for _ in value) or "NULL"
        params.append(value)
        return "?"

    return _NAME.sub(mark, sql), params


def quote(name: str) -> str:
    """Return an identifier (a table or column name from code) quoted for SQL."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """Return a code constant (a code-list code) as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def order_by(names: Sequence[str]) -> str:
    """Return ``ORDER BY`` every column, left to right: a total order of distinct rows."""
    return "ORDER BY " + ", ".join(quote(name) for name in names)


#: The area code of a fact row ``f`` joined to :data:`PLACEMENT`'s ``g``.
AREA_EXPR = {
    "england": literal(codelists.ENGLAND_CODE),
    "region": f"coalesce(g.region_code, {literal(UNMAPPED)})",
    "icb": f"coalesce(g.icb_code, {literal(UNMAPPED)})",
    "org": "f.org_code",
}

#: True for rows of ``f`` reported for a whole area (a national publication)
#: rather than by an organisation; a code that is both reports the organisation.
AREA_ROWS = ("f.org_code IN (SELECT code FROM areas WHERE vintage = $vintage) AND "
             "f.org_code NOT IN (SELECT org_code FROM organisations "
             "WHERE vintage = $vintage)")

#: ``WITH org AS (…), g AS (…)``: one placement per organisation at ``$at``, as
#: :func:`wfplan.dataset.geography.placement_cte` places them (its record with an
#: ICB nearest in time to ``$at``), in portable SQL (a window and ``rn = 1``).
PLACEMENT = """
    WITH ranked AS (
      SELECT org_code, name AS org_name, icb_code, region_code, sector,
        row_number() OVER (PARTITION BY org_code ORDER BY icb_code IS NULL,
          CASE WHEN (valid_from IS NULL OR valid_from <= $at)
                    AND (valid_to IS NULL OR valid_to >= $at) THEN 0
               WHEN valid_from > $at THEN valid_from - $at
               ELSE $at - valid_to END,
          valid_from DESC NULLS LAST, name) AS rn
      FROM organisations WHERE vintage = $vintage
    ), org AS (
      SELECT org_code, org_name, icb_code, region_code, sector FROM ranked WHERE rn = 1
    ), g AS (
      SELECT o.org_code, o.org_name, o.icb_code, o.sector,
             coalesce(o.region_code, a.parent_code) AS region_code
      FROM org o LEFT JOIN areas a
        ON a.vintage = $vintage AND a.code = o.icb_code AND a.level = 'icb'
    )"""
