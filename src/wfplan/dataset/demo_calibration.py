"""The published figures and assumptions the demo generator is calibrated to.

Every number the demo is tuned to lives in ``wfplan/data/demo_calibration.csv``
with its unit, its source (a named publication, or ``wfplan assumption``) and
a note. Names are dotted paths, e.g. ``nhs.fte.2025-03-31`` or
``nhs.age_share.doctors.under_25``; :meth:`Calibration.group` reads every
name under a prefix at once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import numpy as np

CALIBRATION_FILE = "data/demo_calibration.csv"


@dataclass(frozen=True)
class Calibration:
    """Calibration figures by name, and the source of each.

    A source is a named publication or ``wfplan assumption``.
    """

    values: Mapping[str, float]
    sources: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, name: str) -> float:
        """Return one figure, or raise a ``KeyError`` naming the file."""
        try:
            return self.values[name]
        except KeyError:
            raise KeyError(f"{name!r} is not in {CALIBRATION_FILE}") from None

    def get(self, name: str, default: float) -> float:
        """Return one figure, or ``default`` if it is not in the file."""
        return self.values.get(name, default)

    def group(self, prefix: str) -> dict[str, float]:
        """Return the figures named ``prefix.<key>`` as ``{key: value}``, in file order."""
        start = prefix + "."
        return {name[len(start):]: value for name, value in self.values.items()
                if name.startswith(start) and "." not in name[len(start):]}

    def vector(self, prefix: str, keys: Iterable[str], default: float | None = None) -> np.ndarray:
        """Return the figures ``prefix.<key>`` for ``keys`` in order, as an array.

        Parameters
        ----------
        prefix : str
            The name prefix, e.g. ``nhs.age_share.doctors``.
        keys : iterable of str
            The keys wanted, e.g. the age-band codes.
        default : float, optional
            The value for a missing key; without it a missing key is an error.
        """
        out = []
        for key in keys:
            name = f"{prefix}.{key}"
            if default is not None and name not in self.values:
                out.append(default)
            else:
                out.append(self[name])
        return np.asarray(out, dtype=np.float64)

    def with_default(self, prefix: str, key: str) -> str:
        """Return ``prefix.key`` if any figure is named under it, else ``prefix.default``."""
        start = f"{prefix}.{key}"
        if any(name == start or name.startswith(start + ".") for name in self.values):
            return start
        return f"{prefix}.default"


@cache
def load() -> Calibration:
    """Read the packaged calibration file."""
    text = resources.files("wfplan").joinpath(CALIBRATION_FILE).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    return Calibration({row["name"]: float(row["value"]) for row in rows},
                       {row["name"]: row["source"] for row in rows})
