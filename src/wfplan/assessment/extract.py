"""Input extracts: what an assessment reads, at the level it models, as Parquet, and back.

An assessment never computes from the database directly. It first extracts
what it may read to ``inputs/*.parquet``, loads those into an in-memory store,
and computes everything from that. ``wfplan verify`` loads the same files the
same way, so an assessment and its verification read exactly the same data.

What is extracted is the vintage's rows up to the base period, **aggregated to
the level the assessment models** (:mod:`wfplan.assessment.cells`): cells of
organisations of one ICB, region and sector instead of organisations, and only
the columns, censuses and rows the projections and the report's tables read.
Every figure computed from the extracts is the one the organisations' own rows
give. Record-level rows (``person_records``) are never extracted. The tables of
:data:`OPTIONAL_TABLES` (the social care returns, by location cell, and the
education programmes) are written only where the vintage has rows of them that
the assessment reads, so a bundle of a vintage without them is as before.

The data-gap report is the exception: it describes the dataset itself (which
organisations report, which dimensions are missing), which the aggregated
extracts no longer show. It is computed at extraction from the vintage's rows
up to the base period and carried in ``inputs/gaps_<section>.parquet``; the
assessment and ``wfplan verify`` read it from there (bundles made before it was
carried recompute it from their row-level extracts).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from wfplan.analysis import disclosure
from wfplan.analysis.disclosure import Disclosure
from wfplan.analysis.gaps import gap_report
from wfplan.assessment import cells
from wfplan.dataset import schema
from wfplan.dataset.store import DuckDBStore, Store
from wfplan.dataset.store.queries import bundle as queries
from wfplan.errors import InputError, RefusedError

#: Tables extracted besides the tidy tables, with the vintage's rows only.
LOG_TABLES = ("ingests", "unmapped", "source_flags")
#: Counts derived at ingest that the metrics read (no identifiers); bundles made
#: before they existed lack their file, which then loads as empty.
DERIVED_TABLES = ("distinct_headcount",)
#: Tidy tables added after bundles were first made: a bundle without their file loads
#: them empty.
LATER_TABLES = ("la_icb_lookup",)
#: The data-gap report's sections, carried as ``inputs/gaps_<section>.parquet``.
GAP_SECTIONS = ("coverage", "missing_organisations", "dimensions", "stale", "unmapped",
                "findings", "ranked")
CARRIED_PREFIX = "gaps_"


#: Tables extracted only where the vintage has rows the assessment reads (social care
#: returns: docs/social-care.md; programmes by region: docs/education.md). A bundle
#: without their file (one of a vintage without them, or made before they were extracted)
#: loads them empty, so its files and figures are as before they existed.
OPTIONAL_TABLES = ("asc_workforce", "education_programmes")


def extract_tables() -> tuple[str, ...]:
    """Return the names of the tables an assessment extracts."""
    return (*schema.tables(), *LOG_TABLES, *DERIVED_TABLES)


def optional_files() -> tuple[str, ...]:
    """Return the file names (in ``inputs/``) of the tables extracted only where they have rows."""
    return tuple(f"{name}.parquet" for name in OPTIONAL_TABLES)


def carried_files() -> tuple[str, ...]:
    """Return the file names (in ``inputs/``) of the carried data-gap report."""
    return tuple(f"{CARRIED_PREFIX}{name}.parquet" for name in GAP_SECTIONS)


def vintage_rows(store: Store, vintage: str, base_period: date) -> DuckDBStore:
    """Return an in-memory store with the vintage's rows up to ``base_period``."""
    memory = queries.memory_store()
    with memory.transaction():
        queries.add_frozen_vintage(memory, vintage)
        for table in extract_tables():
            rows = queries.vintage_table(store, table, vintage, base_period)
            if rows.num_rows:
                memory.insert(table, rows)
    return memory


def model_tables(store: Store, vintage: str, base_period: date, *,
                 roles: bool = False) -> dict[str, pa.Table]:
    """Return every extract table at the level the assessment models (see the module notes).

    With ``roles`` (an assessment with a scenario by role), staff in post keeps its role.
    """
    found = cells.periods(store, vintage, base_period)

    def typed(table: str, *parts: pa.Table) -> pa.Table:
        target = queries.table_schema(store, table)
        return pa.concat_tables([p.select(target.names).cast(target) for p in parts])

    out = {table: typed(table, cells.fact_cells(store, table, vintage, found, roles=roles))
           for table in cells.FACTS}
    out["staff_in_post"] = typed("staff_in_post", out["staff_in_post"],
                                 cells.ethnicity_rows(store, vintage, found))
    out["organisations"] = typed("organisations", cells.organisation_cells(store, vintage, found))
    for table in cells.PLAIN:
        out[table] = typed(table, cells.plain_rows(store, table, vintage, found))
    out["asc_workforce"] = typed("asc_workforce", cells.asc_rows(store, vintage, found))
    for table in LOG_TABLES:
        out[table] = queries.vintage_table(store, table, vintage)
    return {table: out[table] for table in extract_tables()
            if table not in OPTIONAL_TABLES or out[table].num_rows}


def _staffed_groups(table: pa.Table, base: date) -> set[str]:
    """Return the staff groups with staff in post at ``base`` in cells of organisations."""
    frame = table.select(["period", "org_code", "staff_group", "headcount", "fte"]).to_pandas()
    frame = frame[(pd.to_datetime(frame["period"]).dt.date == base)
                  & frame["org_code"].str.startswith("~")]
    staffed = (frame["headcount"] > 0) | (frame["headcount"].isna() & (frame["fte"] > 0))
    return {str(g) for g in frame.loc[staffed, "staff_group"]}


