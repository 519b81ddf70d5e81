"""The documentation generated from data stays in step with that data."""

from pathlib import Path

from wfplan.dataset.template import dataset_docs

ROOT = Path(__file__).resolve().parents[1]


def test_dataset_docs_match_tables_csv() -> None:
    written = (ROOT / "docs" / "dataset.md").read_text(encoding="utf-8")
    assert written == dataset_docs(), (
        "docs/dataset.md is stale: run python -m wfplan.dataset.template > docs/dataset.md"
    )


def test_readme_gives_the_two_setup_commands_and_ci_runs_the_second() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = "python -m pip install -e . && wfplan demo"
    second = "python -m pip install -e '.[test]' && python -m pytest"
    assert first in readme
    assert second in readme
    assert second in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
