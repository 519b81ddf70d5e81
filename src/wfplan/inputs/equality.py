"""The evidence behind Model Employer trajectories where the vintage lacks it.

:func:`leaver_fallback` is the leaver rate a trajectory uses where neither the goal
nor the vintage's flows give one (:func:`wfplan.analysis.equality.model_employer`).
"""

from __future__ import annotations

from wfplan.inputs.evidence import load_library

__all__ = ["EVIDENCE_LEAVER_ROW", "leaver_fallback"]

#: The evidence row used: HCHS staff leaving the NHS, England, 12 months to September 2024.
EVIDENCE_LEAVER_ROW = "leaver_hchs_sep2024"


def leaver_fallback() -> tuple[float, str]:
    """Return the evidence library's leaver rate for all NHS staff and its citation."""
    row = next(r for r in load_library().rows if r.id == EVIDENCE_LEAVER_ROW)
    return float(row.value or 0.0), f"evidence {row.id}: {row.citation()}"
