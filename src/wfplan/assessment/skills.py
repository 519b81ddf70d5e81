"""The skills-gap table of an assessment: shortfall and surplus by role (docs/skills.md).

An assessment projects every scenario by staff group, so that its figures
compare across scenarios. A scenario with ``roles`` is also run by role, on the
same inputs split by :func:`wfplan.inputs.roles.split_by_role` with the same
draws and seed, and its skills-gap headline
(:func:`wfplan.runs.skills.skills_headline`: England, 5, 10 and 15 years on,
within the horizon) is the table :data:`SKILLS_TABLE`. ``wfplan verify``
recomputes it with everything else, and re-renders the report's table from it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from wfplan.assessment.config import AssessmentConfig
from wfplan.dataset import codelists
from wfplan.dataset.store import Store
from wfplan.errors import InputError
from wfplan.inputs.roles import split_by_role
from wfplan.inputs.source import Selection
from wfplan.model import ModelInputError
from wfplan.runs.project import HORIZONS, Projection, ScenarioFile, project_one
from wfplan.runs.skills import HEADLINE_COLUMNS, skills_headline

#: The name of the table (``tables/skills_gap.parquet``), present when a scenario has roles.
SKILLS_TABLE = "skills_gap"


def skills_years(horizon: int) -> tuple[int, ...]:
    """Return the years after the base year shown: 5, 10, 15 within ``horizon``, and it."""
    return tuple(sorted({*(year for year in HORIZONS if year <= horizon), horizon}))


def skills_tables(store: Store, config: AssessmentConfig, files: Sequence[ScenarioFile],
                  projections: Sequence[Projection], base_period: date
                  ) -> dict[str, pd.DataFrame]:
    """Return ``{SKILLS_TABLE: frame}`` for the scenarios with ``roles``; ``{}`` if none has.

    ``projections`` are the assessment's runs of ``files`` (by staff group), whose
    inputs and settings the runs by role share.
    """
    frames = []
    for source, projection in zip(files, projections, strict=True):
        scenario = projection.scenario
        if scenario.roles is None or projection.inputs is None:
            continue
        groups = None if scenario.staff_groups == "all" else tuple(scenario.staff_groups)
        selection = Selection(store, config.vintage, config.level, base_period, config.sector,
                              groups)
        try:
            inputs = split_by_role(selection, projection.inputs, scenario.roles)
        except (InputError, ModelInputError) as error:
            raise InputError(f"{source.path}: {error}") from None
        by_role = project_one(store, ScenarioFile(source.path, scenario, source.sha256), inputs,
                              base_period.isoformat(), draws=config.draws, seed=config.seed,
                              level=config.level)
        frames.append(skills_headline(by_role.table, skills_years(config.horizon),
                                      (codelists.ENGLAND_CODE,)))
    if not frames:
        return {}
    table = pd.concat(frames, ignore_index=True)[HEADLINE_COLUMNS]
    return {SKILLS_TABLE: table.reset_index(drop=True)}
