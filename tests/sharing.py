"""What the expensive fixtures share between pytest-xdist workers (used by conftest).

The suite runs on pytest-xdist workers (pyproject.toml: ``-n auto --dist loadscope
--no-loadscope-reorder``). A session-scoped fixture is built once in each worker
that runs a test needing it, and a module-scoped one once in each worker that runs
one of the module's tests. Two things keep the expensive ones from being built twice:

* :func:`assign_groups` gives a test an ``xdist_group`` mark, so that every test of
  the group runs in one worker: the tests of ``wfplan demo`` (``demo_command``), of
  the real publications (``real_vintage``) and of the service's running servers
  (``server``) form one group each, and the tests
  of a module that has a module-scoped fixture form the module's group; the other
  tests are scheduled one by one. Each worker writes the groups it collected to a
  file of the run (:func:`write_groups`), and the controller's scheduler,
  :class:`FixtureGroupScheduling`, hands out each group whole. (pytest-xdist's own
  ``--dist loadgroup`` renames node ids to carry the group, which pytest 9.2 no
  longer allows: pytest-xdist issue 1386.) The groups and tests go out in the
  order of the collection, which :func:`assign_groups` sorts costliest first
  (:data:`FIRST`), so that the many short tests at the end keep both workers busy
  to the last.
* :func:`once_per_run` builds what the many groups need (the demo vintage and its
  assessment) once for the whole run, under a file lock: the first worker to need
  it builds it, and the other waits for it (or finds it already built) and reads
  the same files.

Importable by name (the tests folder is on ``sys.path``, as for ``shared_data``).
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from xdist.scheduler import LoadScopeScheduling

try:  # POSIX; elsewhere each worker builds its own copy
    import fcntl
except ImportError:  # pragma: no cover - not on the CI's Linux
    fcntl = None  # type: ignore[assignment]

#: The folder of a run where the workers write the groups they collected.
GROUPS = "xdist-groups"

T = TypeVar("T")

#: Session-scoped fixtures whose tests all run in one worker, by fixture name
#: (``server``: the service tests' servers, one group per engine; on PostgreSQL it
#: builds the demo into a schema first, which each worker running one of them would
#: repeat).
SESSION_GROUPS = ("demo_command", "real_vintage", "server")

#: The groups and single tests that take longest, longest first (the slowest items of
#: the last whole runs, benchmarks/RESULTS.md "The whole test suite"): the workers
#: start on them, and the short tests fill the end. The first two need different
#: things, so that one worker runs ``wfplan demo`` while the other builds the demo
#: vintage and its assessment (``demo_bundle``) that the next groups read.
FIRST: tuple[str, ...] = (
    "tests/test_assessment.py",
    "demo_command",
    "server[postgres]",
    "server[duckdb]",
    "tests/test_postgres_bundle.py",
    "tests/test_bundle_security.py",
    "tests/test_quality.py::test_mypy_is_clean",
    "tests/test_report.py",
    "tests/test_rendered.py",
    "tests/test_example_ltwp.py",
    "real_vintage",
)


def group_of(item: pytest.Item) -> str | None:
    """Return the ``xdist_group`` a test belongs to, or None to schedule it alone.

    A test needing a fixture of :data:`SESSION_GROUPS` is in that fixture's group
    (the first listed, if several); otherwise a test needing any module-scoped
    fixture is in the group of its module (its file's node id).
    """
    names = getattr(item, "fixturenames", ())
    for name in SESSION_GROUPS:
        if name in names:
            return _by_parameter(item, name)
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.values() if info is not None else ()
    if any(defs and defs[-1].scope == "module" for defs in definitions):
        return item.nodeid.split("::", 1)[0]
    return None


def _by_parameter(item: pytest.Item, name: str) -> str:
    """Return the group of fixture ``name``: one per parameter of a parametrised fixture.

    A parametrised session fixture (``server``: one per engine) is built once per
    parameter, so each parameter's tests form a group of their own, ``server[duckdb]``
    and ``server[postgres]``, which the two workers can run side by side.
    """
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec is not None else {}
    return f"{name}[{params[name]}]" if name in params else name


def assign_groups(items: list[pytest.Item]) -> None:
    """Mark each test with its :func:`group_of` group; sort the tests costliest first.

    A test that has an ``xdist_group`` mark already keeps it. The tests of the
    groups (or the single tests) named in :data:`FIRST` move to the front, in that
    order; the others keep the order of the collection after them.
    """
    rank: dict[int, int] = {}
    for index, item in enumerate(items):
        marked = item.get_closest_marker("xdist_group")
        group = marked.args[0] if marked is not None and marked.args else group_of(item)
        if marked is None and group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
        key = group if group is not None else item.nodeid
        rank[id(item)] = FIRST.index(key) if key in FIRST else len(FIRST) + index
    items.sort(key=lambda item: rank[id(item)])


def _run_root(config: pytest.Config) -> Path:
    """Return the controller's basetemp: the parent of every worker's (as pytest-xdist sets it)."""
    factory: pytest.TempPathFactory = getattr(config, "_tmp_path_factory")  # noqa: B009
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def groups_folder(config: pytest.Config) -> Path:
    """Return the folder of the run where the workers write their groups."""
    return _run_root(config) / GROUPS


def read_groups(folder: Path) -> dict[str, str]:
    """Return the group of each grouped test's node id, as the workers wrote them."""
    groups: dict[str, str] = {}
    for path in sorted(folder.glob("*.json")):
        groups.update(json.loads(path.read_text(encoding="utf-8")))
    return groups


def write_groups(items: list[pytest.Item], config: pytest.Config) -> None:
    """In a worker, write each grouped test's node id and group for the controller."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    groups = {item.nodeid: str(marked.args[0]) for item in items
              if (marked := item.get_closest_marker("xdist_group")) is not None and marked.args}
    folder = groups_folder(config)
    folder.mkdir(exist_ok=True)
    partial = folder / f".{worker}.json"
    partial.write_text(json.dumps(groups), encoding="utf-8")
    partial.replace(folder / f"{worker}.json")  # whole, before the worker reports its tests


class FixtureGroupScheduling(LoadScopeScheduling):
    """``--dist loadscope`` whose scopes are the groups of :func:`assign_groups`.

    A test in a group is scheduled with its group, whole; any other test alone.
    The groups are read from the files the workers wrote (:func:`write_groups`)
    when the scheduler first needs them, after every worker has collected.
    """

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        self.folder = groups_folder(config)
        self.groups: dict[str, str] | None = None

    def _split_scope(self, nodeid: str) -> str:
        if self.groups is None:
            self.groups = read_groups(self.folder)
        return self.groups.get(nodeid, nodeid)


def run_folder(factory: pytest.TempPathFactory) -> Path:
    """Return the folder of this pytest run that every worker sees.

    Under pytest-xdist each worker's basetemp is a folder of the run's; without
    ``fcntl`` (no lock) or outside pytest-xdist it is the caller's own basetemp.
    """
    base = factory.getbasetemp()
    return base.parent if fcntl is not None and os.environ.get("PYTEST_XDIST_WORKER") else base


def once_per_run(root: Path, name: str, build: Callable[[Path], T]) -> tuple[Path, T]:
    """Build ``name`` once in ``root`` (a :func:`run_folder`), whichever worker asks first.

    ``build(folder)`` writes into the new folder ``root / name`` and returns what
    describes it (it must pickle). The first caller builds under an exclusive lock;
    the others wait on the lock, then load what it returned. Returns the folder
    and that value.
    """
    folder, done = root / name, root / f"{name}.pickle"
    with open(root / f"{name}.lock", "w", encoding="utf-8") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        if done.is_file():
            with done.open("rb") as stream:
                built: T = pickle.load(stream)
            return folder, built
        shutil.rmtree(folder, ignore_errors=True)  # what a failed build left
        folder.mkdir()
        built = build(folder)
        with done.open("wb") as stream:
            pickle.dump(built, stream)
        return folder, built
