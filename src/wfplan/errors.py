"""Errors that wfplan reports to users, with their exit codes.

Every error a user can cause (bad input, a busy database, a frozen vintage)
is a :class:`WfplanError`. The CLI prints its message without a traceback and
exits with its ``exit_code``.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_BAD_INPUT = 2
EXIT_BUSY = 3
EXIT_REFUSED = 4


class WfplanError(Exception):
    """Base class of errors reported to users without a traceback."""

    exit_code = EXIT_UNEXPECTED


class InputError(WfplanError):
    """The input (a file, an argument, a scenario) breaks a rule."""

    exit_code = EXIT_BAD_INPUT


class StoreBusyError(WfplanError):
    """Another process holds the database's write lock."""

    exit_code = EXIT_BUSY


class RefusedError(WfplanError):
    """The request is well formed but refused, e.g. a write to a frozen vintage."""

    exit_code = EXIT_REFUSED


class SchemaVersionError(WfplanError):
    """The database was written by a newer or unknown schema version."""

    exit_code = EXIT_REFUSED


def quoted(text: object, limit: int = 80) -> str:
    """Return text from a user's file for a message: quoted, every control character escaped.

    The quoting is Python's (a NUL prints as backslash, x00), so NUL, escape sequences, line
    breaks and bidirectional controls print as escapes, never raw; text longer
    than ``limit`` characters is cut, with ``...``. Console markup is escaped
    where messages are printed, not here.
    """
    value = str(text)
    cut = value[:limit]
    return repr(cut) + ("..." if len(value) > limit else "")


def shown(text: object, limit: int = 80) -> str:
    """Return user text as it is if every character of it prints, else :func:`quoted`."""
    value = str(text)
    return value if value.isprintable() and len(value) <= limit else quoted(value, limit)
