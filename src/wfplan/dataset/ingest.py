"""Ingest files into a vintage of the store: detect, validate, load, in one transaction.

One call to :func:`ingest` is one transaction. Every file is detected,
validated chunk by chunk and loaded; if any file has an error, nothing is
written and :class:`IngestError` lists the first 50 problems and counts the
rest. A file already loaded into the vintage (same SHA-256) is skipped.
Unknown codes are warnings: the rows are kept with the value as given and the
value is counted in the ``unmapped`` table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from wfplan.dataset import readers, schema
from wfplan.dataset.importers import detect
from wfplan.dataset.importers.base import Match
from wfplan.dataset.store import Store
from wfplan.dataset.validate import ChunkValidator, Issue, Unmapped
from wfplan.errors import InputError

MAX_ERRORS_SHOWN = 50

#: Called with (file, rows read so far) as an ingest goes.
ProgressCallback = Callable[[Path, int], None]


@dataclass
class FileReport:
    """What happened to one file."""

    path: Path
    status: str
    format: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    """What one ingest call did."""

    vintage: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """Return every unmapped-value warning, then every importer note."""
        return self.unmapped_warnings + self.notes

    @property
    def unmapped_warnings(self) -> list[str]:
        """Return one line per unmapped value: kept as given, counted as unmapped."""
        return [
            f"{report.path.name}: column '{u.column}': {u.value!r} matches no known code "
            f"({u.rows} rows, first at row {u.first_row}); kept as given, counted as unmapped"
            for report in self.files
            for u in report.unmapped
        ]

    @property
    def notes(self) -> list[str]:
        """Return the importers' findings about the files they loaded."""
        return [f"{report.path.name}: {note}" for report in self.files
                if report.status == "loaded" for note in report.notes]


class IngestError(InputError):
    """The files break rules; nothing was written."""

    def __init__(self, errors: list[Issue], total: int) -> None:
        self.errors = errors
        self.total = total
        lines = [str(e) for e in errors[:MAX_ERRORS_SHOWN]]
        if total > len(lines):
            lines.append(f"... and {total - len(lines)} more errors")
        lines.append("Nothing was written: the database is as it was before this ingest.")
        super().__init__(f"{total} error{'s' if total != 1 else ''} in the input:\n" +
                         "\n".join(lines))


