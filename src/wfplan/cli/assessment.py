"""The assessment commands: ``wfplan assess``, ``verify``, ``compare`` and ``keys``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from wfplan.cli.common import (
    DbOption,
    OutputFormat,
    WaitOption,
    err,
    guard,
    out,
)
from wfplan.cli.display import Column, csv_text, fixed, name_of, print_table, tidy_json
from wfplan.errors import EXIT_REFUSED

if TYPE_CHECKING:
    from wfplan.assessment.verify import Verdict


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                    console=err, transient=True)


def assess_command(
    config: Annotated[Path, typer.Argument(help="Assessment configuration (TOML)")],
    out_dir: Annotated[Path, typer.Option("--out", help="Bundle folder to create (new)")],
    previous: Annotated[Path | None, typer.Option(
        help="An earlier assessment bundle: the report explains the change from it")] = None,
    sign: Annotated[Path | None, typer.Option(
        "--sign", help="Sign the bundle with this private key (NAME.key, from 'wfplan keys "
        "create'); the report names the signer and the key's fingerprint")] = None,
    db: DbOption = None,
    public: Annotated[bool, typer.Option(
        "--public", help="Apply disclosure control to the inputs before computing (counts of "
        "1 to 4 people suppressed, others rounded to 5), so that the bundle can be published; "
        "refused if that would leave the run meaningless")] = False,
    wait: WaitOption = None,
) -> None:
    """Run an assessment and write its bundle: inputs, scenarios, results, report, manifest.

    The bundle holds everything needed to re-run it: 'wfplan verify DIR' checks
    every hash and recomputes every figure without the database. Its inputs are
    the vintage's data aggregated to ICB level; a bundle whose inputs still hold
    counts of 1 to 4 people is marked restricted (for accredited verifiers) in
    its manifest and report, unless --public applies disclosure control first.
    every hash and recomputes every figure without the database. With --sign,
    'wfplan verify DIR --trusted-key NAME.pub' also shows who made it.
    """
    from wfplan.assessment.bundle import Bundle, assess
    from wfplan.dataset.store import open_store

    def work() -> Bundle:
        with open_store(db, read_only=True) as store, _progress() as bar:
            task = bar.add_task("starting", total=None)
            return assess(store, config, out_dir, previous=previous, public=public,
                          sign=sign, step=lambda text: bar.update(task, description=text))

    bundle = guard(work)
    out.print(f"wrote assessment bundle {bundle.path} in {bundle.seconds:.1f} s")
    out.print(f"  report: {bundle.path / 'report.html'} and {bundle.path / 'report.pdf'}")
    out.print(f"  core digest (inputs, scenarios, results): {bundle.core_sha256}")
    out.print(f"  disclosure: {bundle.disclosure}", highlight=False, soft_wrap=True)
    if bundle.signer:
        out.print(f"  signed by {escape(bundle.signer)}, key {bundle.fingerprint}", highlight=False)
        out.print(f"  check it with: wfplan verify {bundle.path} --trusted-key PUBLIC_KEY.pub")
    else:
        out.print("  not signed (sign with --sign NAME.key, from 'wfplan keys create')")
        out.print(f"  check it with: wfplan verify {bundle.path}")


def verify_command(
    bundle: Annotated[Path, typer.Argument(help="Assessment bundle folder")],
    trusted_key: Annotated[list[Path] | None, typer.Option(
        "--trusted-key", help="A public key you trust (NAME.pub, one line 'ssh-ed25519 "
        "BASE64 SIGNER'); repeat for several. The bundle must be signed by one of them")] = None,
    trusted_keys: Annotated[Path | None, typer.Option(
        "--trusted-keys", help="A file of trusted public keys, one a line ('#' starts a "
        "comment)")] = None,
    full: Annotated[bool, typer.Option(
        "--full", help="Also print report.pdf again from the re-rendered report.html and "
        "compare it byte for byte (about 10 s more); without it, report.pdf is checked "
        "against its hash in the manifest only, and the verdict says so")] = False,
) -> None:
    """Check a bundle's signature, re-run it from the bundle alone, check every file and figure.

    Needs no database and no network. Exits 0 only when the bundle holds every
    file an assessment writes and nothing else, every file matches its manifest
    hash, every recomputed figure matches the bundle (exactly on the platform
    that wrote it, within a relative 1e-9 on any other) and the report files
    re-render identically (report.html and tables.xlsx; report.pdf too with --full,
    otherwise it is checked by its hash and the verdict says it was not
    re-rendered). With --trusted-key or --trusted-keys, the bundle must also be
    signed by one of those keys; without, authenticity is not checked and the
    verdict says so. Any difference exits 4 and is named.
    """
    from wfplan.assessment.signing import load_trusted_keys
    from wfplan.assessment.verify import verify
    from wfplan.errors import InputError

    def work() -> Verdict:
        trusted = load_trusted_keys(trusted_key or (), [trusted_keys] if trusted_keys else ())
        if not bundle.is_dir():
            raise InputError(f"{bundle}: no such bundle folder")
        with _progress() as bar:
            task = bar.add_task("checking the signature and hashes", total=None)
            return verify(bundle, trusted=trusted, full=full,
                          step=lambda text: bar.update(task, description=text))

    verdict = guard(work)
    checked = ", ".join(f"{n:,} {what}" for what, n in verdict.checked.items())
    mode = ("exactly (same platform)" if verdict.exact
            else "within a relative 1e-9 (another platform)")
    if verdict.ok:
        out.print(f"[bold green]VERIFIED[/]: {escape(str(bundle))} re-runs to the same "
                  f"figures, {mode}; checked {checked}.")
        if verdict.unrendered:
            out.print(unrendered_line(verdict), highlight=False, soft_wrap=True)
        out.print(authenticity_line(verdict), highlight=False, soft_wrap=True)
        return
    out.print(f"[bold red]NOT VERIFIED[/]: {escape(str(bundle))}: {len(verdict.findings)} "
              f"difference(s) (figures compared {mode}; checked {checked}):")
    for finding in verdict.findings[:100]:
        out.print(f"  - {escape(str(finding))}", highlight=False, soft_wrap=True)
    if len(verdict.findings) > 100:
        out.print(f"  ... and {len(verdict.findings) - 100} more")
    if verdict.unrendered:
        out.print(unrendered_line(verdict), highlight=False, soft_wrap=True)
    out.print(authenticity_line(verdict), highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_REFUSED)


def unrendered_line(verdict: Verdict) -> str:
    """Say which report files were checked by their hash only, and how to re-render them."""
    names = " and ".join(verdict.unrendered)
    if verdict.report_skipped:
        listed = ", ".join(verdict.unrendered)
        return (f"[bold yellow]REPORT NOT RE-RENDERED[/]: {escape(verdict.report_skipped)}, "
                f"so {escape(listed)} were not rendered again from the bundle's figures; each "
                "was checked against its hash in the manifest only. Fix the differences "
                "above, then verify again to check the report.")
    return (f"[bold yellow]{escape(names).upper()} NOT RE-RENDERED[/]: {escape(names)} matches "
            "its hash in the manifest, but was not printed again from the re-rendered "
            "report.html, so an edit made before the manifest was sealed (or re-sealed) is not "
            "caught; run 'wfplan verify --full' to re-render and compare it too.")


def authenticity_line(verdict: Verdict) -> str:
    """Say who signed the bundle, and whether that was checked against a trusted key."""
    found = verdict.authenticity
    signer, key = escape(str(found.signer)), escape(str(found.trusted_key))
    if found.authentic and verdict.ok:
        return (f"[bold green]AUTHENTIC[/]: signed by {signer} with trusted key "
                f"{found.fingerprint} ({key}).")
    if found.authentic:
        return (f"Signed by {signer} with trusted key {found.fingerprint} "
                f"({key}), but the bundle does not verify (above).")
    if found.checked:
        return ("[bold red]NOT AUTHENTICATED[/]: "
                + (f"the manifest names signer {signer} (key {found.fingerprint}), but "
                   "no trusted key's signature matches it (above)." if found.signed else
                   "the bundle is unsigned, so no trusted key can vouch for it."))
    if found.signed:
        return (f"[bold yellow]AUTHENTICITY NOT CHECKED[/]: no trusted key was given. The "
                f"bundle says it is signed by {signer} with key {found.fingerprint}, "
                "but anyone can write that: check it with --trusted-key, the signer's public "
                "key obtained from the signer.")
    return ("[bold yellow]AUTHENTICITY NOT CHECKED[/]: the bundle is unsigned. Its figures "
            "follow from its inputs, but nothing shows who made it: anyone can edit a bundle "
            "and re-seal its hashes.")


def compare_command(
    old: Annotated[Path, typer.Argument(help="The earlier assessment bundle")],
    new: Annotated[Path, typer.Argument(help="The later assessment bundle")],
    output: Annotated[OutputFormat, typer.Option("--format", help="Output format")] = (
        OutputFormat.table),
) -> None:
    """Explain the change in the headline gap between two assessments: data or assumptions.

    Cross-runs each scenario on the other assessment's data and splits the change
    in the England gap (principal run, by staff group, 5, 10 and 15 years on)
    into the part due to new data and the part due to changed assumptions; the
    two parts add up to the total change.
    """
    from wfplan.assessment.compare import compare_bundles

    def work() -> pd.DataFrame:
        with _progress() as bar:
            task = bar.add_task("cross-running the scenarios", total=None)
            return compare_bundles(old, new, step=lambda t: bar.update(task, description=t))

    table = guard(work)
    if output is OutputFormat.csv:
        sys.stdout.write(csv_text(table))
        return
    if output is OutputFormat.json:
        records = json.loads(table.to_json(orient="records", double_precision=15))
        sys.stdout.write(json.dumps(tidy_json(records), indent=2) + "\n")
        return
    largest = float(table["change_fte"].abs().max()) if not table.empty else 0.0
    if largest < 0.5:
        exactly = "exactly" if largest == 0 else f"to the nearest FTE (at most {largest:.2g})"
        out.print(f"No change: the England gap of every scenario, staff group and horizon "
                  f"(principal run) is the same in {old.name} and {new.name}, {exactly}.",
                  highlight=False)
        return
    figures = ("old_gap_fte", "new_gap_fte", "change_fte", "data_effect_fte",
               "assumptions_effect_fte")
    columns = [Column("scenario", key=True), Column("staff group", key=True),
               Column("years on", right=True, key=True), Column("old gap", right=True),
               Column("new gap", right=True), Column("change", right=True),
               Column("due to data", right=True), Column("due to assumptions", right=True)]
    rows = [[str(row["scenario"]), name_of("staff_group", row["staff_group"]),
             str(row["horizon_years"]),
             *(fixed(row[c], sign=c not in ("old_gap_fte", "new_gap_fte")) for c in figures)]
            for row in table.to_dict("records")]
    print_table(out, f"Change in the England gap (FTE, principal run): {old.name} → "
                f"{new.name}", columns, rows)
