"""``wfplan compare``: explain the change in the headline gap between two assessments.

The change in each scenario's England gap (principal run, by staff group, 5, 10
and 15 years after each base year) is split into the part due to new data and
the part due to changed assumptions by cross-running the scenarios on the other
assessment's data. With G(d, a) the gap on data d under assumptions a, old (o)
and new (n), the split is the symmetric (Shapley) one::

    data        = ½ [G(n, o) − G(o, o)] + ½ [G(n, n) − G(o, n)]
    assumptions = ½ [G(o, n) − G(o, o)] + ½ [G(n, n) − G(n, o)]

so that data + assumptions = G(n, n) − G(o, o), the total change, exactly up to
rounding. "Assumptions" are the scenario files and the configuration's horizon,
level and seed; "data" is the vintage and base period with its input extracts.
Only the principal run (every parameter at its central value) is decomposed:
it is deterministic, so the split is not blurred by sampling.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from wfplan.assessment.compute import Step, run_scenarios
from wfplan.assessment.config import AssessmentConfig, load_config
from wfplan.assessment.extract import load_extracts
from wfplan.assessment.manifest import CONFIG_FILE
from wfplan.dataset import codelists
from wfplan.dataset.store import DuckDBStore
from wfplan.errors import InputError
from wfplan.runs.project import ScenarioFile, read_scenario

HORIZONS = (5, 10, 15)
CHANGE_COLUMNS = ("scenario", "staff_group", "horizon_years", "old_gap_fte", "new_gap_fte",
                  "change_fte", "data_effect_fte", "assumptions_effect_fte")


@dataclass
class _Side:
    bundle: Path
    config: AssessmentConfig
    files: list[ScenarioFile]
    store: DuckDBStore

    @property
    def base(self) -> date:
        assert self.config.base_period is not None
        return self.config.base_period


def _open(bundle: Path) -> _Side:
    if not (bundle / CONFIG_FILE).is_file():
        raise InputError(f"{bundle}: not an assessment bundle (no {CONFIG_FILE})")
    config = load_config(bundle / CONFIG_FILE)
    files = [read_scenario(bundle / name) for name in config.scenarios]
    return _Side(bundle, config, files, load_extracts(bundle / "inputs", config.vintage))


def _gaps(data: _Side, assumptions: _Side, names: list[str], step: Step | None) -> pd.DataFrame:
    """Principal England gap of the named scenarios of ``assumptions`` on ``data``."""
    files = [f for f in assumptions.files if f.scenario.name in names]
    runs = run_scenarios(data.store, assumptions.config, files, data.config.vintage, data.base,
                         draws=0, step=step)
    rows = []
    for run in runs:
        table = run.table
        table = table[(table["area"] == codelists.ENGLAND_CODE)
                      & (table["variable"] == "gap_fte") & (table["statistic"] == "principal")]
        horizon = table["year"] - data.base.year
        keep = table[horizon.isin(HORIZONS)]
        rows.append(keep.assign(horizon_years=keep["year"] - data.base.year)[
            ["scenario", "staff_group", "horizon_years", "value"]])
    return pd.concat(rows, ignore_index=True)


def compare_bundles(old: Path, new: Path, *, step: Step | None = None) -> pd.DataFrame:
    """Return the change in the headline gap from ``old`` to ``new``, split by cause.

    Returns
    -------
    DataFrame
        :data:`CHANGE_COLUMNS`, one row per scenario in both, staff group in both,
        and horizon; ``data_effect_fte + assumptions_effect_fte == change_fte``.
    """
    sides = [_open(old), _open(new)]
    try:
        o, n = sides
        names = [f.scenario.name for f in o.files
                 if f.scenario.name in {g.scenario.name for g in n.files}]
        if not names:
            raise InputError(f"{old} and {new} share no scenario name: nothing to compare")
        combos = {}
        for label, data, assumptions in (("oo", o, o), ("no", n, o), ("on", o, n), ("nn", n, n)):
            combos[label] = _gaps(data, assumptions, names, step).rename(columns={"value": label})
        keys = ["scenario", "staff_group", "horizon_years"]
        table = combos["oo"]
        for label in ("no", "on", "nn"):
            table = table.merge(combos[label], on=keys, how="inner")
    finally:
        for side in sides:
            side.store.close()
    data_effect = 0.5 * (table["no"] - table["oo"]) + 0.5 * (table["nn"] - table["on"])
    assumption_effect = 0.5 * (table["on"] - table["oo"]) + 0.5 * (table["nn"] - table["no"])
    out = pd.DataFrame({
        "scenario": table["scenario"], "staff_group": table["staff_group"],
        "horizon_years": table["horizon_years"].astype("int64"),
        "old_gap_fte": table["oo"], "new_gap_fte": table["nn"],
        "change_fte": table["nn"] - table["oo"],
        "data_effect_fte": data_effect, "assumptions_effect_fte": assumption_effect,
    })
    return out.sort_values(keys, kind="stable").reset_index(drop=True)
