"""The parameter table: complete, sourced, within range, and the docs show it verbatim."""

import math
from pathlib import Path

from wfplan.model import parameter_table, parameter_table_markdown
from wfplan.model.results import VARIABLES

ROOT = Path(__file__).resolve().parents[2]


def test_every_row_has_a_kind_unit_description_and_source():
    names = [spec.name for spec in parameter_table()]
    assert len(names) == len(set(names))
    for spec in parameter_table():
        assert spec.kind in {"parameter", "input", "variable"}
        assert spec.unit, spec.name
        assert spec.description, spec.name
        assert spec.source, spec.name


def test_numeric_defaults_lie_within_their_ranges():
    for spec in parameter_table():
        if spec.kind == "variable" or spec.is_categorical:
            continue
        try:
            value = spec.default_value
        except ValueError:
            continue  # a described default such as "headcount share"
        assert spec.minimum <= value <= spec.maximum, spec.name
        assert not math.isnan(value)


def test_every_output_variable_is_in_the_table():
    variables = {spec.name for spec in parameter_table() if spec.kind == "variable"}
    assert variables == set(VARIABLES)


def test_docs_contain_the_rendered_table():
    docs = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert parameter_table_markdown() in docs, (
        "docs/model.md is stale: paste wfplan.model.parameter_table_markdown() into it"
    )
