"""What the expensive fixtures share between pytest-xdist workers (used by conftest).

The suite runs on pytest-xdist workers with ``--dist loadgroup`` (pyproject.toml).
A session-scoped fixture is built once in each worker that runs a test needing it,
and a module-scoped one once in each worker that runs one of the module's tests.
Two things keep the expensive ones from being built twice:

* :func:`assign_groups` gives a test an ``xdist_group`` mark, so that every test of
  the group runs in one worker: the tests of ``wfplan demo`` (``demo_command``) and
  of the real publications (``real_vintage``) form one group each, and the tests
  of a module that has a module-scoped fixture form the module's group. The
  scheduler (``--no-loadscope-reorder``) hands out the groups and tests in the
  order of the collection, which :func:`assign_groups` sorts costliest first
  (:data:`FIRST`), so that the many short tests at the end keep both workers busy
  to the last.
* :func:`once_per_run` builds what the many groups need (the demo vintage) once for
  the whole run, under a file lock: the first worker to need it builds it, and the
  other waits for it (or finds it already built) and reads the same files.

Importable by name (the tests folder is on ``sys.path``, as for ``shared_data``).
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

try:  # POSIX; elsewhere each worker builds its own copy
    import fcntl
except ImportError:  # pragma: no cover - not on the CI's Linux
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")

#: Session-scoped fixtures whose tests all run in one worker, by fixture name.
SESSION_GROUPS = ("demo_command", "real_vintage")

#: The groups and single tests that take longest, longest first (benchmarks/RESULTS.md,
#: "The whole test suite"): the workers start on them, and short tests fill the end.
FIRST: tuple[str, ...] = ()


def group_of(item: pytest.Item) -> str | None:
    """Return the ``xdist_group`` a test belongs to, or None to schedule it alone.

    A test needing a fixture of :data:`SESSION_GROUPS` is in that fixture's group
    (the first listed, if several); otherwise a test needing any module-scoped
    fixture is in the group of its module (its file's node id).
    """
    names = getattr(item, "fixturenames", ())
    for name in SESSION_GROUPS:
        if name in names:
            return name
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.values() if info is not None else ()
    if any(defs and defs[-1].scope == "module" for defs in definitions):
        return item.nodeid.split("::", 1)[0]
    return None


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
