"""The report's data contract: everything the report shows, as DataFrames and plain values.

The assessment layer fills a :class:`ReportData` (mostly with the helpers in
:mod:`wfplan.report.derive`) and hands it to
:func:`wfplan.report.render.write_report`. The report layer computes nothing
from the store or the model itself; it only formats, charts and lays out.

Each frame must have the columns listed in the matching ``*_COLUMNS`` constant
(extra columns are allowed and are kept in ``tables.xlsx``); a missing column
raises ``ValueError`` naming the field and the columns, when the object is made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime

import pandas as pd

from wfplan.dataset.provenance import OGL
from wfplan.model.plan_summary import PlanSummary
from wfplan.report.hubs import HUB_COLUMNS
from wfplan.runs.skills import HEADLINE_COLUMNS as SKILLS_HEADLINE

#: Provenance of every input file (from the store's ``ingests`` table).
SOURCE_COLUMNS = ("file", "publisher", "title", "period", "licence", "sha256")
#: The gap by staff group at each horizon (:func:`~wfplan.report.derive.headline_from_results`).
HEADLINE_COLUMNS = (
    "scenario", "staff_group", "horizon_years", "year", "gap_fte_p50", "gap_fte_p5",
    "gap_fte_p95", "gap_fte_principal", "gap_pct_p50", "gap_pct_p5", "gap_pct_p95",
    "gap_need_fte_p50", "supply_fte_p50", "demand_funded_fte_p50",
)
#: Current position by area (``wfplan.analysis.metrics.current_position`` output).
POSITION_COLUMNS = (
    "area_code", "area_name", "period", "headcount", "fte", "vacancy_fte", "vacancy_rate",
    "leaver_rate", "sickness_absence_rate",
)
#: The IAMC long results (``wfplan.model.to_long``) of the headline area, every scenario.
PROJECTION_COLUMNS = ("scenario", "area", "staff_group", "variable", "unit", "year",
                      "statistic", "value")
#: One row per scenario: its name (identifier), title (as the report shows it) and description.
SCENARIO_COLUMNS = ("scenario", "title", "description")
#: The gap by scenario and staff group in one year.
COMPARISON_COLUMNS = (
    "scenario", "staff_group", "year", "gap_fte_p50", "gap_fte_p5", "gap_fte_p95",
    "gap_pct_p50", "supply_fte_p50", "demand_funded_fte_p50",
)
#: What each scenario's interventions buy and cost, by staff group.
INTERVENTION_COLUMNS = (
    "scenario", "staff_group", "type", "amount", "year", "cost_gbp", "fte_gap_closed_p50",
    "fte_gap_closed_p5", "fte_gap_closed_p95", "cost_per_fte_closed_p50",
    "counterfactual_gap_fte_p50", "counterfactual_gap_fte_p5", "counterfactual_gap_fte_p95",
    "gap_fte_p50", "gap_fte_p5", "gap_fte_p95",
)
#: One row per intervention as specified in the scenario files.
INTERVENTION_DETAIL_COLUMNS = (
    "scenario", "name", "type", "staff_group", "area", "start_year", "amount", "ramp_years",
    "cost_per_unit", "source", "owner",
)
#: The ranked data gaps (``wfplan.analysis.gaps.GapReport.ranked``).
GAP_RANKED_COLUMNS = ("rank", "sector", "severity", "gap", "evidence")
#: Ethnic-minority share by pay band (:func:`~wfplan.report.derive.ethnicity_from_metrics`).
ETHNICITY_COLUMNS = ("grade", "period", "minority_headcount", "known_headcount",
                     "ethnic_minority_share")
#: Sickness absence and burnout by region.
WELLBEING_COLUMNS = ("area_code", "area_name", "sickness_absence_rate", "burnout_rate")
#: The parameter table with the setting used and whether a default was used.
PARAMETER_COLUMNS = ("name", "kind", "unit", "default", "setting", "defaulted", "source")
#: Every assumption recorded by the model (input or parameter left at its default).
ASSUMPTION_COLUMNS = ("scenario", "name", "value", "reason")
#: One-at-a-time sensitivity of each scenario's England headline gap (the tornado).
SENSITIVITY_COLUMNS = ("scenario", "area", "year", "rank", "quantity", "kind", "central", "low",
                       "high", "gap_central", "gap_low", "gap_high", "swing")
#: Each uncertain quantity's share of the headline gap's variance over the draws.
VARIANCE_COLUMNS = ("scenario", "area", "year", "rank", "quantity", "share", "total_r2",
                    "draws")
#: What changed since the previous assessment (optional).
CHANGE_COLUMNS = ("measure", "previous", "current", "change", "reason")
#: The skills-gap table's columns (:func:`wfplan.runs.skills.skills_headline`).
SKILLS_COLUMNS = tuple(SKILLS_HEADLINE)



def _frame(columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame(columns=list(columns))


@dataclass(frozen=True, kw_only=True, eq=False)
class ReportData:
    """Everything the report shows.

    Attributes
    ----------
    title : str
        The report's title, e.g. ``"Health and social care workforce assessment 2026"``.
    assessment_period : str
        The period the assessment covers, in words (``"2025 to 2040"``).
    vintage : str
        The dataset vintage the assessment used.
    package_version : str
        The wfplan version that produced it.
    seed : int
        The random seed of the projection.
    draws : int
        Monte Carlo draws N (draw 0, the principal run, is extra).
    created : datetime
        When the assessment was made (``created`` in the manifest): shown, and the
        date inside ``report.pdf`` and ``tables.xlsx``, so a re-render is identical.
    base_year : int
        Calendar year of the base census (year 0 of the projection).
    area_name : str
        The area the headline and the fan charts describe (``"England"``).
    sources : DataFrame
        :data:`SOURCE_COLUMNS`, one row per ingested file (optional ``tables``
        column: the tables it loaded, used to name sources under each section).
    totals : DataFrame
        :data:`HEADLINE_COLUMNS`: the England total gap over every staff group
        (``all_staff_groups``) and each sector's (``all_nhs_trust``,
        ``all_primary_care``, ``all_social_care``) at 5, 10 and 15 years for
        :attr:`baseline_scenario`: the report's first table. Each total is summed
        within each draw before its percentiles are taken.
    headline : DataFrame
        :data:`HEADLINE_COLUMNS`: the gap (FTE demand minus supply) by staff group at
        5, 10 and 15 years for :attr:`baseline_scenario`.
    position_region, position_icb : DataFrame
        :data:`POSITION_COLUMNS`: staff in post, vacancies, turnover (leaver rate) and
        sickness by NHS region and by ICB (``metrics.current_position``).
    projections : DataFrame
        :data:`PROJECTION_COLUMNS`: long results of the headline area for every
        scenario (at least ``supply_fte``, ``demand_funded_fte`` and ``gap_fte``).
    fan_staff_groups : tuple of str
        Staff groups drawn as fan charts; empty means the four with the largest
        base-year demand.
    scenarios : DataFrame
        :data:`SCENARIO_COLUMNS`, in the order the report lists them; the report
        shows each scenario by its title.
    baseline_scenario : str
        The scenario of the headline and the fan charts.
    scenario_comparison : DataFrame
        :data:`COMPARISON_COLUMNS`: every scenario's gap at the final year (England's
        totals first, when given).
    interventions : DataFrame
        :data:`INTERVENTION_COLUMNS`: cost to the year (principal run, GBP), FTE gap
        closed (P50, P5, P95), cost per FTE closed (P50), and the gap without and with
        the interventions (P50, P5, P95) by scenario and staff group.
    intervention_details : DataFrame
        :data:`INTERVENTION_DETAIL_COLUMNS`: each intervention with source and owner.
    hubs : DataFrame
        :data:`~wfplan.report.hubs.HUB_COLUMNS`: each scenario's employer hubs by area,
        cost per FTE gained (empty without hubs: no table, no sheet).
    data_gaps : mapping of str to DataFrame
        Sections of the data-gap report (``GapReport.sections()``); ``"ranked"`` is
        required (:data:`GAP_RANKED_COLUMNS`), the others go to ``tables.xlsx``.
    ethnicity : DataFrame
        :data:`ETHNICITY_COLUMNS`: ethnic-minority share of headcount by pay band.
    ethnic_minority_overall : float
        The whole workforce's ethnic-minority share: the Model Employer goal is that
        every band's share matches it.
    wellbeing : DataFrame
        :data:`WELLBEING_COLUMNS`: sickness absence rate (12 months) and staff survey
        burnout rate by region (fractions).
    parameters : DataFrame
        :data:`PARAMETER_COLUMNS`: the parameter table, the setting used and a
        ``defaulted`` flag for every input or parameter left at its default.
    assumptions : DataFrame
        :data:`ASSUMPTION_COLUMNS`: each assumption the model recorded.
    bundle_name : str
        The assessment bundle's folder name, as given to ``wfplan verify``.
    manifest_sha256 : str
        The bundle's core digest (``core_sha256`` in ``manifest.json``): the SHA-256
        over the hashes of its inputs, scenarios, configuration and results. (The
        report cannot quote the hash of the manifest that hashes the report.)
    sensitivity : DataFrame
        :data:`SENSITIVITY_COLUMNS`: each scenario's tornado of the England gap over
        every staff group in the final year (:mod:`wfplan.runs.tornado`); empty
        when none was computed.
    variance_shares : DataFrame
        :data:`VARIANCE_COLUMNS`: each uncertain quantity's share of that gap's
        variance over the draws (:mod:`wfplan.runs.variance`).
    comparison : DataFrame, optional
        :data:`CHANGE_COLUMNS`: what changed since :attr:`previous_assessment`.
    previous_assessment : str, optional
        Name of the previous assessment compared with.
    signer : str, optional
        Who signed the bundle (``wfplan assess --sign``); None for an unsigned one.
    signer_fingerprint : str, optional
        The SHA-256 fingerprint of the signer's public key (``SHA256:...``, as
        ``ssh-keygen -l`` shows it), which a verifier checks the key against.
    licence : str
        Licence of the report and its tables.
    disclosure : str, optional
        The bundle's disclosure status (``restricted: for accredited verifiers…``
        or ``public: …``), from :class:`wfplan.analysis.disclosure.Disclosure`.
    skills : DataFrame
        :data:`SKILLS_COLUMNS`: England's shortfall and surplus by role and staff
        group (P50, P5, P95) of each scenario with ``roles``, run by role
        (:mod:`wfplan.assessment.skills`); empty when none has: no table.
    plans : mapping of str to PlanSummary
        The plan's own summary (its ``[plan]`` table) of each scenario written by
        ``wfplan plan``, by scenario name; empty when no scenario carries one
        (the report then has no plan section).
    """

    title: str
    assessment_period: str
    vintage: str
    package_version: str
    seed: int
    draws: int
    created: datetime
    base_year: int
    area_name: str = "England"
    sources: pd.DataFrame
    totals: pd.DataFrame
    headline: pd.DataFrame
    position_region: pd.DataFrame
    position_icb: pd.DataFrame
    projections: pd.DataFrame
    fan_staff_groups: tuple[str, ...] = ()
    scenarios: pd.DataFrame
    baseline_scenario: str
    scenario_comparison: pd.DataFrame
    interventions: pd.DataFrame
    intervention_details: pd.DataFrame = field(
        default_factory=lambda: _frame(INTERVENTION_DETAIL_COLUMNS))
    hubs: pd.DataFrame = field(default_factory=lambda: _frame(HUB_COLUMNS))
    data_gaps: Mapping[str, pd.DataFrame]
    ethnicity: pd.DataFrame
    ethnic_minority_overall: float
    wellbeing: pd.DataFrame
    parameters: pd.DataFrame
    assumptions: pd.DataFrame
    bundle_name: str
    manifest_sha256: str
    sensitivity: pd.DataFrame = field(default_factory=lambda: _frame(SENSITIVITY_COLUMNS))
    variance_shares: pd.DataFrame = field(default_factory=lambda: _frame(VARIANCE_COLUMNS))
    comparison: pd.DataFrame | None = None
    previous_assessment: str | None = None
    signer: str | None = None
    signer_fingerprint: str | None = None
    licence: str = OGL
    disclosure: str | None = None
    plans: Mapping[str, PlanSummary] = field(default_factory=dict)
    skills: pd.DataFrame = field(default_factory=lambda: _frame(SKILLS_COLUMNS))

    def __post_init__(self) -> None:
        required = {
            "sources": SOURCE_COLUMNS, "totals": HEADLINE_COLUMNS,
            "headline": HEADLINE_COLUMNS,
            "position_region": POSITION_COLUMNS, "position_icb": POSITION_COLUMNS,
            "projections": PROJECTION_COLUMNS, "scenarios": SCENARIO_COLUMNS,
            "scenario_comparison": COMPARISON_COLUMNS, "interventions": INTERVENTION_COLUMNS,
            "intervention_details": INTERVENTION_DETAIL_COLUMNS, "hubs": HUB_COLUMNS,
            "ethnicity": ETHNICITY_COLUMNS, "wellbeing": WELLBEING_COLUMNS,
            "parameters": PARAMETER_COLUMNS, "assumptions": ASSUMPTION_COLUMNS,
            "comparison": CHANGE_COLUMNS, "sensitivity": SENSITIVITY_COLUMNS,
            "variance_shares": VARIANCE_COLUMNS, "skills": SKILLS_COLUMNS,
        }
        for name, columns in required.items():
            frame = getattr(self, name)
            if frame is None:
                continue
            if not isinstance(frame, pd.DataFrame):
                raise TypeError(f"ReportData.{name} must be a DataFrame, not "
                                f"{type(frame).__name__}")
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise ValueError(f"ReportData.{name} lacks columns {missing}")
        ranked = self.data_gaps.get("ranked")
        if ranked is None:
            raise ValueError("ReportData.data_gaps needs a 'ranked' section")
        missing = [c for c in GAP_RANKED_COLUMNS if c not in ranked.columns]
        if missing:
            raise ValueError(f"ReportData.data_gaps['ranked'] lacks columns {missing}")
        names = list(self.scenarios["scenario"])
        unknown = sorted(set(self.plans) - set(names))
        if unknown:
            raise ValueError(f"ReportData.plans {unknown} are not in scenarios {names}")
        if self.baseline_scenario not in names:
            raise ValueError(f"ReportData.baseline_scenario {self.baseline_scenario!r} is not "
                             f"in scenarios {names}")

    def scenario_title(self, name: str) -> str:
        """Return the title a scenario is shown by (its name if it has none)."""
        rows = self.scenarios[self.scenarios["scenario"] == name]
        title = rows["title"].iloc[0] if len(rows) else ""
        return str(title) if isinstance(title, str) and title.strip() else str(name)

    @property
    def final_year(self) -> int:
        """The last projected year."""
        years = self.projections["year"]
        return int(years.max()) if len(years) else self.base_year

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """Return the names of every field, in declaration order."""
        return tuple(f.name for f in fields(cls))
