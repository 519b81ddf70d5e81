"""The parameter table: typed, sourced, in range, agreeing with the model; the docs show it."""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from wfplan.model import Coords, ModelInputs, parameter_table, parameter_table_markdown
from wfplan.model.inputs import _CONSTANT_DEFAULTS, _SILENT_DEFAULTS, INPUT_DIMS
from wfplan.model.interventions_spec import intervention_classes
from wfplan.model.labelled import LabelledArray
from wfplan.model.parameters import DefaultKind, Kind, Status, ValueType, get_spec
from wfplan.model.results import _DERIVED, PRIMARY_VARIABLES, VARIABLES

ROOT = Path(__file__).resolve().parents[2]
COORDS = Coords(area=("A", "B"), staff_group=("g", "h"), age_band=("young", "old"))


def test_every_row_has_a_kind_type_status_unit_description_and_source():
    names = [spec.name for spec in parameter_table()]
    assert len(names) == len(set(names))
    for spec in parameter_table():
        assert isinstance(spec.kind, Kind)
        assert isinstance(spec.type, ValueType)
        assert spec.status is (Status.OUTPUT if spec.kind is Kind.VARIABLE else Status.INPUT)
        assert spec.unit, spec.name
        assert spec.description, spec.name
        assert spec.source, spec.name


def test_defaults_are_values_of_their_type_within_their_ranges():
    for spec in parameter_table():
        default = spec.default
        if spec.kind is Kind.VARIABLE:
            assert default.kind is DefaultKind.VALUE
            assert default.value is None, spec.name
            continue
        if default.kind is not DefaultKind.VALUE:
            continue
        if spec.is_categorical:
            assert isinstance(default.value, str), spec.name
            continue
        assert isinstance(default.value, float), spec.name
        assert not math.isnan(default.value)
        assert spec.minimum <= default.value <= spec.maximum, spec.name
        if spec.type is ValueType.INT:
            assert default.value.is_integer(), spec.name


def _array_fields() -> dict[str, dataclasses.Field]:
    return {item.name: item for item in dataclasses.fields(ModelInputs)
            if "LabelledArray" in str(item.type)}


def test_the_model_reads_exactly_the_tables_input_arrays_with_their_dims():
    fields = _array_fields()
    assert set(fields) == set(INPUT_DIMS)
    for name, field in fields.items():
        spec = get_spec(name)
        assert spec.kind is Kind.INPUT
        assert INPUT_DIMS[name] == spec.dims
        required = field.default is dataclasses.MISSING
        assert required == (spec.default.kind is DefaultKind.REQUIRED), name


def test_the_other_input_rows_are_intervention_defaults_or_the_dataset_layers():
    declared = {row for cls in intervention_classes() for row in cls.defaults.values()}
    for spec in parameter_table():
        if spec.kind is not Kind.INPUT or spec.name in INPUT_DIMS:
            continue
        if spec.dims:
            # read by the layer that builds the inputs, never by the model
            assert spec.default.kind is DefaultKind.DERIVED, spec.name
            assert spec.default.layer == "dataset", spec.name
        else:
            assert spec.name in declared, f"{spec.name}: no intervention type reads it"
    for row in declared:
        spec = get_spec(row)
        assert spec.kind is Kind.INPUT
        assert not spec.dims
        assert isinstance(spec.default.value, float)


def _minimal(**arrays):
    given = {
        "age_band_width": COORDS.label("age_band", [10.0, np.inf]),
        "stock_hc": COORDS.label("area staff_group age_band", np.full((2, 2, 2), 10.0)),
        "joiner_age_profile": COORDS.label("staff_group age_band", [[0.6, 0.4], [0.5, 0.5]]),
        "other_joiners": COORDS.label("area staff_group", np.ones((2, 2))),
    }
    given.update(arrays)
    return ModelInputs(coords=COORDS, base_year=2024, **given)


def test_every_input_left_out_is_filled_as_the_table_says_and_recorded():
    inputs = _minimal()
    recorded = {item.name: item.value for item in inputs.assumptions}
    for name in INPUT_DIMS:
        spec = get_spec(name)
        if spec.default.kind is DefaultKind.REQUIRED:
            assert name not in recorded
            continue
        if name in _SILENT_DEFAULTS:  # census trends: the calibration records their use
            assert name not in recorded
            np.testing.assert_array_equal(getattr(inputs, name).values, spec.default_value)
            continue
        assert name in recorded, name
        array = getattr(inputs, name)
        assert isinstance(array, LabelledArray)
        assert array.dims == spec.dims
        if spec.default.kind is DefaultKind.DERIVED:
            assert spec.default.layer == "model"
            assert recorded[name] == spec.default_text
        else:
            assert recorded[name] == spec.default_value
            np.testing.assert_array_equal(array.values, spec.default_value)
    assert set(_CONSTANT_DEFAULTS) - _SILENT_DEFAULTS <= set(recorded)


def test_every_required_input_left_out_is_refused():
    required = [name for name in INPUT_DIMS
                if get_spec(name).default.kind is DefaultKind.REQUIRED]
    assert required
    given = {
        "age_band_width": COORDS.label("age_band", [10.0, np.inf]),
        "stock_hc": COORDS.label("area staff_group age_band", np.ones((2, 2, 2))),
        "joiner_age_profile": COORDS.label("staff_group age_band", np.full((2, 2), 0.5)),
        "other_joiners": COORDS.label("area staff_group", np.ones((2, 2))),
    }
    assert set(required) == set(given)
    for name in required:
        arrays = {key: value for key, value in given.items() if key != name}
        with pytest.raises(TypeError, match=name):
            ModelInputs(coords=COORDS, base_year=2024, **arrays)


def test_an_optional_dimension_may_be_left_out():
    spec = get_spec("training_places")
    assert spec.optional_dims == ("year",)
    inputs = _minimal(training_places=COORDS.label("staff_group", [5.0, 6.0]))
    assert inputs.training_places.dims == ("year", "staff_group")
    assert inputs.training_years == (2024,)


def test_the_tables_variables_are_the_models_outputs():
    variables = {spec.name for spec in parameter_table() if spec.kind is Kind.VARIABLE}
    assert variables == set(VARIABLES)
    assert set(VARIABLES) == set(PRIMARY_VARIABLES) | set(_DERIVED)
    for name in VARIABLES:
        assert get_spec(name).dims == ("draw", "year", "area", "staff_group")


def test_docs_contain_the_rendered_table():
    docs = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert parameter_table_markdown() in docs, (
        "docs/model.md is stale: paste wfplan.model.parameter_table_markdown() into it"
    )
