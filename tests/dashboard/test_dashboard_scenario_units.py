"""The scenario builder's pieces without a server: the TOML writer, the form, the chart."""

from __future__ import annotations

import math
import tomllib
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wfplan.dataset import codelists
from wfplan.report.style import NHS_BLUE, NHS_DARK_GREY, NHS_DARK_PINK
from wfplan.runs.project import shipped_scenarios
from wfplan.web.charts_scenario import LABEL_GAP, SERIES, label_positions, scenario_chart
from wfplan.web.deps import Invalid, parse_scenario
from wfplan.web.pages import scenario_form as sf
from wfplan.web.pages.render import environment
from wfplan.web.pages.toml_text import dumps

CHOICES = sf.Choices(
    staff_groups=[(r["code"], r["name"]) for r in codelists.get("staff_group").rows],
    areas=[("", "Choose an ICB"), ("QMJ", "North Central London")],
    vintages=[("demo", "demo")], first_year=2026, home="QMJ")


def _defaults(base: dict[str, Any]) -> dict[str, str]:
    """Return the form as the builder first shows it (every control's value)."""
    return {c.name: c.value for g in sf.groups(base, None, CHOICES) for c in g.controls}


def _shipped(name: str) -> dict[str, Any]:
    return tomllib.loads(shipped_scenarios()[name].read_text(encoding="utf-8"))


_scalars = (st.booleans() | st.integers(-2**63, 2**63 - 1)
            | st.floats(allow_nan=False) | st.text(max_size=20))
_inline = st.dictionaries(st.text(min_size=1, max_size=8), _scalars, max_size=3)
_values = _scalars | st.lists(_scalars, max_size=3) | _inline
_keys = st.text(min_size=1, max_size=12).filter(lambda k: k not in sf.DEFAULTS)


@settings(max_examples=200, deadline=None)
@given(top=st.dictionaries(_keys, _values, max_size=4),
       parameters=st.dictionaries(_keys, _values, max_size=3),
       groups=st.dictionaries(_keys, st.dictionaries(_keys, _values, max_size=3), max_size=2),
       items=st.lists(st.dictionaries(_keys, _values, max_size=4), max_size=3))
def test_dumps_writes_toml_that_reads_back_as_the_same_dict(top, parameters, groups,
                                                           items) -> None:
    data = {k: v for k, v in top.items() if k not in ("parameters", "staff_group_parameters",
                                                       "interventions")}
    data.update(parameters=parameters, staff_group_parameters=groups)
    if items:
        data["interventions"] = items
    assert tomllib.loads(dumps(data)) == data


def test_dumps_of_every_shipped_scenario_is_the_same_scenario() -> None:
    for name, path in shipped_scenarios().items():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert tomllib.loads(dumps(data)) == data, name
        assert parse_scenario(dumps(data)) == parse_scenario(path.read_text()), name


def test_dumps_escapes_what_a_toml_string_cannot_hold() -> None:
    data = {"title": 'a "quoted"\\ line\nand\ttab\x7f\x00 é', "weird key": 1.5e300,
            "nan": math.inf}
    assert tomllib.loads(dumps(data)) == data
    with pytest.raises(ValueError, match="TOML cannot hold"):
        dumps({"x": None})


@pytest.mark.parametrize("name", ["baseline", "ltwp", "employer-hubs"])
def test_the_form_as_first_shown_gives_back_the_scenario_unchanged(name: str) -> None:
    base = _shipped(name)
    built = sf.read_form(base, _defaults(base), CHOICES, "someone")
    assert built.errors == {}
    assert built.scenario == base
    assert built.prefixes == [f"iv{i}" for i in range(len(base.get("interventions", [])))]


def test_every_lever_of_the_issue_is_a_real_intervention_type_with_a_group() -> None:
    base = _shipped("baseline")
    form = _defaults(base)
    amounts = {"training_places": "100", "retention": "0.1",
               "international_recruitment": "50", "return_to_practice": "20",
               "flexible_working": "0.02", "employer_hub": "30"}
    for kind, amount in amounts.items():
        form[f"new-{kind}-amount"] = amount
        form[f"new-{kind}-staff_group"] = "nurses_health_visitors"
    form["new-employer_hub-area"] = "QMJ"
    built = sf.read_form(base, form, CHOICES, "someone")
    assert built.errors == {}
    added = built.scenario["interventions"]
    assert [i["type"] for i in added] == list(amounts)
    assert all(i["owner"] == "someone" and i["source"] == sf.DEFAULT_SOURCE for i in added)
    assert added[-1]["area"] == "QMJ"
    assert added[1]["amount"] == 0.1
    assert added[0]["amount"] == 100
    parse_scenario(dumps(built.scenario))  # the API's own check: valid


