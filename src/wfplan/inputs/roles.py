"""Inputs by role: a vintage's staff in post by role, apportioned where it has none.

The roles of a staff group are the rows of the role code list
(``dataset/codelists/roles.csv``) whose ``staff_group`` is that group. For each
staff group a projection splits (a scenario's ``roles``), the share of every
area and age band's headcount in each role comes, in this order, from:

1. **the data**: rows of ``staff_in_post`` at the base period that give a role
   of the group keep their area and age band (a row with no age band is spread
   by the group's age profile, as for the group); rows with no role (or another
   group's role) are apportioned by the national role shares of the rows that
   give one;
2. **the role shares table** (``data/role_shares.csv``): when no row of the
   group gives a role, each role's published share, or a wfplan assumption
   marked as such, with its source;
3. otherwise the group cannot be split, and the projection says which and why.

Every rule used is recorded as an assumption, so every output says how its
roles were apportioned. The split itself is :func:`wfplan.model.roles.split_roles`.

Roles share their group's parameters, except the **census trend**: a group
with no flows follows the trend of its censuses (:mod:`wfplan.inputs.trend`),
and where its censuses give roles, each role follows its own (the same fits of
each census's FTE, else headcount, by role, rows with no role apportioned by
that census's role shares); a cell of a role with fewer than two censuses keeps
the group's trend. So a field of nursing that is growing and another that is
shrinking are projected as such.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from functools import cache
from importlib.resources import files
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wfplan.dataset import codelists
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import model_inputs as queries
from wfplan.errors import InputError
from wfplan.inputs.cache import cached_inputs
from wfplan.inputs.source import Selection, pivot, years_between
from wfplan.inputs.trend import FORMS, fit_trend
from wfplan.model import LabelledArray, ModelInputs, Scenario
from wfplan.model.assumptions import Assumption
from wfplan.model.roles import RoleSplit, split_roles

ROLE_SHARES = "data/role_shares.csv"
#: How far a group's shares in the table may sum from 1.
_SUM_TOLERANCE = 1e-9


class RoleShare(BaseModel):
    """One row of ``data/role_shares.csv``: a role's share of its group's headcount."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: str = Field(min_length=1)
    staff_group: str = Field(min_length=1)
    share: float = Field(ge=0, le=1)
    period: str = ""
    population: str = Field(min_length=1)
    publication: str = Field(min_length=1)
    table_or_page: str = ""
    url: str = ""
    licence: str = ""
    status: Literal["published", "computed", "wfplan_assumption"]
    reasoning: str = Field(min_length=1)

    def citation(self) -> str:
        """Return the share's source for a reader."""
        where = f", {self.table_or_page}" if self.table_or_page else ""
        return f"{ROLE_SHARES} ({self.status}): {self.publication}{where}"


def roles_of(group: str) -> tuple[str, ...]:
    """Return the role codes of a staff group, in code-list order."""
    return tuple(row["code"] for row in codelists.get("role").rows
                 if row["staff_group"] == group)


def parse_role_shares(text: str, path: str = ROLE_SHARES) -> dict[str, tuple[RoleShare, ...]]:
    """Validate the role shares table: staff group -> its rows; errors name row and column."""
    rows: dict[str, list[RoleShare]] = {}
    for number, raw in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            row = RoleShare.model_validate({k: (v or "").strip() for k, v in raw.items()})
        except ValidationError as error:
            first = error.errors()[0]
            column = ".".join(str(part) for part in first["loc"])
            raise InputError(f"{path}, row {number}, column {column}: {first['msg']}") from None
        if row.role not in roles_of(row.staff_group):
            raise InputError(f"{path}, row {number}, column role: {row.role!r} is not a role "
                             f"of staff group {row.staff_group!r} in the role code list")
        rows.setdefault(row.staff_group, []).append(row)
    for group, shares in rows.items():
        total = sum(row.share for row in shares)
        if abs(total - 1.0) > _SUM_TOLERANCE:
            raise InputError(f"{path}: the shares of staff group {group!r} sum to {total:g}, "
                             "not 1")
    return {group: tuple(shares) for group, shares in rows.items()}


@cache
def role_shares() -> dict[str, tuple[RoleShare, ...]]:
    """Return the package's role shares table, validated."""
    return parse_role_shares(files("wfplan").joinpath(ROLE_SHARES).read_text(encoding="utf-8"))


def groups_to_split(inputs: ModelInputs, roles: str | Sequence[str]) -> tuple[str, ...]:
    """Return the staff groups of ``inputs`` that ``roles`` names (``"all"``: any with roles).

    A named group that is not in the inputs or has no roles in the code list is refused.
    """
    present = inputs.coords.staff_group
    if roles == "all":
        return tuple(group for group in present if roles_of(group))
    problems = [f"{group!r} is not projected from this vintage" for group in roles
                if group not in present]
    problems += [f"{group!r} has no roles in the role code list" for group in roles
                 if group in present and not roles_of(group)]
    if problems:
        raise InputError("roles: " + "; ".join(problems))
    return tuple(roles)


