"""Fixtures of the dashboard tests: one real ``wfplan serve`` on the demo vintage, shared.

``dash_server`` runs the server (tests/service/live.py's ``start``) on a copy of the
session's demo DuckDB file, after adding an ICB user with a password for North
Central London (QMJ) to it (DuckDB: one process holds the file, so users and tokens
go in before the server starts). The tests using it are marked
``xdist_group("dashboard")`` so that one worker runs them all, on one server.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from service.live import ICB, Server, start
from wfplan.dataset import accounts
from wfplan.dataset.store import open_store

if TYPE_CHECKING:
    from conftest import DemoBuild, DemoBundle

#: The ICB user the dashboard tests log in as.
USER, PASSWORD = "dash-icb", "correct horse battery staple"


@dataclass
class Dashboard:
    """The running server, and the user with a password."""

    server: Server
    user: str = USER
    password: str = PASSWORD

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session")
def dash_server(demo_vintage: DemoBuild,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """A running ``wfplan serve`` on the demo vintage with an ICB user who has a password."""
    folder = tmp_path_factory.mktemp("dashboard")
    db = demo_vintage.copy(folder / "demo.duckdb")
    with open_store(db) as store:
        accounts.add_user(store, USER, f"icb:{ICB}", password=PASSWORD, actor="tests")
    running = start(str(db), folder, worker=False)
    try:
        yield Dashboard(running)
    finally:
        running.stop()


@pytest.fixture(scope="session")
def dash_bundle(dash_server: Dashboard, demo_bundle: DemoBundle) -> Path:
    """The demo assessment bundle, copied into the dashboard server's assessments folder.

    The server lists the folder on each request, so the copy is served at once. Read it only.
    """
    target = dash_server.server.log.parent / "results" / "assessments" / demo_bundle.bundle.name
    if not target.exists():
        shutil.copytree(demo_bundle.bundle, target)
    return target
