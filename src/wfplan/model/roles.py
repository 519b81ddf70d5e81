"""Roles below staff group: finer codes on the model's staff-group dimension.

A role (a nursing field, a social care job role, a medical grade...) belongs to
one staff group. :func:`split_roles` turns inputs by staff group into inputs by
role: each group named in a :class:`RoleSplit` is replaced, in place, by its
roles, and the model runs on them unchanged (its ``staff_group`` dimension then
holds role codes). Results aggregate to the group by summing its roles within
each draw (:func:`role_totals` with
:func:`~wfplan.model.aggregate.sum_staff_groups`).

Each role starts with its share of the group's headcount in every area and age
band (``stock_share``); unless told otherwise, it shares the group's parameters:

- rates, profiles and ratios are the group's (leaver rates, age profiles, FTE
  per head, training duration, completion, take-up, utilisation, census trends);
- counts a year are the group's times the role's share of the cell's headcount
  (other, international and return-to-practice joiners, vacancies); a national
  count (training places) is the group's times the role's share of it as the
  group's ``area_share`` places it, and ``area_share`` is the role's own, so
  that places x area share, summed over the roles, is the group's.

Every quantity of the projection is then linear in these inputs, so the roles'
results sum to the group's (exactly, in floating point, when the shares are
powers of two; to rounding otherwise). A role may have inputs of its own
(``RoleSplit.own``: its leaver rates, its census trend) where the data or the
evidence gives them; the other roles keep the group's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from wfplan.model.assumptions import Assumption
from wfplan.model.errors import ModelInputError
from wfplan.model.inputs import ModelInputs
from wfplan.model.labelled import LabelledArray

#: ``[area, staff_group]`` counts a year, split by the role's share of the cell's headcount.
_CELL_COUNTS = ("other_joiners", "international_joiners", "return_to_practice_joiners",
                "vacancy_fte")
#: How far a group's shares may sum from 1 in a cell.
_TOLERANCE = 1e-9
#: Inputs a role may have of its own (:attr:`RoleSplit.own`).
OWN = ("leaver_rate", "published_leaver_rate", "fte_per_head", "supply_trend_linear",
       "supply_trend_linear_se", "supply_trend_log_linear", "supply_trend_log_linear_se")


@dataclass(frozen=True)
class RoleSplit:
    """How staff groups split into roles.

    Attributes
    ----------
    parent
        Role code -> its staff group, in the order the roles are to appear
        (each group's roles together).
    stock_share
        ``[area, staff_group, age_band]`` whose ``staff_group`` labels are the
        roles: each role's share of its group's headcount in that cell; over a
        group's roles it sums to 1 in every cell.
    own
        Input name -> an array of that input (its dimensions) for some roles
        (``staff_group`` labels: role codes): their own values, replacing the
        group's (rates and trends only: leaver rates, census trends, FTE per head).
    rules
        How the shares (and any role's own rates) were set, as assumptions; they
        are added to the inputs' assumptions, so every output says so.
    """

    parent: Mapping[str, str]
    stock_share: LabelledArray
    own: Mapping[str, LabelledArray] = field(default_factory=dict)
    rules: Sequence[Assumption] = field(default_factory=tuple)

    def roles_of(self, group: str) -> tuple[str, ...]:
        """Return the roles of ``group`` in order (empty when it is not split)."""
        return tuple(role for role, parent in self.parent.items() if parent == group)


def role_totals(staff_groups: Sequence[str], parent: Mapping[str, str]
                ) -> dict[str, tuple[str, ...]]:
    """Return group -> its roles among ``staff_groups``, for the groups that were split."""
    totals: dict[str, list[str]] = {}
    for code in staff_groups:
        if code in parent:
            totals.setdefault(parent[code], []).append(code)
    return {group: tuple(roles) for group, roles in totals.items()}


def _order(inputs: ModelInputs, split: RoleSplit) -> tuple[list[str], list[int]]:
    """Return the new codes (roles in place of their groups) and each one's source group."""
    groups = inputs.coords.staff_group
    unknown = sorted({g for g in split.parent.values() if g not in groups})
    if unknown:
        raise ModelInputError("roles", "staff_group", f"groups {unknown} are not in the inputs")
    clash = sorted(role for role in split.parent if role in groups)
    if clash:
        raise ModelInputError("roles", "staff_group", f"role codes {clash} are staff groups")
    codes, source = [], []
    for g, group in enumerate(groups):
        for code in split.roles_of(group) or (group,):
            codes.append(code)
            source.append(g)
    return codes, source


def _shares(inputs: ModelInputs, split: RoleSplit, codes: list[str],
            source: list[int]) -> np.ndarray:
    """Return ``[A, R, K]`` the stock share of every new code (1: a group kept whole)."""
    shares = np.ones((len(inputs.coords.area), len(codes), len(inputs.coords.age_band)))
    given = split.stock_share.transpose(("area", "staff_group", "age_band"))
    if given.coords["area"] != inputs.coords.area or \
            given.coords["age_band"] != inputs.coords.age_band:
        raise ModelInputError("roles", "stock_share", "areas and age bands must be the inputs'")
    labels = list(given.coords["staff_group"])
    for r, code in enumerate(codes):
        if code in split.parent:
            if code not in labels:
                raise ModelInputError("roles", "stock_share", f"no share for role {code!r}")
            shares[:, r] = given.values[:, labels.index(code)]
    if (shares < 0).any() or not np.isfinite(shares).all():
        raise ModelInputError("roles", "stock_share", "shares must be finite and >= 0")
    total = np.zeros((shares.shape[0], len(inputs.coords.staff_group), shares.shape[2]))
    for r, g in enumerate(source):
        total[:, g] += shares[:, r]
    if np.abs(total - 1.0).max() > _TOLERANCE:
        raise ModelInputError("roles", "stock_share", "a group's roles must sum to 1 in each cell")
    return shares


def _cell_share(stock: np.ndarray, role_stock: np.ndarray, source: list[int]) -> np.ndarray:
    """Return ``[A, R]`` each role's share of its group's headcount in an area."""
    group_cell = stock.sum(axis=2)[:, source]
    role_cell = role_stock.sum(axis=2)
    national = role_stock.sum(axis=(0, 2)) / np.maximum(stock.sum(axis=(0, 2))[source], 1e-300)
    national = np.where(stock.sum(axis=(0, 2))[source] > 0, national, 1.0 / np.bincount(
        source)[source])
    out = np.broadcast_to(national, group_cell.shape).copy()
    np.divide(role_cell, group_cell, out=out, where=group_cell > 0)
    return out


def _labelled(array: LabelledArray, codes: list[str], values: np.ndarray) -> LabelledArray:
    return LabelledArray(array.dims, {**array.coords, "staff_group": tuple(codes)}, values)


def split_roles(inputs: ModelInputs, split: RoleSplit) -> ModelInputs:
    """Return the inputs with each split staff group replaced by its roles (module notes).

    Raises
    ------
    ModelInputError
        When a group is not in the inputs, a role code is a staff group's, or the
        shares are not a partition of each group's cells.
    """
    codes, source = _order(inputs, split)
    shares = _shares(inputs, split, codes, source)
    stock = inputs.array("stock_hc")
    role_stock = stock[:, source] * shares
    cell = _cell_share(stock, role_stock, source)
    group_share = inputs.array("area_share")[:, source]
    weighted = group_share * cell
    # the role's share of the group's national counts, as the group's area share places them
    national = np.divide(weighted.sum(axis=0), group_share.sum(axis=0),
                         out=np.zeros(len(codes)), where=group_share.sum(axis=0) > 0)
    scaled: dict[str, np.ndarray] = {
        "stock_hc": role_stock,
        "area_share": np.divide(weighted, national, out=group_share.copy(),
                                where=national > 0),
        "training_places": inputs.array("training_places")[:, source] * national,
        **{name: inputs.array(name)[:, source] * cell for name in _CELL_COUNTS},
    }
    changes: dict[str, Any] = {"coords": replace(inputs.coords, staff_group=tuple(codes))}
    for item in fields(inputs):
        array = getattr(inputs, item.name)
        if not isinstance(array, LabelledArray) or "staff_group" not in array.dims:
            continue
        if item.name in scaled:
            values = scaled[item.name]
        else:
            values = np.take(array.values, source, axis=array.dims.index("staff_group"))
        changes[item.name] = _labelled(array, codes, values)
    for name, own in split.own.items():
        if name not in OWN:
            raise ModelInputError("roles", name, f"a role may have its own {', '.join(OWN)}")
        changes[name] = _own_values(changes[name], own)
    sources = inputs.published_leaver_rate_sources
    groups = inputs.coords.staff_group
    changes["published_leaver_rate_sources"] = {
        code: sources[groups[g]] for code, g in zip(codes, source, strict=True)
        if groups[g] in sources}
    changes["assumptions"] = (*inputs.assumptions, *split.rules)
    return replace(inputs, **changes)


def _own_values(rates: LabelledArray, own: LabelledArray) -> LabelledArray:
    """Replace the values of the roles ``own`` gives (its other labels: the inputs')."""
    own = own.transpose(rates.dims)
    if any(own.coords[d] != rates.coords[d] for d in rates.dims if d != "staff_group"):
        raise ModelInputError("roles", "own", "areas and age bands must be the inputs'")
    values = rates.values.copy()
    axis = rates.dims.index("staff_group")
    labels = list(rates.coords["staff_group"])
    for index, code in enumerate(own.coords["staff_group"]):
        if code not in labels:
            raise ModelInputError("roles", "own", f"{code!r} is not a role of the split")
        target = np.moveaxis(values, axis, 0)  # a view: writing to it writes to values
        target[labels.index(code)] = np.moveaxis(own.values, axis, 0)[index]
    return LabelledArray(rates.dims, rates.coords, values)