def disclose(tables: dict[str, pa.Table], base: date, *,
             public: bool) -> tuple[dict[str, pa.Table], Disclosure]:
    """Return the extracts as published and their disclosure status.

    Without ``public`` the extracts are unchanged and marked restricted when they
    hold small cells. With ``public``, :data:`wfplan.analysis.disclosure.POLICY`
    is applied to them (and the importers' free-text notes, which may quote
    counts, are left out of the ingest log).

    Raises
    ------
    RefusedError
        If disclosure control would leave the run meaningless.
    """
    small = disclosure.small_cells(tables)
    if not public:
        return tables, Disclosure(disclosure.RESTRICTED if small else disclosure.PUBLIC, small)
    out = dict(tables)
    done = {}
    for name in disclosure.POLICY.counts:
        if name in tables:
            out[name], done[name] = disclosure.control(tables[name], name)
    lost = sorted(_staffed_groups(tables["staff_in_post"], base)
                  - _staffed_groups(out["staff_in_post"], base))
    reasons = disclosure.problems(done, lost)
    if reasons:
        listed = "; ".join(f"{n:,} in {t}" for t, n in sorted(small.items()))
        raise RefusedError(
            "a public bundle would be meaningless: the input extracts hold small cells "
            f"({listed}) and disclosure control would leave " + "; ".join(reasons)
            + ". Run the assessment without --public for a restricted bundle (for "
            "accredited verifiers)")
    notes = out["ingests"].schema.get_field_index("notes")
    out["ingests"] = out["ingests"].set_column(
        notes, "notes", pa.nulls(out["ingests"].num_rows, pa.string()))
    assert not disclosure.small_cells(out)
    return out, Disclosure(disclosure.PUBLIC, small, done)


def extract(store: Store, vintage: str, base_period: date, folder: Path, *,
            public: bool = False, roles: bool = False) -> Disclosure:
    """Write what an assessment may read to ``folder/<table>.parquet``; see the module notes.

    Rows dated after ``base_period`` are left out, so a projection can only see
    the data up to its base. Rows are sorted, so the same data gives the same
    files. With ``public``, disclosure control is applied first (:func:`disclose`).
    With ``roles``, staff in post keeps its ``role`` column (:func:`model_tables`).
    Returns the extracts' disclosure status.
    """
    store.require_vintage(vintage)
    rows = vintage_rows(store, vintage, base_period)
    try:
        tables, gaps = _tables_and_gaps(rows, vintage, base_period, roles=roles)
    finally:
        rows.close()
    tables, status = disclose(tables, base_period, public=public)
    folder.mkdir(parents=True, exist_ok=True)
    for table, data in tables.items():
        pq.write_table(data, folder / f"{table}.parquet", compression="zstd")
    for name, frame in gaps.items():
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                       folder / f"{CARRIED_PREFIX}{name}.parquet", compression="zstd")
    return status


def _tables_and_gaps(rows: DuckDBStore, vintage: str, base_period: date, *, roles: bool = False,
                     ) -> tuple[dict[str, pa.Table], dict[str, pd.DataFrame]]:
    """Return :func:`model_tables` and the gap report's sections of the vintage's rows.

    The gap report is computed on a second thread, through a cursor of its own,
    while this one aggregates the model tables: each query still runs on one
    thread (the in-memory store's setting), so each gives the figures it gives
    alone, and where a processor is free the two take the time of the longer.
    """
    other = rows.reader()
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            gaps = pool.submit(lambda: gap_report(other, vintage).sections())
            tables = model_tables(rows, vintage, base_period, roles=roles)
            return tables, gaps.result()
    finally:
        other.close()


def disclosure_of(folder: Path) -> dict[str, int]:
    """Return the small cells of a bundle's input extracts (what ``verify`` checks)."""
    tables = {name: pq.read_table(folder / f"{name}.parquet")
              for name in disclosure.POLICY.counts if (folder / f"{name}.parquet").is_file()}
    return disclosure.small_cells(tables)


def load_extracts(folder: Path, vintage: str) -> DuckDBStore:
    """Return an in-memory store holding a bundle's extracts as vintage ``vintage``.

    The carried data-gap report, where the bundle has it, is in tables
    ``gaps_<section>`` (see :func:`carried_gaps`).

    Raises
    ------
    InputError
        If an extract is missing or unreadable.
    """
    store = queries.memory_store()
    with store.transaction():
        queries.add_frozen_vintage(store, vintage)
        for table in extract_tables():
            path = folder / f"{table}.parquet"
            if not path.is_file() and table in (*DERIVED_TABLES, *LATER_TABLES,
                                                *OPTIONAL_TABLES):
                continue
            rows = _read(path)
            if rows.num_rows:
                store.insert(table, rows)
        for name in carried_files():
            path = folder / name
            if path.is_file():
                store.con.from_arrow(_read(path)).create(path.stem)
    return store


#: What reading a damaged Parquet file raises: pyarrow's ArrowInvalid is a ValueError.
UNREADABLE = (OSError, pa.ArrowException)


def _read(path: Path) -> pa.Table:
    if not path.is_file():
        raise InputError(f"{path}: input extract missing")
    try:
        return pq.read_table(path)
    except UNREADABLE as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None


def carried_gaps(store: Store) -> dict[str, pd.DataFrame] | None:
    """Return the data-gap report carried by a bundle's extracts, or ``None`` if it has none."""
    held = queries.table_names(store)
    names = [f"{CARRIED_PREFIX}{name}" for name in GAP_SECTIONS]
    if not all(name in held for name in names):
        return None
    return {name: queries.carried_table(store, f"{CARRIED_PREFIX}{name}")
            for name in GAP_SECTIONS}
