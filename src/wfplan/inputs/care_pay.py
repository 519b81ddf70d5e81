"""The published relation between care workers' pay and leaving, from the evidence library.

The ``care_worker_pay`` intervention (:mod:`wfplan.model.care_pay`) takes the cut
in the job separation rate per 1% of pay from the evidence library's
``care_worker_separation_cut_per_pay_pct`` row (Vadean and Saloniki, 2023). The
row gives the estimate and a published low (the estimate that leaves out
unobserved effects, which the authors call downward biased); no upper figure is
published, so the Monte Carlo draws from a triangular distribution whose high
mirrors the low about the estimate (a wfplan assumption; docs/social-care.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from wfplan.inputs.evidence import EvidenceLibrary, load_library

#: The evidence item read.
PARAMETER = "care_worker_separation_cut_per_pay_pct"


@dataclass(frozen=True)
class PayRelation:
    """The cut in the separation rate per 1% of pay, its range and its source.

    Attributes
    ----------
    value, low : float
        The published estimate and low (fractions a year per 1% of pay).
    high : float
        The low mirrored about the estimate (a wfplan assumption).
    row_id, citation, version : str
        The evidence library's row, its citation and the library's version.
    """

    value: float
    low: float
    high: float
    row_id: str
    citation: str
    version: str

    def source(self) -> str:
        """Return the relation's source as results record it."""
        return (f"evidence library {self.version}, row {self.row_id}: {self.citation}; drawn "
                f"from a triangular distribution (low {self.low:g}, mode {self.value:g}, high "
                f"{self.high:g}; the high mirrors the published low, a wfplan assumption)")


def pay_relation(library: EvidenceLibrary | None = None) -> PayRelation:
    """Return the library's care worker pay relation.

    Raises
    ------
    LookupError
        When the library has no such row with a value and a low.
    """
    library = library or load_library()
    rows = [row for row in library.of(PARAMETER) if row.value is not None and row.low is not None]
    if not rows:
        raise LookupError(f"the evidence library has no {PARAMETER} row with a value and a low")
    row = rows[0]
    assert row.value is not None
    assert row.low is not None
    return PayRelation(value=row.value, low=row.low, high=2 * row.value - row.low,
                       row_id=row.id, citation=row.citation(), version=library.version)
