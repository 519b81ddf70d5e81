"""Pure helpers that turn model results and dataset metrics into the report's frames.

The assessment layer calls these and puts what they return into
:class:`~wfplan.report.context.ReportData`. None of them reads a file or the
store. Percentiles are never added up: the long results must already be at the
area the report describes (aggregate the model's ``Results`` to England with
``wfplan.model.aggregate`` before ``to_long``), so each helper picks one area, and
England's totals over staff groups (``all_staff_groups``, ``all_<sector>``) are rows
of the results, summed within each draw by ``wfplan.model.aggregate.sum_staff_groups``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from wfplan.dataset.codelists import staff_group_order
from wfplan.model.aggregate import is_total
from wfplan.report.context import (
    COMPARISON_COLUMNS,
    HEADLINE_COLUMNS,
    INTERVENTION_COLUMNS,
    INTERVENTION_DETAIL_COLUMNS,
    PROJECTION_COLUMNS,
    WELLBEING_COLUMNS,
)
from wfplan.report.methods import (
    NOT_RECORDED,
    describe_value,
    methods_from_metadata,
    sources_from_ingests,
)

#: The methods-section helpers live in :mod:`wfplan.report.methods` and are re-exported here.
__all__ = [
    "NOT_RECORDED",
    "PROJECTION_VARIABLES",
    "STATISTIC_ORDER",
    "describe_value",
    "ethnicity_from_metrics",
    "fan_from_results",
    "headline_from_results",
    "intervention_details_from_metadata",
    "interventions_from_results",
    "largest_staff_groups",
    "methods_from_metadata",
    "projection_frame",
    "scenario_comparison_from_results",
    "select_area",
    "sources_from_ingests",
    "split_totals",
    "staff_group_order",
    "wellbeing_from_position",
]

#: Variables the report reads from the long results.
PROJECTION_VARIABLES = (
    "supply_fte", "demand_funded_fte", "demand_need_fte", "gap_fte", "gap_need_fte",
    "gap_pct", "intervention_cost_gbp", "counterfactual_gap_fte", "gap_closed_fte",
    "cost_per_fte_gap_closed",
)
STATISTIC_ORDER = ("principal", "p5", "p50", "p95")


def _first_seen(values: Iterable[Any]) -> list[Any]:
    """Return the distinct values in order of first appearance.

    A Series is reduced by pandas (``unique`` keeps that order) rather than by
    iterating over its rows in Python, which is slow for Arrow-backed strings.
    """
    if isinstance(values, pd.Series):
        return list(values.unique())
    return list(dict.fromkeys(values))


def _one(values: Iterable[Any], what: str, given: Any) -> Any:
    found = _first_seen(values)
    if given is not None:
        if given not in found:
            raise ValueError(f"no {what} {given!r} in the results; they have {found}")
        return given
    if len(found) != 1:
        raise ValueError(f"the results have {len(found)} {what}s {found}; name one "
                         f"(percentiles cannot be added up across {what}s)")
    return found[0]


def select_area(long_df: pd.DataFrame, area: str | None = None) -> pd.DataFrame:
    """Return the rows of one area (``area``, or the only area in the results)."""
    chosen = _one(long_df["area"], "area", area)
    return long_df[long_df["area"] == chosen]


def _wide(long_df: pd.DataFrame, variables: Sequence[str], years: Sequence[int]) -> pd.DataFrame:
    """Pivot to one row per scenario, staff group and year; columns ``<variable>_<statistic>``."""
    rows = long_df[long_df["variable"].isin(variables) & long_df["year"].isin(years)]
    wide = rows.pivot_table(index=["scenario", "staff_group", "year"],
                            columns=["variable", "statistic"], values="value",
                            aggfunc="first", sort=False, dropna=False)
    wide.columns = [f"{pair[0]}_{pair[1]}" for pair in wide.columns]
    for variable in variables:
        for statistic in STATISTIC_ORDER:
            if f"{variable}_{statistic}" not in wide.columns:
                wide[f"{variable}_{statistic}"] = float("nan")
    return wide.reset_index()


def _in_order(frame: pd.DataFrame, column: str, order: Iterable[Any]) -> pd.Series:
    position = {value: i for i, value in enumerate(_first_seen(order))}
    return frame[column].map(position)


def split_totals(frame: pd.DataFrame, column: str = "staff_group",
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a frame into its staff-group rows and its totals' rows (``all_*``)."""
    totals = frame[column].map(lambda code: is_total(str(code))).astype(bool)
    return (frame[~totals].reset_index(drop=True), frame[totals].reset_index(drop=True))


