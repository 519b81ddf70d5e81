"""Sensitivity analyses as jobs, on a real server, on DuckDB and PostgreSQL (issue 13).

A sensitivity job submitted through the API runs, reports its progress, and its
tornado and variance shares are those of ``wfplan sensitivity --format json`` on the
same scenario and seed (run in a subprocess, once for the whole run, on the DuckDB
demo, whose files the PostgreSQL server's demo loaded; that command rounds its floats,
so the served rows are rounded the same way before they are compared).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from jobs_util import JOB_S, scenario_text, submit, wait

import sharing
from wfplan.cli.display import tidy_json

if TYPE_CHECKING:
    from pathlib import Path

    from live import Server

    from conftest import DemoBuild

#: Two uncertain quantities, so the tornado and the variance shares have rows.
UNCERTAIN = ('[parameters]\n'
             'leaver_rate_multiplier = { dist = "normal", mean = 1.0, sd = 0.05 }\n'
             'international_joiners_multiplier = '
             '{ dist = "triangular", low = 0.7, mode = 1.0, high = 1.1 }\n')


#: The analysis the first test submits on each engine, and its options.
SENSITIVITY = scenario_text("svc-sens", draws=12) + UNCERTAIN
OPTIONS: dict[str, Any] = {"draws": 15, "areas": ["Y56"], "fixed_spread": 0.1}


def results(server: Server, job_id: str, role: str = "national") -> dict[str, Any]:
    answer = server.client(role).get(f"/api/v1/jobs/{job_id}/results")
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _cli(db: str, text: str, folder: Path, *args: str) -> dict[str, Any]:
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "scenario.toml"
    source.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "wfplan.cli", "sensitivity", str(source), "--format", "json",
         "--db", db, *args], capture_output=True, text=True, timeout=JOB_S, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads(done.stdout))


@pytest.fixture(scope="session")
def cli_sensitivity(demo_vintage: DemoBuild,
                    tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``wfplan sensitivity --format json`` of :data:`SENSITIVITY` with :data:`OPTIONS` on
    the DuckDB demo (the file the DuckDB server's copy was made from, that server holding
    its copy for writing), once for the whole run; the jobs on both engines must give it."""
    def build(folder: Path) -> dict[str, Any]:
        return _cli(str(demo_vintage.db), SENSITIVITY, folder, "--draws",
                    str(OPTIONS["draws"]), "--area", *OPTIONS["areas"], "--fixed-spread",
                    str(OPTIONS["fixed_spread"]))

    return sharing.once_per_run(sharing.run_folder(tmp_path_factory), "cli-sensitivity",
                                build)[1]


def page_charts(server: Server, job_id: str, role: str) -> tuple[list[list[Any]], str]:
    """Return the tornado charts the dashboard's page of the job draws (their low and high
    gaps, chart by chart) and the page, for ``role`` signed in (the cookie is its token)."""
    cookies = {"wfplan_session": server.tokens[role]}
    with httpx.Client(base_url=server.url, cookies=cookies, timeout=120) as client:
        answer = client.get(f"/sensitivity/{job_id}")
    assert answer.status_code == 200, answer.text[:300]
    specs = re.findall(rf'<script type="application/json" id="job-{job_id}-tornado-\d+-spec"'
                       r'[^>]*>(.*?)</script>', answer.text, re.S)
    return [[(v["end"], v["gap"]) for v in json.loads(spec)["data"]["values"]]
            for spec in specs], answer.text


def tornado_by_area(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """Return the API's tornado rows as the page draws them: England first, by rank."""
    areas = sorted({r["area"] for r in rows}, key=lambda a: (a != "E92000001", a))
    return [[(end, r[f"gap_{end}"]) for r in sorted((r for r in rows if r["area"] == area),
                                                    key=lambda r: r["rank"])
             for end in ("low", "high")] for area in areas]


def test_a_sensitivity_job_runs_reports_progress_and_equals_the_cli(
        server: Server, cli_sensitivity: dict[str, Any]) -> None:
    _, job_id = submit(server, SENSITIVITY, action="sensitivity", **OPTIONS)
    seen = wait(server, job_id)
    final = seen[-1]
    assert final["status"] == "done", final
    assert (final["progress"], final["draws"]) == (1.0, 15)
    fractions = [s["progress"] for s in seen]
    assert fractions == sorted(fractions), "progress went backwards"
    assert any(s["status"] == "running" and 0.0 < s["progress"] < 1.0 for s in seen), seen
    body = results(server, job_id)
    assert (body["vintage"], body["scenario"]) == ("demo", "svc-sens")
    assert body["tornado"]
    assert body["variance_shares"]
    assert {r["area"] for r in body["tornado"]} == {"E92000001", "Y56"}
    assert tidy_json(body["tornado"]) == cli_sensitivity["tornado"]
    assert tidy_json(body["variance_shares"]) == cli_sensitivity["variance_shares"]
    charts, page = page_charts(server, job_id, "national")  # the dashboard draws the same
    assert charts == tornado_by_area(body["tornado"])
    assert f'id="sensitivity-{job_id}-variance"' in page
    assert page.count("<tr class=\"nhsuk-table__row\">") > len(body["variance_shares"])


def test_a_region_user_sees_only_its_region_s_rows(server: Server) -> None:
    text = scenario_text("svc-sens-scope", draws=0) + UNCERTAIN
    _, job_id = submit(server, text, role="region", action="sensitivity", draws=0,
                       areas=["Y56", "Y59"])
    assert wait(server, job_id, role="region")[-1]["status"] == "done"
    mine = results(server, job_id, role="region")
    assert {r["area"] for r in mine["tornado"]} == {"Y56"}
    everyone = results(server, job_id)
    assert {r["area"] for r in everyone["tornado"]} == {"E92000001", "Y56", "Y59"}
    assert mine["variance_shares"] == everyone["variance_shares"] == []
    charts, page = page_charts(server, job_id, "region")  # the page: London's only
    assert charts == tornado_by_area(mine["tornado"])
    assert len(charts) == 1
    assert "London" in page
    assert len(page_charts(server, job_id, "national")[0]) == 3


def test_sensitivity_options_are_checked_and_audited(server: Server) -> None:
    national = server.client("national")
    scenario_id = national.post("/api/v1/scenarios",
                                json={"toml": scenario_text("svc-sens-bad")}).json()["scenario_id"]
    bad = national.post(f"/api/v1/scenarios/{scenario_id}/sensitivity",
                        json={"fixed_spread": 2.0})
    assert bad.status_code == 422
    assert server.client("org").post(f"/api/v1/scenarios/{scenario_id}/sensitivity",
                                     json={}).status_code in (403, 404)
    good = national.post(f"/api/v1/scenarios/{scenario_id}/sensitivity", json={})
    assert good.status_code == 202
    audit = server.get("national", "/api/v1/audit",
                       params={"action": "scenario.sensitivity"}).json()
    assert any(good.json()["job_id"] in row["detail"] for row in audit)


def test_the_openapi_spec_has_the_sensitivity_job(server: Server) -> None:
    spec = server.get(None, "/api/openapi.json").json()
    assert "/api/v1/scenarios/{scenario_id}/sensitivity" in spec["paths"]
    for model in ("SensitivityRequest", "SensitivityResults"):
        assert model in spec["components"]["schemas"], model
