"""The service's worker: claims queued jobs from the store and runs them.

``wfplan serve`` runs one in a thread of the server process (unless
``--no-worker``); ``wfplan worker`` runs one more, in its own process, on the
same PostgreSQL database. A worker, in a loop until it is stopped:

1. puts back in the queue (once) or fails the jobs whose worker stopped sending
   heartbeats (:func:`wfplan.dataset.store.queries.jobs.recover`);
2. claims the oldest queued job (:func:`wfplan.dataset.store.queries.jobs.claim`);
3. runs it, with a heartbeat thread recording its progress every
   :attr:`WorkerSettings.beat_s`; a projection runs through
   :func:`wfplan.runs.project.project` and is written by
   :func:`wfplan.runs.outputs.write_results`, exactly as ``wfplan project --out``
   does, to ``RESULTS/JOB_ID/projection.parquet``, whose SHA-256 is kept with the job;
   a sensitivity analysis runs through :func:`wfplan.runs.sensitivity.sensitivity`, as
   ``wfplan sensitivity`` does, to ``RESULTS/JOB_ID/sensitivity.json``
   (:mod:`wfplan.web.sensitivity_job`); an assessment through
   :func:`wfplan.assessment.bundle.assess`, as ``wfplan assess --out`` does, to the
   bundle ``RESULTS/assessments/assessment-JOB_ID``, whose ``manifest.json``'s
   SHA-256 is kept (:mod:`wfplan.web.assessment_job`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from wfplan.dataset.store import Store, open_store
from wfplan.dataset.store.queries import jobs
from wfplan.errors import InputError

log = logging.getLogger("wfplan.worker")

#: The result file of a projection job, inside the job's folder.
PROJECTION_FILE = "projection.parquet"
#: The folder, under the results folder, of the assessment bundles the service serves.
ASSESSMENTS = "assessments"
#: Seconds without a heartbeat after which a running job's worker is taken as dead.
STALE_S = 120.0
#: Seconds between a worker's polls of an empty queue.
POLL_S = 1.0
#: Least seconds between two records of a running job's progress.
PROGRESS_GAP_S = 0.25
#: Called with the progress (0 to 1) and what the job is doing.
ProgressNote = Callable[[float, str], None]


@dataclass(frozen=True)
class WorkerSettings:
    """How a worker runs.

    Attributes
    ----------
    db : str
        The database (a DuckDB file or a PostgreSQL URL).
    results : Path
        The folder job results are written under (shared by every worker and server).
    stale_s : float
        Seconds without a heartbeat after which a running job is recovered.
    poll_s : float
        Seconds between polls of an empty queue.
    """

    db: str
    results: Path
    stale_s: float = STALE_S
    poll_s: float = POLL_S

    @property
    def beat_s(self) -> float:
        """Seconds between heartbeats: a quarter of the stale timeout."""
        return max(self.stale_s / 4, 0.1)


def default_results(db: str) -> Path:
    """Return the default results folder: beside a DuckDB file, else ``./wfplan-results``."""
    from wfplan.dataset.store import is_postgres_url

    return Path("wfplan-results") if is_postgres_url(db) else Path(f"{db}.results")


class _Progress:
    """The running job's progress, shared by the job and its heartbeat thread."""

    def __init__(self) -> None:
        self.fraction = 0.0
        self.message = "starting"
        self.lock = threading.Lock()
        #: Set when the job moves on, so the heartbeat records it without waiting.
        self.changed = threading.Event()

    def set(self, fraction: float, message: str) -> None:
        with self.lock:
            self.fraction, self.message = max(self.fraction, fraction), message
        self.changed.set()

    def get(self) -> tuple[float, str]:
        with self.lock:
            return self.fraction, self.message


