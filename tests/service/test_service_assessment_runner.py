"""The assessment job's runner without a server: progress, a retried job, half-written bundles."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast

import pytest

from wfplan.assessment.bundle import partial_folder
from wfplan.assessment.config import ConfigError, load_config, parse_config
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import jobs
from wfplan.web.assessment_job import _progress, assessment_to, bundle_name
from wfplan.web.routes_assess import _bundles

if TYPE_CHECKING:
    from pathlib import Path

#: The steps ``assess`` reports for an assessment of two scenarios, in order.
STEPS = [
    "extracting the inputs from vintage 'demo'",
    "building model inputs for baseline",
    "projecting baseline",
    "projecting ltwp",
    "computing the current position and the data gaps",
    "computing the sensitivity of each scenario's headline gap",
    "writing the report (HTML, PDF) and tables.xlsx",
]


def test_progress_rises_through_the_stages_of_assess() -> None:
    seen: list[tuple[float, str]] = []
    step = _progress(lambda fraction, text: seen.append((fraction, text)), scenarios=2)
    for text in STEPS:
        step(text)
    fractions = [fraction for fraction, _ in seen]
    assert fractions == sorted(set(fractions)), seen
    assert fractions[0] > 0.0
    assert fractions[-1] < 1.0
    assert [text for _, text in seen] == STEPS


def test_a_retried_job_keeps_the_complete_bundle_its_first_attempt_renamed(tmp_path: Path) -> None:
    results = tmp_path / "results"
    folder = results / "0123abcd"
    folder.mkdir(parents=True)
    out = results / "assessments" / bundle_name("0123abcd")
    out.mkdir(parents=True)
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    config = json.dumps({"toml": 'title = "t"\n', "scenarios": {}, "public": False})
    claimed = jobs.Claimed("0123abcd", "assess", config, None, None, attempts=2)
    notes: list[str] = []
    # the store is not read: the bundle is there, so nothing is run again
    found = assessment_to(cast(Store, None), claimed, folder, lambda _f, text: notes.append(text))
    assert found == out / "manifest.json"
    assert notes == ["keeping the bundle the attempt before wrote"]


def test_a_half_written_bundle_is_never_listed(tmp_path: Path) -> None:
    folder = tmp_path / "assessments"
    folder.mkdir()
    with partial_folder(folder / bundle_name("feed")) as work:
        (work / "manifest.json").write_text("{}", encoding="utf-8")
        (work / "report.html").write_text("<h1>half</h1>", encoding="utf-8")
        assert _bundles(folder) == {}
    assert _bundles(folder) == {}


def test_a_broken_definition_gets_the_cli_s_message_from_its_text(tmp_path: Path) -> None:
    text = (
        'title = "t"\nperiod = "2026"\nvintage = "demo"\nscenarios = ["baseline"]\n'
        "horizon = 99\nseed = 1\n"
    )
    (tmp_path / "a.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as from_file:
        load_config(tmp_path / "a.toml")
    with pytest.raises(ConfigError) as from_text:
        parse_config(text, str(tmp_path / "a.toml"))
    assert str(from_text.value) == str(from_file.value)
    assert "a.toml: invalid assessment configuration:\n  horizon: " in str(from_file.value)
    assert from_text.value.problems == [("horizon", "Input should be less than or equal to 25")]
