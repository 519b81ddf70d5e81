"""The pages' ``Server-Timing`` header (the server's time for the page; not the API's)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from service.live import ICB

pytestmark = pytest.mark.xdist_group("dashboard")
TIMING = re.compile(r"^app;dur=([0-9]+\.[0-9])$")


def _server_ms(response: httpx.Response) -> float:
    found = TIMING.match(response.headers.get("server-timing", ""))
    assert found is not None, response.headers.get("server-timing")
    return float(found.group(1))


@pytest.mark.parametrize("path", ["/", f"/area/icb/{ICB}", "/area/region/Y56", "/login"])
def test_a_page_says_its_server_time_which_is_within_the_client_s(dash_server, path) -> None:
    with httpx.Client(base_url=dash_server.url, timeout=60) as client:
        start = time.perf_counter()
        response = client.get(path)
        elapsed_ms = (time.perf_counter() - start) * 1000
    assert response.status_code == 200
    assert 0 < _server_ms(response) <= elapsed_ms


def test_an_error_page_is_timed_too(dash_server) -> None:
    response = httpx.get(f"{dash_server.url}/area/org/{dash_server.server.codes.org}", timeout=60)
    assert response.status_code == 403
    assert _server_ms(response) > 0


@pytest.mark.parametrize("path", ["/api/v1/health", "/api/v1/areas",
                                  "/static/vendor/nhsuk-frontend/dist/nhsuk/nhsuk-frontend.min.js"])
def test_the_api_and_static_files_have_no_server_timing(dash_server, path) -> None:
    response = httpx.get(f"{dash_server.url}{path}", timeout=60)
    assert response.status_code == 200
    assert "server-timing" not in response.headers
