"""Shared helpers for the tests: real files and real databases in tmp_path.

Most tests use DuckDB files. Tests taking ``backend`` (``any_store``,
``any_base_db``) run on both engines: a DuckDB file and a fresh PostgreSQL schema
(tests/backends.py); ``pg_backend`` is PostgreSQL alone.

The helpers reach tests through the ``kit`` fixture rather than imports, because a
``conftest`` module is not reliably importable by name when several test folders
have their own.

What is slow to build is built once per session, at the end of this file: the demo
vintage (``demo_vintage``), an assessment of it (``demo_bundle``) and the example
report's data and page (``example_report``, tests/example_report.py), each once for
the whole run (the workers share them: tests/sharing.py), one run of
``wfplan demo`` with its assessment bundle (``demo_command``) and the vintage of
every real publication (``real_vintage``); the tests of each of the last two, and
those of a module with a module-scoped fixture, run in one worker (tests/sharing.py).
Tests that only read them open the databases read-only; tests that write use a copy
(``demo_vintage_copy``, ``demo_command_copy``, ``DemoBuild.copy``). Each is checked
at the end of the session to be unchanged. Paths under ../shared/data come from
``shared_data.real`` (tests/shared_data.py, importable by name).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

import shared_data
import sharing
from backends import BACKENDS, Backend, make_backend
from wfplan.dataset.ingest import IngestReport
from wfplan.dataset.store import DuckDBStore, Store, open_store


def pytest_configure(config: pytest.Config) -> None:
    """Lay command output out as for a pipe, whatever runs the tests.

    The CLI reads ``$COLUMNS`` at each print; pytest-xdist's workers (and some
    terminals) set it, which changed where long lines wrap. Tests that need a
    width set ``COLUMNS`` themselves. Inputs cached by ``wfplan project``
    (:mod:`wfplan.inputs.cache`) go to a folder of the session's, not the user's.

    Reports render in the test's own process (``WFPLAN_RENDER_PARALLEL=0``): the
    suite's two workers keep both processors busy, so the second process that
    ``assess`` and ``verify`` start for the workbook, the gap charts or the page
    would only add its imports (1.5 to 2 CPU seconds each, about 70 times a run).
    The two-process paths are tested where they are the subject (tests/test_report.py's
    module report, tests/test_verify_pdf.py, tests/test_verify_prerender.py), and the
    service tests' servers and workers run with the default (tests/service/live.py).
    """
    os.environ.setdefault("WFPLAN_INPUTS_CACHE",
                          tempfile.mkdtemp(prefix="wfplan-test-inputs-cache-"))
    from wfplan.report.render import PARALLEL_ENV

    os.environ.setdefault(PARALLEL_ENV, "0")
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)
    _build_each_command_once()


def _build_each_command_once() -> None:
    """Let typer's ``CliRunner`` build an app's click command once per process.

    ``wfplan`` builds its command tree once per run; ``CliRunner.invoke`` builds it
    again at every call (``typer.main.get_command``: every command's signature and
    type hints, about 30 ms of CPU for wfplan's), and the tests invoke the CLI some
    thousands of times. The command built for an app is kept and used for the
    app's later invocations in this process. If typer no longer has this hook, the
    tests run as before, only slower.
    """
    import typer.testing

    build = getattr(typer.testing, "_get_command", None)
    if build is None or getattr(build, "keeps_commands", False):
        return
    built: dict[int, tuple[Any, Any]] = {}

    def get_command(app: Any) -> Any:
        entry = built.get(id(app))
        if entry is None or entry[0] is not app:  # a new app: build (and keep) its command
            entry = built[id(app)] = (app, build(app))
        return entry[1]

    get_command.keeps_commands = True  # type: ignore[attr-defined]
    typer.testing._get_command = get_command  # type: ignore[attr-defined]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep the tests of each expensive fixture in one worker (``sharing.assign_groups``)."""
    sharing.assign_groups(items)


@pytest.hookimpl(tryfirst=True)  # before the worker reports its tests to the controller
def pytest_collection_finish(session: pytest.Session) -> None:
    """Tell the controller the groups (``sharing.write_groups``)."""
    sharing.write_groups(session.items, session.config)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Schedule ``--dist loadscope`` by the groups (``sharing.FixtureGroupScheduling``)."""
    if config.getvalue("dist") == "loadscope":
        return sharing.FixtureGroupScheduling(config, log)
    return None

SIP_HEADER = "period,org_code,staff_group,age_band,sex,headcount,fte"
ORG_HEADER = "org_code,name,org_type,sector,icb_code,region_code"

#: Organisations in three ICBs of two regions (London Y56, South West Y58).
ORGANISATIONS = [
    ("RAA", "Trust A", "Acute", "nhs_trust", "QMJ", "Y56"),
    ("RBB", "Trust B", "Acute", "nhs_trust", "QMJ", "Y56"),
    ("RCC", "Trust C", "Mental Health", "nhs_trust", "QKK", "Y56"),
    ("RDD", "Trust D", "Acute", "nhs_trust", "QJK", "Y58"),
]

AGE_BANDS = ["under_25", "25_29", "30_34", "35_39", "40_44", "45_49", "50_54", "55_59",
             "60_64", "65_plus"]


def write(path: Path, text: str, *, encoding: str = "utf-8", newline: str = "\n") -> Path:
    """Write text to a file with exact line endings and encoding; return the path."""
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def sip_lines(rows: int, *, org: str = "RAA", period: str = "2024-03") -> list[str]:
    """Return ``rows`` valid staff_in_post data lines with unique keys."""
    lines = []
    groups = ["hchs_doctors", "nurses_health_visitors", "midwives", "managers"]
    for i in range(rows):
        group = groups[(i // (len(AGE_BANDS) * 2)) % len(groups)]
        age = AGE_BANDS[(i // 2) % len(AGE_BANDS)]
        sex = ("female", "male")[i % 2]
        cycle = i // (len(AGE_BANDS) * 2 * len(groups))
        this_org = org if cycle == 0 else f"{org}{cycle}"
        lines.append(f"{period},{this_org},{group},{age},{sex},{10 + i % 7},{9.5 + i % 3}")
    return lines


def sip_csv(path: Path, rows: int = 5, **kwargs: Any) -> Path:
    """Write a valid tidy staff_in_post CSV with ``rows`` data rows."""
    return write(path, "\n".join([SIP_HEADER, *sip_lines(rows, **kwargs)]) + "\n")


def org_csv(path: Path, orgs: list[tuple[str, ...]] | None = None) -> Path:
    """Write a tidy organisations CSV."""
    rows = [",".join(o) for o in (orgs or ORGANISATIONS)]
    return write(path, "\n".join([ORG_HEADER, *rows]) + "\n")


def snapshot(store: Store) -> dict[str, Any]:
    """Return everything that must not change when an ingest fails."""
    return {
        "counts": store.table_counts(),
        "vintages": store.query("SELECT name, frozen FROM vintages ORDER BY name")
        .to_dict("records"),
        "ingests": store.query("SELECT ingest_id, vintage, source_file, sha256, rows "
                               "FROM ingests ORDER BY ingest_id").to_dict("records"),
    }


def db_snapshot(db: Path | str) -> dict[str, Any]:
    """Open a database (a file or a URL) read-only and return its snapshot."""
    with open_store(db, read_only=True) as store:
        return snapshot(store)


def plain(text: str) -> str:
    """Return CLI output with rich's box drawing removed and whitespace collapsed."""
    text = re.sub(r"[\u2500-\u257f]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


class Kit:
    """The helpers above, as one object handed to tests by the ``kit`` fixture."""

    SIP_HEADER = SIP_HEADER
    ORG_HEADER = ORG_HEADER
    ORGANISATIONS = ORGANISATIONS
    AGE_BANDS = AGE_BANDS

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path

    write = staticmethod(write)
    sip_lines = staticmethod(sip_lines)
    sip_csv = staticmethod(sip_csv)
    org_csv = staticmethod(org_csv)
    snapshot = staticmethod(snapshot)
    db_snapshot = staticmethod(db_snapshot)
    plain = staticmethod(plain)

    def sip_file(self, name: str, lines: list[str]) -> Path:
        """Write a staff_in_post CSV named ``name`` in tmp_path: the header, then ``lines``."""
        return write(self.tmp_path / name, "\n".join([SIP_HEADER, *lines]) + "\n")

    @staticmethod
    def cli(*args: object) -> Result:
        """Run ``wfplan ARGS`` in this process and return the result."""
        from wfplan.cli import app

        return CliRunner().invoke(app, [str(a) for a in args])

    def refused(self, db: Path | str, *files: Path, extra: tuple[str, ...] = (),
                code: int = 2) -> str:
        """Run an ingest that must fail: check the exit code and the unchanged database.

        Returns the error output with whitespace collapsed.
        """
        before = db_snapshot(db)
        result = self.cli("ingest", *files, "--db", db, *extra)
        assert result.exit_code == code, result.output
        assert "Traceback" not in result.output
        assert db_snapshot(db) == before
        return plain(result.stderr)

    def loaded(self, db: Path | str, *files: Path, extra: tuple[str, ...] = ()) -> Result:
        """Run an ingest that must succeed."""
        result = self.cli("ingest", *files, "--db", db, *extra)
        assert result.exit_code == 0, result.output
        return result

    @staticmethod
    def read_back(db: Path | str, sql: str) -> pd.DataFrame:
        """Run a query on a closed database (a file or a URL), read-only."""
        with open_store(db, read_only=True) as store:
            return store.query(sql)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium through Playwright, one per module (tests/browser_util.py)."""
    from browser_util import launch
    yield from launch()


@pytest.fixture
def kit(tmp_path: Path) -> Kit:
    """The shared test helpers."""
    return Kit(tmp_path)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A database file path in tmp_path (not yet created)."""
    return tmp_path / "wfplan.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[DuckDBStore]:
    """A fresh DuckDB store in tmp_path, closed after the test."""
    opened = DuckDBStore(db_path)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def loaded_store(store: DuckDBStore, tmp_path: Path) -> DuckDBStore:
    """A store whose ``default`` vintage holds organisations and 20 staff rows."""
    from wfplan.dataset.ingest import ingest

    ingest(store, [org_csv(tmp_path / "orgs.csv"), sip_csv(tmp_path / "base.csv", 20)],
           "default")
    return store


@pytest.fixture
def base_db(tmp_path: Path) -> Path:
    """A closed database file whose 'default' vintage holds organisations and 20 rows of RAA."""
    from wfplan.dataset.ingest import ingest

    path = tmp_path / "base.duckdb"
    opened = DuckDBStore(path)
    try:
        ingest(opened, [org_csv(tmp_path / "orgs.csv"), sip_csv(tmp_path / "base.csv", 20)],
               "default")
    finally:
        opened.close()
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each backend in turn: a DuckDB file in tmp_path, or a fresh PostgreSQL schema.

    A test using it runs twice; on PostgreSQL the schema is dropped after the test,
    and an unreachable server fails the test in CI (``$CI``) or skips it elsewhere.
    """
    yield from make_backend(request.param, tmp_path)


@pytest.fixture
def any_store(backend: Backend) -> Iterator[Store]:
    """A fresh store on each backend, closed after the test."""
    with backend.open() as opened:
        yield opened


def _base(backend: Backend, tmp_path: Path) -> str:
    from wfplan.dataset.ingest import ingest

    with backend.open() as opened:
        ingest(opened, [org_csv(tmp_path / "orgs.csv"), sip_csv(tmp_path / "base.csv", 20)],
               "default")
    return backend.db


@pytest.fixture
def any_base_db(backend: Backend, tmp_path: Path) -> str:
    """``base_db`` on each backend: a closed database (``--db`` text) with 'default' loaded."""
    return _base(backend, tmp_path)


@pytest.fixture
def pg_backend(tmp_path: Path) -> Iterator[Backend]:
    """A fresh PostgreSQL schema only (for what only PostgreSQL does), dropped after the test."""
    yield from make_backend("postgres", tmp_path)


@pytest.fixture
def pg_base_db(pg_backend: Backend, tmp_path: Path) -> str:
    """``base_db`` on PostgreSQL."""
    return _base(pg_backend, tmp_path)


# -- built once per session ------------------------------------------------------------------


def _digest(*paths: Path) -> str:
    """Return one SHA-256 of the files (folders: every file in them), to see a change."""
    digest = hashlib.sha256()
    for path in paths:
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(str(file.relative_to(path.parent)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def _unchanged(before: str, *paths: Path, name: str) -> None:
    if _digest(*paths) != before:
        pytest.fail(f"a test changed the shared {name} ({paths[0]}): tests that write must "
                    "use a copy")


@dataclass(frozen=True)
class DemoBuild:
    """The demo vintage, built by ``build_demo`` (vintage 'demo', default seed) for the session.

    Open ``db`` read-only (``DuckDBStore(db, read_only=True)``); write only to a
    :meth:`copy`. ``files`` holds the generator's files, ``report`` the ingest report.
    """

    db: Path
    files: Path
    report: IngestReport

    def copy(self, path: Path) -> Path:
        """Copy the database to ``path`` (its folder is created) and return the copy."""
        path.parent.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copyfile(self.db, path))


def _build_demo_vintage(root: Path) -> tuple[IngestReport, str]:
    """Build the demo vintage into ``root``; return the ingest report and the database digest."""
    from wfplan.dataset.demo import build_demo

    with DuckDBStore(root / "demo.duckdb") as store:
        report = build_demo(store, workdir=root / "files")
    return report, _digest(root / "demo.duckdb")


@pytest.fixture(scope="session")
def demo_vintage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoBuild]:
    """The demo vintage, built once for the whole run, shared by the workers (read-only)."""
    root, (report, before) = sharing.once_per_run(sharing.run_folder(tmp_path_factory),
                                                  "demo-vintage", _build_demo_vintage)
    built = DemoBuild(db=root / "demo.duckdb", files=root / "files", report=report)
    yield built
    _unchanged(before, built.db, name="demo vintage")


@pytest.fixture
def demo_vintage_copy(demo_vintage: DemoBuild, tmp_path: Path) -> Path:
    """A writable copy of the demo database, in tmp_path."""
    return demo_vintage.copy(tmp_path / "demo.duckdb")


@dataclass(frozen=True)
class DemoBundle:
    """The demo vintage's assessment bundle ``bundle-2026``, made once per run from ``config``.

    The configuration ``first.toml``: the demo baseline and LTWP-style scenarios, NHS
    regions, 15 years, 20 draws, seed 7. Read the bundle; tamper only with a copy.
    """

    config: Path
    bundle: Path


def _assess_demo(db: Path, root: Path) -> str:
    """Write ``first.toml`` into ``root``, assess the demo with it; return the bundle's digest."""
    from wfplan.assessment.bundle import assess

    data = Path(__file__).resolve().parents[1] / "src" / "wfplan" / "data"
    listed = ", ".join(f'"{data / name}"' for name in ("demo_baseline.toml", "demo_ltwp.toml"))
    (root / "first.toml").write_text(
        f'title = "Test assessment first"\nperiod = "2026"\nvintage = "demo"\n'
        f'scenarios = [{listed}]\nhorizon = 15\ndraws = 20\nseed = 7\nlevel = "region"\n',
        encoding="utf-8")
    with DuckDBStore(db, read_only=True) as store:
        assess(store, root / "first.toml", root / "bundle-2026")
    return _digest(root / "bundle-2026")


@pytest.fixture(scope="session")
def demo_bundle(demo_vintage: DemoBuild,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoBundle]:
    """The demo's assessment bundle, made once for the whole run, shared by the workers."""
    root, before = sharing.once_per_run(sharing.run_folder(tmp_path_factory), "demo-bundle",
                                        functools.partial(_assess_demo, demo_vintage.db))
    made = DemoBundle(config=root / "first.toml", bundle=root / "bundle-2026")
    yield made
    _unchanged(before, made.bundle, name="demo assessment bundle")


@dataclass(frozen=True)
class PlanBundle:
    """A plan solved on the demo vintage by ``wfplan plan``, and the demo assessed on it.

    ``plan.toml``: ``examples/plan-nurses.toml`` with 20 draws and a budget of £150m a
    year (so that budgets bind in some years and have shadow prices); ``planned.toml``
    the scenario ``wfplan plan`` wrote (with its ``[plan]`` table); ``bundle`` the
    assessment of that scenario alone (England, 10 years, 10 draws, seed 1). Read it
    only; tamper only with a copy.
    """

    plan: Path
    scenario: Path
    bundle: Path


def _plan_and_assess(db: Path, root: Path) -> str:
    """Run ``wfplan plan`` and ``wfplan assess`` into ``root``; return the files' digest."""
    example = Path(__file__).resolve().parents[1] / "examples" / "plan-nurses.toml"
    text = example.read_text(encoding="utf-8").replace("draws = 50", "draws = 20").replace(
        "budget_per_year = 600e6", "budget_per_year = 150e6")
    write(root / "plan.toml", text)
    made = Kit.cli("plan", root / "plan.toml", "--out", root / "planned.toml", "--db", db)
    assert made.exit_code == 0, made.output
    write(root / "assess.toml", 'title = "Plan assessment"\nperiod = "2026"\nvintage = "demo"\n'
          'scenarios = ["planned.toml"]\nhorizon = 10\ndraws = 10\nseed = 1\n'
          'level = "england"\n')
    assessed = Kit.cli("assess", root / "assess.toml", "--out", root / "bundle", "--db", db)
    assert assessed.exit_code == 0, assessed.output
    return _digest(root / "planned.toml", root / "bundle")


@pytest.fixture(scope="session")
def plan_bundle(demo_vintage: DemoBuild,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlanBundle]:
    """The demo assessed on a plan's scenario, made once for the whole run (read-only)."""
    root, before = sharing.once_per_run(sharing.run_folder(tmp_path_factory), "plan-bundle",
                                        functools.partial(_plan_and_assess, demo_vintage.db))
    made = PlanBundle(plan=root / "plan.toml", scenario=root / "planned.toml",
                      bundle=root / "bundle")
    yield made
    _unchanged(before, made.scenario, made.bundle, name="plan assessment bundle")


@dataclass(frozen=True)
class ExampleReport:
    """The example report's data (``tests/example_report.py``, 100 draws) and its page.

    ``data`` is the :class:`~wfplan.report.context.ReportData` of
    :func:`example_report.example_report_data` on the demo vintage, built once for the
    whole run (the workers share it); ``html`` is ``render_html(data)``. Read them
    only: to change the data, make a changed copy (``dataclasses.replace``).
    """

    data: Any
    html: str


def _build_example_report(db: Path, root: Path) -> tuple[Any, str, str]:
    """Build the example report data into ``root``; return it, its page and its data key."""
    from example_report import example_report_data
    from wfplan.assessment.rendered import data_key
    from wfplan.report.html import render_html

    data = example_report_data(root / "work", draws=100, demo_db=db)
    return data, render_html(data), data_key(data)


@pytest.fixture(scope="session")
def example_report(demo_vintage: DemoBuild,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleReport]:
    """The example report's data and page, made once for the whole run (read them only)."""
    from wfplan.assessment.rendered import data_key

    _, (data, html, before) = sharing.once_per_run(
        sharing.run_folder(tmp_path_factory), "example-report",
        functools.partial(_build_example_report, demo_vintage.db))
    yield ExampleReport(data=data, html=html)
    if data_key(data) != before:
        pytest.fail("a test changed the shared example report data: change a copy "
                    "(dataclasses.replace)")


def _build_hand_bundles(root: Path) -> str:
    """Build :func:`handmade_vintage.build_bundles` into ``root``; return its digest."""
    import handmade_vintage

    handmade_vintage.build_bundles(root)
    return _digest(*_hand_files(root))


def _hand_files(root: Path) -> tuple[Path, ...]:
    return tuple(root / name for name in ("hand.duckdb", "assessment.toml", "keys", "signed",
                                          "unsigned"))


@pytest.fixture(scope="session")
def hand_bundles(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The hand-made vintage's signed and unsigned bundles, made once for the whole run.

    The folder of :func:`handmade_vintage.build_bundles`, shared by the workers:
    read it only; tamper only with a copy.
    """
    root, before = sharing.once_per_run(sharing.run_folder(tmp_path_factory), "hand-bundles",
                                        _build_hand_bundles)
    yield root
    _unchanged(before, *_hand_files(root), name="hand-made bundles")


@dataclass(frozen=True)
class DemoRun:
    """One run of ``wfplan demo`` (no options) in an empty folder: the database, bundle, output."""

    db: Path
    bundle: Path
    result: Result


@pytest.fixture(scope="session")
def demo_command(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    """``wfplan demo`` run once for the session: it builds the demo, assesses and verifies it.

    Read the database read-only and leave the bundle as it is; to run commands that
    write, use ``demo_command_copy``.
    """
    folder = tmp_path_factory.mktemp("demo-command").resolve()
    db = folder / "wfplan.duckdb"
    with pytest.MonkeyPatch.context() as patch:  # as a new user runs it: no options
        patch.chdir(folder)
        patch.delenv("WFPLAN_DB", raising=False)
        result = Kit.cli("demo")
    bundle = db.parent / "wfplan-demo-assessment"
    before = _digest(db, bundle) if bundle.is_dir() else ""
    yield DemoRun(db=db, bundle=bundle, result=result)
    if before:
        _unchanged(before, db, bundle, name="demo command's database and bundle")


@pytest.fixture
def demo_command_copy(demo_command: DemoRun, tmp_path: Path) -> Path:
    """A writable copy of the demo command's database, with its bundle beside it."""
    shutil.copytree(demo_command.bundle, tmp_path / demo_command.bundle.name)
    return Path(shutil.copyfile(demo_command.db, tmp_path / demo_command.db.name))


@dataclass(frozen=True)
class RealVintage:
    """Every real publication loaded into vintage 'real' by ``wfplan ingest``, in a subprocess."""

    db: Path
    files: list[Path]
    result: subprocess.CompletedProcess[str]


@pytest.fixture(scope="session")
def real_vintage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealVintage]:
    """The vintage of every real file, built once for the session (read it read-only)."""
    files = shared_data.data_files()
    db = tmp_path_factory.mktemp("real-vintage") / "real.duckdb"
    result = subprocess.run([sys.executable, "-m", "wfplan.cli", "ingest", "--db", str(db),
                             "--vintage", "real", *map(str, files)], capture_output=True,
                            text=True, check=False, timeout=600)
    before = _digest(db) if db.exists() else ""
    yield RealVintage(db=db, files=files, result=result)
    if before:
        _unchanged(before, db, name="real vintage")


@pytest.fixture(scope="module")
def hand(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBStore]:
    """The hand-made vintage (``tests/handmade_vintage.py``), built once per module, read-only."""
    import handmade_vintage as hv

    folder = tmp_path_factory.mktemp("hand")
    with DuckDBStore(folder / "hand.duckdb") as building:
        hv.build(building, folder)
    with DuckDBStore(folder / "hand.duckdb", read_only=True) as store:
        yield store


@dataclass(frozen=True)
class DemoBaseline:
    """``wfplan project baseline --vintage demo`` as the service runs it for ``/projection``.

    With the service's default draws and the baseline's seed, computed directly by the
    runs function the CLI calls (:func:`wfplan.runs.project.project`), once per session:
    the figures the API's and the pages' must equal. Read it only.
    """

    table: pd.DataFrame
    results: Any
    draws: int
    seed: int


@pytest.fixture(scope="session")
def demo_baseline(demo_vintage: DemoBuild) -> DemoBaseline:
    """The demo's baseline projection, computed once for the session (see :class:`DemoBaseline`)."""
    from wfplan.runs.project import project, read_scenario
    from wfplan.web.service import PROJECTION_DRAWS

    seed = read_scenario("baseline").scenario.seed
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        run = project(store, ["baseline"], vintage="demo", draws=PROJECTION_DRAWS, seed=seed)[0]
    return DemoBaseline(run.table, run.results, PROJECTION_DRAWS, seed)


@pytest.fixture(scope="session")
def demo_org_inputs(demo_vintage: DemoBuild) -> Any:
    """The baseline's organisation-level inputs of every demo organisation, built once.

    :func:`wfplan.runs.fans.org_inputs` (what the service cuts an organisation's fans
    from); an :class:`~wfplan.runs.fans.OrgInputs`. Read it only.
    """
    from wfplan.runs.fans import org_inputs

    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        return org_inputs(store, "demo")
