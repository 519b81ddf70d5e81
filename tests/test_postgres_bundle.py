"""An assessment from PostgreSQL is the one made from the same files on DuckDB (issue 10).

The demo vintage is loaded on a fresh PostgreSQL schema from the generator's own
files (those of the session's DuckDB demo vintage), and assessed with the
configuration of the run's DuckDB demo bundle (conftest's ``demo_bundle``). Every
figure of the two bundles must be the same bit for bit: results, tables and inputs
byte for byte; of the ingest log, everything but the time each file was loaded.
The PostgreSQL bundle then verifies exactly; the current position at every level
and the whole gap report are the same too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest

from backends import make_backend
from pg_copy import assert_same, normal
from wfplan.analysis import metrics
from wfplan.analysis.gaps import gap_report
from wfplan.assessment.bundle import assess
from wfplan.assessment.verify import verify
from wfplan.dataset.geography import LEVELS
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore, open_store

if TYPE_CHECKING:
    from conftest import DemoBuild, DemoBundle

#: Columns of the ingest log that record when, not what.
WHEN = ("loaded_at",)


def _digests(bundle: Path) -> dict[str, str]:
    return {str(p.relative_to(bundle)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(bundle.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def pg_demo(demo_vintage: DemoBuild, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo vintage loaded on a fresh PostgreSQL schema (module-wide; read it only).

    It loads the very files the generator wrote for the DuckDB demo vintage, in the
    order that ingest loaded them there (what ``build_demo`` does after writing them).
    """
    folder = tmp_path_factory.mktemp("pg-demo")
    files = [f.path for f in demo_vintage.report.files]
    assert sorted(p.name for p in files) == sorted(p.name for p in demo_vintage.files.iterdir())
    for pg in make_backend("postgres", folder):  # the schema is dropped after the loop
        with pg.open() as store:
            ingest(store, files, "demo")
        yield pg.db


@pytest.mark.slow
def test_a_bundle_from_postgres_is_the_bundle_from_duckdb(
        demo_bundle: DemoBundle, pg_demo: str, tmp_path: Path) -> None:
    with open_store(pg_demo, read_only=True) as store:
        assess(store, demo_bundle.config, tmp_path / "from-postgres")
    pg, duck = _digests(tmp_path / "from-postgres"), _digests(demo_bundle.bundle)
    assert pg.keys() == duck.keys()
    figures = [name for name in pg if name.startswith(("inputs/", "tables/"))
               or name == "results.parquet"]
    assert "results.parquet" in figures
    assert len(figures) > 20
    log = "inputs/ingests.parquet"
    differ = [name for name in figures if name != log and pg[name] != duck[name]]
    assert not differ, f"figures differ between engines: {differ}"
    logs = [pq.read_table(folder / log).drop_columns(list(WHEN))
            for folder in (tmp_path / "from-postgres", demo_bundle.bundle)]
    assert logs[0].equals(logs[1])
    verdict = verify(tmp_path / "from-postgres")
    assert verdict.ok, verdict.findings
    assert verdict.exact


@pytest.mark.slow
@pytest.mark.parametrize("level", LEVELS)
def test_the_demo_current_position_is_the_same_on_postgres(
        demo_vintage: DemoBuild, pg_demo: str, level: str) -> None:
    query = metrics.Query("demo", level=level)
    with open_store(pg_demo, read_only=True) as pg, \
            DuckDBStore(demo_vintage.db, read_only=True) as duck:
        (d, d_cov), (p, p_cov) = (metrics.position_with_coverage(s, query) for s in (duck, pg))
        bands = [metrics.ethnic_minority_by_band(s, query) for s in (duck, pg)]
    assert len(d) > 0
    assert list(d.columns) == list(p.columns)
    assert_same(normal(d), normal(p))
    assert_same(normal(d_cov), normal(p_cov))
    assert_same(normal(bands[0]), normal(bands[1]))


@pytest.mark.slow
def test_the_demo_gap_report_is_the_same_on_postgres(demo_vintage: DemoBuild,
                                                     pg_demo: str) -> None:
    with open_store(pg_demo, read_only=True) as pg, \
            DuckDBStore(demo_vintage.db, read_only=True) as duck:
        d, p = gap_report(duck, "demo"), gap_report(pg, "demo")
    assert d.newest_period == p.newest_period
    assert d.totals == p.totals
    for name, frame in d.sections().items():
        assert_same(normal(frame), normal(p.sections()[name]), name)
