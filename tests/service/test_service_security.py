"""Security: injection in every parameter and path segment, tokens, bodies (issue 13).

None of these may answer 500 or leak data or internals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

import httpx
import pytest

if TYPE_CHECKING:
    from live import Server

INJECTIONS = ["' OR '1'='1", "QMJ'; DROP TABLE users; --", "\") OR 1=1 --", "1 UNION SELECT "
              "sha256, prefix FROM tokens --", "%27%20OR%201=1", "..%2F..%2Fetc%2Fpasswd",
              "Y56' AND pg_sleep(5) --", "x" * 500, "\u202eQMJ", "$1", "?", "NULL"]
ENDPOINTS = {"/api/v1/metrics": ("vintage", "level", "area", "staff_group", "period", "sector"),
             "/api/v1/areas": ("vintage", "level"),
             "/api/v1/organisations": ("vintage", "icb", "region"),
             "/api/v1/gaps": ("vintage", "area"), "/api/v1/vintages": (),
             "/api/v1/projection": ("vintage", "level", "area", "staff_group", "year"),
             "/api/v1/audit": ("actor", "action", "limit"), "/api/v1/scenarios": (),
             "/api/v1/jobs": (), "/api/v1/assessments": (),
             "/api/v1/jobs/0123456789abcdef/results": ("area", "staff_group", "variable",
                                                       "statistic", "offset", "limit")}
PATHS = ("/api/v1/areas/{}", "/api/v1/organisations/{}", "/api/v1/scenarios/{}",
         "/api/v1/jobs/{}", "/api/v1/jobs/{}/results", "/api/v1/assessments/{}/files/x",
         "/api/v1/assessments/x/files/{}")
LEAKS = ("Traceback", "duckdb", "psycopg", "SELECT ", "sha256", "password_hash", "wfp_")


def _clean(answer: httpx.Response, sent: str = "") -> None:
    """No 500, and no internals in an error beyond what the request itself sent."""
    assert answer.status_code != 500, answer.text
    assert answer.status_code < 500 or answer.status_code == 503, answer.text
    text = answer.text
    if answer.status_code >= 400:
        for word in LEAKS:
            assert word not in text or word in sent, (word, text[:300])


@pytest.mark.parametrize("role", ["national", None])
def test_injection_in_every_query_parameter(server: Server, role: str | None) -> None:
    for path, names in ENDPOINTS.items():
        for name in names:
            for text in INJECTIONS:
                answer = server.get(role, path, params={name: text})
                _clean(answer, text)
                # refused (401: the public, where a token is needed), or (a filter of
                # the audit log) matching nothing
                assert answer.status_code in (401, 403, 404, 422) or (
                    answer.status_code == 200 and answer.json() == []), (path, name, text)


@pytest.mark.parametrize("role", ["national", "icb", None])
def test_injection_in_every_path_segment(server: Server, role: str | None) -> None:
    for pattern in PATHS:
        for text in INJECTIONS:
            answer = server.get(role, pattern.format(quote(text, safe="")))
            _clean(answer, text)
            assert answer.status_code in (401, 403, 404, 422), (pattern, text, answer.text)
    upload = server.client("national").post(
        "/api/v1/vintages/x'%3B%20DROP%20TABLE%20vintages%3B--/uploads",
        files={"files": ("a.csv", b"period\n")})
    _clean(upload)
    assert upload.status_code == 422
    assert server.get("national", "/api/v1/vintages").json()[0]["name"] == "demo"


@pytest.mark.parametrize("header", [
    "Bearer wfp_00000000_" + "A" * 43, "Bearer not-a-token", "Bearer", "Basic dXNlcjpwYXNz",
    "Bearer " + "x" * 5000, "wfp_00000000_" + "A" * 43,
])
def test_wrong_tokens_get_401(server: Server, header: str) -> None:
    for path in ("/api/v1/me", "/api/v1/metrics", "/api/v1/vintages"):
        answer = httpx.get(server.url + path, headers={"Authorization": header}, timeout=60)
        _clean(answer)
        assert answer.status_code == 401, (header[:30], path, answer.text)
        assert set(answer.json()) == {"detail"}


def test_a_revoked_token_gets_401_and_a_tampered_one_too(server: Server) -> None:
    for token in (server.revoked, server.tokens["national"][:-2] + "AA"):
        answer = httpx.get(server.url + "/api/v1/me",
                           headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert answer.status_code == 401
    assert server.get("national", "/api/v1/me").json()["user"] == "t-national"


def test_no_token_is_the_public_and_cannot_upload(server: Server) -> None:
    assert server.get(None, "/api/v1/me").json()["role"] == "public"
    answer = server.client(None).post("/api/v1/vintages/x/uploads",
                                      files={"files": ("a.csv", b"a\n")})
    assert answer.status_code == 401
    answer = server.client("region").post("/api/v1/vintages/x/uploads",
                                          files={"files": ("a.csv", b"a\n")})
    assert answer.status_code == 403


def test_an_oversized_upload_gets_413(server: Server) -> None:
    big = b"x" * (1024 * 1024 + 10)  # the test server's limit is 1 MB
    client = server.client("national")
    answer = client.post("/api/v1/vintages/big/uploads", files={"files": ("big.csv", big)})
    assert answer.status_code == 413
    assert set(answer.json()) == {"detail"}

    def chunks():  # no Content-Length: counted as it arrives
        boundary = b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.csv\""
        yield boundary + b"\r\n\r\n"
        for _ in range(20):
            yield b"y" * 65536
        yield b"\r\n--b--\r\n"

    streamed = client.post("/api/v1/vintages/big/uploads", content=chunks(),
                           headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert streamed.status_code == 413
    names = {v["name"] for v in server.get("national", "/api/v1/vintages").json()}
    assert "big" not in names


@pytest.mark.parametrize(("content_type", "body"), [
    ("multipart/form-data; boundary=zz", b"garbage without any boundary"),
    ("multipart/form-data", b"--zz\r\n\r\n"),
    ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data\r\n\r\nx"),
    ("application/json", b'{"files": 1}'),
    ("multipart/form-data; boundary=zz", b"--zz--\r\n"),
])
def test_malformed_multipart_is_refused_without_500(server: Server, content_type: str,
                                                    body: bytes) -> None:
    answer = server.client("national").post("/api/v1/vintages/m/uploads", content=body,
                                            headers={"Content-Type": content_type})
    _clean(answer)
    assert answer.status_code in (400, 422), answer.text


def test_token_brute_force_is_locked_out_and_others_still_work(demo_vintage, tmp_path) -> None:
    from live import start

    from wfplan.web.service import TOKEN_FAILURES

    own = start(str(demo_vintage.copy(tmp_path / "brute.duckdb")), tmp_path,
                token_failures=TOKEN_FAILURES)
    try:
        codes = []
        for number in range(TOKEN_FAILURES + 5):
            guess = f"wfp_{number:08x}_" + "A" * 43
            codes.append(httpx.get(own.url + "/api/v1/me", timeout=60,
                                   headers={"Authorization": f"Bearer {guess}"}).status_code)
        assert codes[:TOKEN_FAILURES] == [401] * TOKEN_FAILURES
        assert codes[-1] == 429
        good = {"Authorization": f"Bearer {own.tokens['national']}"}
        assert httpx.get(own.url + "/api/v1/me", headers=good, timeout=60).status_code == 429
        # the public, and other clients, are served as before
        assert httpx.get(own.url + "/api/v1/me", timeout=60).status_code == 200
        other = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=other, timeout=60) as client:
            answer = client.get(own.url + "/api/v1/me", headers=good)
        assert answer.status_code == 200
        assert answer.json()["user"] == "t-national"
    finally:
        own.stop()
