"""The evidence library (src/wfplan/data/evidence.csv) and how model inputs resolve from it.

The library is checked row by row with the csv module, independently of the loader;
broken rows are refused naming file, row and column; a hand-made vintage shows the
order data -> evidence library -> parameter-table default; figures computed from
../shared/data are recomputed from the files; and every parameter a shipped scenario
uses at a value that is not the data's has a row in the library.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pytest

import handmade_vintage as hv
from shared_data import real
from wfplan.dataset import codelists
from wfplan.dataset.store import DuckDBStore
from wfplan.errors import InputError
from wfplan.inputs.build import build_inputs
from wfplan.inputs.evidence import COLUMNS, RESOLVABLE, load_library
from wfplan.inputs.resolve import resolve, resolve_leaver_rate
from wfplan.model import parameter_table
from wfplan.model.engine import default_assumptions, run
from wfplan.model.scenario import load_scenario_text
from wfplan.report.methods import methods_from_metadata

if TYPE_CHECKING:
    from conftest import DemoBuild

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "src" / "wfplan" / "data" / "evidence.csv"
SCENARIOS = sorted({*ROOT.glob("scenarios/*.toml"), *ROOT.glob("src/wfplan/data/scenarios/*.toml"),
                    ROOT / "src/wfplan/data/demo_baseline.toml",
                    ROOT / "src/wfplan/data/demo_ltwp.toml"})
UNITS = {"fraction", "fraction per year", "fraction per month", "years", "FTE per head", "ratio",
         "fraction per year per percent of pay", "rule"} | {spec.unit for spec in parameter_table()}


def _rows() -> list[dict[str, str]]:
    with LIBRARY.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_library_loads_with_its_version_and_every_row_validates() -> None:
    library = load_library()
    meta = tomllib.loads((LIBRARY.parent / "evidence.toml").read_text(encoding="utf-8"))
    assert library.version == meta["version"]
    rows = _rows()
    assert len(library.rows) == len(rows) > 50
    groups = set(codelists.get("staff_group").codes) | {"all"}
    sectors = set(codelists.get("sector").codes) | {"all"}
    for row in rows:
        where = row["id"]
        assert tuple(row) == COLUMNS
        assert row["staff_group"] in groups, where
        assert row["sector"] in sectors, where
        assert row["unit"] in UNITS, where
        assert row["status"] in ("published", "computed", "wfplan_assumption"), where
        if row["value"]:
            value = float(row["value"])
            low = float(row["low"]) if row["low"] else value
            high = float(row["high"]) if row["high"] else value
            assert low <= value <= high, where
        if row["status"] == "wfplan_assumption":
            assert row["reasoning"].strip(), where
        else:  # published or computed: a publication and where in it
            assert row["publication"].strip(), where
            assert row["table_or_page"].strip(), where
        if row["status"] == "computed":
            assert row["reasoning"].strip(), where


def test_the_library_covers_what_issue_11_asks_for() -> None:
    library = load_library()
    published = {(r.parameter, r.staff_group) for r in library.rows
                 if r.status != "wfplan_assumption"}
    leaver_groups = {group for name, group in published if name == "leaver_rate"}
    assert {"nurses_health_visitors", "hchs_doctors", "support_doctors_nurses_midwives",
            "all"} <= leaver_groups
    for name in ("joiner_share_international", "fte_per_head", "training_duration",
                 "training_attrition_rate", "completion_rate", "productivity_growth",
                 "asc_turnover_rate", "asc_vacancy_rate", "sickness_absence_rate"):
        assert any(item == name for item, _ in published), name
    assert any(r.parameter == "take_up_rate" and r.status == "wfplan_assumption"
               for r in library.rows)
    # the LTWP's 1.5-2% against the historic rate
    productivity = {r.id: r for r in library.of("productivity_growth")}
    ltwp = productivity["productivity_ltwp"]
    assert (ltwp.low, ltwp.high) == (0.015, 0.02)
    assert productivity["productivity_ons_1997_2019"].value < ltwp.low


def test_each_default_row_is_the_parameter_tables_default() -> None:
    library = load_library()
    for spec in parameter_table():
        if spec.kind == "variable" or spec.default_text.startswith("required"):
            continue
        row = library.default_row(spec.name)
        assert row is not None, spec.name
        assert row.status == "wfplan_assumption"
        assert spec.source in row.reasoning
        if row.value is not None:
            assert row.value == pytest.approx(spec.default_value), spec.name


@pytest.mark.parametrize(("edit", "column", "words"), [
    ({"value": "0.5", "high": "0.2"}, "value", "between low and high"),
    ({"staff_group": "nurses"}, "staff_group", "not a staff-group code"),
    ({"sector": "primary_care"}, "sector", "not the sector of staff group"),
    ({"unit": "percent"}, "unit", "parameter table's unit"),
    ({"value": "abc"}, None, "abc"),
    ({"status": "guess"}, "status", "published"),
    ({"table_or_page": ""}, "table_or_page", "required"),
    ({"status": "wfplan_assumption", "reasoning": ""}, "reasoning", "required"),
    ({"parameter": "asc_vacancy_rate", "unit": "fraction"}, "resolves", "not a model input"),
    ({"value": "1.5", "high": "1.5"}, "value", "lie in"),
])
def test_a_broken_row_is_refused_naming_file_row_and_column(
        tmp_path: Path, edit: dict[str, str], column: str | None, words: str) -> None:
    rows = [r for r in _rows() if r["id"] == "leaver_nurses_2022"]
    rows[0].update(edit)
    path = _write(tmp_path / "evidence.csv", rows)
    with pytest.raises(InputError) as caught:
        load_library(str(path))
    message = str(caught.value)
    assert f"{path}, row 2" in message
    assert words in message
    if column:
        assert f"column {column}" in message


def test_a_repeated_id_or_a_second_resolving_row_is_refused(tmp_path: Path) -> None:
    row = next(r for r in _rows() if r["id"] == "leaver_nurses_2022")
    twice = _write(tmp_path / "twice.csv", [row, dict(row)])
    with pytest.raises(InputError, match=r"row 3, column id: 'leaver_nurses_2022' repeats row 2"):
        load_library(str(twice))
    other = _write(tmp_path / "other.csv", [row, {**row, "id": "another"}])
    with pytest.raises(InputError, match=r"row 3, column resolves: 'leaver_nurses_2022' already"):
        load_library(str(other))


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_inputs_resolve_data_then_evidence_then_default(hand: DuckDBStore, tmp_path: Path) -> None:
    inputs = build_inputs(hand, hv.VINTAGE, hv.BASE, "england", demography=False)
    rates = inputs.leaver_rate.sel(area="E92000001")
    # doctors report flows: 2 leavers of the 18 reporting at the start (RBB reports none)
    assert rates.sel(staff_group=hv.D).values == pytest.approx(np.full(10, 2 / 18))
    # managers report none: the library's figure for NHS trust staff, not the table's 0.1
    row = next(r for r in load_library().resolving("leaver_rate")
               if (r.staff_group, r.sector) == ("all", "nhs_trust"))
    assert row.value != pytest.approx(0.1)
    assert rates.sel(staff_group=hv.M).values == pytest.approx(np.full(10, row.value))
    records = [a for a in inputs.assumptions if a.name == "leaver_rate" and a.tier == "evidence"]
    assert len(records) == 1
    assert hv.M in records[0].reason
    assert hv.D not in records[0].reason
    assert row.id in str(records[0].source)
    assert row.publication in str(records[0].source)
    # a library without a row for the parameter leaves the parameter table's default
    empty = load_library(str(_write(tmp_path / "empty.csv", [])))
    found = resolve("leaver_rate", hv.M, library=empty)
    assert (found.value, found.tier, found.row) == (0.1, "default", None)
    assert "parameter table default" in found.source()


def test_the_most_specific_row_resolves(tmp_path: Path) -> None:
    base = next(r for r in _rows() if r["id"] == "leaver_hchs_sep2024")
    rows = [base, {**base, "id": "by_group", "staff_group": hv.N, "value": "0.2", "low": "",
                   "high": ""},
            {**base, "id": "by_age", "staff_group": hv.N, "age_band": "60_64", "value": "0.3",
             "low": "", "high": ""}]
    library = load_library(str(_write(tmp_path / "specific.csv", rows)))
    rates, record = resolve_leaver_rate(hv.N, ("55_59", "60_64"), library)
    assert rates.tolist() == [0.2, 0.3]
    assert record.tier == "evidence"
    assert "by_group" in str(record.source)
    assert "by_age" in str(record.source)
    assert resolve("leaver_rate", hv.M, library=library).value == float(base["value"])
    assert resolve("leaver_rate", "gp", library=library).tier == "default"  # another sector


def _metadata(inputs: Any, path: Path, run_it: bool) -> tuple[str, dict[str, Any]]:
    scenario = load_scenario_text(path.read_text(encoding="utf-8")).model_copy(
        update={"draws": 3})
    if run_it:
        return scenario.name, run(inputs, scenario).metadata.record()
    records = [*inputs.assumptions, *default_assumptions(scenario, inputs.coords.staff_group)]
    return scenario.name, {"scenario": scenario.model_dump(mode="json", by_alias=True,
                                                           exclude_none=True),
                           "assumptions": [item.record() for item in records]}


def _uncovered(parameters: pd.DataFrame) -> list[str]:
    """Methods-table rows set to a value that is not the data's and not in the library."""
    library = load_library()
    problems = []
    for row in parameters.itertuples():
        if row.setting == "from the dataset":
            continue
        rows = library.of(str(row.name))
        scenario_set = not str(row.setting).startswith(("default", "evidence library"))
        if scenario_set:  # a value a scenario chose: a row about it, not only the default's
            rows = tuple(r for r in rows if r.id != f"default_{row.name}")
        if not any((r.status == "wfplan_assumption" and r.reasoning) or
                   (r.status != "wfplan_assumption" and r.publication) for r in rows):
            problems.append(f"{row.name}: {row.setting}")
        if str(row.setting).startswith("evidence library"):
            named = [r for r in library.resolving(str(row.name)) if r.id in str(row.setting)]
            if not named:
                problems.append(f"{row.name}: names no library row ({row.setting})")
    return problems


