"""How the expensive fixtures are shared between pytest-xdist workers (tests/sharing.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import sharing

TESTS = Path(__file__).resolve().parent

#: Two processes ask for the same thing at once; the build takes a moment, so the
#: second asks while the first holds the lock.
ASK = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import sharing

def build(folder):
    with open(Path(sys.argv[2]) / "builds.txt", "a", encoding="utf-8") as log:
        log.write(sys.argv[3] + "\\n")
    time.sleep(1)
    (folder / "made.txt").write_text("made by " + sys.argv[3], encoding="utf-8")
    return {"by": sys.argv[3]}

folder, value = sharing.once_per_run(Path(sys.argv[2]), "thing", build)
print(json.dumps([str(folder), value, (folder / "made.txt").read_text(encoding="utf-8")]))
"""


@pytest.fixture(scope="module")
def module_wide() -> str:
    """A module-scoped fixture: its tests run in one worker."""
    return "built once"


def _group(item: pytest.Item) -> str | None:
    marked = item.get_closest_marker("xdist_group")
    return None if marked is None else str(marked.args[0])


def test_a_test_of_a_module_scoped_fixture_is_in_its_module_s_group(
        request: pytest.FixtureRequest, module_wide: str) -> None:
    assert module_wide == "built once"
    assert _group(request.node) == "tests/test_sharing.py"


def test_a_test_of_function_fixtures_only_is_scheduled_alone(
        request: pytest.FixtureRequest, tmp_path: Path) -> None:
    assert tmp_path.is_dir()
    assert _group(request.node) is None


def test_every_test_of_wfplan_demo_and_of_the_real_files_is_in_one_group(
        request: pytest.FixtureRequest) -> None:
    items = request.session.items
    for fixture in ("demo_command", "real_vintage"):
        using = [item for item in items if fixture in getattr(item, "fixturenames", ())]
        assert {_group(item) for item in using} <= {fixture}, fixture
    demo_cli = [item for item in items if item.nodeid.startswith("tests/test_demo_cli.py")]
    assert all(_group(item) == "demo_command" for item in demo_cli)


def test_the_service_tests_form_one_group_per_engine(request: pytest.FixtureRequest) -> None:
    using = [item for item in request.session.items
             if "server" in getattr(item, "fixturenames", ())]
    for item in using:
        engine = item.callspec.params["server"]  # type: ignore[attr-defined]
        assert _group(item) == f"server[{engine}]", item.nodeid
    if any(item.nodeid.startswith("tests/service/") for item in request.session.items):
        assert {_group(item) for item in using} == {"server[duckdb]", "server[postgres]"}


def test_the_worker_tells_the_controller_the_group_of_each_grouped_test(
        request: pytest.FixtureRequest, module_wide: str) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("the groups are written for the controller only under pytest-xdist")
    groups = sharing.read_groups(sharing.groups_folder(request.config))
    assert module_wide == "built once"
    assert groups[request.node.nodeid] == "tests/test_sharing.py"
    alone = "tests/test_sharing.py::test_a_test_of_function_fixtures_only_is_scheduled_alone"
    assert alone not in groups


def test_the_costliest_groups_come_first(request: pytest.FixtureRequest) -> None:
    keys = list(dict.fromkeys(_group(item) or item.nodeid for item in request.session.items))
    present = [key for key in sharing.FIRST if key in keys]
    assert keys[:len(present)] == present


@pytest.mark.skipif(sharing.fcntl is None, reason="no fcntl: each worker builds its own")
def test_the_first_of_two_processes_builds_and_the_second_reads_what_it_built(
        tmp_path: Path) -> None:
    script = tmp_path / "ask.py"
    script.write_text(ASK, encoding="utf-8")
    asking = [subprocess.Popen([sys.executable, str(script), str(TESTS), str(tmp_path), name],
                               stdout=subprocess.PIPE, text=True) for name in ("one", "two")]
    answers = [json.loads(process.communicate(timeout=120)[0]) for process in asking]
    assert [process.returncode for process in asking] == [0, 0]
    builders = (tmp_path / "builds.txt").read_text(encoding="utf-8").split()
    assert len(builders) == 1
    folder = str(tmp_path / "thing")
    expected = [folder, {"by": builders[0]}, f"made by {builders[0]}"]
    assert answers == [expected, expected]
