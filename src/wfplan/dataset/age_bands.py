"""Age-band codes shared by the population importers and the model's inputs.

A code is ``LO_HI`` (closed), ``N`` (one year of age), ``LO_plus`` (open) or
something else (``all``, an unparsed label). Kept apart from
:mod:`wfplan.dataset.importers.population` so that reading the codes does not
import the importers (and their validation library) on the projection path.
"""

from __future__ import annotations


def band_bounds(code: str) -> tuple[int, int | None] | None:
    """Return (lowest, highest) age of a band code; highest is ``None`` for an open band."""
    if code.isdigit():
        return int(code), int(code)
    low, _, high = code.partition("_")
    if not low.isdigit():
        return None
    return int(low), (None if high == "plus" else int(high))