def _role_headcount(frame: pd.DataFrame, inputs: ModelInputs, group: str,
                    roles: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Return headcount ``[A, R, K]`` of the rows giving a role, and ``[A, K]`` of the rest.

    As :mod:`~wfplan.inputs.stock` counts it: FTE-only rows at the cell's FTE per head,
    rows without an age band by the group's age profile (its base stock's).
    """
    areas, bands = inputs.coords.area, inputs.coords.age_band
    g = inputs.coords.staff_group.index(group)
    rows = frame[(frame["staff_group"] == group) & frame["area"].isin(areas)].copy()
    ratio = inputs.array("fte_per_head")[rows["area"].map(areas.index).to_numpy(int), g]
    for column in ("hc_both", "hc_only", "fte_only"):
        rows[column] = rows[column].astype("float64").fillna(0.0)
    rows["hc"] = rows["hc_both"] + rows["hc_only"] + rows["fte_only"] / ratio
    rows["role"] = rows["role"].where(rows["role"].isin(roles), None)
    stock = inputs.array("stock_hc")[:, g]
    profile = stock.sum(axis=0) / max(stock.sum(), 1e-300)
    labels = {"area": areas, "role": roles, "age_band": bands}

    def spread(part: pd.DataFrame, index: list[str]) -> np.ndarray:
        by_age = pivot(part[part["age_band"].notna()], "hc", index, "age_band", labels)
        no_age = pivot(part[part["age_band"].isna()], "hc", index, None, labels)
        return by_age + no_age[..., np.newaxis] * profile

    named = rows[rows["role"].notna()]
    return spread(named, ["area", "role"]), spread(rows[rows["role"].isna()], ["area"])


def _group_shares(frame: pd.DataFrame, inputs: ModelInputs, group: str
                  ) -> tuple[tuple[str, ...], np.ndarray, Assumption]:
    """Return the roles of ``group`` with data or a table share, ``[A, R, K]`` shares, the rule."""
    roles = roles_of(group)
    tier: Literal["data", "evidence"]
    named, rest = _role_headcount(frame, inputs, group, roles)
    total_named = named.sum()
    if total_named > 0:
        keep = named.sum(axis=(0, 2)) > 0
        roles, named = tuple(r for r, k in zip(roles, keep, strict=True) if k), named[:, keep]
        national = named.sum(axis=(0, 2)) / total_named
        share_given = total_named / (total_named + rest.sum())
        reason = (f"from the data: {share_given:.1%} of the headcount at the base period gives "
                  "a role; the rest is apportioned by the national shares of the rows that do")
        source, tier = "staff_in_post.role", "data"
    elif group in role_shares():
        table = role_shares()[group]
        roles = tuple(row.role for row in table)
        national = np.array([row.share for row in table])
        named = np.zeros((len(inputs.coords.area), len(roles), len(inputs.coords.age_band)))
        assumed = [row.role for row in table if row.status == "wfplan_assumption"]
        reason = ("the data gives no role: apportioned by the role shares table, every role "
                  "in every area and age band" + (f"; the shares of {', '.join(assumed)} are "
                                                  "wfplan assumptions" if assumed else ""))
        source = "; ".join(f"{row.role}: {row.citation()}" for row in table)
        tier = "evidence"
    else:
        raise InputError(f"roles: staff group {group!r} cannot be split into roles: no row of "
                         "the vintage gives one of its roles (staff_in_post, column role) and "
                         f"{ROLE_SHARES} has no shares for it")
    heads = named + rest[:, np.newaxis, :] * national[np.newaxis, :, np.newaxis]
    totals = heads.sum(axis=1, keepdims=True)
    shares = np.divide(heads, totals, out=np.broadcast_to(
        national[np.newaxis, :, np.newaxis], heads.shape).copy(), where=totals > 0)
    value = {role: round(float(s), 6) for role, s in zip(roles, national, strict=True)}
    rule = Assumption(name=f"roles of {group}", value=value, reason=reason, source=source,
                      tier=tier)
    return roles, shares, rule


def _census_values(frame: pd.DataFrame, inputs: ModelInputs, group: str,
                   roles: tuple[str, ...]) -> np.ndarray:
    """Return ``[A, R]`` one census's FTE (else headcount) by role, rows with no role shared."""
    rows = frame[(frame["staff_group"] == group) & frame["area"].isin(inputs.coords.area)]
    rows = rows.assign(value=sum(rows[c].astype("float64").fillna(0.0)
                                 for c in ("fte_both", "fte_only", "hc_only")),
                       role=rows["role"].where(rows["role"].isin(roles), None))
    labels = {"area": inputs.coords.area, "role": roles}
    named = pivot(rows[rows["role"].notna()], "value", ["area", "role"], None, labels)
    rest = pivot(rows[rows["role"].isna()], "value", ["area"], None, labels)
    total = named.sum()
    share = named.sum(axis=0) / total if total > 0 else np.full(len(roles), 1.0 / len(roles))
    return named + rest[:, np.newaxis] * share


