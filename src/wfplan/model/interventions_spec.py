"""Intervention records and the registry of intervention types.

Every intervention has ``type``, ``staff_group``, optional ``area`` (None = every
area), ``start_year`` (calendar year; must be after the base year), optional
``end_year``, ``amount``, ``ramp_years``, ``cost_per_unit`` (GBP), ``source`` and
``owner``. ``amount`` may be a number or a distribution.

Each intervention type is one subclass of :class:`Intervention` whose ``type``
field is a ``Literal`` of its name (and aliases). Defining the class registers
it; it declares the bounds of ``amount``, what ``cost_per_unit`` is charged on,
its timing and which of the model's drivers it moves (:class:`Driver`), and
implements :meth:`Intervention.apply`, which turns it into arrays through the
primitives of :class:`wfplan.model.interventions.EffectBuilder`. The built-in
types are in :mod:`wfplan.model.intervention_types`; a scenario naming a type
that is not registered is refused.
"""

from __future__ import annotations

import functools
import importlib
import math
import operator
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    SerializeAsAny,
    TypeAdapter,
    model_validator,
)

from wfplan.model.distributions import Normal, Triangular, Uniform
from wfplan.model.values import check_number_or_distribution, parse_number_or_distribution

if TYPE_CHECKING:
    import numpy as np

    from wfplan.model.interventions import EffectBuilder

NumberOrDistribution = Annotated[
    float | Annotated[Triangular | Normal | Uniform, Field(discriminator="dist")],
    BeforeValidator(parse_number_or_distribution),
]


class Driver(StrEnum):
    """The model driver an intervention type moves (one per type)."""

    #: Adds joiners by one of the joiner routes (units started a year).
    JOINERS = "joiners"
    #: Scales leaver rates.
    LEAVER_RATES = "leaver_rates"
    #: Scales FTE per head.
    FTE_PER_HEAD = "fte_per_head"
    #: Adds to the annual productivity gain that lowers demand.
    PRODUCTIVITY = "productivity"
    #: Moves demand from one staff group to another.
    DEMAND_MIX = "demand_mix"
    #: Cuts burnout, which moves leaver rates and available FTE per head through
    #: estimated relations (:mod:`wfplan.model.wellbeing`).
    BURNOUT = "burnout"
    #: Moves staff from one staff group (or role) to another (credentials).
    STAFF_MOVES = "staff_moves"
    #: Shares supply across the areas of a pool, where some are short and some in surplus.
    MOBILITY = "mobility"


#: Class attributes every registered type must declare (see :class:`Intervention`).
_DECLARED = ("driver", "amount_meaning", "timing", "cost_unit")


class Intervention(BaseModel):
    """Fields shared by every intervention type; subclass it to add a type.

    Class attributes (declarations, not scenario fields)
    ----------------------------------------------------
    amount_range
        Allowed range of ``amount`` (and of a distribution's support).
    allows_all_groups
        Whether ``staff_group = "all"`` is allowed.
    driver
        The :class:`Driver` the type moves.
    amount_meaning, timing, cost_unit, extra_fields
        What ``amount`` means, when the effect arrives, what ``cost_per_unit`` is
        charged per, and the type's own fields: the table in ``docs/model.md``.
    defaults
        The type's fields whose defaults are rows of ``parameters.csv``.
    plan_units_field
        The field ``wfplan plan`` writes a lever's units a year to (``amount``
        unless the type says otherwise; ``docs/plan.md``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    amount_range: ClassVar[tuple[float, float]] = (0.0, math.inf)
    allows_all_groups: ClassVar[bool] = False
    driver: ClassVar[Driver]
    amount_meaning: ClassVar[str]
    timing: ClassVar[str]
    cost_unit: ClassVar[str]
    extra_fields: ClassVar[str] = ""
    #: Field name -> the parameter-table row giving its default when left out.
    defaults: ClassVar[dict[str, str]] = {}
    plan_units_field: ClassVar[str] = "amount"

    type: str
    name: str | None = Field(default=None, min_length=1)
    staff_group: str = Field(min_length=1)
    area: str | None = Field(default=None, min_length=1)
    start_year: int = Field(ge=1900, le=2200)
    end_year: int | None = Field(default=None, ge=1900, le=2200)
    amount: NumberOrDistribution
    ramp_years: int = Field(default=0, ge=0, le=25)
    cost_per_unit: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    source: str = Field(min_length=1)
    owner: str = Field(min_length=1)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Register a subclass whose ``type`` is a ``Literal`` (a concrete type)."""
        super().__pydantic_init_subclass__(**kwargs)
        tags = type_names(cls)
        if tags:
            _register(cls, tags)

    @model_validator(mode="after")
    def _common_rules(self) -> Intervention:
        if self.end_year is not None and self.end_year < self.start_year:
            raise ValueError("end_year must not be before start_year")
        if self.staff_group == "all" and not self.allows_all_groups:
            raise ValueError(f"staff_group = 'all' is not allowed for {self.type}")
        problem = check_number_or_distribution(self.amount, self.amount_range)
        if problem:
            raise ValueError(f"amount {problem}")
        return self

    def staff_group_fields(self) -> dict[str, str]:
        """Fields naming a staff group, and their values (checked against the inputs)."""
        return {"staff_group": self.staff_group}

    def sampled_fields(self) -> dict[str, tuple[object, tuple[float, float]]]:
        """Fields besides ``amount`` drawn per Monte Carlo draw: value and allowed range.

        Each is sampled under :func:`intervention_key` with the field's name, on its
        own stream; none by default.
        """
        return {}

    def apply(
        self, builder: EffectBuilder, index: int, amount: np.ndarray, fraction: np.ndarray
    ) -> None:
        """Add this intervention's effect and cost to ``builder``.

        Parameters
        ----------
        builder
            The effects of the scenario so far, and the primitives that add to them.
        index
            Position of the intervention in the scenario (names its assumptions).
        amount
            ``(Dp,)`` sampled amounts (Dp = 1 when the amount is certain).
        fraction
            ``(T+1,)`` ramp: the fraction of full effect in each model year.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement apply")


def type_names(cls: type[Intervention]) -> tuple[str, ...]:
    """Return the names a class's ``type`` field accepts (empty for a shared base class)."""
    annotation = cls.model_fields["type"].annotation
    if get_origin(annotation) is not Literal:
        return ()
    return tuple(str(tag) for tag in get_args(annotation))


