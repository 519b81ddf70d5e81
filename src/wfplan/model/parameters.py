"""The parameter table: every scenario parameter, input default and output variable.

``parameters.csv`` (package data) is the single description of the model's
quantities, like PyPSA's ``component_attrs``. It drives scenario range checks,
the scenario JSON Schema, input defaults, the model's lists of inputs
(:data:`wfplan.model.inputs.INPUT_DIMS`), defaults and variables
(:data:`wfplan.model.results.VARIABLES`) and the table in ``docs/model.md``.

Columns
-------
``kind``
    ``parameter`` (set in a scenario, under ``[parameters]`` or
    ``[staff_group_parameters.<code>]``, as a number, a category or a
    distribution), ``input`` (a model input array, a default for an
    intervention field, or a default the dataset layer uses) or ``variable``
    (a model output).
``status``
    ``input`` (parameters and inputs) or ``output`` (variables).
``type``
    ``float``, ``int`` or ``category``.
``default``
    A value; ``required`` (the model cannot run without it); ``required:RULE``
    (the model needs it, the dataset layer derives it by ``RULE`` where the
    data lack it); or ``derived:RULE`` (left out, it is derived by ``RULE``).
    The rules are :data:`RULES`; each says which layer applies it.
``dims``
    Space-separated dimension names; ``name?`` marks a dimension the caller may
    leave out (the model adds it).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib.resources import files


class Kind(StrEnum):
    """What a row describes."""

    PARAMETER = "parameter"
    INPUT = "input"
    VARIABLE = "variable"


class Status(StrEnum):
    """Whether the model reads the quantity or computes it."""

    INPUT = "input"
    OUTPUT = "output"


class ValueType(StrEnum):
    """The type of the quantity's values."""

    FLOAT = "float"
    INT = "int"
    CATEGORY = "category"


class DefaultKind(StrEnum):
    """How a quantity left out is filled."""

    VALUE = "value"
    REQUIRED = "required"
    DERIVED = "derived"


@dataclass(frozen=True)
class Rule:
    """A named rule that fills a quantity left out, and the layer that applies it."""

    layer: str
    text: str


#: The rules ``default`` may name. ``model`` rules are applied by
#: :class:`~wfplan.model.inputs.ModelInputs`; ``dataset`` rules by the layer that
#: builds the model's inputs (``wfplan.inputs``).
RULES: dict[str, Rule] = {
    "headcount_share": Rule("model", "headcount share"),
    "joiner_age_profile": Rule("model", "joiner_age_profile"),
    "no_demography": Rule("model", "none (demog = 1)"),
    "default_age_profile": Rule(
        "dataset", "the dataset layer falls back to the default profile in data/input_defaults.csv"
    ),
    "input_defaults_csv": Rule("dataset", "data/input_defaults.csv"),
}
KINDS = tuple(Kind)


@dataclass(frozen=True)
class Default:
    """A row's default: a value, required, or a rule's name (``kind``, ``value``, ``rule``)."""

    kind: DefaultKind
    value: float | str | None = None
    rule: str | None = None
    #: A value as written in the table.
    written: str = ""

    @property
    def text(self) -> str:
        """The default as the docs and reports show it."""
        if self.kind is DefaultKind.VALUE:
            return self.written
        rule = RULES[self.rule].text if self.rule else ""
        if self.kind is DefaultKind.REQUIRED:
            return f"required ({rule})" if rule else "required"
        return rule

    @property
    def layer(self) -> str | None:
        """The layer that applies the rule (``None`` for a value or plain ``required``)."""
        return RULES[self.rule].layer if self.rule else None


def _default(text: str, value_type: ValueType, name: str) -> Default:
    kind, _, rule = text.partition(":")
    if kind in (DefaultKind.REQUIRED, DefaultKind.DERIVED):
        if rule and rule not in RULES:
            raise ValueError(f"parameters.csv: {name} names an unknown rule {rule!r}")
        if kind == DefaultKind.DERIVED and not rule:
            raise ValueError(f"parameters.csv: {name}: derived needs a rule (derived:RULE)")
        return Default(DefaultKind(kind), rule=rule or None)
    if not text or value_type is ValueType.CATEGORY:
        return Default(DefaultKind.VALUE, text or None, written=text)
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"parameters.csv: {name}: default {text!r} is not a number") from None
    if value_type is ValueType.INT and not number.is_integer():
        raise ValueError(f"parameters.csv: {name} is an int but its default is {text}")
    return Default(DefaultKind.VALUE, number, written=text)


