"""The upload page's tables, built from the API's answer, and the answer carried to downloads.

An upload's answer (``POST /api/v1/vintages/{vintage}/uploads``) is a POST's: a
download cannot ask the API for it again, as the other pages' downloads do. So the
page puts the answer, as JSON, in a hidden field of its download form, signed with
HMAC-SHA256 keyed by the session token (:func:`signed`, :func:`verified`), and the
download builds the page's tables from it with the page's own functions
(:func:`report_tables`): the file has the page's rows, and a file cannot be made to
hold rows the API did not answer, nor be downloaded by another session.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from wfplan.web.pages.api import PageError
from wfplan.web.pages.tables import Cell, Table

#: The download ids of the upload page's tables.
REPORT_ID, FILES_ID = "upload-report", "upload-files"
#: The longest signed answer a download takes (characters of JSON).
MAX_ANSWER = 2_000_000
SEVERITIES = {"error": "Error", "warning": "Warning", "note": "Note"}


@dataclass
class Outcome:
    """What an upload answered: ``status`` 201 (loaded) or 422 (refused, nothing written).

    ``total`` is how many errors there are (the API lists the first 50).
    """

    status: int
    vintage: str
    files: list[dict[str, Any]] = field(default_factory=list)
    issues: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    @property
    def accepted(self) -> bool:
        """Whether the files were loaded."""
        return self.status == 201

    def counts(self) -> dict[str, int]:
        """Return the rows of the report by severity (errors: the API's total)."""
        found = {key: sum(1 for i in self.issues if i.get("severity") == key)
                 for key in SEVERITIES}
        found["error"] = max(found["error"], self.total)
        return found

    def to_json(self) -> str:
        """Return the outcome as JSON (the download form's field)."""
        return json.dumps({"status": self.status, "vintage": self.vintage, "files": self.files,
                           "issues": self.issues, "total": self.total},
                          separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Outcome:
        """Return the outcome :meth:`to_json` wrote."""
        data = json.loads(text)
        return cls(int(data["status"]), str(data["vintage"]), list(data["files"]),
                   list(data["issues"]), int(data["total"]))


def split_rule(text: str) -> tuple[str, str]:
    """Return an issue's text as (message, rule): ``must be ≥ 0 (rule: headcount ≥ 0)``."""
    head, marker, tail = text.strip().rpartition(" (rule: ")
    if not (marker and tail.endswith(")")):
        return text.strip(), ""
    return head, tail[:-1]


def report_table(outcome: Outcome) -> Table:
    """Return the validation report: one row per error, warning or note, as the API lists them.

    ``Row`` is where a reader of the file finds the row (``row 3 (spreadsheet row 5)``
    in a workbook, ``row 3 (line 4)`` in a CSV file), else the data row's number.
    """
    shown = "errors" if not outcome.accepted else "warnings and notes"
    table = Table(REPORT_ID, f"Validation report of the upload into {outcome.vintage}: "
                  f"the {shown}, row by row",
                  ["Severity", "File", "Row", "Column", "Value", "Message", "Rule",
                   "Rows like this"])
    for issue in outcome.issues:
        message, rule = split_rule(str(issue.get("rule") or ""))
        row = issue.get("place") or issue.get("row")
        table.rows.append([
            Cell(SEVERITIES.get(str(issue.get("severity")), str(issue.get("severity")))),
            Cell(issue.get("file")), Cell(row, "count" if isinstance(row, int) else "text"),
            Cell(issue.get("column")), Cell(issue.get("value")), Cell(message), Cell(rule),
            Cell(issue.get("rows", 1), "count")])
    if not outcome.accepted and outcome.total > len(outcome.issues):
        table.notes.append(f"The first {len(outcome.issues):,} of {outcome.total:,} errors "
                           "are listed: correct them and upload again to see the rest.")
    return table


def files_table(outcome: Outcome) -> Table:
    """Return what the upload loaded: one row per file, its status, format and rows by table."""
    table = Table(FILES_ID, f"Files loaded into {outcome.vintage}",
                  ["File", "Status", "Format", "Table", "Rows loaded"])
    for item in outcome.files:
        rows = item.get("rows") or {}
        for name, count in (sorted(rows.items()) or [(None, None)]):
            table.rows.append([Cell(item.get("file")), Cell(item.get("status")),
                               Cell(item.get("format") or None), Cell(name),
                               Cell(count, "count")])
    return table


def report_tables(outcome: Outcome) -> dict[str, Table]:
    """Return the upload page's tables by download id (the files only if it loaded)."""
    tables = {REPORT_ID: report_table(outcome)}
    if outcome.accepted:
        tables[FILES_ID] = files_table(outcome)
    return tables


def signature(token: str, text: str) -> str:
    """Return HMAC-SHA256(key=token, msg=b"upload-report:" + text), hex."""
    return hmac.new(token.encode(), b"upload-report:" + text.encode(), hashlib.sha256).hexdigest()


def verified(token: str, text: object, sent: object) -> Outcome:
    """Return the outcome a download form carried, if its signature is this session's.

    Raises
    ------
    PageError
        400 if the answer or its signature is missing, too long, or not this session's.
    """
    if not (isinstance(text, str) and isinstance(sent, str) and len(text) <= MAX_ANSWER
            and hmac.compare_digest(signature(token, text), sent)):
        raise PageError(400, "This report cannot be downloaded: it was not made for your "
                        "session. Upload the files again to see a new report.")
    return Outcome.from_json(text)
