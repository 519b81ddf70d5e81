"""``wfplan social-care``: a vintage's ASC-WDS-style returns by area and job role."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import Annotated

import pandas as pd
import typer

from wfplan.cli.common import DbOption, OutputFormat, VintageOption, WaitOption, out, read_vintage
from wfplan.cli.common import guard as _guard
from wfplan.cli.display import csv_text, fixed, frame_table, missing, tidy_json


class Level(StrEnum):
    """Levels the returns are summed at."""

    england = "england"
    region = "region"
    icb = "icb"
    la = "la"


HEADINGS = {"job_role": "job role", "filled_posts": "filled posts",
            "vacancy_rate": "vacancy rate", "turnover_rate": "turnover",
            "starters_rate": "starters rate"}


def social_care_command(
    vintage: VintageOption = None,
    level: Annotated[Level, typer.Option(help="Sum for england, each region, icb or la "
                                              "(local authority)")] = Level.england,
    period: Annotated[str | None, typer.Option(
        help="Date of the returns (YYYY-MM-DD or YYYY-MM; default: the latest)",
        show_default=False)] = None,
    output: Annotated[OutputFormat, typer.Option(
        "--format", help="Output format: table, csv or json")] = OutputFormat.table,
    db: DbOption = None,
    wait: WaitOption = None,
) -> None:
    """Sum a vintage's adult social care returns (asc_workforce) by area and job role.

    Filled posts, vacancies, starters and leavers, with the vacancy rate
    (vacancies / (filled posts + vacancies)), turnover (leavers / filled posts)
    and starters rate, for each job role and all roles (docs/social-care.md).
    A location is placed in its ICB by its own icb_code or its local
    authority's row of la_icb_lookup; one with neither is 'unplaced'.
    """
    from wfplan.analysis.social_care import summary
    from wfplan.dataset.store import open_store

    def work() -> tuple[str, pd.DataFrame]:
        with open_store(db, read_only=True) as store:
            chosen = read_vintage(store, vintage)
            return chosen, summary(store, chosen, period=period, level=level.value)

    chosen, frame = _guard(work)
    if output is OutputFormat.json:
        body = {"vintage": chosen, "level": level.value,
                "rows": tidy_json(frame.astype(object).where(frame.notna(), None)
                                  .to_dict("records"))}
        sys.stdout.write(json.dumps(body, indent=2) + "\n")
        return
    if output is OutputFormat.csv:
        sys.stdout.write(csv_text(frame))
        return
    frame_table(out, frame, f"Adult social care returns, vintage {chosen!r}, level "
                f"{level.value}", HEADINGS, _cell)


def _cell(value: object, column: str) -> str:
    """Format a cell: rates as %, counts whole, missing as n/a."""
    if missing(value):
        return "n/a"
    if column.endswith("_rate"):
        return fixed(100 * float(value), 1) + "%"  # type: ignore[arg-type]
    if isinstance(value, float):
        return fixed(value)
    return str(value)