_REGISTRY: dict[str, type[Intervention]] = {}


def _register(cls: type[Intervention], tags: tuple[str, ...]) -> None:
    missing = [name for name in _DECLARED if not hasattr(cls, name)]
    if missing:
        raise TypeError(f"intervention type {cls.__name__} does not declare {missing}")
    if cls.apply is Intervention.apply:
        raise TypeError(f"intervention type {cls.__name__} does not implement apply")
    taken = [tag for tag in tags if tag in _REGISTRY]
    if taken:
        raise TypeError(f"intervention type(s) {taken} are already registered")
    for tag in tags:
        _REGISTRY[tag] = cls


def unregister(cls: type[Intervention]) -> None:
    """Remove a registered type (for tests that define a type of their own)."""
    for tag in type_names(cls):
        if _REGISTRY.get(tag) is cls:
            del _REGISTRY[tag]


#: The modules of the built-in types, in the order of the table of types in docs/model.md.
BUILTIN_MODULES = ("wfplan.model.intervention_types", "wfplan.model.wellbeing",
                   "wfplan.model.intervention_skills", "wfplan.model.care_pay")


def registered_types() -> Mapping[str, type[Intervention]]:
    """Every registered type name (aliases included) and its class, in a fixed order.

    The built-in types by :data:`BUILTIN_MODULES`, each module's in the order it
    defines them, then any other (a test's own) in registration order: the same
    whichever module was imported first.
    """
    _load_builtin_types()
    rank = {name: index for index, name in enumerate(BUILTIN_MODULES)}
    return dict(sorted(_REGISTRY.items(),
                       key=lambda item: rank.get(item[1].__module__, len(rank))))


def intervention_classes() -> tuple[type[Intervention], ...]:
    """Every registered class once, in registration order."""
    return tuple(dict.fromkeys(registered_types().values()))


def _load_builtin_types() -> None:
    # the built-in types register themselves when their module is imported
    for name in BUILTIN_MODULES:
        importlib.import_module(name)


@functools.cache
def _adapter(classes: tuple[type[Intervention], ...]) -> TypeAdapter[Any]:
    union = functools.reduce(operator.or_, classes)
    record: Any = Annotated[union, Field(discriminator="type")]
    return TypeAdapter(record)


def union_adapter() -> TypeAdapter[Any]:
    """Return a validator (and JSON Schema) of one record of any registered type."""
    return _adapter(intervention_classes())


def _validate(value: object) -> Intervention:
    if isinstance(value, Intervention):
        return value
    record: Intervention = union_adapter().validate_python(value)
    return record


#: A scenario's intervention record: validated as the registered type its ``type`` names.
InterventionRecord = SerializeAsAny[Annotated[Intervention, PlainValidator(_validate)]]


def intervention_key(index: int, intervention: Intervention, field: str = "amount") -> str:
    """Name under which an intervention's uncertain amount (or other ``field``) is sampled.

    Named interventions keep their draws when others are added or reordered.
    """
    label = intervention.name if intervention.name else f"[{index}]"
    return f"interventions.{label}.{field}"


def _bounds(cls: type[Intervention]) -> str:
    low, high = cls.amount_range
    if math.isinf(high):
        return f">= {low:g}"
    default = cls.model_fields["amount"].default
    suffix = f", default {default:g}" if isinstance(default, int | float) else ""
    return f"{low:g} to {high:g}{suffix}"


def intervention_table_markdown() -> str:
    """Render the table of registered types in ``docs/model.md`` from their declarations."""
    lines = [
        "| type | driver | amount | arrives | cost_per_unit is charged per | extra fields |",
        "|---|---|---|---|---|---|",
    ]
    for cls in intervention_classes():
        names = " / ".join(f"`{tag}`" for tag in type_names(cls))
        cells = [names, cls.driver.value, f"{cls.amount_meaning} ({_bounds(cls)})",
                 cls.timing, cls.cost_unit, cls.extra_fields]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
