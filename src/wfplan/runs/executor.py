"""Where many independent model runs execute: this process, a local process pool, or Dask.

A sweep's variants and a tornado's points are independent runs of the model
on inputs built once. :func:`open_executor` returns an :class:`Executor` whose
:meth:`~Executor.map` calls ``func(shared, item)`` for every item and returns
the results in the items' order, whatever ran them:

- ``local`` (the default): a pool of ``workers`` processes on this machine
  (:class:`concurrent.futures.ProcessPoolExecutor`, started by ``spawn``); one
  worker runs the items in this process, with no pool;
- ``local-cluster``: a :class:`dask.distributed.LocalCluster` of ``workers``
  single-threaded worker processes, started for the run and closed after it;
- ``tcp://HOST:PORT`` (or ``tls://``): the Dask scheduler of a running cluster
  (``dask scheduler`` and ``dask worker``, docs/scale.md).

``shared`` (the model inputs) is sent once to each worker, not with every
item: to each pool process when it starts, and to every Dask worker by
:meth:`distributed.Client.scatter` with ``broadcast=True``. Nothing an item
computes depends on the worker or the order it runs in, so the results are the
same bits on every executor (a variant's seed is its own, see
:mod:`wfplan.runs.sweep`).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from wfplan.errors import InputError

if TYPE_CHECKING:  # the model loads on first use (the CLI imports this module)
    from wfplan.model import ModelInputs, Results, Scenario

S = TypeVar("S")
T = TypeVar("T")
R = TypeVar("R")
#: Called with the items done and the items in all.
Progress = Callable[[int, int], None]
#: The scheduler names besides a Dask address.
LOCAL, LOCAL_CLUSTER = "local", "local-cluster"
SCHEDULER_HELP = ("Where the runs execute: 'local' (a process pool of --workers on this machine; "
                  "1 worker: in this process), 'local-cluster' (a Dask LocalCluster of "
                  "--workers processes) or the address of a Dask scheduler, tcp://HOST:PORT")


class Executor(Protocol):
    """Runs ``func(shared, item)`` for every item; the results come back in the items' order."""

    name: str
    workers: int

    def map(self, func: Callable[[S, T], R], items: Sequence[T], shared: S,
            progress: Progress | None = None) -> list[R]:
        """Return ``[func(shared, item) for item in items]``, computed by the executor."""
        ...  # pragma: no cover - a protocol


def default_workers() -> int:
    """Return the CPUs this process may use (at least 1): the local pool's default size."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class InProcess:
    """Runs every item in this process, one after another."""

    name: str = LOCAL
    workers: int = 1

    def map(self, func: Callable[[S, T], R], items: Sequence[T], shared: S,
            progress: Progress | None = None) -> list[R]:
        """Return ``[func(shared, item) for item in items]``."""
        out = []
        for done, item in enumerate(items, start=1):
            out.append(func(shared, item))
            if progress:
                progress(done, len(items))
        return out


_SHARED: dict[str, Any] = {}


def worker_threads() -> int | None:
    """Return the model's threads for a run here: 1 in a pool or Dask worker, else ``None``.

    A worker is one of many processes sharing the machine's CPUs, each running
    its own items: one thread each keeps them from competing. In this process
    (``None``) the model uses every CPU. Results are the same either way.
    """
    return 1 if _SHARED.get("worker") else None


def _install(shared: object) -> None:
    """Keep ``shared`` in a pool process (its initializer): received once per process."""
    _SHARED["value"] = shared
    _SHARED["worker"] = True


def _call(func: Callable[[Any, T], R], item: T) -> R:
    return func(_SHARED["value"], item)


@dataclass
class LocalPool:
    """Runs the items on a pool of ``workers`` processes on this machine."""

    workers: int
    name: str = LOCAL

    def map(self, func: Callable[[S, T], R], items: Sequence[T], shared: S,
            progress: Progress | None = None) -> list[R]:
        """Return ``[func(shared, item) for item in items]``, run on the pool."""
        context = multiprocessing.get_context("spawn")
        out: list[Any] = [None] * len(items)
        with ProcessPoolExecutor(max_workers=min(self.workers, max(1, len(items))),
                                 mp_context=context, initializer=_install,
                                 initargs=(shared,)) as pool:
            jobs = {pool.submit(_call, func, item): index for index, item in enumerate(items)}
            for done, job in enumerate(as_completed(jobs), start=1):
                out[jobs[job]] = job.result()
                if progress:
                    progress(done, len(items))
        return out


def _apply(item: T, *, task: Callable[[Any, T], R], shared: object) -> R:
    _SHARED["worker"] = True  # in a Dask worker process
    return task(shared, item)


@dataclass
class DaskExecutor:
    """Runs the items on a Dask distributed cluster through ``client``."""

    client: Any
    name: str
    workers: int

    def map(self, func: Callable[[S, T], R], items: Sequence[T], shared: S,
            progress: Progress | None = None) -> list[R]:
        """Return ``[func(shared, item) for item in items]``, run on the cluster's workers."""
        from distributed import as_completed as completed

        sent = self.client.scatter(shared, broadcast=True, hash=False)
        futures = self.client.map(_apply, list(items), task=func, shared=sent, pure=False)
        try:
            for done, _future in enumerate(completed(futures), start=1):
                if progress:
                    progress(done, len(items))
            return list(self.client.gather(futures))
        finally:
            self.client.cancel([*futures, sent])


