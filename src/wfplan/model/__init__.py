"""wfplan.model: the projection model core (pure NumPy; no I/O, no database, no UI).

Typical use::

    from wfplan.model import load_scenario_text, run, to_long

    scenario = load_scenario_text(toml_text)
    results = run(inputs, scenario)          # inputs: ModelInputs from the dataset
    table = to_long(results)                 # IAMC long table with P5/P50/P95

See ``docs/model.md`` for the method, equations and parameters.
"""

from wfplan.model.aggregate import aggregate
from wfplan.model.engine import run
from wfplan.model.errors import ModelInputError, ScenarioError
from wfplan.model.inputs import INPUT_DIMS, ModelInputs
from wfplan.model.labelled import Coords, LabelledArray, labelled
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
