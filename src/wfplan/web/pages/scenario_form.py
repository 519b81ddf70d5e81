"""The scenario builder's form: its controls, read back into a scenario, and its errors.

The form edits the dict ``tomllib`` reads from a scenario file (the base: a shipped
or kept scenario). Each control is one field of that file:

- the scenario's ``name``, ``title``, ``base_vintage``, ``horizon``, ``draws`` and ``seed``;
- for each intervention of the base (form prefix ``ivN``): its ``staff_group``,
  ``area`` (employer hubs), ``amount`` (a number, or each number of its
  distribution table), ``start_year`` and ``ramp_years``, and a box to remove it;
  its other fields (``cost_per_unit``, ``source``, ``owner``, ...) are kept as they are;
- one "add" group per lever (prefix ``new-TYPE``): an intervention of that type is
  added when its amount is filled in, with ``source`` from its field and the
  visitor as ``owner``.

:func:`read_form` builds the scenario from the base and the submitted fields; it
checks only that numbers are numbers (the page's job: TOML needs a number). Every
other rule is the API's (``POST /api/v1/scenarios/validate``): :func:`field_errors`
puts each of its problems next to the control of the field it names.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wfplan.model.interventions_spec import registered_types
from wfplan.report import format as fmt

#: The levers the builder offers to add: type → (legend, amount label, hint, suffix).
LEVERS: dict[str, tuple[str, str, str, str]] = {
    "training_places": ("Training places", "Extra training places a year",
                        "Extra intakes a year at full effect; they join the staff group after "
                        "the group's training duration, times completion and take-up.",
                        "places a year"),
    "retention": ("Retention", "Cut in leaver rates",
                  "A fraction from -1 to 1: 0.1 means leaver rates 10% lower at full effect.",
                  "fraction"),
    "international_recruitment": ("International recruitment", "Extra international recruits "
                                  "a year", "Headcount a year at full effect, joining the same "
                                  "year.", "recruits a year"),
    "return_to_practice": ("Return to practice", "Extra returners a year",
                           "Headcount a year at full effect, joining the same year.",
                           "returners a year"),
    "flexible_working": ("Flexible working", "Change in FTE per head",
                         "A fraction from -0.5 to 0.5: 0.02 means 2% more hours per head at "
                         "full effect.", "fraction"),
    "employer_hub": ("Employer hubs", "Local joiners a year",
                     "Joiners a year into one ICB at full effect, arriving the hub's lead time "
                     "after intake.", "joiners a year"),
}
#: The ``source`` of an intervention added in the builder, unless the visitor gives one.
DEFAULT_SOURCE = "A what-if set in the wfplan dashboard (not a published figure)"
_INTEGER = re.compile(r"^-?\d+$")


@dataclass
class Control:
    """One form control: its name (and id), label, hint, value, kind and error."""

    name: str
    label: str
    value: str = ""
    kind: str = "number"  # number, integer, text, select, checkbox
    hint: str | None = None
    suffix: str | None = None
    options: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    width: int = 10

    @property
    def checked(self) -> bool:
        """Whether a checkbox is ticked."""
        return self.value not in ("", "0", "false")

    def items(self) -> list[dict[str, Any]]:
        """Return a select's items for the NHS.UK macro (the value selected)."""
        return [{"value": v, "text": t, "selected": v == self.value} for v, t in self.options]


@dataclass
class Group:
    """A fieldset of the form: its legend, id, controls and a line about what is kept."""

    legend: str
    id: str
    controls: list[Control]
    kept: str | None = None


@dataclass
class Choices:
    """The options of the selects: staff groups, ICBs (employer hubs) and vintages."""

    staff_groups: list[tuple[str, str]]
    areas: list[tuple[str, str]]
    vintages: list[tuple[str, str]]
    first_year: int
    home: str | None = None


def _text(item: Any) -> str:
    if item is None:
        return ""
    if isinstance(item, float) and item.is_integer():
        return str(int(item)) if abs(item) < 1e15 else repr(item)
    return str(item)


def _shown(values: Mapping[str, str] | None, name: str, default: Any) -> str:
    if values is None:
        return _text(default)
    return str(values.get(name, ""))


