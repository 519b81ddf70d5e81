"""An assessment's horizon is at least the headline's first horizon (5 years).

With a horizon of 3 years the report had no headline year to show, and ``wfplan
assess`` stopped with an IndexError reported as a bug in wfplan.
"""

from __future__ import annotations

from pathlib import Path

import handmade_vintage as hv
from wfplan.dataset.store import DuckDBStore


def _config(folder: Path, horizon: int) -> Path:
    path = folder / f"assessment-{horizon}.toml"
    path.write_text(f'title = "t"\nperiod = "2026"\nvintage = "{hv.VINTAGE}"\n'
                    f'scenarios = ["{hv.steady_scenario(folder)}"]\nhorizon = {horizon}\n'
                    'draws = 5\nseed = 1\nlevel = "region"\n', encoding="utf-8")
    return path


def test_a_horizon_under_five_years_is_refused_naming_the_file_and_the_rule(kit, tmp_path):
    db = tmp_path / "hand.duckdb"
    with DuckDBStore(db) as store:
        hv.build(store, tmp_path)
    config = _config(tmp_path, 3)
    result = kit.cli("assess", config, "--db", db, "--out", tmp_path / "bundle")
    text = kit.plain(result.output)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "bug in wfplan" not in text
    assert f"{config.name}: invalid assessment configuration" in text
    assert "horizon: Input should be greater than or equal to 5" in text
    assert not (tmp_path / "bundle").exists()
