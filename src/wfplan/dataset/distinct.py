"""Distinct headcount: each person counted once at every level of aggregation.

A record-level source can list one person on several records. The PCN
workforce publication has a row per staff record, and a person who works in
two PCNs, or in two roles, is in two staff-in-post cells: in March 2021 the
cells' headcounts add up to 6,911 in England against 6,859 distinct
identifiers. Each cell's headcount counts its own people once, but a sum of
cells does not.

At ingest, :func:`record` counts the distinct (hashed) identifiers of each
census of one file at each level of :data:`LEVELS`, for all staff, for each
staff group and for each staff group and role, with the FTE of those people's
records (records without an identifier, such as the PCN publication's
contracted services, are in neither). Organisations are placed as the metrics
place them (:func:`wfplan.dataset.geography.placement_cte` at the census date).
The identifiers of the PCN publication are unique within one file only, so a
count never combines files. The counts go to ``distinct_headcount``; the hashed
identifiers stay in the private ``person_records`` table, which no report reads.

The metrics use :func:`covered` and :func:`counts` to replace the sum of a
file's cells by its distinct headcount at the level reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd

from wfplan.dataset.store.queries import ingest as queries

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

#: Levels of aggregation, named as the metrics name them (``org`` is the PCN).
LEVELS = ("org", "icb", "region", "england")
#: Sources whose ingests record distinct headcounts (their records carry identifiers).
SOURCES = ("pcn_workforce",)


def record(store: Store, vintage: str, ingest_id: int) -> list[str]:
    """Count the distinct people of one ingest's person records; return a note per census.

    Parameters
    ----------
    store, vintage, ingest_id
        The ingest whose ``person_records`` (and organisations) are in the store.

    Returns
    -------
    list of str
        For each census: the distinct people in England against the sum of the
        ingest's staff-in-post cells.
    """
    found = queries.record_periods_of_ingest(store, vintage, ingest_id)
    notes = []
    for period, source in zip(found["period"], found["source"], strict=True):
        at = pd.Timestamp(period).date()
        queries.count_distinct_people(store, vintage, ingest_id, str(source), at)
        notes.append(_note(store, vintage, ingest_id, at))
    return notes


def _note(store: Store, vintage: str, ingest_id: int, at: date) -> str:
    people, cells = queries.england_people_and_cells(store, vintage, ingest_id, at)
    return (f"census {at:%Y-%m}: {people:,} distinct people in England "
            f"({cells:,} if each cell's headcount were added up); headcount at "
            "organisation, ICB, region and England level counts each person once")


def backfill(store: Store) -> None:
    """Record the distinct headcounts of ingests loaded before ``distinct_headcount`` existed."""
    ingests = queries.ingests_without_distinct_counts(store, SOURCES)
    for vintage, ingest_id in zip(ingests["vintage"], ingests["ingest_id"], strict=True):
        record(store, str(vintage), int(ingest_id))


def covered(store: Store, vintage: str, period: object, level: str,
            sector: str | None = None) -> list[int]:
    """Return the ingests whose cells at ``period`` are replaced by distinct counts at ``level``.

    With a ``sector``, an ingest whose people span several sectors (rows with
    no single sector) is left to the sum of its cells, which the sector filter
    can split.
    """
    frame = queries.distinct_count_ingests(store, vintage, period, level)
    return [int(i) for i, mixed in zip(frame["ingest_id"], frame["mixed"], strict=True)
            if sector is None or not mixed]


def counts(store: Store, vintage: str, period: object, level: str, ingests: Sequence[int], *,
           staff_group: str | None = None, sector: str | None = None,
           by_role: bool = False) -> pd.DataFrame:
    """Return distinct headcount by area of ``level`` for the given ingests.

    Returns
    -------
    pandas.DataFrame
        ``area_code`` (then ``staff_group, role`` when ``by_role``),
        ``headcount_distinct``, ``fte_distinct`` (FTE of the people counted) and
        ``headcount_distinct_fte`` (the people whose FTE is known), summed over
        the ingests.
    """
    keys = ["area_code", "staff_group", "role"] if by_role else ["area_code"]
    if not ingests:
        return pd.DataFrame(columns=[*keys, "headcount_distinct", "fte_distinct",
                                     "headcount_distinct_fte"])
    return queries.distinct_counts(store, vintage, period, level, ingests,
                                   staff_group=staff_group, sector=sector, by_role=by_role)
