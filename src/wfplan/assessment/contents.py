"""What an assessment bundle holds: a fixed list of files, every one hashed, nothing else.

``wfplan verify`` does not take the manifest's word for what a bundle should
hold: a bundle without ``results.parquet`` or ``tables/`` fails whatever its
manifest lists. The extracts of the tables in
:data:`~wfplan.assessment.extract.OPTIONAL_TABLES` are written only where the
vintage has their rows: a bundle may lack them, but one its manifest lists must be
there, unchanged. Every file at every depth must be listed in the manifest with
its hash, and be a file that ``wfplan assess`` writes: anything else (a
``manifest.json`` in a sub-folder, a symbolic link) is named as a failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from wfplan.assessment.extract import (
    OPTIONAL_TABLES,
    carried_files,
    extract_tables,
    optional_files,
)
from wfplan.assessment.manifest import (
    CONFIG_FILE,
    MANIFEST,
    METADATA_FILE,
    RESULTS_FILE,
    SIGNATURE,
    Finding,
    bundle_files,
    odd_entries,
)
from wfplan.dataset.provenance import sha256_file
from wfplan.report.render import REPORT_FILES

#: Files at the top of every bundle.
TOP_LEVEL = (MANIFEST, CONFIG_FILE, RESULTS_FILE, METADATA_FILE, *REPORT_FILES.values())
#: Tables every assessment computes (besides the data-gap sections, ``tables/gaps_*``).
FIXED_TABLES = ("position_region", "position_icb", "ethnicity_by_band", "sensitivity_tornado",
                "sensitivity_variance")
#: The table an assessment made with ``--previous`` adds.
COMPARISON_TABLE = "comparison"
_TABLE = re.compile(r"tables/[a-z0-9_]+\.parquet")


def scenario_files(manifest: Mapping[str, Any]) -> list[str]:
    """Return the scenario files a manifest names (``scenarios/NAME.toml``)."""
    listed = manifest.get("scenarios")
    if not isinstance(listed, list):
        return []
    return [str(s.get("file")) for s in listed if isinstance(s, dict)
            and re.fullmatch(r"scenarios/[^/]+\.toml", str(s.get("file")))]


def required_files(scenarios: Sequence[str]) -> list[str]:
    """Return every file a bundle must hold, whatever its manifest lists."""
    return [*TOP_LEVEL, *(f"inputs/{name}.parquet" for name in extract_tables()
                          if name not in OPTIONAL_TABLES),
            *(f"inputs/{name}" for name in carried_files()), *scenarios,
            *(f"tables/{name}.parquet" for name in FIXED_TABLES)]


def check_contents(bundle: Path, manifest: Mapping[str, Any]) -> list[Finding]:
    """Check the bundle holds every required file, each listed file unchanged, nothing else."""
    listed: Mapping[str, str] = manifest["files"]
    required = required_files(scenario_files(manifest))
    present = set(bundle_files(bundle))
    findings = [Finding(name, "missing: every assessment bundle has this file, whatever its "
                              "manifest lists")
                for name in required if name not in present and name != MANIFEST]
    allowed = {*required, *(f"inputs/{name}" for name in optional_files())}
    for name, expected in sorted(listed.items()):
        if name not in present:
            if name not in required:
                findings.append(Finding(name, "missing: the manifest lists it but it was "
                                              "deleted"))
        elif sha256_file(bundle / name) != expected:
            findings.append(Finding(name, "changed: its SHA-256 differs from the manifest's"))
    for name in sorted(present):
        unlisted = name not in listed
        if name not in allowed and not _TABLE.fullmatch(name):
            findings.append(Finding(name, "not a file an assessment writes: it was added to "
                                          "the bundle" + (" (and is not in the manifest)"
                                                          if unlisted else "")))
        elif unlisted:
            findings.append(Finding(name, "not in the manifest: added after the bundle was "
                                          "written"))
    findings += [Finding(name, "not a regular file (a symbolic link, or a device): a bundle "
                               "holds only files and folders")
                 for name in odd_entries(bundle) if name not in (MANIFEST, SIGNATURE)]
    return findings


def check_tables(bundle: Path, computed: Iterable[str], *, compared: bool) -> list[Finding]:
    """Check ``tables/`` holds exactly the tables the re-run computes (and the comparison)."""
    expected = {f"tables/{name}.parquet" for name in computed}
    if compared:
        expected.add(f"tables/{COMPARISON_TABLE}.parquet")
    present = {name for name in bundle_files(bundle) if _TABLE.fullmatch(name)}
    findings = [Finding(name, "missing: the re-run computes this table but the bundle lacks "
                              "it") for name in sorted(expected - present)
                if name.removeprefix("tables/").removesuffix(".parquet") not in FIXED_TABLES]
    findings += [Finding(name, "not a table the assessment computes: it was added to the "
                               "bundle") for name in sorted(present - expected)]
    return findings
