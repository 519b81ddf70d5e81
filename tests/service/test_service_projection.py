"""``/api/v1/projection`` on a real server on both engines: the baseline's fans, scoped.

The figures must be those of ``wfplan project baseline --vintage demo`` with the service's
draws and seed, computed directly (``demo_baseline``, once per session); the server
computes its projection once (the first request) and answers the others from it. An
organisation's (``level=org``) must be those of :func:`wfplan.runs.fans.org_fans` for it,
computed here (tests/test_org_fans.py checks them against a run on every organisation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

from wfplan.dataset import codelists
from wfplan.dataset.store import DuckDBStore
from wfplan.model import aggregate, to_long
from wfplan.model.aggregate import staff_group_totals, sum_staff_groups
from wfplan.runs.fans import org_fans
from wfplan.runs.project import read_scenario
from wfplan.web.service import PROJECTION_DRAWS

if TYPE_CHECKING:
    from live import Server

    from conftest import DemoBaseline, DemoBuild

PROJECTION = "/api/v1/projection"
VARIABLES = ("supply_fte", "demand_funded_fte", "gap_fte", "gap_pct")
STATS = ("p5", "p50", "p95")
ENGLAND = "E92000001"


def _get(server: Server, role: str | None, **params: Any) -> dict[str, Any]:
    answer = server.get(role, PROJECTION, params=params)
    assert answer.status_code == 200, answer.text[:500]
    body: dict[str, Any] = answer.json()
    return body


def _expected(table: pd.DataFrame, area: str, group: str) -> dict[tuple[str, int], tuple]:
    """Return ``wfplan project``'s P5, P50, P95 of an area's staff group by variable and year."""
    rows = table[(table["area"] == area) & (table["staff_group"] == group)
                 & table["variable"].isin(VARIABLES) & table["statistic"].isin(STATS)]
    wide = rows.pivot_table(index=["variable", "year"], columns="statistic", values="value")
    return {(str(v), int(y)): tuple(float(r[s]) for s in STATS) for (v, y), r in wide.iterrows()}


def _served(body: dict[str, Any], area: str, group: str) -> dict[tuple[str, int], tuple]:
    return {(r["variable"], r["year"]): tuple(r[s] for s in STATS) for r in body["rows"]
            if r["area_code"] == area and r["staff_group"] == group}


def test_the_answer_is_wfplan_project_s_baseline_bit_for_bit(
        server: Server, demo_baseline: DemoBaseline) -> None:
    icb = _get(server, "national", level="icb", area="QMJ", staff_group="nurses_health_visitors")
    england = _get(server, "national", level="england")
    expected = _expected(demo_baseline.table, "QMJ", "nurses_health_visitors")
    assert len(expected) == 4 * 16
    assert _served(icb, "QMJ", "nurses_health_visitors") == expected
    for group in ("all_staff_groups", "all_social_care", "gp"):
        assert _served(england, ENGLAND, group) == _expected(demo_baseline.table, ENGLAND, group)
    assert {r["staff_group"] for r in england["rows"]} == set(
        demo_baseline.table.loc[demo_baseline.table["area"] == ENGLAND, "staff_group"])
    scenario = read_scenario("baseline")
    assert (england["scenario"], england["scenario_sha256"]) == ("baseline", scenario.sha256)
    assert (england["seed"], england["draws"]) == (demo_baseline.seed, demo_baseline.draws)
    assert (england["base_year"], england["final_year"]) == (2025, 2040)
    assert england["base_period"] == "2025-03-31"
    assert england["controlled"] is False
    assert f"{demo_baseline.draws} draws, seed {demo_baseline.seed}" in england["source"]
    units = {(r["variable"], r["unit"]) for r in england["rows"]}
    assert units == {("supply_fte", "FTE"), ("demand_funded_fte", "FTE"), ("gap_fte", "FTE"),
                     ("gap_pct", "%")}


def test_a_region_is_its_icbs_summed_within_each_draw(
        server: Server, demo_baseline: DemoBaseline) -> None:
    results = demo_baseline.results
    region_of = {r["code"]: r["region_code"] for r in codelists.get("icb").rows}
    regions = aggregate(results, {a: region_of[a] for a in results.areas}, "region")
    sectors = {r["code"]: r["sector"] for r in codelists.get("staff_group").rows}
    totals = sum_staff_groups(regions, staff_group_totals(regions.staff_groups, sectors))
    table = to_long([regions, totals], VARIABLES)
    body = _get(server, "national", level="region", area="Y56")
    assert {r["area_code"] for r in body["rows"]} == {"Y56"}
    for group in ("all_staff_groups", "nurses_health_visitors"):
        assert _served(body, "Y56", group) == _expected(table, "Y56", group)
    # The census year is observed: the region's supply is its ICBs' supply then.
    cli = demo_baseline.table
    base = cli[(cli["variable"] == "supply_fte") & (cli["year"] == 2025)
               & (cli["statistic"] == "p50") & (cli["staff_group"] == "nurses_health_visitors")]
    icbs = [a for a in results.areas if region_of[a] == "Y56"]
    summed = float(base[base["area"].isin(icbs)]["value"].sum())
    assert _served(body, "Y56", "nurses_health_visitors")[("supply_fte", 2025)][1] == (
        pytest.approx(summed, rel=1e-12))


def test_an_icb_user_gets_its_icb_and_is_refused_other_areas(server: Server) -> None:
    own = _get(server, "icb", level="icb", area="QMJ", staff_group="all_staff_groups")
    assert own == _get(server, "national", level="icb", area="QMJ",
                       staff_group="all_staff_groups")
    listed = _get(server, "icb", level="icb", staff_group="all_staff_groups")
    assert {r["area_code"] for r in listed["rows"]} == {"QMJ"}
    other = server.codes.icb_other_region
    for params in ({"level": "icb", "area": other}, {"level": "england"},
                   {"level": "region", "area": "Y56"}):
        refused = server.get("icb", PROJECTION, params=params)
        assert refused.status_code == 403, (params, refused.text)
    region = _get(server, "region", level="icb", staff_group="all_staff_groups")
    mine = {r["code"] for r in codelists.get("icb").rows if r["region_code"] == "Y56"}
    assert {r["area_code"] for r in region["rows"]} == mine
    assert server.get("region", PROJECTION, params={
        "level": "region", "area": server.codes.region_other}).status_code == 403


def test_the_public_gets_every_icb_with_its_small_series_suppressed(
        server: Server, demo_baseline: DemoBaseline) -> None:
    cli = demo_baseline.table
    heads = cli[(cli["variable"] == "supply_hc") & (cli["year"] == 2025)
                & (cli["statistic"] == "principal") & (cli["area"] != ENGLAND)
                & ~cli["staff_group"].str.startswith("all_")]
    small = heads[(heads["value"] > 0) & (heads["value"] < 5)]
    assert not small.empty, "the demo has ICB staff groups of 1 to 4 people"
    group = str(small["staff_group"].iloc[0])
    public = _get(server, None, level="icb", staff_group=group)
    national = _get(server, "national", level="icb", staff_group=group)
    assert public["controlled"] is True
    assert "1 to 4 people" in public["disclosure"]
    assert national["controlled"] is False
    assert national["disclosure"] is None
    assert len({r["area_code"] for r in public["rows"]}) == 42
    hidden = set(small.loc[small["staff_group"] == group, "area"])
    for got, full in zip(public["rows"], national["rows"], strict=True):
        assert got["suppressed"] is (got["area_code"] in hidden)
        if got["suppressed"]:
            assert (got["p5"], got["p50"], got["p95"]) == (None, None, None)
            assert full["p50"] is not None
        else:
            assert got == full | {"suppressed": False}


@pytest.mark.parametrize(("params", "code"), [
    ({"staff_group": "nope"}, 422), ({"level": "org"}, 422), ({"year": "soon"}, 422),
    ({"year": "1990"}, 404), ({"level": "icb", "area": "QXX"}, 404),
    ({"vintage": "no-such-vintage"}, 404),
])
def test_bad_query_values_get_the_api_s_errors(server: Server, params: dict[str, str],
                                              code: int) -> None:
    answer = server.get("national", PROJECTION, params=params)
    assert answer.status_code == code, answer.text
    assert "detail" in answer.json()


def test_a_year_and_a_staff_group_label_filter_the_answer(server: Server) -> None:
    body = _get(server, "national", level="england", staff_group="GPs", year="2030")
    assert {(r["staff_group"], r["year"]) for r in body["rows"]} == {("gp", 2030)}
    assert len(body["rows"]) == 4
    spec = server.get(None, "/api/openapi.json").json()
    assert PROJECTION in spec["paths"]
    assert {"Projection", "FanRow"} <= set(spec["components"]["schemas"])


def _org_expected(demo_vintage: DemoBuild, demo_org_inputs: Any,
                  org: str) -> dict[tuple[str, str, int], tuple]:
    """Return the organisation's fans computed here, with the server's draws and seed.

    By staff group, variable and year; a percentile that is not a number (the gap % of a
    staff group with no demand) is null, as JSON has it.
    """
    seed = read_scenario("baseline").scenario.seed
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        table = org_fans(store, demo_org_inputs, org, draws=PROJECTION_DRAWS, seed=seed).table
    return {(str(r["staff_group"]), str(r["variable"]), int(r["year"])): tuple(
        None if pd.isna(r[s]) else float(r[s]) for s in STATS)
        for r in table.to_dict("records")}


def test_an_organisation_s_fans_are_its_own_projection(
        server: Server, demo_vintage: DemoBuild, demo_org_inputs: Any) -> None:
    org = server.codes.org
    body = _get(server, "icb", vintage="demo", level="org", area=org)
    assert {r["area_code"] for r in body["rows"]} == {org}
    assert {r["level"] for r in body["rows"]} == {"org"}
    assert body["projected_level"] == "org"
    assert (body["draws"], body["seed"]) == (PROJECTION_DRAWS,
                                             read_scenario("baseline").scenario.seed)
    assert "organisation level, this organisation alone" in body["source"]
    assert body["controlled"] is False
    assert body["rows"][0]["area_name"]
    expected = _org_expected(demo_vintage, demo_org_inputs, org)
    served = {(r["staff_group"], r["variable"], r["year"]): tuple(r[s] for s in STATS)
              for r in body["rows"]}
    assert served == expected
    assert len([k for k in served if k[0] == "all_staff_groups"]) == 4 * 16
    assert any(value for value in served.values() if value[1])  # not all zero or null
    assert _get(server, "org", vintage="demo", level="org", area=org) == body
    assert _get(server, "national", vintage="demo", level="org", area=org.lower()) == body


def test_an_organisation_s_fans_are_scoped_as_its_metrics(server: Server) -> None:
    codes = server.codes
    region = _get(server, "region", vintage="demo", level="org", area=codes.org_same_region,
                  staff_group="all_staff_groups", year="2030")
    assert {(r["area_code"], r["year"]) for r in region["rows"]} == {
        (codes.org_same_region, 2030)}
    refused = [("icb", codes.org_same_region), ("icb", codes.org_other_region),
               ("region", codes.org_other_region), ("org", codes.org_same_region),
               (None, codes.org)]
    for role, org in refused:
        answer = server.get(role, PROJECTION, params={"vintage": "demo", "level": "org",
                                                      "area": org})
        assert answer.status_code == 403, (role, org, answer.text)
        assert "p50" not in answer.text
    answer = server.get(None, PROJECTION, params={"vintage": "demo", "level": "org"})
    assert answer.status_code == 403
    for params, code in (({"level": "org"}, 422), ({"level": "org", "area": "NOPE1"}, 404)):
        answer = server.get("national", PROJECTION, params={"vintage": "demo", **params})
        assert answer.status_code == code, (params, answer.text)
