"""The ICB boundaries of a vintage (``icb_boundaries``): loaded, found, read back.

Portable SQL (DuckDB and PostgreSQL); the rows are written with the store's
:meth:`~wfplan.dataset.store.Store.insert`. See :mod:`wfplan.dataset.boundaries`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:
    from wfplan.dataset.boundaries import Feature
    from wfplan.dataset.store import Store


def insert(store: Store, vintage: str, ingest_id: int, features: Sequence[Feature]) -> None:
    """Add one file's features to the vintage's boundaries."""
    rows = pa.table({
        "vintage": pa.array([vintage] * len(features), pa.string()),
        "ingest_id": pa.array([ingest_id] * len(features), pa.int64()),
        "feature_index": pa.array([f.index for f in features], pa.int64()),
        "icb_code": pa.array([f.icb_code for f in features], pa.string()),
        "ons_code": pa.array([f.ons_code for f in features], pa.string()),
        "name": pa.array([f.name for f in features], pa.string()),
        "geometry": pa.array([f.geometry for f in features], pa.string()),
    })
    store.insert("icb_boundaries", rows)


def loaded_by(store: Store, vintage: str) -> list[tuple[int, str]]:
    """Return the ingests (id, source file) whose boundaries the vintage holds."""
    frame = store.query(
        "SELECT DISTINCT b.ingest_id, i.source_file FROM icb_boundaries b "
        "JOIN ingests i ON i.ingest_id = b.ingest_id WHERE b.vintage = ? ORDER BY b.ingest_id",
        [vintage])
    return [(int(i), str(f)) for i, f in zip(frame["ingest_id"], frame["source_file"],
                                             strict=True)]


def of_vintage(store: Store, vintage: str) -> pd.DataFrame:
    """Return the vintage's boundaries with their file: one row per feature, in file order.

    Columns ``feature_index, icb_code, ons_code, name, geometry`` (GeoJSON text),
    ``ingest_id, source_file, loaded_at``.
    """
    return store.query(
        "SELECT b.feature_index, b.icb_code, b.ons_code, b.name, b.geometry, b.ingest_id, "
        "i.source_file, i.loaded_at FROM icb_boundaries b "
        "JOIN ingests i ON i.ingest_id = b.ingest_id WHERE b.vintage = ? "
        "ORDER BY b.ingest_id, b.feature_index", [vintage])
