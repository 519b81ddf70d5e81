"""Intervention types form a registry: a new type is one class, an unknown type an error."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
import pytest
from pydantic import Field

from wfplan.model import ScenarioError, load_scenario_text, run, scenario_json_schema
from wfplan.model.intervention_types import JoinerIntervention
from wfplan.model.interventions import EffectBuilder
from wfplan.model.interventions_spec import (
    Driver,
    Intervention,
    intervention_table_markdown,
    registered_types,
    unregister,
)
from wfplan.model.reference import reference_run

ROOT = Path(__file__).resolve().parents[2]

TOY_SCENARIO = """
name = "toy"
horizon = 5
level = "england"

[[interventions]]
type = "fellowship"
staff_group = "g"
start_year = 2025
amount = 10
arrival_years = 2
yield_rate = 0.5
cost_per_unit = 1000
source = "test"
owner = "tests"

[[interventions]]
type = "mentoring"
staff_group = "g"
start_year = 2026
amount = 0.5
cost_per_unit = 3
source = "test"
owner = "tests"
"""


@pytest.fixture
def toy_types():
    """Two types defined here, in the test suite, and removed again afterwards."""

    class Fellowship(JoinerIntervention):
        """Fellows a year who arrive as international joiners ``arrival_years`` later."""

        type: Literal["fellowship"]
        route: ClassVar[str] = "international"
        amount_meaning: ClassVar[str] = "fellowships a year"
        timing: ClassVar[str] = "`arrival_years` later, x `yield_rate`"
        cost_unit: ClassVar[str] = "fellowship"
        arrival_years: int = Field(default=1, ge=0)
        yield_rate: float = Field(ge=0, le=1)

        def arrival(self, builder, index, g):
            return self.arrival_years, np.array([self.yield_rate])

    class Mentoring(Intervention):
        """Halves (at amount 0.5) the leaver rate, through the leaver-rate primitive."""

        type: Literal["mentoring"]
        amount_range: ClassVar[tuple[float, float]] = (0.0, 1.0)
        driver: ClassVar[Driver] = Driver.LEAVER_RATES
        amount_meaning: ClassVar[str] = "cut in leaver rates"
        timing: ClassVar[str] = "at once"
        cost_unit: ClassVar[str] = "head in post"

        def apply(self, builder: EffectBuilder, index, amount, fraction):
            factor = 1 - np.outer(amount, fraction)
            builder.scale_leaver_rates(self, builder.group_index(self), factor)

    yield Fellowship, Mentoring
    unregister(Fellowship)
    unregister(Mentoring)


def test_a_type_defined_in_the_tests_runs_end_to_end(toy_types, make_inputs):
    inputs = make_inputs(stock=100.0, leaver_rate=0.2, other_joiners=0.0, base_year=2024)
    scenario = load_scenario_text(TOY_SCENARIO)
    assert [type(item) for item in scenario.interventions] == list(toy_types)
    results = run(inputs, scenario)

    international = results.values("joiners_international_hc")[0, :, 0, 0]
    # 10 a year start from 2025 (t = 1); half of them arrive two years later (t >= 3)
    np.testing.assert_allclose(international[1:], [0, 0, 5, 5, 5])
    cost = results.values("intervention_cost_gbp")[0, :, 0, 0]
    # fellowships: 1000 per unit started from t = 1; mentoring: 3 per head in post from t = 2
    np.testing.assert_allclose(cost, [0, 10_000, 10_300, 10_300, 10_300, 10_300])
    supply = results.values("supply_hc")[0, :, 0, 0]
    expected = [100.0]
    for t in range(1, 6):
        rate = 0.2 * (0.5 if t >= 2 else 1.0)
        expected.append(expected[-1] * (1 - rate) + international[t])
    np.testing.assert_allclose(supply, expected)
    counterfactual = results.values("counterfactual_supply_fte")[0, :, 0, 0]
    assert counterfactual[-1] < supply[-1]
    assert [item["type"] for item in results.metadata.record()["interventions"]] == [
        "fellowship",
        "mentoring",
    ]
    dumped = results.metadata.record()["scenario"]["interventions"][0]
    assert dumped["arrival_years"] == 2
    assert dumped["yield_rate"] == 0.5


def test_a_registered_type_is_in_the_schema_and_the_table(toy_types):
    schema = scenario_json_schema()
    mapping = schema["properties"]["interventions"]["items"]["discriminator"]["mapping"]
    assert mapping["fellowship"] == "#/$defs/Fellowship"
    assert "yield_rate" in schema["$defs"]["Fellowship"]["properties"]
    assert "| `fellowship` | joiners | fellowships a year (>= 0) |" in (
        intervention_table_markdown()
    )


def test_the_toy_type_is_gone_after_the_test(toy_types):
    assert "fellowship" in registered_types()
    unregister(toy_types[0])
    assert "fellowship" not in registered_types()
    with pytest.raises(ScenarioError, match="interventions\\[0\\]: Input tag 'fellowship'"):
        load_scenario_text(TOY_SCENARIO)


def test_an_unknown_type_is_an_error_never_a_fallback():
    text = TOY_SCENARIO.replace('"fellowship"', '"teleport"')
    with pytest.raises(ScenarioError) as raised:
        load_scenario_text(text)
    assert "interventions[0]: Input tag 'teleport'" in str(raised.value)
    assert "'skill_mix'" in str(raised.value)  # lists the registered types


def test_the_reference_refuses_a_type_it_has_no_equations_for(toy_types, make_inputs):
    scenario = load_scenario_text(TOY_SCENARIO)
    with pytest.raises(ValueError, match="no equations for \\['fellowship', 'mentoring'\\]"):
        reference_run(make_inputs(), scenario)


def test_a_type_must_declare_its_driver_timing_and_cost_and_apply_itself():
    with pytest.raises(TypeError, match="does not declare \\['driver', 'amount_meaning'"):

        class Undeclared(Intervention):
            type: Literal["undeclared"]

    with pytest.raises(TypeError, match="does not implement apply"):

        class Inert(Intervention):
            type: Literal["inert"]
            driver: ClassVar[Driver] = Driver.PRODUCTIVITY
            amount_meaning: ClassVar[str] = "nothing"
            timing: ClassVar[str] = "never"
            cost_unit: ClassVar[str] = "none"

    assert "undeclared" not in registered_types()
    assert "inert" not in registered_types()


def test_a_type_name_is_registered_once():
    with pytest.raises(TypeError, match="\\['retention'\\] are already registered"):

        class Retention(JoinerIntervention):
            type: Literal["retention"]
            route: ClassVar[str] = "other"
            amount_meaning: ClassVar[str] = "x"
            timing: ClassVar[str] = "x"
            cost_unit: ClassVar[str] = "x"


def test_docs_show_the_table_of_types():
    docs = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    assert intervention_table_markdown() in docs, (
        "docs/model.md is stale: paste wfplan.model.interventions_spec."
        "intervention_table_markdown() into it"
    )


def test_the_order_of_types_does_not_depend_on_which_module_is_imported_first():
    # wfplan.runs.care_pay imports the care_worker_pay type's module directly: imported
    # before the registry first loads the built-in types, it used to register that type
    # first, and the table of types (and the scenario schema) came out in another order
    import subprocess
    import sys

    code = ("import wfplan.runs.care_pay, wfplan.plan.spec\n"
            "from wfplan.model.interventions_spec import intervention_table_markdown\n"
            "print(intervention_table_markdown(), end='')")
    table = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout
    assert table in (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
