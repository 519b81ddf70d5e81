"""A hand-made vintage with two fields of nursing: adult nurses growing, mental health
nurses shrinking (docs/skills.md).

Organisations as tests/handmade_vintage.py (RAA and RBB in ICB QMJ, RDD in QJK).
Two censuses, 31 March 2023 and 2024, give nurses by field (the ``role`` column);
adult nurses grow by 10% in the year in every organisation, mental health nurses
fall by 10%. No flows, so the nurses follow their census trend, each field its
own; no population, so demand is the base establishment (held flat). Adult
nurses therefore end in surplus and mental health nurses short, in every ICB
and in England, while their staff group's net gap is smaller than either.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import handmade_vintage as hv
from wfplan.dataset.ingest import ingest
from wfplan.dataset.store import Store

VINTAGE = "fields"
START, BASE = "2023-03-31", "2024-03-31"
N = "nurses_health_visitors"
ADULT, MH = "nurse_adult", "nurse_mental_health"

# org, role, headcount at START (FTE 0.9 per head); BASE is +10% (adult) or -10% (MH)
START_HEADS = [("RAA", ADULT, 50), ("RBB", ADULT, 30), ("RDD", ADULT, 20),
               ("RAA", MH, 40), ("RBB", MH, 20), ("RDD", MH, 30)]


def _staff(with_roles: bool) -> list[tuple[object, ...]]:
    """Staff in post by field; without roles, each organisation's fields summed."""
    heads: dict[tuple[str, str, str | None], int] = {}
    for org, role, count in START_HEADS:
        later = count * (1.1 if role == ADULT else 0.9)
        for period, value in ((START, count), (BASE, later)):
            key = (period, org, role if with_roles else None)
            heads[key] = heads.get(key, 0) + round(value)
    return [(period, org, N, role, "25_29", count, round(count * 0.9, 6))
            for (period, org, role), count in heads.items()]


def files(folder: Path, *, with_roles: bool = True) -> list[Path]:
    """Write the vintage's tidy CSV files (organisations, staff in post, vacancies)."""
    orgs = folder / "orgs.csv"
    pd.DataFrame(hv.ORGS, columns=["org_code", "name", "org_type", "sector", "icb_code",
                                   "region_code"]).to_csv(orgs, index=False)
    staff = folder / "staff.csv"
    pd.DataFrame(_staff(with_roles), columns=["period", "org_code", "staff_group", "role",
                                              "age_band", "headcount", "fte"]
                 ).to_csv(staff, index=False)
    vacancies = folder / "vacancies.csv"
    pd.DataFrame([(BASE, "RAA", N, 2.0)], columns=["period", "org_code", "staff_group",
                                                   "vacancy_fte"]).to_csv(vacancies, index=False)
    return [orgs, staff, vacancies]


def build(store: Store, folder: Path, *, vintage: str = VINTAGE,
          with_roles: bool = True) -> None:
    """Load the vintage (``with_roles=False``: the same staff with no role given)."""
    folder.mkdir(parents=True, exist_ok=True)
    ingest(store, files(folder, with_roles=with_roles), vintage)


SCENARIO = """
name = "{name}"
base_vintage = "{vintage}"
horizon = 5
level = "icb"
roles = ["nurses_health_visitors"]
{extra}
"""


def scenario(folder: Path, name: str = "fields", vintage: str = VINTAGE, extra: str = "") -> Path:
    """Write a scenario by role (nurses split into their fields) as ``folder/NAME.toml``."""
    path = folder / f"{name}.toml"
    path.write_text(SCENARIO.format(name=name, vintage=vintage, extra=extra), encoding="utf-8")
    return path
