"""The published relation between burnout and leaving, from the evidence library.

No vintage holds record-level flows joined to staff survey responses, so
wfplan cannot estimate how burnout relates to leaver rates from its own data.
The ``wellbeing`` intervention (:mod:`wfplan.model.wellbeing`) takes the
relation from the evidence library's ``burnout_turnover_odds_ratio`` row
instead: its value and 95% interval become a normal on the log ratio
(mean ``ln value``, sd ``(ln high - ln low) / (2 x 1.96)``). docs/wellbeing.md
says why that row, and its limits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from wfplan.inputs.evidence import EvidenceLibrary, load_library

#: The evidence item read.
PARAMETER = "burnout_turnover_odds_ratio"


@dataclass(frozen=True)
class LeaverRelation:
    """How much more often burnt-out staff leave, with its uncertainty and its source.

    Attributes
    ----------
    ratio, low, high : float
        The published ratio (burnt out against not) and its 95% interval.
    log_mean, log_sd : float
        The normal on ``ln ratio`` the Monte Carlo draws from.
    row_id, citation, version : str
        The evidence library's row, its citation and the library's version.
    """

    ratio: float
    low: float
    high: float
    log_mean: float
    log_sd: float
    row_id: str
    citation: str
    version: str

    def source(self) -> str:
        """Return the relation's source as results record it."""
        return f"evidence library {self.version}, row {self.row_id}: {self.citation}"


def leaver_relation(library: EvidenceLibrary | None = None) -> LeaverRelation:
    """Return the library's burnout-leaving ratio as a normal on its log.

    Raises
    ------
    LookupError
        When the library has no such row with a value and an interval.
    """
    library = library or load_library()
    rows = [row for row in library.of(PARAMETER)
            if row.value is not None and row.low is not None and row.high is not None]
    if not rows:
        raise LookupError(f"the evidence library has no {PARAMETER} row with an interval")
    row = rows[0]
    assert row.value is not None
    assert row.low is not None
    assert row.high is not None
    z = NormalDist().inv_cdf(0.975)
    return LeaverRelation(
        ratio=row.value, low=row.low, high=row.high, log_mean=math.log(row.value),
        log_sd=(math.log(row.high) - math.log(row.low)) / (2 * z), row_id=row.id,
        citation=row.citation(), version=library.version)
