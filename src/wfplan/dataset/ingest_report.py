"""What an ingest did, file by file, and the error it raises when a file breaks a rule.

:class:`IngestReport` holds one :class:`FileReport` per file: rows loaded by
table, unmapped values, plausibility findings and the importers' notes. Every
line it gives names the file and, for a row, where a reader of the file finds
it (``row 3 (line 4)``, ``row 3 (spreadsheet row 5)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from wfplan.dataset.checks import Finding
from wfplan.dataset.enums import FileStatus
from wfplan.dataset.validate import Issue, Unmapped
from wfplan.errors import InputError

#: Errors listed in an :class:`IngestError` message; the rest are counted.
MAX_ERRORS_SHOWN = 50


@dataclass
class FileReport:
    """What happened to one file."""

    path: Path
    status: FileStatus
    format: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    unmapped: list[Unmapped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    """Rows loaded although they failed a plausibility check, and columns not read."""
    places: dict[int, str] = field(default_factory=dict)
    """Where the rows named in the warnings are: ``row 3 (line 4)``."""

    def place(self, row: int) -> str:
        """Return where a data row is, for a reader of the file."""
        return self.places.get(row, f"row {row}")

    def finding_lines(self) -> list[str]:
        """Return one line per finding: file, row, column, value, what, rule and count."""
        lines = []
        for item in self.findings:
            where = [self.path.name]
            if item.first_row is not None:
                where.append(self.place(item.first_row))
            if item.column is not None:
                where.append(f"column '{item.column}'")
            value = "" if item.value is None else f"value {item.value!r}: "
            count = f"; {item.rows:,} rows like this, the first shown" if item.rows > 1 else ""
            lines.append(f"{', '.join(where)}: {value}{item.text} (rule: {item.rule}){count}")
        return lines


@dataclass
class IngestReport:
    """What one ingest call did."""

    vintage: str
    files: list[FileReport] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """Return every unmapped-value warning, every check warning, then every note."""
        return self.unmapped_warnings + self.check_warnings + self.notes

    @property
    def unmapped_warnings(self) -> list[str]:
        """Return one line per unmapped value: kept as given, counted as unmapped."""
        return [
            f"{report.path.name}: column '{u.column}': {u.value!r} matches no known code "
            f"({u.rows} rows, first at {report.place(u.first_row)}); kept as given, counted "
            "as unmapped"
            for report in self.files
            for u in report.unmapped
        ]

    @property
    def check_warnings(self) -> list[str]:
        """Return one line per plausibility finding of a loaded file (rows kept as given)."""
        return [line for report in self.files if report.status is FileStatus.LOADED
                for line in report.finding_lines()]

    @property
    def notes(self) -> list[str]:
        """Return the importers' findings about the files they loaded."""
        return [f"{report.path.name}: {note}" for report in self.files
                if report.status is FileStatus.LOADED for note in report.notes]


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
