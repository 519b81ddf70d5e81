"""The plan's own summary, written into the scenario as its ``[plan]`` table.

From a solved plan (:class:`wfplan.plan.run.PlanResult`): each lever's units
and cost by start year and the FTE it gains in each target year (the mean over
the plan's draws, from the model's own responses), each constraint with
whether it binds and its shadow price in words, and the re-simulation's check.
The result is a :class:`wfplan.model.plan_summary.PlanSummary`;
:func:`attach_plan` writes it into the scenario file.

Shadow prices are the duals of the LP with the draws closed fixed at the
optimum (:func:`wfplan.plan.solve.solve` with ``closed``). A budget's price
becomes FTE through the closure's: at the same total cost, one more GBP 1m of
that budget closes ``saved / marginal cost of an FTE`` more FTE in the
reference year (the envelope theorem: the cost falls by the budget's dual and
rises by the closure's per FTE).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from wfplan.dataset import codelists
from wfplan.errors import InputError
from wfplan.model.plan_summary import PlanSummary
from wfplan.plan.explain import year_ranges
from wfplan.plan.problem import Problem
from wfplan.plan.run import SMALLEST, PlanResult
from wfplan.plan.solve import MILLION
from wfplan.plan.sparse import SparseResponse
from wfplan.plan.spec import Lever, PlanFile, is_linearised
from wfplan.plan.toml_out import plan_toml

#: A limit within this share of its size is met with equality (it binds).
BINDS = 1e-6
#: Duals below this (GBP million) are solver noise.
NOISE = 1e-9
BASIS = ("the duals of the LP with the draws closed fixed at the optimum (for a chance "
         "constraint, the mixed-integer problem's relaxation with its binaries fixed)")
CVAR_BASIS = ("the duals of the LP that minimises the expected shortfall within the limits "
              "(FTE of expected shortfall per unit of each limit)")


def _group_name(label: str) -> str:
    """Name a target cell in words: a staff group's name, or ``<name> in <area>``."""
    names = {row["code"]: row["name"] for row in codelists.get("staff_group").rows}
    group, where, area = label.partition(" in ")
    return str(names.get(group, group)) + (f" in {area}" if where else "")


def _money(value: float) -> str:
    return f"£{value / MILLION:,.2f}m" if abs(value) >= 0.5 * MILLION else f"£{value:,.0f}"


def _upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _written(amounts: np.ndarray) -> np.ndarray:
    return np.where(amounts < SMALLEST, 0.0, amounts)


def _gains(problem: Problem, amounts: np.ndarray, index: int) -> list[dict[str, Any]]:
    """Return what lever ``index`` gains in each target year: FTE, cost per FTE, cheapest."""
    # (start, year): mean over draws of the FTE one unit adds, summed over target groups
    response = problem.response
    block = response.values[index] if isinstance(response, SparseResponse) \
        else response[index]  # (start, draw, year, cells): its own cells or every cell
    per_unit = block.sum(axis=3).mean(axis=1)
    cost = float(problem.cost[index])
    total = float((amounts[index] * cost).sum())
    out = []
    for y, year in enumerate(problem.years):
        fte = float(per_unit[:, y] @ amounts[index])
        gain: dict[str, Any] = {"year": year, "fte": max(fte, 0.0)}
        if fte > SMALLEST:
            gain["cost_per_fte_gbp"] = total / fte
        reach = per_unit[:, y][problem.upper[index] > 0]
        if (reach > 0).any():
            gain["cheapest_cost_per_fte_gbp"] = cost / float(reach.max())
        out.append(gain)
    return out


def _lever_of(source: PlanFile, name: str) -> tuple[Lever, str, str | None]:
    """Return the plan file's lever behind ``name``, and the copy's staff group and area.

    A lever with ``staff_group`` or ``area`` ``"each"`` is copied as
    ``<name>.<group>`` then ``.<area>``; any other is the plan file's own.
    """
    levers = sorted(source.plan.levers, key=lambda lever: -len(lever.name))
    lever = next((item for item in levers if name == item.name
                  or name.startswith(item.name + ".")), None)
    if lever is None:
        raise ValueError(f"lever {name!r} is not in {source.path}")
    rest = name[len(lever.name) + 1:].split(".") if name != lever.name else []
    group = rest.pop(0) if lever.staff_group == "each" and rest else lever.staff_group
    area = rest.pop(0) if lever.area == "each" and rest else lever.area
    return lever, group, area


