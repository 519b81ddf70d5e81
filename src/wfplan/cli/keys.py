"""``wfplan keys``: make the keys wfplan uses, kept apart from the data.

- ``wfplan keys pseudonym --out FILE``: a pseudonym key (256 random bits, file
  mode 0600) that person identifiers of record-level extracts are hashed with
  (``wfplan ingest --pseudonym-key FILE``; :mod:`wfplan.dataset.pseudonym`).

- ``wfplan keys create --out NAME``: an Ed25519 key pair for signing assessment
  bundles (``wfplan assess --sign NAME.key``, ``wfplan verify --trusted-key NAME.pub``;
  :mod:`wfplan.assessment.signing`); ``wfplan keys show NAME.pub`` prints its signer
  and fingerprint.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from wfplan.cli.common import EXIT_CODES, guard, out

keys_app = typer.Typer(
    help="Make the keys wfplan uses (kept apart from the database and bundles): signing "
    "keys for assessment bundles ('wfplan assess --sign NAME.key', 'wfplan verify "
    "--trusted-key NAME.pub') and pseudonym keys for record-level extracts.\n\n"
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


@keys_app.command("create", epilog=EXIT_CODES)
def keys_create_command(
    out_name: Annotated[Path, typer.Option(
        "--out", help="Writes NAME.key (private, mode 0600) and NAME.pub (public)")],
    signer: Annotated[str | None, typer.Option(
        help="Who signs, as the report and verify name them (default: NAME)")] = None,
) -> None:
    """Create an Ed25519 key pair for signing assessment bundles.

    Keep NAME.key private and outside every bundle and database (it is never
    overwritten, and refused inside a bundle). Publish NAME.pub, and its
    fingerprint through a second channel, so verifiers can trust it.
    """
    from wfplan.assessment.signing import create_keys, key_paths, load_trusted_keys

    name = signer if signer is not None else key_paths(out_name)[0].stem
    private, public = guard(lambda: create_keys(out_name, name))
    key = load_trusted_keys([public])[0]
    out.print(f"wrote the private key {escape(str(private))} (mode 0600: keep it secret, "
              "outside every bundle and database)", highlight=False)
    out.print(f"wrote the public key {escape(str(public))}: give it to verifiers", highlight=False)
    out.print(f"  signer: {escape(key.signer)}", highlight=False)
    out.print(f"  fingerprint: {key.fingerprint}", highlight=False)


@keys_app.command("show", epilog=EXIT_CODES)
def keys_show_command(
    public: Annotated[Path, typer.Argument(help="A public key file (NAME.pub)")],
    pem: Annotated[bool, typer.Option(
        "--pem", help="Print the key as PEM instead, for other Ed25519 tools (openssl)")] = False,
) -> None:
    """Show a public key's signer and fingerprint, to compare with the one published."""
    from wfplan.assessment.signing import load_trusted_keys, pem_text

    key = guard(lambda: load_trusted_keys([public]))[0]
    if pem:
        sys.stdout.write(pem_text(key.key))
        return
    out.print(f"{escape(str(public))}: signer {escape(key.signer or '(not named)')}; Ed25519 "
              f"key fingerprint {key.fingerprint}", highlight=False)
