"""The ingest of an ICB boundaries file (GeoJSON) into a vintage, inside the ingest's transaction.

:func:`wfplan.dataset.ingest.ingest` hands every ``.geojson`` file
here (:func:`wfplan.dataset.boundaries.is_boundaries`); the tabular files go to the
importers. A file is read and checked whole (:func:`wfplan.dataset.boundaries.read`);
its features go to ``icb_boundaries`` as given, its unmapped codes to ``unmapped``,
and one row to the ingest log. Any error is returned for the ingest to raise, so
that nothing of the call is written. A vintage holds one set of boundaries: a
second file (another SHA-256) is an error naming the first.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from wfplan.dataset import boundaries
from wfplan.dataset.enums import FileStatus
from wfplan.dataset.ingest_report import FileReport
from wfplan.dataset.provenance import sha256_file
from wfplan.dataset.store.queries import boundaries as queries
from wfplan.dataset.store.queries import ingest as ingest_queries

if TYPE_CHECKING:
    from wfplan.dataset.store import Store
    from wfplan.dataset.validate import Issue

#: The note of a file with features named only by their ONS (GSS) code.
GSS_ONLY = ("the features named only by an ONS code (ICBnnCD, E54…) are kept unmapped: "
            "wfplan has no lookup from ONS codes to the ODS codes of its ICBs; give each "
            "feature its ODS code (ICBnnCDH, as ONS's downloads do, or icb_code)")


def load(store: Store, vintage: str, path: Path) -> tuple[FileReport, list[Issue]]:
    """Load one boundaries file into the vintage; return its report and its errors.

    Nothing is written for a file with an error (and the caller, seeing errors,
    rolls the whole ingest back).
    """
    sha = sha256_file(path)
    earlier = store.find_ingest(vintage, sha)
    if earlier is not None:
        return FileReport(path, FileStatus.ALREADY_LOADED,
                          notes=[f"same SHA-256 as ingest {earlier}"]), []
    found = boundaries.read(path)
    for ingest_id, source in queries.loaded_by(store, vintage):
        found.error(None, None, None, f"vintage {vintage!r} holds ICB boundaries already "
                                      f"(ingest {ingest_id}, {source}) (rule: a vintage holds "
                                      "one set of ICB boundaries; load these into a new vintage)")
    report = FileReport(path, FileStatus.LOADED, format=boundaries.FORMAT)
    if found.errors:
        return report, found.errors
    report.unmapped, report.findings = found.unmapped, found.findings
    report.places = found.places
    if any(boundaries.is_gss_key(u.column) for u in found.unmapped):
        report.notes.append(GSS_ONLY)
    ingest_id = store.next_ingest_id()
    queries.insert(store, vintage, ingest_id, found.features)
    report.rows = {boundaries.TABLE: len(found.features)}
    warnings = [f"warning: {line}" for line in report.finding_lines()]
    store.record_ingest(
        ingest_id=ingest_id, vintage=vintage, source_file=path.name, sha256=sha,
        format=boundaries.FORMAT, tables=boundaries.TABLE, title="ICB boundaries (GeoJSON)",
        rows=len(found.features), warnings=len(report.unmapped) + len(report.findings),
        notes="\n".join(warnings + report.notes) or None)
    for item in report.unmapped:
        ingest_queries.record_unmapped(store, vintage, ingest_id, item.table, item.column,
                                       item.value, item.rows)
    return report, []
