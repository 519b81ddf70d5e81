"""Isolation: every role, every endpoint and filter, other scopes' codes → 403/404, no data.

The table lists, for each role, requests naming codes outside its scope; each must
be refused (403 or 404) with a body holding nothing but ``detail``. The lists a role
may read must hold only codes of its scope, and the public's figures must carry no
count under 5 and no organisation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from live import ICB, REGION

if TYPE_CHECKING:
    from live import Codes, Server

ENGLAND = "E92000001"


def _foreign(role: str, c: Codes) -> list[tuple[str, dict[str, str]]]:
    """Requests outside ``role``'s scope: (path, query parameters)."""
    orgs_out = {"region": [c.org_other_region], "icb": [c.org_same_region, c.org_other_region],
                "org": [c.org_same_region, c.org_other_region],
                "public": [c.org, c.org_same_region]}[role]
    areas_out = {"region": [("region", c.region_other), ("icb", c.icb_other_region),
                            ("england", ENGLAND)],
                 "icb": [("region", REGION), ("icb", c.icb_other_region), ("england", ENGLAND)],
                 "org": [], "public": []}[role]
    out: list[tuple[str, dict[str, str]]] = []
    for org in orgs_out:
        out += [(f"/api/v1/organisations/{org}", {}),
                ("/api/v1/metrics", {"level": "org", "area": org}),
                ("/api/v1/metrics", {"level": "org", "area": org,
                                     "staff_group": "nurses_health_visitors"}),
                ("/api/v1/trends", {"measure": "sickness_rate", "level": "org", "area": org})]
    for level, code in areas_out:
        out += [(f"/api/v1/areas/{code}", {}), ("/api/v1/metrics", {"level": level, "area": code}),
                ("/api/v1/trends", {"measure": "sickness_rate", "level": level, "area": code}),
                ("/api/v1/projection", {"level": level, "area": code})]
    if role in ("region", "icb"):
        out += [("/api/v1/metrics", {"level": "england"}),
                ("/api/v1/projection", {"level": "england"})]
    if role == "icb":
        out.append(("/api/v1/metrics", {"level": "region"}))
    if role == "public":
        out += [("/api/v1/organisations", {}), ("/api/v1/metrics", {"level": "org"})]
    # the data-gap report: a region or ICB user gets their own area's, no other's; an
    # organisation user and the public none
    gaps = {"region": [{"area": c.region_other}, {"area": c.icb_other_region},
                       {"area": ENGLAND}],
            "icb": [{"area": REGION}, {"area": c.icb_other_region}, {"area": ENGLAND},
                    {"area": "QMF"}],  # North East London: another ICB of London
            "org": [{}, {"area": ICB}], "public": [{}, {"area": ICB}]}[role]
    out += [("/api/v1/gaps", params) for params in gaps]
    out.append(("/api/v1/audit", {}))
    return out


@pytest.mark.parametrize("role", ["region", "icb", "org", "public"])
def test_other_scopes_are_refused_with_no_data(server: Server, role: str) -> None:
    for path, params in _foreign(role, server.codes):
        answer = server.get(None if role == "public" else role, path, params=params)
        assert answer.status_code in (403, 404), (role, path, params, answer.text)
        assert set(answer.json()) == {"detail"}, (role, path, params)


def _area_codes(server: Server, role: str | None, level: str) -> set[str]:
    answer = server.get(role, "/api/v1/metrics", params={"level": level})
    assert answer.status_code == 200, answer.text
    return {r["area_code"] for r in answer.json()["current_position"]}


def test_lists_hold_only_the_scope(server: Server) -> None:
    c = server.codes
    national_icbs = {a["code"] for a in server.get("national", "/api/v1/areas",
                                                   params={"level": "icb"}).json()}
    region_icbs = {a["code"] for a in server.get("national", "/api/v1/areas").json()
                   if a["level"] == "icb" and a["parent_code"] == REGION}
    assert _area_codes(server, "region", "region") == {REGION}
    assert _area_codes(server, "region", "icb") <= region_icbs
    assert _area_codes(server, "icb", "icb") == {ICB}
    assert _area_codes(server, "org", "org") == {c.org}
    assert _area_codes(server, "org", "icb") <= national_icbs | {"UNMAPPED"}
    assert "UNMAPPED" not in _area_codes(server, "org", "icb")
    everyone = {o["org_code"]: o for o in server.get("national", "/api/v1/organisations").json()}
    for role, test in (("region", lambda o: o["region_code"] == REGION),
                       ("icb", lambda o: o["icb_code"] == ICB),
                       ("org", lambda o: o["org_code"] == c.org)):
        shown = server.get(role, "/api/v1/organisations").json()
        assert shown, role
        assert all(test(everyone[o["org_code"]]) for o in shown), role
        org_rows = _area_codes(server, role, "org")
        assert all(test(everyone[code]) for code in org_rows), role
    shown_areas = {a["code"] for a in server.get("icb", "/api/v1/areas").json()}
    assert shown_areas == {ICB}


COUNTS = ("headcount", "minority_headcount", "known_headcount", "headcount_start",
          "headcount_end", "headcount_change")


@pytest.mark.parametrize("level", ["england", "region", "icb"])
def test_the_public_never_sees_a_count_under_5_or_an_organisation(server: Server,
                                                                  level: str) -> None:
    body = server.get(None, "/api/v1/metrics", params={"level": level}).json()
    assert body["controlled"] is True
    assert "Disclosure control" in body["disclosure"]
    orgs = {o["org_code"] for o in server.get("national", "/api/v1/organisations").json()}
    seen = 0
    for table in ("current_position", "ethnic_minority_by_band", "net_change"):
        for row in body[table]:
            assert row["area_code"] not in orgs
            assert row["area_code"] != "UNMAPPED"
            for column in COUNTS:
                value = row.get(column)
                if value is None:
                    continue
                seen += 1
                if column != "headcount_change":
                    assert value == 0 or value >= 5, (table, row["area_code"], column, value)
                assert value % 5 == 0, (table, row["area_code"], column, value)
    assert seen
    restricted = server.get("national", "/api/v1/metrics", params={"level": level}).json()
    small = [r for r in restricted["ethnic_minority_by_band"]
             if r["minority_headcount"] is not None and 0 < r["minority_headcount"] < 5]
    shown = {(r["area_code"], r["grade"]): r for r in body["ethnic_minority_by_band"]}
    for row in small:  # what national users see under 5, the public sees suppressed
        assert shown[(row["area_code"], row["grade"])]["minority_headcount"] is None