def projection_frame(long_df: pd.DataFrame, *, area: str | None = None) -> pd.DataFrame:
    """Return the long results of one area restricted to :data:`PROJECTION_VARIABLES`.

    This is what :attr:`ReportData.projections` holds.
    """
    rows = select_area(long_df, area)
    rows = rows[rows["variable"].isin(PROJECTION_VARIABLES)]
    return rows[list(PROJECTION_COLUMNS)].reset_index(drop=True)


def headline_from_results(long_df: pd.DataFrame, base_year: int,
                          horizons: Sequence[int] = (5, 10, 15), *,
                          scenario: str | None = None, area: str | None = None) -> pd.DataFrame:
    """Return the gap by staff group at each horizon, P50 with its P5–P95 range.

    Parameters
    ----------
    long_df : DataFrame
        IAMC long results (``wfplan.model.to_long``).
    base_year : int
        Calendar year of the base census; horizon ``h`` is year ``base_year + h``.
    horizons : sequence of int
        Years after the base year; horizons beyond the projection are left out.
    scenario, area : str, optional
        Which scenario and area; needed only when the results hold several.

    Returns
    -------
    DataFrame
        :data:`~wfplan.report.context.HEADLINE_COLUMNS`, one row per staff group
        and horizon, in :func:`staff_group_order` (England's totals first, when the
        results have them: :func:`split_totals` separates them). Gaps are FTE
        (demand minus supply: positive is a shortfall); ``gap_pct`` is % of funded
        demand.
    """
    rows = select_area(long_df, area)
    chosen = _one(rows["scenario"], "scenario", scenario)
    rows = rows[rows["scenario"] == chosen]
    years = [base_year + h for h in horizons]
    variables = ("gap_fte", "gap_pct", "gap_need_fte", "supply_fte", "demand_funded_fte")
    wide = _wide(rows, variables, years)
    wide["horizon_years"] = wide["year"] - base_year
    groups = staff_group_order(_first_seen(rows["staff_group"]))
    wide = wide.assign(_group=_in_order(wide, "staff_group", groups))
    wide = wide.sort_values(["_group", "horizon_years"]).drop(columns="_group")
    return wide[list(HEADLINE_COLUMNS)].reset_index(drop=True)


def scenario_comparison_from_results(long_df: pd.DataFrame, year: int | None = None, *,
                                     area: str | None = None) -> pd.DataFrame:
    """Return every scenario's gap by staff group in ``year`` (default: the final year).

    Returns
    -------
    DataFrame
        :data:`~wfplan.report.context.COMPARISON_COLUMNS`, scenarios in the
        results' order, staff groups (and totals) in :func:`staff_group_order`.
    """
    rows = select_area(long_df, area)
    when = int(rows["year"].max()) if year is None else year
    variables = ("gap_fte", "gap_pct", "supply_fte", "demand_funded_fte")
    wide = _wide(rows, variables, [when])
    groups = staff_group_order(_first_seen(rows["staff_group"]))
    wide = wide.assign(_s=_in_order(wide, "scenario", rows["scenario"]),
                       _g=_in_order(wide, "staff_group", groups))
    wide = wide.sort_values(["_s", "_g"]).drop(columns=["_s", "_g"])
    return wide[list(COMPARISON_COLUMNS)].reset_index(drop=True)


