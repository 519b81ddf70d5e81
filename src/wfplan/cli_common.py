"""What every ``wfplan`` command shares: exit codes, consoles, options and error handling.

Kept apart from :mod:`wfplan.cli` so that groups of commands can live in their
own modules (:mod:`wfplan.cli_projection`) without importing the app itself.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer
from rich.console import Console
from rich.markup import escape

from wfplan.errors import EXIT_UNEXPECTED, WfplanError

EXIT_CODES = (
    "Exit codes: 0 success; 1 unexpected failure; 2 bad input (nothing written); "
    "3 database busy (another writer); 4 refused (frozen vintage, newer database)."
)

out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True)
T = TypeVar("T")

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Database file [default: $WFPLAN_DB or ./wfplan.duckdb]",
                 show_default=False),
]
VintageOption = Annotated[str, typer.Option("--vintage", help="Vintage (named dataset state)")]


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
        except WfplanError as exc:
            err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
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
            err.print(f"[bold red]unexpected failure:[/] {type(exc).__name__}: {exc}\n"
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
