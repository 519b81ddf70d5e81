"""The report's headline without the demo: key-message wording, the gap chart's scales,
numbers for reading, and how the PDF breaks pages (on small hand-made pages)."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from wfplan.report import context, derive, gap_chart, messages
from wfplan.report import format as fmt
from wfplan.report.context import ReportData
from wfplan.report.html import _environment, stylesheet
from wfplan.report.pdf import write_pdf
from wfplan.report.views import Column, Numbering

N = "nurses_health_visitors"


def _frame(columns: tuple[str, ...], rows: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    return pd.DataFrame(rows or [], columns=list(columns))


def _gap_row(group: str, p50: float, p5: float, p95: float, pct: float = 1.0) -> dict[str, Any]:
    return {"scenario": "base", "staff_group": group, "horizon_years": 15, "year": 2040,
            "gap_fte_p50": p50, "gap_fte_p5": p5, "gap_fte_p95": p95, "gap_pct_p50": pct}


def _data(totals: list[dict[str, Any]] = (), headline: list[dict[str, Any]] = (),
          interventions: list[dict[str, Any]] = ()) -> ReportData:
    """A ReportData with hand-made headline frames and everything else empty."""
    empty = {name: _frame(columns) for name, columns in (
        ("position_region", context.POSITION_COLUMNS), ("position_icb", context.POSITION_COLUMNS),
        ("projections", context.PROJECTION_COLUMNS), ("sources", context.SOURCE_COLUMNS),
        ("scenario_comparison", context.COMPARISON_COLUMNS),
        ("ethnicity", context.ETHNICITY_COLUMNS), ("wellbeing", context.WELLBEING_COLUMNS),
        ("parameters", context.PARAMETER_COLUMNS), ("assumptions", context.ASSUMPTION_COLUMNS))}
    scenarios = pd.DataFrame([{"scenario": "base", "title": "Baseline", "description": ""},
                              {"scenario": "plan", "title": "Workforce plan", "description": ""}])
    return ReportData(
        title="t", assessment_period="p", vintage="v", package_version="0", seed=1, draws=10,
        created=datetime(2026, 1, 1, tzinfo=UTC), base_year=2025,
        totals=_frame(context.HEADLINE_COLUMNS, list(totals)),
        headline=_frame(context.HEADLINE_COLUMNS, list(headline)),
        interventions=_frame(context.INTERVENTION_COLUMNS, list(interventions)),
        scenarios=scenarios, baseline_scenario="base",
        data_gaps={"ranked": _frame(context.GAP_RANKED_COLUMNS)}, ethnic_minority_overall=0.2,
        bundle_name="b", manifest_sha256="0" * 64, **empty)


def _intervention(without: float, with_: float, closed: float) -> dict[str, Any]:
    return {"scenario": "plan", "staff_group": N, "type": "retention", "amount": "0.1",
            "year": 2040, "cost_gbp": 3.6e9, "fte_gap_closed_p50": closed,
            "fte_gap_closed_p5": closed * 0.8, "fte_gap_closed_p95": closed * 1.2,
            "cost_per_fte_closed_p50": 3.6e9 / closed if closed > 0 else np.nan,
            "counterfactual_gap_fte_p50": without, "counterfactual_gap_fte_p5": without - 9e3,
            "counterfactual_gap_fte_p95": without + 9e3, "gap_fte_p50": with_,
            "gap_fte_p5": with_ - 9e3, "gap_fte_p95": with_ + 9e3}


# --- key messages ---------------------------------------------------------------------------


def test_interventions_on_a_surplus_are_said_to_widen_it_not_to_close_a_gap() -> None:
    [text] = messages.intervention_messages(_data(interventions=[
        _intervention(-70_400.0, -132_100.0, 61_700.0)]))
    assert "interventions widen the Nurses & health visitors surplus in 2040 from " \
           "\u221270,400 to \u2212132,000 FTE" in text
    assert text.startswith("In the Workforce plan scenario, interventions widen")
    assert "gap" not in text.split(" (P50")[0]  # a surplus is never called a gap
    assert "clos" not in text


@pytest.mark.parametrize(("without", "with_", "closed", "wording"), [
    (50_000.0, 20_000.0, 30_000.0, "reduce the Nurses & health visitors gap in 2040 from "
                                   "50,000 to 20,000 FTE"),
    (20_000.0, -40_000.0, 60_000.0, "turn a gap of 20,000 FTE for Nurses & health visitors in "
                                    "2040 into a surplus (\u221240,000 FTE)"),
    (-10_000.0, 5_000.0, -15_000.0, "turn a surplus for Nurses & health visitors in 2040 "
                                    "(\u221210,000 FTE) into a gap of 5,000 FTE"),
    (-40_000.0, -30_000.0, -10_000.0, "narrow the Nurses & health visitors surplus"),
    (20_000.0, 30_000.0, -10_000.0, "widen the Nurses & health visitors gap"),
])
def test_intervention_wording_follows_the_signs_of_the_gap_without_and_with(
        without: float, with_: float, closed: float, wording: str) -> None:
    [text] = messages.intervention_messages(_data(interventions=[
        _intervention(without, with_, closed)]))
    assert wording in text
    assert ("closing" in text) == (without > 0 and with_ < without)


def test_a_total_surplus_is_called_a_surplus() -> None:
    data = _data(totals=[_gap_row("all_staff_groups", -12_345.0, -20_000.0, -3_000.0, -0.4),
                         _gap_row("all_nhs_trust", -20_000.0, -30_000.0, -9_000.0),
                         _gap_row("all_social_care", 7_654.0, -1_000.0, 15_000.0)])
    total, sectors = messages.total_messages(data, 15)
    assert "the total gap across all staff groups in England in 2040 is \u221212,300 " \
           "(\u221220,000 to \u22123,000) FTE, \u22120.4% of funded demand: a surplus across " \
           "the whole P5 to P95 range." in total
    assert sectors == ("By sector in 2040 (P50): NHS trusts \u221220,000 FTE (a surplus); "
                       "social care 7,650 FTE (a shortfall).")


def test_the_largest_shortfall_is_not_claimed_when_every_group_has_a_surplus() -> None:
    data = _data(headline=[_gap_row(N, -100.0, -200.0, -50.0), _gap_row("gp", -900.0, -990.0,
                                                                        -800.0)])
    texts = messages.staff_group_messages(data, 15)
    assert texts[0].startswith("Funded demand exceeds supply in 0 of 2 staff groups in 2040")
    assert not any("largest shortfall" in t for t in texts)
    assert "The largest surplus in 2040 is for GPs: \u2212900 (\u2212990 to \u2212800) FTE" \
        in texts[1]


def test_gap_state_reads_the_range() -> None:
    assert messages.gap_state(10, 1, 20) == "a shortfall across the whole P5 to P95 range"
    assert messages.gap_state(10, -1, 20).startswith("a shortfall at the P50, though")
    assert messages.gap_state(-10, -20, 5).startswith("a surplus at the P50, though")
    assert messages.gap_state(-10, -20, -5) == "a surplus across the whole P5 to P95 range"


# --- the gap chart -------------------------------------------------------------------------------


def test_each_staff_group_gets_its_own_scale_so_none_collapses_onto_zero() -> None:
    rows = []
    for group, size in (("asc_direct_care", 200_000.0), ("pc_directors", 40.0), ("gp", 5_000.0)):
        for h in (5, 10, 15):
            rows.append({"staff_group": group, "horizon_years": h, "gap_fte_p50": size * h / 15,
                         "gap_fte_p5": size * (h / 15 - 0.3), "gap_fte_p95": size * (h / 15 + 0.3)})
    frame = pd.DataFrame(rows)
    figure = gap_chart.gap_range_figure(frame, "c", category="staff_group",
                                        series="horizon_years")
    panels = [ax for ax in figure.axes if ax.axison]
    assert len(panels) == 3
    for ax, (group, _) in zip(panels, frame.groupby("staff_group", sort=False), strict=True):
        low, high = ax.get_xlim()
        spread = frame.loc[frame["staff_group"] == group, "gap_fte_p95"].max() - frame.loc[
            frame["staff_group"] == group, "gap_fte_p5"].min()
        assert spread / (high - low) > 0.5, (group, low, high)
        assert low <= 0 <= high  # zero is on every scale: shortfall and surplus read alike
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["5", "10", "15"]
    assert "P50" in legend.get_title().get_text()


# --- numbers for reading ---------------------------------------------------------------------


def test_methods_values_are_rounded_for_reading() -> None:
    assert derive.describe_value(0.7948424969) == "0.795"
    assert derive.describe_value(363613.46000006964) == "364,000"
    assert derive.describe_value(2026) == "2026"
    assert derive.describe_value(list(range(2025, 2040))) == "2025 to 2039"
    assert derive.describe_value({"dist": "triangular", "low": 0.0150001, "mode": 0.0175,
                                  "high": 0.02}) == "triangular (low/mode/high) 0.015 / " \
                                                    "0.0175 / 0.02"
    assert derive.describe_value({"a": 1.23456}) == "a: 1.23"
    assert fmt.readable(-4.5e-17) == "0"


# --- page breaks (WeasyPrint, the report's own stylesheet) -------------------------------------


def _page_texts(pdf: Path) -> list[str]:
    tool = shutil.which("pdftotext")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is not installed (apt-get install poppler-utils)")
        pytest.skip("pdftotext is not installed")
    text = subprocess.run([tool, str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout
    return text.split("\f")[:-1]


def _page(body: str, tmp: Path, name: str) -> list[str]:
    html = (f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><style>'
            f"{stylesheet()}</style></head><body>{body}</body></html>")
    return _page_texts(write_pdf(html, tmp / f"{name}.pdf"))


def _table(rows: int) -> str:
    """A table as the report's table macro writes it (a short one is kept together)."""
    views = Numbering().table(pd.DataFrame({"label": [f"Row {i:03d}" for i in range(1, rows + 1)],
                                            "value": range(1, rows + 1)}),
                              [Column("label", "Label"), Column("value", "Value", numeric=True)],
                              "table-long", "Long", "here", "now")
    return _environment().from_string(
        '{% from "macros.html.j2" import table with context %}{{ table(t) }}').render(
        t=views, data={"licence": "Licence"}, attribution="Licence.")


