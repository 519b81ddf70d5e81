"""`wfplan plan` chooses between training places and a credential by cost (docs/skills.md).

On the hand-made vintage of two nursing fields (tests/handmade_fields.py): mental
health nurses are short, adult nurses in surplus. A credential moves adult nurses
into mental health nursing; training places add mental health nurses three years
later. The plan takes whichever closes the gap for less.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import handmade_fields as hf
from wfplan.dataset.store import DuckDBStore
from wfplan.model import load_scenario_text
from wfplan.plan.run import plan
from wfplan.plan.spec import read_plan

PLAN = """
name = "fields-plan"
base_scenario = "fields.toml"
base_vintage = "fields"
level = "icb"

[target]
staff_groups = ["nurse_mental_health"]
years = [2029]

[[levers]]
name = "places"
type = "training_places"
staff_group = "nurse_mental_health"
max_per_year = 500
cost_per_unit = 26000
cost_source = "test figure"
options = {{ duration_years = 3, completion_rate = 0.8, take_up_rate = 1.0 }}

[[levers]]
name = "credential"
type = "credential"
staff_group = "nurse_adult"
max_per_year = 500
cost_per_unit = {credential_cost}
cost_source = "test figure"
options = {{ to_staff_group = "nurse_mental_health", duration_years = 1, completion_rate = 0.8 }}
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fields-plan")
    path = folder / "f.duckdb"
    with DuckDBStore(path) as store:
        hf.build(store, folder / "roles")
    return path


def _chosen(db: Path, tmp_path: Path, credential_cost: float) -> dict[str, float]:
    hf.scenario(tmp_path)
    path = tmp_path / "plan.toml"
    path.write_text(PLAN.format(credential_cost=credential_cost), encoding="utf-8")
    out = tmp_path / "planned.toml"
    with DuckDBStore(db, read_only=True) as store:
        result = plan(store, read_plan(path), out)
    assert (result.check["simulated_q"] <= 1e-6).all()
    scenario = load_scenario_text(out.read_text(encoding="utf-8"))
    totals: dict[str, float] = {"training_places": 0.0, "credential": 0.0}
    for item in scenario.interventions:
        totals[item.type] += float(item.amount)
    return totals


@pytest.mark.parametrize(("cost", "cheaper"), [(1000.0, "credential"),
                                                (200000.0, "training_places")])
def test_the_plan_takes_the_cheaper_of_training_and_a_credential(
    db: Path, tmp_path: Path, cost: float, cheaper: str
) -> None:
    totals = _chosen(db, tmp_path, cost)
    other = "training_places" if cheaper == "credential" else "credential"
    assert totals[cheaper] > 0
    assert totals[other] == 0


def test_a_credential_lever_is_not_copied_into_each_area(db: Path, tmp_path: Path) -> None:
    from wfplan.errors import InputError

    hf.scenario(tmp_path)
    path = tmp_path / "plan.toml"
    text = PLAN.format(credential_cost=1000.0).replace(
        'type = "credential"\n', 'type = "credential"\narea = "each"\n')
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="cannot be copied into each area"):
        read_plan(path)
