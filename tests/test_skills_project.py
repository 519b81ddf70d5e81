"""`wfplan project` by role on hand-made vintages: both gaps of two nursing fields, not
their net, at ICB and England level; roles apportioned by a stated rule (docs/skills.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import handmade_fields as hf
from wfplan.dataset.store import DuckDBStore
from wfplan.runs.project import project

if TYPE_CHECKING:
    from conftest import Kit

ENGLAND = "E92000001"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fields")
    path = folder / "f.duckdb"
    with DuckDBStore(path) as store:
        hf.build(store, folder / "roles")
        hf.build(store, folder / "plain", vintage="plain", with_roles=False)
    return path


def _last(table: pd.DataFrame, variable: str) -> pd.Series:
    rows = table[(table["variable"] == variable) & (table["statistic"] == "principal")
                 & (table["year"] == table["year"].max())]
    return rows.set_index(["area", "staff_group"])["value"]


def test_a_short_field_and_a_field_in_surplus_show_both_gaps_not_their_net(
    db: Path, tmp_path: Path
) -> None:
    with DuckDBStore(db, read_only=True) as store:
        (run,) = project(store, [hf.scenario(tmp_path)])
    table = run.table
    gap, short = _last(table, "gap_fte"), _last(table, "shortfall_fte")
    surplus = _last(table, "surplus_fte")
    for area in ("QMJ", "QJK", ENGLAND):
        # adult nurses grew and are in surplus; mental health nurses shrank and are short
        assert gap[(area, hf.ADULT)] < 0 < gap[(area, hf.MH)]
        assert short[(area, hf.MH)] == pytest.approx(gap[(area, hf.MH)], rel=1e-12)
        assert surplus[(area, hf.ADULT)] == pytest.approx(-gap[(area, hf.ADULT)], rel=1e-12)
        assert short[(area, hf.ADULT)] == 0
        assert surplus[(area, hf.MH)] == 0
        # the staff group shows both, and its net gap is the sum of the fields' gaps
        assert short[(area, hf.N)] == pytest.approx(short[(area, hf.MH)], rel=1e-12)
        assert surplus[(area, hf.N)] == pytest.approx(surplus[(area, hf.ADULT)], rel=1e-12)
        net = gap[(area, hf.N)]
        assert net == pytest.approx(gap[(area, hf.ADULT)] + gap[(area, hf.MH)], rel=1e-9)
        assert abs(net) < short[(area, hf.N)]
        assert abs(net) < surplus[(area, hf.N)]
    # England is the sum of the ICBs, field by field
    for code in (hf.ADULT, hf.MH, hf.N):
        assert gap[(ENGLAND, code)] == pytest.approx(gap[("QMJ", code)] + gap[("QJK", code)])
    rules = [a for a in run.metadata["assumptions"] if a["name"] == f"roles of {hf.N}"]
    assert rules
    assert rules[0]["tier"] == "data"
    assert "from the data" in rules[0]["reason"]
    assert any(a["name"] == "roles: census trend" for a in run.metadata["assumptions"])


def test_wfplan_project_prints_the_skills_gaps_by_role(kit: Kit, db: Path,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "fields.csv"
    result = kit.cli("project", hf.scenario(tmp_path), "--db", db, "--out", out)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "England: skills gaps by role" in text
    assert "Mental health nurse" in text
    assert "Adult nurse" in text
    written = pd.read_csv(out)
    assert {"shortfall_fte", "surplus_fte", "substituted_fte"} <= set(written["variable"])
    assert {"QMJ", "QJK", ENGLAND} <= set(written[written["variable"] == "shortfall_fte"]
                                          ["area"])


def test_substitutions_allowed_as_data_cover_a_shortfall_from_a_surplus(
    db: Path, tmp_path: Path
) -> None:
    allow = ('[[substitutions]]\nfrom_role = "nurse_mental_health"\nto_role = "nurse_adult"\n'
             'ratio = 1.0\nsource = "test: a hypothetical rule"\n')
    with DuckDBStore(db, read_only=True) as store:
        (run,) = project(store, [hf.scenario(tmp_path, extra=allow)])
    short, surplus = _last(run.table, "shortfall_fte"), _last(run.table, "surplus_fte")
    covered = _last(run.table, "substituted_fte")
    left = _last(run.table, "shortfall_after_substitution_fte")
    for area in ("QMJ", "QJK"):
        expected = min(short[(area, hf.MH)], surplus[(area, hf.ADULT)])
        assert covered[(area, hf.MH)] == pytest.approx(expected, rel=1e-12)
        assert left[(area, hf.MH)] == pytest.approx(short[(area, hf.MH)] - expected, abs=1e-9)


def test_nurses_without_roles_are_apportioned_by_the_role_shares_table(
    db: Path, tmp_path: Path
) -> None:
    with DuckDBStore(db, read_only=True) as store:
        (run,) = project(store, [hf.scenario(tmp_path, vintage="plain")])
    stock = run.inputs.array("stock_hc").sum(axis=(0, 2))
    codes = run.inputs.coords.staff_group
    assert codes == ("nurse_adult", "nurse_mental_health", "nurse_learning_disability",
                     "nurse_children")
    assert stock[0] / stock.sum() == pytest.approx(0.77, rel=1e-12)
    (rule,) = [a for a in run.metadata["assumptions"] if a["name"] == f"roles of {hf.N}"]
    assert rule["tier"] == "evidence"
    assert "wfplan assumptions" in rule["reason"]
    assert "role_shares.csv" in rule["source"]
    assert "Prime Minister" in rule["source"]


def test_a_group_that_cannot_be_split_is_refused_with_the_reason(
    kit: Kit, db: Path, tmp_path: Path
) -> None:
    path = hf.scenario(tmp_path, extra="")
    path.write_text(path.read_text().replace('roles = ["nurses_health_visitors"]',
                                             'roles = ["managers"]'), encoding="utf-8")
    result = kit.cli("project", path, "--db", db)
    assert result.exit_code == 2
    assert "'managers' is not projected" in " ".join(result.output.split())


def test_roles_all_splits_what_it_can_and_says_which_groups_stay_whole(
    db: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    written = hf.files(folder)
    staff = pd.read_csv(written[1])
    # doctors have roles in the code list (grades) but the vintage gives none, and there
    # are no shares for them: they stay a staff group
    doctors = staff[staff["role"] == hf.ADULT].assign(staff_group="hchs_doctors", role=None)
    pd.concat([staff, doctors]).to_csv(written[1], index=False)
    path = tmp_path / "m.duckdb"
    with DuckDBStore(path) as store:
        from wfplan.dataset.ingest import ingest

        ingest(store, written, "mixed")
    scenario = hf.scenario(tmp_path, vintage="mixed")
    scenario.write_text(scenario.read_text().replace('["nurses_health_visitors"]', '"all"'),
                        encoding="utf-8")
    with DuckDBStore(path, read_only=True) as store:
        (run,) = project(store, [scenario])
    assert run.inputs.coords.staff_group == ("hchs_doctors", hf.ADULT, hf.MH)
    (kept,) = [a for a in run.metadata["assumptions"] if a["name"] == "roles: groups kept whole"]
    assert kept["value"] == ["hchs_doctors"]


def _skills_cells(text: str) -> dict[str, list[str]]:
    """The skills table's rows: each label (joined over its lines) and its columns' text."""
    body = text[text.index("skills gaps by role"):]
    body = body[body.index("┡"):body.index("└")]
    rows: list[tuple[list[str], list[list[str]]]] = []
    for line in body.splitlines()[1:]:
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if cells[0] and (not rows or cells[0][0].isupper()):
            rows.append(([], [[] for _ in cells[1:]]))
        rows[-1][0].append(cells[0])
        for column, cell in zip(rows[-1][1], cells[1:], strict=True):
            column.append(cell)
    return {" ".join(x for x in label if x): [" ".join(x for x in c if x) for c in columns]
            for label, columns in rows}


@pytest.mark.parametrize("width", [80, 120])
def test_the_printed_skills_gaps_are_the_skills_headline_whole_at_any_width(
    db: Path, tmp_path: Path, width: int
) -> None:
    from typer.testing import CliRunner

    from wfplan.cli import app
    from wfplan.cli.projection import _figure
    from wfplan.report.format import staff_group_name
    from wfplan.runs.project import HORIZONS
    from wfplan.runs.skills import skills_headline

    path = hf.scenario(tmp_path)
    path.write_text(path.read_text().replace("horizon = 5", "horizon = 15"), encoding="utf-8")
    out = tmp_path / "fields.csv"
    result = CliRunner().invoke(app, ["project", str(path), "--db", str(db), "--out",
                                      str(out)], env={"COLUMNS": str(width)})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.stdout.splitlines()) <= width
    assert "…" not in result.stdout
    shown = _skills_cells(result.stdout)
    heads = skills_headline(pd.read_csv(out), HORIZONS, (ENGLAND,))
    assert list(heads["horizon"].unique()) == [5, 10, 15]
    assert set(shown) == {staff_group_name(c) for c in (hf.ADULT, hf.MH, hf.N)}
    for code, rows in heads.groupby("staff_group"):
        value = {(r["variable"], r["horizon"]): r["p50"] for r in rows.to_dict("records")}
        expected = [f"short {_figure(value[('shortfall_fte', h)])} "
                    f"surplus {_figure(value[('surplus_fte', h)])} after substitution "
                    f"{_figure(value[('shortfall_after_substitution_fte', h)])}"
                    for h in (5, 10, 15)]
        assert shown[staff_group_name(str(code))] == expected
    # the CSV keeps the codes, and its figures are the run's own
    with DuckDBStore(db, read_only=True) as store:
        (run,) = project(store, [path])
    direct = skills_headline(run.table, HORIZONS, (ENGLAND,))
    pd.testing.assert_frame_equal(heads, direct, check_dtype=False, check_exact=False,
                                  rtol=1e-12)
    assert _figure(direct[(direct["staff_group"] == hf.MH) & (direct["horizon"] == 15)
                          & (direct["variable"] == "shortfall_fte")]["p50"].item()) in (
        shown[staff_group_name(hf.MH)][2])
