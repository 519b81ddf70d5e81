"""``wfplan wellbeing``: the burnout–sickness estimate of a vintage (docs/wellbeing.md)."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from wfplan.cli.common import DbOption, OutputFormat, VintageOption, WaitOption, out, read_vintage
from wfplan.cli.common import guard as _guard


def wellbeing_command(
    vintage: VintageOption = None,
    output: Annotated[OutputFormat, typer.Option(
        "--format", help="Output format: table (lines of text) or json")] = OutputFormat.table,
    db: DbOption = None,
    wait: WaitOption = None,
) -> None:
    """Estimate how staff survey burnout relates to sickness absence across NHS trusts.

    Prints the slope (percentage points of sickness absence per point of
    burnout) with its 95% interval and the number of trusts, the data used, two
    checks (weighted by size; without influential trusts), the published
    burnout-leaving ratio a wellbeing intervention uses, and the limits: an
    association, not causation. A scenario's wellbeing intervention that
    leaves its relations out takes these values (docs/wellbeing.md).
    """
    from wfplan.analysis.wellbeing import NoWellbeingData
    from wfplan.dataset.store import open_store
    from wfplan.errors import InputError
    from wfplan.report.wellbeing import estimate_lines, estimate_record
    from wfplan.runs.wellbeing import WellbeingParameters, wellbeing_parameters

    def work() -> WellbeingParameters:
        with open_store(db, read_only=True) as store:
            chosen = read_vintage(store, vintage)
            try:
                return wellbeing_parameters(store, chosen)
            except (NoWellbeingData, LookupError) as error:
                raise InputError(f"no wellbeing estimate: {error}") from None

    parameters = _guard(work)
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(estimate_record(parameters), indent=2) + "\n")
        return
    if output is OutputFormat.csv:
        parameters.sickness.points.to_csv(sys.stdout, index=False)
        return
    for line in estimate_lines(parameters):
        out.print(line, highlight=False, markup=False, soft_wrap=True)
