"""Reference data wins over the organisations and areas that fact files name.

Fact files (the HCHS, sickness absence and staff survey publications, PCN and
GP practice workforce, ONS population) name the organisations or areas their
figures are for, and the ingest writes those as ``organisations`` or ``areas``
rows so that the codes are known. Those rows are weaker than reference data
(ODS files, lookups, a tidy ``organisations`` or ``areas`` file): they may
lack a name, an ICB or a sector, or guess them. So, whatever the load order:

- a fact file's row for a code that reference data in the vintage describes
  is not kept (the reference row stands);
- a reference file loaded later replaces the fact files' rows for the codes
  it describes (and the ingest log's row counts are corrected);
- a fact file's row whose name is missing or just the code is not written:
  the code stays unknown (its figures are kept and counted as unmapped) until
  reference data describes it.

Which format is the reference for which table is
:attr:`~wfplan.dataset.importers.base.Importer.reference_for`; the formats of
earlier ingests are looked up in the registry by the name the ingest log holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from wfplan.dataset.importers.base import Importer, registered
from wfplan.dataset.store.queries import importers as importer_queries

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

#: The reference tables and their code column.
REFERENCE_TABLES = {"organisations": "org_code", "areas": "code"}
_WORDS = {"organisations": "organisation(s)", "areas": "area(s)"}


def is_by_product(importer: Importer, table: str) -> bool:
    """Return whether an importer's rows for ``table`` are a fact file's by-product."""
    return table in REFERENCE_TABLES and not importer.describes(table)


def without_unnamed(table: str, chunk: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Return a by-product chunk without the rows whose name is missing or just the code."""
    code = chunk[REFERENCE_TABLES[table]].str.strip().str.upper()
    name = chunk["name"].str.strip() if "name" in chunk else pd.Series(pd.NA, index=chunk.index)
    unnamed = (name.isna() | (name == "") | (name.str.upper() == code)).fillna(True)
    unnamed &= code.notna()
    return chunk[~unnamed.astype(bool)], int(unnamed.sum())


def _describes(fmt: str, table: str, formats: dict[str, Importer]) -> bool:
    """Return whether an ingest of format ``fmt`` is reference data for ``table``."""
    importer = formats.get(fmt)
    return importer is None or importer.describes(table)  # an unknown format is kept as is


def settle(store: Store, vintage: str, ingest_id: int, importer: Importer,
           tables: set[str]) -> list[str]:
    """Apply the precedence of reference data to this ingest's reference-table rows.

    Returns notes saying what was kept or replaced.
    """
    formats = {imp.name: imp for imp in registered()}
    logged = importer_queries.logged_ingests(store, vintage, other_than=ingest_id)
    notes = []
    for table in sorted(tables & set(REFERENCE_TABLES)):
        ours = importer.describes(table)
        others = logged[[_describes(f, table, formats) != ours for f in logged["format"]]]
        if others.empty:
            continue
        ids = [int(i) for i in others["ingest_id"]]
        if ours:
            notes += _replace_by_products(store, vintage, ingest_id, table, ids, others)
        else:
            notes += _keep_references(store, vintage, ingest_id, table, ids)
    return notes


def _keep_references(store: Store, vintage: str, ingest_id: int, table: str,
                     references: list[int]) -> list[str]:
    """Delete this fact file's rows for codes that reference data describes."""
    key = REFERENCE_TABLES[table]
    codes = importer_queries.delete_codes_described_by(store, vintage, ingest_id, table, key,
                                                       references)
    if not codes:
        return []
    return [f"{codes:,} {_WORDS[table]} named in this file are described by reference data "
            "in the vintage; the reference description was kept"]


def _replace_by_products(store: Store, vintage: str, ingest_id: int, table: str,
                         by_products: list[int], logged: pd.DataFrame) -> list[str]:
    """Delete earlier fact files' rows for the codes this reference file describes."""
    key = REFERENCE_TABLES[table]
    counts, codes = importer_queries.delete_codes_now_described(
        store, vintage, ingest_id, table, key, by_products)
    if counts.empty:
        return []
    for ingest, deleted in zip(counts["ingest_id"], counts["n"], strict=True):
        # Keep the ingest log's row counts true.
        importer_queries.subtract_ingest_rows(store, int(ingest), int(deleted))
    files = logged.set_index("ingest_id")["source_file"]
    names = ", ".join(str(files[int(i)]) for i in counts["ingest_id"])
    return [f"replaced the description of {codes:,} {_WORDS[table]} that earlier fact "
            f"file(s) gave ({names}): reference data wins"]
