"""Model inputs: named dimensions, coordinate alignment, validation rules and defaults."""

import numpy as np
import pytest

from wfplan.model import Coords, LabelledArray, ModelInputError, ModelInputs, labelled

COORDS = Coords(area=("A", "B"), staff_group=("nurses", "doctors"), age_band=("young", "old"))


def inputs(**changes):
    arrays = {
        "age_band_width": COORDS.label("age_band", [10.0, np.inf]),
        "stock_hc": COORDS.label("area staff_group age_band", np.full((2, 2, 2), 10.0)),
        "joiner_age_profile": COORDS.label("staff_group age_band", [[0.6, 0.4], [0.5, 0.5]]),
        "other_joiners": COORDS.label("area staff_group", np.ones((2, 2))),
    }
    arrays.update(changes)
    return ModelInputs(coords=COORDS, base_year=2024, **arrays)


def test_unnamed_or_misspelt_dimensions_are_refused():
    with pytest.raises(ValueError, match="unknown dimension"):
        LabelledArray(("dim_0",), {"dim_0": ("x",)}, np.zeros(1))
    with pytest.raises(ValueError, match="unknown dimension"):
        labelled("area staffgroup", np.zeros((2, 2)), {"area": "AB", "staffgroup": "xy"})
    with pytest.raises(ValueError, match="2 entries but 3 coordinate labels"):
        COORDS.label("area", np.zeros(2)).__class__(
            ("area",), {"area": ("A", "B", "C")}, np.zeros(2)
        )
    with pytest.raises(ValueError, match="1 dimension names"):
        COORDS.label("area", np.zeros((2, 2)))


def test_arrays_in_another_order_are_aligned_by_name():
    stock = np.arange(8.0).reshape(2, 2, 2)  # area, staff_group, age_band
    transposed = LabelledArray(
        ("age_band", "area", "staff_group"),
        {"age_band": ("young", "old"), "area": ("B", "A"), "staff_group": ("nurses", "doctors")},
        np.transpose(stock, (2, 0, 1))[:, ::-1, :],
    )
    built = inputs(stock_hc=transposed)
    np.testing.assert_array_equal(built.array("stock_hc"), stock)


def test_missing_or_unexpected_codes_name_the_array_and_dimension():
    wrong = labelled(
        "area staff_group",
        np.ones((2, 2)),
        {"area": ("A", "Z"), "staff_group": ("nurses", "doctors")},
    )
    with pytest.raises(ModelInputError) as caught:
        inputs(other_joiners=wrong)
    error = caught.value
    assert (error.array, error.coordinate) == ("other_joiners", "area")
    assert "missing ['B'], unexpected ['Z']" in error.rule


def test_wrong_dimensions_are_refused():
    with pytest.raises(ModelInputError, match="has dimensions"):
        inputs(other_joiners=COORDS.label("area", np.ones(2)))


@pytest.mark.parametrize(
    ("name", "array", "where", "rule"),
    [
        (
            "leaver_rate",
            np.full((2, 2, 2), 0.1),
            "area=B, staff_group=doctors, age_band=old",
            "must be at most 1",
        ),
        (
            "joiner_age_profile",
            [[0.6, 0.4], [0.5, 0.6]],
            "staff_group=doctors",
            "must sum to 1 over age_band",
        ),
        (
            "stock_hc",
            np.full((2, 2, 2), 10.0),
            "area=B, staff_group=doctors, age_band=old",
            "must be finite",
        ),
    ],
)
def test_rules_are_reported_with_the_coordinate(name, array, where, rule):
    values = np.array(array, dtype=float)
    if name == "leaver_rate":
        values[1, 1, 1] = 1.5
    if name == "stock_hc":
        values[1, 1, 1] = np.nan
    dims = {
        "leaver_rate": "area staff_group age_band",
        "stock_hc": "area staff_group age_band",
        "joiner_age_profile": "staff_group age_band",
    }[name]
    with pytest.raises(ModelInputError) as caught:
        inputs(**{name: COORDS.label(dims, values)})
    assert caught.value.array == name
    assert caught.value.coordinate == where
    assert rule in caught.value.rule


def test_training_duration_must_be_whole_years():
    with pytest.raises(ModelInputError, match="whole years"):
        inputs(training_duration=COORDS.label("staff_group", [3.0, 2.5]))


