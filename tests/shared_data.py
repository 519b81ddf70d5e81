"""Where the real publications are: ``../shared/data`` beside the checkout, for every test.

A path that is missing fails the test in CI (``CI`` set) and skips it elsewhere.
Test modules import this by name, as they do ``handmade_vintage``
(``from shared_data import real``), because a ``conftest`` module is not reliably
importable by name; conftest.py builds the vintage of every file with it
(``real_vintage``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

#: ../shared/data of this checkout (its README describes the files).
ROOT = Path(__file__).resolve().parents[2] / "shared" / "data"
#: Every folder that a vintage of all the real publications loads (``international_who/``,
#: an optional international comparison, is left out).
FOLDERS = ("gp_practice_workforce", "nhs_sickness_absence", "nhs_workforce_by_org",
           "nhs_workforce_ethnicity", "pcn_workforce", "population", "reference",
           "staff_survey")
#: Files that describe the data rather than hold it.
NOT_DATA = frozenset({"download_manifest_ml20g2l.csv",
                      "profile_of_nhs_workforce_statistics_2025-03_csv.json", "README.md"})


def missing(message: str) -> NoReturn:
    """Fail the test in CI, skip it elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def real(*parts: str) -> Path:
    """Return ``../shared/data/PARTS``; fail in CI and skip elsewhere if it is missing."""
    path = ROOT.joinpath(*parts)
    if not path.exists():
        missing(f"real data not found at {path.resolve()}")
    return path


def data_files(*folders: str) -> list[Path]:
    """Return the data files of ``folders`` (default: every folder of :data:`FOLDERS`), sorted."""
    chosen = folders or FOLDERS
    found = sorted(p for folder in chosen for p in real(folder).iterdir()
                   if p.is_file() and p.name not in NOT_DATA)
    assert {p.parent.name for p in found} == set(chosen)
    return found
