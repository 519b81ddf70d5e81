"""A small hand-made vintage whose model inputs can be worked out by hand.

Organisations RAA and RBB are in ICB QMJ (London, Y56), RDD in QJK (South West,
Y58); ZZ9 is not in the reference data (UNMAPPED). Staff groups: nurses (N),
doctors (D), managers (M). Censuses 31 March 2023 (START) and 31 March 2024
(BASE), flows between them, vacancies, education, population and utilisation.
The expected arrays are worked out in tests/test_inputs.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import Store

VINTAGE = "hand"
START, BASE, LATER = "2023-03-31", "2024-03-31", "2024-06-30"
N, D, M = "nurses_health_visitors", "hchs_doctors", "managers"

ORGS = [("RAA", "Trust A", "Acute", "nhs_trust", "QMJ", "Y56"),
        ("RBB", "Trust B", "Acute", "nhs_trust", "QMJ", "Y56"),
        ("RDD", "Trust D", "Acute", "nhs_trust", "QJK", "Y58")]

# period, org, group, age band, headcount, fte
STAFF = [
    (BASE, "RAA", N, "25_29", 40, 36.0), (BASE, "RAA", N, "55_59", 10, 8.0),
    (BASE, "RAA", D, "25_29", 20, 19.0), (BASE, "RAA", M, None, 6, 6.0),
    (BASE, "RBB", N, "25_29", 30, 27.0), (BASE, "RBB", N, "55_59", 20, 16.0),
    (BASE, "RBB", D, "55_59", 5, 4.5),
    (BASE, "RDD", N, "25_29", 10, 9.0), (BASE, "RDD", N, "55_59", 10, 9.0),
    (BASE, "RDD", M, "35_39", 4, None),
    (BASE, "ZZ9", N, "25_29", None, 17.0),
    (START, "RAA", N, "25_29", 38, 34.0), (START, "RAA", N, "55_59", 12, 10.0),
    (START, "RAA", D, "25_29", 18, 17.0), (START, "RAA", M, None, 6, 6.0),
    (START, "RBB", N, "25_29", 30, 27.0), (START, "RBB", N, "55_59", 20, 16.0),
    (START, "RBB", D, "55_59", 5, 4.5),
    (START, "RDD", N, "25_29", 9, 8.0), (START, "RDD", N, "55_59", 11, 10.0),
    (START, "RDD", M, "35_39", 4, None),
    (START, "ZZ9", N, "25_29", None, 16.0),
    (LATER, "RAA", N, "25_29", 41, 37.0), (LATER, "RAA", N, "55_59", 10, 8.0),
    (LATER, "RAA", D, "25_29", 21, 20.0), (LATER, "RAA", M, None, 6, 6.0),
    (LATER, "RBB", N, "25_29", 30, 27.0), (LATER, "RBB", N, "55_59", 19, 15.0),
    (LATER, "RDD", N, "25_29", 10, 9.0), (LATER, "RDD", N, "55_59", 10, 9.0),
    (LATER, "RDD", M, "35_39", 4, None), (LATER, "REE", N, "25_29", 3, 3.0),
    (LATER, "ZZ9", N, "25_29", None, 18.0),
]

# org, group, age band, direction, route, headcount (START -> BASE)
FLOWS = [
    ("RAA", N, "25_29", "leaver", "voluntary", 4), ("RAA", N, "55_59", "leaver", "retirement", 3),
    ("RAA", N, "25_29", "joiner", "international", 5),
    ("RAA", N, "25_29", "joiner", "newly_qualified", 3),
    ("RAA", N, "55_59", "joiner", "other", 1),
    ("RAA", N, "25_29", "joiner", "internal", 7), ("RAA", N, "55_59", "leaver", "internal", 2),
    ("RAA", D, "25_29", "leaver", "other_nhs", 2),
    ("RAA", D, "25_29", "joiner", "return_to_practice", 1),
    ("RAA", D, "25_29", "joiner", "other", 3),
    ("RBB", N, None, "leaver", "voluntary", 5), ("RBB", N, "25_29", "joiner", "other", 5),
]

VACANCIES = [("2023-12-31", "RAA", N, 3.5), ("2023-12-31", "RDD", N, 2.0),
             ("2024-06-30", "RAA", N, 99.0)]

# academic year, provider, programme, group, region, places, completion, duration
EDUCATION = [("2022/23", "U1", "BSc Nursing", N, "Y56", 100, 0.8, 3.0),
             ("2022/23", "U2", "Nursing apprenticeship", N, "Y58", 50, 0.9, 4.0),
             ("2023/24", "U1", "BSc Nursing", N, "Y56", 120, None, 3.0)]

POP_BANDS = ("0_19", "20_64", "65_plus")
# area -> variant -> year -> persons by POP_BANDS
POPULATION = {
    "E92000001": {None: {2023: (100, 200, 50), 2024: (100, 200, 55)},
                  "principal": {2025: (100, 201, 60), 2026: (100, 202, 65)},
                  "high": {2025: (102, 205, 66), 2026: (104, 210, 72)}},
    "Y56": {None: {2023: (30, 70, 10), 2024: (31, 70, 11)},
            "principal": {2025: (31, 71, 12), 2026: (32, 72, 13)},
            "high": {2025: (32, 72, 13), 2026: (33, 74, 15)}},
    "Y58": {None: {2023: (10, 20, 10), 2024: (10, 20, 12)},
            "principal": {2025: (10, 20, 14), 2026: (10, 20, 16)},
            "high": {2025: (11, 21, 15), 2026: (12, 22, 18)}},
}
UTIL_BANDS = ("0_4", "5_19", "20_64", "65_84", "85_plus")
UTILISATION = {"AE": (1.0, 0.2, 0.3, 0.6, 1.2), "APC": (0.5, 0.1, 0.2, 1.0, 2.0)}


def _csv(path: Path, rows: list[tuple[object, ...]], columns: list[str]) -> Path:
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)
    return path


def files(folder: Path) -> list[Path]:
    """Write the vintage's tidy CSV files into ``folder``."""
    population = [(year, area, band, None, variant, persons)
                  for area, variants in POPULATION.items()
                  for variant, years in variants.items()
                  for year, values in years.items()
                  for band, persons in zip(POP_BANDS, values, strict=True)]
    utilisation = [(service, band, None, value, value * 100)
                   for service, values in UTILISATION.items()
                   for band, value in zip(UTIL_BANDS, values, strict=True)]
    return [
        _csv(folder / "orgs.csv", ORGS,
             ["org_code", "name", "org_type", "sector", "icb_code", "region_code"]),
        _csv(folder / "staff.csv", STAFF,
             ["period", "org_code", "staff_group", "age_band", "headcount", "fte"]),
        _csv(folder / "flows.csv", [(START, BASE, *row) for row in FLOWS],
             ["period_start", "period_end", "org_code", "staff_group", "age_band", "direction",
              "route", "headcount"]),
        _csv(folder / "vacancies.csv", VACANCIES,
             ["period", "org_code", "staff_group", "vacancy_fte"]),
        _csv(folder / "education.csv", EDUCATION,
             ["academic_year", "provider", "programme", "staff_group", "region", "places",
              "completion_rate", "duration_years"]),
        _csv(folder / "population.csv", population,
             ["year", "area_code", "age_band", "sex", "variant", "persons"]),
        _csv(folder / "utilisation.csv", utilisation,
             ["service", "age_band", "sex", "activity_per_head", "cost_per_head"]),
    ]


