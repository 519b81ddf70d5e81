"""The data-gap report of the caller's scope over the API, on DuckDB and PostgreSQL.

An ICB user gets the report of their ICB, a region user of their region, a national
user England's or, with ``?area=``, a region's or an ICB's. The ICB's answer is
checked against the analysis function with the area filter, run here on the
session's demo vintage (DuckDB, read only: the same data as both servers'), and
against the ICB's organisations as the API lists them. Refusals are in
tests/service/test_service_isolation.py too (every role's foreign areas).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest
from live import ICB, REGION

from wfplan.analysis.gaps import Area, GapReport, gap_report
from wfplan.dataset.store import DuckDBStore
from wfplan.web import models
from wfplan.web.frames import records

if TYPE_CHECKING:
    from live import Server

    from conftest import DemoBuild

_CODE = re.compile(r"(?:^|, )([A-Z0-9]{3,10}) \(")


@pytest.fixture(scope="module")
def expected(demo_vintage: DemoBuild) -> dict[str, GapReport]:
    """The demo's reports computed here: England's and the ICB's (the area filter)."""
    with DuckDBStore(demo_vintage.db, read_only=True) as store:
        return {"england": gap_report(store, "demo"),
                "icb": gap_report(store, "demo", area=Area("icb", ICB))}


def _as_json(report: GapReport) -> dict[str, Any]:
    """Return a report's sections as the API writes them (JSON)."""
    sections = {name: records(frame.astype(object)) for name, frame in report.sections().items()}
    body = models.Gaps(vintage=report.vintage, newest_period=report.newest_period,
                       stale_months=report.stale_months, sections=sections)
    return dict(json.loads(body.model_dump_json())["sections"])


def _named(sections: dict[str, Any]) -> set[str]:
    return {code for row in sections["missing_organisations"]
            for code in _CODE.findall(str(row["examples"]))}


def test_an_icb_user_gets_the_report_of_their_icb_alone(server: Server,
                                                        expected: dict[str, GapReport]) -> None:
    answer = server.get("icb", "/api/v1/gaps", params={"vintage": "demo"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["area"] == {"code": ICB, "name": "North Central London", "level": "icb",
                            "parent_code": REGION}
    assert body["sections"] == _as_json(expected["icb"])
    assert body["sections"] != _as_json(expected["england"])
    national = server.get("national", "/api/v1/gaps", params={"vintage": "demo"}).json()
    assert national["area"] is None
    assert national["sections"] == _as_json(expected["england"])
    # the organisations it names are the ICB's (England's names others: the check can fail)
    theirs = {o["org_code"] for o in server.get(
        "national", "/api/v1/organisations", params={"vintage": "demo", "icb": ICB}).json()}
    assert _named(body["sections"])
    assert _named(body["sections"]) <= theirs
    assert _named(national["sections"]) - theirs
    # a part of England's: no table or sector has more rows or organisations than England
    def counts(sections: dict[str, Any], section: str, column: str) -> dict[Any, int]:
        return {(r["table"], r["sector"]): r[column] for r in sections[section]}
    for section, column in (("coverage", "rows"), ("missing_organisations", "expected"),
                            ("missing_organisations", "without_data")):
        icb, england = (counts(s, section, column) for s in (body["sections"],
                                                             national["sections"]))
        assert all(n <= england[key] for key, n in icb.items()), (section, column)
    rows = counts(body["sections"], "coverage", "rows")
    assert 0 < rows["staff_in_post", "nhs_trust"] < counts(
        national["sections"], "coverage", "rows")["staff_in_post", "nhs_trust"]
    assert {r["icbs_total"] for r in body["sections"]["coverage"]} == {1}


def test_a_national_or_region_user_may_ask_for_an_icb_of_their_scope(server: Server) -> None:
    icb = server.get("icb", "/api/v1/gaps", params={"vintage": "demo"}).content
    for role in ("national", "region"):
        asked = server.get(role, "/api/v1/gaps", params={"vintage": "demo", "area": "qmj"})
        assert asked.status_code == 200, (role, asked.text)
        assert asked.content == icb, role
    region = server.get("region", "/api/v1/gaps", params={"vintage": "demo"}).json()
    assert region["area"]["code"] == REGION
    assert {r["icbs_total"] for r in region["sections"]["coverage"]} == {5}  # London's ICBs
    assert server.get("national", "/api/v1/gaps", params={
        "vintage": "demo", "area": REGION}).json() == region
    missing = server.get("national", "/api/v1/gaps", params={"vintage": "demo", "area": "NOPE"})
    assert missing.status_code == 404


def test_other_areas_organisations_and_the_public_are_refused(server: Server) -> None:
    codes = server.codes
    for role, params in (("icb", {"area": codes.icb_other_region}), ("icb", {"area": REGION}),
                         ("region", {"area": codes.region_other}),
                         ("region", {"area": codes.icb_other_region}), ("org", {}),
                         (None, {})):
        refused = server.get(role, "/api/v1/gaps", params={"vintage": "demo", **params})
        assert refused.status_code == 403, (role, params, refused.text)
        assert set(refused.json()) == {"detail"}
    reason = server.get("org", "/api/v1/gaps", params={"vintage": "demo"}).json()["detail"]
    assert "an organisation's role has none" in reason
