"""What every ``wfplan`` command shares: exit codes, consoles, options and error handling.

Kept apart from :mod:`wfplan.cli` so that groups of commands can live in their
own modules (:mod:`wfplan.cli.projection`) without importing the app itself.
"""

from __future__ import annotations

import calendar
import os
import sys
import traceback
import warnings
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer
from rich.console import Console, ConsoleDimensions
from rich.markup import escape

from wfplan.dataset.busy import BUSY_WAIT, BusyWait
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries.gaps import Area, area_level
from wfplan.dataset.store.queries.model_inputs import staff_in_post_periods
from wfplan.errors import EXIT_UNEXPECTED, InputError, WfplanError

EXIT_CODES = (
    "Exit codes: 0 success; 1 unexpected failure; 2 bad input (nothing written); "
    "3 database busy (another process holds it); 4 refused (frozen vintage, newer database)."
)

#: Width of standard output when it is not a terminal and $COLUMNS is not set.
PIPED_WIDTH = 200


class _Stdout(Console):
    """Standard output: $COLUMNS if set, else the terminal's width, else 200 columns.

    The width is read at each print, not once at import, so that a command run
    in-process (tests, a notebook) with $COLUMNS set is laid out for it.
    """

    @property
    def size(self) -> ConsoleDimensions:
        """Return the console's size, its width as above."""
        found = Console.size.fget(self)  # type: ignore[attr-defined]
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return ConsoleDimensions(int(columns), found.height)
        return found if self.is_terminal else ConsoleDimensions(PIPED_WIDTH, found.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


out = _Stdout()
err = Console(stderr=True)
T = TypeVar("T")

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database: a DuckDB file, or a PostgreSQL URL "
                 "postgresql://USER@HOST[:PORT]/DATABASE[?schema=NAME] (default: $WFPLAN_DB, "
                 "else ./wfplan.duckdb)", show_default=False),
]
VINTAGE_DEFAULT = ("(default: the only vintage in the database; if there are several, the one "
                   "loaded most recently; the choice is printed on stderr)")
VintageOption = Annotated[
    str | None,
    typer.Option("--vintage", help=f"Vintage (named dataset state) to read {VINTAGE_DEFAULT}",
                 show_default=False),
]
#: ``wfplan ingest`` writes into a vintage named by the user, or 'default': never into
#: one chosen from the database's vintages (the demo's, say).
WriteVintageOption = Annotated[
    str,
    typer.Option("--vintage", help="Vintage to load into, created if new (default: 'default', "
                 "whatever vintages the database holds)", show_default=False),
]

#: Where ``--wait`` keeps its value for the subcommands of a group (``ctx.meta``).
_WAIT_KEY = "wfplan.wait"


def _wait_for_busy(ctx: typer.Context, seconds: float | None) -> float | None:
    """Make every open of the database in this command retry for ``seconds`` (``--wait``).

    ``wfplan vintages --wait 5 freeze NAME`` works too: a subcommand without its
    own ``--wait`` keeps its group's (``ctx.meta`` is shared by both).
    """
    chosen = seconds if seconds is not None else ctx.meta.get(_WAIT_KEY, 0.0)
    ctx.meta[_WAIT_KEY] = chosen
    token = BUSY_WAIT.set(BusyWait(chosen, _say_waiting))
    ctx.call_on_close(lambda: BUSY_WAIT.reset(token))
    return seconds


def _say_waiting(line: str) -> None:
    err.print(line, highlight=False, markup=False, soft_wrap=True)


WaitOption = Annotated[
    float | None,
    typer.Option("--wait", min=0, metavar="SECONDS", callback=_wait_for_busy,
                 help="If another process holds the database, retry for up to SECONDS "
                 "before giving up with exit 3 (default: give up at once)", show_default=False),
]
PeriodOption = Annotated[
    str | None,
    typer.Option("--period", help="Census: YYYY-MM (that month's census, its last day) or "
                 "YYYY-MM-DD (default: the latest)", show_default=False),
]


class Level(StrEnum):
    """Area levels."""

    england = "england"
    region = "region"
    icb = "icb"
    org = "org"


class OutputFormat(StrEnum):
    """Output formats of reports."""

    table = "table"
    csv = "csv"
    json = "json"


def read_vintage(store: Store, name: str | None) -> str:
    """Return the vintage to read (:meth:`Store.resolve_vintage`); say which if defaulted."""
    choice = store.resolve_vintage(name)
    if choice.note:
        err.print(choice.note, highlight=False, markup=False, soft_wrap=True)
    return choice.name


