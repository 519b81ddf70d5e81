"""Code lists kept as versioned CSV files inside the package.

Each list has a ``code`` and a ``name``; ``labels.csv`` adds the publication
labels that map onto a code. Lookups are insensitive to case, spacing and
punctuation variants (``&`` versus ``and``), so that real publications map
without hand edits.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

CODELIST_FILES = {
    "region": "regions.csv",
    "ons_region": "ons_regions.csv",
    "icb": "icbs.csv",
    "staff_group": "staff_groups.csv",
    "staff_group_aggregate": "staff_group_aggregates.csv",
    "role": "roles.csv",
    "asc_job_role": "asc_job_roles.csv",
    "age_band": "age_bands.csv",
    "grade": "grades.csv",
    "ethnicity": "ethnicities.csv",
    "sex": "sexes.csv",
    "nationality": "nationalities.csv",
}
ENUM_FILE = "enums.csv"
LABEL_FILE = "labels.csv"
ENGLAND_CODE = "E92000001"

_SPACES = re.compile(r"[\s_]+")


def normalise_label(label: str) -> str:
    """Return a lookup key for a label: lower case, ``&`` as ``and``, single spaces.

    Parameters
    ----------
    label : str
        A code or a publication label, e.g. ``"Nurses & Health Visitors "``.

    Returns
    -------
    str
        The normalised key, e.g. ``"nurses and health visitors"``.
    """
    text = label.replace("\u2013", "-").replace("&", " and ").casefold()
    return _SPACES.sub(" ", text).strip()


def read_csv(filename: str) -> list[dict[str, str]]:
    """Return the rows of one CSV file of this package as dicts of strings."""
    path = resources.files(__package__).joinpath(filename)
    with io.StringIO(path.read_text(encoding="utf-8"), newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class CodeList:
    """One code list: its rows and a label → code lookup."""

    name: str
    rows: tuple[dict[str, str], ...]
    lookup: dict[str, str] = field(repr=False)

    @property
    def codes(self) -> tuple[str, ...]:
        """Return the codes in file order."""
        return tuple(row["code"] for row in self.rows)

    def code_for(self, label: str) -> str | None:
        """Map a code or label to its code, or ``None`` if unknown."""
        return self.lookup.get(normalise_label(label))

    def attribute(self, code: str, column: str) -> str:
        """Return one attribute of a code, e.g. the region of an ICB."""
        for row in self.rows:
            if row["code"] == code:
                return row[column]
        raise KeyError(f"{code!r} is not in code list {self.name!r}")


@cache
def _labels() -> dict[str, dict[str, str]]:
    by_list: dict[str, dict[str, str]] = {}
    for row in read_csv(LABEL_FILE):
        by_list.setdefault(row["codelist"], {})[normalise_label(row["label"])] = row["code"]
    return by_list


@cache
def get(name: str) -> CodeList:
    """Return a code list by name (``region``, ``icb``, ``staff_group``, ``sector``…).

    Raises
    ------
    KeyError
        If there is no such code list.
    """
    if name in CODELIST_FILES:
        rows = read_csv(CODELIST_FILES[name])
    else:
        rows = [r for r in read_csv(ENUM_FILE) if r["codelist"] == name]
        if not rows:
            raise KeyError(f"no code list named {name!r}")
    lookup: dict[str, str] = {}
    for row in rows:
        lookup[normalise_label(row["name"])] = row["code"]
        if "label" in row:
            lookup[normalise_label(row["label"])] = row["code"]
    lookup.update(_labels().get(name, {}))
    for row in rows:  # codes win over names that happen to collide
        lookup[normalise_label(row["code"])] = row["code"]
    return CodeList(name=name, rows=tuple(rows), lookup=lookup)


def all_names() -> list[str]:
    """Return the names of every code list, files and enumerations."""
    enums = sorted({r["codelist"] for r in read_csv(ENUM_FILE)})
    return sorted(CODELIST_FILES) + enums


def staff_group_labels() -> dict[str, str]:
    """Return staff-group code → publication name, including aggregate groups."""
    names = {row["code"]: row["name"] for row in get("staff_group").rows}
    names.update({row["code"]: row["name"] for row in get("staff_group_aggregate").rows})
    return names


def staff_group_order(codes: Iterable[Any]) -> list[str]:
    """Return staff-group codes in reading order: England's totals, then the code list's.

    The total over every staff group comes first, then each sector's subtotal
    (NHS trusts, primary care, social care), then the staff groups in the order
    of the staff-group code list (NHS trust groups, then primary and social
    care), each followed by its roles (a projection by role); codes not in the
    lists follow in the order given.
    """
    # Imported here: the model package takes half a second to import, and most commands
    # that read code lists never order staff groups.
    from wfplan.model.aggregate import ALL_STAFF_GROUPS, sector_total

    given = [str(c) for c in dict.fromkeys(codes)]
    known = [ALL_STAFF_GROUPS, *(sector_total(s) for s in get("sector").codes),
             *get("staff_group").codes]
    rank: dict[str, float] = {code: i for i, code in enumerate(known)}
    # a role (a projection by role) follows its staff group, in the role code list's order
    roles = get("role").rows
    for i, row in enumerate(roles):
        if row["staff_group"] in rank:
            rank.setdefault(row["code"], rank[row["staff_group"]] + (i + 1) / (len(roles) + 1))
    return sorted(given, key=lambda c: (rank.get(c, len(known)), given.index(c)))


#: Names of the values a sector column holds that are not sectors: the total over every
#: sector, rows whose sector is not known, and organisations not in the reference data.
SECTOR_OTHER_NAMES = {"all": "All sectors", "unknown": "Sector unknown",
                      "unmapped": "Organisations not in the reference data"}


def sector_names() -> dict[str, str]:
    """Return sector code → name, from the sector code list, then :data:`SECTOR_OTHER_NAMES`."""
    return {**{row["code"]: row["name"] for row in get("sector").rows}, **SECTOR_OTHER_NAMES}


#: The sector of staff groups that stand for a total across sectors, such as
#: ``nhs_all_staff`` (all staff of NHS trusts and general practice, for figures published
#: only as such): it is no workforce sector, so nothing expects data for it.
TOTALS_SECTOR = "other"


def workforce_sectors() -> tuple[str, ...]:
    """Return the sectors that staff groups belong to, in the sector code list's order.

    These are the sectors whose staff the dataset counts (NHS trusts, primary
    care, social care); commissioners and other organisations have no staff
    groups of their own, and a cross-sector total (:data:`TOTALS_SECTOR`) is
    no sector of its own.
    """
    held = {row["sector"] for row in get("staff_group").rows} - {TOTALS_SECTOR}
    return tuple(code for code in get("sector").codes if code in held)
