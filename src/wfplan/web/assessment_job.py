"""An assessment job: run as ``wfplan assess --out`` does, its bundle kept by the service.

The job's config is JSON: the assessment definition's TOML (``toml``), the scenario
files sent with it by file name (``scenarios``) and ``public`` (``wfplan assess
--public``). :func:`definition` checks all of it before the job is queued, with the
messages ``wfplan assess`` gives. A definition names its scenarios by file name
only: a scenario sent with it or, failing that, one shipped with wfplan (as the CLI
finds a bare name). A path names nothing on the server, so the service never reads
a file a user names.

The worker (:mod:`wfplan.web.worker`) writes the definition and its scenarios into
``RESULTS/JOB_ID/`` and runs :func:`wfplan.assessment.bundle.assess` on them into
``RESULTS/assessments/assessment-JOB_ID``. ``assess`` writes the bundle in a hidden
folder beside it and renames it into place when it is complete, so a bundle that
is half written (its worker killed) is never listed, and the next assessment
removes it. The job keeps the SHA-256 of the bundle's ``manifest.json``. A job whose
worker died after the rename, before the job was marked done, finds the complete
bundle on its next attempt and keeps it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from wfplan.assessment.config import AssessmentConfig, ConfigError, parse_config
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import jobs
from wfplan.errors import InputError
from wfplan.inputs.build import resolve_period
from wfplan.runs.project import shipped_scenarios
from wfplan.web.deps import Invalid, not_found, parse_scenario
from wfplan.web.worker import ASSESSMENTS

if TYPE_CHECKING:
    from collections.abc import Callable

#: The file every bundle has at its top.
MANIFEST = "manifest.json"
#: The definition's file name in the job's folder (and in messages).
CONFIG_NAME = "assessment.toml"
#: A scenario file's name: a bare ``.toml`` file name (no folder).
SCENARIO_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.toml")


def bundle_name(job_id: str) -> str:
    """Return the name of the bundle a job writes (a :data:`~routes_assess.BundleName`)."""
    return f"assessment-{job_id}"


def _row(file: str, column: str | None, rule: str) -> dict[str, object]:
    return {"file": file, "row": None, "column": column, "value": None, "rule": rule}


def _config(toml: str) -> AssessmentConfig:
    try:
        return parse_config(toml, CONFIG_NAME)
    except ConfigError as error:
        raise Invalid([_row(CONFIG_NAME, field, rule) for field, rule in error.problems]) from None


def _scenarios(config: AssessmentConfig, sent: dict[str, str]) -> dict[str, str]:
    """Return the sent scenario files the definition names; raise :class:`Invalid` otherwise."""
    shipped = shipped_scenarios()
    bad = [name for name in sent if not SCENARIO_NAME.fullmatch(name) or name == CONFIG_NAME]
    rows = [
        _row(
            name,
            None,
            f"a scenario file's name is a bare .toml file name (no folder), not {CONFIG_NAME}",
        )
        for name in bad
    ]
    used: dict[str, str] = {}
    for index, name in enumerate(config.scenarios):
        if name in sent and name not in bad:
            used[name] = sent[name]
        elif (
            Path(name).parent != Path(".")
            or "\\" in name
            or name.removesuffix(".toml") not in shipped
        ):
            rows.append(
                _row(
                    CONFIG_NAME,
                    f"scenarios.{index}",
                    f"{name!r} is neither a scenario file sent with the assessment "
                    "nor a scenario shipped with wfplan (through the API a scenario "
                    "is named by its file name, never a path)",
                )
            )
    if rows:
        raise Invalid(rows)
    for name, text in used.items():
        parse_scenario(text, name)
    return used


def definition(
    store: Store, toml: str, sent: dict[str, str], *, public: bool
) -> tuple[AssessmentConfig, str]:
    """Check an assessment as ``wfplan assess`` would; return it and the job's config.

    Raises
    ------
    Invalid
        The definition or a scenario breaks a rule (422, each problem a row).
    HTTPException
        404 if the definition's vintage does not exist.
    """
    config = _config(toml)
    used = _scenarios(config, sent)
    if not store.vintage_exists(config.vintage):
        raise not_found(f"vintage {config.vintage!r}")
    try:
        resolve_period(store, config.vintage, config.base_period)
    except InputError as error:
        raise Invalid([_row(CONFIG_NAME, "base_period", str(error))]) from None
    return config, json.dumps({"toml": toml, "scenarios": used, "public": public})


def _progress(note: Callable[[float, str], None], scenarios: int) -> Callable[[str], None]:
    """Return the ``step`` of :func:`assess`: each stage's text, as a fraction of the job."""
    stages = {
        "extracting": 0.05,
        "computing the current": 0.75,
        "computing the sensitivity": 0.8,
        "writing the report": 0.85,
    }
    runs = [0]

    def step(text: str) -> None:
        if text.startswith("projecting"):
            runs[0] += 1
        share = 0.65 * (runs[0] - (0.5 if text.startswith("projecting") else 0.0))
        fraction = next(
            (v for k, v in stages.items() if text.startswith(k)), 0.1 + share / max(scenarios, 1)
        )
        note(fraction, text)

    return step


def assessment_to(
    store: Store, claimed: jobs.Claimed, folder: Path, note: Callable[[float, str], None]
) -> Path:
    """Run the job as ``wfplan assess --out`` does; return the bundle's ``manifest.json``."""
    from wfplan.assessment.bundle import assess

    wanted = json.loads(claimed.config)
    source = folder / CONFIG_NAME
    source.write_text(str(wanted["toml"]), encoding="utf-8")
    for name, text in dict(wanted["scenarios"]).items():
        if not SCENARIO_NAME.fullmatch(name):  # checked before it was queued
            raise InputError(f"scenario file name {name!r} is not a bare .toml file name")
        (folder / name).write_text(str(text), encoding="utf-8")
    out = folder.parent / ASSESSMENTS / bundle_name(claimed.job_id)
    if (out / MANIFEST).is_file():  # renamed into place, complete, by an attempt before
        note(0.95, "keeping the bundle the attempt before wrote")
        return out / MANIFEST
    note(0.02, "checking the assessment")
    scenarios = len(parse_config(source.read_text(encoding="utf-8"), str(source)).scenarios)
    assess(store, source, out, step=_progress(note, scenarios), public=bool(wanted["public"]))
    note(0.97, "keeping the bundle's manifest digest")
    return out / MANIFEST
