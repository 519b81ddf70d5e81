"""A ``COPY ... FROM STDIN`` kept open across inserts, fed by a writer thread.

An ingest inserts a file chunk by chunk, validating each chunk in between. With
one ``COPY`` per chunk the server would sit idle while wfplan validates, and
wfplan while the server stores. A :class:`CopyStream` keeps one ``COPY`` open
for as long as the inserts go to the same table and columns: the chunks' CSV
blocks go through a short queue to a thread that writes them, so the server
stores one chunk while the next is validated. The PostgreSQL store finishes the
stream before anything else uses the connection (another statement, another
table, the end of the transaction); an error of the ``COPY`` is raised then.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

import psycopg

#: CSV blocks waiting for the writer thread at most (bounds the memory they take).
QUEUE_BLOCKS = 4


class CopyStream:
    """One open ``COPY`` into ``table`` (``columns``) on ``conn``, written by a thread.

    Parameters
    ----------
    conn : psycopg.Connection
        The transaction's connection; nothing else may use it until :meth:`finish`.
    sql : str
        The ``COPY ... FROM STDIN`` statement.
    key : tuple
        What the stream takes (table and columns): another insert needs another stream.
    """

    def __init__(self, conn: psycopg.Connection[Any], sql: str, key: tuple[str, ...]) -> None:
        self.key = key
        self._blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUE_BLOCKS)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._write, args=(conn, sql),
                                        name="wfplan-copy", daemon=True)
        self._thread.start()

    def _write(self, conn: psycopg.Connection[Any], sql: str) -> None:
        ended = False
        try:
            with conn.cursor() as cur, cur.copy(sql) as copy:
                while (block := self._blocks.get()) is not None:
                    copy.write(block)
                ended = True
        except BaseException as exc:  # handed to the caller by finish()
            self._error = exc
            while not ended:  # take what send() and finish() still queue, up to the end
                ended = self._blocks.get() is None

    def send(self, block: bytes) -> None:
        """Queue one CSV block; raise at once if the ``COPY`` has already failed."""
        if self._error is not None:
            self.finish()
        self._blocks.put(block)

    def finish(self) -> None:
        """End the ``COPY`` and wait for it; raise its error, if it had one."""
        if self._thread.is_alive():
            self._blocks.put(None)
            self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