def fan_from_results(long_df: pd.DataFrame, scenario: str, staff_group: str, *,
                     area: str | None = None) -> pd.DataFrame:
    """Return supply and demand by year for one scenario and staff group, for a fan chart.

    Returns
    -------
    DataFrame
        ``year`` then ``<variable>_<statistic>`` for ``supply_fte``,
        ``demand_funded_fte`` and ``demand_need_fte`` (principal, p5, p50, p95).
    """
    rows = select_area(long_df, area)
    rows = rows[(rows["scenario"] == scenario) & (rows["staff_group"] == staff_group)]
    if rows.empty:
        raise ValueError(f"no results for scenario {scenario!r} and staff group {staff_group!r}")
    variables = ("supply_fte", "demand_funded_fte", "demand_need_fte")
    wide = _wide(rows, variables, sorted(rows["year"].unique()))
    return wide.drop(columns=["scenario", "staff_group"]).sort_values("year").reset_index(
        drop=True)


def largest_staff_groups(long_df: pd.DataFrame, scenario: str, count: int = 4) -> tuple[str, ...]:
    """Return the ``count`` staff groups with the largest base-year funded demand (principal).

    England's totals are not staff groups and are left out.
    """
    rows = long_df[(long_df["scenario"] == scenario) & (long_df["variable"] == "demand_funded_fte")
                   & (long_df["statistic"] == "principal")
                   & ~long_df["staff_group"].map(lambda code: is_total(str(code))).astype(bool)]
    if rows.empty:
        return ()
    first = rows[rows["year"] == rows["year"].min()]
    ordered = first.groupby("staff_group", sort=False)["value"].sum().sort_values(
        ascending=False, kind="stable")
    return tuple(str(g) for g in ordered.index[:count])


def _intervention_groups(spec: Mapping[str, Any], groups: Sequence[str]) -> list[str]:
    named = [spec.get("staff_group"), spec.get("to_staff_group")]
    out: list[str] = []
    for group in named:
        if group == "all":
            out.extend(groups)
        elif group:
            out.append(str(group))
    return list(dict.fromkeys(out))


