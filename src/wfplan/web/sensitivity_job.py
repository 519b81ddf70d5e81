"""A sensitivity job: run as ``wfplan sensitivity`` does, kept as JSON, served in scope.

The job's config is JSON: the scenario's TOML and the options of
``wfplan sensitivity`` (``year``, ``areas``, ``spread``; ``draws`` is the job's).
The worker (:mod:`wfplan.web.worker`) writes ``RESULTS/JOB_ID/sensitivity.json``
(the tornado and the variance shares, floats at full precision) and keeps its
SHA-256 with the job; the results endpoint reads it only if the digest matches.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import jobs
from wfplan.web.frames import records

if TYPE_CHECKING:
    from collections.abc import Callable

#: The result file of a sensitivity job, inside the job's folder.
SENSITIVITY_FILE = "sensitivity.json"


def config(toml: str, *, year: int | None, areas: list[str], spread: float | None) -> str:
    """Return a sensitivity job's config: the scenario's text and the options."""
    return json.dumps({"toml": toml, "year": year, "areas": areas, "spread": spread})


def sensitivity_to(store: Store, claimed: jobs.Claimed, folder: Path,
                   note: Callable[[float, str], None]) -> Path:
    """Run the job as ``wfplan sensitivity`` does; return its JSON file."""
    from wfplan.runs.sensitivity import sensitivity

    wanted = json.loads(claimed.config)
    source = folder / "scenario.toml"
    source.write_text(str(wanted["toml"]), encoding="utf-8")
    steps = [0]

    def progress(text: str) -> None:
        steps[0] += 1  # the tornado's runs are not counted ahead: approach 0.95
        note(0.95 - 0.9 / (1 + steps[0]), text)

    note(0.05, "reading the scenario")
    result = sensitivity(store, source, year=wanted.get("year"),
                         areas=tuple(wanted.get("areas") or ()), draws=claimed.draws,
                         spread=wanted.get("spread"), progress=progress)
    note(0.95, "writing the results")
    payload = {"scenario": result.scenario.name, "vintage": result.vintage,
               "base_period": result.base_period, "year": result.year,
               "tornado": records(result.tornado),
               "variance_shares": records(result.variance)}
    path = folder / SENSITIVITY_FILE
    path.write_text(json.dumps(payload, allow_nan=False), encoding="utf-8")
    return path


def in_scope(payload: dict[str, Any], allows: Callable[[str], bool],
             area: str | None) -> dict[str, Any]:
    """Return the payload with only the rows whose area ``allows`` (and is ``area``)."""
    def keep(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in rows if allows(str(r["area"])) and area in (None, r["area"])]

    return {**payload, "tornado": keep(payload["tornado"]),
            "variance_shares": keep(payload["variance_shares"])}
