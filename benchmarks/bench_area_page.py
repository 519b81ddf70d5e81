"""The dashboard's area pages: server time and loopback latency, p50/p95/max (issue 14).

Builds the demo vintage (not timed) into a DuckDB file, or copies a demo DuckDB file
(``--db FILE``), or builds it into a fresh schema of a PostgreSQL database
(``--db postgresql://...``, dropped afterwards); adds an ICB user for North Central
London (QMJ) with a password; starts ``wfplan serve`` on a free loopback port (one
process on DuckDB, ``--workers 2`` on PostgreSQL, as benchmarks/bench_api.py); logs
in through ``POST /login`` (the form's csrf field and cookie); warms each page
(:data:`WARM` requests, each on a new connection, so that every server process has
served it); then times ``--requests`` sequential GETs of each page, as the ICB user
and as the public, on one kept-alive connection each:

- the ICB page ``/area/icb/QMJ``, a region page ``/area/region/Y56``, the page of
  an organisation of QMJ (the first by code; the public is refused it, 403) and the
  England overview ``/``.

Each result also has ``first_server_ms``, the server time of its page's first request
(the first warm-up one): a fresh process computes the projection then (the ICB
projection for the first page that draws it; an organisation's own the first time
its page is asked for, the first organisation's also building the organisation-level
inputs). ``--first-orgs N`` then asks for the pages of the next N organisations of QMJ
(by code) once each, as the ICB user, and prints their server times as one more JSON
line (``first_org_requests``): each computes that organisation's projection.

"Server" is the page's own ``Server-Timing: app;dur=MS`` (wfplan.web.pages.timing:
from the request reaching the app to the response's start); "client" is the
loopback latency httpx sees. Prints a table, then one JSON line per page and
viewer. Every wait is bounded and the server is always stopped.

    python benchmarks/bench_area_page.py [--db postgresql://postgres@127.0.0.1:5432/test]
        [--requests 200] [--pages icb,region,org,england] [--warm 10] [--first-orgs 0]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from wfplan.dataset import accounts
from wfplan.dataset.demo import build_demo
from wfplan.dataset.store import open_store

#: The ICB and region of the pages, and the benchmark's ICB user.
ICB, REGION = "QMJ", "Y56"
USER, PASSWORD = "bench-icb", secrets.token_urlsafe(16)
#: Warm-up requests of each page and viewer, each on a new connection.
WARM = 10
#: Seconds: the server's start, one timed request, one warm-up request (a cold process
#: computes the tables first), the server's stop.
START_S, REQUEST_S, WARM_S, STOP_S = 120, 60, 600, 30
#: The target of issue 14: the area page's server time, p95, milliseconds.
TARGET_MS = 300.0
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
TIMING = re.compile(r"app;dur=([0-9.]+)")


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(db: str, workers: int, folder: Path) -> Iterator[str]:
    """Run ``wfplan serve`` on ``db``; yield its address; always stop it (bounded waits)."""
    port = _port()
    log = folder / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "wfplan.cli", "serve", "--db", db, "--port", str(port),
             "--workers", str(workers)], stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_S
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: {log.read_text()}")
            try:
                if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        yield url
    except BaseException:
        print(f"the server's log:\n{log.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_S)


def log_in(url: str) -> httpx.Client:
    """Return a client signed in as the ICB user through the log-in form."""
    client = httpx.Client(base_url=url, timeout=REQUEST_S)
    form = client.get("/login")
    found = CSRF.search(form.text)
    if form.status_code != 200 or found is None:
        raise SystemExit(f"no log-in form: {form.status_code}")
    answer = client.post("/login", data={"name": USER, "password": PASSWORD,
                                         "csrf": found.group(1)})
    if answer.status_code != 303 or "wfplan_session" not in client.cookies:
        raise SystemExit(f"log-in failed: {answer.status_code}")
    return client


def orgs_of_icb(url: str, token: str) -> list[str]:
    """Return the organisations of the ICB by code, from the API."""
    orgs = httpx.get(url + "/api/v1/organisations", timeout=WARM_S,
                     headers={"Authorization": f"Bearer {token}"}).json()
    return sorted(str(o["org_code"]) for o in orgs if o.get("icb_code") == ICB)


def server_ms(response: httpx.Response) -> float:
    """Return the response's ``Server-Timing: app;dur=MS``."""
    found = TIMING.search(response.headers.get("server-timing", ""))
    if found is None:
        raise SystemExit(f"{response.url}: no Server-Timing header ({response.status_code})")
    return float(found.group(1))


def timed(client: httpx.Client, path: str, n: int) -> dict[str, Any]:
    """GET ``path`` ``n`` times in a row; return p50/p95/max of server and client ms."""
    server, latency, statuses = [], [], set()
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(path)
        latency.append((time.perf_counter() - start) * 1000)
        server.append(server_ms(response))
        statuses.add(response.status_code)
    out: dict[str, Any] = {"path": path, "requests": n, "statuses": sorted(statuses)}
    for name, values in (("server", server), ("client", latency)):
        p50, p95 = np.percentile(values, [50, 95])
        out.update({f"{name}_p50_ms": round(float(p50), 1),
                    f"{name}_p95_ms": round(float(p95), 1),
                    f"{name}_max_ms": round(max(values), 1)})
    return out