def build(store: Store, folder: Path) -> None:
    """Load the hand-made vintage into ``store``."""
    ingest(store, files(folder), VINTAGE)


#: The signer of the signed bundle of :func:`build_bundles`.
SIGNER = "NHS England workforce team"
STEADY = ('name = "steady"\ndescription = "No change."\nhorizon = 5\n'
          'level = "region"\nstaff_groups = "all"\ndraws = 5\nseed = 1\n')


def steady_scenario(folder: Path) -> Path:
    """Write the scenario 'steady' (no change, 5 years, 5 draws) as ``folder/steady.toml``."""
    path = folder / "steady.toml"
    path.write_text(STEADY, encoding="utf-8")
    return path


def build_bundles(folder: Path) -> None:
    """Assess the vintage with 'steady', signed and unsigned, into ``folder``.

    Writes ``hand.duckdb`` (the vintage), ``assessment.toml`` (10 years, 5 draws,
    seed 7), the key pairs ``keys/nhse`` (:data:`SIGNER`) and ``keys/other``, and
    the bundles ``signed`` (with ``keys/nhse.key``) and ``unsigned``.
    """
    from wfplan.assessment.bundle import assess
    from wfplan.assessment.signing import create_keys
    from wfplan.dataset.store import DuckDBStore

    db = folder / "hand.duckdb"
    with DuckDBStore(db) as store:
        build(store, folder)
    config = folder / "assessment.toml"
    config.write_text(f'title = "Signed test assessment"\nperiod = "2026"\nvintage = "{VINTAGE}"'
                      f'\nscenarios = ["{steady_scenario(folder)}"]\nhorizon = 10\ndraws = 5\n'
                      'seed = 7\nlevel = "region"\n', encoding="utf-8")
    (folder / "keys").mkdir()
    key, _ = create_keys(folder / "keys" / "nhse", SIGNER)
    create_keys(folder / "keys" / "other", "Someone else")
    with DuckDBStore(db, read_only=True) as store:
        assess(store, config, folder / "signed", sign=key)
        assess(store, config, folder / "unsigned")


EDUCATION_COLUMNS = ["academic_year", "provider", "programme", "staff_group", "region",
                     "places", "completion_rate", "duration_years"]


def build_with_education(store: Store, folder: Path, vintage: str,
                         education: list[tuple[object, ...]]) -> None:
    """Load the hand-made vintage as ``vintage`` with its education rows replaced."""
    folder.mkdir()
    written = files(folder)
    _csv(folder / "education.csv", education, EDUCATION_COLUMNS)
    ingest(store, written, vintage)
