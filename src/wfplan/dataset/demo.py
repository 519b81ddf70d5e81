"""A seeded, realistic demo dataset of England's health and care workforce.

:func:`build_demo` writes one tidy Parquet file per table and ingests them
into a vintage through the same :func:`~wfplan.dataset.ingest.ingest` that
users run, so the demo exercises the real validation and load path. The same
seed gives byte-identical files. Every published figure the generator is tuned
to is in ``wfplan/data/demo_calibration.csv`` with its source; the rest are
labelled ``wfplan assumption`` there.

What it makes
-------------
- ``areas``: 106 sub-ICB locations and 1,250 PCNs (regions and ICBs are seeded
  from the code lists when the vintage is created).
- ``organisations``: 200 NHS trusts (125 acute, 50 mental health, 15
  community, 10 ambulance), the PCNs, about 6,300 GP practices (each under a
  PCN) and 1,000 adult social care providers (care homes, nursing homes and
  domiciliary care), each standing for a group of registered locations.
- ``staff_in_post`` at 31 March 2024 and 31 March 2025.
- ``flows`` (joiners and leavers by age band and route) between the censuses.
- ``vacancies`` at both censuses; ``sickness_absence`` monthly per trust for
  2024/25; ``staff_survey`` per trust for 2021 to 2023; ``population`` for
  England, regions and ICBs, 2022 and projections to 2045 in three variants;
  ``utilisation`` by service and age; ``education`` places by provider.

Dimensions of ``staff_in_post`` (no double counting)
----------------------------------------------------
Within one sector every row of a staff group carries the same dimensions, and
a NULL dimension means "all", so summing the rows of any selection never
counts a person twice:

- NHS trusts: org × staff group × grade (AfC band, ``medical``, ``vsm`` or
  ``non_afc``) × age band × ethnicity × nationality. Ethnic-minority share by
  AfC band, share aged 55+ and non-UK share all come from the same rows.
  ``sex`` and ``role`` are NULL: with sex as well the NHS rows alone would pass
  a million.
- Primary care (practices and PCNs): org × staff group × age band × sex;
  grade, ethnicity, nationality and role are NULL.
- Adult social care: provider × job role group × age band × nationality; sex,
  grade, ethnicity and role are NULL (headcount counts filled posts).

Consistency of flows
--------------------
For every organisation and staff group, headcount at 31 March 2025 equals
headcount at 31 March 2024 plus joiners minus leavers, exactly. Leavers carry
their age band at the first census and joiners theirs at the second; the
survivors' ageing between bands is not a flow, so the identity does not hold
band by band. FTE is consistent only approximately, because FTE per head
changes with age. Moves between NHS trusts (route ``other_nhs``) balance
nationally per staff group, as do moves between practices and PCNs.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wfplan.dataset import schema
from wfplan.dataset.demo_calibration import Calibration, load
from wfplan.dataset.demo_care import primary_cohorts, social_cohorts
from wfplan.dataset.demo_context import (
    education,
    group_totals,
    org_totals,
    population,
    sickness,
    staff_survey,
    utilisation,
    vacancies,
)
from wfplan.dataset.demo_nhs import build_cohorts, staff_groups
from wfplan.dataset.demo_places import Places, areas_rows, make_places, organisations_rows
from wfplan.dataset.demo_workforce import Cohort, Rows, flow_rows, run, stock_rows
from wfplan.dataset.importers.tidy import PROVENANCE_KEY
from wfplan.dataset.ingest import IngestReport, ingest
from wfplan.dataset.store import Store

DEFAULT_SEED = 20240331
DEFAULT_VINTAGE = "demo"
CENSUS_DATES = ("2024-03-31", "2025-03-31")
#: The parts of the demo that draw random numbers, each from its own stream of the seed.
STREAMS = ("places", "nhs", "primary", "social", "vacancies", "sickness", "survey", "education")
#: Spread (log sd) of vacancy rates between trusts, on top of the spread within staff groups.
VACANCY_TRUST_SPREAD = 0.3
_ARROW_TYPES = {"text": pa.string(), "date": pa.string(), "integer": pa.int64(),
                "double": pa.float64()}

#: Called with (file, rows) as files are written and then ingested.
ProgressCallback = Callable[[Path, int], None]


def build_demo(
    store: Store,
    *,
    vintage: str = DEFAULT_VINTAGE,
    seed: int = DEFAULT_SEED,
    workdir: Path | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Generate the demo dataset and ingest it into a vintage of ``store``.

    Parameters
    ----------
    store : Store
        The store to load into.
    vintage : str
        The vintage to create or add to (refused if frozen).
    seed : int
        The seed of the generator; the same seed gives identical files.
    workdir : Path, optional
        Where to write the tidy Parquet files (kept); a temporary folder
        (removed afterwards) if not given.
    progress : callable, optional
        Called with (file, rows) as each file is written and as it is ingested.

    Returns
    -------
    IngestReport
        The report of the ingest of the demo files.
    """
    if workdir is not None:
        paths = write_demo_files(Path(workdir), seed=seed, progress=progress)
        return ingest(store, paths, vintage, progress=progress)
    with tempfile.TemporaryDirectory(prefix="wfplan-demo-") as tmp:
        paths = write_demo_files(Path(tmp), seed=seed, progress=progress)
        return ingest(store, paths, vintage, progress=progress)