def _meaning(kind: str) -> tuple[str, str, str]:
    """Return an intervention type's amount label, hint and suffix."""
    if kind in LEVERS:
        return LEVERS[kind][1:]
    cls = registered_types().get(kind)
    meaning = cls.amount_meaning if cls is not None else "amount"
    return "Amount", f"{meaning[:1].upper()}{meaning[1:]}.", ""


def _group_options(kind: str, choices: Choices) -> list[tuple[str, str]]:
    cls = registered_types().get(kind)
    every = [("all", "All staff groups")] if cls is not None and cls.allows_all_groups else []
    return every + choices.staff_groups


def _amount_controls(prefix: str, kind: str, amount: Any,
                     values: Mapping[str, str] | None) -> list[Control]:
    label, hint, suffix = _meaning(kind)
    if isinstance(amount, Mapping):
        dist = str(amount.get("dist", ""))
        return [Control(f"{prefix}-amount-{key}", f"{label}: {key} of the {dist} distribution",
                        _shown(values, f"{prefix}-amount-{key}", number),
                        hint=hint if i == 0 else None, suffix=suffix)
                for i, (key, number) in enumerate(
                    (k, v) for k, v in amount.items() if k != "dist")]
    return [Control(f"{prefix}-amount", label, _shown(values, f"{prefix}-amount", amount),
                    hint=hint, suffix=suffix)]


def _timing(prefix: str, item: Mapping[str, Any], values: Mapping[str, str] | None,
            choices: Choices) -> list[Control]:
    return [Control(f"{prefix}-start_year", "Start year",
                    _shown(values, f"{prefix}-start_year", item.get("start_year",
                                                                    choices.first_year)),
                    kind="integer", hint="The calendar year it starts: after the base year.",
                    width=4),
            Control(f"{prefix}-ramp_years", "Years to full effect",
                    _shown(values, f"{prefix}-ramp_years", item.get("ramp_years", 0)),
                    kind="integer", hint="0 for full effect at once (up to 25).", suffix="years",
                    width=3)]


def _where(prefix: str, kind: str, item: Mapping[str, Any], values: Mapping[str, str] | None,
           choices: Choices) -> list[Control]:
    out = [Control(f"{prefix}-staff_group", "Staff group",
                   _shown(values, f"{prefix}-staff_group", item.get("staff_group", "all")),
                   kind="select", options=_group_options(kind, choices))]
    if kind == "employer_hub":
        out.append(Control(f"{prefix}-area", "Area (ICB) of the hub",
                           _shown(values, f"{prefix}-area", item.get("area", choices.home)),
                           kind="select", options=choices.areas))
    return out


def existing_group(index: int, item: Mapping[str, Any], values: Mapping[str, str] | None,
                   choices: Choices) -> Group:
    """Return the fieldset of the base's intervention ``index`` (prefix ``ivN``)."""
    prefix, kind = f"iv{index}", str(item.get("type", ""))
    name = item.get("name") or f"intervention {index + 1}"
    legend = f"{LEVERS.get(kind, (fmt.words(kind),))[0]}: {name}"
    controls = [*_where(prefix, kind, item, values, choices),
                *_amount_controls(prefix, kind, item.get("amount"), values),
                *_timing(prefix, item, values, choices),
                Control(f"{prefix}-remove", "Remove this intervention",
                        _shown(values, f"{prefix}-remove", ""), kind="checkbox")]
    edited = {"type", "name", "staff_group", "area", "amount", "start_year", "ramp_years"}
    rest = [k for k in item if k not in edited]
    kept = ("Kept as they are: " + ", ".join(f"{k} = {_text(item[k])}" for k in rest)) if rest \
        else None
    return Group(legend, prefix, controls, kept)


