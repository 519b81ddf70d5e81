"""Scenario specification: what to project, with which parameters and interventions.

A scenario is plain data, validated by pydantic (v2) against the parameter
table. The CLI reads the file; this module only parses text or dicts::

    scenario = load_scenario_text(Path("scenarios/ltwp.toml").read_text())

Parameters are set under ``[parameters]`` (every staff group) and may be
overridden per staff group under ``[staff_group_parameters.<code>]``; any value
may be a number, a name (categories) or a distribution table.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from wfplan.model.distributions import Distribution
from wfplan.model.errors import ScenarioError
from wfplan.model.interventions_spec import InterventionRecord, intervention_key, union_adapter
from wfplan.model.levels import LEVELS, Level
from wfplan.model.parameters import ParameterSpec, get_spec, specs_of_kind
from wfplan.model.plan_summary import PlanSummary, check_plan
from wfplan.model.skills import Substitution
from wfplan.model.values import (
    check_category,
    check_number_or_distribution,
    format_location,
    parse_value,
)

ParameterValue = Annotated[
    float | str | Distribution,
    BeforeValidator(parse_value),
]
ParameterValues = dict[str, ParameterValue]



def _parameter_problem(name: str, value: Any, per_group: bool) -> str | None:
    try:
        spec = get_spec(name)
    except KeyError:
        spec = None
    if spec is None or spec.kind != "parameter":
        return f"{name}: unknown parameter (see the parameter table in docs/model.md)"
    if per_group and not spec.per_staff_group:
        return f"{name}: cannot be set per staff group"
    problem = (
        check_category(value)
        if spec.is_categorical
        else check_number_or_distribution(value, (spec.minimum, spec.maximum))
    )
    return f"{name} {problem} ({spec.unit})" if problem else None


def _check_parameters(values: object, per_group: bool) -> object:
    """Parse and range-check every value, reporting all problems at once."""
    if not isinstance(values, Mapping):
        return values  # pydantic reports the wrong type
    parsed: dict[str, Any] = {}
    found = []
    for name, value in values.items():
        try:
            parsed[name] = parse_value(value)
        except ValueError as error:
            found.append(f"{name}: {error}")
            continue
        problem = _parameter_problem(name, parsed[name], per_group)
        if problem:
            found.append(problem)
    if found:
        raise ValueError("\n".join(found))
    return parsed


class Scenario(BaseModel):
    """A named projection scenario.

    Attributes
    ----------
    name, title, description
        Identifier (letters, digits, ``_ . -``); the title reports show (the name if
        empty); free text.
    base_vintage, base_period
        The dataset vintage and census period the inputs come from (recorded).
    horizon
        Years projected after the base year (1 to 25).
    level
        Area level of the inputs: ``england``, ``region``, ``icb`` or ``org``.
    staff_groups
        Staff group codes to project, or ``"all"``.
    roles
        Staff groups to project by role (``"all"``: every group that has roles),
        each replaced by its roles on the staff-group dimension
        (:mod:`wfplan.model.roles`; the inputs layer splits them); interventions and
        per-group parameters may then name roles. None (the default): by staff group.
    substitutions
        Substitutions allowed between roles (skill mix, as data) in the skills-gap
        view of a run by role (:mod:`wfplan.model.skills`); None: none.
    parameters, staff_group_parameters
        Values for the parameter table's ``parameter`` rows; the second maps a
        staff group code to overrides for that group.
    interventions
        Typed intervention records.
    draws, seed
        Monte Carlo draws after the principal run (0 to 100,000) and the seed.
    plan
        The ``[plan]`` table of a scenario written by ``wfplan plan``: the plan's
        own summary (:class:`~wfplan.model.plan_summary.PlanSummary`), shown by the
        report and the dashboard and ignored by the model; None for any other.
    """

    # A level is kept as its value (a plain string), as results' metadata record it.
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    title: str = Field(default="", max_length=80)
    description: str = ""
    base_vintage: str | None = None
    base_period: str | None = None
    horizon: int = Field(ge=1, le=25)
    # the schema inlines the levels, as scenario files' editors have always been shown them
    level: Annotated[Level, WithJsonSchema({"enum": list(LEVELS), "title": "Level",
                                            "type": "string"})]
    staff_groups: Literal["all"] | list[Annotated[str, Field(min_length=1)]] = "all"
    roles: Literal["all"] | list[Annotated[str, Field(min_length=1)]] | None = None
    substitutions: list[Substitution] | None = None
    parameters: ParameterValues = Field(default_factory=dict)
    staff_group_parameters: dict[str, ParameterValues] = Field(default_factory=dict)
    interventions: list[InterventionRecord] = Field(default_factory=list)
    draws: int = Field(default=0, ge=0, le=100_000)
    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    plan: PlanSummary | None = None

    @field_validator("parameters", mode="before")
    @classmethod
    def _known_parameters(cls, values: object) -> object:
        return _check_parameters(values, per_group=False)

    @field_validator("staff_group_parameters", mode="before")
    @classmethod
    def _known_group_parameters(cls, values: object) -> object:
        if not isinstance(values, Mapping):
            return values
        checked, found = {}, []
        for group, group_values in values.items():
            try:
                checked[group] = _check_parameters(group_values, per_group=True)
            except ValueError as error:
                found += [f"[{group}] {line}" for line in str(error).splitlines()]
        if found:
            raise ValueError("\n".join(found))
        return checked

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        keys = [intervention_key(i, item) for i, item in enumerate(self.interventions)]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"interventions have repeated names: {repeated}")
        if self.staff_groups != "all":
            if len(set(self.staff_groups)) != len(self.staff_groups):
                raise ValueError("staff_groups has repeated codes")
            missing = sorted(self.referenced_staff_groups() - set(self.staff_groups))
            if missing and self.roles is None:  # roles are checked against the inputs
                raise ValueError(f"staff groups {missing} are used but not in staff_groups")
        if self.substitutions is not None and self.roles is None:
            raise ValueError("substitutions need a projection by role (roles)")
        if self.plan is not None:
            problems = check_plan(self.plan, self.interventions)
            if problems:
                raise ValueError("\n".join(problems))
        return self

    def referenced_staff_groups(self) -> set[str]:
        """Staff group codes named by interventions and per-group parameters."""
        groups = set(self.staff_group_parameters)
        for item in self.interventions:
            groups.update(item.staff_group_fields().values())
        groups.discard("all")
        return groups


def _problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        where = format_location(tuple(item["loc"])) or "scenario"
        for line in item["msg"].removeprefix("Value error, ").splitlines():
            problems.append(f"{where}: {line}")
    return problems


def parse_scenario(data: Mapping[str, Any]) -> Scenario:
    """Validate a scenario given as a dict; raise :class:`ScenarioError` on any problem."""
    try:
        return Scenario.model_validate(dict(data))
    except ValidationError as error:
        raise ScenarioError(_problems(error)) from None


def load_scenario_text(text: str) -> Scenario:
    """Parse and validate a scenario from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError([f"TOML: {error}"]) from None
    return parse_scenario(data)