def _role_trends(selection: Selection, inputs: ModelInputs, parent: dict[str, str],
                 rules: list[Assumption]) -> dict[str, LabelledArray]:
    """Each role's own census trend, for the split groups that follow theirs (module notes)."""
    points = inputs.array("supply_trend_points")
    groups = inputs.coords.staff_group
    followed = [g for g in dict.fromkeys(parent.values()) if points[groups.index(g)] >= 2]
    periods = queries.staff_in_post_periods(selection.store, selection.vintage,
                                            selection.period)
    if not followed or len(periods) < 2:
        return {}
    roles = tuple(role for role in parent if parent[role] in followed)
    frames = [queries.staff_in_post_by_role(selection.store, selection.scope, when)
              for when in periods]
    series = np.stack([np.concatenate(
        [_census_values(frame, inputs, g, tuple(r for r in roles if parent[r] == g))
         for g in followed], axis=1) for frame in frames])  # (N, A, R)
    times = np.array([-years_between(p, selection.period) for p in periods])
    source = [groups.index(parent[role]) for role in roles]
    own = {}
    for form in FORMS:
        slope, se = fit_trend(times, series, form)
        for name, values in ((f"supply_trend_{form}", slope), (f"supply_trend_{form}_se", se)):
            group_values = inputs.array(name)[:, source]
            own[name] = LabelledArray(("area", "staff_group"),
                                      {"area": inputs.coords.area, "staff_group": roles},
                                      np.where(np.isnan(values), group_values, values))
    span = f"{periods[0].isoformat()} to {periods[-1].isoformat()}"
    rules.append(Assumption(
        name="roles: census trend", value=list(roles), tier="data",
        reason=f"each role of {', '.join(followed)} follows the trend of its own censuses "
               f"({len(periods)} censuses, {span}); a cell with fewer than two censuses "
               "with staff keeps its staff group's trend"))
    return own


def split_by_role(selection: Selection, inputs: ModelInputs,
                  roles: str | Sequence[str]) -> ModelInputs:
    """Return ``inputs`` with the staff groups ``roles`` names split into their roles.

    ``roles`` is a scenario's ``roles``: ``"all"`` or staff-group codes. Roles share
    their group's parameters (:mod:`wfplan.model.roles`); the rule that set each
    group's shares is recorded as an assumption. A group named that cannot be split
    is refused; with ``"all"``, such groups are kept whole, and recorded.
    """
    groups = groups_to_split(inputs, roles)
    frame = queries.staff_in_post_by_role(selection.store, selection.scope, selection.period)
    parent: dict[str, str] = {}
    parts, rules, whole = [], [], []
    for group in groups:
        try:
            found, shares, rule = _group_shares(frame, inputs, group)
        except InputError:
            if roles != "all":
                raise
            whole.append(group)
            continue
        parent.update(dict.fromkeys(found, group))
        parts.append(shares)
        rules.append(rule)
    if whole:
        rules.append(Assumption(
            name="roles: groups kept whole", value=whole, tier="default",
            reason="roles = 'all': no row of the vintage gives one of these groups' roles and "
                   f"{ROLE_SHARES} has no shares for them, so they are projected as groups"))
    if not parent:
        return replace(inputs, assumptions=(*inputs.assumptions, *rules)) if rules else inputs
    own = _role_trends(selection, inputs, parent, rules)
    stock_share = LabelledArray(
        ("area", "staff_group", "age_band"),
        {"area": inputs.coords.area, "staff_group": tuple(parent),
         "age_band": inputs.coords.age_band},
        np.concatenate(parts, axis=1))
    return split_roles(inputs, RoleSplit(parent=parent, stock_share=stock_share, own=own,
                                         rules=rules))


def scenario_inputs(store: Store, vintage: str, period: date, scenario: Scenario, *,
                    use_cache: bool = False) -> ModelInputs:
    """Return a scenario's inputs: its level and staff groups, split by role if it asks.

    The inputs by staff group come from :func:`~wfplan.inputs.cache.cached_inputs`
    (kept on disk for a frozen vintage with ``use_cache``); the split is made anew.
    """
    groups = None if scenario.staff_groups == "all" else tuple(scenario.staff_groups)
    inputs = cached_inputs(store, vintage, period, scenario.level, groups, use_cache=use_cache)
    if scenario.roles is None:
        return inputs
    selection = Selection(store, vintage, scenario.level, period, None, groups)
    return split_by_role(selection, inputs, scenario.roles)
