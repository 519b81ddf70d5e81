"""Build each section's tables, charts and key figures from a :class:`ReportData`.

The template (``templates/report.html.j2``) holds the words; this module turns
frames into numbered tables and charts, each with its source and period, in
the order the report shows them.

Over 400 lines (issue 10 allows it with a reason): one builder per report
section, in the order the report shows them; each is short, and the typed
views they return are in ``section_views.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from wfplan.report import charts, derive, gap_chart
from wfplan.report import format as fmt
from wfplan.report.context import ReportData
from wfplan.report.equality_section import model_employer_table
from wfplan.report.hubs import hubs_table
from wfplan.report.plan_section import plan_section
from wfplan.report.section_views import (
    EqualitySection,
    GapsSection,
    MethodsSection,
    PositionSection,
    ProjectionsSection,
    ReportSections,
    ScenariosSection,
    WellbeingSection,
)
from wfplan.report.sensitivity_section import sensitivity_section
from wfplan.report.skills_section import skills_table
from wfplan.report.summary import summary
from wfplan.report.views import Column, Numbering, TableView, code, hash_html
from wfplan.report.wellbeing import relation_sentences

#: Section ids and headings, in report order (the contents list).
SECTIONS = (
    ("summary", "Summary"),
    ("current-position", "Current position by region and integrated care system"),
    ("projections", "Supply and demand projections"),
    ("scenarios", "Scenarios and interventions"),
    ("plan", "Plans: the least-cost mix of interventions"),
    ("sensitivity", "Sensitivity: what moves the headline gap"),
    ("data-gaps", "Data quality and gaps"),
    ("equality", "Equality: ethnic-minority representation by pay band"),
    ("wellbeing", "Wellbeing: sickness absence and burnout"),
    ("methods", "Methods and assumptions"),
    ("verify", "How to verify this assessment"),
    ("changes", "What changed since the previous assessment"),
)


def _sector(code: object) -> str:
    """Return a sector's name from the code list (``all`` is every sector)."""
    return "All sectors" if str(code) == "all" else fmt.sector_name(code)


class SourceLines:
    """Source lines: which inputs a table or chart comes from."""

    def __init__(self, data: ReportData) -> None:
        self.data = data

    def dataset(self, tables: Sequence[str]) -> str:
        """Name the input files that fed ``tables`` (titles and publishers) and the vintage."""
        sources = self.data.sources
        if "tables" in sources.columns:
            wanted = set(tables)
            used = sources[sources["tables"].fillna("").map(
                lambda names: bool(wanted & {n.strip() for n in str(names).split(",")}))]
        else:
            used = sources
        names = []
        for _, row in used.iterrows():
            title, publisher = str(row["title"]), str(row["publisher"])
            if publisher in ("", derive.NOT_RECORDED):
                names.append(title)
            else:
                names.append(f"{title}, {publisher}" if "(" in publisher
                             else f"{title} ({publisher})")
        names = list(dict.fromkeys(names))
        listed = "; ".join(names[:4]) + (f"; and {len(names) - 4} more" if len(names) > 4
                                         else "")
        where = f"wfplan dataset, vintage {self.data.vintage}"
        return f"{listed} ({where})" if listed else where

    def projection(self, scenarios: Sequence[str]) -> str:
        """Name the projection: wfplan version, scenarios (by title), vintage, seed, draws."""
        data = self.data
        titles = ", ".join(data.scenario_title(name) for name in scenarios)
        return (f"wfplan {data.package_version} projection ({titles} "
                f"scenario{'s' if len(scenarios) > 1 else ''}) of dataset vintage "
                f"{data.vintage}; seed {data.seed}, {fmt.number(data.draws)} draws")

    @property
    def projection_period(self) -> str:
        """The projection's period in words."""
        return f"base year {self.data.base_year}, projected to {self.data.final_year}"


def _period(frame: pd.DataFrame, column: str = "period") -> str:
    if column not in frame.columns or frame[column].dropna().empty:
        return "not stated"
    return str(max(str(v) for v in frame[column].dropna()))


def _range_of(prefix: str) -> Any:
    def cell(row: pd.Series) -> str:
        return fmt.row_range(row, prefix)
    return cell


def _name_with_code(row: pd.Series) -> str:
    return f"{row['area_name']} ({row['area_code']})"