def _levers(source: PlanFile, problem: Problem, amounts: np.ndarray) -> list[dict[str, Any]]:
    out = []
    for index, name in enumerate(problem.levers):
        lever, group, area = _lever_of(source, name)
        # GBP per unit of amount as the optimiser counts it (a multiplicative lever's is
        # the model's, per 1.0 of amount)
        unit_cost = float(problem.cost[index])
        allowed = (problem.upper[index] > 0) | (problem.lower[index] > 0)
        years = [year for year, ok in zip(problem.start_years, allowed, strict=True) if ok]
        units = [float(u) for u, ok in zip(amounts[index], allowed, strict=True) if ok]
        record: dict[str, Any] = {
            "name": name, "type": problem.lever_types[index], "staff_group": group,
            "cost_per_unit_gbp": unit_cost, "cost_source": lever.cost_source,
            "years": years, "units": units, "cost_gbp": [u * unit_cost for u in units],
            "gains": _gains(problem, amounts, index)}
        if is_linearised(problem.lever_types[index]):
            record["linearised"] = True
        if area is not None:
            record["area"] = area
        out.append(record)
    return out


def _dual(shadow: dict[str, pd.Series], name: str, key: object) -> float | None:
    series = shadow.get(name)
    if series is None or key not in series.index:
        return None
    value = float(series.iloc[list(series.index).index(key)])  # a tuple on a MultiIndex too
    return 0.0 if abs(value) < NOISE else value


def _marginal(problem: Problem, shadow: dict[str, pd.Series]) -> dict[int, float]:
    """GBP million of plan cost per FTE more closed in each target year (closure duals)."""
    closure = shadow.get("closure")
    if closure is None or not len(closure):
        return {}
    by_year = closure.groupby(level=1).sum()
    return {int(str(year)): max(float(value), 0.0) for year, value in by_year.items()}


