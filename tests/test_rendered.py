"""The report files are rendered once per process for the same report data, and anew otherwise.

``wfplan verify`` compares a bundle's report files with a rendering from the
bundle's own files; one process that renders the same data twice (``wfplan demo``,
a test verifying copies of one bundle) reuses the first rendering
(:mod:`wfplan.assessment.rendered`). What must hold: the key changes with any
value the report shows, a kept rendering is only handed back for equal data,
and changed data is rendered again. A tampered bundle verified after an
untampered one in the same process still fails (the tamper tests in
test_assessment.py and test_bundle_security.py run in one process with the
assessment they tamper with); test_assessment.py's moved bundle is verified by
a new process, which renders everything again.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from example_report import example_report_data
from wfplan.assessment.rendered import data_key, forget, render_cached
from wfplan.report.context import ReportData

if TYPE_CHECKING:
    from conftest import DemoBuild


@pytest.fixture(scope="module")
def built(demo_vintage: DemoBuild,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[ReportData, ReportData]:
    """A small report of the demo vintage and a synthetic projection (5 draws), and a copy.

    The copy is a deep copy: new objects holding the same values. (Data built anew
    from a database can differ in the last bits of a sum, and then is rendered
    again; verify reads a bundle's Parquet files, which give the same data.)
    """
    data = example_report_data(tmp_path_factory.mktemp("rendered"), draws=5, staff_groups=4,
                               areas=3, demo_db=demo_vintage.db)
    return data, copy.deepcopy(data)


def _one_more(data: ReportData) -> ReportData:
    """Return ``data`` with one headline gap (P50, the first row) one FTE larger."""
    headline = data.headline.copy()
    headline.loc[headline.index[0], "gap_fte_p50"] += 1.0
    return replace(data, headline=headline)


def test_equal_report_data_share_a_key_and_any_changed_value_gives_another(
        built: tuple[ReportData, ReportData]) -> None:
    data = built[0]
    key = data_key(data)
    assert data_key(built[1]) == key
    ranked = data.data_gaps["ranked"].copy()
    number = next(c for c in ranked.columns if pd.api.types.is_numeric_dtype(ranked[c]))
    ranked.loc[ranked.index[0], number] += 1
    changed = [_one_more(data), replace(data, created=data.created + timedelta(seconds=1)),
               replace(data, signer="Someone else"), replace(data, package_version="9.9.9"),
               replace(data, data_gaps={**data.data_gaps, "ranked": ranked})]
    keys = [data_key(d) for d in changed]
    assert key not in keys
    assert len(set(keys)) == len(keys)


def test_the_same_data_is_rendered_once_and_changed_data_again(
        built: tuple[ReportData, ReportData]) -> None:
    data = built[0]
    forget()
    first = render_cached(data)
    assert set(first) == {"report.html", "report.pdf", "tables.xlsx"}
    again = render_cached(built[1])
    assert again == first
    assert all(again[name] is first[name] for name in first)  # handed back, not re-rendered
    other = render_cached(_one_more(data))
    assert other["report.html"] != first["report.html"]
    assert other["report.pdf"] != first["report.pdf"]
    assert other["tables.xlsx"] != first["tables.xlsx"]
    assert all(other[name] is not first[name] for name in first)
