"""Write empty tidy templates with a documentation sheet or companion Markdown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from wfplan.dataset import codelists, schema
from wfplan.dataset.cells import DATE_RANGE_DOC
from wfplan.dataset.checks import CONTROL_DOC, DAY_FIRST_DOC, document
from wfplan.errors import InputError

_TYPE_WORDS = {"text": "text", "date": "date (YYYY-MM-DD, YYYY-MM or dd/mm/yyyy)",
               "integer": "whole number", "double": "number"}
_RULES = (
    "Column names are matched whatever their case or spacing. A column not listed here is an "
    "error naming it (`wfplan ingest --ignore-extra-columns` loads the file without it, with a "
    "warning). A column named twice (`fte,fte`, or `FTE` and `fte`) is an error naming both "
    "places, since which one holds the figures would be a guess. A required measure column "
    "must be in the file and filled in at least one row; a single cell may be empty (not "
    "reported) or suppressed.",
    "Dates: YYYY-MM means that month's last day; " + DAY_FIRST_DOC + "; " + DATE_RANGE_DOC
    + ".",
    "Text: " + CONTROL_DOC + ".",
    "Checks: a row that fails a warning check is loaded as given and counted in one warning "
    "per file, column and check (how many rows, and the first); a row that fails an error "
    "check stops the ingest.",
    "Messages name the file, the row as a reader of the file finds it (`row 3 (line 4)` in a "
    "CSV file, `row 3 (spreadsheet row 5)` in a workbook), the column, the value and the rule.",
)


def column_docs(table: str) -> pd.DataFrame:
    """Return one row per column of a table: type, required, unit, allowed values, checks, text."""
    spec = schema.table(table)
    rows = []
    for col in spec.columns:
        rows.append({
            "column": col.name,
            "type": _TYPE_WORDS[col.type],
            "required": _required(col),
            "unit": col.unit,
            "allowed values": _allowed(col),
            "checks": "; ".join(document(c) for c in col.checks),
            "description": col.description,
        })
    return pd.DataFrame(rows)


def _required(col: schema.ColumnSpec) -> str:
    if not col.required:
        return "no (empty = all / not reported)"
    if col.role == "measure":
        return "yes (the column; filled in at least one row)"
    return "yes"


def _allowed(col: schema.ColumnSpec) -> str:
    parts = []
    if col.min is not None:
        parts.append(f"≥ {col.min:g}")
    if col.max is not None:
        parts.append(f"≤ {col.max:g}")
    if col.role == "measure":
        parts.append("suppression markers * - .. are stored as empty with a suppressed flag")
    if col.codelist in ("organisation", "area"):
        parts.append(f"a code in the vintage's {col.codelist}s table (unknown: warning)")
    elif col.codelist:
        codes = codelists.get(col.codelist).codes
        shown = ", ".join(codes[:15]) + (", …" if len(codes) > 15 else "")
        parts.append(f"code list '{col.codelist}' (codes or publication labels): {shown}")
    return "; ".join(parts)


def markdown(table: str, rules: bool = True) -> str:
    """Return the Markdown documentation of a table's template (with the rules of every file)."""
    docs = column_docs(table)
    lines = [f"# wfplan tidy template: `{table}`", "",
             "One row per combination of the key columns." + (" " + " ".join(_RULES)
                                                               if rules else ""), "",
             "| " + " | ".join(docs.columns) + " |",
             "|" + "---|" * len(docs.columns)]
    for row in docs.itertuples(index=False):
        lines.append("| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |")
    return "\n".join(lines) + "\n"


def write_template(table: str, out: Path) -> list[Path]:
    """Write an empty template for ``table`` to ``out`` (.csv, .xlsx or .parquet).

    An XLSX gets a second sheet ``columns`` documenting each column; a CSV or
    Parquet file gets a companion ``.md``. Returns the paths written.
    """
    try:
        spec = schema.table(table)
    except KeyError as exc:
        raise InputError(str(exc.args[0])) from None
    empty = pd.DataFrame({c: pd.Series(dtype="string") for c in spec.column_names})
    suffix = out.suffix.lower()
    if suffix in (".xlsx", ".csv", ".parquet") and not out.parent.is_dir():
        raise InputError(f"{out}: no such folder {out.parent}; create it first")
    if suffix == ".xlsx":
        with pd.ExcelWriter(out, engine="openpyxl") as writer:
            empty.to_excel(writer, sheet_name=table, index=False)
            column_docs(table).to_excel(writer, sheet_name="columns", index=False)
        return [out]
    if suffix == ".csv":
        empty.to_csv(out, index=False)
    elif suffix == ".parquet":
        empty.to_parquet(out, index=False)
    else:
        raise InputError(f"{out}: write a template as .csv, .xlsx or .parquet")
    doc = out.with_suffix(".md")
    doc.write_text(markdown(table), encoding="utf-8")
    return [out, doc]