class _Constraints:
    """The constraint rows of one plan, from its limits, the amounts and the duals."""

    def __init__(self, problem: Problem, amounts: np.ndarray,
                 shadow: dict[str, pd.Series], reference: int, marginal: float) -> None:
        self.p, self.x, self.shadow = problem, amounts, shadow
        self.reference, self.marginal = reference, marginal
        #: objective ``cvar``: the duals are FTE of expected shortfall per unit (its own LP)
        self.cvar = getattr(problem, "objective", "least_cost") == "cvar"
        self.rows: list[dict[str, Any]] = []

    def _price(self, name: str, key: object) -> tuple[float | None, float | None]:
        """(GBP saved per one more unit, FTE more at the same total cost per unit).

        For ``cvar``: (FTE of expected shortfall cut per one more unit, the same).
        """
        dual = _dual(self.shadow, name, key)
        if dual is None:
            return None, None
        saved = -dual if dual else 0.0  # per unit, no -0.0
        if self.cvar:
            return saved, saved
        fte = saved / self.marginal if self.marginal > NOISE else None
        return saved * MILLION, fte  # GBP million saved per unit: GBP

    def add(self, name: str, unit: str, limit: float, used: float, *,
            year: int | None = None, key: object = None, words: tuple[str, str, str]) -> None:
        """One limit's row; ``words``: the limit, one more of it, and that unit in a phrase.

        For example ``("the budget in 2028", "one more £1m of budget in 2028", "£1m")``.
        """
        price, fte = self._price(name, key) if key is not None else (None, None)
        # at its limit, or priced (a dual is 0 unless its limit binds)
        binding = used >= limit - BINDS * max(abs(limit), 1.0) or bool(price)
        what, more, per = words
        state = "binds" if binding else "does not bind"
        shown = (f"{_money(used * MILLION)} of {_money(limit * MILLION)}"
                 if unit == "GBP million" else f"{used:,.0f} of {limit:,.0f} {unit}")
        if price is None:
            text = (f"{_upper(what)} {state} ({shown}); the solver reports no shadow price "
                    "for this limit.")
        elif price > 0 and self.cvar:
            text = (f"{_upper(more)} cuts the expected shortfall by about {price:,.1f} FTE "
                    f"({what} {state}: {shown}).")
        elif price > 0:
            gain = (f", or about {fte:,.1f} FTE more closed in {self.reference} at the same "
                    "total cost" if fte is not None else "")
            text = (f"{_upper(more)} saves {_money(price)} of plan cost{gain} ({what} "
                    f"{state}: {shown}).")
        else:
            text = (f"{_upper(what)} {state} ({shown}): {more} would buy no more FTE in "
                    f"{self.reference}.")
        row: dict[str, Any] = {"name": name, "unit": unit, "limit": limit, "used": used,
                               "binding": bool(binding), "text": text}
        if year is not None:
            row["year"] = year
        if price is not None:
            row["shadow_price"] = price
            row["shadow_unit"] = (f"FTE of expected shortfall cut per {per} more" if self.cvar
                                  else f"GBP of plan cost saved per {per} more")
        if fte is not None:
            row["fte_equivalent"] = fte
        self.rows.append(row)

    def money(self) -> None:
        """Add the budget of each year that has one, and the total budget (GBP million)."""
        p = self.p
        spend = (self.x * p.cost[:, None]).sum(axis=0) / MILLION
        for s, year in enumerate(p.start_years):
            if np.isfinite(p.budget_per_year[s]):
                self.add("budget_per_year", "GBP million", p.budget_per_year[s] / MILLION,
                         float(spend[s]), year=year, key=year,
                         words=(f"the budget in {year}",
                                f"one more £1m of budget in {year}", "£1m"))
        if p.budget_total is not None:
            self.add("budget_total", "GBP million", p.budget_total / MILLION,
                     float(spend.sum()), key="total",
                     words=("the total budget", "one more £1m of total budget", "£1m"))

    def capacity(self) -> None:
        """Add training places' maximum and growth, and the ethical cap, each start year."""
        p = self.p
        places = (self.x * p.training[:, None]).sum(axis=0)
        recruits = (self.x * p.international[:, None]).sum(axis=0)
        growth = places - np.concatenate([[0.0], places[:-1]])
        for s, year in enumerate(p.start_years):
            if p.training.any() and p.training_max is not None:
                self.add("training_max", "places a year", float(p.training_max),
                         float(places[s]), year=year, key=year,
                         words=(f"the limit of training places in {year}",
                                f"one more training place allowed in {year}", "place"))
            if p.training.any() and p.training_growth is not None:
                self.add("training_growth", "places a year more than the year before",
                         float(p.training_growth), float(growth[s]), year=year, key=year,
                         words=(f"the limit on the growth of training places into {year}",
                                f"one more place of growth allowed into {year}", "place"))
            if p.international.any() and p.international_max is not None:
                self.add("international_max", "recruits a year", float(p.international_max),
                         float(recruits[s]), year=year, key=year,
                         words=(f"the ethical cap on international recruitment in {year}",
                                f"one more international recruit allowed in {year}",
                                "recruit"))

    def lever_max(self) -> None:
        """Add each lever's maximum a year: the years it binds, and the best year's price.

        The price is the dual of the maximum in the LP with the draws fixed (GBP of
        plan cost saved per one more unit allowed that year); the scalable path and
        ``cvar`` price no lever's maximum.
        """
        p = self.p
        for index, name in enumerate(p.levers):
            upper = p.upper[index]
            top = float(upper.max(initial=0.0))
            at = [year for year, x, u in zip(p.start_years, self.x[index], upper, strict=True)
                  if u > 0 and x >= u - BINDS * max(u, 1.0)]
            row: dict[str, Any] = {"name": "lever_max", "lever": name, "unit": "units a year",
                                   "limit": top, "used": float(self.x[index].max(initial=0.0)),
                                   "binding": bool(at), "text": ""}
            if not at:
                row["text"] = f"{name} is below its maximum of {top:,.4g} a year in every year."
                self.rows.append(row)
                continue
            row["binding_years"] = at
            row["text"] = (f"{name} is at its maximum of {top:,.4g} a year in "
                           f"{year_ranges(at)}; " + self._lever_price(row, name, at))
            self.rows.append(row)

    def _lever_price(self, row: dict[str, Any], name: str, at: list[int]) -> str:
        """Price the lever's maximum in its best binding year into ``row``; return the words."""
        if self.cvar or "lever_max" not in self.shadow:
            return "the solver reports no shadow price for this maximum."
        prices = {year: self._price("lever_max", (name, year)) for year in at}
        year, (price, fte) = max(prices.items(), key=lambda item: item[1][0] or 0.0)
        if price is None:
            return "the solver reports no shadow price for this maximum."
        row |= {"year": year, "shadow_price": price,
                "shadow_unit": "GBP of plan cost saved per unit more allowed"}
        if fte is not None:
            row["fte_equivalent"] = fte
        if price <= 0:
            return "one more unit allowed in any of those years would save nothing."
        gain = (f", or about {fte:,.2f} FTE more closed in {self.reference} at the same total "
                "cost" if fte is not None else "")
        return (f"one more unit allowed in {year} saves {_money(price)} of plan cost{gain} "
                "(the most of any year).")

    def closure(self) -> None:
        """Add the cost of one more FTE closed in each target year and staff group."""
        closure = self.shadow.get("closure")
        if closure is None or not len(closure):
            return
        by_cell = closure.groupby(level=[1, 2]).sum()
        for cell, value in by_cell.items():
            key: tuple[Any, ...] = tuple(cell)  # type: ignore[arg-type]  # (year, group)
            year, group = int(key[0]), str(key[1])
            price = max(float(value), 0.0) * MILLION
            name = _group_name(str(group))
            text = (f"One more FTE to close in {year} ({name}) costs about {_money(price)}."
                    if price > NOISE * MILLION else
                    f"The target in {year} ({name}) is met with room to spare: one more FTE "
                    "to close there costs nothing more.")
            binding = price > NOISE * MILLION
            self.rows.append({"name": "closure", "year": year, "staff_group": group,
                              "unit": "FTE", "binding": binding,
                              "shadow_price": price if binding else 0.0,
                              "shadow_unit": "GBP of plan cost per FTE more closed",
                              "text": text})


