"""The plan in the scenario, the report and tables.xlsx (issue 15, item 3).

``wfplan plan`` on the demo vintage (the session's ``plan_bundle``: 20 draws, a
budget of £150m a year so that budgets bind) writes the scenario with its
``[plan]`` table; ``wfplan assess`` on that scenario gives a report whose plan
section shows the plan's own numbers (cost per FTE gained by lever, the mix by
year, the shadow prices in words), the same in tables.xlsx, and ``wfplan
verify`` re-renders it identically.
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from openpyxl import load_workbook

from wfplan.model import ScenarioError, load_scenario_text
from wfplan.model.plan_summary import PlanSummary
from wfplan.report import format as fmt

if TYPE_CHECKING:
    from conftest import DemoBuild, Kit, PlanBundle


def _plan(plan_bundle: PlanBundle) -> tuple[PlanSummary, list]:
    scenario = load_scenario_text(plan_bundle.scenario.read_text(encoding="utf-8"))
    assert scenario.plan is not None
    return scenario.plan, list(scenario.interventions)


def _section(html: str) -> str:
    start = html.index('<section class="wf-section" aria-labelledby="plan">')
    return html[start:html.index("</section>", start)]


def _words(html: str) -> str:
    text = re.sub(r"<svg.*?</svg>", " ", html, flags=re.S)
    text = re.sub(r"<wbr>|<[^>]+>", lambda m: "" if m.group(0) == "<wbr>" else " ", text)
    return " ".join(text.replace("&#39;", "'").replace("&amp;", "&").split())


def test_the_scenario_carries_the_plan_it_was_written_from(plan_bundle: PlanBundle) -> None:
    plan, interventions = _plan(plan_bundle)
    assert plan.source == "plan.toml"
    assert plan.sha256 == hashlib.sha256(plan_bundle.plan.read_bytes()).hexdigest()
    assert (plan.draws, plan.probability, plan.target_years) == (20, 0.5, [2035])
    # units and cost by year are the interventions the plan wrote, one by one
    written = {item.name: item for item in interventions if item.source.startswith("wfplan plan")}
    listed = {f"{lever.name}_{year}": units for lever in plan.levers
              for year, units in zip(lever.years, lever.units, strict=True) if units > 0}
    assert set(written) == set(listed)
    assert all(written[key].amount == units for key, units in listed.items())
    assert plan.cost_gbp == pytest.approx(
        sum(item.amount * item.cost_per_unit for item in written.values()), rel=1e-12)
    # the budget of £150m binds in some years, with a positive shadow price turned into FTE
    budgets = [c for c in plan.constraints if c.name == "budget_per_year"]
    priced = [c for c in budgets if (c.shadow_price or 0) > 0]
    assert priced
    assert all(c.binding and c.used == pytest.approx(150.0) for c in priced)
    closure = next(c for c in plan.constraints if c.name == "closure")
    assert closure.shadow_price == pytest.approx(plan.marginal_cost_per_fte_gbp)
    for c in priced:  # FTE at the same total cost: the saving over the cost of one FTE
        assert c.fte_equivalent == pytest.approx(c.shadow_price / closure.shadow_price)
        assert f"One more £1m of budget in {c.year} saves" in c.text
        assert f"about {c.fte_equivalent:,.1f} FTE more closed in 2035" in c.text
    # each lever's cost per FTE gained is its cost over its FTE
    for lever in plan.levers:
        gain = lever.gains[0]
        if gain.fte > 0:
            assert gain.cost_per_fte_gbp == pytest.approx(lever.total_cost_gbp / gain.fte)


def test_the_report_shows_the_plan_s_own_numbers(plan_bundle: PlanBundle) -> None:
    plan, _ = _plan(plan_bundle)
    html = (plan_bundle.bundle / "report.html").read_text(encoding="utf-8")
    assert '<a href="#plan">Plans: the least-cost mix of interventions</a>' in html
    section = _section(html)
    for chart in ("chart-plan-cost-plan-nurses", "chart-plan-mix-plan-nurses"):
        assert f'<svg id="{chart}"' in section
    words = _words(section)
    assert f"costs {fmt.gbp(plan.cost_gbp)}" in words
    assert f"in {plan.draws_closed} of the {plan.draws} draws" in words
    for lever in plan.levers:
        gain = lever.gains[0]
        row = (f"{lever.name} {fmt.words(lever.type)} {fmt.number(lever.total_units)} "
               f"{fmt.gbp(lever.total_cost_gbp)} {fmt.projection(gain.fte)} "
               f"{fmt.gbp(gain.cost_per_fte_gbp)} {fmt.gbp(gain.cheapest_cost_per_fte_gbp)}")
        assert row in words, row
    for index, year in enumerate(plan.levers[0].years):
        units = " ".join(fmt.number(lever.units[index]) for lever in plan.levers)
        cost = fmt.gbp(sum(lever.cost_gbp[index] for lever in plan.levers))
        assert f"{year} {units} {cost}" in words, year
    # the shadow prices in words: every one that buys something, and the closure
    for c in plan.constraints:
        if c.name == "closure" or (c.shadow_price or 0) > 0:
            assert c.text in words, c.text
    assert "Re-simulated through the full model" in words


def test_tables_xlsx_has_the_plan(plan_bundle: PlanBundle) -> None:
    plan, _ = _plan(plan_bundle)
    book = load_workbook(plan_bundle.bundle / "tables.xlsx", read_only=True)
    sheets = {name: list(book[name].iter_rows(values_only=True))
              for name in ("plan_levers", "plan_mix", "plan_constraints", "plan_check")}
    head = sheets["plan_levers"][0]
    levers = [dict(zip(head, row, strict=True)) for row in sheets["plan_levers"][1:]]
    assert [r["lever"] for r in levers] == [lever.name for lever in plan.levers]
    for row, lever in zip(levers, plan.levers, strict=True):
        assert row["cost_gbp"] == pytest.approx(lever.total_cost_gbp, rel=1e-11)
        assert row["fte_gained"] == pytest.approx(lever.gains[0].fte, rel=1e-11)
    mix = sheets["plan_mix"]
    assert len(mix) - 1 == sum(len(lever.years) for lever in plan.levers)
    costs = [r[mix[0].index("cost_gbp")] for r in mix[1:]]
    assert math.fsum(costs) == pytest.approx(plan.cost_gbp, rel=1e-11)
    texts = [r[sheets["plan_constraints"][0].index("text")] for r in sheets["plan_constraints"][1:]]
    assert texts == [c.text for c in plan.constraints]
    book.close()


def test_verify_passes_on_the_plan_s_bundle(plan_bundle: PlanBundle, kit: Kit) -> None:
    """Also test_plan_demo.py's check that a planned scenario assesses and verifies.

    (``plan_bundle`` asserts that ``wfplan plan`` and ``wfplan assess`` exit 0.)
    """
    verified = kit.cli("verify", plan_bundle.bundle)
    assert verified.exit_code == 0, verified.output
    assert "VERIFIED" in verified.output


def test_a_plan_that_no_longer_matches_its_interventions_is_refused(
        plan_bundle: PlanBundle, demo_vintage: DemoBuild, kit: Kit, tmp_path: Path) -> None:
    _, interventions = _plan(plan_bundle)
    first = next(item for item in interventions if item.source.startswith("wfplan plan"))
    text = plan_bundle.scenario.read_text(encoding="utf-8")
    edited = re.sub(rf'(name = "{first.name}"\n(?:.*\n)*?amount = )[^\n]+', r"\g<1>1.0", text,
                    count=1)
    assert edited != text
    with pytest.raises(ScenarioError, match=f"intervention '{first.name}' is not"):
        load_scenario_text(edited)
    bad = tmp_path / "edited.toml"
    bad.write_text(edited, encoding="utf-8")
    result = kit.cli("project", bad, "--db", demo_vintage.db)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "remove it, or run wfplan plan again" in " ".join(result.output.split())
    wrong = text.replace("\nprobability = 0.5\n", "\nprobability = 1.5\n")
    assert wrong != text
    with pytest.raises(ScenarioError, match=r"plan\.probability"):
        load_scenario_text(wrong)


def test_a_plan_written_again_replaces_its_own_plan_table(plan_bundle: PlanBundle,
                                                          tmp_path: Path) -> None:
    """A plan whose base scenario is itself a planned scenario: one [plan] table, its own."""
    from wfplan.plan.toml_out import scenario_toml

    copy = shutil.copy(plan_bundle.scenario, tmp_path / "base.toml")
    scenario = load_scenario_text(Path(copy).read_text(encoding="utf-8"))
    text = scenario_toml(scenario.model_dump(mode="json", by_alias=True, exclude_none=True))
    assert text.count("\n[plan]\n") == 1
    assert load_scenario_text(text) == scenario


def test_the_plan_s_report_passes_axe(browser: Any, plan_bundle: PlanBundle,
                                      tmp_path: Path) -> None:
    """The report with its plan section in Chromium: no serious or critical axe violation."""
    from browser_util import AXE_JS, missing

    if not AXE_JS.is_file():
        missing(f"axe-core not found at {AXE_JS} (npm install axe-core@4; see .ci/run)")
    path = Path(shutil.copy(plan_bundle.bundle / "report.html", tmp_path / "report.html"))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(path.as_uri(), wait_until="load")
    page.add_script_tag(content=AXE_JS.read_text(encoding="utf-8"))
    assert page.locator("section[aria-labelledby='plan'] svg").count() == 2
    results = page.evaluate("async () => await axe.run(document)")
    page.close()
    assert results["passes"], "axe ran no rule"
    bad = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"][:3]])
           for v in results["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], bad