def census(store: Store, vintage: str, text: str, option: str = "--period") -> date:
    """Return the staff-in-post census that ``text`` names, or say which censuses exist.

    ``YYYY-MM`` is that month's census: the dataset stores census months as
    their last day.

    Raises
    ------
    InputError
        If ``text`` is not a date, or the vintage has no staff in post then.
    """
    try:
        if len(text) == 7:
            year, month = (int(part) for part in text.split("-"))
            when = date(year, month, calendar.monthrange(year, month)[1])
        else:
            when = date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option} {text!r} is not a date: give YYYY-MM (that month's "
                         "census) or YYYY-MM-DD") from None
    held = staff_in_post_periods(store, vintage)
    if when not in held:
        listed = ", ".join(p.isoformat() for p in held) or "none"
        raise InputError(f"{option} {text}: vintage {vintage!r} has no staff in post on "
                         f"{when.isoformat()}; periods with data: {listed}")
    return when


def guard(func: Callable[[], T]) -> T:
    """Run ``func``; turn a user error into a message and an exit code.

    A warning (a deprecation in WeasyPrint, a note from openpyxl about a
    workbook, wfplan's own :class:`~wfplan.report.pdf.FontWarning`) is shown as
    one line on stderr and the command goes on, also where the warning filters
    say ``error`` (``PYTHONWARNINGS=error``, a test run with warnings as
    errors): a warning is not a failure of the command, nor a bug in wfplan.
    Warnings the filters ignore stay hidden.
    """
    with warnings.catch_warnings():
        _show_errors_as_warnings()
        try:
            return func()
        except typer.Exit:
            raise  # a command's own exit code (e.g. 4 for a bundle that does not verify)
        except WfplanError as exc:
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted: nothing was written by the unfinished step")
            raise typer.Exit(130) from None
        except Warning as exc:  # raised as an exception despite the filters above
            if os.environ.get("WFPLAN_DEBUG"):
                raise
            raised_in = traceback.extract_tb(exc.__traceback__)[-1].filename
            origin = _origin(raised_in)
            err.print(f"[bold red]unexpected failure:[/] {escape(_one_line(exc))} "
                      f"({type(exc).__name__} at {origin})\n"
                      "A warnings filter made this warning an error, which stopped the "
                      "command; re-run with WFPLAN_DEBUG=1 for details.", highlight=False)
            raise typer.Exit(EXIT_UNEXPECTED) from None
        except Exception as exc:
            if os.environ.get("WFPLAN_DEBUG"):
                raise
            err.print(f"[bold red]unexpected failure:[/] {type(exc).__name__}: "
                      f"{escape(str(exc))}\n"
                      "This is a bug in wfplan; re-run with WFPLAN_DEBUG=1 for details.",
                      highlight=False)
            raise typer.Exit(EXIT_UNEXPECTED) from None


def _show_errors_as_warnings() -> None:
    """Within ``catch_warnings``: let every "error" filter show instead, on one line each."""
    filters = cast(list[tuple[Any, ...]], warnings.filters)
    filters[:] = [("default", *rest) if action == "error" else (action, *rest)
                  for action, *rest in filters]
    warnings.simplefilter("default", append=True)  # the default action; marks filters changed
    shown: set[tuple[type[Warning], str]] = set()

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: object = None, line: str | None = None) -> None:
        text = _one_line(message)
        if (category, text) not in shown:
            shown.add((category, text))
            err.print(f"[yellow]warning:[/] {escape(text)} ({category.__name__} at "
                      f"{_origin(filename)})", highlight=False, soft_wrap=True)

    warnings.showwarning = show


def _one_line(message: object) -> str:
    return " ".join(str(message).split())


def _origin(filename: str) -> str:
    """Return the name of the module in ``filename`` (the file's name if it is not loaded)."""
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) == filename and name != "__main__":
            return name
    return Path(filename).name or "unknown"


def gap_area(store: Store, vintage: str, region: str | None, icb: str | None) -> Area | None:
    """Return the area of ``wfplan gaps --region/--icb`` (an ``Area``), or None for England.

    Raises
    ------
    InputError
        If both are given, or the vintage has no such region or ICB.
    """
    if region is not None and icb is not None:
        raise InputError("give --region or --icb, not both")
    level, code = ("region", region) if region is not None else ("icb", icb)
    if code is None:
        return None
    code = code.strip().upper()
    if area_level(store, vintage, code) != level:
        raise InputError(f"vintage {vintage!r} has no {'ICB' if level == 'icb' else level} "
                         f"{code!r}: see 'wfplan metrics --level {level}' for its codes")
    return Area(level, code)
