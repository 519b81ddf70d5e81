"""The pages' only way to data: the service's own REST API, called in-process.

A page handler never opens a store or runs a query: it calls ``/api/v1/...``
through :class:`Api`, an ``httpx.AsyncClient`` on an ``httpx.ASGITransport`` of the
same app, with the visitor's session token as ``Authorization: Bearer`` (none for
the public). Scoping, disclosure control, audit, throttling and caching are
therefore exactly the API's. The transport carries the visitor's own address, so
the API's token throttle counts each visitor apart (not every page as 127.0.0.1).

An API answer of 403 or 404 becomes :class:`PageError` with that status (the page
shows an error page and no data); any other failure is a 502 page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from types import TracebackType
from typing import Any

import httpx
from fastapi import Request

#: The base address of the in-process calls (never resolved: the transport is the app).
BASE_URL = "http://wfplan"
#: Statuses of the API passed on to the page as they are.
PASSED_ON = (401, 403, 404)


class PageError(Exception):
    """A page that cannot be shown: its HTTP status and a sentence for the visitor."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Api:
    """An in-process client of the service's API, as one visitor (``async with``)."""

    def __init__(self, request: Request, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = (request.client.host, request.client.port) if request.client else (
            "127.0.0.1", 0)
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=request.app, client=client),
            base_url=BASE_URL, headers=headers, timeout=120)

    async def __aenter__(self) -> Api:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        await self._client.aclose()

    async def get(self, path: str, **params: Any) -> Any:
        """Return the JSON of ``GET /api/v1{path}`` with ``params`` (None values left out).

        Raises
        ------
        PageError
            With the API's status for 401, 403 and 404 (and its ``detail``); 502 for
            any other failure.
        """
        query = {k: v for k, v in params.items() if v is not None}
        response = await self._client.get(f"/api/v1{path}", params=query)
        if response.status_code == 200:
            return response.json()
        raise _failure(response)

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        """Return the status and JSON of ``POST /api/v1{path}`` with the JSON ``body``.

        A 2xx answer, or a 422 whose body is a list (a scenario's problems, each a
        row), is returned; any other failure is raised as :meth:`get` raises it.
        """
        response = await self.send(path, body)
        if response.is_success or (response.status_code == 422
                                   and isinstance(response.json(), list)):
            return response.status_code, response.json()
        raise _failure(response)

    async def send(self, path: str, body: Any) -> httpx.Response:
        """Return the API's answer to ``POST /api/v1{path}`` with the JSON ``body``, as it is."""
        return await self._client.post(f"/api/v1{path}", json=body)

    async def status(self, path: str, **params: Any) -> int:
        """Return only the status of ``GET /api/v1{path}`` (to ask whether a page may be shown)."""
        query = {k: v for k, v in params.items() if v is not None}
        return (await self._client.get(f"/api/v1{path}", params=query)).status_code


def _failure(response: httpx.Response) -> PageError:
    """Return the page's error for a failed API answer (401, 403, 404 passed on; 422 is 400)."""
    detail = _detail(response)
    if response.status_code in PASSED_ON:
        return PageError(response.status_code, detail)
    if response.status_code == 422:
        return PageError(400, detail)
    return PageError(502, f"the service could not answer ({response.status_code}): {detail}")


def _detail(response: httpx.Response) -> str:
    """Return the API's ``detail`` sentence (a list of validation errors joined)."""
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:200]
    if isinstance(detail, list):
        return "; ".join(str(item.get("msg", item)) for item in detail if isinstance(item, dict))
    return str(detail)


async def together(*calls: Awaitable[Any]) -> list[Any]:
    """Await API calls at once; return their answers in order, or raise the first failure.

    Every call runs to its end, failed or not (none is cancelled half-way through the
    API, nor left running on a closed client); then the first failure is raised as
    itself (a :class:`PageError` stays one).
    """
    answers = await asyncio.gather(*calls, return_exceptions=True)
    for answer in answers:
        if isinstance(answer, BaseException):
            raise answer
    return list(answers)
