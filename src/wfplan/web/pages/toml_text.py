"""Write a scenario (as ``tomllib`` reads it) back as TOML text: the builder's output.

The scenario builder edits the dict ``tomllib.loads`` gives of a scenario file and
writes it out again with :func:`dumps`, which handles what scenario files hold:
strings, integers, floats, booleans, lists of those, inline tables (a distribution,
``{ dist = "normal", mean = 1.0, sd = 0.05 }``), tables of tables
(``[staff_group_parameters.nurses_health_visitors]``) and arrays of tables
(``[[interventions]]``). ``tomllib.loads(dumps(d)) == d`` for every such dict (a
test checks it). The file's comments are not kept: they are not in the dict.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any


def _key(name: str) -> str:
    """Return a key bare if TOML allows it, else quoted."""
    if name and all((c.isalnum() and c.isascii()) or c in "_-" for c in name):
        return name
    return _string(name)


def _string(text: str) -> str:
    """Return a TOML basic string: JSON's escapes are TOML's, and DEL is escaped too."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def value(item: Any) -> str:
    """Return one value as TOML (a mapping as an inline table).

    Raises
    ------
    ValueError
        For a value TOML cannot hold (None, NaN is written as ``nan``).
    """
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if math.isnan(item):
            return "nan"
        if math.isinf(item):
            return "inf" if item > 0 else "-inf"
        return repr(item)
    if isinstance(item, str):
        return _string(item)
    if isinstance(item, list | tuple):
        return "[" + ", ".join(value(v) for v in item) + "]"
    if isinstance(item, Mapping):
        return "{ " + ", ".join(f"{_key(str(k))} = {value(v)}" for k, v in item.items()) + " }"
    raise ValueError(f"TOML cannot hold {item!r}")


def _is_table(item: Any) -> bool:
    """Whether a value is written as a ``[table]`` of its own (a mapping of mappings)."""
    return isinstance(item, Mapping) and bool(item) and all(
        isinstance(v, Mapping) for v in item.values())


def _is_array_of_tables(item: Any) -> bool:
    return isinstance(item, list) and bool(item) and all(isinstance(v, Mapping) for v in item)


def _lines(table: Mapping[str, Any]) -> list[str]:
    """Return the ``key = value`` lines of a table's plain values (inline tables too)."""
    return [f"{_key(str(k))} = {value(v)}" for k, v in table.items()
            if not (_is_table(v) or _is_array_of_tables(v)
                    or (isinstance(v, Mapping) and k in _SECTIONS))]


#: Top-level keys whose mapping is a section (``[parameters]``), never an inline table.
_SECTIONS = ("parameters", "staff_group_parameters")


def dumps(data: Mapping[str, Any]) -> str:
    """Return ``data`` as TOML text: plain keys first, then tables, then arrays of tables.

    ``parameters`` is a ``[parameters]`` section, ``staff_group_parameters`` one
    ``[staff_group_parameters.CODE]`` section per staff group, and a list of
    mappings (``interventions``) one ``[[interventions]]`` section per item. Any
    other mapping is an inline table.
    """
    out = _lines(data)
    for name, item in data.items():
        if not isinstance(item, Mapping) or not (name in _SECTIONS or _is_table(item)):
            continue
        if name == "parameters" or not _is_table(item):
            out += ["", f"[{_key(name)}]", *_lines(item)]
            continue
        for sub, inner in item.items():
            out += ["", f"[{_key(name)}.{_key(str(sub))}]", *_lines(inner)]
    for name, item in data.items():
        if _is_array_of_tables(item):
            for inner in item:
                out += ["", f"[[{_key(name)}]]", *_lines(inner)]
    return "\n".join(out) + "\n"
