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
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from wfplan.report.context import ReportData


@dataclass
class Started:
    """A workbook being written in a child process."""

    process: subprocess.Popen[bytes]
    output: Future[tuple[bytes, bytes]]
    waiter: ThreadPoolExecutor

    def stop(self) -> None:
        """Stop the child (the caller gave up, for example on an error of its own)."""
        self.process.kill()
        self.waiter.shutdown(wait=True)


def start(data: ReportData) -> Started | None:
    """Start writing the workbook of ``data`` in a child process; ``None`` if it cannot start."""
    payload = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        process = subprocess.Popen([sys.executable, "-m", "wfplan.report.worker"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=environment)
    except OSError:
        return None
    waiter = ThreadPoolExecutor(max_workers=1)
    return Started(process, waiter.submit(process.communicate, payload), waiter)


def finish(started: Started | None, data: ReportData) -> bytes:
    """Return the workbook the child wrote, or write it here if it did not start or failed."""
    from wfplan.report.xlsx import xlsx_bytes

    if started is None:
        return xlsx_bytes(data)
    try:
        workbook, _errors = started.output.result()
    except OSError:
        workbook = b""
    finally:
        started.waiter.shutdown(wait=True)
    if started.process.returncode != 0 or not workbook:
        return xlsx_bytes(data)
    return workbook


def main() -> None:
    """Read pickled report data on standard input, write ``tables.xlsx``'s bytes to output."""
    from wfplan.report.xlsx import xlsx_bytes

    data = pickle.loads(sys.stdin.buffer.read())  # noqa: S301 - from the parent process
    if not isinstance(data, ReportData):
        raise SystemExit("wfplan.report.worker: expected ReportData on standard input")
    sys.stdout.buffer.write(xlsx_bytes(data))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