def test_a_split_table_never_leaves_one_row_alone_on_a_page(tmp_path: Path) -> None:
    long = _page(_table(200), tmp_path, "long")
    fit = long[0].count("Row ")  # rows that fit on the first page
    pages = _page(_table(fit + 1), tmp_path, "one-over")
    counts = [page.count("Row ") for page in pages]
    assert sum(counts) == fit + 1
    assert min(c for c in counts if c) >= 3, counts
    assert "Source: here." in pages[-1]


def test_a_short_table_that_fills_a_page_takes_its_source_line_with_it(tmp_path: Path) -> None:
    paragraphs = [f"<p>Paragraph {i} with enough words to take a line of the page.</p>"
                  for i in range(200)]
    room = _page("".join(paragraphs), tmp_path, "filler")[0].count("Paragraph ")
    for cut in range(room - 40, room - 20, 3):  # the table ends at or near the foot of the page
        pages = _page("".join(paragraphs[:cut]) + _table(12), tmp_path, f"short-{cut}")
        where = [i for i, page in enumerate(pages) if "Row 001" in page]
        assert "Source: here." in pages[where[0]], cut
        assert "Row 012" in pages[where[0]], cut


def test_a_heading_stays_with_the_paragraph_and_table_after_it(tmp_path: Path) -> None:
    paragraphs = [f"<p>Paragraph {i} with enough words to take a line of the page.</p>"
                  for i in range(200)]
    room = _page("".join(paragraphs), tmp_path, "filler")[0].count("Paragraph ")
    for cut in range(room - 8, room):  # the heading falls near the foot of the first page
        body = "".join(paragraphs[:cut])
        pages = _page(body + "<h3>The heading</h3><p>Its introduction.</p>" + _table(4),
                      tmp_path, f"heading-{cut}")
        where = [i for i, page in enumerate(pages) if "The heading" in page]
        assert where, cut
        assert "Table 1. Long" in pages[where[0]], cut
        assert "Row 001" in pages[where[0]], cut
