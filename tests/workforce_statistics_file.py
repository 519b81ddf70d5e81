"""Write an NHS Workforce Statistics organisation CSV shaped by the real file's profile.

The real monthly CSV (April 2024 to March 2025, 125,194 rows) is not in
``../shared/data``; its profile is
(``nhs_workforce_by_org/profile_of_nhs_workforce_statistics_2025-03_csv.json``):
its columns, its 28 staff-group values, its data types, its rows and
organisations per month, and organisation codes. :func:`write` makes a file with
those columns in that order, those staff-group values and data types, a subset
of the months and organisations, and as many rows per organisation and month as
the real file has on average.

What the profile does not give is written here as wfplan assumptions:

- The hierarchy, :data:`TREE`: NHS Digital's table structure (Total →
  professionally qualified clinical staff → HCHS doctors → grades …), kept
  apart from the importer's own (which it reads from wfplan's code lists), so
  that the test checks one against the other.
- The sort order: the position in :data:`TREE`, read depth first.
- ``HCHS Doctors`` and ``HCHS doctors`` are both in the profile; which rows use
  which it does not say: here the first month uses one and later months the other.
- Figures are made up: FTE with 2 decimals, headcount a whole number at least the
  FTE; parents are the sums of their children, except that a few people are in
  two staff groups, so a parent's headcount can be below its children's sum.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from shared_data import real

PROFILE = ("nhs_workforce_by_org", "profile_of_nhs_workforce_statistics_2025-03_csv.json")
GRADES = ("Consultant", "Associate Specialist", "Specialty Doctor", "Staff Grade",
          "Specialty Registrar", "Core Training", "Foundation Doctor Year 2",
          "Foundation Doctor Year 1", "Hospital Practitioner / Clinical Assistant",
          "Other HCHS Doctor Grades")
#: The published hierarchy, parent → children (a wfplan assumption: see the module doc).
TREE: dict[str, tuple[str, ...]] = {
    "Total": ("Professionally qualified clinical staff", "Support to clinical staff",
              "NHS infrastructure support", "Unknown classification"),
    "Professionally qualified clinical staff": (
        "HCHS doctors", "Nurses & health visitors", "Midwives", "Ambulance staff",
        "Scientific, therapeutic & technical staff"),
    "HCHS doctors": GRADES,
    "Support to clinical staff": ("Support to doctors, nurses & midwives",
                                  "Support to ambulance staff", "Support to ST&T staff"),
    "NHS infrastructure support": ("Central functions", "Hotel, property & estates",
                                   "Senior managers", "Managers"),
}
#: Leaves an organisation may have none of (so no row), as the real file leaves out
#: empty cells; with these odds the rows per organisation and month match the profile.
OPTIONAL = {"Ambulance staff": 0.9, "Support to ambulance staff": 0.9, "Staff Grade": 0.8,
            "Associate Specialist": 0.7, "Hospital Practitioner / Clinical Assistant": 0.7,
            "Other HCHS Doctor Grades": 0.5, "Unknown classification": 0.4, "Midwives": 0.5}
#: The second spelling of the doctors' group in the profile.
DOCTORS_AGAIN = "HCHS Doctors"


def profile() -> dict:
    """Return the workforce part of the real file's profile (fails in CI if missing)."""
    data = json.loads(real(*PROFILE).read_text(encoding="utf-8"))
    return data["datasets"]["workforce"] | {
        "codes": data["joinCoverageSummary"]["stableAllThreeOrganisationCodes"]}


def preorder(node: str = "Total") -> list[str]:
    """Return the tree's labels depth first: the sort order."""
    return [node, *(n for child in TREE.get(node, ()) for n in preorder(child))]


def leaves(node: str = "Total") -> list[str]:
    """Return the leaves under ``node``."""
    kids = TREE.get(node, ())
    return [n for child in kids for n in leaves(child)] if kids else [node]


@dataclass
class Written:
    """What :func:`write` wrote: the path and the figures a test checks against."""

    path: Path
    rows: int
    months: list[str]
    orgs: list[str]
    leaf_fte: float = 0.0
    leaf_hc: int = 0
    total_fte: float = 0.0
    total_hc: int = 0
    planted: dict[str, object] = field(default_factory=dict)


def write(path: Path, *, months: int = 2, orgs: int = 30, seed: int = 16,
          plant: bool = False) -> Written:
    """Write the file; with ``plant``, one FTE ``HCHS doctors`` row exceeds its grades by 5."""
    prof = profile()
    rng = np.random.default_rng(seed)
    chosen_months = [m["reporting_month"] for m in prof["monthlyVolume"]][:months]
    codes = list(prof["codes"])[:orgs]
    order = {label: i + 1 for i, label in enumerate(preorder())}
    written = Written(path, 0, chosen_months, codes)
    out: list[list[str]] = []
    for m, month in enumerate(chosen_months):
        for o, code in enumerate(codes):
            fte, hc = _figures(rng)
            if plant and m == 0 and o == 0:
                written.planted = {"org": code, "month": month, "extra": 5.0}
            rows = _org_rows(month, code, o, fte, hc, order, doctors=DOCTORS_AGAIN if m == 0
                             else "HCHS doctors", extra=5.0 if plant and m == 0 and o == 0
                             else 0.0)
            out += rows
            written.leaf_fte += sum(round(v, 2) for v in fte.values())
            written.leaf_hc += sum(hc.values())
            written.total_fte += _sum(fte, "Total") + (5.0 if plant and m == 0 and o == 0
                                                       else 0.0)
            written.total_hc += _sum(hc, "Total") - (o % 3)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(prof["columns"])
        writer.writerows(out)
    written.rows = len(out)
    return written


def _figures(rng: np.random.Generator) -> tuple[dict[str, float], dict[str, int]]:
    """Return an organisation's FTE and headcount per leaf (leaves with no staff left out)."""
    fte: dict[str, float] = {}
    hc: dict[str, int] = {}
    for leaf in leaves():
        if rng.random() < OPTIONAL.get(leaf, 0.0):
            continue
        heads = int(rng.integers(1, 800))
        hc[leaf] = heads
        fte[leaf] = round(heads * float(rng.uniform(0.7, 1.0)), 2)
    return fte, hc


def _sum(values: dict[str, float] | dict[str, int], node: str) -> float:
    kids = TREE.get(node)
    if not kids:
        return float(values.get(node, 0))
    return round(sum(_sum(values, k) for k in kids), 2)


def _org_rows(month: str, code: str, o: int, fte: dict[str, float], hc: dict[str, int],
              order: dict[str, int], *, doctors: str, extra: float) -> list[list[str]]:
    """Return one organisation-month's rows: every node with staff, FTE then HC."""
    region, ics = ("Y56", "QMJ") if o % 2 else ("Y63", "QHM")
    head = [month, region, f"Region {region}", ics, f"ICS {ics}", code, f"Generated trust {code}",
            "Acute", "Acute - Large"]
    rows = []
    for label in preorder():
        value = _sum(fte, label)
        heads = _sum(hc, label) - (o % 3 if label == "Total" else 0)
        if value == 0 and heads == 0:
            continue
        if extra and label in ("Total", "Professionally qualified clinical staff",
                               "HCHS doctors"):
            value = round(value + extra, 2)
        shown = doctors if label == "HCHS doctors" else label
        rows.append([*head, str(order[label]), shown, "FTE", f"{value:.2f}"])
        rows.append([*head, str(order[label]), shown, "HC", str(int(heads))])
    return rows
