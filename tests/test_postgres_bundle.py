"""An assessment from PostgreSQL is the one made from the same files on DuckDB (issue 10).

The demo vintage is loaded on a fresh PostgreSQL schema from the generator's own
files (those of the session's DuckDB demo vintage), and assessed with the same configuration as the session's
DuckDB demo vintage. Every figure of the two bundles must be the same bit for
bit: results, tables and inputs byte for byte; of the ingest log, everything but
the time each file was loaded. The PostgreSQL bundle then verifies exactly; the
current position at every level and the whole gap report are the same too.
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
    from conftest import DemoBuild

DATA = Path(__file__).resolve().parents[1] / "src" / "wfplan" / "data"
#: Columns of the ingest log that record when, not what.
WHEN = ("loaded_at",)


def _config(folder: Path) -> Path:
    path = folder / "assessment.toml"
    scenarios = ", ".join(f'"{DATA / name}"' for name in ("demo_baseline.toml", "demo_ltwp.toml"))
    path.write_text('title = "Engines"\nperiod = "2026"\nvintage = "demo"\n'
                    f"scenarios = [{scenarios}]\nhorizon = 10\ndraws = 20\nseed = 7\n"
                    'level = "region"\n', encoding="utf-8")
    return path


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
        demo_vintage: DemoBuild, pg_demo: str, tmp_path: Path) -> None:
    config = _config(tmp_path)
    with open_store(pg_demo, read_only=True) as store:
        assess(store, config, tmp_path / "from-postgres")
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        assess(store, config, tmp_path / "from-duckdb")
    pg, duck = _digests(tmp_path / "from-postgres"), _digests(tmp_path / "from-duckdb")
    assert pg.keys() == duck.keys()
    figures = [name for name in pg if name.startswith(("inputs/", "tables/"))
               or name == "results.parquet"]
    assert "results.parquet" in figures
    assert len(figures) > 20
    log = "inputs/ingests.parquet"
    differ = [name for name in figures if name != log and pg[name] != duck[name]]
    assert not differ, f"figures differ between engines: {differ}"
    logs = [pq.read_table(tmp_path / f / log).drop_columns(list(WHEN))
            for f in ("from-postgres", "from-duckdb")]
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
