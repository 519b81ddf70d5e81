"""Ingest files into a vintage of the store: detect, validate, load, in one transaction.

One call to :func:`ingest` is one transaction. Every file is detected,
validated chunk by chunk and loaded; if any file has an error, nothing is
written and :class:`IngestError` lists the first 50 problems and counts the
rest. A file already loaded into the vintage (same SHA-256) is skipped.
Unknown codes are warnings: the rows are kept with the value as given and the
value is counted in the ``unmapped`` table. Rows that fail a plausibility check
(:mod:`wfplan.dataset.checks`) are kept and counted in one warning per file,
column and check. Reference data wins over the organisations and areas that
fact files name (:mod:`wfplan.dataset.importers.precedence`). Every message
says where a row is for a reader of the file: ``row 3 (line 4)`` in a CSV
file, ``row 3 (spreadsheet row 5)`` in a workbook. A GeoJSON file (``.geojson``) is
ICB boundaries (:mod:`wfplan.dataset.ingest_boundaries`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow as pa

from wfplan.dataset import boundaries, ingest_boundaries, pseudonym, readers, schema
from wfplan.dataset.asc_checks import placement_issues
from wfplan.dataset.checks import DayFirstDates, Finding, unfilled_optional
from wfplan.dataset.enums import FileStatus
from wfplan.dataset.importers import detect, precedence
from wfplan.dataset.importers.base import Match
from wfplan.dataset.importers.toolkit import CellErrors
from wfplan.dataset.ingest_report import MAX_ERRORS_SHOWN, FileReport, IngestError, IngestReport
from wfplan.dataset.lookup_checks import lookup_issues
from wfplan.dataset.provenance import sha256_file
from wfplan.dataset.pseudonym import PseudonymKey
from wfplan.dataset.store import Store
from wfplan.dataset.store.queries import ingest as queries
from wfplan.dataset.validate import ChunkResult, ChunkValidator, Issue, Unmapped
from wfplan.dataset.writer import ChunkWriter
from wfplan.errors import InputError

__all__ = ["FileReport", "IngestError", "IngestReport", "ProgressCallback", "ingest"]

#: Called with (file, rows read so far) as an ingest goes.
ProgressCallback = Callable[[Path, int], None]
#: The rules across rows of a table, checked over the vintage once its files are loaded:
#: la_icb_lookup's shares and ICBs (:mod:`.lookup_checks`), asc_workforce's placement of
#: each location (:mod:`.asc_checks`).
CROSS_ROW_CHECKS = {"la_icb_lookup": lookup_issues, "asc_workforce": placement_issues}


class _Ingest:
    """The state of one ingest call, inside its transaction."""

    def __init__(self, store: Store, vintage: str, progress: ProgressCallback | None,
                 ignore_extra_columns: bool = False) -> None:
        self.store, self.vintage, self.progress = store, vintage, progress
        self.ignore_extra_columns = ignore_extra_columns
        self.errors: list[Issue] = []
        self.error_count = 0
        self.touched: set[str] = set()
        #: Per ingest id of this call: where the file's data rows are, for a reader.
        self.places: dict[int, Callable[[set[int]], dict[int, str]]] = {}
        #: Optional measure columns the file being read has but left empty, by table.
        self.unfilled: dict[str, list[str]] = {}
        orgs, areas = queries.known_codes(store, vintage)
        # An area code in org_code means a figure reported for the whole area.
        self.known = {"organisation": orgs | areas, "area": areas}

    def add_errors(self, issues: list[Issue], count: int | None = None) -> None:
        """Keep the first issues for the message and count them all (``count`` if larger)."""
        self.error_count += max(len(issues), count or 0)
        room = MAX_ERRORS_SHOWN - len(self.errors)
        self.errors.extend(issues[: max(room, 0)])

    def load(self, probe: readers.FileProbe, match: Match, sha: str,
             ingest_id: int) -> FileReport:
        """Read, validate and insert one file as ``ingest_id``; finish and record it if valid."""
        report = FileReport(probe.path, FileStatus.LOADED, format=f"{match.importer.name}")
        first_error = len(self.errors)
        self.places[ingest_id] = lambda rows: readers.row_places(
            probe, rows, match.sheet, match.headerless)
        read = self._header_ok(probe, match, report) and self._read(probe, match, report,
                                                                    ingest_id)
        self._locate(report, first_error, ingest_id)
        if read and not self.error_count:
            self._finish(probe, match, sha, ingest_id, report)
        return report

    def _header_ok(self, probe: readers.FileProbe, match: Match, report: FileReport) -> bool:
        """Report the rules the header breaks; return whether the file can be read."""
        name = probe.path.name
        issues = [Issue(name, None, None, None, rule) for rule in match.errors]
        refused = None if match.importer.reads_windows_1252 else readers.not_utf8(
            probe, match.headerless)
        if refused:
            issues.insert(0, Issue(name, None, None, None, refused))
        if probe.decoding is not None:
            report.notes += [probe.decoding.note] if probe.decoding.note else []
            report.findings += [Finding(match.table or "", None, None, text, rule, 0, None)
                                for text, rule in probe.decoding.warnings]
        if match.unknown and self.ignore_extra_columns:
            report.findings.append(Finding(
                match.table or "", None, None, "column(s) " + ", ".join(map(repr, match.unknown))
                + f" are not columns of {match.table} and were not read", "a tidy file has only "
                "its table's columns; --ignore-extra-columns loads it without the others",
                0, None))
        elif match.unknown:
            issues.append(Issue(name, None, None, None, (
                f"has column(s) {', '.join(map(repr, match.unknown))} that {match.table} does "
                f"not have (rule: a {match.table} file has only the columns "
                f"{', '.join(schema.table(match.table or '').column_names)}); remove them, or "
                "pass --ignore-extra-columns to load the file without them")))
        self.add_errors(issues)
        return not issues

    def _read(self, probe: readers.FileProbe, match: Match, report: FileReport,
              ingest_id: int) -> bool:
        """Validate and insert the file's chunks; return whether it had any rows."""
        validators: dict[str, ChunkValidator] = {}
        self.unfilled = {}
        unmapped: dict[tuple[str, str, str], Unmapped] = {}
        dates = DayFirstDates()
        rows_read = unnamed = 0
        try:
            with ChunkWriter(background=self.store.writes_from_any_thread) as writer:
                for table, chunk in match.importer.chunks(probe, match):
                    rows_read += len(chunk)
                    if precedence.is_by_product(match.importer, table):
                        chunk, dropped = precedence.without_unnamed(table, chunk)
                        unnamed += dropped
                    validator = validators.setdefault(table, ChunkValidator(
                        schema.table(table), probe.path.name, self.known, dates))
                    result = validator.validate(chunk)
                    self._take(result, unmapped)
                    if self.progress:
                        self.progress(probe.path, rows_read)
                    if self.error_count or result.frame is None:
                        continue
                    self._insert(table, result.frame, ingest_id, writer)
                    report.rows[table] = report.rows.get(table, 0) + len(result.frame)
        except CellErrors as exc:
            # An importer's own cell rules: every bad cell, located like the validator's.
            self.add_errors(exc.issues, exc.count)
            return True
        if rows_read == 0:
            self.add_errors([Issue(probe.path.name, None, None, None,
                                   "has a header but no data rows (rule: at least one row)")])
            return False
        for table, validator in validators.items():
            issues, findings = validator.finish()
            self.add_errors(issues)
            report.findings += findings
            self.unfilled[table] = [c for c in validator.checks.unfilled()
                                    if not validator.spec.column(c).required]
        report.findings += match.importer.findings()
        report.unmapped = list(unmapped.values())
        self._day_first(dates, report, ingest_id)
        if unnamed:
            report.notes.append(
                f"{unnamed:,} organisation or area row(s) give only a code, no name: not added "
                "to the reference tables (their figures are kept, counted as unmapped); load "
                "reference data, e.g. the ODS file, to describe them")
        return True

    def _take(self, result: ChunkResult,
              unmapped: dict[tuple[str, str, str], Unmapped]) -> None:
        """Keep a validated chunk's errors, and add up its unmapped values."""
        self.add_errors(result.errors, result.error_count)
        for item in result.unmapped:
            key = (item.table, item.column, item.value)
            if key in unmapped:
                unmapped[key].rows += item.rows
            else:
                unmapped[key] = item

    def _day_first(self, dates: DayFirstDates, report: FileReport, ingest_id: int) -> None:
        finding, note = dates.outcome(lambda row: self.places[ingest_id]({row})[row])
        if finding is not None:
            report.findings.append(finding)
        if note is not None:
            report.notes.append(note)

    def _finish(self, probe: readers.FileProbe, match: Match, sha: str, ingest_id: int,
                report: FileReport) -> None:
        """Let reference data win, run the importer's finish, and record the ingest."""
        report.notes += precedence.settle(self.store, self.vintage, ingest_id, match.importer,
                                          set(report.rows))
        report.notes += match.importer.finish(self.store, ingest_id, self.vintage)
        # finish() may have set rows aside (e.g. figures repeated from another file).
        report.rows = {table: queries.rows_of_ingest(self.store, table, ingest_id)
                       for table in report.rows}
        report.findings += self._still_empty(ingest_id)
        self._record(probe, match, sha, ingest_id, report)

    def _still_empty(self, ingest_id: int) -> list[Finding]:
        """Return a warning per table whose optional measures the file left empty in every row."""
        found = []
        for table, columns in self.unfilled.items():
            if not columns:
                continue
            filled = queries.filled_columns(self.store, table, ingest_id, columns)
            found += [unfilled_optional(table, c) for c in columns if not filled[c]]
        return found

    def _locate(self, report: FileReport, first_error: int, ingest_id: int) -> None:
        """Say where this file's errors and warnings are, as its reader would find them."""
        rows = {i.row for i in self.errors[first_error:] if i.row is not None}
        rows |= {u.first_row for u in report.unmapped}
        rows |= {f.first_row for f in report.findings if f.first_row is not None}
        if not rows:
            return
        report.places = self.places[ingest_id](rows)
        self.errors[first_error:] = [
            replace(i, place=report.places[i.row]) if i.row is not None else i
            for i in self.errors[first_error:]]

    def _insert(self, table: str, frame: pd.DataFrame, ingest_id: int,
                writer: ChunkWriter) -> None:
        """Start writing a valid chunk (in the background), and note the codes it defines."""
        rows = pa.Table.from_pandas(frame.assign(vintage=self.vintage, ingest_id=ingest_id),
                                    preserve_index=False)
        writer.submit(lambda: self.store.insert(table, rows))
        self.touched.add(table)
        if table == "organisations":
            self.known["organisation"].update(frame["org_code"].dropna())
        elif table == "areas":
            self.known["area"].update(frame["code"].dropna())
            self.known["organisation"].update(frame["code"].dropna())

    def _record(self, probe: readers.FileProbe, match: Match, sha: str, ingest_id: int,
                report: FileReport) -> None:
        source = match.importer.provenance(probe, match)
        warnings = [f"warning: {line}" for line in report.finding_lines()]
        self.store.record_ingest(
            ingest_id=ingest_id, vintage=self.vintage, source_file=str(probe.path.name),
            sha256=sha, format=report.format, tables=",".join(sorted(report.rows)),
            publisher=source.publisher, title=source.title, period=source.period,
            licence=source.licence, rows=sum(report.rows.values()),
            warnings=len(report.unmapped) + len(report.findings),
            notes="\n".join(warnings + report.notes) or None)
        for item in report.unmapped:
            queries.record_unmapped(self.store, self.vintage, ingest_id, item.table,
                                    item.column, item.value, item.rows)

    def check_duplicates(self, files: dict[int, str]) -> None:
        """Report keys that more than one row of the vintage shares, wherever the rows came from."""
        for table in sorted(self.touched):
            spec = schema.table(table)
            keys = ", ".join(spec.key_columns)
            dupes = self.store.duplicate_keys(table, spec.key_columns, self.vintage,
                                              MAX_ERRORS_SHOWN)
            if dupes.empty:
                continue
            names = self._file_names(files, {int(i) for ids in dupes["ingests"] for i in ids})
            where = self._places_of(dupes)
            issues = []
            for row in dupes.to_dict("records"):
                key = ", ".join(f"{k}={row[k]}" for k in spec.key_columns if row[k] is not None)
                places = [(int(i), int(r))
                          for i, r in zip(row["ingests"], row["source_rows"], strict=True)]
                last = places[-1]
                issues.append(Issue(
                    names[last[0]], last[1], None, None,
                    f"duplicate key ({key}) in {table}: {int(row['n'])} rows share it, at "
                    + " and ".join(f"{names[i]} {where.get((i, r), f'row {r}')}"
                                   for i, r in places)
                    + f" (rule: unique key {keys})", place=where.get(last)))
            self.add_errors(issues, int(dupes["total"].to_numpy()[0]))

    def check_lookup(self, files: dict[int, str]) -> None:
        """Report rows breaking a rule across rows of their table (:data:`CROSS_ROW_CHECKS`)."""
        for table, issues in CROSS_ROW_CHECKS.items():
            if table in self.touched:
                self.add_errors(issues(self.store, self.vintage, MAX_ERRORS_SHOWN,
                                       lambda ids: self._file_names(files, ids), self.places))

    def _places_of(self, dupes: pd.DataFrame) -> dict[tuple[int, int], str]:
        """Return where the duplicate rows of this call's files are, by (ingest, row)."""
        rows: dict[int, set[int]] = {}
        for ids, numbers in zip(dupes["ingests"], dupes["source_rows"], strict=True):
            for i, r in zip(ids, numbers, strict=True):
                if int(i) in self.places:
                    rows.setdefault(int(i), set()).add(int(r))
        return {(i, r): text for i, wanted in rows.items()
                for r, text in self.places[i](wanted).items()}

    def _file_names(self, files: dict[int, str], ingest_ids: set[int]) -> dict[int, str]:
        """Return the file name of each ingest id: this call's files, else the ingest log's."""
        names = dict(files)
        earlier = sorted(ingest_ids - set(files))
        if earlier:
            logged = queries.source_files(self.store, earlier)
            names.update(zip(logged["ingest_id"].astype(int), logged["source_file"],
                             strict=True))
        return {i: names.get(i, f"ingest {i}") for i in ingest_ids}