@dataclass(frozen=True)
class ParameterSpec:
    """One row of the parameter table.

    Attributes
    ----------
    name, unit, description, source
        As in the CSV.
    kind, status, type
        :class:`Kind`, :class:`Status`, :class:`ValueType`.
    default
        The parsed :class:`Default`.
    minimum, maximum
        Allowed range (``-inf``/``inf`` when open).
    dims
        Dimensions the quantity varies by, in canonical order (a scenario
        parameter with ``staff_group`` may be set per staff group).
    optional_dims
        Those of ``dims`` a caller may leave out.
    """

    name: str
    kind: Kind
    status: Status
    type: ValueType
    unit: str
    default: Default
    minimum: float
    maximum: float
    dims: tuple[str, ...]
    optional_dims: tuple[str, ...]
    description: str
    source: str

    @property
    def is_categorical(self) -> bool:
        """Whether the value is a category (a string) rather than a number."""
        return self.type is ValueType.CATEGORY

    @property
    def default_value(self) -> float:
        """The default as a number; raises ``ValueError`` if it is not numeric."""
        if not isinstance(self.default.value, float):
            raise ValueError(f"{self.name} has no numeric default ({self.default.text})")
        return self.default.value

    @property
    def default_text(self) -> str:
        """The default as the docs and reports show it."""
        return self.default.text

    @property
    def per_staff_group(self) -> bool:
        """Whether a scenario may set this parameter per staff group."""
        return "staff_group" in self.dims

    @property
    def is_model_array(self) -> bool:
        """Whether the model reads this row as an input array (a ``ModelInputs`` field)."""
        dataset_only = self.default.kind is DefaultKind.DERIVED and self.default.layer == "dataset"
        return self.kind is Kind.INPUT and bool(self.dims) and not dataset_only


def _bound(text: str, empty: float) -> float:
    return float(text) if text.strip() else empty


def _spec(row: dict[str, str]) -> ParameterSpec:
    name = row["name"]
    try:
        kind, status, value_type = Kind(row["kind"]), Status(row["status"]), ValueType(row["type"])
    except ValueError as error:
        raise ValueError(f"parameters.csv: {name}: {error}") from None
    if (status is Status.OUTPUT) != (kind is Kind.VARIABLE):
        raise ValueError(f"parameters.csv: {name}: only variables are outputs")
    dims = row["dims"].split()
    return ParameterSpec(
        name=name,
        kind=kind,
        status=status,
        type=value_type,
        unit=row["unit"],
        default=_default(row["default"], value_type, name),
        minimum=_bound(row["min"], -math.inf),
        maximum=_bound(row["max"], math.inf),
        dims=tuple(dim.removesuffix("?") for dim in dims),
        optional_dims=tuple(dim.removesuffix("?") for dim in dims if dim.endswith("?")),
        description=row["description"],
        source=row["source"],
    )


@cache
def parameter_table() -> tuple[ParameterSpec, ...]:
    """Return every row of ``parameters.csv`` in file order."""
    text = files("wfplan.model").joinpath("parameters.csv").read_text(encoding="utf-8")
    specs = []
    for row in csv.DictReader(io.StringIO(text)):
        spec = _spec(row)
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


def model_input_dims() -> dict[str, tuple[str, ...]]:
    """Every input array the model reads and its canonical dimensions, in table order."""
    return {spec.name: spec.dims for spec in parameter_table() if spec.is_model_array}


def constant_defaults() -> tuple[str, ...]:
    """Input arrays filled with their numeric default over the shared coordinates.

    These are the model's input arrays with a value as default whose dimensions
    are all shared coordinates (area, staff group, age band); the others have a
    rule of their own in :class:`~wfplan.model.inputs.ModelInputs`.
    """
    shared = {"area", "staff_group", "age_band"}
    return tuple(
        spec.name
        for spec in parameter_table()
        if spec.is_model_array
        and isinstance(spec.default.value, float)
        and set(spec.dims) <= shared
    )


def variable_names() -> tuple[str, ...]:
    """Every output variable, in table (reporting) order."""
    return tuple(spec.name for spec in specs_of_kind(Kind.VARIABLE))


def scenario_parameter_names() -> tuple[str, ...]:
    """Names a scenario may set under ``[parameters]``."""
    return tuple(spec.name for spec in specs_of_kind("parameter"))


def input_default(name: str) -> float:
    """Numeric default of an ``input`` row, e.g. ``input_default("completion_rate")``."""
    return get_spec(name).default_value


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _range(spec: ParameterSpec) -> str:
    if spec.kind is Kind.VARIABLE or spec.is_categorical:
        return ""
    low = "" if math.isinf(spec.minimum) else f"{spec.minimum:g}"
    high = "" if math.isinf(spec.maximum) else f"{spec.maximum:g}"
    return f"{low} to {high}" if low and high else (f">= {low}" if low else "")


def _default_cell(spec: ParameterSpec) -> str:
    if spec.default.rule:
        return f"{spec.default.text} (`{spec.default.kind}:{spec.default.rule}`)"
    return spec.default.text


def parameter_table_markdown(kind: str | None = None) -> str:
    """Render the table (or the rows of one kind) as a Markdown table."""
    header = "| name | kind | type | unit | default | range | dims | description | source |"
    lines = [header, "|---|---|---|---|---|---|---|---|---|"]
    for spec in parameter_table():
        if kind is not None and spec.kind != kind:
            continue
        cells = [
            f"`{spec.name}`",
            spec.kind,
            spec.type,
            spec.unit,
            _default_cell(spec),
            _range(spec),
            " ".join(f"{dim}?" if dim in spec.optional_dims else dim for dim in spec.dims),
            spec.description,
            spec.source,
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"
