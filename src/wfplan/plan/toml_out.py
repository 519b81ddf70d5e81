"""Write a scenario as TOML text (the standard library reads TOML but does not write it).

Only what a scenario holds: strings, numbers, booleans, lists and tables.
Top-level values come first, then ``[parameters]``, each
``[staff_group_parameters.<group>]``, each ``[[interventions]]`` and last the
plan's own summary (``[plan]`` with its ``[[plan.levers]]``,
``[[plan.constraints]]`` and ``[[plan.check]]``, :func:`plan_toml`); a
distribution is an inline table. The text reads back to the same scenario.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

_BARE = re.compile(r"^[A-Za-z0-9_\-]+$")


def _key(name: str) -> str:
    return name if _BARE.match(name) else json.dumps(name)


def value(item: Any) -> str:
    """One TOML value."""
    if isinstance(item, bool):
        return "true" if item else "false"
    if isinstance(item, int):
        return str(item)
    if isinstance(item, float):
        if not math.isfinite(item):
            raise ValueError(f"{item} cannot be written to a scenario")
        return repr(item)
    if isinstance(item, str):
        # a JSON string is a TOML basic string (the same escapes), written on one line
        return json.dumps(item, ensure_ascii=False)
    if isinstance(item, list | tuple):
        return "[" + ", ".join(value(part) for part in item) + "]"
    if isinstance(item, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {value(v)}" for k, v in item.items()) + " }"
    raise TypeError(f"cannot write {type(item).__name__} to TOML")


def _table(data: Mapping[str, Any]) -> list[str]:
    return [f"{_key(name)} = {value(item)}" for name, item in data.items()]


def scenario_toml(data: Mapping[str, Any], header: str = "") -> str:
    """Return TOML text of a scenario given as its JSON dump (``model_dump(mode="json")``)."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    tables = ("parameters", "staff_group_parameters", "interventions", "plan")
    lines += _table({k: v for k, v in data.items() if k not in tables})
    if data.get("parameters"):
        lines += ["", "[parameters]", *_table(data["parameters"])]
    for group, values in data.get("staff_group_parameters", {}).items():
        lines += ["", f"[staff_group_parameters.{_key(group)}]", *_table(values)]
    for record in data.get("interventions", []):
        lines += ["", "[[interventions]]", *_table(record)]
    text = "\n".join(lines) + "\n"
    return text + plan_toml(data["plan"]) if data.get("plan") else text


#: The ``[plan]`` table's arrays of tables, in the order they are written.
PLAN_ARRAYS = ("levers", "constraints", "check")


def plan_toml(plan: Mapping[str, Any]) -> str:
    """Return the ``[plan]`` table (a :class:`~wfplan.model.plan_summary.PlanSummary` dump).

    Its values first, then each lever, constraint and check as an array of
    tables; a lever's gains by target year are a list of inline tables.
    """
    lines = ["", "[plan]", *_table({k: v for k, v in plan.items() if k not in PLAN_ARRAYS})]
    for name in PLAN_ARRAYS:
        for record in plan.get(name, []):
            lines += ["", f"[[plan.{name}]]", *_table(record)]
    return "\n".join(lines) + "\n"