def new_group(kind: str, values: Mapping[str, str] | None, choices: Choices) -> Group:
    """Return the fieldset that adds an intervention of one lever (prefix ``new-TYPE``)."""
    prefix = f"new-{kind}"
    controls = [*_where(prefix, kind, {}, values, choices),
                *_amount_controls(prefix, kind, None, values),
                *_timing(prefix, {}, values, choices),
                Control(f"{prefix}-source", "Source of the amount",
                        _shown(values, f"{prefix}-source", DEFAULT_SOURCE), kind="text",
                        hint="Where the figure comes from, or why it is assumed.", width=30)]
    controls[len(_where(prefix, kind, {}, values, choices))].hint = (
        f"{LEVERS[kind][2]} Leave empty to add none.")
    return Group(f"Add {LEVERS[kind][0].lower()}", prefix, controls)


def scenario_group(base: Mapping[str, Any], values: Mapping[str, str] | None,
                   choices: Choices) -> Group:
    """Return the fieldset of the scenario's own fields."""
    return Group("The scenario", "scenario", [
        Control("name", "Name", _shown(values, "name", base.get("name")), kind="text",
                hint="Letters, digits, dots, dashes and underscores.", width=20),
        Control("title", "Title", _shown(values, "title", base.get("title")), kind="text",
                hint="What reports call it (up to 80 characters).", width=30),
        Control("base_vintage", "Vintage of the inputs",
                _shown(values, "base_vintage", base.get("base_vintage") or ""),
                kind="select", options=[("", "The newest vintage"), *choices.vintages]),
        Control("horizon", "Horizon", _shown(values, "horizon", base.get("horizon")),
                kind="integer", hint="Years projected after the base year (1 to 25).",
                suffix="years", width=3),
        Control("draws", "Number of Monte Carlo draws",
                _shown(values, "draws", base.get("draws", 0)), kind="integer",
                hint="0 for the central run only (no range); more draws take longer.",
                width=5),
        Control("seed", "Random seed", _shown(values, "seed", base.get("seed", 0)),
                kind="integer", hint="The same seed and draws give the same results.",
                width=10)])


def groups(base: Mapping[str, Any], values: Mapping[str, str] | None,
           choices: Choices) -> list[Group]:
    """Return every fieldset of the form, in order (values: the submitted form, or None)."""
    return [scenario_group(base, values, choices),
            *(existing_group(i, item, values, choices)
              for i, item in enumerate(base.get("interventions", []))),
            *(new_group(kind, values, choices) for kind in LEVERS)]


def noun(label: str) -> str:
    """Return a label as it reads inside a sentence (``Start year`` → ``start year``)."""
    return label[:1].lower() + label[1:]


def _number(text: str, control: Control) -> tuple[int | float | None, str | None]:
    """Return the number typed in a control, or the error to show beside it."""
    text = text.strip().replace(",", "")
    if control.kind == "integer":
        if _INTEGER.match(text):
            return int(text), None
        return None, f"Enter {noun(control.label)} as a whole number"
    try:
        number = float(text)
    except ValueError:
        return None, f"Enter {noun(control.label)} as a number"
    return (int(number) if number.is_integer() and "." not in text and "e" not in text.lower()
            else number), None


@dataclass
class Built:
    """The scenario read from the form: its dict, the prefix of each intervention, errors."""

    scenario: dict[str, Any]
    prefixes: list[str]
    errors: dict[str, str]


def _read(control: Control, form: Mapping[str, str], errors: dict[str, str]) -> Any:
    text = str(form.get(control.name, "")).strip()
    if control.kind in ("text", "select"):
        return text
    number, problem = _number(text, control)
    if problem:
        errors[control.name] = problem
    return number


#: The schema's defaults of fields the form shows: left out of the file when absent and kept.
DEFAULTS = {"ramp_years": 0, "draws": 0, "seed": 0}


def _set(item: dict[str, Any], key: str, found: Any, base: Mapping[str, Any]) -> None:
    """Set a field, but leave out one the base had not that keeps its default."""
    if key not in base and key in DEFAULTS and found == DEFAULTS[key]:
        return
    item[key] = found


def _apply(item: dict[str, Any], prefix: str, group: Group, form: Mapping[str, str],
           errors: dict[str, str]) -> None:
    """Set the intervention's fields from its group's controls."""
    base = copy.deepcopy(item)
    for control in group.controls:
        key = control.name.removeprefix(prefix + "-")
        if key == "remove":
            continue
        found = _read(control, form, errors)
        if key.startswith("amount-"):
            item["amount"][key.removeprefix("amount-")] = found
        elif key == "area" and found == "":
            item.pop("area", None)
        else:
            _set(item, key, found, base)


