"""The evidence library: published figures behind the model's inputs, as data.

``data/evidence.csv`` holds one row per figure: the parameter it informs (a name
of the parameter table, ``src/wfplan/model/parameters.csv``, or a named evidence
item such as ``asc_turnover_rate``), the staff group and sector it describes,
the value with its low and high where published, the unit, period and
population, the publication with its table or page, address and licence, and a
``status``:

- ``published``: typed in from the publication named (a secondary source is
  named as such in ``publication``);
- ``computed``: worked out from published figures or from a real data file,
  the arithmetic stated in ``reasoning``;
- ``wfplan_assumption``: no published figure was found; ``reasoning`` says why
  the value was chosen. The parameter table's defaults are listed this way.

``resolves = true`` marks the rows that model inputs use when the vintage's own
data lacks a value (:mod:`wfplan.inputs.resolve`). ``data/evidence.toml``
states the library's version. :func:`load_library` validates every row and
reports a broken one by file, row and column.
"""

from __future__ import annotations

import csv
import io
import math
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wfplan.dataset import codelists
from wfplan.errors import InputError
from wfplan.model.parameters import parameter_table

COLUMNS = ("id", "parameter", "staff_group", "sector", "age_band", "value", "low", "high",
           "unit", "period", "population", "publication", "table_or_page", "url", "licence",
           "status", "resolves", "reasoning")
#: Inputs that :mod:`wfplan.inputs.resolve` looks up by staff group.
RESOLVABLE = ("leaver_rate", "fte_per_head", "training_duration", "completion_rate",
              "take_up_rate")
#: Units a named evidence item (not in the parameter table) may have.
ITEM_UNITS = ("fraction", "fraction per year", "fraction per month", "years", "FTE per head",
              "ratio", "fraction per year per percent of pay")
#: ``staff_group`` / ``sector`` of a row that applies to every group (of the sector).
ALL = "all"
#: The unit of a default that is a rule, not a number (e.g. ``area_share``).
RULE = "rule"
Status = Literal["published", "computed", "wfplan_assumption"]


class EvidenceRow(BaseModel):
    """One figure of the library (see the module notes for the columns)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    parameter: str = Field(pattern=r"^[a-z0-9_]+$")
    staff_group: str
    sector: str
    age_band: str | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str = Field(min_length=1)
    period: str = ""
    population: str = Field(min_length=1)
    publication: str = Field(min_length=1)
    table_or_page: str = ""
    url: str = ""
    licence: str = ""
    status: Status
    resolves: bool = False
    reasoning: str = ""

    @model_validator(mode="after")
    def _rules(self) -> EvidenceRow:
        _check_codes(self)
        _check_numbers(self)
        _check_unit(self)
        _check_status(self)
        return self

    def citation(self) -> str:
        """Return the row's source for a reader: publication, table or page and period."""
        where = f", {self.table_or_page}" if self.table_or_page else ""
        when = f", {self.period}" if self.period else ""
        return f"{self.publication}{where}{when}"


def _check_codes(row: EvidenceRow) -> None:
    groups = codelists.get("staff_group")
    if row.staff_group != ALL and row.staff_group not in groups.codes:
        raise ValueError(f"staff_group {row.staff_group!r} is not a staff-group code or 'all'")
    if row.sector != ALL and row.sector not in codelists.get("sector").codes:
        raise ValueError(f"sector {row.sector!r} is not a sector code or 'all'")
    if row.staff_group != ALL and row.sector != ALL:
        own = next(r["sector"] for r in groups.rows if r["code"] == row.staff_group)
        if own != row.sector:
            raise ValueError(f"sector {row.sector!r} is not the sector of staff group "
                             f"{row.staff_group!r} ({own})")
    if row.age_band is not None and row.age_band not in codelists.get("age_band").codes:
        raise ValueError(f"age_band {row.age_band!r} is not an age-band code")


def _check_numbers(row: EvidenceRow) -> None:
    for name in ("value", "low", "high"):
        number = getattr(row, name)
        if number is not None and not math.isfinite(number):
            raise ValueError(f"{name} must be a finite number")
    if row.value is None:
        if row.unit != RULE or row.status != "wfplan_assumption":
            raise ValueError("value is required (only a wfplan assumption of unit 'rule' "
                             "may leave it empty)")
        return
    low = row.value if row.low is None else row.low
    high = row.value if row.high is None else row.high
    if not low <= row.value <= high:
        raise ValueError(f"value must lie between low and high ({row.low}, {row.value}, "
                         f"{row.high})")
    if row.unit.startswith("fraction") and not -1.0 <= low <= high <= 1.0:
        raise ValueError(f"value, low and high of unit {row.unit!r} must lie in [-1, 1]")