_POSITION_COLUMNS = (
    Column("headcount", "Staff in post (headcount)", fmt.count, numeric=True),
    Column("fte", "Staff in post (FTE)", fmt.number, numeric=True),
    Column("vacancy_fte", "Vacancies (FTE)", fmt.number, numeric=True),
    Column("vacancy_rate", "Vacancy rate", fmt.percent, numeric=True),
    Column("leaver_rate", "Leaver rate (turnover)", fmt.percent, numeric=True),
    Column("sickness_absence_rate", "Sickness absence rate", fmt.percent, numeric=True),
)
_POSITION_TABLES = ("staff_in_post", "vacancies", "flows", "sickness_absence")


def _position(data: ReportData, n: Numbering, src: SourceLines) -> PositionSection:
    source = src.dataset(_POSITION_TABLES)
    region, icb = data.position_region, data.position_icb
    period = _period(region)
    totals = {key: pd.to_numeric(region[key], errors="coerce").sum(min_count=1)
              for key in ("headcount", "fte", "vacancy_fte")}
    by_region = n.table(region, [Column("area_name", "NHS region"), *_POSITION_COLUMNS],
                        "table-position-region",
                        f"Staff in post, vacancies, turnover and sickness by NHS region, {period}",
                        source, period)
    by_icb = n.table(icb, [Column(_name_with_code, "Integrated care board (code)"),
                           *_POSITION_COLUMNS],
                     "table-position-icb",
                     f"Staff in post, vacancies, turnover and sickness by integrated care board, "
                     f"{_period(icb)}", source, _period(icb), small=True)
    return PositionSection(region=by_region, icb=by_icb, totals=totals, period=period)


def _projections(data: ReportData, n: Numbering, src: SourceLines) -> ProjectionsSection:
    scenario = data.baseline_scenario
    groups = data.fan_staff_groups or derive.largest_staff_groups(data.projections, scenario)
    source, period = src.projection([scenario]), src.projection_period
    figures = []
    for index, group in enumerate(groups, start=1):
        fan = derive.fan_from_results(data.projections, scenario, group)
        label = fmt.staff_group_name(group)
        chart = charts.fan_chart(fan, f"chart-fan-{index}",
                                 f"{label}: supply and funded demand, "
                                 f"{int(fan['year'].iloc[0])} to {int(fan['year'].iloc[-1])}",
                                 label)
        figures.append(n.figure(chart, source, period))
    own = data.projections[data.projections["scenario"] == scenario]
    base = own[(own["year"] == data.base_year) & (own["variable"] == "supply_fte")
               & (own["statistic"] == "principal")]
    final = derive.scenario_comparison_from_results(own)[["staff_group"]].merge(
        base[["staff_group", "value"]].rename(columns={"value": "base_supply"}),
        on="staff_group", how="left")
    last = own[(own["year"] == data.final_year)
               & own["variable"].isin(["supply_fte", "demand_funded_fte"])]
    spread = last.pivot_table(index="staff_group", columns=["variable", "statistic"],
                              values="value", aggfunc="first", sort=False)
    spread.columns = [f"{pair[0]}_{pair[1]}" for pair in spread.columns]
    final = final.merge(spread.reset_index(), on="staff_group", how="left")
    table = n.table(final, [
        Column("staff_group", "Staff group", fmt.staff_group_name),
        Column("base_supply", f"Supply, {data.base_year} (FTE)", fmt.projection, numeric=True),
        Column(_range_of("supply_fte"), f"Supply, {data.final_year} (FTE)", fmt.text,
               numeric=True),
        Column(_range_of("demand_funded_fte"), f"Funded demand, {data.final_year} (FTE)",
               fmt.text, numeric=True),
    ], "table-supply-demand",
        f"Supply and funded demand by staff group, {data.scenario_title(scenario)} scenario: "
        "P50 (P5–P95)",
        source, period)
    by_role = list(dict.fromkeys(data.skills["scenario"]))
    skills = skills_table(data, n, src.projection(by_role), period) if by_role else None
    return ProjectionsSection(figures=figures, table=table,
                              scenario=data.scenario_title(scenario), skills=skills)