def test_age_band_widths_below_one_year_are_refused_but_the_open_band_may_be_zero():
    inputs(age_band_width=COORDS.label("age_band", [5.0, 0.0]))
    with pytest.raises(ModelInputError, match="at least 1"):
        inputs(age_band_width=COORDS.label("age_band", [0.5, 0.0]))


def test_missing_inputs_are_filled_from_the_table_and_recorded():
    built = inputs()
    recorded = {item.name: item for item in built.assumptions}
    for name in ("leaver_rate", "fte_per_head", "completion_rate", "population", "area_share"):
        assert name in recorded
        assert recorded[name].reason.startswith("not in the inputs; default from")
    np.testing.assert_allclose(built.array("leaver_rate"), 0.1)
    np.testing.assert_allclose(built.array("fte_per_head"), 0.85)
    np.testing.assert_allclose(built.array("area_share"), 0.5)
    np.testing.assert_array_equal(
        built.array("newly_qualified_age_profile"), built.array("joiner_age_profile")
    )


def test_caller_assumptions_are_kept_and_checked():
    built = inputs(assumptions=[{"name": "vacancy_fte", "value": 0, "reason": "no data"}])
    assert built.assumptions[0].reason == "no data"
    with pytest.raises(ModelInputError, match="name, value and reason"):
        inputs(assumptions=[{"name": "x"}])


def test_population_needs_the_base_year_and_weighted_population_for_demand():
    def population(values, years):
        return COORDS.label(
            "variant year area population_age_band",
            values,
            variant=("principal",),
            year=years,
            population_age_band=("all",),
        )

    with pytest.raises(ModelInputError, match="must include the base year 2024"):
        inputs(population=population(np.ones((1, 2, 2, 1)), (2030, 2031)))
    with pytest.raises(ModelInputError) as caught:
        inputs(population=population(np.zeros((1, 2, 2, 1)), (2024, 2025)))
    assert caught.value.coordinate.startswith("variant=principal, area=A")


def test_select_staff_groups_keeps_the_arrays_aligned():
    built = inputs(fte_per_head=COORDS.label("area staff_group", [[0.8, 0.9], [0.7, 0.6]]))
    doctors = built.select_staff_groups(["doctors"])
    assert doctors.coords.staff_group == ("doctors",)
    np.testing.assert_array_equal(doctors.array("fte_per_head"), [[0.9], [0.6]])
    assert doctors.assumptions == built.assumptions


def test_select_areas_keeps_each_area_s_share_of_every_area():
    stock = np.array([[[10.0, 20.0], [5.0, 5.0]], [[30.0, 40.0], [15.0, 5.0]]])
    built = inputs(stock_hc=COORDS.label("area staff_group age_band", stock),
                   fte_per_head=COORDS.label("area staff_group", [[0.8, 0.9], [0.7, 0.6]]))
    b = built.select_areas(["B"])
    assert b.coords.area == ("B",)
    assert b.area_subset is True
    assert built.area_subset is False
    np.testing.assert_array_equal(b.array("stock_hc"), stock[1:])
    np.testing.assert_array_equal(b.array("fte_per_head"), [[0.7, 0.6]])
    # B's share of the national counts of A and B, not 1: 70 of 100 nurses, 20 of 30 doctors
    np.testing.assert_array_equal(b.array("area_share"), built.array("area_share")[1:])
    np.testing.assert_allclose(b.array("area_share"), [[0.7, 20 / 30]])
    assert b.array("population").shape[2] == 1
    assert b.assumptions == built.assumptions
    with pytest.raises(ModelInputError, match="unknown areas"):
        built.select_areas(["C"])


def test_a_subset_s_area_share_may_sum_to_less_than_1_but_never_to_more():
    share = COORDS.label("area staff_group", [[0.2, 0.3], [0.3, 0.3]])
    with pytest.raises(ModelInputError, match="must sum to 1 over area"):
        inputs(area_share=share)
    assert inputs(area_share=share, area_subset=True).area_subset
    over = COORDS.label("area staff_group", [[0.6, 0.3], [0.6, 0.3]])
    with pytest.raises(ModelInputError, match="must sum to at most 1 over area"):
        inputs(area_share=over, area_subset=True)
