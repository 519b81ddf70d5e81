"""Write projection tables: Parquet, CSV or XLSX, each with its metadata.

- **Parquet**: the long table; the metadata (scenarios, vintage, seed,
  assumptions, parameter sources, intervention sources and owners, data
  sources) as JSON under the schema metadata key ``wfplan``.
- **CSV**: the long table, and the metadata beside it in
  ``<name>.metadata.json``.
- **XLSX**: sheet ``data`` in the IAMC layout (one row per scenario, area,
  staff group, variable, unit and statistic; one column per year, which keeps
  an ICB-level run within Excel's row limit) and sheet ``notes`` (sources, the
  Open Government Licence v3.0 attribution, every assumption).

Parquet and CSV files are byte-identical for the same vintage, scenario files
and seed: nothing time-dependent or machine-dependent is written. Text that a
spreadsheet would run as a formula is escaped in CSV and written as text in
XLSX (:mod:`wfplan.spreadsheet`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wfplan.dataset.provenance import OGL_ATTRIBUTION_LINKED
from wfplan.errors import InputError
from wfplan.spreadsheet import csv_safe, text_cells

SUFFIXES = (".parquet", ".csv", ".xlsx")
#: The attribution every output file carries.
LICENCE = OGL_ATTRIBUTION_LINKED
EXCEL_ROWS = 1_048_575
#: CSV numbers: 12 significant digits, enough for every figure, without float noise.
CSV_FLOAT = "%.12g"
_ID_COLUMNS = ["scenario", "area", "staff_group", "variable", "unit", "statistic"]


def check_output(path: Path) -> None:
    """Refuse an output path before any work is done (bad suffix, missing folder)."""
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(f"{path}: write results as {', '.join(SUFFIXES)}")
    if not path.parent.is_dir():
        raise InputError(f"{path}: no such folder {path.parent}; create it first")


def metadata_json(metadata: Mapping[str, Any]) -> str:
    """Serialise metadata deterministically (sorted keys; numbers as Python floats)."""
    return json.dumps(metadata, indent=2, sort_keys=True, default=_plain, ensure_ascii=False)


def _plain(value: object) -> object:
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)


def write_results(table: pd.DataFrame, path: Path, metadata: Mapping[str, Any]) -> list[Path]:
    """Write ``table`` to ``path`` (by suffix) with its metadata; return the files written."""
    check_output(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        arrow = pa.Table.from_pandas(table, preserve_index=False)
        arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}),
                                               b"wfplan": metadata_json(metadata).encode()})
        pq.write_table(arrow, path)
        return [path]
    if suffix == ".csv":
        safe = table.copy()
        for column in safe.columns:
            if not pd.api.types.is_numeric_dtype(safe[column]):
                safe[column] = safe[column].map(csv_safe)
        safe.to_csv(path, index=False, lineterminator="\n", float_format=CSV_FLOAT)
        side = path.with_name(path.stem + ".metadata.json")
        side.write_text(metadata_json(metadata) + "\n", encoding="utf-8")
        return [path, side]
    _write_xlsx(table, path, metadata)
    return [path]


def iamc_wide(table: pd.DataFrame) -> pd.DataFrame:
    """Return the long table with one column per year (the IAMC layout)."""
    wide = table.set_index([*_ID_COLUMNS, "year"])["value"].unstack("year")
    wide.columns = [str(year) for year in wide.columns]
    return wide.reset_index()


def plain_text(value: object) -> str:
    """Return a value as a reader would write it: no ``None``, dict reprs or float noise.

    A distribution ``{"dist": "normal", "mean": 1.0, "sd": 0.05}`` is
    ``normal (mean 1, sd 0.05)``; a number keeps 6 significant digits (whole
    numbers from a million up).
    """
    if value is None or (isinstance(value, float) and value != value):
        return "not stated"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.0f}"
    if isinstance(value, Mapping):
        fields = {k: v for k, v in value.items() if v is not None}
        kind = fields.pop("dist", None)
        inner = ", ".join(f"{k} {plain_text(v)}" for k, v in fields.items())
        return f"{kind} ({inner})" if kind else inner
    if isinstance(value, list | tuple):
        return ", ".join(plain_text(v) for v in value)
    return str(value)


def notes_rows(metadata: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Return (section, item, text) rows for the notes sheet (see :func:`plain_text`)."""
    text = plain_text
    rows = [("licence", "attribution", LICENCE)]
    for source in metadata.get("data_sources", []):
        named = ": ".join(str(source[k]) for k in ("publisher", "title") if source.get(k))
        rows.append(("data source", text(source.get("source_file")),
                     f"{named or 'publication not stated'} (licence "
                     f"{text(source.get('licence'))}; sha256 {text(source.get('sha256'))})"))
    for run in metadata.get("scenarios", []):
        name = text(run.get("scenario", {}).get("name", ""))
        rows.append(("scenario", name, f"vintage {text(run.get('vintage'))}, base period "
                     f"{text(run.get('base_period'))}, level {text(run.get('level'))}, seed "
                     f"{text(run.get('seed'))}, draws {text(run.get('draws'))}"))
        for item in run.get("parameters", []):
            rows.append((f"parameter ({name})", text(item["name"]),
                         f"{text(item['value'])} [{text(item['set_by'])}] source: "
                         f"{text(item['source'])}"))
        for item in run.get("interventions", []):
            rows.append((f"intervention ({name})", text(item.get("key")),
                         f"source: {text(item.get('source'))}; owner: "
                         f"{text(item.get('owner'))}"))
        for item in run.get("assumptions", []):
            rows.append((f"assumption ({name})", text(item["name"]),
                         f"{text(item['value'])}: {text(item['reason'])}"))
    return rows


def _write_xlsx(table: pd.DataFrame, path: Path, metadata: Mapping[str, Any]) -> None:
    wide = iamc_wide(table)
    if len(wide) > EXCEL_ROWS:
        raise InputError(f"{path}: {len(wide):,} rows do not fit in one Excel sheet; write "
                         ".parquet or .csv, or project at a coarser level")
    notes = pd.DataFrame(notes_rows(metadata), columns=["section", "item", "text"])
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        wide.to_excel(writer, sheet_name="data", index=False)
        notes.to_excel(writer, sheet_name="notes", index=False)
        text_cells(writer.book)