def measure(url: str, n: int, only: set[str] | None = None, warm: int = WARM,
            first_orgs: int = 0) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Log in, warm every page and viewer, then time each; return a result per pair.

    ``only``: the pages to time (default all: icb, region, org, england). Also return
    the first request of ``first_orgs`` more organisations' pages (ICB user).
    """
    signed_in = log_in(url)
    public = httpx.Client(base_url=url, timeout=REQUEST_S)
    try:
        orgs = orgs_of_icb(url, signed_in.cookies["wfplan_session"])
        pages = {"icb": f"/area/icb/{ICB}", "region": f"/area/region/{REGION}",
                 "org": f"/area/org/{orgs[0]}", "england": "/"}
        pages = {k: v for k, v in pages.items() if only is None or k in only}
        viewers = {"icb-user": signed_in, "public": public}
        first: dict[tuple[str, str], float] = {}
        for viewer, client in viewers.items():
            for page, path in pages.items():
                for _ in range(warm):  # a new connection each: every process serves it
                    start = time.perf_counter()
                    response = httpx.get(url + path, cookies=client.cookies, timeout=WARM_S)
                    first.setdefault((viewer, page), server_ms(response))
                    print(f"warm {path}: {time.perf_counter() - start:.2f} s", file=sys.stderr)
        rows = [{"page": page, "viewer": viewer, "first_server_ms": first.get((viewer, page)),
                 **timed(client, path, n)}
                for viewer, client in viewers.items() for page, path in pages.items()]
        more = []
        for org in orgs[1:1 + first_orgs]:
            response = signed_in.get(f"/area/org/{org}", timeout=WARM_S)
            more.append({"org": org, "status": response.status_code,
                         "server_ms": server_ms(response)})
        return rows, more
    finally:
        signed_in.close()
        public.close()


@contextmanager
def demo_database(arg: str | None, folder: Path) -> Iterator[str]:
    """Yield the demo vintage's database (with the ICB user); drop a PostgreSQL schema after."""
    postgres = arg is not None and arg.startswith("postgresql")
    schema = f"wfplan_bench_area_{secrets.token_hex(4)}"
    db = f"{arg}?schema={schema}" if postgres else str(folder / "demo.duckdb")
    try:
        if arg is not None and not postgres:
            shutil.copyfile(arg, db)
        with open_store(db) as store:
            if arg is None or postgres:
                build_demo(store, workdir=folder / "files")
            accounts.add_user(store, USER, f"icb:{ICB}", password=PASSWORD, actor="bench")
        yield db
    finally:
        if postgres:
            import psycopg

            with psycopg.connect(str(arg), autocommit=True) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def table(rows: list[dict[str, Any]]) -> str:
    """Return the results as a small text table (milliseconds)."""
    lines = [f"{'engine':9} {'page':8} {'viewer':9} {'status':6} {'server p50/p95/max':>22}"
             f" {'client p50/p95/max':>22}"]
    for r in rows:
        server = f"{r['server_p50_ms']:.0f}/{r['server_p95_ms']:.0f}/{r['server_max_ms']:.0f}"
        client = f"{r['client_p50_ms']:.0f}/{r['client_p95_ms']:.0f}/{r['client_max_ms']:.0f}"
        status = ",".join(map(str, r["statuses"]))
        lines.append(f"{r['engine']:9} {r['page']:8} {r['viewer']:9} {status:6} {server:>22}"
                     f" {client:>22}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None,
                        help="a PostgreSQL URL, or a demo DuckDB file to copy "
                        "(default: build the demo into a DuckDB file)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warm", type=int, default=WARM,
                        help="warm-up requests of each page and viewer")
    parser.add_argument("--pages", default="icb,region,org,england",
                        help="the pages to time, comma-separated")
    parser.add_argument("--first-orgs", type=int, default=0,
                        help="then ask once for the pages of this many more organisations "
                        "of the ICB (each computes its projection)")
    args = parser.parse_args(argv)
    engine = "postgres" if args.db and args.db.startswith("postgresql") else "duckdb"
    with (tempfile.TemporaryDirectory() as tmp, demo_database(args.db, Path(tmp)) as db,
          serving(db, 2 if engine == "postgres" else 1, Path(tmp)) as url):
        load = os.getloadavg()[0]
        rows, more = measure(url, args.requests, set(args.pages.split(",")), args.warm,
                             args.first_orgs)
    after = os.getloadavg()[0]
    for row in rows:
        row.update(engine=engine, load_before=load, load_after=after,
                   target_met=row["server_p95_ms"] <= TARGET_MS)
    print(table(rows))
    print(f"load average {load:.2f} -> {after:.2f}; target: server p95 <= {TARGET_MS:.0f} ms")
    for row in rows:
        print(json.dumps(row))
    if more:
        print(json.dumps({"first_org_requests": more, "engine": engine}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
