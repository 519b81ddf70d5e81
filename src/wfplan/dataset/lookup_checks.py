"""Rules across rows of ``la_icb_lookup``, checked over the whole vintage after an ingest.

- The shares of one local authority (at one ``valid_from``) sum to at most 1:
  more would count some of its people in two ICBs.
- Each ``icb_code`` is an ICB of the code list or an ``areas`` row of level
  ``icb`` in the vintage: a row for an unknown ICB would never be read.

Each failing row is an error naming the file, the row, the column, the value
and the rule, like the duplicate-key check (:mod:`wfplan.dataset.ingest`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import ingest as queries
from wfplan.dataset.validate import Issue

SHARES_RULE = ("(rule: the shares of one local authority in la_icb_lookup sum to at most 1; "
               "an empty share counts 1)")
ICB_RULE = ("(rule: known icb: an ICB of the code list icbs.csv or an areas row of level icb "
            "in the vintage)")

#: The file name of each ingest id (this call's files, else the ingest log's).
Names = Callable[[set[int]], dict[int, str]]
#: Per ingest id of this call: the reader's place of each row (``row 3 (line 4)``).
Places = Mapping[int, Callable[[set[int]], dict[int, str]]]


def lookup_issues(store: Store, vintage: str, limit: int, names: Names,
                  places: Places) -> list[Issue]:
    """Return an issue for each ``la_icb_lookup`` row that breaks a rule (at most ``limit``)."""
    issues = []
    over = queries.lookup_shares_over_one(store, vintage, limit)
    for row, (name, place) in zip(over.to_dict("records"), located(over, names, places),
                                  strict=True):
        when = "" if pd.isna(row["valid_from"]) else f" valid from {row['valid_from']}"
        share = "" if pd.isna(row["share"]) else f"{row['share']:g}"
        issues.append(Issue(name, int(row["source_row"]), "share", share,
                            f"the shares of local authority {row['la_code']}{when} sum to "
                            f"{row['total']:g} {SHARES_RULE}", place=place))
    unknown = queries.lookup_unknown_icbs(store, vintage, limit)
    for row, (name, place) in zip(unknown.to_dict("records"),
                                  located(unknown, names, places), strict=True):
        issues.append(Issue(name, int(row["source_row"]), "icb_code", str(row["icb_code"]),
                            f"is not a known ICB {ICB_RULE}", place=place))
    return issues


def located(rows: pd.DataFrame, names: Names, places: Places) -> list[tuple[str, str | None]]:
    """Return the file name and the reader's place of each (``ingest_id``, ``source_row``)."""
    pairs = [(int(i), int(r)) for i, r in zip(rows["ingest_id"], rows["source_row"],
                                                strict=True)]
    files = names({i for i, _ in pairs})
    return [(files[i], places[i]({r}).get(r) if i in places else None) for i, r in pairs]
