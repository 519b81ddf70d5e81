"""Rules across rows of ``asc_workforce``, checked over the whole vintage after an ingest.

- **One placement per location.** Every row of a location (its CQC location ID)
  gives the same local authority and ICB, in every period and file of the
  vintage: a location in two places would count its staff in two ICBs. A row
  that differs from the location's first row is an error naming the file, the
  row, the column, the value, the first row and the rule, like the
  duplicate-key check (:mod:`wfplan.dataset.ingest`).
"""

from __future__ import annotations

import math

import pandas as pd

from wfplan.dataset.lookup_checks import Names, Places, located
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import asc_workforce as queries
from wfplan.dataset.validate import Issue

PLACEMENT_RULE = ("(rule: one placement per location: every asc_workforce row of a location "
                  "in the vintage gives the same la_code and icb_code)")


def _text(value: object) -> str:
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    return "" if missing or value is pd.NA else str(value)


def placement_issues(store: Store, vintage: str, limit: int, names: Names,
                     places: Places) -> list[Issue]:
    """Return an issue for each row placing a location elsewhere than its first row does."""
    rows = queries.placement_conflicts(store, vintage, limit)
    where = located(rows, names, places)
    issues: list[Issue] = []
    first: dict[str, tuple[str, str, str, str]] = {}
    for row, (name, place) in zip(rows.to_dict("records"), where, strict=True):
        la, icb = _text(row["la_code"]), _text(row["icb_code"])
        shown = f"{name} {place or 'row ' + str(row['source_row'])}"
        base = first.setdefault(row["location_id"], (la, icb, shown, name))
        if (la, icb) == base[:2]:
            continue
        column, value, before = (("la_code", la, base[0]) if la != base[0]
                                 else ("icb_code", icb, base[1]))
        issues.append(Issue(
            name, int(row["source_row"]), column, value,
            f"places location {row['location_id']} elsewhere than {base[2]} does "
            f"({column} {before or 'empty'}) {PLACEMENT_RULE}", place=place))
    return issues