def test_a_removed_intervention_is_left_out_and_an_edited_distribution_kept_as_one() -> None:
    base = _shipped("ltwp")
    form = _defaults(base)
    form["iv0-remove"] = "1"
    form["iv3-amount-mode"] = "0.12"
    built = sf.read_form(base, form, CHOICES, "someone")
    names = [i["name"] for i in built.scenario["interventions"]]
    assert names == ["medical_school_places", "nursing_apprenticeships", "nurse_retention"]
    assert built.scenario["interventions"][2]["amount"] == {
        "dist": "triangular", "low": 0.05, "mode": 0.12, "high": 0.15}
    assert built.prefixes == ["iv1", "iv2", "iv3"]


def test_what_is_not_a_number_is_the_forms_error_and_the_rest_are_the_apis() -> None:
    base = _shipped("ltwp")
    form = _defaults(base) | {"draws": "many", "horizon": "40", "iv3-amount-high": "2",
                              "iv1-start_year": "1800", "new-retention-amount": "0.1",
                              "new-retention-staff_group": "all",
                              "new-retention-source": ""}
    built = sf.read_form(base, form, CHOICES, "someone")
    assert built.errors == {"draws": "Enter number of Monte Carlo draws as a whole number"}
    built.scenario["draws"] = 5
    with pytest.raises(Invalid) as raised:
        parse_scenario(dumps(built.scenario))
    names = {c.name for g in sf.groups(base, form, CHOICES) for c in g.controls}
    errors, others = sf.field_errors(raised.value.rows, built, names)
    assert set(errors) == {"horizon", "iv3-amount-low", "iv1-start_year", "new-retention-source"}
    assert "less than or equal to 25" in errors["horizon"]
    assert "outside the allowed range -1 to 1" in errors["iv3-amount-low"]
    assert others == []


def test_the_progress_fragment_polls_while_running_and_stops_when_ended() -> None:
    template = environment().get_template("scenario_progress.html")
    job = {"job_id": "ab12", "status": "running", "progress": 0.4, "message": "projecting"}
    running = template.render(job=job)
    assert 'hx-get="/scenarios/runs/ab12/progress"' in running
    assert 'value="40"' in running
    assert "projecting" in running
    assert "hx-get" not in template.render(job={**job, "status": "done", "progress": 1.0})


def test_the_result_chart_draws_three_series_in_the_reports_colours() -> None:
    rows = [{"year": y, "variable": v, "p5": base + y - 5, "p50": base + y, "p95": base + y + 5}
            for v, base in (("supply_fte", 100.0), ("counterfactual_supply_fte", 90.0),
                            ("demand_funded_fte", 120.0), ("gap_fte", 1.0))
            for y in (2025, 2026, 2027)]
    chart = scenario_chart(pd.DataFrame(rows), id="c", title="t", source="s", period="p")
    colours = chart.spec["layer"][1]["encoding"]["color"]["scale"]
    assert colours["range"] == [NHS_BLUE, NHS_DARK_GREY, NHS_DARK_PINK]
    assert colours["domain"] == [s[0] for s in SERIES.values()]
    assert len(chart.spec["data"]["values"]) == 9  # not the gap
    assert chart.columns() == ["Year", "Series", "P5 (FTE)", "P50 (FTE)", "P95 (FTE)"]
    assert chart.rows()[0] == ["2025", "Supply with the interventions", "2,120", "2,125",
                               "2,130"]
    assert "In 2027" in chart.description


def test_end_labels_of_close_lines_are_moved_apart_and_far_ones_stay() -> None:
    rows = [{"year": y, "variable": v, "p5": p50 - 10, "p50": p50, "p95": p50 + 10}
            for v, p50 in (("supply_fte", 1000.0), ("counterfactual_supply_fte", 1000.0),
                           ("demand_funded_fte", 400.0))
            for y in (2025, 2026)]
    chart = scenario_chart(pd.DataFrame(rows), id="c", title="t", source="s", period="p")
    text = chart.spec["layer"][2]
    assert text["mark"]["type"] == "text"
    assert text["encoding"]["y"]["field"] == "label_y"
    ends = {r["short"]: r["label_y"] for r in chart.spec["data"]["values"] if r["year"] == 2026}
    gap = LABEL_GAP * (1010.0 - 0.0)  # the axis: 0 to the highest P95
    assert abs(ends["Scenario"] - ends["Baseline"]) >= gap - 1e-9  # equal lines: apart
    assert max(ends["Scenario"], ends["Baseline"]) <= 1010.0       # not above the axis
    assert ends["Demand"] == 400.0                                 # far away: at its line
    assert all(r["label_y"] == r["p50"] for r in chart.spec["data"]["values"]
               if r["year"] == 2025)


def test_label_positions_keep_order_and_the_least_move() -> None:
    placed = label_positions(pd.Series([5.0, 0.0, 100.0, 1.0]), 0.0, 100.0)
    gap = LABEL_GAP * 100.0
    assert list(placed) == [2 * gap, 0.0, 100.0, gap]  # 0 stays, 1 and 5 pushed up; 100 stays
    top = label_positions(pd.Series([99.0, 100.0, 98.0]), 0.0, 100.0)       # at the top:
    assert list(top) == pytest.approx([100.0 - gap, 100.0, 100.0 - 2 * gap])  # moved down
    assert list(placed.sort_values().index) == [1, 3, 0, 2]
