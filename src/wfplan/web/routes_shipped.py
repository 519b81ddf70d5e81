"""``/api/v1/scenarios/shipped``: the scenarios shipped with wfplan, as text, for anyone.

The shipped scenarios (``baseline``, ``ltwp`` and the baseline's demand and funding
variants, :func:`wfplan.runs.project.shipped_scenarios`) are files of the open-source
package, so the public may read them too; keeping and running a scenario still needs
a runner's token (:mod:`wfplan.web.routes_jobs`). The dashboard's scenario builder
starts from them. This router is included before ``routes_jobs``'s, whose
``/scenarios/{scenario_id}`` would otherwise take the path ``shipped``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from wfplan.model import load_scenario_text
from wfplan.runs.project import shipped_scenarios
from wfplan.web import models
from wfplan.web.deps import not_found
from wfplan.web.routes_jobs import summary_of

router = APIRouter(prefix="/api/v1")
ShippedName = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$",
                                  description="A shipped scenario's name (baseline, ltwp, ...)")]


def _shipped(name: str, text: str) -> models.ShippedScenario:
    scenario = load_scenario_text(text)
    return models.ShippedScenario(file=name, title=scenario.title or scenario.name,
                                  description=scenario.description.strip(),
                                  interventions=len(scenario.interventions),
                                  summary=summary_of(scenario), toml=text)


@router.get("/scenarios/shipped", response_model=list[models.ShippedScenario],
            tags=["scenarios"])
def shipped() -> list[models.ShippedScenario]:
    """List the scenarios shipped with wfplan, each with its text (anyone may read them)."""
    return [_shipped(name, path.read_text(encoding="utf-8"))
            for name, path in shipped_scenarios().items()]


@router.get("/scenarios/shipped/{name}", response_model=models.ShippedScenario,
            tags=["scenarios"])
def shipped_one(name: ShippedName) -> models.ShippedScenario:
    """Return one shipped scenario with its text (404 for a name not shipped)."""
    path = shipped_scenarios().get(name)
    if path is None:
        raise not_found(f"shipped scenario {name!r}")
    return _shipped(name, path.read_text(encoding="utf-8"))
