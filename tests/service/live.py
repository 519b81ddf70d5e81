"""A real ``wfplan serve`` in a subprocess on a free loopback port, with a token per role."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from wfplan.dataset import accounts
from wfplan.dataset.store import open_store
from wfplan.dataset.store.queries.geography import placements
from wfplan.report.render import PARALLEL_ENV as RENDER_PARALLEL

#: The scopes the tests sign in as: London region, North Central London ICB, one of its orgs.
REGION, ICB = "Y56", "QMJ"
#: Seconds the server has to start (every wait below is bounded).
START_S = 120
STOP_S = 20


def free_port() -> int:
    """Return a loopback port free now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Codes:
    """Codes inside and outside each scope, found in the demo vintage."""

    org: str
    org_same_region: str
    org_other_region: str
    icb_other_region: str
    region_other: str


@dataclass
class Server:
    """A running server: its address, tokens by role, the codes, its database."""

    url: str
    db: str
    tokens: dict[str, str]
    codes: Codes
    revoked: str
    process: subprocess.Popen[bytes]
    log: Path
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    #: A ``wfplan worker`` beside a server started without its own (PostgreSQL).
    worker: subprocess.Popen[bytes] | None = None

    def client(self, role: str | None) -> httpx.Client:
        """Return a client signed in as ``role`` (None: the public, without a token)."""
        key = role or "public"
        if key not in self.clients:
            headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
            self.clients[key] = httpx.Client(base_url=self.url, headers=headers, timeout=120)
        return self.clients[key]

    def get(self, role: str | None, path: str, **kwargs: Any) -> httpx.Response:
        """GET ``path`` as ``role``, of vintage 'demo' unless the parameters name another.

        (The upload tests add vintages, which would otherwise become the default one.)
        """
        params = {"vintage": "demo", **(kwargs.pop("params", None) or {})}
        return self.client(role).get(path, params=params, **kwargs)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after :data:`STOP_S`) and close the clients."""
        for client in self.clients.values():
            client.close()
        for process in (self.worker,):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(STOP_S)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_S)


def _codes(db: str) -> Codes:
    with open_store(db) as store:
        placed = placements(store, "demo", store.scalar(
            "SELECT max(period) FROM staff_in_post WHERE vintage = 'demo'"))
    placed = placed.dropna(subset=["icb_code", "region_code"]).sort_values("org_code")
    inside = placed[placed["icb_code"] == ICB]
    same_region = placed[(placed["region_code"] == REGION) & (placed["icb_code"] != ICB)]
    other = placed[placed["region_code"] != REGION]
    return Codes(org=str(inside["org_code"].iat[0]),
                 org_same_region=str(same_region["org_code"].iat[0]),
                 org_other_region=str(other["org_code"].iat[0]),
                 icb_other_region=str(other["icb_code"].iat[0]),
                 region_other=str(other["region_code"].iat[0]))


def prepare(db: str) -> tuple[dict[str, str], str, Codes]:
    """Add a user and a token per role (and a revoked token); return them and the codes."""
    codes = _codes(db)
    roles = {"national": "national", "region": f"region:{REGION}", "icb": f"icb:{ICB}",
             "org": f"org:{codes.org}"}
    tokens = {}
    with open_store(db) as store:
        for name, role in roles.items():
            accounts.add_user(store, f"t-{name}", role, actor="tests")
            tokens[name] = accounts.create_token(store, f"t-{name}", days=1, actor="tests")
        revoked = accounts.create_token(store, "t-national", actor="tests")
        accounts.revoke_token(store, revoked, actor="tests")
    return tokens, revoked, codes


#: Seconds without a heartbeat after which the tests' workers recover a job.
STALE_S = 5


def start_worker(db: str, folder: Path) -> subprocess.Popen[bytes]:
    """Run ``wfplan worker`` on ``db`` with the tests' results folder (log in ``folder``)."""
    log = folder / f"worker-{free_port()}.log"
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "wfplan.cli", "worker", "--db", db, "--results",
             str(folder / "results"), "--stale-after", str(STALE_S)],
            stdout=sink, stderr=subprocess.STDOUT, env=service_env())


def service_env() -> dict[str, str]:
    """The environment of a server or worker: the tests', less what a deployment lacks.

    Without ``$WFPLAN_DB`` (the server takes ``--db``), and rendering reports as a
    deployment does (in two processes where it can): the suite's own processes render
    in one (tests/conftest.py).
    """
    return {k: v for k, v in os.environ.items() if k not in ("WFPLAN_DB", RENDER_PARALLEL)}


def start(db: str, folder: Path, *, max_upload_mb: int = 1,
          token_failures: int = 1_000_000, again: Server | None = None,
          worker: bool = True, extra: tuple[str, ...] = ()) -> Server:
    """Run ``wfplan serve`` on ``db`` and wait until it answers; add tokens first.

    The shared servers allow any number of bad tokens (the security tests send many);
    the brute-force test starts its own with the default limit. ``again``: restart a
    stopped server on its database, with its tokens.
    """
    tokens, revoked, codes = (again.tokens, again.revoked, again.codes) if again else prepare(db)
    port = free_port()
    log = folder / f"serve-{port}.log"
    env = service_env()
    env["WFPLAN_TOKEN_FAILURES"] = str(token_failures)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "wfplan.cli", "serve", "--db", db, "--port", str(port),
             "--max-upload-mb", str(max_upload_mb), "--results", str(folder / "results"),
             "--stale-after", str(STALE_S), "--worker" if worker else "--no-worker", *extra],
            stdout=sink, stderr=subprocess.STDOUT,
            env=env)
    server = Server(f"http://127.0.0.1:{port}", db, tokens, codes, revoked, process, log)
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"wfplan serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{server.url}/api/v1/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"wfplan serve did not answer within {START_S} s: {log.read_text()}")
