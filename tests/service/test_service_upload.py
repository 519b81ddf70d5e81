"""Uploads through the real server: the same ingest, 422 rows, transactions, 409 (issue 13)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from live import Server

    from conftest import Kit


def _vintage(server: Server, name: str) -> dict | None:
    found = [v for v in server.get("national", "/api/v1/vintages").json() if v["name"] == name]
    return found[0] if found else None


def test_an_upload_loads_and_is_audited(server: Server, kit: Kit) -> None:
    orgs = kit.org_csv(kit.tmp_path / "orgs.csv").read_bytes()
    staff = kit.sip_csv(kit.tmp_path / "staff.csv", 20).read_bytes()
    answer = server.client("national").post(
        "/api/v1/vintages/up-ok/uploads",
        files=[("files", ("orgs.csv", orgs)), ("files", ("staff.csv", staff))])
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert [f["file"] for f in body["files"]] == ["orgs.csv", "staff.csv"]
    assert body["files"][1]["rows"] == {"staff_in_post": 20}
    assert _vintage(server, "up-ok")["rows"] >= 20
    log = server.get("national", "/api/v1/audit", params={"action": "upload"}).json()
    assert any("up-ok" in r["detail"] and r["actor"] == "t-national" for r in log)
    again = server.client("national").post("/api/v1/vintages/up-ok/uploads",
                                           files=[("files", ("staff.csv", staff))])
    assert again.status_code == 201
    assert again.json()["files"][0]["status"] == "already loaded"


def test_a_bad_upload_answers_422_rows_and_writes_nothing(server: Server, kit: Kit) -> None:
    good = kit.sip_csv(kit.tmp_path / "good.csv", 10).read_bytes()
    lines = kit.sip_lines(3)
    lines[1] = lines[1].replace("nurses_health_visitors", "").replace("hchs_doctors", "")
    lines[2] = lines[2].replace(",female,", ",female,").rsplit(",", 2)[0] + ",-4,1.0"
    bad = ("\n".join([kit.SIP_HEADER, *lines]) + "\n").encode()
    answer = server.client("national").post(
        "/api/v1/vintages/up-bad/uploads",
        files=[("files", ("good.csv", good)), ("files", ("bad.csv", bad))])
    assert answer.status_code == 422, answer.text
    errors = answer.json()
    assert isinstance(errors, list)
    assert errors
    for error in errors:
        assert set(error) == {"file", "row", "column", "value", "rule", "place", "severity",
                              "rows"}
        assert error["severity"] == "error"
    assert answer.headers["X-Error-Count"] == str(len(errors))
    assert {e["place"] for e in errors} <= {"row 2 (line 3)", "row 3 (line 4)"}
    assert {e["file"] for e in errors} == {"bad.csv"}
    assert {e["row"] for e in errors} <= {2, 3}
    assert _vintage(server, "up-bad") is None  # nothing written, not even the vintage
    refused = server.get("national", "/api/v1/audit", params={"action": "upload.refused"}).json()
    assert any("up-bad" in r["detail"] for r in refused)


def test_an_unknown_format_answers_422(server: Server) -> None:
    answer = server.client("national").post(
        "/api/v1/vintages/up-odd/uploads", files={"files": ("../../etc/passwd", b"root:x:0:0\n")})
    assert answer.status_code == 422
    assert answer.json()[0]["rule"]
    assert "wfplan-upload" not in answer.text  # the server's folders are not shown
    assert _vintage(server, "up-odd") is None


def test_concurrent_uploads_into_one_vintage_serialise_or_get_409(server: Server,
                                                                    kit: Kit) -> None:
    bodies = [kit.sip_csv(kit.tmp_path / f"c{i}.csv", 400, org=f"RC{i}").read_bytes()
              for i in range(3)]
    statuses: list[int] = []

    def send(body: bytes, number: int) -> None:
        with httpx.Client(base_url=server.url, timeout=300, headers={
                "Authorization": f"Bearer {server.tokens['national']}"}) as client:
            statuses.append(client.post("/api/v1/vintages/up-race/uploads",
                                        files={"files": (f"c{number}.csv", body)}).status_code)

    threads = [threading.Thread(target=send, args=(b, i)) for i, b in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert len(statuses) == 3
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
    loaded = statuses.count(201)
    seeded = len(server.get("national", "/api/v1/areas", params={"vintage": "up-race"}).json())
    assert _vintage(server, "up-race")["rows"] == 400 * loaded + seeded


def test_metrics_see_a_new_upload_at_once(server: Server, kit: Kit) -> None:
    client = server.client("national")
    first = kit.sip_csv(kit.tmp_path / "one.csv", 20, org="RAA").read_bytes()
    assert client.post("/api/v1/vintages/up-fresh/uploads",
                       files={"files": ("one.csv", first)}).status_code == 201

    def england() -> float:
        answer = client.get("/api/v1/metrics", params={"vintage": "up-fresh"})
        assert answer.status_code == 200, answer.text
        return answer.json()["current_position"][0]["headcount"]

    before = england()
    assert england() == before  # the second read is the kept one
    second = kit.sip_csv(kit.tmp_path / "two.csv", 20, org="RBB").read_bytes()
    assert client.post("/api/v1/vintages/up-fresh/uploads",
                       files={"files": ("two.csv", second)}).status_code == 201
    assert england() > before