def _scenarios(data: ReportData, n: Numbering, src: SourceLines) -> ScenariosSection:
    names = list(data.scenarios["scenario"])
    source, period = src.projection(names), src.projection_period
    listing = n.table(data.scenarios, [Column("title", "Scenario"),
                                       Column("scenario", "Name in the bundle",
                                              lambda v: code(v), html=True),
                                       Column("description", "What it assumes")],
                      "table-scenarios", "Scenarios in this assessment",
                      src.projection(names), period)
    comparison = data.scenario_comparison
    year = int(comparison["year"].max()) if len(comparison) else data.final_year
    groups, _ = derive.split_totals(comparison)
    chart = gap_chart.gap_range_chart(
        groups, "chart-scenarios",
        f"Gap by staff group and scenario in {year}, each staff group on its own scale",
        category="staff_group", series="scenario", series_label=data.scenario_title,
        category_label=fmt.staff_group_name)
    figure = n.figure(chart, source, period)
    wide = pd.DataFrame({"staff_group": list(dict.fromkeys(comparison["staff_group"]))})
    columns = [Column("staff_group", "Staff group or total", fmt.staff_group_name)]
    for name in names:
        rows = comparison[comparison["scenario"] == name].set_index("staff_group")
        wide[name] = [fmt.value_range(rows.loc[g, "gap_fte_p50"], rows.loc[g, "gap_fte_p5"],
                                      rows.loc[g, "gap_fte_p95"]) if g in rows.index
                      else fmt.MISSING for g in wide["staff_group"]]
        columns.append(Column(name, f"{data.scenario_title(name)} (FTE)", numeric=True))
    by_scenario = n.table(wide, columns, "table-scenario-comparison",
                          f"Gap by staff group and scenario in {year}: P50 (P5–P95)",
                          source, period)
    return ScenariosSection(listing=listing, figure=figure, comparison=by_scenario,
                            interventions=_interventions(data, n, source, period, year),
                            details=_intervention_details(data, n, period), year=year)


def _interventions(data: ReportData, n: Numbering, source: str, period: str,
                   year: int) -> TableView | None:
    if not len(data.interventions):
        return None
    return n.table(data.interventions, [
        Column("scenario", "Scenario", data.scenario_title),
        Column("staff_group", "Staff group", fmt.staff_group_name),
        Column(lambda r: "; ".join(fmt.words(i) for i in str(r["interventions"]).split("; ")),
               "Interventions"),
        Column(_range_of("counterfactual_gap_fte"), f"Gap in {year} without them (FTE)",
               fmt.text, numeric=True),
        Column(_range_of("gap_fte"), f"Gap in {year} with them (FTE)", fmt.text, numeric=True),
        Column(_range_of("fte_gap_closed"), f"Gap closed in {year} (FTE)", fmt.text,
               numeric=True),
        Column("cost_gbp", f"Cost to {year} (principal run)", fmt.gbp, numeric=True),
        Column("cost_per_fte_closed_p50", "Cost per FTE closed (P50)", fmt.gbp, numeric=True),
    ], "table-interventions", f"What each scenario's interventions buy and cost, to {year}",
        source, period, notes=[
            "Without and with: the gap of the same simulations without the scenario's "
            "interventions and with them; below zero is a surplus, and interventions that "
            "act on a surplus widen it. Each range is taken over its own simulations, so the "
            "P50 of the gap closed is not exactly the difference of the two P50s."],
        small=True)


def _intervention_details(data: ReportData, n: Numbering, period: str) -> TableView | None:
    if not len(data.intervention_details):
        return None
    return n.table(data.intervention_details, [
        Column(lambda r: code(r["name"] or r["type"]), "Intervention", fmt.text, html=True),
        Column("scenario", "Scenario", data.scenario_title),
        Column("type", "Type", fmt.words),
        Column("staff_group", "Staff group", fmt.staff_group_name),
        Column("start_year", "Starts", lambda v: fmt.text(v).replace(",", "")),
        Column("amount", "Amount"),
        Column("cost_per_unit", "Cost per unit", fmt.gbp, numeric=True),
        Column("source", "Source"),
        Column("owner", "Owner"),
    ], "table-intervention-sources", "Interventions, with their sources and owners",
        "the scenario files of this assessment", period, small=True)


def _gaps(data: ReportData, n: Numbering, src: SourceLines) -> GapsSection:
    source = f"wfplan gaps report on dataset vintage {data.vintage}"
    ranked = n.table(data.data_gaps["ranked"], [
        Column("rank", "Rank", fmt.text, numeric=True),
        Column("gap", "Gap"),
        Column("sector", "Sector", _sector),
        Column("evidence", "Evidence"),
        Column("severity", "Severity (0 to 100)", lambda v: fmt.number(v, 1), numeric=True),
    ], "table-gaps-ranked", "The most important gaps in the data, by severity (primary and "
        "social care first among equals)",
        source, f"vintage {data.vintage}")
    coverage = None
    frame = data.data_gaps.get("coverage")
    if frame is not None and len(frame):
        coverage = n.table(frame, [
            Column(lambda r: f"{fmt.words(r['table'])}: "
                   f"{_sector(r['sector'])}",
                   "Table and sector"),
            Column("rows", "Rows", fmt.number, numeric=True),
            Column("periods", "Periods", fmt.number, numeric=True),
            Column("last_period", "Latest period", fmt.text),
            Column(lambda r: f"{fmt.text(r['icbs_with_data'])} of {fmt.text(r['icbs_total'])}",
                   "ICBs with data", fmt.text, numeric=True),
        ], "table-gaps-coverage", "Coverage of the dataset by table and sector", source,
            f"vintage {data.vintage}", small=True)
    return GapsSection(ranked=ranked, coverage=coverage,
                       other=[k for k in data.data_gaps if k not in ("ranked", "coverage")])


