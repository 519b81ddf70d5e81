"""The skills-gap view: each role's shortfall and surplus, and substitutions between roles.

A staff group's gap is the net of its roles': a field of nursing that is short
and another in surplus can net to nothing. So a run by role
(:mod:`wfplan.model.roles`) is also summarised, within each draw, as

- ``shortfall_fte`` = max(gap, 0) and ``surplus_fte`` = max(-gap, 0) of every
  role, and of its staff group as the sum over its roles (not the group's net);
- ``substituted_fte``: the shortfall of a role met by another role's surplus,
  where a :class:`Substitution` allows it (skill mix, as data), taken in the
  order given: ``covered = min(shortfall[from], surplus[to] / ratio)``, then
  the from-role's shortfall falls by ``covered`` and the to-role's surplus by
  ``covered x ratio``; substitutions are within one area, never across areas;
- ``shortfall_after_substitution_fte``: the shortfall that is left.

Percentiles are then taken over the draws of each quantity (they do not add up).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

#: The view's variables, in order (all in FTE).
SKILL_VARIABLES = ("shortfall_fte", "surplus_fte", "substituted_fte",
                   "shortfall_after_substitution_fte")


class Substitution(BaseModel):
    """One allowed substitution: demand of ``from_role`` that ``to_role`` may meet.

    ``ratio`` is the FTE of ``to_role`` needed per FTE of ``from_role`` demand met
    (1: one for one); ``source`` says who allows it and on what evidence.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    from_role: str = Field(min_length=1)
    to_role: str = Field(min_length=1)
    ratio: float = Field(default=1.0, gt=0, le=5, allow_inf_nan=False)
    source: str = Field(min_length=1)

    @model_validator(mode="after")
    def _differ(self) -> Substitution:
        if self.from_role == self.to_role:
            raise ValueError("to_role must differ from from_role")
        return self


def skills_gap(gap: np.ndarray, codes: Sequence[str], parent: Mapping[str, str],
               substitutions: Sequence[Substitution] = ()) -> tuple[tuple[str, ...],
                                                                    dict[str, np.ndarray]]:
    """Return the view's codes and its variables within each draw.

    Parameters
    ----------
    gap
        ``(D, T+1, A, R)`` gap (FTE) of the codes ``codes`` (roles and unsplit groups).
    codes
        The staff-group dimension of the run.
    parent
        Role code -> staff group, for the roles among ``codes``.
    substitutions
        Allowed substitutions; each must name two roles of the run.

    Returns
    -------
    tuple
        The view's codes (the roles, then their groups in order of first role) and
        each of :data:`SKILL_VARIABLES` as ``(D, T+1, A, len(codes))``.
    """
    roles = [i for i, code in enumerate(codes) if code in parent]
    role_codes = [codes[i] for i in roles]
    missing = sorted({name for item in substitutions for name in (item.from_role, item.to_role)
                      if name not in role_codes})
    if missing:
        raise ValueError(f"substitutions name {missing}, which are not roles of the run")
    values = gap[..., roles]
    shortfall = np.maximum(values, 0.0)
    surplus = np.maximum(-values, 0.0)
    left, spare = shortfall.copy(), surplus.copy()
    for item in substitutions:
        f, t = role_codes.index(item.from_role), role_codes.index(item.to_role)
        covered = np.minimum(left[..., f], spare[..., t] / item.ratio)
        left[..., f] -= covered
        spare[..., t] -= covered * item.ratio
    by_role = {"shortfall_fte": shortfall, "surplus_fte": surplus,
               "substituted_fte": shortfall - left, "shortfall_after_substitution_fte": left}
    groups = list(dict.fromkeys(parent[code] for code in role_codes))
    members = [[r for r, code in enumerate(role_codes) if parent[code] == group]
               for group in groups]
    out = {name: np.concatenate([array, *(array[..., m].sum(axis=-1, keepdims=True)
                                          for m in members)], axis=-1)
           for name, array in by_role.items()}
    return (*role_codes, *groups), out


@dataclass(frozen=True)
class MobilityEffect:
    """Staff shared across the areas of a pool (``mobility``): ``share[d, t]`` of the surplus."""

    groups: tuple[int, ...]
    pool: np.ndarray  # (A,) bool
    share: np.ndarray  # (Dp, T+1)
    cost_per_unit: float


def share_across(supply: np.ndarray, demand: np.ndarray, moves: Sequence[MobilityEffect]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Return supply FTE after staff are shared within pools, and the cost (GBP).

    For each move and staff group, within each draw and year: the pool's areas in
    surplus make ``share x`` their surplus (``max(S - D, 0)``) available, the short
    areas take ``moved = min(available, their shortfall)``, each giving in
    proportion to its surplus and taking in proportion to its shortfall. FTE is
    conserved within the pool; ``cost_per_unit`` is charged per FTE taken, in the
    area that takes it. ``supply`` and ``demand`` are ``(D, T+1, A, G)``.
    """
    out = supply.copy()
    cost = np.zeros_like(out)
    for move in moves:
        share = move.share[:, :, np.newaxis]
        for g in move.groups:
            s, d = out[:, :, move.pool, g], demand[:, :, move.pool, g]
            surplus, short = np.maximum(s - d, 0.0), np.maximum(d - s, 0.0)
            spare, need = surplus.sum(axis=-1, keepdims=True), short.sum(axis=-1, keepdims=True)
            moved = np.minimum(share * spare, need)
            give = np.divide(surplus * moved, spare, out=np.zeros_like(s), where=spare > 0)
            take = np.divide(short * moved, need, out=np.zeros_like(s), where=need > 0)
            out[:, :, move.pool, g] = s - give + take
            cost[:, :, move.pool, g] += move.cost_per_unit * take
    return out, cost
