"""The service's state: its settings and the stores its requests share.

A DuckDB file takes one writer process, so the service holds one store on it
and runs one request's database work at a time (DuckDB connections are not
shared between threads). A PostgreSQL database gets :attr:`Settings.stores`
stores, each with its own connections, so that several requests run at once
(and several service processes can share the database). A request that
cannot get a store within :attr:`Settings.store_wait_s` gets 503.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wfplan.dataset.store import PostgresStore, Store, default_db, is_postgres_url, open_store
from wfplan.web.cache import CHECK_S
from wfplan.web.worker import ASSESSMENTS, WorkerSettings, default_results

#: Default largest upload, in bytes (200 MB).
MAX_UPLOAD_BYTES = 200 * 1024 * 1024
#: Environment variables ``wfplan serve`` hands its settings over in (to uvicorn's workers).
ENV_DB = "WFPLAN_DB"
ENV_MAX_UPLOAD = "WFPLAN_MAX_UPLOAD_BYTES"
#: Bad tokens a client may send per minute before it is locked out (:mod:`wfplan.web.throttle`).
ENV_TOKEN_FAILURES = "WFPLAN_TOKEN_FAILURES"  # noqa: S105 - a variable's name, not a secret
TOKEN_FAILURES = 10
#: Where job results go, whether to run a worker in the process, its stale timeout,
#: and the per-query time limit of requests (PostgreSQL ``statement_timeout``).
ENV_RESULTS = "WFPLAN_RESULTS"
ENV_WORKER = "WFPLAN_WORKER"
ENV_STALE_S = "WFPLAN_STALE_S"
ENV_STATEMENT_TIMEOUT_S = "WFPLAN_STATEMENT_TIMEOUT_S"
#: Seconds between a process's checks of data versions and revocations (:mod:`wfplan.web.cache`).
ENV_CACHE_CHECK_S = "WFPLAN_CACHE_CHECK_S"
#: Seconds a request's query may run on PostgreSQL before it is cancelled (503).
STATEMENT_TIMEOUT_S = 60.0
#: Draws and seed of the baseline projection of ``/api/v1/projection`` (its fan charts).
ENV_PROJECTION_DRAWS = "WFPLAN_PROJECTION_DRAWS"
ENV_PROJECTION_SEED = "WFPLAN_PROJECTION_SEED"
#: Its draws by default: enough for steady P5 and P95 (wfplan assumption), computed in seconds.
PROJECTION_DRAWS = 100


class StoreUnavailable(Exception):
    """No store came free in time (the service is overloaded)."""


@dataclass(frozen=True)
class Settings:
    """How the service runs.

    Attributes
    ----------
    db : str
        The database (a DuckDB file or a PostgreSQL URL).
    max_upload_bytes : int
        The largest request body an upload may have; a larger one gets 413.
    stores : int
        Stores kept open on a PostgreSQL database (1 on DuckDB).
    store_wait_s : float
        Seconds a request waits for a store before 503.
    token_failures : int
        Bad tokens a client may send within a minute before it is locked out.
    results : str or None
        The folder job results are kept under (default: beside a DuckDB file, else
        ``./wfplan-results``; :func:`wfplan.web.worker.default_results`).
    worker : bool
        Whether the process runs a worker thread for the jobs.
    stale_s : float
        Seconds without a heartbeat after which a running job's worker is taken as dead.
    statement_timeout_s : float
        Seconds a request's query may run on PostgreSQL (0: no limit); the worker's
        queries have no limit.
    cache_check_s : float
        Seconds between two checks, per process, of the data versions and of token
        revocations (:mod:`wfplan.web.cache`): another process's load or a revocation
        is seen within this time.
    projection_draws : int
        Draws of the baseline projection ``/api/v1/projection`` serves.
    projection_seed : int or None
        Its seed (None: the baseline scenario's own, 20240601).
    """

    db: str
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    stores: int = 4
    store_wait_s: float = 30.0
    token_failures: int = TOKEN_FAILURES
    results: str | None = None
    worker: bool = True
    stale_s: float = 120.0
    statement_timeout_s: float = STATEMENT_TIMEOUT_S
    cache_check_s: float = CHECK_S
    projection_draws: int = PROJECTION_DRAWS
    projection_seed: int | None = None

    @classmethod
    def from_environment(cls) -> Settings:
        """Return the settings ``wfplan serve`` put in the environment."""
        size = os.environ.get(ENV_MAX_UPLOAD, "")
        failures = os.environ.get(ENV_TOKEN_FAILURES, "")
        draws, seed = (os.environ.get(name, "") for name in (ENV_PROJECTION_DRAWS,
                                                             ENV_PROJECTION_SEED))
        return cls(default_db(None), int(size) if size.isdigit() else MAX_UPLOAD_BYTES,
                   token_failures=int(failures) if failures.isdigit() else TOKEN_FAILURES,
                   results=os.environ.get(ENV_RESULTS) or None,
                   worker=os.environ.get(ENV_WORKER, "1") != "0",
                   stale_s=float(os.environ.get(ENV_STALE_S) or 120.0),
                   statement_timeout_s=float(os.environ.get(ENV_STATEMENT_TIMEOUT_S)
                                             or STATEMENT_TIMEOUT_S),
                   cache_check_s=float(os.environ.get(ENV_CACHE_CHECK_S) or CHECK_S),
                   projection_draws=int(draws) if draws.isdigit() else PROJECTION_DRAWS,
                   projection_seed=int(seed) if seed.isdigit() else None)

    def assessments_folder(self) -> Path:
        """Return the folder of the assessment bundles served: ``RESULTS/assessments``."""
        return self.worker_settings().results / ASSESSMENTS

    def worker_settings(self) -> WorkerSettings:
        """Return the settings of this process's worker (and of the results it serves)."""
        results = Path(self.results) if self.results else default_results(self.db)
        return WorkerSettings(self.db, results, stale_s=self.stale_s)


class Stores:
    """The open stores of the service, lent to one request at a time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        count = settings.stores if is_postgres_url(settings.db) else 1
        self._free: queue.Queue[Store] = queue.Queue()
        self._all: list[Store] = []
        for _ in range(count):
            store = (PostgresStore(settings.db, statement_timeout_s=settings.statement_timeout_s)
                     if is_postgres_url(settings.db) else open_store(settings.db))
            self._all.append(store)
            self._free.put(store)

    @contextmanager
    def lend(self) -> Iterator[Store]:
        """Lend a store for the block (waiting up to ``store_wait_s``).

        Raises
        ------
        StoreUnavailable
            If none came free in time.
        """
        try:
            store = self._free.get(timeout=self.settings.store_wait_s)
        except queue.Empty:
            raise StoreUnavailable("the service is busy; try again shortly") from None
        try:
            yield store
        finally:
            self._free.put(store)

    def close(self) -> None:
        """Close every store."""
        for store in self._all:
            store.close()
        self._all.clear()
