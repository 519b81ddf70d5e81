"""Queries of the ``education_programmes`` tidy table (``docs/education.md``)."""

from __future__ import annotations

import pandas as pd

from wfplan.dataset.store import Store

#: The columns :func:`programme_rows` returns.
PROGRAMME_COLUMNS = (
    "academic_year", "provider", "provider_type", "region", "programme", "staff_group",
    "places", "starters", "duration_years", "attrition_year_1", "attrition_year_2",
    "attrition_year_3", "attrition_year_4", "attrition_year_5", "completion_rate",
    "take_up_rate",
)


def programme_rows(store: Store, vintage: str) -> pd.DataFrame:
    """Return the vintage's programme rows (:data:`PROGRAMME_COLUMNS`), in key order."""
    columns = ", ".join(PROGRAMME_COLUMNS)
    return store.query(
        f"SELECT {columns} FROM education_programmes WHERE vintage = ? "
        "ORDER BY academic_year, region, provider, programme, staff_group", [vintage])
