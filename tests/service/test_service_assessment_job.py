"""Assessments as jobs, on a real server, on DuckDB and PostgreSQL (issue 13).

An assessment submitted through the API runs as a job, reports its progress, and
writes a bundle the API lists and serves. The bundle downloaded through the API
verifies (``wfplan verify``), and its tables, results and inputs are those of
``wfplan assess --out`` run on the same definition, scenarios and vintage (in a
subprocess, once for the whole run, on the DuckDB demo: ``cli_assessment``; the
PostgreSQL server's demo is a load of the very same files, tests/service/conftest.py,
and the DuckDB case is the kill test's). Only what records when and how
long differs, and the bundle's name: the manifest's ``created``, ``seconds``,
``manifest_sha256`` and ``bundle_name``, and the report files that print
the creation time (``report.html`` and ``report.pdf`` show it; ``tables.xlsx`` has it
as its "Created" row, its properties and its zip entries' times): their hashes in
``files``; and, the PostgreSQL demo being another load of the files, the times in the
ingest log (``inputs/ingests.parquet``, which must be the PostgreSQL database's own)
and so the core digest. The bundle is unsigned, as ``wfplan assess`` without ``--sign``.

The definition is the demo's (``wfplan/data/demo_assessment.toml``) with no Monte
Carlo draws (the least ``wfplan assess`` takes) and a five-year horizon, to keep
the suite quick.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from jobs_util import (
    ASSESSMENT,
    SCENARIOS,
    check_assessment_progress,
    download_bundle,
    same_manifest,
    same_tables,
    wait,
)

from wfplan.assessment.verify import verify
from wfplan.dataset.store import is_postgres_url, open_store
from wfplan.dataset.store.queries.bundle import ingest_log

if TYPE_CHECKING:
    from live import Server

def _post(server: Server, role: str | None, **body: Any) -> httpx.Response:
    return server.client(role).post("/api/v1/assessments", json=body)


@pytest.mark.slow
def test_an_assessment_job_writes_a_bundle_that_verifies_and_equals_the_cli(
    server: Server, cli_assessment: Path, tmp_path: Path
) -> None:
    if not is_postgres_url(server.db):
        pytest.skip("the DuckDB case is the kill test's (test_service_assessment_kill.py)")
    queued = _post(server, "national", toml=ASSESSMENT, scenarios=SCENARIOS)
    assert queued.status_code == 202, queued.text
    job_id = str(queued.json()["job_id"])
    assert queued.headers["location"] == f"/api/v1/jobs/{job_id}"
    seen = wait(server, job_id)
    check_assessment_progress(seen)
    answer = server.client("national").get(f"/api/v1/jobs/{job_id}/results")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    name = body["name"]
    assert name == f"assessment-{job_id}"
    assert (body["manifest"]["vintage"], body["manifest"]["draws"]) == ("demo", 0)
    assert body["manifest"]["disclosure"] == "restricted"
    listed = {b["name"] for b in server.get("national", "/api/v1/assessments").json()}
    assert name in listed
    served = download_bundle(server, body["files"], tmp_path / "served" / name)
    manifest = (served / "manifest.json").read_bytes()
    assert hashlib.sha256(manifest).hexdigest() == body["sha256"] == seen[-1]["result_sha256"]
    verdict = verify(served)
    assert verdict.ok, verdict.findings
    # the ingest log (inputs/ingests.parquet) is the server's database's, times and all
    with open_store(server.db, read_only=True) as store:
        loaded_at = ingest_log(store)["loaded_at"].tolist()
    same_tables(served, cli_assessment, loaded_at=loaded_at)
    same_manifest(served, cli_assessment, reloaded=True)
    audit = server.get("national", "/api/v1/audit", params={"action": "assessment.run"}).json()
    assert any(job_id in row["detail"] for row in audit)


def _assess_jobs(server: Server) -> set[str]:
    listed = server.client("national").get("/api/v1/jobs").json()
    return {j["job_id"] for j in listed if j["kind"] == "assess"}


def test_only_national_users_submit_assessments(server: Server) -> None:
    before = _assess_jobs(server)
    for role in ("region", "icb", "org"):
        answer = _post(server, role, toml=ASSESSMENT, scenarios=SCENARIOS)
        assert answer.status_code == 403, (role, answer.text)
    assert _post(server, None, toml=ASSESSMENT, scenarios=SCENARIOS).status_code == 401
    assert _assess_jobs(server) == before


BROKEN = [
    ("not toml", 'title = "x\n', "assessment.toml", None),
    (
        "a field wrong",
        ASSESSMENT.replace("horizon = 5", "horizon = 99"),
        "assessment.toml",
        "horizon",
    ),
    (
        "a path",
        ASSESSMENT.replace('"demo_ltwp.toml"', '"../data/demo_ltwp.toml"'),
        "assessment.toml",
        "scenarios.1",
    ),
    (
        "an unknown scenario",
        ASSESSMENT.replace('"demo_ltwp.toml"', '"nowhere.toml"'),
        "assessment.toml",
        "scenarios.1",
    ),
]


def test_a_broken_definition_is_422_with_the_cli_s_messages_and_no_job(server: Server) -> None:
    before = _assess_jobs(server)
    for what, text, file, column in BROKEN:
        answer = _post(server, "national", toml=text, scenarios=SCENARIOS)
        assert answer.status_code == 422, (what, answer.text)
        rows = answer.json()
        assert rows, what
        assert (rows[0]["file"], rows[0]["column"]) == (file, column), (what, rows)
    bad_scenario = {**SCENARIOS, "demo_ltwp.toml": 'name = "x"\nhorizon = "soon"\n'}
    answer = _post(server, "national", toml=ASSESSMENT, scenarios=bad_scenario)
    assert answer.status_code == 422, answer.text
    assert {r["file"] for r in answer.json()} == {"demo_ltwp.toml"}
    odd_name = {**SCENARIOS, "../evil.toml": SCENARIOS["demo_ltwp.toml"]}
    assert _post(server, "national", toml=ASSESSMENT, scenarios=odd_name).status_code == 422
    for vintage in ("no-such-vintage", "demo' OR '1'='1", "x'; DROP TABLE jobs; --"):
        unknown = ASSESSMENT.replace('vintage = "demo"', f'vintage = "{vintage}"')
        answer = _post(server, "national", toml=unknown, scenarios=SCENARIOS)
        assert answer.status_code == 404, (vintage, answer.text)
    assert _assess_jobs(server) == before


def test_the_openapi_spec_has_the_assessment_job(server: Server) -> None:
    spec = server.get(None, "/api/openapi.json").json()
    assert "post" in spec["paths"]["/api/v1/assessments"]
    for model in ("AssessmentRequest", "AssessmentResults", "ManifestSummary"):
        assert model in spec["components"]["schemas"], model