def read_form(base: Mapping[str, Any], form: Mapping[str, str], choices: Choices,
              owner: str) -> Built:
    """Return the scenario the form describes: the base with the controls' values applied."""
    scenario = copy.deepcopy(dict(base))
    errors: dict[str, str] = {}
    for control in scenario_group(base, form, choices).controls:
        found = _read(control, form, errors)
        if control.name in ("title", "base_vintage") and found == "":
            scenario.pop(control.name, None)
        else:
            _set(scenario, control.name, found, base)
    kept, prefixes = [], []
    for index, item in enumerate(base.get("interventions", [])):
        group = existing_group(index, item, form, choices)
        if str(form.get(f"iv{index}-remove", "")) not in ("", "0"):
            continue
        edited = copy.deepcopy(dict(item))
        _apply(edited, group.id, group, form, errors)
        kept.append(edited)
        prefixes.append(group.id)
    for kind in LEVERS:
        group = new_group(kind, form, choices)
        if not str(form.get(f"{group.id}-amount", "")).strip():
            continue
        added: dict[str, Any] = {"name": _new_name(kind, kept), "type": kind}
        _apply(added, group.id, group, form, errors)
        added["owner"] = owner
        kept.append(added)
        prefixes.append(group.id)
    scenario["interventions"] = kept
    if not kept:
        scenario.pop("interventions")
    return Built(scenario, prefixes, errors)


def _new_name(kind: str, items: Sequence[Mapping[str, Any]]) -> str:
    """Return a name for an added intervention that no other has (``retention_dashboard``)."""
    taken = {str(i.get("name")) for i in items}
    name, n = f"{kind}_dashboard", 1
    while name in taken:
        n += 1
        name = f"{kind}_dashboard_{n}"
    return name


_LOCATION = re.compile(r"^interventions\[(\d+)\](?:\.([a-z_]+))?(?:\.([a-z_]+))?")


def field_of(column: str | None, rule: str, built: Built) -> str | None:
    """Return the control an API problem is about (None: the form as a whole).

    ``column`` is the API's (``horizon``, ``interventions[2].retention.amount``); a
    problem of a whole intervention (``interventions[2].retention: amount = 2 is above
    the maximum 1``) is the control of the field its sentence starts with.
    """
    if not column:
        return None
    found = _LOCATION.match(column)
    if found is None:
        top = column.split(".")[0].split("[")[0]
        return top if top in ("name", "title", "base_vintage", "horizon", "draws",
                              "seed") else None
    index = int(found.group(1))
    if index >= len(built.prefixes):
        return None
    prefix = built.prefixes[index]
    named = found.group(3) or (found.group(2) if found.group(2) not in registered_types()
                               else None) or rule.split(" ")[0]
    item = built.scenario.get("interventions", [])[index]
    if named == "amount" and isinstance(item.get("amount"), Mapping):
        first = next((k for k in item["amount"] if k != "dist"), None)
        return f"{prefix}-amount-{first}" if first else f"{prefix}-amount"
    if named in ("staff_group", "area", "amount", "start_year", "ramp_years", "source"):
        return f"{prefix}-{named}"
    return f"{prefix}-staff_group"


def field_errors(problems: Sequence[Mapping[str, Any]], built: Built,
                 names: set[str]) -> tuple[dict[str, str], list[str]]:
    """Return the API's problems by control (one each), and those of no control shown."""
    by_field: dict[str, str] = {}
    others: list[str] = []
    for problem in problems:
        column, rule = problem.get("column"), str(problem.get("rule", ""))
        where = field_of(str(column) if column else None, rule, built)
        sentence = f"{rule[:1].upper()}{rule[1:]}"
        if where in names and where not in by_field:
            by_field[where] = sentence
        elif where not in names:
            others.append(f"{column}: {rule}" if column else sentence)
    return by_field, others
