"""The terminal headline of ``wfplan project`` and ``wfplan demo``.

England's totals come first, staff groups are shown by name, and every figure is
whole in an 80- or 120-column terminal.
"""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from wfplan.cli.projection import headline_tables
from wfplan.dataset import codelists

TOTALS = ["all_staff_groups", "all_nhs_trust", "all_primary_care", "all_social_care"]
NUMBER = re.compile(r"-?\d[\d,]*")


def _heads(scenarios: tuple[str, ...]) -> pd.DataFrame:
    """A headline of every staff group and the totals, with figures up to seven digits."""
    rng = np.random.default_rng(3)
    groups = [*TOTALS, *codelists.get("staff_group").codes]
    rows = []
    for scenario in scenarios:
        for group in groups:
            scale = 1_234_567.0 if group in TOTALS else rng.choice([37.0, 4_321.0, 215_241.0])
            for horizon in (5, 10, 15):
                p50 = float(rng.uniform(-1, 1) * scale)
                spread = float(abs(rng.normal(0.5, 0.2)) * scale)
                rows.append({"scenario": scenario, "area": "E92000001", "staff_group": group,
                             "horizon": horizon, "year": 2025 + horizon, "p50": p50,
                             "p5": p50 - spread, "p95": p50 + spread})
    return pd.DataFrame(rows)


def _shown(value: float) -> str:
    """The figure as the table should show it: three significant figures, ASCII minus."""
    places = 2 - math.floor(math.log10(abs(value))) if value else 0
    rounded = round(value, min(places, 0))
    return f"{rounded:,.0f}".replace("-0", "0") if abs(rounded) < 1 else f"{rounded:,.0f}"


def _render(heads: pd.DataFrame, width: int) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    for table in headline_tables(heads):
        console.print(table)
    return console.export_text()


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("scenarios", [("baseline",), ("baseline", "ltwp")])
def test_every_figure_of_the_headline_appears_whole(width: int,
                                                    scenarios: tuple[str, ...]) -> None:
    heads = _heads(scenarios)
    text = _render(heads, width)
    assert "\u2026" not in text  # nothing is cut with an ellipsis
    assert max(len(line) for line in text.splitlines()) <= width
    body = "\n".join(line for line in text.splitlines() if line.startswith("\u2502"))
    found = NUMBER.findall(body)
    expected = [_shown(v) for column in ("p50", "p5", "p95") for v in heads[column]]
    years = [str(y) for y in heads["year"]] + [f"{h}" for h in heads["horizon"]]
    missing = [figure for figure in expected if figure not in found]
    assert not missing, missing[:10]
    odd = [n for n in found if n not in expected and n not in years]
    assert not odd, odd[:10]  # no figure is shown broken into pieces


def test_the_same_tables_print_whole_at_80_then_use_the_width_of_120() -> None:
    heads = _heads(("baseline",))
    heads = heads[heads["staff_group"].isin(TOTALS)]
    tables = headline_tables(heads)
    narrow, wide = (Console(width=w, file=io.StringIO(), record=True) for w in (80, 120))
    for console in (narrow, wide):
        for table in tables:
            console.print(table)
    ranges = re.compile(r"\(-?[\d,]+ to -?[\d,]+\)")
    assert len(ranges.findall(narrow.export_text())) < len(heads)  # some wrap at 80
    assert len(ranges.findall(wide.export_text())) == len(heads)  # none at 120


def test_england_total_and_sector_subtotals_come_first_by_name() -> None:
    text = _render(_heads(("baseline",)), 120)
    first = text.index("England: total gap FTE, all staff groups and by sector")
    assert first < text.index("England: gap FTE by staff group")
    totals = text[first:text.index("England: gap FTE by staff group")]
    for name in ("All staff groups", "NHS trusts: all staff groups",
                 "Primary care: all staff groups", "Social care: all staff groups"):
        assert name in totals
    assert "Nurses & health visitors" in text
    assert "nurses_health_visitors" not in text
    assert "summed within each draw before percentiles are taken" in totals


def test_several_scenarios_show_the_totals_by_horizon_then_each_staff_group() -> None:
    text = _render(_heads(("baseline", "ltwp")), 120)
    totals = text[:text.index("England in 2030 (+5 years): gap FTE by staff group")]
    assert "England: total gap FTE, all staff groups and by sector" in totals
    for heading in ("2030 (+5 years)", "2035 (+10 years)", "2040 (+15 years)"):
        assert heading in totals
    assert totals.count("All staff groups") == 3
    for year, horizon in ((2030, 5), (2035, 10), (2040, 15)):
        assert f"England in {year} (+{horizon} years): gap FTE by staff group" in text
