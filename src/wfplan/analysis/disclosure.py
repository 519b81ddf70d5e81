"""Statistical disclosure control of the tables wfplan publishes, as data.

A count of people under :attr:`Policy.threshold` (1 to 4) in a published table
can identify someone: the one nurse of a band in an ICB, the two leavers of a
small cell. :data:`POLICY` says which measures of which tables count people,
which other measures would reveal such a count, and what to do about them:

- **small cells**: a count from 1 to 4 is *suppressed* (made missing, the row
  marked ``suppressed``), with the measures that would reveal it (the cell's FTE,
  a survey share); a row without any count is judged by its FTE;
- **rounding**: every other count is rounded to the nearest 5 (0 stays 0).

This follows NHS Digital's published disclosure control method for its
secondary-care statistics (Hospital Episode Statistics and the Emergency Care
Data Set, since September 2018: small counts below national level suppressed,
every other count rounded to the nearest 5),
https://digital.nhs.uk/data-and-information/data-tools-and-services/data-services/hospital-episode-statistics/change-to-disclosure-control-methodology-for-hes-and-ecds-from-september-2018
. NHS Digital suppresses counts from 1 to 7 there; wfplan's threshold is 5, as
the published workforce tables (``tables.xlsx``) already show counts from 1 to
4 as ``*``; raise :attr:`Policy.threshold` to be stricter. Zeros are shown, as
NHS Digital shows them.

Measures that are not counts of people are left as they are: FTE of cells that
are shown, vacancy FTE and the vacant posts of the social care returns, FTE days of
sickness absence, commissioned education places, and population (ONS's published
estimates, not about the workforce).

A run is refused rather than published when suppression would leave it
meaningless (:meth:`Policy.problems`): when more than
:attr:`Policy.max_suppressed_share` of a table's people would be suppressed, or
when a staff group would lose every one of its staff in post at the base period
(it would vanish from the projections). Both limits are wfplan assumptions.

The same policy controls the tables wfplan publishes from a vintage
(:attr:`Policy.published`: ``wfplan metrics --public``, later the API), applied
to frames by :mod:`wfplan.analysis.public`; record-level data (the columns in
:attr:`Policy.person_level`) is refused there, never controlled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa

SOURCE = ("NHS Digital, Disclosure control methodology for Hospital Episode Statistics (HES) "
          "and Emergency Care Data Set (ECDS), September 2018: "
          "https://digital.nhs.uk/data-and-information/data-tools-and-services/data-services/"
          "hospital-episode-statistics/change-to-disclosure-control-methodology-for-hes-and-"
          "ecds-from-september-2018")


@dataclass(frozen=True)
class TableRule:
    """How one published table (a frame of figures) is controlled: its columns' roles.

    Attributes
    ----------
    counts
        Columns that count people: suppressed from 1 to ``threshold - 1``, else rounded.
    revealing
        Columns suppressed in a row with a small count (they would reveal it).
    proxy
        The column judged instead where a row has no count (FTE only).
    derived
        Columns recomputed from the controlled columns, so that they reveal no more
        than those: ``{column: (operation, a, b)}``, operation ``ratio`` (a ÷ b) or
        ``difference`` (a − b).
    rates
        Rates and shares rounded to :attr:`Policy.rate_decimals` decimals.
    """

    counts: tuple[str, ...] = ()
    revealing: tuple[str, ...] = ()
    proxy: str | None = None
    derived: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)
    rates: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        """Return the rule as JSON-ready data."""
        return {"counts": list(self.counts), "revealing": list(self.revealing),
                "proxy": self.proxy, "derived": {c: list(d) for c, d in self.derived.items()},
                "rates": list(self.rates)}


@dataclass(frozen=True)
class Policy:
    """What counts people in the input extracts, and how a public bundle protects them.

    Attributes
    ----------
    threshold
        Counts from 1 to ``threshold - 1`` are small cells (suppressed).
    rounding
        Every other count is rounded to the nearest multiple of this.
    counts
        Per table, the measures that count people.
    revealing
        Per table, the measures suppressed with a small count (they would reveal it).
    proxies
        Per table, the measure judged instead where a row has no count (FTE only).
    max_suppressed_share
        The largest share of a table's people that may be suppressed (wfplan assumption).
    published
        Per table published from a vintage (``wfplan metrics --public``), its rule.
    person_level
        Columns that only record-level data holds: a frame with any is refused.
    rate_decimals
        Decimals a published rate or share keeps (3: a tenth of a percentage point).
    """

    threshold: int = 5
    rounding: int = 5
    counts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    revealing: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    proxies: Mapping[str, str] = field(default_factory=dict)
    max_suppressed_share: float = 0.05
    source: str = SOURCE
    published: Mapping[str, TableRule] = field(default_factory=dict)
    person_level: tuple[str, ...] = ()
    rate_decimals: int = 3

    def describe(self) -> dict[str, Any]:
        """Return the policy as JSON-ready data (for the manifest)."""
        return {"small_cells": f"counts from 1 to {self.threshold - 1} suppressed",
                "rounding": f"other counts rounded to the nearest {self.rounding}",
                "counts": {t: list(c) for t, c in self.counts.items()},
                "revealing": {t: list(c) for t, c in self.revealing.items()},
                "proxies": dict(self.proxies),
                "max_suppressed_share": self.max_suppressed_share, "source": self.source}

    def describe_published(self) -> dict[str, Any]:
        """Return the control of published tables as JSON-ready data (``metrics --public``)."""
        return {"small_cells": f"counts from 1 to {self.threshold - 1} suppressed, with the "
                "figures that would reveal them",
                "rounding": f"other counts rounded to the nearest {self.rounding}",
                "rates": f"rates and shares rounded to {self.rate_decimals} decimals",
                "tables": {t: r.describe() for t, r in self.published.items()},
                "source": self.source}

    def small(self, values: np.ndarray) -> np.ndarray:
        """Return where counts (NaN for missing) are small cells."""
        return (values > 0) & (values < self.threshold)


POLICY = Policy(
    counts={"staff_in_post": ("headcount",), "flows": ("headcount",),
            "distinct_headcount": ("headcount",), "education": ("starters",),
            "staff_survey": ("base",),
            # posts filled count people in post (wfplan assumption: a person with two jobs
            # fills two posts, so a count of 1 to 4 posts is at most 4 people); vacancies are
            # posts nobody holds, as vacancy FTE, so they are left as they are
            "asc_workforce": ("filled_posts", "starters", "leavers"),
            "education_programmes": ("starters",)},
    revealing={"staff_in_post": ("fte",), "flows": ("fte",), "distinct_headcount": ("fte",),
               "staff_survey": ("value",)},
    proxies={"staff_in_post": "fte"},
    published={
        "current_position": TableRule(
            counts=("headcount",),
            revealing=("fte", "vacancy_rate", "joiner_rate", "leaver_rate", "stability_index",
                       "sickness_absence_rate", "share_aged_55_plus", "share_non_uk",
                       "burnout_rate"),
            proxy="fte",
            derived={"fte_per_head": ("ratio", "fte", "headcount")},
            rates=("vacancy_rate", "joiner_rate", "leaver_rate", "stability_index",
                   "sickness_absence_rate", "share_aged_55_plus", "share_non_uk",
                   "burnout_rate")),
        "ethnic_minority_by_band": TableRule(
            counts=("minority_headcount", "known_headcount"),
            derived={"ethnic_minority_share": ("ratio", "minority_headcount",
                                               "known_headcount")}),
        "net_change": TableRule(
            counts=("headcount_start", "headcount_end"),
            revealing=("fte_start", "fte_end", "fte_change", "fte_change_rate"),
            derived={"headcount_change": ("difference", "headcount_end", "headcount_start")},
            rates=("fte_change_rate",)),
        # What each figure covers (sectors, period, why n/a): no figures of people.
        "coverage": TableRule(),
    },
    person_level=("person_hash", "person_id"),
)


#: The trends of ``/api/v1/trends`` (:mod:`wfplan.analysis.trends`), one table per kind of
#: measure; columns ``value, numerator, denominator`` and, for FTE, the ``headcount`` the
#: FTE is of (judged as the current position judges FTE). Declared apart from
#: :data:`POLICY` so that what ``wfplan metrics --public`` states about its tables is
#: unchanged; :data:`TREND_POLICY` controls them with the same threshold and rounding.
TRENDS = {
    # Headcount: the value is a count of people.
    "trend_headcount": TableRule(counts=("value",)),
    # FTE: suppressed with a small headcount (or, without one, a small FTE).
    "trend_fte": TableRule(counts=("headcount",), revealing=("value",), proxy="value"),
    # Sickness absence: FTE days are not counts of people; the rate is rounded.
    "trend_sickness": TableRule(rates=("value",)),
    # Vacancies: FTE in post under 5 (no headcount beside it) would reveal a small cell.
    "trend_vacancy": TableRule(revealing=("value", "numerator", "denominator"),
                               proxy="denominator", rates=("value",)),
}
TREND_POLICY = replace(POLICY, published={**POLICY.published, **TRENDS})


def _values(table: pa.Table, column: str) -> np.ndarray:
    return table.column(column).to_numpy(zero_copy_only=False).astype("float64")


def small_mask(table: pa.Table, name: str, policy: Policy = POLICY) -> np.ndarray:
    """Return which rows of extract ``name`` hold a small cell."""
    counts = [c for c in policy.counts.get(name, ()) if c in table.column_names]
    mask = np.zeros(table.num_rows, dtype=bool)
    present = np.zeros(table.num_rows, dtype=bool)
    for column in counts:
        values = _values(table, column)
        mask |= policy.small(values)
        present |= ~np.isnan(values)
    proxy = policy.proxies.get(name)
    if proxy and proxy in table.column_names:
        mask |= ~present & policy.small(_values(table, proxy))
    return mask


def small_cells(tables: Mapping[str, pa.Table], policy: Policy = POLICY) -> dict[str, int]:
    """Return the number of small cells in each extract that has any."""
    found = {name: int(small_mask(table, name, policy).sum()) for name, table in tables.items()}
    return {name: n for name, n in found.items() if n}


@dataclass(frozen=True)
class Controlled:
    """What disclosure control did to one extract."""

    suppressed: int
    rounded: int
    people: float
    people_suppressed: float

    @property
    def share(self) -> float:
        """The share of the table's people in suppressed cells."""
        return self.people_suppressed / self.people if self.people else 0.0