_DATASET_INTRO = """# The single workforce dataset

wfplan keeps every source in tidy long tables inside one store (DuckDB by default). \
A dimension a source does not report is empty (NULL), which means "all". Every row \
also carries its `vintage`, the `ingest_id` of the file it came from, its `source_row` \
in that file, and a `suppressed` flag set when the publication suppressed one of its \
figures (`*`, `-`, `..`).

The column tables below are generated from `src/wfplan/dataset/tables.csv`, the one \
table that also drives the database schema, validation and `wfplan template`. \
Regenerate this page with `python -m wfplan.dataset.template > docs/dataset.md`; a \
test keeps it in step.

## Vintages

Every ingest belongs to a vintage: a named state of the dataset. `wfplan vintages` \
lists them and `wfplan vintages freeze NAME` freezes one, after which it refuses every \
write. An assessment always names the vintage it used. A new vintage starts with \
England, the 7 NHS regions and the 42 ICBs from the package's code lists, recorded \
as an ingest of its own.

## Store tables besides the tidy tables

- `ingests`: one row per loaded file: vintage, file name, SHA-256, format, tables, \
publisher, title, period, licence, rows, warnings (unmapped values and plausibility \
findings), notes (the findings, then the importer's notes), time.
- `unmapped`: values that matched no code list, by ingest, table and column, with \
their row counts. The rows themselves are kept, with the value as given.
- `vintages`: name, created, frozen.
- `source_flags`: importers' findings about a source, e.g. `flows_unavailable` for \
the PCN workforce publication, whose identifiers are unique within one file only \
(so only net change can be reported, and the gap report says why).
- `person_records`: private. Pseudonymised (HMAC-SHA256 under a key kept outside \
the database) record-level rows of ESR-style extracts, only what flows need, kept \
so that a later extract can add a period and its flows. No report, export or API \
reads it.
- `pseudonym_keys`: the fingerprint (never the key) of the pseudonym key each \
vintage's record-level identifiers were hashed with, so that another key is refused.
- `distinct_headcount`: for files whose records identify people (the PCN \
workforce publication), the number of distinct people at organisation, ICB, region \
and England level, by staff group and role, with their FTE: counts only, made at \
ingest from the hashed identifiers, so that a person on several records counts \
once in every total.
- `icb_boundaries`: the ICB boundaries a vintage may hold, loaded from a GeoJSON file \
(the ONS "Integrated Care Boards Boundaries EN" download, or one laid out like it: \
`wfplan ingest icb_boundaries.geojson`, see docs/importers/icb_boundaries.md): one \
row per feature, as given (its index in the file, the ICB it maps to by its ODS code, \
`icb_code` or `ICBnnCDH`, else NULL and counted in `unmapped`; the ONS code and name \
it carries; its Polygon or MultiPolygon geometry, in WGS 84, as GeoJSON text). \
`GET /api/v1/boundaries` serves them; the dashboard's map draws them.
- `schema_meta`: the schema version. Opening a database from an older wfplan migrates \
it; one from a newer wfplan is refused with a message saying to upgrade.
"""


def dataset_docs() -> str:
    """Return ``docs/dataset.md``: the intro and every table's column documentation."""
    rules = "\n".join(f"- {rule}" for rule in _RULES)
    parts = [_DATASET_INTRO, f"## Rules for every tidy file\n\n{rules}\n"]
    for table in schema.tables():
        parts.append(markdown(table, rules=False).replace(
            f"# wfplan tidy template: `{table}`", f"## `{table}`"))
    return "\n".join(parts)


if __name__ == "__main__":
    print(dataset_docs(), end="")