def _check_unit(row: EvidenceRow) -> None:
    spec = next((s for s in parameter_table() if s.name == row.parameter), None)
    if spec is None:
        if row.unit not in ITEM_UNITS:
            raise ValueError(f"unit {row.unit!r} of evidence item {row.parameter!r} must be "
                             f"one of {', '.join(ITEM_UNITS)}")
        if row.resolves:
            raise ValueError(f"resolves is true, but {row.parameter!r} is not a model input")
        return
    if row.unit not in (spec.unit, RULE):
        raise ValueError(f"unit {row.unit!r} is not the parameter table's unit of "
                         f"{row.parameter!r} ({spec.unit!r})")
    if row.resolves:
        if row.parameter not in RESOLVABLE:
            raise ValueError(f"resolves is true, but {row.parameter!r} is not looked up in "
                             f"the library (only {', '.join(RESOLVABLE)})")
        if row.value is None or not spec.minimum <= row.value <= spec.maximum:
            raise ValueError(f"value {row.value} is outside the parameter table's range "
                             f"[{spec.minimum:g}, {spec.maximum:g}]")


def _check_status(row: EvidenceRow) -> None:
    if row.status == "wfplan_assumption" and not row.reasoning.strip():
        raise ValueError("reasoning is required for a wfplan_assumption")
    if row.status == "computed" and not row.reasoning.strip():
        raise ValueError("reasoning is required for a computed figure (its arithmetic)")
    if row.status != "wfplan_assumption" and not row.table_or_page.strip():
        raise ValueError(f"table_or_page is required for a {row.status} figure")


@dataclass(frozen=True)
class EvidenceLibrary:
    """The validated rows of the library and its version."""

    version: str
    rows: tuple[EvidenceRow, ...]
    path: str

    def of(self, parameter: str) -> tuple[EvidenceRow, ...]:
        """Return every row about ``parameter``, in file order."""
        return tuple(row for row in self.rows if row.parameter == parameter)

    def resolving(self, parameter: str) -> tuple[EvidenceRow, ...]:
        """Return the rows of ``parameter`` that model inputs may use."""
        return tuple(row for row in self.of(parameter) if row.resolves)

    def default_row(self, parameter: str) -> EvidenceRow | None:
        """Return the wfplan assumption that documents the parameter table's default."""
        return next((row for row in self.of(parameter) if row.id == f"default_{parameter}"),
                    None)


def _cells(raw: dict[str, str | None]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, text in raw.items():
        value = (text or "").strip()
        if key in ("value", "low", "high"):
            out[key] = None if value == "" else float(value)
        elif key == "age_band":
            out[key] = value or None
        elif key == "resolves":
            if value.lower() not in ("true", "false", ""):
                raise ValueError("resolves must be true or false")
            out[key] = value.lower() == "true"
        else:
            out[key] = value
    return out


def _row(raw: dict[str, str | None], where: str) -> EvidenceRow:
    try:
        return EvidenceRow.model_validate(_cells(raw))
    except ValueError as exc:  # a number that does not parse, or a broken rule
        if isinstance(exc, ValidationError):
            error = exc.errors()[0]
            column = ".".join(str(part) for part in error["loc"]) or _column_of(error["msg"])
            message = str(error["msg"]).removeprefix("Value error, ")
            raise InputError(f"{where}, column {column}: {message}") from None
        raise InputError(f"{where}: {exc}") from None


def _column_of(message: str) -> str:
    return next((c for c in COLUMNS if message.removeprefix("Value error, ").startswith(c)),
                "(row rule)")


def parse_library(text: str, path: str, version: str) -> EvidenceLibrary:
    """Validate the library's CSV ``text``; raise :class:`InputError` naming file, row, column."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise InputError(f"{path}: the header must be {','.join(COLUMNS)}")
    rows: list[EvidenceRow] = []
    seen: dict[str, int] = {}
    keys: dict[tuple[str, str, str, str | None], str] = {}
    for number, raw in enumerate(reader, start=2):
        where = f"{path}, row {number}"
        if None in raw:
            raise InputError(f"{where}: more cells than the header's {len(COLUMNS)} columns")
        row = _row(raw, where)
        if row.id in seen:
            raise InputError(f"{where}, column id: {row.id!r} repeats row {seen[row.id]}")
        seen[row.id] = number
        key = (row.parameter, row.staff_group, row.sector, row.age_band)
        if row.resolves and key in keys:
            raise InputError(f"{where}, column resolves: {keys[key]!r} already resolves "
                             f"{row.parameter} for the same staff group, sector and age band")
        if row.resolves:
            keys[key] = row.id
        rows.append(row)
    return EvidenceLibrary(version, tuple(rows), path)


@cache
def load_library(path: str | None = None) -> EvidenceLibrary:
    """Return the package's evidence library (or the CSV at ``path``), validated.

    The version is ``data/evidence.toml``'s; a library at another path takes the
    version ``path`` itself.
    """
    if path is None:
        data = files("wfplan").joinpath("data")
        meta = tomllib.loads(data.joinpath("evidence.toml").read_text(encoding="utf-8"))
        text = data.joinpath("evidence.csv").read_text(encoding="utf-8")
        return parse_library(text, "src/wfplan/data/evidence.csv", str(meta["version"]))
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    return parse_library(text, path, path)