def _parameter_schema(spec: ParameterSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "description": f"{spec.description} Unit: {spec.unit}. Default: {spec.default_text}.",
        "default": spec.default.value if spec.is_categorical else spec.default_value,
    }
    if spec.is_categorical:
        schema["anyOf"] = [{"type": "string"}, {"$ref": "#/$defs/Distribution"}]
    else:
        number: dict[str, Any] = {"type": "number"}
        if spec.minimum > float("-inf"):
            number["minimum"] = spec.minimum
        if spec.maximum < float("inf"):
            number["maximum"] = spec.maximum
        schema["anyOf"] = [number, {"$ref": "#/$defs/Distribution"}]
    return schema


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file, with the parameter table's names and ranges."""
    schema = Scenario.model_json_schema(by_alias=True)
    # the record types come from the registry, so their schema is built as it is now
    records = union_adapter().json_schema(by_alias=True, ref_template="#/$defs/{model}")
    schema["$defs"].update(records.pop("$defs", {}))
    schema["properties"]["interventions"]["items"] = records
    names = ("Triangular", "Normal", "Uniform", "Choice")
    schema["$defs"]["Distribution"] = {
        "oneOf": [{"$ref": f"#/$defs/{name}"} for name in names],
        "discriminator": {
            "propertyName": "dist",
            "mapping": {name.lower(): f"#/$defs/{name}" for name in names},
        },
    }
    parameters = specs_of_kind("parameter")
    properties = {spec.name: _parameter_schema(spec) for spec in parameters}
    per_group = {spec.name: properties[spec.name] for spec in parameters if spec.per_staff_group}
    schema["properties"]["parameters"] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    schema["properties"]["staff_group_parameters"] = {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "properties": per_group,
            "additionalProperties": False,
        },
    }
    return schema
