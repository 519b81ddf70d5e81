"""The ``Server-Timing`` header of the dashboard's pages: the server's time for the page.

:class:`ServerTiming` is an ASGI middleware: for a page (any path outside ``/api/``
and ``/static/``) it adds ``Server-Timing: app;dur=MS`` to the response, the
milliseconds from the request reaching the app to the response's start, which for
a page is after every in-process API call and the rendering (the body is built
before it is sent). Browsers show it in their network panel; the area pages'
benchmark reads it (benchmarks/bench_area_page.py).
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Paths that are not pages: the API (which the pages call in-process) and static files.
NOT_PAGES = ("/api/", "/static/")


class ServerTiming:
    """ASGI middleware adding ``Server-Timing: app;dur=MS`` to every page's response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; time it if it is a page."""
        if scope["type"] != "http" or str(scope.get("path", "")).startswith(NOT_PAGES):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                ms = (time.perf_counter() - start) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"app;dur={ms:.1f}".encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed)
