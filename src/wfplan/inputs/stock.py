"""Staff in post and vacancies at the base period, as model arrays.

- **Headcount by age band** ``[area, staff_group, age_band]``: rows with both
  headcount and FTE, or headcount only, count as given; rows with FTE only
  (publications that give no headcount, such as the HCHS nationality file)
  count FTE ÷ FTE per head. Rows with no age band are shared out by the staff
  group's national age profile at the base period, or by the default profile of
  ``data/input_defaults.csv`` when the group has no age data at all.
- **FTE per head** ``[area, staff_group]``: FTE ÷ headcount over the rows that
  give both; else the staff group's national ratio; else the evidence
  library's figure for the group, else the parameter table's default
  (:mod:`~wfplan.inputs.resolve`).
- **Vacancy FTE** ``[area, staff_group]``: at the latest vacancy period on or
  before the base period; 0 where an area and staff group report none.

The staff groups are those of the staff-group code list with staff in post.
Rows whose staff-group code is not in the code list (a value that matched no
code at ingest, kept as given and counted as unmapped) stay in the dataset but
are never a model dimension: they are left out, each such code recorded as an
assumption with the FTE and headcount left out. Giving the rows a code or
publication label of the code list, and loading them again, brings them in.

Every fallback is recorded as an assumption, with how many cells it touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.geography import UNMAPPED
from wfplan.dataset.store.queries import model_inputs as queries
from wfplan.errors import InputError
from wfplan.inputs.resolve import record, resolve_groups
from wfplan.inputs.source import Assumptions, Selection, age_bands, default_profile, pivot
from wfplan.model import parameter_table

_MEASURES = ("hc_both", "fte_both", "hc_only", "fte_only", "suppressed")
#: The most staff-group codes outside the code list recorded one by one; the rest in one record.
_LISTED = 10


def input_default(name: str) -> float:
    """Return the parameter table's numeric default of a model input."""
    return next(spec.default_value for spec in parameter_table() if spec.name == name)


@dataclass(frozen=True)
class Stock:
    """Staff in post at the base period.

    Attributes
    ----------
    areas, staff_groups, age_bands
        Coordinates: areas and groups with staff in post, in code order
        (``UNMAPPED`` last); the code list's age bands.
    headcount
        ``[area, staff_group, age_band]``.
    fte_per_head
        ``[area, staff_group]``.
    age_profile
        ``[staff_group, age_band]`` national profile used for rows without an age band.
    """

    areas: tuple[str, ...]
    staff_groups: tuple[str, ...]
    age_bands: tuple[str, ...]
    headcount: np.ndarray
    fte_per_head: np.ndarray
    age_profile: np.ndarray

    @property
    def labels(self) -> dict[str, tuple[str, ...]]:
        """Coordinates by name, for :func:`~wfplan.inputs.source.pivot`."""
        return {"area": self.areas, "staff_group": self.staff_groups,
                "age_band": self.age_bands}


def read_stock(selection: Selection, period: date,
               reporting: tuple[date, date] | None = None) -> pd.DataFrame:
    """Return staff in post at ``period`` by area, staff group and age band (NULL kept).

    With ``reporting`` (a flow period), only the cells that report flows for it.
    """
    frame = queries.staff_in_post_by_age(selection.store, selection.scope, period, reporting)
    frame[list(_MEASURES)] = frame[list(_MEASURES)].astype("float64").fillna(0.0)
    return frame


def _ordered(codes: pd.Series) -> tuple[str, ...]:
    unique = sorted({str(code) for code in codes})
    return tuple([c for c in unique if c != UNMAPPED] + [c for c in unique if c == UNMAPPED])


