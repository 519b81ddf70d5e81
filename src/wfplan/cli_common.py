"""What every ``wfplan`` command shares: exit codes, consoles, options and error handling.

Kept apart from :mod:`wfplan.cli` so that groups of commands can live in their
own modules (:mod:`wfplan.cli_projection`) without importing the app itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console

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
    """Run ``func``; turn a user error into a message and an exit code."""
    try:
        return func()
    except WfplanError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted: nothing was written by the unfinished step")
        raise typer.Exit(130) from None
    except Exception as exc:
        if os.environ.get("WFPLAN_DEBUG"):
            raise
        err.print(f"[bold red]unexpected failure:[/] {type(exc).__name__}: {exc}\n"
                  "This is a bug in wfplan; re-run with WFPLAN_DEBUG=1 for details.",
                  highlight=False)
        raise typer.Exit(EXIT_UNEXPECTED) from None
