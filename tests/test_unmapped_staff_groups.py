"""A staff-group code that matched no code list is kept in the dataset, never modelled.

Before, an unknown staff-group code in a fact file became a projected staff
group of its own (the published report counted "24 staff groups"). Now its rows
stay in the vintage and the unmapped values, are left out of the model's
staff-group coordinate, and each such code is an assumption (name, FTE left
out, reason) in the results' metadata and the report's methods.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import handmade_vintage as hv
from wfplan.assessment.bundle import assess
from wfplan.dataset import codelists
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore
from wfplan.errors import InputError
from wfplan.inputs.build import build_inputs
from wfplan.model.assumptions import Assumption

if TYPE_CHECKING:
    from conftest import Kit

ROBOTS = "robot_staff"
#: Staff in post under a code the code list does not have, at every census, with flows.
EXTRA = pd.DataFrame({"period": [hv.BASE, hv.START, hv.BASE, hv.LATER],
                      "org_code": ["RAA", "RAA", "RBB", "RAA"], "staff_group": [ROBOTS] * 4,
                      "headcount": [50, 48, 10, 51], "fte": [45.0, 44.0, 7.5, 46.0]})
#: What the latest census (the default base period) leaves out.
LATEST = f"51 headcount and 46.0 FTE of staff in post at {hv.LATER}"
FLOWS = pd.DataFrame({"period_start": [hv.START], "period_end": [hv.BASE], "org_code": ["RAA"],
                      "staff_group": [ROBOTS], "direction": ["leaver"], "headcount": [9]})
KNOWN = (hv.D, hv.M, hv.N)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made vintage with staff in post and flows under an unknown staff group."""
    folder = tmp_path_factory.mktemp("unmapped_groups")
    path = folder / "w.duckdb"
    EXTRA.to_csv(folder / "robots.csv", index=False)
    FLOWS.to_csv(folder / "robot_flows.csv", index=False)
    with DuckDBStore(path) as store:
        hv.build(store, folder)
        ingest(store, [folder / "robots.csv", folder / "robot_flows.csv"], hv.VINTAGE)
    return path


def _left_out(assumptions: list[Assumption]) -> list[Assumption]:
    return [a for a in assumptions if "left out" in a.name]


def test_the_rows_stay_in_the_dataset_and_the_unmapped_values(db: Path) -> None:
    with DuckDBStore(db, read_only=True) as store:
        rows = store.scalar("SELECT count(*) FROM staff_in_post WHERE staff_group = ?", [ROBOTS])
        unmapped = store.query("SELECT table_name, rows FROM unmapped WHERE value = ? "
                               "ORDER BY table_name", [ROBOTS])
    assert rows == 4
    assert unmapped.to_dict("list") == {"table_name": ["flows", "staff_in_post"],
                                        "rows": [1, 4]}


def test_an_unknown_staff_group_is_not_a_model_dimension(db: Path) -> None:
    with DuckDBStore(db, read_only=True) as store:
        inputs = build_inputs(store, hv.VINTAGE, hv.BASE, level="region", demography=False)
    assert tuple(inputs.coords.staff_group) == KNOWN
    assert [(a.name, a.value) for a in _left_out(list(inputs.assumptions))] == [
        (f"staff group '{ROBOTS}' left out", 52.5)]
    reason = _left_out(list(inputs.assumptions))[0].reason
    assert f"60 headcount and 52.5 FTE of staff in post at {hv.BASE}" in reason
    assert "not in the staff-group code list" in reason


def test_the_known_groups_are_modelled_as_without_the_unknown_rows(db: Path,
                                                                   tmp_path: Path) -> None:
    plain = tmp_path / "plain.duckdb"
    with DuckDBStore(plain) as store:
        hv.build(store, tmp_path)
        expected = build_inputs(store, hv.VINTAGE, hv.BASE, level="region", demography=False)
    with DuckDBStore(db, read_only=True) as store:
        found = build_inputs(store, hv.VINTAGE, hv.BASE, level="region", demography=False)
    for name in ("stock_hc", "fte_per_head", "leaver_rate", "other_joiners"):
        assert (found.array(name) == expected.array(name)).all(), name


def test_asking_for_an_unknown_staff_group_by_name_is_refused(db: Path) -> None:
    with DuckDBStore(db, read_only=True) as store, pytest.raises(
            InputError, match=f"staff group '{ROBOTS}' is not in the staff-group code list"):
        build_inputs(store, hv.VINTAGE, hv.BASE, staff_groups=[ROBOTS], demography=False)


def test_a_vintage_with_only_unknown_staff_groups_is_refused_saying_why(tmp_path: Path) -> None:
    orgs = tmp_path / "orgs.csv"
    pd.DataFrame([hv.ORGS[0]], columns=["org_code", "name", "org_type", "sector", "icb_code",
                                        "region_code"]).to_csv(orgs, index=False)
    EXTRA.to_csv(tmp_path / "robots.csv", index=False)
    with DuckDBStore(tmp_path / "only.duckdb") as store:
        ingest(store, [orgs, tmp_path / "robots.csv"], "only")
        with pytest.raises(InputError, match="only under staff-group codes that are not in the "
                                             f"code list \\('{ROBOTS}'\\)"):
            build_inputs(store, "only", hv.BASE, demography=False)


def test_wfplan_project_projects_only_the_code_lists_staff_groups(kit: Kit, db: Path,
                                                                  tmp_path: Path) -> None:
    scenario = tmp_path / "steady.toml"
    scenario.write_text(f'name = "steady"\nbase_vintage = "{hv.VINTAGE}"\nhorizon = 5\n'
                        'level = "region"\ndraws = 5\nseed = 3\n', encoding="utf-8")
    out = tmp_path / "r.parquet"
    result = kit.cli("project", scenario, "--db", db, "--out", out)
    assert result.exit_code == 0, result.output
    groups = set(pd.read_parquet(out)["staff_group"])
    assert ROBOTS not in groups
    assert groups - set(KNOWN) <= {"all_staff_groups", *(f"all_{s}" for s in
                                                          codelists.get("sector").codes)}


def test_an_assessment_report_lists_what_was_left_out_and_never_projects_it(
        db: Path, tmp_path: Path) -> None:
    scenario = tmp_path / "steady.toml"
    scenario.write_text('name = "steady"\ndescription = "No change."\nhorizon = 5\n'
                        'level = "region"\nstaff_groups = "all"\ndraws = 5\nseed = 1\n',
                        encoding="utf-8")
    config = tmp_path / "hand.toml"
    config.write_text(f'title = "Unknown staff groups"\nperiod = "2026"\n'
                      f'vintage = "{hv.VINTAGE}"\nscenarios = ["{scenario}"]\nhorizon = 5\n'
                      'draws = 5\nseed = 7\nlevel = "region"\n', encoding="utf-8")
    bundle = tmp_path / "bundle"
    with DuckDBStore(db, read_only=True) as store:
        assess(store, config, bundle)
    results = pd.read_parquet(bundle / "results.parquet")
    assert ROBOTS not in set(results["staff_group"])
    text = (bundle / "report.html").read_text(encoding="utf-8")
    report = html.unescape(text.replace("<wbr>", ""))
    assert f"staff group '{ROBOTS}' left out" in report
    assert LATEST in report
