"""A run by role through the API serves its skills-gap view (issue 17, docs/skills.md).

A scenario with ``roles`` submitted as a job: ``/api/v1/jobs/{id}/results`` serves
the shortfall and surplus of each nursing field and of their staff group (the
fields' sums, not their net), filtered by ``variable`` as any row of the long table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jobs_util import scenario_text, submit, wait

from wfplan.dataset.codelists import ENGLAND_CODE

if TYPE_CHECKING:
    from live import Server

FIELDS = {"nurse_adult", "nurse_mental_health", "nurse_learning_disability", "nurse_children"}


def _rows(server: Server, job_id: str, variable: str) -> dict[str, float]:
    answer = server.client("national").get(
        f"/api/v1/jobs/{job_id}/results",
        params={"variable": variable, "area": ENGLAND_CODE, "statistic": "principal"})
    assert answer.status_code == 200, answer.text
    last = max(row["year"] for row in answer.json()["rows"])
    return {row["staff_group"]: float(row["value"]) for row in answer.json()["rows"]
            if row["year"] == last}


def test_a_run_by_role_serves_shortfall_and_surplus_by_field(server: Server) -> None:
    text = scenario_text("svc-fields", draws=4) + 'roles = ["nurses_health_visitors"]\n'
    _, job_id = submit(server, text, seed=5, draws=4)
    final = wait(server, job_id)[-1]
    assert final["status"] == "done", final
    short, surplus = _rows(server, job_id, "shortfall_fte"), _rows(server, job_id, "surplus_fte")
    assert set(short) == set(surplus) == {*FIELDS, "nurses_health_visitors"}
    for view in (short, surplus):
        assert all(value >= 0 for value in view.values())
        # the group's shortfall (surplus) is its fields' sum, within the principal run
        assert abs(view["nurses_health_visitors"] - sum(view[f] for f in FIELDS)) < 1e-6
    gap = server.client("national").get(
        f"/api/v1/jobs/{job_id}/results",
        params={"variable": "gap_fte", "area": ENGLAND_CODE, "statistic": "principal",
                "staff_group": "nurse_adult"})
    assert gap.status_code == 200, gap.text
    last = max(row["year"] for row in gap.json()["rows"])
    [adult] = [float(r["value"]) for r in gap.json()["rows"] if r["year"] == last]
    assert short["nurse_adult"] - surplus["nurse_adult"] == adult


def test_the_skills_endpoint_serves_the_headline_by_role(server: Server) -> None:
    text = scenario_text("svc-fields-head", draws=4) + 'roles = ["nurses_health_visitors"]\n'
    _, job_id = submit(server, text, seed=5, draws=4)
    assert wait(server, job_id)[-1]["status"] == "done"
    answer = server.client("national").get(f"/api/v1/jobs/{job_id}/skills")
    assert answer.status_code == 200, answer.text
    heads = [r for r in answer.json()["rows"] if r["area"] == ENGLAND_CODE]
    assert {r["horizon"] for r in heads} == {5}  # the scenario's horizon is 5 years
    assert {r["staff_group"] for r in heads} == {*FIELDS, "nurses_health_visitors"}
    [row] = [r for r in heads if r["staff_group"] == "nurse_mental_health"
             and r["variable"] == "shortfall_fte"]
    served = server.client("national").get(
        f"/api/v1/jobs/{job_id}/results",
        params={"variable": "shortfall_fte", "area": ENGLAND_CODE, "statistic": "p50",
                "staff_group": "nurse_mental_health"}).json()["rows"]
    [p50] = [float(r["value"]) for r in served if r["year"] == row["year"]]
    assert row["p50"] == p50
    # a run by staff group has no skills-gap view
    _, whole = submit(server, scenario_text("svc-whole", draws=0), seed=5, draws=0)
    assert wait(server, whole)[-1]["status"] == "done"
    empty = server.client("national").get(f"/api/v1/jobs/{whole}/skills")
    assert empty.status_code == 200, empty.text
    assert empty.json()["rows"] == []