def _fte_per_head(frame: pd.DataFrame, labels: dict[str, tuple[str, ...]],
                  assumptions: Assumptions) -> np.ndarray:
    index = ["area", "staff_group"]
    hc = pivot(frame, "hc_both", index, None, labels)
    fte = pivot(frame, "fte_both", index, None, labels)
    national_hc, national_fte = hc.sum(axis=0), fte.sum(axis=0)
    no_national = [g for g, n in zip(labels["staff_group"], national_hc, strict=True) if n <= 0]
    resolved = dict(zip(no_national, resolve_groups("fte_per_head", no_national), strict=True))
    fallback_values = np.array([resolved[g].value if g in resolved else np.nan
                                for g in labels["staff_group"]])
    national = np.divide(national_fte, national_hc, out=fallback_values,
                         where=national_hc > 0)
    ratio = np.divide(fte, hc, out=np.broadcast_to(national, hc.shape).copy(), where=hc > 0)
    # FTE per head must be at least 0.01 for the model; a cell of 0 FTE keeps the fallback
    no_fte = (hc > 0) & (fte <= 0)
    ratio = np.where(no_fte, np.broadcast_to(national, hc.shape), ratio)
    if no_fte.any():
        assumptions.add("fte_per_head", "staff group's national FTE per head",
                        f"{int(no_fte.sum())} area x staff group cells have headcount but 0 FTE; "
                        "the model needs FTE per head of at least 0.01", tier="data")
    staffed = pivot(frame, "hc_only", index, None, labels) + pivot(frame, "fte_only", index,
                                                                    None, labels) > 0
    fallback = (hc <= 0) & staffed
    if no_national:
        record(assumptions, list(resolved.values()), "no rows with both headcount and FTE")
    if fallback.any() and len(no_national) < len(labels["staff_group"]):
        assumptions.add("fte_per_head", "staff group's national FTE per head",
                        f"{int(fallback.sum())} area x staff group cells with staff have no "
                        "rows with both headcount and FTE", tier="data")
    return np.clip(ratio, 0.01, 2.0)