def _check(result: PlanResult) -> list[dict[str, Any]]:
    return [{"year": int(r["year"]), "staff_group": str(r["staff_group"]),
             "demand_p50": float(r["demand_p50"]), "predicted_gap": float(r["predicted_q"]),
             "simulated_gap": float(r["simulated_q"]),
             "max_abs_difference": float(r["max_abs_difference"])}
            for r in result.check.to_dict("records")]


def summarise(source: PlanFile, result: PlanResult) -> PlanSummary:
    """Return the ``[plan]`` table of a solved plan (validated)."""
    plan, problem = source.plan, result.problem
    amounts = _written(result.solution.amounts)
    marginal = _marginal(problem, result.shadow)
    years = list(problem.years)
    # FTE are counted in the target year whose closure costs most at the margin (the last
    # one on a tie, or when none binds)
    reference = max(reversed(years), key=lambda y: marginal.get(y, 0.0))
    rows = _Constraints(problem, amounts, result.shadow, reference,
                        marginal.get(reference, 0.0))
    rows.money()
    rows.capacity()
    rows.lever_max()
    rows.closure()
    data: dict[str, Any] = {
        "source": source.path.name, "sha256": source.sha256, "objective": plan.objective,
        "gap": plan.target.gap, "probability": plan.target.probability,
        "target_staff_groups": list(plan.target.staff_groups), "target_years": years,
        "reference_year": reference, "draws": len(problem.draws),
        "draws_closed": int(result.solution.closed.sum()),
        "cost_gbp": float((amounts * problem.cost[:, None]).sum()),
        "shadow_basis": CVAR_BASIS if rows.cvar else BASIS,
        "levers": _levers(source, problem, amounts), "constraints": rows.rows,
        "check": _check(result)}
    if plan.target.area is not None:
        data["target_area"] = plan.target.area
    if getattr(plan.target, "each_area", False):
        data["each_area"] = True
    risk = getattr(result, "expected_shortfall", None)
    if risk is not None:  # objective cvar: the optimiser's and the re-simulation's
        data["expected_shortfall_fte"], data["simulated_expected_shortfall_fte"] = risk
    if marginal.get(reference, 0.0) > NOISE:
        data["marginal_cost_per_fte_gbp"] = marginal[reference] * MILLION
    return PlanSummary.model_validate(data)


def attach_plan(source: PlanFile, result: PlanResult) -> PlanSummary:
    """Append the plan's ``[plan]`` table to the scenario it wrote; return the summary.

    The table is written after the re-simulation (whose check it records) and
    the model ignores it, so the scenario projects as it was checked.
    """
    summary = summarise(source, result)
    path = result.scenario_path
    try:
        text = path.read_text(encoding="utf-8")
        if "\n[plan]\n" in text:  # a base scenario's own plan: replaced, not repeated
            text = text[:text.index("\n[plan]\n") + 1]
        path.write_text(text + plan_toml(summary.model_dump(mode="json", exclude_none=True)),
                        encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot write the scenario ({error.strerror})") from None
    return summary
