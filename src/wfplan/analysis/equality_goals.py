"""Model Employer goals as data: a small CSV or TOML file of goals per area, band and year.

Each goal (a CSV row, or a ``[[goal]]`` table of a TOML file) has the fields of
:data:`FIELDS`; only ``target_year`` is required. An empty ``area_code`` means every
area of the level, an empty ``grade`` every band, an empty ``target_share`` the
area's overall ethnic-minority share at the base census, and empty rates the
defaults of :mod:`wfplan.analysis.equality`. A more specific goal (area and band
named) wins over a general one. Any broken rule is an :class:`~wfplan.errors.InputError`
naming the file, row, field and rule.
"""

from __future__ import annotations

import csv
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wfplan.dataset import codelists
from wfplan.errors import InputError, quoted

__all__ = ["FIELDS", "Goal", "goal_for", "goals_from_records", "read_goals"]

#: Fields of a goal, in the order of the CSV template.
FIELDS = ("area_code", "grade", "target_year", "target_share", "leaver_rate",
          "promotion_rate", "headcount_growth")
#: Fields that are fractions in [0, 1].
_FRACTIONS = ("target_share", "leaver_rate", "promotion_rate")


@dataclass(frozen=True)
class Goal:
    """One goal: which area and band, by when, what share, and any rates it sets."""

    target_year: int
    area_code: str | None = None
    grade: str | None = None
    target_share: float | None = None
    leaver_rate: float | None = None
    promotion_rate: float | None = None
    headcount_growth: float | None = None
    where: str = "default goal"


def goal_for(goals: list[Goal], area_code: str, grade: str) -> Goal | None:
    """Return the most specific goal that applies to ``area_code`` and ``grade``, if any."""
    best: tuple[int, Goal] | None = None
    for goal in goals:
        if goal.area_code not in (None, area_code.upper()) or goal.grade not in (None, grade):
            continue
        rank = (goal.area_code is not None) * 2 + (goal.grade is not None)
        if best is None or rank > best[0]:
            best = (rank, goal)
    return None if best is None else best[1]


def read_goals(path: Path) -> list[Goal]:
    """Read a goals file (``.csv`` or ``.toml``); raise InputError naming any broken rule."""
    if not path.is_file():
        raise InputError(f"{path}: goals file not found")
    suffix = path.suffix.lower()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the goals file as UTF-8 text ({exc})") from None
    if suffix == ".csv":
        rows = _csv_rows(path, text)
    elif suffix == ".toml":
        rows = _toml_rows(path, text)
    else:
        raise InputError(f"{path}: a goals file must be .csv or .toml, not {quoted(suffix)}")
    if not rows:
        raise InputError(f"{path}: no goals in the file")
    return _checked(rows)


def goals_from_records(records: list[dict[str, Any]], where: str = "goals") -> list[Goal]:
    """Return goals given as records (the API's request body), checked as a file's rows."""
    rows = []
    for i, record in enumerate(records, start=1):
        label = f"{where}[{i}]"
        for name in record:
            if name not in FIELDS:
                raise InputError(f"{label}: unknown field {quoted(name)}; the fields are "
                                 + ", ".join(FIELDS))
        rows.append((label, {k: "" if v is None else str(v) for k, v in record.items()}))
    return _checked(rows)


def _checked(rows: list[tuple[str, dict[str, Any]]]) -> list[Goal]:
    """Return the goals of ``rows`` (where, fields); refuse two goals for one area and band."""
    goals = [_goal(fields, where) for where, fields in rows]
    seen: dict[tuple[str | None, str | None], str] = {}
    for goal in goals:
        key = (goal.area_code, goal.grade)
        if key in seen:
            raise InputError(f"{goal.where}: area_code and grade: the same area and band as "
                             f"{seen[key]} (each goal must be for a different area or band)")
        seen[key] = goal.where
    return goals


def _csv_rows(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(text.splitlines())
    header = list(reader.fieldnames or [])
    _fields_known(path, header, "header")
    if "target_year" not in header:
        raise InputError(f"{path}: header: column 'target_year' is required")
    return [(f"{path}: row {i} (line {i + 1})", dict(row))
            for i, row in enumerate(reader, start=1)]


def _toml_rows(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    extra = sorted(set(doc) - {"goal"})
    if extra:
        raise InputError(f"{path}: unknown key {quoted(extra[0])}: a goals file holds "
                         "[[goal]] tables only")
    goals = doc.get("goal", [])
    if not isinstance(goals, list) or not all(isinstance(g, dict) for g in goals):
        raise InputError(f"{path}: 'goal' must be an array of tables ([[goal]])")
    out = []
    for i, table in enumerate(goals, start=1):
        where = f"{path}: goal {i}"
        _fields_known(path, list(table), f"goal {i}")
        out.append((where, {k: "" if v is None else str(v) for k, v in table.items()}))
    return out


def _fields_known(path: Path, names: list[str], where: str) -> None:
    for name in names:
        if name not in FIELDS:
            raise InputError(f"{path}: {where}: unknown field {quoted(name)}; the fields are "
                             + ", ".join(FIELDS))


def _goal(fields: dict[str, Any], where: str) -> Goal:
    values = {k: (str(v).strip() if v is not None else "") for k, v in fields.items()}
    year = _number(values.get("target_year", ""), where, "target_year", integer=True)
    if year is None:
        raise InputError(f"{where}: target_year: required (a year, e.g. 2028)")
    if not 1948 <= year <= 2100:
        raise InputError(f"{where}: target_year: {year} is outside 1948 to 2100")
    numbers = {name: _number(values.get(name, ""), where, name)
               for name in (*_FRACTIONS, "headcount_growth")}
    for name in _FRACTIONS:
        value = numbers[name]
        if value is not None and not 0.0 <= value <= 1.0:
            raise InputError(f"{where}: {name}: {value:g} is not a fraction from 0 to 1 "
                             "(write 20% as 0.2)")
    exits = (numbers["leaver_rate"] or 0.0) + (numbers["promotion_rate"] or 0.0)
    if exits >= 1.0:
        raise InputError(f"{where}: leaver_rate and promotion_rate: they add to {exits:g}; "
                         "together they must be below 1")
    growth = numbers["headcount_growth"]
    if growth is not None and growth <= -1.0:
        raise InputError(f"{where}: headcount_growth: {growth:g} must be above -1")
    return Goal(target_year=int(year), area_code=values.get("area_code", "").upper() or None,
                grade=_grade(values.get("grade", ""), where), where=where,
                target_share=numbers["target_share"], leaver_rate=numbers["leaver_rate"],
                promotion_rate=numbers["promotion_rate"], headcount_growth=growth)


def _number(text: str, where: str, name: str, *, integer: bool = False) -> float | None:
    if text == "":
        return None
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise InputError(f"{where}: {name}: {quoted(text)} is not {kind}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(f"{where}: {name}: {quoted(text)} is not a finite number")
    return value


def _grade(text: str, where: str) -> str | None:
    if not text:
        return None
    grades = codelists.get("grade")
    code = grades.code_for(text)
    if code is None:
        raise InputError(f"{where}: grade: {quoted(text)} is not a pay band or grade of the "
                         "grade code list (" + ", ".join(grades.codes) + ")")
    return str(code)
