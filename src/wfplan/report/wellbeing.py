"""The wellbeing estimate in words: what ``wfplan wellbeing`` prints (docs/wellbeing.md)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel

from wfplan.runs.wellbeing import UNITS, WellbeingParameters

#: The limits said with every estimate.
LIMITS = (
    "Association, not causation: trusts with more burnout also differ in case mix, "
    "staffing, deprivation and reporting, and the line says nothing about what cutting "
    "burnout in one trust would do.",
    "Burnout is pooled over the staff survey years and sickness taken from the latest 12 "
    "months: a trust's burnout a year or more earlier is set against its sickness later, "
    "across trusts, not followed over time in any trust.",
    "All staff of each trust: no staff group, and no individual link between a person's "
    "burnout and their absence.",
    "The leaver ratio is a published odds ratio for US primary care clinicians, used as a "
    "rate ratio for NHS staff (a wfplan assumption); wfplan has no record-level flows "
    "joined to staff survey responses to estimate its own.",
)


def _line(name: str, line: Any) -> str:
    return (f"{name}: slope {line.slope:.4f} (95% CI {line.low:.4f} to {line.high:.4f}, "
            f"HC1 se {line.se:.4f}), n = {line.n} trusts")


def estimate_lines(parameters: WellbeingParameters) -> list[str]:
    """Return the estimate, its data, its checks and its limits, one line each."""
    s, leavers = parameters.sickness, parameters.leavers
    fit = s.fit
    lines = [
        f"Burnout and sickness absence across NHS trusts (vintage {s.vintage!r})",
        f"Data: staff survey 'burnt out because of work' {s.survey_years[0]}-"
        f"{s.survey_years[1]} (pooled, weighted by respondents) against sickness absence "
        f"{s.sickness_months[0]:%Y-%m} to {s.sickness_months[1]:%Y-%m} (FTE days lost / "
        f"available), joined by organisation code: {fit.n} NHS trusts",
        f"Estimate: {fit.slope:.4f} {UNITS['sickness_per_burnout_point']} "
        f"(95% CI {fit.low:.4f} to {fit.high:.4f}; HC1 robust se {fit.se:.4f}; "
        f"intercept {fit.intercept:.2f}%; correlation {s.correlation:.3f}); n = {fit.n} trusts",
        "Method: ordinary least squares, one trust one point (unweighted), "
        "heteroskedasticity-robust (HC1) standard error, normal 95% interval",
        "Checks: " + _line("weighted by FTE days available", s.weighted) + "; "
        + _line(f"without {len(s.excluded)} influential trusts (Cook's distance > 4/n)",
                s.trimmed),
        f"Means over these trusts: burnout {100 * s.mean_burnout:.1f}%, sickness absence "
        f"{100 * s.mean_sickness:.2f}%",
        f"Leavers: burnt-out staff leave at {leavers.ratio:g} times the rate of others "
        f"(95% CI {leavers.low:g} to {leavers.high:g}); {leavers.source()}",
        "Association, not causation. Limits:",
        *(f"- {text}" for text in LIMITS),
    ]
    return lines


def estimate_record(parameters: WellbeingParameters) -> dict[str, Any]:
    """Return the estimate as a JSON record (the CLI's ``--format json``)."""
    s, leavers = parameters.sickness, parameters.leavers

    def line(value: Any) -> dict[str, float | int]:
        return {"slope": value.slope, "se": value.se, "ci_low": value.low,
                "ci_high": value.high, "intercept": value.intercept, "n_trusts": value.n}

    return {
        "vintage": s.vintage, "survey_years": list(s.survey_years),
        "sickness_months": [m.isoformat() for m in s.sickness_months],
        "unit": UNITS["sickness_per_burnout_point"], "estimate": line(s.fit),
        "weighted_by_fte_days": line(s.weighted), "without_influential": line(s.trimmed),
        "influential_trusts": list(s.excluded), "correlation": s.correlation,
        "mean_burnout": s.mean_burnout, "mean_sickness": s.mean_sickness,
        "leaver_ratio": {"value": leavers.ratio, "ci_low": leavers.low,
                         "ci_high": leavers.high, "log_mean": leavers.log_mean,
                         "log_sd": leavers.log_sd, "source": leavers.source()},
        "intervention_fields": {k: (v.model_dump() if isinstance(v, BaseModel) else v)
                                for k, v in parameters.fields().items()},
        "note": "association, not causation", "limits": list(LIMITS),
    }


#: The relations a report states, and what each is.
_STATED = {"sickness_per_burnout_point": "sickness absence against burnout across NHS trusts "
                                         "(percentage points per point)",
           "log_leaver_ratio": "the log of the leaver-rate ratio of burnt-out staff"}


def relation_sentences(assumptions: pd.DataFrame) -> tuple[str, ...]:
    """Return the report's sentences on the wellbeing relations a run recorded, then the limits.

    ``assumptions`` is the report's frame of recorded assumptions (scenario,
    name, value, reason); without a wellbeing relation among them, nothing.
    """
    sentences = []
    for row in assumptions.itertuples(index=False):
        field = str(row.name).rsplit(".", 1)[-1]
        if field in _STATED and str(row.name).startswith("interventions["):
            sentences.append(f"Scenario {row.scenario}, {row.name}: {_STATED[field]}, "
                             f"{row.value}. {row.reason}")
    if not sentences:
        return ()
    return (*sentences, "Association, not causation: " + " ".join(LIMITS[1:]))
