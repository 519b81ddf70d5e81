"""``wfplan keys``: make the keys wfplan uses, kept apart from the data.

- ``wfplan keys pseudonym --out FILE``: a pseudonym key (256 random bits, file
  mode 0600) that person identifiers of record-level extracts are hashed with
  (``wfplan ingest --pseudonym-key FILE``; :mod:`wfplan.dataset.pseudonym`).

Other key commands (signing keys) join this group: add them to ``keys_app``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wfplan.cli_common import EXIT_CODES, guard, out

keys_app = typer.Typer(
    help="Make the keys wfplan uses (kept apart from the database and bundles).\n\n"
    + EXIT_CODES,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@keys_app.command("pseudonym", epilog=EXIT_CODES)
def pseudonym_command(
    out_file: Annotated[Path, typer.Option("--out", help="Key file to create (new; mode 0600)")],
) -> None:
    """Make a pseudonym key: the secret that record-level person identifiers are hashed with.

    Give it to 'wfplan ingest --pseudonym-key FILE' (or put its key in
    $WFPLAN_PSEUDONYM_KEY) for every staff_records extract of a vintage. Keep it
    apart from the database and its backups: anyone with both can recover every
    identifier; without it, no more extracts can be added to the series.
    """
    from wfplan.dataset.pseudonym import write_key

    key = guard(lambda: write_key(out_file))
    out.print(f"wrote pseudonym key {out_file} (mode 0600; fingerprint "
              f"{key.fingerprint[:16]}…)", highlight=False)
    out.print("  keep it secret and apart from the database; use it with "
              f"'wfplan ingest FILES --pseudonym-key {out_file}'", highlight=False)
