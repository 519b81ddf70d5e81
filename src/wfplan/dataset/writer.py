"""Write validated chunks to the store in a background thread, one at a time, in order.

An ingest reads and validates a chunk in Python while the database writes the
one before: DuckDB and the PostgreSQL driver release the GIL while they work,
so on a machine with a spare core the two overlap (issue 12). Writes stay in
the order they were given and never overlap each other: a write starts only
when the one before it has finished, so the store's one connection, and the
transaction open on it, are only ever used by one write at a time. A failed
write is raised in the caller's thread, at the next :meth:`ChunkWriter.submit`
or when the ``with`` block ends. A store whose transaction belongs to the
thread that opened it (:attr:`wfplan.dataset.store.Store.writes_from_any_thread`
is false: PostgreSQL's connection is per thread) is written in the caller's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType
from typing import Self


class ChunkWriter:
    """Run writes one after another in one background thread.

    Use as a context manager: leaving the block waits for the last write (and
    raises its error, unless the block is already raising one). The store must
    not be used by the caller while a write may be running, i.e. between
    :meth:`submit` and the end of the block or :meth:`wait`.
    """

    def __init__(self, *, background: bool = True) -> None:
        self._pool = (ThreadPoolExecutor(max_workers=1, thread_name_prefix="wfplan-writer")
                      if background else None)
        self._pending: Future[None] | None = None

    def submit(self, write: Callable[[], None]) -> None:
        """Wait for the write before (raising its error), then start ``write``.

        Without a background thread (``background=False``), ``write`` runs now.
        """
        self.wait()
        if self._pool is None:
            write()
        else:
            self._pending = self._pool.submit(write)

    def wait(self) -> None:
        """Wait for the write under way, if any; raise its error."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if error is None:
                self.wait()
            elif self._pending is not None:
                # The block's own error is the one to report; the write must still end
                # before the transaction is rolled back on the same connection.
                self._pending.exception()
                self._pending = None
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
