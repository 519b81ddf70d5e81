"""The tidy template: one file per table, columns named exactly as in ``tables.csv``.

Column names match whatever their case or spacing. A CSV or Parquet file, or
an XLSX sheet (preferably named after the table), whose header holds every
required column of a table and nothing outside it, is that table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pandas as pd
import pyarrow.parquet as pq

from wfplan.dataset import readers, schema
from wfplan.dataset.importers.base import Importer, Match, Provenance
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

    def match(self, probe: FileProbe) -> Match | None:
        """Match the sheet and table whose columns the header holds."""
        best: Match | None = None
        for sheet in probe.headers:
            header = set(probe.normalised(sheet)) - {""}
            for spec in schema.tables().values():
                columns = set(spec.column_names)
                if not set(spec.required_columns) <= header or not header <= columns:
                    continue
                if not header & set(spec.measure_columns) and spec.measure_columns:
                    continue
                # A header made only of one table's own column names is the
                # strongest evidence there is: it beats any publication format.
                score = 10 + len(header) / len(columns) + (0.5 if sheet == spec.name else 0)
                if best is None or score > best.score:
                    best = Match(self, sheet=sheet, table=spec.name, score=score)
        return best

    def order_for(self, match: Match) -> int:
        """Return the load order: reference tables before facts, so their codes are known."""
        return _ORDER.get(match.table or "", 50)

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield the file's rows, renamed to the table's columns."""
        assert match.table is not None
        raw = probe.headers[match.sheet]
        rename = {c: readers.normalise_column(c) for c in raw if readers.normalise_column(c)}
        columns = list(rename)
        if len(set(rename.values())) < len(rename):
            raise InputError(f"{probe.path}: the header names a column twice: {raw}")
        if probe.kind == "csv":
            source = readers.read_csv(probe.path, columns, encoding=probe.encoding)
        elif probe.kind == "parquet":
            source = readers.read_parquet(probe.path, columns)
        else:
            source = readers.read_xlsx(probe.path, match.sheet, columns)
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
IMPORTERS: list[Importer] = [TidyTemplate()]
