"""What a role may see of a vintage: the areas and organisations in its scope.

The rules (issue 13), applied by the service to every query it answers:

- ``national``: everything;
- ``region:CODE``: the region, its ICBs and the organisations placed in it;
- ``icb:CODE``: the ICB and the organisations placed in it;
- ``org:CODE``: the organisation, plus England, every region and every ICB;
- ``public``: England, every region and every ICB, under disclosure control
  (:mod:`wfplan.analysis.public`), never an organisation.

Organisations are placed in ICBs and regions as the metrics place them
(:func:`wfplan.dataset.store.queries.geography.placements`, at the vintage's
latest staff-in-post period). Figures for organisations with no reference
record (``UNMAPPED``) are national only. Anything a scope does not name is
refused: the sets list what is allowed, never what is forbidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.accounts import Role
from wfplan.dataset.geography import UNMAPPED
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.geography import placements
from wfplan.dataset.store.queries.model_inputs import staff_in_post_periods

#: The levels of the metrics, widest first.
LEVELS = ("england", "region", "icb", "org")


@dataclass(frozen=True)
class Scope:
    """The codes a role may see at each level (None: every code of the level).

    Attributes
    ----------
    role : Role
        Whose scope it is.
    codes : dict
        Level → allowed codes (a frozenset, possibly empty) or None for all.
    controlled : bool
        Whether figures go out under disclosure control (the public).
    """

    role: Role
    codes: dict[str, frozenset[str] | None]
    controlled: bool = False

    def allows_level(self, level: str) -> bool:
        """Return whether the role may see any area of ``level``."""
        allowed = self.codes.get(level, frozenset())
        return allowed is None or bool(allowed)

    def allows(self, level: str, code: str) -> bool:
        """Return whether the role may see area (or organisation) ``code`` at ``level``."""
        if code == UNMAPPED:
            return self.role.kind == "national"
        allowed = self.codes.get(level, frozenset())
        return allowed is None or code.upper() in allowed

    def visible(self, frame: pd.DataFrame, level: str, column: str = "area_code") -> pd.DataFrame:
        """Return the rows of ``frame`` whose ``column`` the role may see at ``level``."""
        if frame.empty:
            return frame
        # to_numpy(dtype=object) gives the values iterating the column gives (missing ones
        # alike), without iterating an Arrow-backed column value by value (slow)
        keep = [self.allows(level, str(code)) for code in frame[column].to_numpy(dtype=object)]
        return frame[keep].reset_index(drop=True)


def placement_date(store: Store, vintage: str) -> date:
    """Return the date organisations are placed at: the vintage's latest census, else today."""
    periods = staff_in_post_periods(store, vintage)
    return periods[-1] if periods else date.today()


#: The kinds of role whose scope depends on where the vintage places organisations.
PLACED_KINDS = ("region", "icb")


def scope_of(store: Store, role: Role, vintage: str) -> Scope:
    """Return what ``role`` may see of ``vintage`` (see the module's rules)."""
    placed = (placements(store, vintage, placement_date(store, vintage))
              if role.kind in PLACED_KINDS else None)
    return scope_in(role, placed)


def scope_in(role: Role, placed: pd.DataFrame | None) -> Scope:
    """Return what ``role`` may see, given the vintage's placements of organisations.

    ``placed`` is :func:`~wfplan.dataset.store.queries.geography.placements` at
    :func:`placement_date`; only a region or ICB role (:data:`PLACED_KINDS`) needs it.
    """
    everything: dict[str, frozenset[str] | None] = dict.fromkeys(LEVELS)
    if role.kind == "national":
        return Scope(role, everything)
    aggregates: dict[str, frozenset[str] | None] = {
        "england": frozenset({codelists.ENGLAND_CODE}), "region": None, "icb": None}
    if role.kind == "public":
        return Scope(role, {**aggregates, "org": frozenset()}, controlled=True)
    if role.kind == "org":
        return Scope(role, {**aggregates, "org": frozenset({str(role.code)})})
    if placed is None:
        raise ValueError(f"the scope of role {role} needs the vintage's placements")
    if role.kind == "icb":
        orgs = placed.loc[placed["icb_code"] == role.code, "org_code"]
        return Scope(role, {"england": frozenset(), "region": frozenset(),
                            "icb": frozenset({str(role.code)}), "org": _codes(orgs)})
    icbs = [r["code"] for r in codelists.get("icb").rows if r["region_code"] == role.code]
    orgs = placed.loc[placed["region_code"] == role.code, "org_code"]
    return Scope(role, {"england": frozenset(), "region": frozenset({str(role.code)}),
                        "icb": frozenset(icbs), "org": _codes(orgs)})


def _codes(values: pd.Series) -> frozenset[str]:
    return frozenset(str(v).upper() for v in values.dropna())
