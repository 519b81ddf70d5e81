"""The response models of the uploads (``POST /api/v1/vintages/{vintage}/uploads``)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from wfplan.web.models import Model


class UploadIssue(Model):
    """One row of an upload's validation report: an error (status 422), a warning or a note.

    The fields of :class:`RowError`, and where a reader of the file finds the row
    (``place``: ``row 3 (line 4)`` in a CSV file, ``row 3 (spreadsheet row 5)`` in a
    workbook), the severity, and how many rows are like it (a warning names the first).
    """

    file: str | None
    row: int | None
    column: str | None
    value: str | None
    rule: str
    place: str | None = None
    severity: Literal["error", "warning", "note"] = "error"
    rows: int = 1


class Upload(Model):
    """What an upload loaded into its vintage."""

    vintage: str
    files: list[dict[str, Any]]
    warnings: list[str]
    findings: list[UploadIssue] = Field(
        default_factory=list, description="The warnings and notes, one row each (as a 422's)")