def intervention_details_from_metadata(
        metadata: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Return one row per intervention of each scenario, with its source and owner.

    Parameters
    ----------
    metadata : mapping
        Scenario name to ``Results.metadata`` (its ``scenario.interventions``).
    """
    rows = []
    for scenario, meta in metadata.items():
        for spec in meta.get("scenario", {}).get("interventions", []):
            rows.append({
                "scenario": scenario, "name": spec.get("name") or "",
                "type": spec.get("type"), "staff_group": spec.get("staff_group"),
                "area": spec.get("area") or "all", "start_year": spec.get("start_year"),
                "amount": describe_value(spec.get("amount")),
                "ramp_years": spec.get("ramp_years"),
                "cost_per_unit": spec.get("cost_per_unit"),
                "source": spec.get("source") or "", "owner": spec.get("owner") or "",
            })
    return pd.DataFrame(rows, columns=list(INTERVENTION_DETAIL_COLUMNS))


def interventions_from_results(long_df: pd.DataFrame, metadata: Mapping[str, Mapping[str, Any]],
                               year: int | None = None, *,
                               area: str | None = None) -> pd.DataFrame:
    """Return what each scenario's interventions buy and cost, by staff group.

    The model counts cost and gap closed per scenario and staff group, not per
    intervention, so interventions on the same staff group are reported
    together (``type`` and ``amount`` then list each).

    Parameters
    ----------
    long_df : DataFrame
        IAMC long results of every scenario.
    metadata : mapping
        Scenario name to ``Results.metadata``.
    year : int, optional
        The year reported (default: the final year).
    area : str, optional
        The area, when the results hold several.

    Returns
    -------
    DataFrame
        :data:`~wfplan.report.context.INTERVENTION_COLUMNS`: ``cost_gbp`` is the
        principal run's intervention cost summed to ``year``; ``fte_gap_closed``
        the gap closed in ``year`` (P50, P5, P95); ``cost_per_fte_closed_p50`` the
        P50 of cumulative cost ÷ gap closed; ``counterfactual_gap_fte`` the gap of
        the same draws without the interventions and ``gap_fte`` the gap with them
        (each P50, P5, P95). Each is a percentile of its own draws: the P50 of the
        gap closed is not the difference of the two gaps' P50s.
    """
    rows = select_area(long_df, area)
    when = int(rows["year"].max()) if year is None else year
    out = []
    for scenario, meta in metadata.items():
        specs = meta.get("scenario", {}).get("interventions", [])
        own = rows[rows["scenario"] == scenario]
        groups = [g for g in _first_seen(own["staff_group"]) if not is_total(str(g))]
        touched: dict[str, list[Mapping[str, Any]]] = {}
        for spec in specs:
            for group in _intervention_groups(spec, groups):
                touched.setdefault(group, []).append(spec)
        wide = _wide(own, ("gap_closed_fte", "cost_per_fte_gap_closed", "gap_fte",
                           "counterfactual_gap_fte"), [when])
        wide = wide.set_index("staff_group")
        cost = own[(own["variable"] == "intervention_cost_gbp")
                   & (own["statistic"] == "principal") & (own["year"] <= when)]
        cost_by_group = cost.groupby("staff_group")["value"].sum()
        for group, group_specs in touched.items():
            effect = wide.loc[group] if group in wide.index else None

            def get(column: str, effect: Any = effect) -> float:
                return float("nan") if effect is None else float(effect[column])

            out.append({
                "scenario": scenario, "staff_group": group,
                "type": "; ".join(str(s.get("type")) for s in group_specs),
                "amount": "; ".join(describe_value(s.get("amount")) for s in group_specs),
                "year": when, "cost_gbp": float(cost_by_group.get(group, 0.0)),
                "fte_gap_closed_p50": get("gap_closed_fte_p50"),
                "fte_gap_closed_p5": get("gap_closed_fte_p5"),
                "fte_gap_closed_p95": get("gap_closed_fte_p95"),
                "cost_per_fte_closed_p50": get("cost_per_fte_gap_closed_p50"),
                **{f"{name}_{stat}": get(f"{name}_{stat}")
                   for name in ("counterfactual_gap_fte", "gap_fte")
                   for stat in ("p50", "p5", "p95")},
                "interventions": "; ".join(str(s.get("name") or s.get("type"))
                                           for s in group_specs),
            })
    return pd.DataFrame(out, columns=[*INTERVENTION_COLUMNS, "interventions"])


def ethnicity_from_metrics(frame: pd.DataFrame, *, area: str | None = None,
                           ) -> tuple[pd.DataFrame, float]:
    """Return the ethnic-minority share by band and the whole workforce's share.

    Parameters
    ----------
    frame : DataFrame
        ``wfplan.analysis.metrics.ethnic_minority_by_band`` output.
    area : str, optional
        The area code, when the frame holds several.

    Returns
    -------
    (DataFrame, float)
        The frame of one area with ``goal_share`` (the overall share: the Model
        Employer goal) and ``difference`` (band share minus goal) added, and the
        overall share (minority ÷ known ethnicity headcount over every band).
    """
    if frame.empty:
        return frame.assign(goal_share=pd.Series(dtype=float),
                            difference=pd.Series(dtype=float)), float("nan")
    chosen = _one(frame["area_code"], "area", area)
    rows = frame[frame["area_code"] == chosen].copy()
    known = float(rows["known_headcount"].sum())
    overall = float(rows["minority_headcount"].sum()) / known if known else float("nan")
    rows["goal_share"] = overall
    rows["difference"] = rows["ethnic_minority_share"].astype(float) - overall
    return rows.reset_index(drop=True), overall


def wellbeing_from_position(position: pd.DataFrame) -> pd.DataFrame:
    """Return sickness absence and burnout rates by area from a current-position frame."""
    return position[list(WELLBEING_COLUMNS)].reset_index(drop=True)