def _equality(data: ReportData, n: Numbering, src: SourceLines) -> EqualitySection:
    frame = data.ethnicity.copy()
    period = _period(frame)
    source = src.dataset(["staff_in_post"])
    goal = data.ethnic_minority_overall
    figure = None
    if len(frame.dropna(subset=["ethnic_minority_share"])):
        chart = charts.ethnicity_chart(frame, goal, "chart-ethnicity",
                                       f"Ethnic-minority share of staff by pay band against the "
                                       f"Model Employer goal, {period}")
        figure = n.figure(chart, source, period)
    share = frame["ethnic_minority_share"].astype(float)
    frame["against"] = ["n/a" if pd.isna(v) else ("Below goal" if v < goal - 1e-9
                                                  else "At or above goal") for v in share]
    frame["difference"] = share - goal
    table = n.table(frame, [
        Column("grade", "Pay band", fmt.grade_name),
        Column("minority_headcount", "Ethnic-minority staff (headcount)", fmt.count, numeric=True),
        Column("known_headcount", "Staff with known ethnicity (headcount)", fmt.count,
               numeric=True),
        Column("ethnic_minority_share", "Ethnic-minority share", fmt.percent, numeric=True),
        Column("difference", "Difference from goal", fmt.percent_points, numeric=True),
        Column("against", "Against the goal"),
    ], "table-ethnicity", f"Ethnic-minority share of staff by pay band against the Model "
       f"Employer goal of {fmt.percent(goal)}, {period}", source, period)
    path, note = model_employer_table(data.ethnicity, goal, n, source, period)
    return EqualitySection(figure=figure, table=table, goal=goal, period=period,
                           trajectory=path, trajectory_note=note)


def _wellbeing(data: ReportData, n: Numbering, src: SourceLines) -> WellbeingSection:
    frame = data.wellbeing
    period = _period(data.position_region)
    source = src.dataset(["sickness_absence", "staff_survey"])
    periods = (f"sickness absence: 12 months to {period}; burnout: the NHS Staff Survey "
               "whose fieldwork began in the 12 months to that census (else the year before)")
    figure = None
    if len(frame):
        chart = charts.wellbeing_chart(frame, "chart-wellbeing",
                                       "Sickness absence rate and staff reporting burnout by "
                                       "NHS region")
        figure = n.figure(chart, source, periods)
    table = n.table(frame, [
        Column("area_name", "NHS region"),
        Column("sickness_absence_rate", "Sickness absence rate", fmt.percent, numeric=True),
        Column("burnout_rate", "Staff reporting burnout", fmt.percent, numeric=True),
    ], "table-wellbeing", "Sickness absence and burnout by NHS region", source, periods)
    return WellbeingSection(figure=figure, table=table,
                            relations=relation_sentences(data.assumptions))


def _titles(data: ReportData, names: Any) -> str:
    """Turn a comma-separated list of scenario names into their titles ("all scenarios")."""
    given = [name.strip() for name in str(names).split(",") if name.strip()]
    if len(data.scenarios) > 1 and set(given) == set(data.scenarios["scenario"]):
        return "all scenarios"
    return "; ".join(data.scenario_title(name) for name in given)


