"""Trends (issue 14): a hand-made vintage whose series are worked out here, on both engines.

The vintage is tests/handmade_vintage.py (censuses 31 March 2023, 31 March 2024 and
30 June 2024; vacancies in December 2023 and June 2024) plus twelve months of
sickness absence written here. Every expected number is summed by hand from the
rows of those files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

import backends
import handmade_vintage as hv
from wfplan.analysis import metrics as m
from wfplan.analysis import trends as t
from wfplan.analysis.spc import LIMIT_FACTOR
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import Store
from wfplan.errors import InputError

MONTHS = [d.date().isoformat() for d in pd.date_range("2023-04-30", periods=12, freq="ME")]
#: RAA's FTE days lost in each month (of 1,000 available); RBB loses 50 of 1,000 every month.
RAA_LOST = [40.0, 60.0] * 5 + [40.0, 150.0]
#: QMJ's monthly rate: (RAA + RBB) / 2,000.
QMJ_RATE = [(lost + 50.0) / 2000.0 for lost in RAA_LOST]


def _sickness(folder: Path) -> Path:
    rows = []
    for month, lost in zip(MONTHS, RAA_LOST, strict=True):
        rows += [
            (month, "RAA", None, lost, 1000.0),
            (month, "RBB", None, 50.0, 1000.0),
            (month, "RDD", None, 30.0, 600.0),
            (month, "RAA", hv.N, 10.0, 500.0),
        ]
    path = folder / "sickness.csv"
    pd.DataFrame(
        rows, columns=["period", "org_code", "staff_group", "fte_days_lost", "fte_days_available"]
    ).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module", params=backends.BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp(f"trends-{request.param}")
    for backend in backends.make_backend(request.param, folder):
        with backend.open() as opened:
            ingest(opened, [*hv.files(folder), _sickness(folder)], hv.VINTAGE)
            yield opened


def _trend(
    store: Store, measure: str, level: str = "england", area: str | None = None, **filters: str
) -> t.Trend:
    return t.trend(store, t.TrendQuery(hv.VINTAGE, measure, level, area, **filters))


def _values(found: t.Trend) -> list[float]:
    return [float(v) for v in found.points["value"]]


def test_staff_in_post_by_census(store: Store) -> None:
    england = _trend(store, "staff_in_post_headcount")
    assert list(england.points["period"]) == [hv.START, hv.BASE, hv.LATER]
    # Every organisation's headcount, ZZ9 (FTE only) none, REE (no reference record) counted.
    assert _values(england) == [153.0, 155.0, 154.0]
    qmj = _trend(store, "staff_in_post_headcount", "icb", "qmj")
    assert (qmj.area_code, qmj.area_name) == ("QMJ", "North Central London")
    assert _values(qmj) == [129.0, 131.0, 127.0]
    fte = _trend(store, "staff_in_post_fte", "icb", "QMJ")
    assert _values(fte) == pytest.approx([114.5, 116.5, 113.0], abs=1e-9)
    nurses = _trend(store, "staff_in_post_headcount", "org", "RBB", staff_group=hv.N)
    assert _values(nurses) == [50.0, 50.0, 49.0]
    assert fte.measure.direction == "neutral"
    assert fte.period == "March 2023 to June 2024"
    assert fte.sources == ("staff.csv (tidy template)",)


def test_each_census_point_is_the_current_position_there(store: Store) -> None:
    for level, area in (("england", None), ("region", "Y56"), ("icb", "QJK"), ("org", "RAA")):
        found = _trend(store, "staff_in_post_fte", level, area)
        for period, value in zip(found.points["period"], found.points["value"], strict=True):
            query = m.Query(hv.VINTAGE, level, area, period=pd.Timestamp(period).date())
            position = m.current_position(store, query)
            assert float(position["fte"].iloc[0]) == pytest.approx(float(value), rel=1e-12)


def test_vacancy_rate_pairs_each_period_with_the_next_census(store: Store) -> None:
    found = _trend(store, "vacancy_rate", "icb", "QMJ")
    assert list(found.points["period"]) == ["2023-12-31", "2024-06-30"]
    # December 2023 with the March 2024 census (RAA nurses 36 + 8 FTE), June 2024 with June.
    assert _values(found) == pytest.approx([3.5 / 47.5, 99.0 / 144.0], rel=1e-12)
    assert list(found.points["numerator"]) == [3.5, 99.0]
    assert found.measure.direction == "lower"
    assert found.spc is not None
    assert found.warning is not None
    assert "unreliable" in found.warning


def test_sickness_rate_by_month_and_its_spc(store: Store) -> None:
    found = _trend(store, "sickness_rate", "icb", "QMJ")
    assert list(found.points["period"]) == MONTHS
    assert _values(found) == pytest.approx(QMJ_RATE, rel=1e-12)
    assert list(found.points["denominator"]) == [2000.0] * 12
    spc = found.spc
    assert spc is not None
    # Mean 0.645 / 12; moving ranges ten of 0.01 and one of 0.055.
    assert spc.mean == pytest.approx(0.645 / 12)
    assert spc.mean_moving_range == pytest.approx(0.155 / 11)
    assert spc.upper == pytest.approx(0.645 / 12 + LIMIT_FACTOR * 0.155 / 11)
    assert spc.point_types[-1] == "concern"  # lower is better: a high point is concern
    assert [bool(f) for f in spc.outside] == [False] * 11 + [True]
    assert spc.variation == "concern"
    assert found.warning is None
    nurses = _trend(store, "sickness_rate", "icb", "QMJ", staff_group=hv.N)
    assert _values(nurses) == pytest.approx([0.02] * 12)
    england = _trend(store, "sickness_rate")
    assert float(england.points["numerator"].iloc[0]) == pytest.approx(40.0 + 50.0 + 30.0)


def test_organisations_without_a_reference_record_and_a_single_point(store: Store) -> None:
    found = _trend(store, "staff_in_post_headcount", "icb", "UNMAPPED")
    # ZZ9 gives FTE only; REE (3 staff) is at the June 2024 census alone.
    assert found.area_name == "Unmapped organisations"
    assert list(found.points["period"]) == [hv.LATER]
    assert _values(found) == [3.0]
    assert found.spc is None
    assert found.warning == "only 1 point: an SPC chart needs at least 2"


def test_available_measures_and_refusals(store: Store) -> None:
    assert t.available(store, hv.VINTAGE) == list(t.MEASURES)
    with pytest.raises(t.NoSeries):
        _trend(store, "sickness_rate", "org", "RZZ")
    with pytest.raises(InputError, match="needs an area"):
        _trend(store, "sickness_rate", "icb")
    with pytest.raises(InputError, match="measure"):
        _trend(store, "burnout")
    with pytest.raises(InputError, match="sector"):
        _trend(store, "sickness_rate", sector="nope")


def test_public_trend_is_controlled(store: Store) -> None:
    small = t.controlled(_trend(store, "staff_in_post_headcount", "org", "REE"))
    # REE has 3 staff at its one census: suppressed, no SPC.
    assert small.points["value"].isna().all()
    assert bool(small.points["suppressed"].all())
    assert small.spc is None
    assert small.warning is not None
    rounded = t.controlled(_trend(store, "staff_in_post_headcount", "icb", "QMJ"))
    assert [float(v) for v in rounded.points["value"]] == [130.0, 130.0, 125.0]
    assert rounded.spc is not None
    assert rounded.spc.mean == pytest.approx(385.0 / 3)
    rates = t.controlled(_trend(store, "sickness_rate", "icb", "QMJ"))
    assert [float(v) for v in rates.points["value"]] == [round(r, 3) for r in QMJ_RATE]
    fte = t.controlled(_trend(store, "staff_in_post_fte", "org", "REE"))
    assert fte.points["value"].isna().all()  # FTE of a small headcount would reveal it


@pytest.mark.parametrize("level", ["england", "region", "icb", "org"])
def test_people_in_files_with_identifiers_are_counted_once(tmp_path: Path, level: str) -> None:
    """The PCN file of tests/test_distinct_headcount.py: each census's headcount is metrics'."""
    import test_distinct_headcount as dh
    from wfplan.dataset.store import DuckDBStore

    path = tmp_path / "pcn.csv"
    path.write_text("\n".join([dh.HEADER, *dh.JUNE, *dh.SEPTEMBER]) + "\n", encoding="utf-8")
    with DuckDBStore(tmp_path / "d.duckdb") as store:
        ingest(store, [path], "v")
        area = {"england": None, "region": "Y56", "icb": "QWE", "org": "U00070"}[level]
        found = t.trend(store, t.TrendQuery("v", "staff_in_post_headcount", level, area))
        assert len(found.points) == 2
        for period, value in zip(found.points["period"], found.points["value"], strict=True):
            query = m.Query("v", level, area, period=pd.Timestamp(period).date())
            expected = m.current_position(store, query)["headcount"].iloc[0]
            assert float(value) == float(expected)
        if level == "icb":
            assert [float(v) for v in found.points["value"]] == [1.0, 3.0]  # 101; 101-103
