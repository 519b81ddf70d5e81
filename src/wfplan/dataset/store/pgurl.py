"""A ``postgresql://`` URL: what to connect to, which schema, and how to name it in messages.

The schema (PostgreSQL's namespace) that holds wfplan's tables is chosen by
``schema=NAME`` in the URL's query (wfplan's own parameter, removed before the
URL reaches libpq) or by libpq's ``options=-csearch_path%3DNAME``; without
either it is ``public``. ``postgresql://postgres@127.0.0.1:5432/test?schema=wfplan_x``
keeps a wfplan database in schema ``wfplan_x`` of database ``test``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from wfplan.errors import InputError

#: A schema name wfplan accepts in ``schema=``: an unquoted SQL identifier.
SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


@dataclass(frozen=True)
class PgTarget:
    """Where a PostgreSQL store is.

    Attributes
    ----------
    conninfo : str
        The URL handed to libpq (``schema=`` turned into ``options``).
    schema : str or None
        The schema named by ``schema=``, or None (then the server's search_path says).
    shown : str
        The URL without password or query, for messages.
    """

    conninfo: str
    schema: str | None
    shown: str


def parse(url: str) -> PgTarget:
    """Return the target of a ``postgresql://`` URL.

    Raises
    ------
    InputError
        If ``schema=`` is not a plain identifier, or is given twice.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    named = [value for key, value in query if key == "schema"]
    rest = [(key, value) for key, value in query if key != "schema"]
    if len(named) > 1:
        raise InputError(f"--db {_hidden(url)}: schema= is given {len(named)} times")
    schema = named[0] if named else None
    if schema is not None:
        if not SCHEMA_NAME.fullmatch(schema):
            raise InputError(f"--db {_hidden(url)}: schema={schema!r} is not a schema name "
                             "(letters, digits and _, not starting with a digit)")
        options = [value for key, value in rest if key == "options"]
        rest = [(k, v) for k, v in rest if k != "options"]
        rest.append(("options", " ".join([*options, f"-csearch_path={schema}"])))
    conninfo = urlunsplit(parts._replace(query=urlencode(rest)))
    shown = urlunsplit(parts._replace(netloc=_without_password(parts.netloc), query=""))
    return PgTarget(conninfo, schema, shown)


def _without_password(netloc: str) -> str:
    if "@" not in netloc:
        return netloc
    user, host = netloc.rsplit("@", 1)
    return f"{user.split(':', 1)[0]}@{host}"


def _hidden(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=_without_password(parts.netloc)))


def first_schema(search_path: str, user: str) -> str:
    """Return the schema a ``search_path`` setting puts first (``"$user"`` is the user)."""
    for entry in search_path.split(","):
        name = entry.strip().strip('"')
        if name:
            return user if name == "$user" else name
    return "public"
