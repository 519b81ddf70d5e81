"""The parameter table: every scenario parameter, input default and output variable.

``parameters.csv`` (package data) is the single description of the model's
quantities, like PyPSA's ``component_attrs``. It drives scenario range checks,
the scenario JSON Schema, input defaults and the table in ``docs/model.md``.

Kinds
-----
``parameter``
    Set in a scenario (``[parameters]`` or ``[staff_group_parameters.<code>]``),
    as a number, a string (categories) or a distribution.
``input``
    A model input array, or a default for an intervention field; the default is
    used (and recorded as an assumption) when the dataset does not supply it.
``variable``
    A model output.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

KINDS = ("parameter", "input", "variable")


@dataclass(frozen=True)
class ParameterSpec:
    """One row of the parameter table.

    Attributes
    ----------
    name, kind, unit, default, description, source
        As in the CSV; ``default`` is kept as text (numbers, a category or words).
    minimum, maximum
        Allowed range (``-inf``/``inf`` when open).
    dims
        Dimensions the quantity varies by (a scenario parameter with
        ``staff_group`` may be set per staff group).
    """

    name: str
    kind: str
    unit: str
    default: str
    minimum: float
    maximum: float
    dims: tuple[str, ...]
    description: str
    source: str

    @property
    def is_categorical(self) -> bool:
        """Whether the value is a category (a string) rather than a number."""
        return self.unit == "category"

    @property
    def default_value(self) -> float:
        """The default as a number; raises ``ValueError`` if it is not numeric."""
        return float(self.default)

    @property
    def per_staff_group(self) -> bool:
        """Whether a scenario may set this parameter per staff group."""
        return "staff_group" in self.dims


def _bound(text: str, empty: float) -> float:
    return float(text) if text.strip() else empty


@cache
def parameter_table() -> tuple[ParameterSpec, ...]:
    """Return every row of ``parameters.csv`` in file order."""
    text = files("wfplan.model").joinpath("parameters.csv").read_text(encoding="utf-8")
    specs = []
    for row in csv.DictReader(io.StringIO(text)):
        spec = ParameterSpec(
            name=row["name"],
            kind=row["kind"],
            unit=row["unit"],
            default=row["default"],
            minimum=_bound(row["min"], -math.inf),
            maximum=_bound(row["max"], math.inf),
            dims=tuple(dim for dim in row["dims"].split(",") if dim),
            description=row["description"],
            source=row["source"],
        )
        if spec.kind not in KINDS:
            raise ValueError(f"parameters.csv: {spec.name} has unknown kind {spec.kind!r}")
        if not spec.source.strip():
            raise ValueError(f"parameters.csv: {spec.name} has no source")
        specs.append(spec)
    return tuple(specs)


@cache
def _by_name() -> dict[str, ParameterSpec]:
    return {spec.name: spec for spec in parameter_table()}


def get_spec(name: str) -> ParameterSpec:
    """Return the table row called ``name``; ``KeyError`` if there is none."""
    try:
        return _by_name()[name]
    except KeyError:
        raise KeyError(f"no parameter, input or variable called {name!r}") from None


def specs_of_kind(kind: str) -> tuple[ParameterSpec, ...]:
    """Return the rows of one kind (``parameter``, ``input`` or ``variable``)."""
    return tuple(spec for spec in parameter_table() if spec.kind == kind)


def scenario_parameter_names() -> tuple[str, ...]:
    """Names a scenario may set under ``[parameters]``."""
    return tuple(spec.name for spec in specs_of_kind("parameter"))


def input_default(name: str) -> float:
    """Numeric default of an ``input`` row, e.g. ``input_default("completion_rate")``."""
    return get_spec(name).default_value


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _range(spec: ParameterSpec) -> str:
    if spec.kind == "variable" or spec.is_categorical:
        return ""
    low = "" if math.isinf(spec.minimum) else f"{spec.minimum:g}"
    high = "" if math.isinf(spec.maximum) else f"{spec.maximum:g}"
    return f"{low} to {high}" if low and high else (f">= {low}" if low else "")


def parameter_table_markdown(kind: str | None = None) -> str:
    """Render the table (or the rows of one kind) as a Markdown table."""
    header = "| name | kind | unit | default | range | dims | description | source |"
    lines = [header, "|---|---|---|---|---|---|---|---|"]
    for spec in parameter_table():
        if kind is not None and spec.kind != kind:
            continue
        cells = [
            f"`{spec.name}`",
            spec.kind,
            spec.unit,
            spec.default,
            _range(spec),
            ", ".join(spec.dims),
            spec.description,
            spec.source,
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"
