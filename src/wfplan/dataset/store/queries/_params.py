"""Named parameters written ``$name`` in a query's text, bound as portable ``?`` placeholders.

The queries read better with names (a CTE uses the vintage several times), but
the store's primitives take ``?`` positional parameters, the one style both
DuckDB and PostgreSQL (through the store) accept. :func:`positional` rewrites
a query from one style to the other; a list value becomes one placeholder per
item, for ``IN (...)``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_NAME = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def positional(sql: str, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """Return ``sql`` with each ``$name`` replaced by ``?``, and the values in order.

    Parameters
    ----------
    sql : str
        The query, with parameters written ``$name``.
    values : mapping
        The value of each name; a list or tuple is expanded to ``?, ?, ...``
        (it must not be empty: ``IN ()`` is not SQL).

    Raises
    ------
    KeyError
        If the query names a parameter without a value.
    ValueError
        If a list value is empty.
    """
    params: list[Any] = []

    def place(match: re.Match[str]) -> str:
        value = values[match.group(1)]
        if isinstance(value, list | tuple):
            if not value:
                raise ValueError(f"parameter ${match.group(1)} is an empty list")
            params.extend(value)
            return ", ".join("?" * len(value))
        params.append(value)
        return "?"

    return _NAME.sub(place, sql), params
