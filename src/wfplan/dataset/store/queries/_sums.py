"""Floating-point sums in one fixed order, so that the same rows give the same bits.

DuckDB sums on several threads and adds their partial sums in whatever order
the threads finish, and any engine adds in storage order: a plain ``sum(fte)``
over the same rows moves in its last bits from one call to the next. Every
float sum of a measure goes through :func:`ordered_sum` instead.
"""

from __future__ import annotations


def ordered_sum(expression: str) -> str:
    """Return SQL summing a floating-point ``expression`` in one fixed order (its values').

    Ordering by the value itself needs no key and no collation, and equal values
    are interchangeable, so the result does not depend on how rows are stored or
    scanned, nor on the number of threads. The SQL is portable (DuckDB and
    PostgreSQL both honour an aggregate's ``ORDER BY``).
    """
    return f"sum({expression} ORDER BY {expression})"
