"""Assessment bundles through the API: list, download, and path traversal refused (issue 13)."""

from __future__ import annotations

import http.client
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from live import Server

SECRET = b"outside the bundle: never served"


@pytest.fixture
def bundle(server: Server) -> Path:
    """A bundle folder in the server's assessments folder, with files beside it and a link out."""
    results = server.log.parent / "results"
    folder = results / "assessments" / "svc-bundle"
    (folder / "tables").mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text('{"files": {}}', encoding="utf-8")
    (folder / "report.html").write_text("<h1>report</h1>", encoding="utf-8")
    (folder / "tables" / "position.parquet").write_bytes(b"PAR1")
    (results / "secret.txt").write_bytes(SECRET)
    (results / "assessments" / "secret.txt").write_bytes(SECRET)
    link = folder / "link.txt"
    if not link.is_symlink():
        link.symlink_to(results / "secret.txt")
    return folder


def _raw(server: Server, path: str, role: str = "national") -> tuple[int, bytes]:
    """GET ``path`` exactly as written (no client normalising ``..`` or quoting)."""
    where = urlsplit(server.url)
    conn = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=60)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {server.tokens[role]}"})
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def test_list_and_download(server: Server, bundle: Path) -> None:
    listed = server.get("national", "/api/v1/assessments").json()
    mine = next(b for b in listed if b["name"] == "svc-bundle")
    names = {f["name"] for f in mine["files"]}
    assert names == {"manifest.json", "report.html", "tables/position.parquet"}
    status, body = _raw(server, "/api/v1/assessments/svc-bundle/files/report.html")
    assert (status, body) == (200, b"<h1>report</h1>")
    status, body = _raw(server, "/api/v1/assessments/svc-bundle/files/tables/position.parquet")
    assert (status, body) == (200, b"PAR1")


@pytest.mark.parametrize("role", ["region", "icb", "org"])
def test_only_national_users(server: Server, bundle: Path, role: str) -> None:
    assert server.get(role, "/api/v1/assessments").status_code == 403
    status, body = _raw(server, "/api/v1/assessments/svc-bundle/files/report.html", role)
    assert status == 403
    assert b"report" not in body
    assert server.get(None, "/api/v1/assessments").status_code == 403


TRAVERSALS = [
    "svc-bundle/files/../../secret.txt",
    "svc-bundle/files/..%2F..%2Fsecret.txt",
    "svc-bundle/files/%2e%2e/%2e%2e/secret.txt",
    "svc-bundle/files/%2E%2E%2F%2E%2E%2Fsecret.txt",
    "svc-bundle/files/..\\..\\secret.txt",
    "svc-bundle/files/..%5C..%5Csecret.txt",
    "svc-bundle/files//etc/passwd",
    "svc-bundle/files/%2Fetc%2Fpasswd",
    "svc-bundle/files/link.txt",
    "svc-bundle/files/tables/../../secret.txt",
    "svc-bundle/files/report.html%00.txt",
    "..%2Fsecret.txt/files/x",
    "%2e%2e/files/secret.txt",
    "../files/secret.txt",
    "svc-bundle%2F..%2F..%2F/files/secret.txt",
]


@pytest.mark.parametrize("tail", TRAVERSALS)
def test_path_traversal_is_refused(server: Server, bundle: Path, tail: str) -> None:
    status, body = _raw(server, f"/api/v1/assessments/{tail}")
    assert status in (400, 404, 422), (status, body[:200])
    assert SECRET not in body
    assert b"root:" not in body
