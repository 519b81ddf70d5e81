"""The options of the assessments page's form that starts a sensitivity analysis.

``POST /sensitivity`` (:func:`wfplan.web.pages.assessments.start`) reads them here.

The form names a kept scenario and the options of ``wfplan sensitivity`` (the API's
:class:`~wfplan.web.models.SensitivityRequest`): the Monte Carlo draws of the variance
shares, the year of the gap, other areas to analyse, and a spread for every fixed
number (given on the form in per cent). An empty option is the scenario's own.

A value that is not a number is the page's error; every other error (a negative
draw count, a spread over 100 %, too many areas) is the API's 422. Either way the
assessments page is shown again (400) with the values as typed, an error summary and
each error by its control, and nothing is started. With no error the API queues the
job (audited by the API) and the browser goes to the job's page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from wfplan.web.pages.api import _detail

#: The form's option fields: name, label, hint, and the API's field it fills.
OPTIONS = (
    ("draws", "Monte Carlo draws for the variance shares",
     "A whole number; 0 for no variance shares. Empty: the scenario's own.", "draws"),
    ("year", "Year of the gap", "For example 2035. Empty: the scenario's final year.", "year"),
    ("areas", "Also these areas",
     "Codes at the scenario's level, separated by commas or spaces (for example QMJ, QKK). "
     "Empty: England only.", "areas"),
    ("spread", "Move every fixed number by (%)",
     "For example 10 to move each fixed number down and up by 10%. Empty: none.",
     "fixed_spread"),
)
_SPLIT = re.compile(r"[\s,;]+")


@dataclass
class SensitivityForm:
    """The form as typed, the API body it makes, and the errors by field."""

    values: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def fields(self) -> list[dict[str, str]]:
        """Return each option with its label, hint, value and error, for the template."""
        return [{"name": name, "label": label, "hint": hint,
                 "value": self.values.get(name, ""), "error": self.errors.get(name, "")}
                for name, label, hint, _ in OPTIONS]

    def error_list(self) -> list[dict[str, str]]:
        """Return the error summary's items, each linked to its control."""
        return [{"text": text, "href": f"#{name}"} for name, text in self.errors.items()]


def parse(form: Mapping[str, Any]) -> SensitivityForm:
    """Read the options of ``form``: the API's body, or the page's errors for non-numbers."""
    values = {name: str(form.get(name) or "").strip() for name, *_ in OPTIONS}
    parsed = SensitivityForm(values)
    for name, number in (("draws", int), ("year", int), ("spread", float)):
        text = values[name].replace(",", "") if name != "spread" else values[name]
        if not text:
            continue
        try:
            parsed.body[_api_field(name)] = number(text.removesuffix("%"))
        except ValueError:
            kind = "a whole number" if number is int else "a number"
            parsed.errors[name] = f"{_label(name)} must be {kind}, not {values[name]!r}."
    if "fixed_spread" in parsed.body:
        parsed.body["fixed_spread"] = parsed.body["fixed_spread"] / 100.0
    areas = [code.upper() for code in _SPLIT.split(values["areas"]) if code]
    if areas:
        parsed.body["areas"] = areas
    return parsed


def api_errors(parsed: SensitivityForm, response: httpx.Response) -> None:
    """Put the API's 422 errors on the form's fields (or on the scenario)."""
    fields = {api: name for name, _, _, api in OPTIONS}
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    if not isinstance(detail, list):
        parsed.errors["scenario"] = _detail(response)
        return
    for item in detail:
        location = [str(part) for part in item.get("loc", [])] if isinstance(item, dict) else []
        name = next((fields[p] for p in reversed(location) if p in fields), "scenario")
        message = str(item.get("msg", item)) if isinstance(item, dict) else str(item)
        text = f"{_label(name)}: {message}"
        parsed.errors[name] = (f"{parsed.errors[name]} {text}" if name in parsed.errors
                               else text)


def _api_field(name: str) -> str:
    return next(api for n, _, _, api in OPTIONS if n == name)


def _label(name: str) -> str:
    return next((label for n, label, _, _ in OPTIONS if n == name), "Kept scenario")