def _headcount(frame: pd.DataFrame, labels: dict[str, tuple[str, ...]],
               per_head: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return headcount by known age ``[A, G, K]`` and with no age ``[A, G]``."""
    areas = {code: i for i, code in enumerate(labels["area"])}
    groups = {code: i for i, code in enumerate(labels["staff_group"])}
    frame = frame[frame["area"].isin(areas) & frame["staff_group"].isin(groups)]
    ratio = per_head[frame["area"].map(areas).to_numpy(int),
                     frame["staff_group"].map(groups).to_numpy(int)]
    frame = frame.assign(hc=frame["hc_both"] + frame["hc_only"] + frame["fte_only"] / ratio)
    known = frame[frame["age_band"].notna()]
    unknown = frame[frame["age_band"].isna()]
    by_age = pivot(known, "hc", ["area", "staff_group"], "age_band", labels)
    no_age = pivot(unknown, "hc", ["area", "staff_group"], None, labels)
    return by_age, no_age


def _age_profile(by_age: np.ndarray, groups: tuple[str, ...],
                 assumptions: Assumptions) -> np.ndarray:
    totals = by_age.sum(axis=0)
    default, source = default_profile("stock_age_profile")
    sums = totals.sum(axis=1, keepdims=True)
    profile = np.divide(totals, sums, out=np.broadcast_to(default, totals.shape).copy(),
                        where=sums > 0)
    missing = [g for g, s in zip(groups, sums[:, 0], strict=True) if s <= 0]
    if missing:
        assumptions.add("stock_age_profile", "default profile (data/input_defaults.csv)",
                        f"no staff in post by age band for staff groups {', '.join(missing)}: "
                        f"their headcount is shared out by age with the default profile ({source})")
    return profile


def _known_groups(frame: pd.DataFrame, selection: Selection,
                  assumptions: Assumptions) -> pd.DataFrame:
    """Return the rows of the code list's staff groups; record each other code left out."""
    known = frame["staff_group"].isin(codelists.get("staff_group").codes)
    if known.all():
        return frame
    left = frame[~known].assign(
        fte=lambda f: f["fte_both"] + f["fte_only"], hc=lambda f: f["hc_both"] + f["hc_only"]
    ).groupby("staff_group")[["fte", "hc"]].sum().sort_values("fte", ascending=False)
    when = selection.period.isoformat()
    for code, row in left.head(_LISTED).iterrows():
        assumptions.add(
            f"staff group {code!r} left out", round(float(row["fte"]), 1),
            f"{row['hc']:,.0f} headcount and {row['fte']:,.1f} FTE of staff in post at {when} "
            f"have staff-group code {code!r}, which is not in the staff-group code list: they "
            "stay in the dataset and the unmapped values, but are not projected (value: the "
            "FTE left out); give them a code or publication label of the code list and load "
            "them again to include them")
    if len(left) > _LISTED:
        rest = left.iloc[_LISTED:]
        assumptions.add(
            "staff groups left out", round(float(rest["fte"].sum()), 1),
            f"{len(rest)} more staff-group codes not in the code list "
            f"({', '.join(map(repr, rest.index[:5]))}, …) hold {rest['hc'].sum():,.0f} headcount "
            f"and {rest['fte'].sum():,.1f} FTE at {when}: left out, as above")
    return frame[known]


def base_stock(selection: Selection, assumptions: Assumptions) -> Stock:
    """Read staff in post at the selection's base period; see the module notes."""
    frame = read_stock(selection, selection.period)
    frame = frame[(frame[["hc_both", "hc_only", "fte_only"]] > 0).any(axis=1)]
    if frame.empty:
        raise InputError(f"vintage {selection.vintage!r} has no staff in post on "
                         f"{selection.period} for the selection")
    unknown = sorted(set(frame["staff_group"]) - set(codelists.get("staff_group").codes))
    frame = _known_groups(frame, selection, assumptions)
    if frame.empty:
        raise InputError(f"vintage {selection.vintage!r} has staff in post on "
                         f"{selection.period} only under staff-group codes that are not in "
                         f"the code list ({', '.join(map(repr, unknown))}); give the rows a "
                         "code or publication label of the code list and load them again")
    bands, _ = age_bands()
    labels = {"area": _ordered(frame["area"]), "staff_group": _ordered(frame["staff_group"]),
              "age_band": bands}
    per_head = _fte_per_head(frame, labels, assumptions)
    by_age, no_age = _headcount(frame, labels, per_head)
    profile = _age_profile(by_age, labels["staff_group"], assumptions)
    if (no_age > 0).any():
        share = no_age.sum() / (no_age.sum() + by_age.sum())
        assumptions.add("stock_hc age bands", "staff group's national age profile",
                        f"{share:.1%} of headcount has no age band and is shared out by "
                        "the staff group's national age profile at the base period (the "
                        "default profile where the group has no age data)")
    if (frame["fte_only"] > 0).any():
        share = frame["fte_only"].sum() / (frame["fte_only"].sum() + frame["fte_both"].sum())
        assumptions.add("stock_hc from FTE", "FTE / FTE per head",
                        f"{share:.1%} of FTE comes without a headcount; its headcount is "
                        "FTE / FTE per head")
    if frame["suppressed"].sum() > 0:
        assumptions.add("stock_hc suppressed cells", 0,
                        f"{int(frame['suppressed'].sum())} suppressed staff-in-post cells "
                        "count as 0")
    headcount = by_age + no_age[..., np.newaxis] * profile[np.newaxis]
    return Stock(labels["area"], labels["staff_group"], bands, headcount, per_head, profile)


def headcount_at(selection: Selection, stock: Stock, period: date,
                 reporting: tuple[date, date] | None = None) -> np.ndarray:
    """Return ``[area, staff_group, age_band]`` headcount at another period.

    Areas and staff groups are those of ``stock``; FTE per head and the profile
    for rows without an age band are the base period's.
    """
    frame = read_stock(selection, period, reporting)
    by_age, no_age = _headcount(frame, stock.labels, stock.fte_per_head)
    return by_age + no_age[..., np.newaxis] * stock.age_profile[np.newaxis]


def vacancies(selection: Selection, stock: Stock, assumptions: Assumptions) -> np.ndarray | None:
    """Return ``[area, staff_group]`` vacancy FTE, or ``None`` when the vintage has none."""
    when = queries.latest_vacancy_period(selection.store, selection.vintage, selection.period)
    if when is None:
        return None
    frame = queries.vacancy_fte_by_area(selection.store, selection.scope, when)
    frame["vacancy_fte"] = frame["vacancy_fte"].astype("float64").fillna(0.0)
    values = pivot(frame, "vacancy_fte", ["area", "staff_group"], None, stock.labels)
    reported = pivot(frame.assign(n=1.0), "n", ["area", "staff_group"], None, stock.labels)
    staffed = stock.headcount.sum(axis=2) > 0
    missing = int((staffed & (reported == 0)).sum())
    when_text = pd.Timestamp(when).date().isoformat()
    if missing:
        assumptions.add("vacancy_fte", 0.0,
                        f"{missing} of {int(staffed.sum())} area x staff group cells with staff "
                        f"report no vacancies at {when_text}: 0 assumed (establishment = staff "
                        "in post)")
    if when_text != selection.period.isoformat():
        assumptions.add("vacancy period", when_text,
                        f"the latest vacancy period on or before the base period "
                        f"{selection.period.isoformat()}")
    return values
