"""Where organisations sit: organisation → ICB → region → England, at a date.

Reference files give an organisation several records through time (ODS
editions, census months). Everything that reports by area (metrics, model
inputs, back-tests) places an organisation by its record with an ICB nearest
in time to a date, so figures from 2018 stay in the ICBs of 2018 after a later
edition merges ICBs. Organisations not in the reference data fall in
:data:`UNMAPPED` at region and ICB level, and still count towards England.

The SQL that places them is in :mod:`wfplan.dataset.store.queries.geography`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wfplan.model.levels import LEVELS

if TYPE_CHECKING:
    from wfplan.dataset.store.queries.geography import AREA_EXPR, AREA_ROWS, placement_cte

__all__ = ["AREA_EXPR", "AREA_ROWS", "LEVELS", "UNMAPPED", "placement_cte"]

UNMAPPED = "UNMAPPED"

#: Names whose SQL moved to :mod:`wfplan.dataset.store.queries.geography`, still importable
#: from here for the callers that build their own queries (model inputs, cells).
_MOVED = ("AREA_EXPR", "AREA_ROWS", "placement_cte")


def __getattr__(name: str) -> Any:
    """Return a name that moved to :mod:`wfplan.dataset.store.queries.geography`."""
    if name in _MOVED:
        from wfplan.dataset.store.queries import geography

        return getattr(geography, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
