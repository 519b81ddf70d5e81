"""`wfplan metrics --by role`: the current position by role within staff group, on the
hand-made vintage of two nursing fields (tests/handmade_fields.py), figures worked by hand."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from typer.testing import CliRunner

import handmade_fields as hf
from wfplan.analysis.metrics_query import Query
from wfplan.analysis.metrics_roles import position_by_role
from wfplan.cli import app
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import DuckDBStore

if TYPE_CHECKING:
    from conftest import Kit

ENGLAND = "E92000001"
# at the base census (handmade_fields: +10% adult, -10% mental health, rounded), plus the
# rows added below: 5 nurses at RAA with no role, aged 55-59; 3 managers (no roles at all)
HEADS = {("QMJ", hf.ADULT): 55 + 33, ("QMJ", hf.MH): 36 + 18, ("QMJ", None): 5,
         ("QJK", hf.ADULT): 22, ("QJK", hf.MH): 27}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("metrics_roles")
    written = hf.files(folder)
    staff = pd.read_csv(written[1])
    extra = pd.DataFrame([(hf.BASE, "RAA", hf.N, None, "55_59", 5, 4.0),
                          (hf.BASE, "RDD", "managers", None, "40_44", 3, 3.0)],
                         columns=staff.columns)
    pd.concat([staff, extra]).to_csv(written[1], index=False)
    path = folder / "m.duckdb"
    with DuckDBStore(path) as store:
        ingest(store, written, hf.VINTAGE)
        hf.build(store, folder / "plain", vintage="plain", with_roles=False)
    return path


def _by_key(frame: pd.DataFrame, column: str) -> dict[tuple[str, str | None], float]:
    return {(r["area_code"], None if pd.isna(r["role"]) else r["role"]): r[column]
            for r in frame.to_dict("records")}


def test_the_position_by_role_is_each_fields_own_and_sums_to_its_group(db: Path) -> None:
    with DuckDBStore(db, read_only=True) as store:
        icb = position_by_role(store, Query(hf.VINTAGE, "icb"))
        england = position_by_role(store, Query(hf.VINTAGE, "england"))
    assert set(icb["staff_group"]) == {hf.N}  # managers give no role: not in the table
    assert _by_key(icb, "headcount") == HEADS
    assert _by_key(icb, "fte") == pytest.approx({k: 0.9 * v if k[1] else 4.0
                                                 for k, v in HEADS.items()})
    share = _by_key(icb, "share_of_group_headcount")
    assert share[("QMJ", hf.MH)] == pytest.approx(54 / (88 + 54 + 5), rel=1e-12)
    assert share[("QJK", hf.ADULT)] == pytest.approx(22 / 49, rel=1e-12)
    aged = _by_key(icb, "share_aged_55_plus")
    assert aged[("QMJ", None)] == 1
    assert aged[("QMJ", hf.ADULT)] == 0
    assert _by_key(england, "headcount") == {(ENGLAND, hf.ADULT): 110, (ENGLAND, hf.MH): 81,
                                             (ENGLAND, None): 5}
    assert list(england["role"].iloc[:2]) == [hf.ADULT, hf.MH]  # no role given: last
    # the roles of the group in each area sum to the group's current position
    with DuckDBStore(db, read_only=True) as store:
        from wfplan.analysis.metrics import current_position

        group = current_position(store, Query(hf.VINTAGE, "icb", staff_group=hf.N))
    total = group.set_index("area_code")["headcount"]
    for area, rows in icb.groupby("area_code"):
        assert rows["headcount"].sum() == total[area]


def test_wfplan_metrics_by_role_shows_names_in_the_table_and_codes_in_csv_and_json(
    kit: Kit, db: Path
) -> None:
    args = ("metrics", "--db", db, "--vintage", hf.VINTAGE, "--level", "icb", "--by", "role")
    table = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "80"})
    assert table.exit_code == 0, table.output
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    assert "…" not in table.stdout
    text = kit.plain(table.stdout)
    assert "Nurses & health visitors by role, vintage" in text
    for name in ("Adult nurse", "Mental health nurse", "Nurses & health visitors",
                 "(no role given)"):
        assert name in text
    assert "nurse_adult" not in text
    numbers = re.findall(r"\d[\d,]*(?:\.\d+)?", table.stdout)
    for value in ("88", "54", "79.2", "48.6", "36.7"):  # 36.7: 54 of 147 in QMJ
        assert value in numbers, value
    csv_out = kit.cli(*args, "--format", "csv")
    assert csv_out.exit_code == 0, csv_out.output
    written = pd.read_csv(io.StringIO(csv_out.stdout))
    assert _by_key(written, "headcount") == HEADS
    assert set(written["staff_group"]) == {hf.N}
    payload = json.loads(kit.cli(*args, "--format", "json").stdout)
    rows = payload["current_position_by_role"]
    assert {(r["area_code"], r["role"]): r["headcount"] for r in rows} == HEADS
    assert "current_position" in payload


def test_without_by_role_the_output_is_the_current_position_alone(kit: Kit, db: Path) -> None:
    args = ("metrics", "--db", db, "--vintage", hf.VINTAGE, "--level", "icb")
    payload = json.loads(kit.cli(*args, "--format", "json").stdout)
    assert "current_position_by_role" not in payload
    assert "by role" not in kit.cli(*args).stdout
    assert "role" not in kit.cli(*args, "--format", "csv").stdout.splitlines()[0]


def test_by_role_is_refused_without_roles_in_the_data_or_with_public(kit: Kit, db: Path) -> None:
    plain = kit.cli("metrics", "--db", db, "--vintage", "plain", "--by", "role")
    assert plain.exit_code == 2
    assert "Traceback" not in plain.output
    message = kit.plain(plain.stderr)
    assert "vintage 'plain' gives no role in staff_in_post at 2024-03-31" in message
    assert "wfplan template staff_in_post" in message
    managers = kit.cli("metrics", "--db", db, "--vintage", hf.VINTAGE, "--by", "role",
                       "--staff-group", "managers", "--sector", "nhs_trust")
    assert managers.exit_code == 2
    assert "for staff group 'managers' in sector 'nhs_trust'" in kit.plain(managers.stderr)
    public = kit.cli("metrics", "--db", db, "--vintage", hf.VINTAGE, "--by", "role", "--public")
    assert public.exit_code == 2
    assert "--by role cannot be used with --public" in kit.plain(public.stderr)
