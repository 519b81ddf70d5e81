"""The report's sections as typed views: what each section shows, for the template.

:func:`wfplan.report.sections.build_sections` returns a :class:`ReportSections`;
the template reads its fields by name. Every view is a dataclass of strings,
numbers, tables and figures, so a section converts to JSON (and has a JSON
Schema) with ``pydantic.TypeAdapter``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wfplan.report.views import FigureView, TableView

__all__ = ["ChangesSection", "EqualitySection", "GapsSection", "MethodsSection",
           "PositionSection", "ProjectionsSection", "ReportSections", "ScenarioPlan",
           "ScenarioSensitivity",
           "ScenariosSection", "SummarySection", "WellbeingSection"]

#: The changes section is one table, or nothing when there is no previous assessment.
ChangesSection = TableView | None


@dataclass(frozen=True)
class SummarySection:
    """Key messages, the totals table, the gap chart and the gap by staff group."""

    totals: TableView | None
    figure: FigureView
    table: TableView
    messages: list[str]
    horizons: list[int]
    years: dict[int, int]


@dataclass(frozen=True)
class PositionSection:
    """Staff in post, vacancies, turnover and sickness by region and by ICB."""

    region: TableView
    icb: TableView
    totals: dict[str, float]
    period: str


@dataclass(frozen=True)
class ProjectionsSection:
    """Fan charts of supply and demand, the baseline's table, and the skills gaps by role."""

    figures: list[FigureView]
    table: TableView
    scenario: str
    #: Shortfall and surplus by role of the scenarios with ``roles`` (None: no such scenario).
    skills: TableView | None = None


@dataclass(frozen=True)
class ScenariosSection:
    """The scenarios, their gaps compared, and what their interventions buy."""

    listing: TableView
    figure: FigureView
    comparison: TableView
    interventions: TableView | None
    details: TableView | None
    year: int


@dataclass(frozen=True)
class ScenarioSensitivity:
    """One scenario's tornado chart and table: what moves its England headline gap."""

    scenario: str
    figure: FigureView
    table: TableView
    central: str
    total_r2: str | None


@dataclass(frozen=True)
class ScenarioPlan:
    """One planned scenario's plan: cost per FTE by lever, the mix by year, the limits.

    ``facts`` is the plan in one sentence, ``words`` the shadow prices and the
    limits that bind in words, ``check`` the re-simulation's agreement.
    """

    scenario: str
    title: str
    facts: str
    words: list[str]
    check: list[str]
    cost_figure: FigureView
    lever_table: TableView
    mix_figure: FigureView
    mix_table: TableView
    constraints: TableView


@dataclass(frozen=True)
class GapsSection:
    """The ranked data gaps, coverage by table and sector, and the other findings' names."""

    ranked: TableView
    coverage: TableView | None
    other: list[str]


@dataclass(frozen=True)
class EqualitySection:
    """Ethnic-minority representation by pay band against the Model Employer goal."""

    figure: FigureView | None
    table: TableView
    goal: float
    period: str
    trajectory: TableView | None = None
    trajectory_note: str = ""


@dataclass(frozen=True)
class WellbeingSection:
    """Sickness absence and burnout by region; the relations a wellbeing intervention used."""

    figure: FigureView | None
    table: TableView
    #: One sentence per relation a scenario's wellbeing intervention used, then the
    #: limits; empty without one (the section is then as before).
    relations: tuple[str, ...] = ()


@dataclass(frozen=True)
class MethodsSection:
    """Every parameter, every assumption and every data source."""

    parameters: TableView
    assumptions: TableView
    sources: TableView
    defaulted: int


@dataclass(frozen=True)
class ReportSections:
    """Every section of the report, in order, with the contents list and the dates."""

    contents: list[tuple[str, str]]
    titles: dict[str, str]
    created_day: str
    created_full: str
    summary: SummarySection
    position: PositionSection
    projections: ProjectionsSection
    scenarios: ScenariosSection
    sensitivity: list[ScenarioSensitivity]
    gaps: GapsSection
    equality: EqualitySection
    wellbeing: WellbeingSection
    methods: MethodsSection
    changes: ChangesSection
    #: Each planned scenario's plan (none: the report has no plan section).
    plans: list[ScenarioPlan] = field(default_factory=list)
    #: Employer hubs' cost per FTE gained by region (``None``: no hubs).
    hubs: TableView | None = None