def _set(table: pa.Table, column: str, values: np.ndarray, missing: np.ndarray) -> pa.Table:
    kind = table.schema.field(column).type
    array = pa.array(np.where(missing, 0, values).astype(kind.to_pandas_dtype()), type=kind,
                     mask=missing)
    return table.set_column(table.schema.get_field_index(column), column, array)


def control(table: pa.Table, name: str, policy: Policy = POLICY) -> tuple[pa.Table, Controlled]:
    """Return extract ``name`` with small cells suppressed and other counts rounded."""
    mask = small_mask(table, name, policy)
    people = suppressed_people = 0.0
    rounded = 0
    for column in policy.counts.get(name, ()):
        if column not in table.column_names:
            continue
        values = _values(table, column)
        missing = np.isnan(values) | mask
        people += float(np.nansum(values))
        suppressed_people += float(np.nansum(np.where(mask, values, 0.0)))
        whole = np.where(missing, 0.0, values)
        near = np.floor((whole + policy.rounding / 2) / policy.rounding) * policy.rounding
        rounded += int((~missing & (near != whole)).sum())
        table = _set(table, column, near, missing)
    proxy = policy.proxies.get(name)
    for hidden in sorted({*policy.revealing.get(name, ()), *([proxy] if proxy else [])}):
        if hidden in table.column_names:
            values = _values(table, hidden)
            table = _set(table, hidden, values, np.isnan(values) | mask)
    if "suppressed" in table.column_names:
        flags = table.column("suppressed").to_numpy(zero_copy_only=False).astype(bool) | mask
        table = table.set_column(table.schema.get_field_index("suppressed"), "suppressed",
                                 pa.array(flags))
    return table, Controlled(int(mask.sum()), rounded, people, suppressed_people)


