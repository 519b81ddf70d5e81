"""The tidy template: one file per table, columns named exactly as in ``tables.csv``.

Column names match whatever their case or spacing. A CSV or Parquet file, or
an XLSX sheet (preferably named after the table), whose header holds every
required key column of a table and one of its measures, is that table, even
if a publication importer could read it too. A column the table does not have
is an error listing it (or, with ``--ignore-extra-columns``, a warning: the
column is not read); so is a required measure column the header lacks, and a
column of the table that the header names twice (``fte,fte``, or ``FTE`` and
``fte``): the error names both places (:mod:`wfplan.dataset.importers.headers`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import pyarrow.parquet as pq

from wfplan.dataset import readers, schema
from wfplan.dataset.importers.base import Importer, Match, Provenance
from wfplan.dataset.importers.headers import duplicate_errors
from wfplan.dataset.readers import FileProbe
from wfplan.errors import InputError

_ORDER = {"areas": 10, "organisations": 20}
#: Parquet schema metadata key of a tidy file's own provenance (JSON: publisher, title,
#: period, licence).
PROVENANCE_KEY = "wfplan.provenance"


class TidyTemplate(Importer):
    """Reads the tidy template of any table."""

    name = "tidy"
    description = (
        "wfplan tidy template (CSV, XLSX or Parquet) for one table: "
        + ", ".join(schema.tables())
    )
    reference_for = frozenset({"areas", "organisations"})
    reads_windows_1252 = False  # the template is UTF-8 (docs/importers/tidy.md)

    def match(self, probe: FileProbe) -> Match | None:
        """Match the sheet and table whose required key columns and a measure the header holds.

        A header made only of one table's own column names is the strongest
        evidence there is (score above 10). One with columns the table lacks
        still is that table (score above 6): it beats every publication format,
        so that an extra column is reported rather than read by another format.
        """
        best: Match | None = None
        for sheet in probe.headers:
            header = set(probe.normalised(sheet)) - {""}
            for spec in schema.tables().values():
                columns = set(spec.column_names)
                if not set(spec.required_keys) <= header:
                    best = _short_of_keys(self, probe, sheet, spec, best)
                    continue
                if not header & set(spec.measure_columns) and spec.measure_columns:
                    continue
                unknown = header - columns
                score = ((6 if unknown else 10) + len(header & columns) / len(columns)
                         + (0.5 if sheet == spec.name else 0))
                if best is None or score > best.score:
                    read = [c for c in spec.column_names if c in header]
                    best = Match(self, sheet=sheet, table=spec.name, score=score,
                                 unknown=list(dict.fromkeys(
                                     c for c in probe.headers[sheet]
                                     if readers.normalise_column(c) in unknown)),
                                 errors=_missing(spec, probe, sheet) + duplicate_errors(
                                     probe, sheet, read, readers.normalise_column))
        return best

    def order_for(self, match: Match) -> int:
        """Return the load order: reference tables before facts, so their codes are known."""
        return _ORDER.get(match.table or "", 50)

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield the file's rows, renamed to the table's columns."""
        assert match.table is not None
        raw = probe.headers[match.sheet]
        rename = {c: readers.normalise_column(c) for c in raw
                  if readers.normalise_column(c) and c not in match.unknown}
        columns = list(rename)
        if probe.kind == "csv":
            source = readers.read_csv(probe.path, columns, encoding=probe.encoding)
        elif probe.kind == "parquet":
            source = readers.read_parquet(probe.path, columns)
        else:
            blank = [i for i, c in enumerate(raw) if not readers.normalise_column(c)]
            source = _named_only(probe, match, readers.read_xlsx(
                probe.path, match.sheet, columns, unnamed=blank), blank)
        for chunk in source:
            yield match.table, chunk.rename(columns=rename)

    def provenance(self, probe: FileProbe, match: Match) -> Provenance:
        """Return the provenance a tidy Parquet file records, else only the template's title.

        A Parquet file may name its publisher, title, period and licence as JSON
        under the schema metadata key :data:`PROVENANCE_KEY` (the demo generator's
        files do); CSV and XLSX tidy files carry none.
        """
        title = f"tidy {match.table} template"
        if probe.kind != "parquet":
            return Provenance(title=title)
        raw = (pq.read_schema(probe.path).metadata or {}).get(PROVENANCE_KEY.encode())
        try:
            given = json.loads(raw) if raw else {}
        except ValueError:
            given = {}
        if not isinstance(given, dict):
            given = {}
        fields = {key: str(given[key]) for key in ("publisher", "title", "period", "licence")
                  if given.get(key)}
        return Provenance(**{"title": title, **fields})


def _named_only(probe: FileProbe, match: Match, chunks: Iterator[pd.DataFrame],
                blank: list[int]) -> Iterator[pd.DataFrame]:
    """Yield the chunks without the unnamed columns; refuse a value in one of them.

    Merged header cells keep only the first cell's name: the values under the
    others would otherwise be left out without a word.
    """
    from openpyxl.utils import get_column_letter

    names = [readers.unnamed_column(i) for i in blank]
    for chunk in chunks:
        for position, name in zip(blank, names, strict=True):
            filled = chunk[name].dropna()
            if filled.empty:
                continue
            row = int(filled.index[0])
            where = readers.row_places(probe, {row}, match.sheet)[row]
            raise InputError(
                f"{probe.path.name}, {where}, column {get_column_letter(position + 1)}: value "
                f"{filled.iloc[0]!r}: has no name in the header (rule: every column with "
                "values is named in the header; merged header cells keep only the first "
                "cell's name, so unmerge them and name every column)")
        yield chunk.drop(columns=names)


def _short_of_keys(importer: Importer, probe: FileProbe, sheet: str, spec: schema.TableSpec,
                   best: Match | None) -> Match | None:
    """Return a weak match for a header of only this table's columns that lacks a key column.

    Such a header (``period, staff_group, headcount, fte``) is the table's template
    with a column left out: the error names the column, rather than the file matching
    no format. Its score (below 1) lets any publication format that reads it win.
    """
    header = set(probe.normalised(sheet)) - {""}
    columns = set(spec.column_names)
    if (len(header) < 2 or not header <= columns or not header & set(spec.measure_columns)
            or not header & set(spec.required_keys)):
        return best
    score = 0.5 * len(header) / len(columns)
    if best is not None and best.score >= score:
        return best
    return Match(importer, sheet=sheet, table=spec.name, score=score,
                 errors=_missing(spec, probe, sheet))


def _missing(spec: schema.TableSpec, probe: FileProbe, sheet: str) -> list[str]:
    """Return an error naming the required columns the header lacks, if any."""
    raw = probe.headers[sheet]
    header = {readers.normalise_column(c) for c in raw}
    missing = [c for c in spec.required_columns if c not in header]
    if not missing:
        return []
    blank = [i for i, c in enumerate(raw) if not readers.normalise_column(c)]
    hint = ""
    if blank and probe.kind == "xlsx":
        from openpyxl.utils import get_column_letter

        cells = ", ".join(f"{get_column_letter(i + 1)}{probe.header_rows.get(sheet, 1)}"
                          for i in blank[:3])
        hint = (f"; the header has an empty cell at {cells}: merged header cells keep only "
                "the first cell's name, so unmerge them and name every column")
    elif blank:
        hint = "; the header has an empty name in field " + ", ".join(
            str(i + 1) for i in blank[:3])
    return [f"has no column {', '.join(map(repr, missing))} (rule: a {spec.name} file has "
            f"the columns {', '.join(spec.required_columns)}){hint}"]


IMPORTERS: list[Importer] = [TidyTemplate()]