def _methods(data: ReportData, n: Numbering, src: SourceLines) -> MethodsSection:
    params = data.parameters
    defaulted = int(params["defaulted"].astype(bool).sum())
    table = n.table(params, [
        Column(lambda r: code(r["name"]) + (
            f'<span class="wf-cell-note">{fmt.escape_html(r["description"])}</span>'
            if "description" in r and isinstance(r["description"], str) else ""),
            "Parameter or input", fmt.text, html=True),
        Column("kind", "Kind"),
        Column("unit", "Unit"),
        Column("setting", "Setting in this assessment"),
        Column(lambda r: '<span class="wf-flag">Yes: default used</span>'
               + (f'<span class="wf-cell-note">{fmt.escape_html(_titles(data, r["defaulted_in"]))}'
                  "</span>"
                  if str(r.get("defaulted_in") or "") else "")
               if bool(r["defaulted"]) else "No", "Defaulted?", fmt.text, html=True),
        Column("source", "Source of the value or default"),
    ], "table-parameters", "Methods and assumptions: every parameter and input of the model",
        "wfplan parameter table (src/wfplan/model/parameters.csv) and the scenario files",
        f"assessment of vintage {data.vintage}", small=True)
    merged = data.assumptions.astype(str).groupby(["name", "value", "reason"], sort=False)[
        "scenario"].agg(", ".join).reset_index()
    merged["scenario"] = [_titles(data, names) for names in merged["scenario"]]
    assumptions = n.table(merged, [
        Column("name", "Assumption", lambda v: code(v), html=True),
        Column("scenario", "Scenarios"),
        Column("value", "Value used"),
        Column("reason", "Why"),
    ], "table-assumptions", "Every assumption the model recorded, by scenario",
        src.projection(list(data.scenarios["scenario"])), src.projection_period, small=True)
    sources = n.table(data.sources, [
        Column("file", "File", lambda v: code(v), html=True),
        Column("title", "Title"),
        Column("publisher", "Publisher"),
        Column("period", "Period"),
        Column("licence", "Licence"),
        Column("sha256", "SHA-256", hash_html, html=True),
    ], "table-sources", "Data sources: every file loaded into the dataset vintage",
        f"wfplan ingest log, vintage {data.vintage}", f"vintage {data.vintage}", small=True)
    return MethodsSection(parameters=table, assumptions=assumptions, sources=sources,
                          defaulted=defaulted)


def _figure_or_text(value: Any) -> str:
    """Format a number as a projected figure; pass text through as given."""
    if isinstance(value, str):
        return value
    return fmt.projection(value)


def _signed(value: Any) -> str:
    """Format a change with its sign (``+8,400``, ``−1,200``); text as given."""
    shown = _figure_or_text(value)
    if isinstance(value, int | float) and not fmt.is_missing(value) and float(value) > 0:
        return "+" + shown
    return shown


def _changes(data: ReportData, n: Numbering, src: SourceLines) -> TableView | None:
    if data.comparison is None:
        return None
    return n.table(data.comparison, [
        Column("measure", "Measure"),
        Column("previous", f"Previous ({data.previous_assessment or 'previous assessment'})",
               _figure_or_text, numeric=True),
        Column("current", "This assessment", _figure_or_text, numeric=True),
        Column("change", "Change", _signed, numeric=True),
        Column("reason", "Attributed to"),
    ], "table-changes", "What changed since the previous assessment",
        f"wfplan compare of {data.previous_assessment or 'the previous assessment'} and "
        f"{data.bundle_name}", src.projection_period)


def build_sections(data: ReportData, numbering: Numbering) -> ReportSections:
    """Return every section's content, numbering tables and figures in report order."""
    src = SourceLines(data)
    contents = [(sid, title) for sid, title in SECTIONS
                if (sid != "changes" or data.comparison is not None)
                and (sid != "plan" or bool(data.plans))]
    created = data.created
    # built in report order: the numbering of tables and figures follows it
    summary_section = summary(data, numbering, src)
    position = _position(data, numbering, src)
    projections = _projections(data, numbering, src)
    scenarios = _scenarios(data, numbering, src)
    plans = plan_section(data, numbering, _plan_source(data), src.projection_period)
    hubs = hubs_table(data.hubs, numbering, data.scenario_title,
                      src.projection(list(data.scenarios["scenario"])), src.projection_period)
    sensitivity = sensitivity_section(data, numbering,
                                      src.projection(list(data.scenarios["scenario"])),
                                      src.projection_period)
    gaps = _gaps(data, numbering, src)
    equality = _equality(data, numbering, src)
    wellbeing = _wellbeing(data, numbering, src)
    methods = _methods(data, numbering, src)
    changes = _changes(data, numbering, src)
    return ReportSections(
        contents=contents, titles=dict(SECTIONS),
        created_day=f"{created.day} {created:%B %Y}",
        created_full=f"{created.day} {created:%B %Y, %H:%M} {created.tzname() or ''}".strip(),
        summary=summary_section, position=position, projections=projections,
        scenarios=scenarios, sensitivity=sensitivity, gaps=gaps, equality=equality,
        wellbeing=wellbeing,
        methods=methods, changes=changes, plans=plans, hubs=hubs)


def _plan_source(data: ReportData) -> str:
    """Name where the plans come from: wfplan plan, its plan files, and the scenario files."""
    files = "; ".join(f"{plan.source} (sha256 {plan.sha256[:12]}…)"
                      for plan in data.plans.values())
    return (f"wfplan {data.package_version} plan ({files}), as recorded in the scenario "
            f"files of this assessment; dataset vintage {data.vintage}")
