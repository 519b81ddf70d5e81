"""Load benchmark of the service: 50 connections on /api/v1/metrics for 30 s, with wrk (issue 13).

Builds the demo vintage (not timed) into a DuckDB file, or into a fresh schema of a
PostgreSQL database (``--db URL``, dropped afterwards), starts ``wfplan serve``
on a free loopback port (``--workers 2`` on PostgreSQL), makes a national token,
warms the endpoint (:data:`WARM` requests, so that each server process has
answered once: the load measures the steady state), then runs Debian's ``wrk``
(``apt-get install wrk``; the script says so if it is missing) with 50 connections
for ``--seconds``. It prints p50 and p99 latency, requests per second and errors
(non-2xx and socket, also counted by HTTP status and by socket error kind); the
last line is JSON. Every wait is bounded.

    python benchmarks/bench_api.py [--db postgresql://postgres@127.0.0.1:5432/test]
        [--seconds 30] [--connections 50] [--path /api/v1/metrics?level=icb]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from wfplan.dataset import accounts
from wfplan.dataset.demo import build_demo
from wfplan.dataset.store import open_store

LUA = """
local threads = {}
setup = function(thread) table.insert(threads, thread) end
response = function(status, headers, body)
  local name = "s" .. status
  _G[name] = (_G[name] or 0) + 1
end
done = function(summary, latency, requests)
  io.write(string.format("SOCKET %d %d %d %d\\n", summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout))
  for code = 100, 599 do
    local n = 0
    for _, thread in ipairs(threads) do n = n + (thread:get("s" .. code) or 0) end
    if n > 0 then io.write(string.format("STATUS %d %d\\n", code, n)) end
  end
  io.write(string.format("RESULT %d %d %d %d %d %d %f %f\\n", summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(99), summary.duration,
    latency.mean, latency.max))
end
"""

#: Requests sent before the load, each on its own connection (uvicorn's processes share the
#: socket, so with 2 processes the chance that one of them gets none is 2 x 2^-20).
WARM = 20


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(db: str, workers: int, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    log = (folder / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "wfplan.cli", "serve", "--db", db,
                                "--port", str(port), "--workers", str(workers)],
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit(f"the server did not start: {(folder / 'serve.log').read_text()}")


def _wrk(url: str, token: str, args: argparse.Namespace, folder: Path) -> dict[str, float]:
    script = folder / "report.lua"
    script.write_text(LUA)
    done = subprocess.run(
        ["wrk", "-t", "2", "-c", str(args.connections), "-d", f"{args.seconds}s",
         "--timeout", "10s", "--latency", "-s", str(script), "-H",
         f"Authorization: Bearer {token}", url + args.path],
        capture_output=True, text=True, timeout=args.seconds + 60, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT"))
    requests, socket_errors, status_errors, p50, p99, duration, _, _ = line.split()[1:]
    statuses = {int(x.split()[1]): int(x.split()[2]) for x in done.stdout.splitlines()
                if x.startswith("STATUS")}
    kinds = next(x for x in done.stdout.splitlines() if x.startswith("SOCKET")).split()[1:]
    return {"requests": int(requests), "errors": int(socket_errors) + int(status_errors),
            "socket_errors": dict(zip(("connect", "read", "write", "timeout"),
                                      map(int, kinds), strict=True)),
            "statuses": statuses,
            "p50_ms": int(p50) / 1000, "p99_ms": int(p99) / 1000,
            "requests_per_s": int(requests) / (int(duration) / 1e6)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=None, help="a PostgreSQL URL (default: a DuckDB file)")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--path", default="/api/v1/metrics?level=icb")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        schema = f"wfplan_bench_api_{secrets.token_hex(4)}"
        db = f"{args.db}?schema={schema}" if args.db else str(folder / "demo.duckdb")
        try:
            with open_store(db) as store:
                build_demo(store, workdir=folder / "files")
                accounts.add_user(store, "bench", "national", actor="bench")
                token = accounts.create_token(store, "bench", actor="bench")
            process, url = _serve(db, 2 if args.db else 1, folder)
            try:
                for _ in range(WARM):  # each on a new connection, so every process answers one
                    warm = httpx.get(url + args.path, timeout=600,
                                     headers={"Authorization": f"Bearer {token}"})
                    warm.raise_for_status()
                load = os.getloadavg()[0]
                result = _wrk(url, token, args, folder)
            finally:
                process.send_signal(signal.SIGTERM)
                process.wait(30)
        finally:
            if args.db:
                import psycopg

                with psycopg.connect(args.db, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # type: ignore[call-overload]
    result.update(engine="postgres" if args.db else "duckdb", load_before=load,
                  load_after=os.getloadavg()[0], connections=args.connections,
                  seconds=args.seconds, path=args.path)
    print(f"{result['engine']}: p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
          f"{result['requests_per_s']:.0f} requests/s, {result['errors']} errors")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