#: What a new vintage may be called: it is named in commands, logs and bundle manifests.
VINTAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_vintage_name(name: str) -> None:
    """Refuse a name a new vintage may not have (:data:`VINTAGE_NAME`).

    Raises
    ------
    InputError
        If the name is empty, too long, or holds other characters.
    """
    if not VINTAGE_NAME.fullmatch(name):
        raise InputError(
            f"vintage name {name!r} is not allowed (rule: a new vintage's name is 1 to 64 "
            "letters, digits, '.', '_' or '-', starting with a letter or digit, e.g. "
            "2024-03 or trust-returns_v2)")


def ingest(
    store: Store,
    paths: Sequence[Path],
    vintage: str,
    *,
    encoding: str = "utf-8",
    progress: ProgressCallback | None = None,
    ignore_extra_columns: bool = False,
    pseudonym_key: PseudonymKey | None = None,
) -> IngestReport:
    """Ingest files into a vintage in one transaction.

    Parameters
    ----------
    store : Store
        The store to write to.
    paths : sequence of Path
        The files (CSV, XLSX or Parquet; GeoJSON ICB boundaries, ``.geojson``), in
        any order: reference data loads first.
    vintage : str
        The vintage to load into; created if new; refused if frozen.
    encoding : str
        The text encoding of CSV files.
    progress : callable, optional
        Called with (file, rows read so far).
    ignore_extra_columns : bool
        Load a tidy file with columns its table does not have, without them (a
        warning) instead of refusing it (an error listing them).
    pseudonym_key : PseudonymKey, optional
        The key record-level identifiers are hashed with (``staff_records``
        extracts need one; it is never stored: :mod:`wfplan.dataset.pseudonym`).

    Returns
    -------
    IngestReport
        What was loaded, skipped and warned about.

    Raises
    ------
    IngestError
        If any file breaks a rule; nothing is written.
    """
    report = IngestReport(vintage)
    if not paths:
        raise InputError("no files to ingest")
    if not store.vintage_exists(vintage):
        check_vintage_name(vintage)
    probes, shapes = [], []
    for path in readers.named_once(paths):
        if boundaries.is_boundaries(path):
            shapes.append(path)  # ICB boundaries (GeoJSON): :mod:`.ingest_boundaries`
            continue
        probe = readers.probe(path, encoding=encoding)
        match = detect(probe)
        probes.append((match.importer.order_for(match), probe, match))
    probes.sort(key=lambda item: item[0])
    with store.transaction(), pseudonym.using(pseudonym_key):
        store.ensure_writable_vintage(vintage)
        state = _Ingest(store, vintage, progress, ignore_extra_columns)
        ids: dict[int, str] = {}
        for _, probe, match in probes:
            sha = sha256_file(probe.path)
            earlier = store.find_ingest(vintage, sha)
            if earlier is not None:
                report.files.append(FileReport(probe.path, FileStatus.ALREADY_LOADED,
                                               notes=[f"same SHA-256 as ingest {earlier}"]))
                continue
            ingest_id = store.next_ingest_id()
            ids[ingest_id] = probe.path.name
            report.files.append(state.load(probe, match, sha, ingest_id))
        for path in shapes:
            loaded, issues = ingest_boundaries.load(store, vintage, path)
            report.files.append(loaded)
            state.add_errors(issues)
        for check in (state.check_duplicates, state.check_lookup):
            if not state.error_count:
                check(ids)
        if state.error_count:
            raise IngestError(state.errors, state.error_count)
    return report