def _dask_client(scheduler: str, workers: int) -> tuple[Any, Any]:
    """Return a Dask client (and the LocalCluster it started, or ``None``)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - dask[distributed] is a dependency
        raise InputError(f"--scheduler {scheduler}: Dask distributed is not installed "
                         "(pip install 'dask[distributed]')") from None
    if scheduler == LOCAL_CLUSTER:
        # ":0": its HTTP server on a free port (8787 may be taken by another cluster)
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=40)
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout="10s"), None
    except (OSError, TimeoutError) as error:
        raise InputError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                         f"({error})") from None


def check_scheduler(scheduler: str) -> str:
    """Return ``scheduler`` if it is ``local``, ``local-cluster`` or a Dask address."""
    if scheduler in (LOCAL, LOCAL_CLUSTER) or scheduler.startswith(("tcp://", "tls://")):
        return scheduler
    raise InputError(f"--scheduler {scheduler!r}: choose 'local', 'local-cluster' or the "
                     "address of a Dask scheduler, tcp://HOST:PORT")


@contextmanager
def open_executor(scheduler: str = LOCAL, workers: int | None = None) -> Iterator[Executor]:
    """Open the executor ``scheduler`` names, with ``workers`` processes where it starts them.

    ``workers`` defaults to :func:`default_workers` (``local`` and
    ``local-cluster``); for a Dask address it is ignored (the cluster has its
    own). Any cluster or pool started here is closed on leaving.
    """
    check_scheduler(scheduler)
    count = default_workers() if workers is None else workers
    if count < 1:
        raise InputError(f"--workers {count}: give at least 1")
    if scheduler == LOCAL:
        yield InProcess() if count == 1 else LocalPool(count)
        return
    client, cluster = _dask_client(scheduler, count)
    try:
        size = len(client.scheduler_info().get("workers", {}))
        yield DaskExecutor(client, scheduler, size or count)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def map_on_inputs(func: Callable[[S, T], R], items: Sequence[T], shared: S, *,
                  scheduler: str = LOCAL, workers: int | None = None,
                  progress: Progress | None = None) -> list[R]:
    """Open an executor, run ``func(shared, item)`` for every item on it, and close it.

    ``func`` must be a module-level function (it is pickled by reference);
    ``shared`` is sent once to each worker. The results are in the items' order.
    """
    with open_executor(scheduler, workers) as executor:
        return executor.map(func, items, shared, progress)


def _summarised(inputs: ModelInputs, job: tuple[Callable[[Results], R], Scenario]) -> R:
    from wfplan.model import ModelInputError, ScenarioError, run

    summarise, scenario = job
    try:
        return summarise(run(inputs, scenario, workers=worker_threads()))
    except (ScenarioError, ModelInputError) as error:
        raise InputError(f"scenario {scenario.name!r}: {error}") from None


def run_scenarios(inputs: ModelInputs, scenarios: Sequence[Scenario],
                  summarise: Callable[[Results], R], executor: Executor | None = None,
                  progress: Progress | None = None) -> list[R]:
    """Run each scenario on ``inputs`` on ``executor`` and return ``summarise`` of its results.

    For re-simulations (``wfplan plan``) and any other set of whole runs on one
    set of inputs: the inputs go once to each worker, each worker returns only
    ``summarise(results)`` (keep it small), in the scenarios' order. ``summarise``
    must pickle: a module-level function, or a :func:`functools.partial` of one.
    The default executor runs them in this process.
    """
    jobs = [(summarise, scenario) for scenario in scenarios]
    return (executor or InProcess()).map(_summarised, jobs, inputs, progress)
