"""``tables.xlsx``: one formatted sheet per report table, and a notes sheet.

Every sheet has one header row (bold, frozen, filterable), number formats by
column (counts and FTE with thousands separators, rates as percentages, costs
in pounds) and column widths fitted to the content. Counts from 1 to 4 are
written as ``*`` (NHS Digital disclosure control). The ``notes`` sheet comes
first: what the workbook is, the licence, and each sheet's source and period,
followed by every input file with its publisher, period, licence and SHA-256.
Every text cell is text, never a formula (:mod:`wfplan.spreadsheet`).

The workbook is reproducible: its document dates (``docProps/core.xml``) and
the time stamp of every part of its zip file are the assessment's ``created``,
so the same data gives the same bytes.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from wfplan.analysis.disclosure import POLICY
from wfplan.dataset.provenance import OGL_ATTRIBUTION
from wfplan.report import format as fmt
from wfplan.report.context import ReportData
from wfplan.report.hubs import hubs_sheets
from wfplan.report.plan_tables import plan_frames
from wfplan.report.sections import SourceLines
from wfplan.report.skills_section import skills_sheets
from wfplan.spreadsheet import text_cells

HEADER_FILL = PatternFill("solid", fgColor="005EB8")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
#: Columns written as counts, with 1 to 4 suppressed: the count columns of the published
#: current-position and ethnicity tables in the disclosure policy.
COUNT_COLUMNS = frozenset(c for t in ("current_position", "ethnic_minority_by_band")
                          for c in POLICY.published[t].counts)
MAX_WIDTH = 60


def _number_format(column: str) -> str | None:
    name = column.lower()
    if name in ("year", "horizon_years", "start_year", "rank", "periods", "ramp_years") or \
            name.endswith("_year"):
        return "0"
    if name.startswith("gap_pct") or name == "severity":
        return "0.0"
    if "cost" in name or name.endswith("_gbp"):
        return '"£"#,##0'
    if name.endswith("_rate") or "share" in name or name in ("difference", "stability_index",
                                                            "value_fraction"):
        return "0.0%"
    if name == "fte_per_head":
        return "0.00"
    if name == "total_r2":
        return "0.0%"
    if name == "swing" or name in ("gap_central", "gap_low", "gap_high"):
        return "#,##0"
    if name in ("principal", "p5", "p50", "p95"):
        return "#,##0.0"
    if name in COUNT_COLUMNS or name.endswith("_fte") or "fte_" in name or name in (
            "fte", "rows", "supply", "demand", "value") or name.endswith(("_p5", "_p50", "_p95",
                                                                          "_principal")):
        return "#,##0"
    return None


#: Significant digits a number keeps in the workbook: enough for any figure, none of the
#: float noise of binary arithmetic (363613.46000006964 is written 363613.46).
DIGITS = 12


def _places(number_format: str | None) -> int:
    """Return the decimal places a number format shows (percentages count two more)."""
    if not number_format:
        return 12
    decimals = len(number_format.split(".")[1].rstrip("%")) if "." in number_format else 0
    return decimals + (2 if number_format.endswith("%") else 0)


def _cell(value: Any, column: str) -> Any:
    """Return a cell's value: numbers as numbers (no noise, no -0), text without reprs.

    A missing value is an empty cell (never the text ``None``).
    """
    if isinstance(value, list | tuple | set | dict):
        return fmt.readable(value)
    if fmt.is_missing(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if column in COUNT_COLUMNS and isinstance(value, int | float) and \
            0 < abs(value) < fmt.SMALLEST_SHOWN:
        return fmt.SUPPRESSED
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        clean = float(f"{value:.{DIGITS}g}")
        return 0.0 if clean == 0 else clean  # never -0.0 (shown as -0.0%)
    return str(value)


def _write_frame(sheet: Worksheet, frame: pd.DataFrame) -> None:
    columns = [str(c) for c in frame.columns]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for record in frame.itertuples(index=False, name=None):
        sheet.append([_cell(v, c) for v, c in zip(record, columns, strict=True)])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        number_format = _number_format(column)
        sample = frame.iloc[:300, index - 1]
        width = max([len(column) + 2, *(len(fmt.text(v)) + 2 for v in sample)])
        sheet.column_dimensions[letter].width = min(width, MAX_WIDTH)
        wrap = width > MAX_WIDTH
        places = _places(number_format)
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if number_format and isinstance(cell.value, int | float):
                cell.number_format = number_format
                if cell.value < 0 and round(cell.value, places) == 0:
                    cell.value = 0.0  # shown as 0, never as -0 or -0.0%
            if wrap:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    if len(frame):
        sheet.auto_filter.ref = sheet.dimensions


def _sheets(data: ReportData) -> list[tuple[str, pd.DataFrame, str, str, str]]:
    """Return (sheet name, frame, description, source, period) for every table."""
    src = SourceLines(data)
    scenarios = list(data.scenarios["scenario"])
    proj, proj_period = src.projection(scenarios), src.projection_period
    position = src.dataset(("staff_in_post", "vacancies", "flows", "sickness_absence"))
    vintage = f"vintage {data.vintage}"
    out = [
        ("totals", data.totals, f"{data.area_name} total gap (FTE), all staff groups and by "
         "sector, at 5, 10 and 15 years (summed within each draw before percentiles)",
         src.projection([data.baseline_scenario]), proj_period),
        ("headline", data.headline, "Gap (FTE) by staff group at 5, 10 and 15 years",
         src.projection([data.baseline_scenario]), proj_period),
        ("position_region", data.position_region, "Current position by NHS region", position,
         _latest(data.position_region)),
        ("position_icb", data.position_icb, "Current position by integrated care board",
         position, _latest(data.position_icb)),
        ("projections", _projections_wide(data.projections), "Supply, demand and gap by "
         "scenario, staff group and year: principal run, P5, P50 and P95", proj, proj_period),
        ("scenarios", data.scenarios, "Scenarios", proj, proj_period),
        ("scenario_comparison", data.scenario_comparison, "Gap by scenario and staff group",
         proj, proj_period),
        ("interventions", data.interventions, "What each scenario's interventions buy and cost",
         proj, proj_period),
        ("intervention_details", data.intervention_details,
         "Interventions with source and owner", "scenario files", proj_period),
        *hubs_sheets(data.hubs, proj, proj_period),
        *skills_sheets(data.skills, proj, proj_period),
        ("sensitivity", data.sensitivity, "Tornado: England gap (FTE, every staff group, final "
         "year) with each uncertain quantity at its low and high value, one at a time",
         proj, proj_period),
        ("variance_shares", data.variance_shares, "Each uncertain quantity's share of the "
         "England gap's variance over the draws (R² of the gap on it alone)", proj,
         proj_period),
    ]
    if data.plans:
        out += _plan_sheets(data, proj_period)
    for name, frame in data.data_gaps.items():
        out.append((f"gaps_{name}"[:31], frame, f"Data gaps: {name.replace('_', ' ')}",
                    f"wfplan gaps report, {vintage}", vintage))
    out += [
        ("ethnicity", data.ethnicity, "Ethnic-minority share by pay band against the Model "
         f"Employer goal ({fmt.percent(data.ethnic_minority_overall)})",
         src.dataset(("staff_in_post",)), _latest(data.ethnicity)),
        ("wellbeing", data.wellbeing, "Sickness absence and burnout by NHS region",
         src.dataset(("sickness_absence", "staff_survey")),
         f"12 months to {_latest(data.position_region)}; latest staff survey"),
        ("parameters", data.parameters, "Methods: every parameter and input, with defaults "
         "flagged", "wfplan parameter table and scenario files", vintage),
        ("assumptions", data.assumptions, "Every assumption the model recorded", proj,
         proj_period),
        ("sources", data.sources, "Every input file with its SHA-256", "wfplan ingest log",
         vintage),
    ]
    if data.comparison is not None:
        out.append(("changes", data.comparison, "What changed since "
                    f"{data.previous_assessment or 'the previous assessment'}",
                    "wfplan compare", proj_period))
    return out


#: The plan's sheets: what each holds (the frames of :func:`plan_tables.plan_frames`).
PLAN_SHEETS = {
    "plan_levers": "Plans: each lever's units, cost, FTE gained in the reference year and "
                   "cost per FTE gained",
    "plan_mix": "Plans: units started and their cost by lever and start year",
    "plan_constraints": "Plans: every limit, whether it binds, and its shadow price in words",
    "plan_check": "Plans: the optimiser's predicted gap against the full model's re-simulation",
}


def _plan_sheets(data: ReportData,
                 period: str) -> list[tuple[str, pd.DataFrame, str, str, str]]:
    frames = plan_frames(data.plans)
    source = ("wfplan plan, as recorded in the [plan] table of the scenario files ("
              + "; ".join(f"{name}: {plan.source}, sha256 {plan.sha256}"
                          for name, plan in data.plans.items()) + ")")
    return [(name, frames[name], text, source, period) for name, text in PLAN_SHEETS.items()]


def _projections_wide(long_df: pd.DataFrame) -> pd.DataFrame:
    """Return the long results with one column per statistic (the data behind the charts)."""
    keys = ["scenario", "area", "staff_group", "variable", "unit", "year"]
    wide = long_df.pivot_table(index=keys, columns="statistic", values="value",
                               aggfunc="first", sort=False).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    stats = [s for s in ("principal", "p5", "p50", "p95") if s in wide.columns]
    return wide[[*keys, *stats]]


def _latest(frame: pd.DataFrame) -> str:
    if "period" not in frame.columns or frame["period"].dropna().empty:
        return "not stated"
    return str(max(str(v) for v in frame["period"].dropna()))


def _notes(sheet: Worksheet, data: ReportData,
           sheets: Iterable[tuple[str, pd.DataFrame, str, str, str]]) -> None:
    sheet.append([data.title])
    sheet["A1"].font = TITLE_FONT
    facts = [
        ("Assessment period", data.assessment_period), ("Area", data.area_name),
        ("Dataset vintage", data.vintage), ("Base year", data.base_year),
        ("Produced by", f"wfplan {data.package_version}"),
        ("Created", data.created.isoformat(timespec="seconds")),
        ("Seed and draws", f"seed {data.seed}, {data.draws:,} draws"),
        ("Assessment bundle", data.bundle_name),
        ("Manifest SHA-256", data.manifest_sha256),
        ("Signed by", f"{data.signer}, Ed25519 public key fingerprint {data.signer_fingerprint}"
         if data.signer else "Not signed"),
        ("Licence", f"{data.licence}. {OGL_ATTRIBUTION}"),
        ("FTE basis", "Full-time equivalent on a 37.5-hour week"),
        ("Disclosure control", "Counts from 1 to 4 are shown as * (NHS Digital practice)"),
        ("Bundle inputs", data.disclosure or "not stated"),
        ("Ranges", "P50 is the median of the draws; P5 and P95 bound nine in ten draws; "
                   "principal is draw 0, every parameter at its central value"),
        ("Totals", "all_staff_groups and all_<sector> are summed within each draw before "
                   "their percentiles are taken (percentiles do not add up)"),
        ("Scenarios", "; ".join(f"{data.scenario_title(name)} ({name})"
                                for name in data.scenarios["scenario"])),
    ]
    sheet.append([])
    for key, value in facts:
        sheet.append([key, value])
        sheet.cell(sheet.max_row, 1).font = BOLD
    sheet.append([])
    sheet.append(["Sheet", "Contents", "Source", "Period", "Licence"])
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for name, _frame, description, source, period in sheets:
        sheet.append([name, description, source, period, data.licence])
    sheet.append([])
    sheet.append(["Input files", "Title", "Publisher", "Period", "Licence", "SHA-256"])
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for _, row in data.sources.iterrows():
        sheet.append([_cell(row[c], c) for c in ("file", "title", "publisher", "period",
                                                 "licence", "sha256")])
    for letter, width in zip("ABCDEF", (28, 60, 50, 30, 30, 66), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def write_xlsx(data: ReportData, path: Path) -> Path:
    """Write ``tables.xlsx`` (a notes sheet, then one sheet per table) and return its path."""
    path.write_bytes(xlsx_bytes(data))
    return path


def xlsx_bytes(data: ReportData) -> bytes:
    """Return ``tables.xlsx`` as bytes: the same data always gives the same bytes."""
    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "notes"
    sheets = _sheets(data)
    _notes(notes, data, sheets)
    for name, frame, *_ in sheets:
        _write_frame(workbook.create_sheet(name), frame)
    created = data.created.astimezone(UTC).replace(tzinfo=None) if data.created.tzinfo \
        else data.created
    workbook.properties.creator = f"wfplan {data.package_version}"
    workbook.properties.title = data.title
    workbook.properties.created = created
    workbook.properties.modified = created
    text_cells(workbook)  # text from the data (codes, names) is never a live formula
    return _reproducible_zip(workbook, created)


def _reproducible_zip(workbook: Workbook, stamp: datetime) -> bytes:
    """Save ``workbook`` with every zip entry dated ``stamp`` (openpyxl dates them now).

    ``openpyxl``'s ``Workbook.save`` also sets the modification date to now, so
    the workbook is written with its :class:`ExcelWriter`, which keeps the dates
    set above, and then copied entry by entry with fixed dates and attributes.
    """
    written = io.BytesIO()
    with zipfile.ZipFile(written, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(workbook, archive).save()
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute,
                 stamp.second)
    fixed = io.BytesIO()
    with zipfile.ZipFile(written) as source, \
            zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry))
    return fixed.getvalue()