def test_every_non_data_value_of_the_shipped_scenarios_is_in_the_library(
        demo_vintage: DemoBuild) -> None:
    metadata = {}
    by_level: dict[str, Any] = {}  # the inputs depend on the level alone: one build per level
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        for path in SCENARIOS:
            text = load_scenario_text(path.read_text(encoding="utf-8"))
            if text.level not in by_level:
                by_level[text.level] = build_inputs(store, "demo", None, text.level)
            name, meta = _metadata(by_level[text.level], path, run_it=True)
            metadata[f"{path.parent.name}/{name}"] = meta
    parameters, _ = methods_from_metadata(metadata)
    assert (parameters["setting"] != "from the dataset").sum() > 10
    assert _uncovered(parameters) == []


def test_the_methods_table_names_the_library_where_it_filled_an_input(
        hand: DuckDBStore) -> None:
    inputs = build_inputs(hand, hv.VINTAGE, hv.BASE, "icb")
    metadata = dict(_metadata(inputs, path, run_it=False) for path in SCENARIOS[:2])
    parameters, assumptions = methods_from_metadata(metadata)
    leaver = parameters.set_index("name").loc["leaver_rate"]
    assert leaver["setting"].startswith("evidence library where the data lacks it")
    assert not leaver["defaulted"]
    assert "leaver_hchs_sep2024" in leaver["setting"]
    reasons = assumptions[assumptions["name"] == "leaver_rate"]["reason"]
    assert reasons.str.contains("Source: evidence library").any()
    assert _uncovered(parameters) == []