def sha256_file(path: Path) -> str:
    """Return the SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Ingest:
    """The state of one ingest call, inside its transaction."""

    def __init__(self, store: Store, vintage: str, progress: ProgressCallback | None) -> None:
        self.store = store
        self.vintage = vintage
        self.progress = progress
        self.errors: list[Issue] = []
        self.error_count = 0
        self.touched: set[str] = set()
        areas = set(store.query(
            "SELECT DISTINCT code FROM areas WHERE vintage = ?", [vintage])["code"])
        orgs = set(store.query(
            "SELECT DISTINCT org_code FROM organisations WHERE vintage = ?", [vintage]
        )["org_code"])
        # An area code in org_code means a figure reported for the whole area.
        self.known = {"organisation": orgs | areas, "area": areas}

    def add_errors(self, issues: list[Issue], count: int | None = None) -> None:
        """Keep the first issues for the message and count them all (``count`` if larger)."""
        self.error_count += max(len(issues), count or 0)
        room = MAX_ERRORS_SHOWN - len(self.errors)
        self.errors.extend(issues[: max(room, 0)])

    def load(self, probe: readers.FileProbe, match: Match, sha: str) -> FileReport:
        report = FileReport(probe.path, "loaded", format=f"{match.importer.name}")
        ingest_id = self.store.next_ingest_id()
        validators: dict[str, ChunkValidator] = {}
        unmapped: dict[tuple[str, str, str], Unmapped] = {}
        rows_read = 0
        for table, chunk in match.importer.chunks(probe, match):
            spec = schema.table(table)
            validator = validators.setdefault(
                table, ChunkValidator(spec, probe.path.name, self.known))
            result = validator.validate(chunk)
            rows_read += len(chunk)
            self.add_errors(result.errors, result.error_count)
            for item in result.unmapped:
                key = (item.table, item.column, item.value)
                if key in unmapped:
                    unmapped[key].rows += item.rows
                else:
                    unmapped[key] = item
            if self.progress:
                self.progress(probe.path, rows_read)
            if self.error_count or result.frame is None:
                continue
            self._insert(table, result.frame, ingest_id)
            report.rows[table] = report.rows.get(table, 0) + len(result.frame)
        if rows_read == 0:
            self.add_errors([Issue(probe.path.name, None, None, None,
                                   "has a header but no data rows (rule: at least one row)")])
            return report
        report.unmapped = list(unmapped.values())
        if not self.error_count:
            report.notes += match.importer.finish(self.store, ingest_id, self.vintage)
            # finish() may have set rows aside (e.g. figures repeated from another file).
            report.rows = {table: int(self.store.scalar(
                f"SELECT count(*) FROM {table} WHERE ingest_id = ?", [ingest_id]))
                for table in report.rows}
            self._record(probe, match, sha, ingest_id, report)
        return report

    def _insert(self, table: str, frame: object, ingest_id: int) -> None:
        import pandas as pd

        assert isinstance(frame, pd.DataFrame)
        frame = frame.assign(vintage=self.vintage, ingest_id=ingest_id)
        self.store.insert(table, pa.Table.from_pandas(frame, preserve_index=False))
        self.touched.add(table)
        if table == "organisations":
            self.known["organisation"].update(frame["org_code"].dropna())
        elif table == "areas":
            self.known["area"].update(frame["code"].dropna())
            self.known["organisation"].update(frame["code"].dropna())

    def _record(self, probe: readers.FileProbe, match: Match, sha: str, ingest_id: int,
                report: FileReport) -> None:
        source = match.importer.provenance(probe, match)
        self.store.record_ingest(
            ingest_id=ingest_id, vintage=self.vintage, source_file=str(probe.path.name),
            sha256=sha, format=report.format, tables=",".join(sorted(report.rows)),
            publisher=source.publisher, title=source.title, period=source.period,
            licence=source.licence, rows=sum(report.rows.values()),
            warnings=len(report.unmapped), notes="\n".join(report.notes) or None,
        )
        for item in report.unmapped:
            self.store.execute(
                "INSERT INTO unmapped VALUES (?, ?, ?, ?, ?, ?)",
                [self.vintage, ingest_id, item.table, item.column, item.value, item.rows],
            )

    def check_duplicates(self, files: dict[int, str]) -> None:
        """Report keys that more than one row of the vintage shares, wherever the rows came from.

        A hash of the key finds candidate keys in one cheap pass; the exact keys are
        compared only on the candidates' rows (two keys may share a hash).
        """
        for table in sorted(self.touched):
            spec = schema.table(table)
            keys = ", ".join(spec.key_columns)
            candidates = self.store.query(
                f"SELECT hash({keys}) AS key_hash FROM {table} WHERE vintage = ? "
                f"GROUP BY key_hash HAVING count(*) > 1",
                [self.vintage],
            )
            if candidates.empty:
                continue
            shown = ", ".join(f"CAST({k} AS VARCHAR) AS {k}" for k in spec.key_columns)
            dupes = self.store.query(
                f"WITH candidates AS (SELECT {keys}, ingest_id, source_row FROM {table} "
                f"WHERE vintage = ? AND hash({keys}) IN (SELECT unnest(?::UBIGINT[]))), "
                f"dupes AS (SELECT {shown}, count(*) AS n, min(source_row) AS first_row, "
                f"list(ingest_id ORDER BY ingest_id, source_row)[1:3] AS ingests, "
                f"list(source_row ORDER BY ingest_id, source_row)[1:3] AS source_rows "
                f"FROM candidates GROUP BY {keys} HAVING count(*) > 1) "
                f"SELECT *, count(*) OVER () AS total FROM dupes "
                f"ORDER BY first_row LIMIT {MAX_ERRORS_SHOWN}",
                [self.vintage, [int(h) for h in candidates["key_hash"]]],
            )
            if dupes.empty:
                continue
            names = self._file_names(files, {int(i) for ids in dupes["ingests"] for i in ids})
            issues = []
            for row in dupes.to_dict("records"):
                key = ", ".join(f"{k}={row[k]}" for k in spec.key_columns if row[k] is not None)
                places = [(names[int(i)], int(r))
                          for i, r in zip(row["ingests"], row["source_rows"], strict=True)]
                issues.append(Issue(
                    places[-1][0], places[-1][1], None, None,
                    f"duplicate key ({key}) in {table}: {int(row['n'])} rows share it, at "
                    + " and ".join(f"{f} row {r}" for f, r in places)
                    + f" (rule: unique key {keys})"))
            self.add_errors(issues, int(dupes["total"].to_numpy()[0]))

    def _file_names(self, files: dict[int, str], ingest_ids: set[int]) -> dict[int, str]:
        """Return the file name of each ingest id: this call's files, else the ingest log's."""
        names = dict(files)
        earlier = sorted(ingest_ids - set(files))
        if earlier:
            logged = self.store.query(
                "SELECT ingest_id, source_file FROM ingests WHERE ingest_id IN "
                "(SELECT unnest(?::BIGINT[]))", [earlier])
            names.update(zip(logged["ingest_id"].astype(int), logged["source_file"],
                             strict=True))
        return {i: names.get(i, f"ingest {i}") for i in ingest_ids}


def ingest(
    store: Store,
    paths: Sequence[Path],
    vintage: str,
    *,
    encoding: str = "utf-8",
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingest files into a vintage in one transaction.

    Parameters
    ----------
    store : Store
        The store to write to.
    paths : sequence of Path
        The files (CSV, XLSX or Parquet), in any order: reference data loads first.
    vintage : str
        The vintage to load into; created if new; refused if frozen.
    encoding : str
        The text encoding of CSV files.
    progress : callable, optional
        Called with (file, rows read so far).

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
    probes = []
    for path in paths:
        probe = readers.probe(Path(path), encoding=encoding)
        match = detect(probe)
        probes.append((match.importer.order_for(match), probe, match))
    probes.sort(key=lambda item: item[0])
    with store.transaction():
        store.ensure_writable_vintage(vintage)
        state = _Ingest(store, vintage, progress)
        ids: dict[int, str] = {}
        for _, probe, match in probes:
            sha = sha256_file(probe.path)
            earlier = store.find_ingest(vintage, sha)
            if earlier is not None:
                report.files.append(FileReport(
                    probe.path, "already loaded", notes=[f"same SHA-256 as ingest {earlier}"]))
                continue
            ids[store.next_ingest_id()] = probe.path.name
            report.files.append(state.load(probe, match, sha))
        if not state.error_count:
            state.check_duplicates(ids)
        if state.error_count:
            raise IngestError(state.errors, state.error_count)
    return report
