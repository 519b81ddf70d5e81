"""Frames as JSON-ready records for the response models."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd


def plain(value: Any) -> Any:
    """Return a cell as a plain Python value: None for any missing value, no NumPy types."""
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime | date | str | int | float | bool):
        return value
    return str(value)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return a frame's rows as dicts of plain values (column names as text)."""
    columns = [str(c) for c in frame.columns]
    return [dict(zip(columns, (plain(v) for v in row), strict=True))
            for row in frame.itertuples(index=False, name=None)]