def test_figures_computed_from_shared_data_match_the_files() -> None:
    library = {r.id: r for r in load_library().rows}
    files = sorted(real("nhs_sickness_absence").glob("nhs_sickness_absence_20*.csv"))
    sickness = pd.concat(pd.read_csv(p) for p in files)
    rate = sickness["FTE_DAYS_LOST"].sum() / sickness["FTE_DAYS_AVAILABLE"].sum()
    assert len(files) == 12
    assert library["sickness_2024_25_computed"].value == pytest.approx(rate, abs=5e-5)
    gp = pd.read_csv(real("gp_practice_workforce",
                          "heec_gp_workforce_practice_year_derived.csv"))
    gp = gp[gp["Year"] == 2025]
    for row_id, fte, hc in [("fte_per_head_pc_nurses_2025", ["TOTAL_NURSES_FTE"],
                             ["TOTAL_NURSES_HC"]),
                            ("fte_per_head_gp_2025", ["TOTAL_GP_EXTGL_FTE", "TOTAL_LOCUUM_TRN_FTE"],
                             ["TOTAL_GP_EXTGL_HC", "TOTAL_LOCUUM_TRN_HC"])]:
        ratio = gp[fte].sum().sum() / gp[hc].sum().sum()  # empty cells count as 0
        assert library[row_id].value == pytest.approx(ratio, abs=5e-4), row_id


def test_only_model_inputs_resolve() -> None:
    assert {r.parameter for r in load_library().rows if r.resolves} <= set(RESOLVABLE)


def test_wfplan_evidence_lists_the_library(kit: Any) -> None:
    listed = kit.cli("evidence", "--format", "csv")
    assert listed.exit_code == 0, listed.output
    frame = pd.read_csv(io.StringIO(listed.output), keep_default_na=False)
    assert tuple(frame.columns) == COLUMNS
    assert list(frame["id"]) == [row["id"] for row in _rows()]
    one = kit.cli("evidence", "--parameter", "asc_vacancy_rate", "--format", "json")
    assert one.exit_code == 0, one.output
    body = json.loads(one.output)
    assert body["version"] == load_library().version
    assert {row["parameter"] for row in body["rows"]} == {"asc_vacancy_rate"}
    assert len(body["rows"]) == len(load_library().of("asc_vacancy_rate")) > 3
    table = kit.cli("evidence", "--parameter", "leaver_rate")
    assert table.exit_code == 0
    assert "leaver_nurses_2022" in table.output
