"""Write ``tables.xlsx`` in a second process while the first renders the page and the PDF.

:func:`start` runs ``python -m wfplan.report.worker`` with the report data,
pickled, on its standard input; the worker writes the workbook's bytes to its
standard output. It is a plain child process, not :mod:`multiprocessing`, so
nothing of the caller's ``__main__`` is run again in it (a script without an
``if __name__ == "__main__"`` guard is safe). The child imports the same
``wfplan`` (its ``PYTHONPATH`` is this process's ``sys.path``) and runs the same
function on a copy of the same data, so the bytes are the ones this process
would write. If the child cannot be started or fails, :func:`finish` writes
the workbook in this process instead, so an error is raised from here as usual.

The child imports what it needs before it reads its data, so a child started
early (:func:`prestart`, which ``wfplan assess`` calls before it extracts and
computes) has its imports done by the time the data is ready: the next
:func:`start` in this process gives it the data instead of starting another.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from wfplan.report.context import ReportData

#: Bytes of the length that comes before the pickled gap charts on the child's output.
_LENGTH = 8


@dataclass
class Started:
    """A workbook (and, if asked, the gap charts first) being written in a child process."""

    process: subprocess.Popen[bytes]
    charts: Future[dict[str, str]]
    output: Future[bytes]
    waiter: ThreadPoolExecutor

    def stop(self) -> None:
        """Stop the child (the caller gave up, for example on an error of its own)."""
        self.process.kill()
        self.waiter.shutdown(wait=True)

    def drawn(self) -> dict[str, str]:
        """Return the gap charts' SVGs the child drew, by key; none if it failed."""
        try:
            return self.charts.result()
        except (OSError, ValueError, pickle.UnpicklingError, EOFError):
            return {}


#: A child started early (:func:`prestart`) that no :func:`start` has taken yet.
_warm: list[subprocess.Popen[bytes]] = []
_warm_lock = threading.Lock()


def _spawn() -> subprocess.Popen[bytes] | None:
    """Start ``python -m wfplan.report.worker``; ``None`` if it cannot start."""
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        return subprocess.Popen([sys.executable, "-m", "wfplan.report.worker"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env=environment)
    except OSError:
        return None


def prestart() -> None:
    """Start a child now, for the next :func:`start` in this process (none if one waits)."""
    with _warm_lock:
        if _warm:
            return
    process = _spawn()
    if process is None:
        return
    with _warm_lock:
        _warm.append(process)


def discard() -> None:
    """Stop a child started by :func:`prestart` that no :func:`start` took."""
    with _warm_lock:
        waiting = list(_warm)
        _warm.clear()
    for process in waiting:
        process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def _take() -> subprocess.Popen[bytes] | None:
    """Return the child :func:`prestart` started, if it still waits for its data."""
    with _warm_lock:
        process = _warm.pop() if _warm else None
    if process is not None and process.poll() is not None:  # it ended: start another
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        return None
    return process


def start(data: ReportData, *, charts: bool = False) -> Started | None:
    """Start writing the workbook of ``data`` in a child process; ``None`` if it cannot start.

    With ``charts``, the child first draws the gap charts
    (:func:`gap_svgs`), available from :meth:`Started.drawn` before the workbook.
    The child is the one :func:`prestart` started, if there is one.
    """
    payload = pickle.dumps((data, charts), protocol=pickle.HIGHEST_PROTOCOL)
    process = _take() or _spawn()
    if process is None:
        return None
    drawn: Future[dict[str, str]] = Future()
    if not charts:
        drawn.set_result({})
    waiter = ThreadPoolExecutor(max_workers=1)
    return Started(process, drawn, waiter.submit(_talk, process, payload, drawn, charts),
                   waiter)


def _talk(process: subprocess.Popen[bytes], payload: bytes, drawn: Future[dict[str, str]],
          charts: bool) -> bytes:
    """Send the data; read the gap charts (if asked), then the workbook; wait for the child."""
    assert process.stdin is not None  # piped
    assert process.stdout is not None  # piped
    try:
        try:
            process.stdin.write(payload)
        finally:
            process.stdin.close()
        if charts:
            size = int.from_bytes(process.stdout.read(_LENGTH), "big")
            drawn.set_result(pickle.loads(process.stdout.read(size)))  # noqa: S301 - our child
        return process.stdout.read()
    except BaseException as error:
        if not drawn.done():
            drawn.set_exception(error if isinstance(error, Exception) else OSError(str(error)))
        raise
    finally:
        process.stdout.close()
        process.wait()


def finish(started: Started | None, data: ReportData) -> bytes:
    """Return the workbook the child wrote, or write it here if it did not start or failed."""
    from wfplan.report.xlsx import xlsx_bytes

    if started is None:
        return xlsx_bytes(data)
    try:
        workbook = started.output.result()
    except (OSError, ValueError, pickle.UnpicklingError, EOFError):
        workbook = b""
    finally:
        started.waiter.shutdown(wait=True)
    if started.process.returncode != 0 or not workbook:
        return xlsx_bytes(data)
    return workbook


def gap_svgs(data: ReportData) -> dict[str, str]:
    """Draw the gap charts of ``data``'s page (summary and scenarios); their SVGs by key."""
    from wfplan.report import deferred
    from wfplan.report.sections import SourceLines, _scenarios
    from wfplan.report.summary import summary
    from wfplan.report.views import Numbering

    with deferred.deferring() as charts:
        summary(data, Numbering(), SourceLines(data))
        _scenarios(data, Numbering(), SourceLines(data))
    return deferred.draw_all(charts)


def main() -> None:
    """Read pickled (report data, charts) on standard input, write ``tables.xlsx``'s bytes.

    With charts, first write the gap charts' SVGs by key, pickled, after their
    length (8 bytes, big-endian). Everything is imported before the data is read.
    """
    from wfplan.report import deferred, sections, summary, views  # noqa: F401 - imported early
    from wfplan.report.xlsx import xlsx_bytes

    payload = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - from the parent process
    if not isinstance(payload, tuple) or len(payload) != 2 or \
            not isinstance(payload[0], ReportData):
        raise SystemExit("wfplan.report.worker: expected (ReportData, charts) on standard input")
    data, charts = payload
    if charts:
        pickled = pickle.dumps(gap_svgs(data), protocol=pickle.HIGHEST_PROTOCOL)
        sys.stdout.buffer.write(len(pickled).to_bytes(_LENGTH, "big") + pickled)
        sys.stdout.buffer.flush()
    sys.stdout.buffer.write(xlsx_bytes(data))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
