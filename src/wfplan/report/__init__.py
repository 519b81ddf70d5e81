"""wfplan.report: the assessment report as HTML, PDF and Excel tables.

Typical use, by the assessment layer::

    from wfplan.report import ReportData, headline_from_results, write_report

    data = ReportData(title=..., headline=headline_from_results(long, base_year), ...)
    paths = write_report(data, bundle_dir)   # report.html, report.pdf, tables.xlsx

``report.html`` is one self-contained page (inline CSS and SVG charts, no
scripts, no network requests); ``report.pdf`` is the same page printed by
WeasyPrint; ``tables.xlsx`` has one sheet per table and a notes sheet. See
``docs/report.md`` for what the report contains.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wfplan.report.context import ReportData
    from wfplan.report.derive import (
        ethnicity_from_metrics,
        fan_from_results,
        headline_from_results,
        intervention_details_from_metadata,
        interventions_from_results,
        largest_staff_groups,
        methods_from_metadata,
        projection_frame,
        scenario_comparison_from_results,
        sources_from_ingests,
        wellbeing_from_position,
    )
    from wfplan.report.render import REPORT_FILES, write_report

#: Where each name lives: imported on first use, so that a command that needs only
#: the headings or the number formats does not load the charts (matplotlib) and templates.
_HOME = {
    "ReportData": "context",
    **dict.fromkeys(("ethnicity_from_metrics", "fan_from_results", "headline_from_results",
                     "intervention_details_from_metadata", "interventions_from_results",
                     "largest_staff_groups", "methods_from_metadata", "projection_frame",
                     "scenario_comparison_from_results", "sources_from_ingests",
                     "wellbeing_from_position"), "derive"),
    "REPORT_FILES": "render",
    "write_report": "render",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module when it is first used (PEP 562)."""
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "REPORT_FILES",
    "ReportData",
    "ethnicity_from_metrics",
    "fan_from_results",
    "headline_from_results",
    "intervention_details_from_metadata",
    "interventions_from_results",
    "largest_staff_groups",
    "methods_from_metadata",
    "projection_frame",
    "scenario_comparison_from_results",
    "sources_from_ingests",
    "wellbeing_from_position",
    "write_report",
]
