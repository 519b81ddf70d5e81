"""wfplan.model: the projection model core (pure NumPy; no I/O, no database, no UI).

Typical use::

    from wfplan.model import load_scenario_text, run, to_long

    scenario = load_scenario_text(toml_text)
    results = run(inputs, scenario)          # inputs: ModelInputs from the dataset
    table = to_long(results)                 # IAMC long table with P5/P50/P95

See ``docs/model.md`` for the method, equations and parameters.
"""

from importlib import import_module
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

# These two share their module's name: bound now, or importing the module would
# leave the package's attribute the module (both are light: NumPy only).
from wfplan.model.aggregate import aggregate
from wfplan.model.labelled import Coords, LabelledArray, labelled

if TYPE_CHECKING:
    from wfplan.model.engine import run
    from wfplan.model.errors import ModelInputError, ScenarioError
    from wfplan.model.inputs import INPUT_DIMS, ModelInputs
    from wfplan.model.long_table import to_long
    from wfplan.model.parameters import ParameterSpec, parameter_table, parameter_table_markdown
    from wfplan.model.results import VARIABLES, Results
    from wfplan.model.scenario import (
        Scenario,
        load_scenario_text,
        parse_scenario,
        scenario_json_schema,
    )
    from wfplan.model.uncertainty import STATISTICS

#: Where each public name lives: imported on first use (``wfplan.model.levels``,
#: needed by the dataset's geography, then does not import pydantic and the engine).
_HOMES = {
    "run": "engine", "ModelInputError": "errors",
    "ScenarioError": "errors", "INPUT_DIMS": "inputs", "ModelInputs": "inputs",
    "to_long": "long_table", "ParameterSpec": "parameters",
    "parameter_table": "parameters", "parameter_table_markdown": "parameters",
    "VARIABLES": "results", "Results": "results", "Scenario": "scenario",
    "load_scenario_text": "scenario", "parse_scenario": "scenario",
    "scenario_json_schema": "scenario", "STATISTICS": "uncertainty",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562); submodules too, as before."""
    home = _HOMES.get(name)
    if home is None:
        if name.startswith("_") or find_spec(f"wfplan.model.{name}") is None:
            raise AttributeError(f"module 'wfplan.model' has no attribute {name!r}")
        return import_module(f"wfplan.model.{name}")
    value = getattr(import_module(f"wfplan.model.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "INPUT_DIMS",
    "STATISTICS",
    "VARIABLES",
    "Coords",
    "LabelledArray",
    "ModelInputError",
    "ModelInputs",
    "ParameterSpec",
    "Results",
    "Scenario",
    "ScenarioError",
    "aggregate",
    "labelled",
    "load_scenario_text",
    "parameter_table",
    "parameter_table_markdown",
    "parse_scenario",
    "run",
    "scenario_json_schema",
    "to_long",
]