def write_demo_files(workdir: Path, *, seed: int = DEFAULT_SEED,
                     progress: ProgressCallback | None = None) -> list[Path]:
    """Write the demo's tidy Parquet files (one per table) to ``workdir``; return their paths."""
    workdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for table, rows in generate(seed).items():
        path = workdir / f"{table}.parquet"
        count = write_table(path, table, rows)
        if progress:
            progress(path, count)
        paths.append(path)
    return paths


def generate(seed: int = DEFAULT_SEED) -> dict[str, Rows]:
    """Generate every demo table as rows, keyed by table name."""
    cal = load()
    seeds = np.random.SeedSequence(seed).spawn(len(STREAMS))
    rng = {name: np.random.Generator(np.random.PCG64(s))
           for name, s in zip(STREAMS, seeds, strict=True)}
    places = make_places(rng["places"], cal)
    region_of = places.geography.icb_region[places.trusts.icb]
    nhs = build_cohorts(rng["nhs"], cal, places.trusts, region_of, CENSUS_DATES[1])
    primary = primary_cohorts(rng["primary"], cal, places.practices, places.pcns, CENSUS_DATES)
    social = social_cohorts(rng["social"], cal, places.social_care)
    for cohorts, stream in ((nhs, "nhs"), (primary, "primary"), (social, "social")):
        for cohort in cohorts:
            run(rng[stream], cohort)
    everyone = [*nhs, *primary, *social]
    tables = {name: Rows() for name in schema.tables()}
    tables["areas"] = areas_rows(places)
    tables["organisations"] = organisations_rows(places)
    for period, which in zip(CENSUS_DATES, ("stock0", "stock1"), strict=True):
        for cohort in everyone:
            stock_rows(tables["staff_in_post"], cohort, getattr(cohort, which), period=period)
    for cohort in everyone:
        flow_rows(tables["flows"], cohort, period_start=CENSUS_DATES[0],
                  period_end=CENSUS_DATES[1])
    _vacancies(tables["vacancies"], rng["vacancies"], cal, places, nhs, social)
    fte0, fte1 = (np.sum(list(org_totals(nhs, len(places.trusts), t).values()), axis=0)
                  for t in ("t0", "t1"))
    sickness(tables["sickness_absence"], rng["sickness"], cal, places, fte0, fte1)
    headcount = np.zeros(len(places.trusts))
    for cohort in nhs:
        np.add.at(headcount, cohort.orgs, cohort.stock0.reshape(len(cohort.orgs), -1).sum(axis=1))
    staff_survey(tables["staff_survey"], rng["survey"], cal, places, headcount)
    population(tables["population"], cal, places)
    utilisation(tables["utilisation"], cal)
    education(tables["education"], rng["education"], cal)
    return {name: rows for name, rows in tables.items() if len(rows)}


def _vacancies(rows: Rows, rng: np.random.Generator, cal: Calibration, places: Places,
               nhs: Sequence[Cohort], social: Sequence[Cohort]) -> None:
    nurses = "nurses_health_visitors"
    others = tuple(g for g in staff_groups() if g != nurses)
    later_others = cal[f"nhs.vacancy_fte.{CENSUS_DATES[1]}"] - \
        cal[f"nhs.vacancy_fte.{nurses}.{CENSUS_DATES[1]}"]
    change = cal["nhs.vacancy_fte.other_groups.change_2024_to_2025"]
    trust_factor = rng.lognormal(0.0, VACANCY_TRUST_SPREAD, len(places.trusts))
    social_groups = tuple(c.staff_group for c in social)
    type_factor = cal.group("asc.vacancy_type_factor")
    provider_factor = np.array([type_factor[t] for t in places.social_care.org_type])
    for period, which in zip(CENSUS_DATES, ("t0", "t1"), strict=True):
        fte = org_totals(nhs, len(places.trusts), which)
        other_total = later_others / (1 + change) if which == "t0" else later_others
        totals = {nurses: cal[f"nhs.vacancy_fte.{nurses}.{period}"],
                  **group_totals(other_total, others, fte,
                                 cal.vector("nhs.vacancy_rate_relative", others))}
        vacancies(rows, rng, period=period, org_codes=places.trusts.codes, size=fte,
                  totals=totals, org_factor=trust_factor)
        posts = org_totals(social, len(places.social_care), which, measure="headcount")
        totals = group_totals(cal[f"asc.vacancies.{period}"], social_groups, posts,
                              cal.vector("asc.vacancy_rate_relative", social_groups))
        vacancies(rows, rng, period=period, org_codes=places.social_care.codes, size=posts,
                  totals=totals, org_factor=provider_factor)