def problems(done: Mapping[str, Controlled], lost_groups: list[str],
             policy: Policy = POLICY) -> list[str]:
    """Return why a controlled run would be meaningless (empty when it would not be)."""
    out = [f"{name}: {c.suppressed:,} small cells hold {c.share:.1%} of its people "
           f"(more than {policy.max_suppressed_share:.0%})"
           for name, c in sorted(done.items()) if c.share > policy.max_suppressed_share]
    if lost_groups:
        out.append(f"staff_in_post: staff groups {', '.join(lost_groups)} would lose every "
                   "one of their staff in post at the base period (only small cells)")
    return out


#: A bundle's disclosure status: ``public`` when no input cell is small, else ``restricted``.
PUBLIC, RESTRICTED = "public", "restricted"


@dataclass(frozen=True)
class Disclosure:
    """A bundle's inputs as published: their status, their small cells and the control applied.

    Attributes
    ----------
    status
        :data:`PUBLIC` (no small cell in the inputs) or :data:`RESTRICTED` (for
        accredited verifiers only).
    small_cells
        Small cells per extract before any control.
    controlled
        What control did to each extract (``None`` when none was applied).
    """

    status: str
    small_cells: Mapping[str, int]
    controlled: Mapping[str, Controlled] | None = None
    policy: Policy = POLICY

    def manifest(self) -> dict[str, Any]:
        """Return the manifest's ``disclosure`` field."""
        out: dict[str, Any] = {
            "status": self.status, "small_cells_before_control": dict(self.small_cells),
            "control_applied": self.controlled is not None, "policy": self.policy.describe()}
        if self.controlled is not None:
            out["controlled"] = {name: {"cells_suppressed": c.suppressed,
                                        "counts_rounded": c.rounded,
                                        "share_of_people_suppressed": round(c.share, 6)}
                                 for name, c in sorted(self.controlled.items())}
        return out

    def text(self) -> str:
        """Return the sentence the report shows about the bundle's disclosure status."""
        if self.status == RESTRICTED:
            listed = ", ".join(f"{n:,} in {t}" for t, n in sorted(self.small_cells.items()))
            return (f"restricted: for accredited verifiers. The input extracts hold counts of "
                    f"1 to {self.policy.threshold - 1} people ({listed}); do not publish the "
                    "bundle's inputs")
        if self.controlled is None:
            return (f"public: no input count is between 1 and {self.policy.threshold - 1} "
                    "people (no disclosure control needed)")
        cells = sum(c.suppressed for c in self.controlled.values())
        return (f"public: disclosure control applied to the inputs before computing "
                f"({cells:,} counts of 1 to {self.policy.threshold - 1} people suppressed, "
                f"every other count rounded to the nearest {self.policy.rounding}; NHS "
                "Digital practice); every figure is computed from the controlled inputs")


def disclosure_from_manifest(field: object) -> Disclosure | None:
    """Return the :class:`Disclosure` a manifest's ``disclosure`` field records, if any.

    A bundle's report is re-rendered from its manifest by ``wfplan verify``; the
    sentence it states (:meth:`Disclosure.text`) must come from what the manifest
    records, not from a fresh count.
    """
    if not isinstance(field, dict) or field.get("status") not in (PUBLIC, RESTRICTED):
        return None
    small = {str(k): int(v) for k, v in dict(field.get("small_cells_before_control") or {})
             .items()}
    controlled = None
    if field.get("control_applied"):
        controlled = {str(name): Controlled(int(c["cells_suppressed"]), int(c["counts_rounded"]),
                                            1.0, float(c["share_of_people_suppressed"]))
                      for name, c in dict(field.get("controlled") or {}).items()}
    return Disclosure(str(field["status"]), small, controlled)


def disclosure_text(field: object) -> str | None:
    """Return the report's disclosure sentence for a manifest's ``disclosure`` field."""
    try:
        found = disclosure_from_manifest(field)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"the manifest's disclosure field is malformed ({error})") from None
    return None if found is None else found.text()
