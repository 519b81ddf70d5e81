"""A busy database file: who holds it, and waiting for it to be free.

DuckDB lets one process write a file, or any number read it, never both. When
an open fails on the file's lock, DuckDB names the process that holds it
("Conflicting lock is held in ... (PID 1234)"). :func:`busy_error` turns that
into a message that says which command it is (from ``/proc/PID/cmdline``) and
whether it is reading or writing; :func:`retry_while_busy` retries the open
for a while (the CLI's ``--wait SECONDS``) instead of failing at once.

The PostgreSQL store uses the same error, wait and message for a vintage that
another process is writing to (:meth:`wfplan.dataset.store.PostgresStore.lock_vintage`).
"""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from wfplan.errors import StoreBusyError

T = TypeVar("T")

#: The longest command line quoted in a message, in characters.
COMMAND_WIDTH = 120
#: Seconds between retries: the first, and the longest (each doubles the last).
FIRST_RETRY_S = 0.1
LONGEST_RETRY_S = 1.0
_PID = re.compile(r"\(PID (\d+)\)")


@dataclass(frozen=True)
class BusyWait:
    """How long to retry opening a busy database, and how to say so.

    Attributes
    ----------
    seconds : float
        Retry for this long before giving up; 0 gives up at once.
    notify : callable or None
        Called with one line (``waiting for ...``) when a wait begins, and again
        if another process comes to hold the file.
    """

    seconds: float = 0.0
    notify: Callable[[str], None] | None = None


#: No retry: give up at once.
NO_WAIT = BusyWait()
#: The wait :func:`wfplan.dataset.store.open_store` uses when its caller names
#: none: set by the CLI's ``--wait`` for the command being run.
BUSY_WAIT: ContextVar[BusyWait] = ContextVar("wfplan_busy_wait", default=NO_WAIT)


class DatabaseBusyError(StoreBusyError):
    """The database file is held by another process.

    Parameters
    ----------
    holder : str
        Who holds the file and how, e.g. ``another process (pid 1234, `wfplan
        assess a.toml`) is reading wfplan.duckdb; a write needs it to finish``.
    """

    def __init__(self, holder: str) -> None:
        self.holder = holder
        super().__init__(f"database is busy: {holder}. Wait for it to finish and try "
                         "again, or give --wait SECONDS to retry for that long.")


def busy_error(path: Path, error: str, *, read_only: bool) -> DatabaseBusyError:
    """Return the error for an open of ``path`` refused by DuckDB's lock.

    Parameters
    ----------
    path : Path
        The database file.
    error : str
        DuckDB's message, which names the holding process in recent versions.
    read_only : bool
        Whether the refused open was read-only. Only a writer blocks a reader;
        a writer may be blocked by either, so a read-only open is tried to tell.
    """
    found = _PID.search(error)
    who = "another process"
    if found:
        command = command_of(int(found.group(1)))
        who += f" (pid {found.group(1)}, `{command}`)" if command else f" (pid {found.group(1)})"
    if read_only or not _readable(path):
        return DatabaseBusyError(f"{who} is writing to {path}")
    return DatabaseBusyError(f"{who} is reading {path}; a write needs it to finish")


def command_of(pid: int) -> str | None:
    """Return the command line of process ``pid``, shortened, or ``None`` if unknown.

    A wfplan command is shown as ``wfplan ARGS`` whether it runs as a script
    (``python .../bin/wfplan ARGS``) or a module (``python -m wfplan ARGS``).
    """
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # gone already, or no /proc (macOS, Windows)
        return None
    args = [arg.decode(errors="replace") for arg in raw.split(b"\0") if arg]
    if not args:
        return None
    for at, arg in enumerate(args):
        if Path(arg).name == "wfplan" or (arg == "-m" and args[at + 1:at + 2] == ["wfplan"]):
            args = ["wfplan", *args[at + (2 if arg == "-m" else 1):]]
            break
    else:
        args[0] = Path(args[0]).name
    text = shlex.join(args)
    return text if len(text) <= COMMAND_WIDTH else text[:COMMAND_WIDTH - 1] + "…"


def _readable(path: Path) -> bool:
    """Return whether ``path`` opens read-only now, i.e. its holder only reads it."""
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.Error:
        return False
    return True


def retry_while_busy(open_: Callable[[], T], wait: BusyWait) -> T:
    """Return ``open_()``, retrying while the database is busy for up to ``wait.seconds``.

    Retries come quickly at first, then once a second. Each new holder is
    announced through ``wait.notify``.

    Raises
    ------
    StoreBusyError
        The last attempt's error, if the file is still busy when the time is up.
    """
    deadline = time.monotonic() + wait.seconds
    pause = FIRST_RETRY_S
    told = ""
    while True:
        try:
            return open_()
        except StoreBusyError as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            holder = exc.holder if isinstance(exc, DatabaseBusyError) else str(exc)
            if wait.notify and holder != told:
                wait.notify(f"waiting for the database (up to {wait.seconds:g} s): {holder}")
                told = holder
            time.sleep(min(pause, left))
            pause = min(pause * 2, LONGEST_RETRY_S)
