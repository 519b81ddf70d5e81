"""Helpers of the model-input queries: named placeholders, identifiers, placement.

``AREA_EXPR`` and ``AREA_ROWS`` are re-exported from :mod:`wfplan.dataset.store.queries.geography`.

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

__all__ = ["AREA_EXPR", "AREA_ROWS", "PLACEMENT", "bind", "literal", "order_by", "quote"]

from wfplan.dataset.store.queries.geography import AREA_EXPR, AREA_ROWS, placement_cte

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


#: ``WITH org AS (…), g AS (…)``: one placement per organisation at ``$at``,
#: the one placement the metrics use (:func:`wfplan.dataset.store.queries.geography.placement_cte`).
PLACEMENT = placement_cte()
