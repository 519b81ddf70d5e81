"""What a fresh machine needs is written down once and installed by .ci/run; the docs are true.

* README's system packages are exactly those ``.ci/run`` checks and installs;
* ``.ci/run`` makes its virtual environment without the machine's site packages;
* every dependency has an upper bound, and what is installed lies within the bounds;
* README names exactly the commands that take ``--db``, and each document once.
"""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import typer
from packaging.requirements import Requirement

from wfplan.cli import app

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_RUN = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _readme_system_packages() -> list[str]:
    command = re.search(r"apt-get install -y (.*?)\n(?:npm|```)", README, re.DOTALL)
    assert command, "README has no apt-get install line"
    return command.group(1).replace("\\", " ").split()


def _ci_system_packages() -> list[str]:
    listed = re.search(r"^packages=\((.*?)\)", CI_RUN, re.DOTALL | re.MULTILINE)
    assert listed, ".ci/run lists no packages"
    return listed.group(1).split()


def test_readme_and_ci_install_the_same_system_packages_with_everything_weasyprint_loads(
        ) -> None:
    assert _readme_system_packages() == _ci_system_packages()
    # WeasyPrint's Debian/Ubuntu list (its first_steps page) and the report's typeface
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz0b",
                    "libharfbuzz-subset0", "fonts-liberation"):
        assert package in _ci_system_packages(), package
    for package in _ci_system_packages():  # every package has its own presence check
        assert re.search(rf"^\s+{re.escape(package)}\) ", CI_RUN, re.MULTILINE), package


def test_ci_makes_its_virtual_environment_without_system_site_packages() -> None:
    assert "--system-site-packages" not in CI_RUN
    assert "python -m venv .venv" in CI_RUN


def test_every_dependency_has_an_upper_bound_that_admits_the_installed_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    for line in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
        requirement = Requirement(line)
        assert any(s.operator in ("<", "<=", "==", "~=") for s in requirement.specifier), line
        assert any(s.operator in (">=", "==", "~=") for s in requirement.specifier), line
        installed = version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (line, installed)


def _takes_db(command: Any) -> bool:
    """Whether a (click-style) command or any command of a group has a --db option."""
    if hasattr(command, "commands"):
        return any(_takes_db(sub) for sub in command.commands.values())
    return any("--db" in getattr(param, "opts", ()) for param in command.params)


def test_readme_names_exactly_the_commands_that_take_db() -> None:
    group: Any = typer.main.get_command(app)
    commands = {name: _takes_db(command) for name, command in group.commands.items()}
    sentence = re.search(r"The commands that use the database \(([^)]*)\) take `--db DB`",
                         README)
    assert sentence, "README does not say which commands take --db"
    named = re.findall(r"`([\w-]+)`", sentence.group(1))
    assert sorted(named) == sorted(name for name, db in commands.items() if db)
    after = README[sentence.end():].split("\n\n")[0]
    for name in (name for name, db in commands.items() if not db):
        assert f"`{name}`" in after, f"README does not say that {name} takes no --db"
    assert "Every command takes `--db" not in README


def test_readme_lists_each_document_once() -> None:
    section = README.split("## Documentation", 1)[1].split("\n## ", 1)[0]
    links = re.findall(r"^- \[[^\]]+\]\(([^)]+)\)", section, re.MULTILINE)
    assert len(links) > 5
    assert len(links) == len(set(links)), sorted(links)
    for link in links:
        assert (ROOT / link).exists(), link
