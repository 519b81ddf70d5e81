"""``wfplan plan``: the least-cost plan of interventions that closes the gap (or least risk)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from wfplan.cli.common import DbOption, err, guard, out
from wfplan.cli.display import Column, fixed, print_table
from wfplan.runs.executor import SCHEDULER_HELP


class Objective(StrEnum):
    """What ``wfplan plan`` optimises."""

    least_cost = "least_cost"
    cvar = "cvar"


def _amount(record: dict[str, Any], linearised: tuple[str, ...]) -> str:
    # a multiplicative lever's amount is a fraction (0.012: a 1.2% cut that year)
    return fixed(record["amount"], 4 if record["lever"] in linearised else 1)


def _summary(result: Any) -> None:
    amounts = result.amounts
    rows = [[str(r["lever"]), str(r["start_year"]), _amount(r, result.linearised),
             fixed(r["cost_gbp"] / 1e6, 2)] for r in amounts.to_dict("records")]
    title = ("The least-cost plan" if result.solution.risk is None
             else "The plan of least expected shortfall within the budget")
    what = "units started (or a lever's amount)" if result.linearised else "units started"
    print_table(out, f"{title}: {what} a year, and their cost",
                [Column("lever", key=True), Column("start year", right=True),
                 Column("units", right=True), Column("cost £m", right=True)], rows)
    by_lever = amounts.groupby("lever", sort=False)[["amount", "cost_gbp"]].sum()
    print_table(out, "Cost by lever", [Column("lever", key=True), Column("units", right=True),
                                        Column("cost £m", right=True)],
                [[str(k), _amount({"lever": k, "amount": v["amount"]}, result.linearised),
                  fixed(v["cost_gbp"] / 1e6, 2)] for k, v in by_lever.iterrows()],
                f"total £{result.solution.cost / 1e6:,.2f}m")
    if result.solution.gap is not None:
        out.print(f"Solved by the scalable path (docs/plan.md): a feasible plan closing "
                  f"{int(result.solution.closed.sum())} of {len(result.problem.draws)} draws, "
                  f"not proven optimal; the least cost is at least "
                  f"£{result.solution.bound / 1e6:,.2f}m (within {100 * result.solution.gap:.1f}%"
                  f" of this plan's cost).", highlight=False)


def _drawn_from(result: Any) -> None:
    """Print the gap of the groups outside the target that the credentials draw on."""
    if result.drawn_from is None:
        return
    rows = [[str(r["year"]), str(r["staff_group"]), fixed(r["base_p50"], 1),
             fixed(r["planned_p50"], 1), fixed(r["change_p50"], 1)]
            for r in result.drawn_from.to_dict("records")]
    print_table(out, "Staff groups the credentials take their staff from (not targets of "
                "the plan): their gap in the target years, FTE, re-simulated",
                [Column("year", key=True), Column("staff group", key=True),
                 Column("gap P50 without the plan", right=True),
                 Column("gap P50 with the plan", right=True),
                 Column("change P50", right=True)], rows,
                "each completer leaves the group: the plan raises its gap by this much")


def _check(result: Any, probability: float) -> None:
    q = f"P{100 * probability:g}"
    rows = [[str(r["year"]), str(r["staff_group"]), fixed(r["demand_p50"]),
             fixed(r["predicted_q"], 1), fixed(r["simulated_q"], 1),
             fixed(r["max_abs_difference"], 4)] for r in result.check.to_dict("records")]
    print_table(out, f"Gap in the target years, FTE: the optimiser's prediction against the "
                f"re-simulation of {result.scenario_path.name} through the full model",
                [Column("year", key=True), Column("staff group", key=True),
                 Column("demand P50", right=True), Column(f"predicted {q}", right=True),
                 Column(f"simulated {q}", right=True),
                 Column("largest difference in a draw", right=True)], rows,
                f"gap = demand - supply (negative: closed); {q} over the draws; the "
                f"gap is closed in {int(result.solution.closed.sum())} of "
                f"{len(result.problem.draws)} draws")
    if result.expected_shortfall is not None:
        predicted, simulated = result.expected_shortfall
        out.print(f"Expected shortfall (CVaR at {result.problem.alpha:g}: the mean FTE short "
                  f"over the worst {1 - result.problem.alpha:.0%} of draws): optimiser "
                  f"{predicted:,.1f}, re-simulated {simulated:,.1f}.", highlight=False)
    if result.linearised:
        out.print(f"Approximation: {', '.join(result.linearised)} multiply a rate (leaver "
                  "rates or FTE per head) and are linearised around the base scenario (the "
                  "model's response to a small step in each year, per draw: 0.1%, GBP 1 a "
                  "head of CPD, or one returner); the interaction between years and levers "
                  "is left out. The difference above is that approximation's error, "
                  "measured by the full model.", highlight=False)


def _risk_shadow(result: Any) -> None:
    duals = result.shadow
    rows = [[f"budget in {year}", fixed(-value, 2)]
            for year, value in duals.get("budget_per_year", {}).items()]
    if "budget_total" in duals:
        rows.append(["total budget", fixed(-float(duals["budget_total"].iloc[0]), 2)])
    if rows:
        print_table(out, "Shadow prices of the budget: FTE of expected shortfall removed "
                    "per £1m more budget", [Column("constraint", key=True),
                                            Column("FTE per £1m", right=True)], rows,
                    "Duals of the first stage (the least expected shortfall); 0: the budget "
                    "does not bind.")


def _shadow(result: Any) -> None:
    if result.solution.risk is not None:
        _risk_shadow(result)
        return
    duals = result.shadow
    rows = []
    budget = duals.get("budget_per_year")
    if budget is not None:
        rows += [[f"budget in {year}", fixed(-value, 3)] for year, value in budget.items()]
    if "budget_total" in duals:
        rows.append(["total budget", fixed(-float(duals["budget_total"].iloc[0]), 3)])
    if rows:
        print_table(out, "Shadow prices of the budget: £ of plan cost saved per £1 more "
                    "budget", [Column("constraint", key=True), Column("£ per £", right=True)],
                    rows, "From the LP with the draws closed fixed at the optimum (for a "
                    "chance constraint, the MILP's relaxation with its binaries fixed); 0: "
                    "the budget does not bind.")
    closure = duals.get("closure")
    if closure is not None and len(closure):
        marginal = float(closure.max()) * 1e6
        out.print(f"One more FTE closed in the binding draw costs about £{marginal:,.0f} "
                  "(the closure constraint's shadow price).", highlight=False)


def plan_command(
    plan_file: Annotated[Path, typer.Argument(help="Plan file (TOML, docs/plan.md)")],
    out_file: Annotated[Path, typer.Option("--out", help="Scenario file (TOML) to write "
                                           "the plan to")],
    probability: Annotated[float | None, typer.Option(
        help="Probability of closing the gap (default: the plan's target.probability)",
        min=0.01, max=1.0)] = None,
    objective: Annotated[Objective | None, typer.Option(
        help="least_cost: the least cost that closes the gap with the probability; cvar: "
        "the least expected shortfall (CVaR at the probability) within the budget "
        "(default: the plan's objective)", show_default=False)] = None,
    vintage: Annotated[str | None, typer.Option(
        help="Vintage to run on (default: the plan's base_vintage, else the base "
        "scenario's; without one, the only vintage in the database, or if there are several "
        "the one loaded most recently; the choice is printed on stderr)",
        show_default=False)] = None,
    scheduler: Annotated[str, typer.Option(help=SCHEDULER_HELP + " (the re-simulation)")
                         ] = "local",
    workers: Annotated[int, typer.Option(help="Processes for --scheduler local or "
                                         "local-cluster (1: in this process)", min=1)] = 1,
    db: DbOption = None,
) -> None:
    """Find the least-cost mix of interventions that closes the gap; write it.

    Solves a sample average approximation over the model's own draws with
    linopy and HiGHS (a MILP when only some draws must be closed; above 2,000
    draw x target cells, a feasible plan by LPs with its gap to a lower bound
    stated; an LP for the least expected shortfall, objective cvar); retention, flexible
    working and CPD are linearised around the base scenario. Writes the
    plan as a scenario (the base scenario plus the interventions by year, each
    with its cost and source), re-simulates it through the full model and
    prints the optimiser's gap beside the simulated one. An infeasible plan
    names the constraints that bind (exit 2).
    """
    from wfplan.dataset.store import open_store
    from wfplan.plan.run import plan
    from wfplan.plan.spec import read_plan, with_objective, with_probability
    from wfplan.plan.summary import attach_plan
    from wfplan.runs.executor import open_executor

    def work() -> Any:
        source = read_plan(plan_file)
        if probability is not None:
            source = with_probability(source, probability)
        if objective is not None:
            source = with_objective(source, objective.value)
        with open_executor(scheduler, workers) as executor, \
                open_store(db, read_only=True) as store:
            result = plan(store, source, out_file, vintage, tell=lambda text: err.print(
                text, highlight=False, markup=False, soft_wrap=True), executor=executor)
        attach_plan(source, result)  # the plan's own summary, as the scenario's [plan]
        return source, result

    source, result = guard(work)
    _summary(result)
    _check(result, source.plan.target.probability)
    _drawn_from(result)
    _shadow(result)
    out.print(f"wrote {result.scenario_path}", highlight=False)
