"""``wfplan evidence``: list the evidence library (src/wfplan/data/evidence.csv)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import pandas as pd
import typer

from wfplan.cli.common import OutputFormat, out
from wfplan.cli.common import guard as _guard
from wfplan.cli.display import csv_text, frame_table, tidy_json

#: Columns of the table view (the CSV and JSON views have every column).
SHOWN = ("id", "parameter", "staff_group", "sector", "value", "low", "high", "unit", "period",
         "status", "resolves", "publication")


def evidence_command(
    parameter: Annotated[str | None, typer.Option(help="Only rows about this parameter or "
                                                  "evidence item, e.g. leaver_rate")] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format: table, "
                                                 "csv or json")] = OutputFormat.table,
) -> None:
    """List the evidence library: the published figures behind the model's inputs.

    Each row gives a parameter (or a named evidence item), the staff group or
    sector, value, low and high, unit, period, population, publication, table or
    page, licence and status (published, computed or wfplan_assumption, with its
    reasoning). Rows marked ``resolves`` fill an input that the vintage's data
    lacks (docs/evidence.md).
    """
    # imported here: the library's pydantic models are not every command's start-up cost
    from wfplan.inputs.evidence import COLUMNS, load_library

    library = _guard(load_library)
    rows = [row.model_dump() for row in library.rows
            if parameter is None or row.parameter == parameter]
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    if output is OutputFormat.csv:
        sys.stdout.write(csv_text(frame))
        return
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps({"version": library.version, "rows": tidy_json(rows)},
                                    indent=2) + "\n")
        return
    frame_table(out, frame[list(SHOWN)], f"Evidence library {library.version} "
                f"({len(frame)} of {len(library.rows)} rows)", {}, _cell)


def _cell(value: object, column: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