def write_table(path: Path, table: str, rows: Rows) -> int:
    """Write one table's rows as a tidy Parquet file typed by ``tables.csv``; return rows.

    The file carries its provenance (:func:`provenance`) in its Parquet metadata
    under :data:`~wfplan.dataset.importers.tidy.PROVENANCE_KEY`, which the tidy
    importer records in the ingest log.
    """
    types = {col.name: _ARROW_TYPES[col.type] for col in schema.table(table).columns}
    arrow = rows.to_arrow(types)
    record = json.dumps(provenance(table, arrow), sort_keys=True).encode()
    arrow = arrow.replace_schema_metadata({PROVENANCE_KEY.encode(): record})
    pq.write_table(arrow, path, compression="zstd")
    return arrow.num_rows


#: The calibration figures (name prefixes in ``data/demo_calibration.csv``, which cites each
#: figure's source) each file is tuned to; files not listed rest on wfplan assumptions only.
CALIBRATED_BY = {
    "organisations": ("pc.practices",),
    "staff_in_post": ("nhs.fte", "nhs.headcount", "nhs.staff_group_fte_2017",
                      "nhs.nationality_share", "nhs.grade_share", "nhs.minority_",
                      "nhs.ethnicity_unknown", "pc.fte", "pc.headcount", "pc.practices",
                      "asc.filled_posts", "asc.staff_group_share"),
    "flows": ("nhs.leaver_rate", "asc.turnover", "asc.international_recruits",
              "asc.filled_posts"),
    "vacancies": ("nhs.vacancy_fte", "asc.vacancies"),
    "sickness_absence": ("nhs.sickness_rate",),
    "staff_survey": ("survey.",),
    "population": ("pop.",),
    "utilisation": ("util.",),
    "education": ("edu.",),
}
#: Publishers named in the calibration sources, as the ingest log names them.
PUBLISHERS = ("NHS Digital", "NHS England", "Skills for Care", "ONS", "UCAS",
              "gov.uk Ethnicity facts and figures", "Nuffield Trust",
              "Department of Health and Social Care", "Office for Students",
              "Health Education England", "Health Equity Evidence Centre")
DEMO_LICENCE = "MIT (synthetic data made by wfplan)"
_PERIOD_COLUMNS = ("period", "period_start", "period_end", "year", "academic_year")


def calibration_publishers(table: str) -> list[str]:
    """Return the publishers of the published figures a demo file is calibrated to."""
    prefixes = CALIBRATED_BY.get(table)
    found: list[str] = []
    for name, source in load().sources.items():
        if prefixes and name.startswith(prefixes):
            named = sorted((source.find(p), p) for p in PUBLISHERS if p in source)
            found += [p for _, p in named]
    return list(dict.fromkeys(found))


def provenance(table: str, arrow: pa.Table) -> dict[str, str]:
    """Return the publisher, title, period and licence a demo file records about itself."""
    publishers = calibration_publishers(table)
    publisher = ("wfplan demo generator (calibrated to " + ", ".join(publishers) + ")"
                 if publishers else "wfplan demo generator (wfplan assumptions only)")
    # The distinct values of each period column, not every row's (a million rows for staff).
    values = sorted({str(v) for column in _PERIOD_COLUMNS if column in arrow.column_names
                     for v in pc.unique(arrow.column(column)).to_pylist() if v is not None})
    period = (f"as at {CENSUS_DATES[-1]}" if not values else values[0] if len(values) == 1
              else f"{values[0]} to {values[-1]}")
    return {"publisher": publisher, "licence": DEMO_LICENCE, "period": period,
            "title": f"demo {table.replace('_', ' ')} (synthetic)"}