class Worker:
    """A loop that claims and runs jobs until :meth:`stop`."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.name = f"{socket.gethostname()}:{os.getpid()}:{jobs.new_id()[:6]}"
        self._stopped = threading.Event()
        self._lock = threading.Lock()  # the bookkeeping store, used by two threads

    def stop(self) -> None:
        """Ask the loop to stop (after the job in hand)."""
        self._stopped.set()

    def run_forever(self) -> None:
        """Claim and run jobs until stopped; a failure of the loop itself is logged, not fatal."""
        with open_store(self.settings.db) as books, open_store(self.settings.db) as data:
            while not self._stopped.is_set():
                try:
                    if not self.run_once(books, data):
                        self._stopped.wait(self.settings.poll_s)
                except Exception:
                    log.exception("worker %s: the job loop failed; retrying", self.name)
                    self._stopped.wait(self.settings.poll_s)

    def run_once(self, books: Store, data: Store) -> bool:
        """Recover stale jobs, then claim and run one; return whether one was run."""
        with self._lock:
            jobs.recover(books, self.settings.stale_s)
            claimed = jobs.claim(books, self.name)
        if claimed is None:
            return False
        progress = _Progress()
        done = threading.Event()
        beating = threading.Thread(target=self._beat, args=(books, claimed, progress, done),
                                   daemon=True)
        beating.start()
        try:
            path, digest = self._run(data, claimed, progress)
        except InputError as error:
            reason = str(error)
        except Exception as error:  # a job's bug must not stop the worker
            log.exception("worker %s: job %s failed", self.name, claimed.job_id)
            reason = f"internal error: {type(error).__name__} (logged by the worker)"
        else:
            self._end(done, progress, beating, lambda: jobs.finish(
                books, claimed.job_id, self.name, path, digest, _attempt(claimed, "done")))
            return True
        self._end(done, progress, beating,
                  lambda: jobs.fail(books, claimed.job_id, self.name, reason))
        return True

    def _end(self, done: threading.Event, progress: _Progress, beating: threading.Thread,
             record: Callable[[], None]) -> None:
        done.set()
        progress.changed.set()  # wake the heartbeat to see that the job is done
        beating.join()
        with self._lock:
            record()

    def _beat(self, books: Store, claimed: jobs.Claimed, progress: _Progress,
              done: threading.Event) -> None:
        """Record the job's progress when it changes, and at least every ``beat_s``.

        Changes are recorded at most every :data:`PROGRESS_GAP_S`; the record every
        ``beat_s`` is the heartbeat that shows the worker is alive.
        """
        while not done.is_set():
            progress.changed.wait(self.settings.beat_s)
            progress.changed.clear()
            if done.is_set():
                return
            fraction, message = progress.get()
            try:
                with self._lock:
                    jobs.beat(books, claimed.job_id, self.name, fraction,
                              _attempt(claimed, message))
            except Exception:
                log.exception("worker %s: heartbeat of job %s failed", self.name,
                              claimed.job_id)
            done.wait(PROGRESS_GAP_S)

    def _run(self, data: Store, claimed: jobs.Claimed, progress: _Progress) -> tuple[str, str]:
        from wfplan.web.assessment_job import assessment_to
        from wfplan.web.sensitivity_job import sensitivity_to

        runners = {"project": project_to, "sensitivity": sensitivity_to,
                   "assess": assessment_to}
        if claimed.kind not in runners:
            raise InputError(f"jobs of kind {claimed.kind!r} are not run by this wfplan yet")
        folder = self.settings.results / claimed.job_id
        folder.mkdir(parents=True, exist_ok=True)
        written = runners[claimed.kind](data, claimed, folder, progress.set)
        digest = hashlib.sha256(written.read_bytes()).hexdigest()
        return written.relative_to(self.settings.results).as_posix(), digest


def _attempt(claimed: jobs.Claimed, message: str) -> str:
    """Say which attempt a job is on, when it is not its first (its worker died before)."""
    if claimed.attempts <= 1:
        return message
    return (f"{message} (attempt {claimed.attempts}: the worker of the attempt before "
            "stopped sending heartbeats)")


def project_to(store: Store, claimed: jobs.Claimed, folder: Path,
               note: ProgressNote) -> Path:
    """Run the job's scenario as ``wfplan project --out`` does; return the Parquet file."""
    import tomllib

    from wfplan.runs.outputs import write_results
    from wfplan.runs.project import combined, project

    name = str(tomllib.loads(claimed.config).get("name", "scenario"))
    source = folder / "scenario.toml"
    source.write_text(claimed.config, encoding="utf-8")
    note(0.05, f"{name}: reading the scenario")

    def progress(text: str, done: int, total: int) -> None:
        steps = {"building": 0.1, "projecting": 0.4}
        share = next((v for k, v in steps.items() if k in text), 0.9)
        note(min((done + share) / max(total, 1), 0.95), text)

    runs = project(store, [source], draws=claimed.draws, seed=claimed.seed, progress=progress)
    table, metadata = combined(store, runs)
    note(0.95, "writing the results")
    path = folder / PROJECTION_FILE
    write_results(table, path, metadata)
    return path


def start_thread(settings: WorkerSettings) -> tuple[Worker, threading.Thread]:
    """Start a worker in a daemon thread of this process; return it and its thread."""
    worker = Worker(settings)
    thread = threading.Thread(target=worker.run_forever, name="wfplan-worker", daemon=True)
    thread.start()
    return worker, thread
