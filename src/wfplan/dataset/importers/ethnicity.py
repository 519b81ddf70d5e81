"""GOV.UK Ethnicity facts and figures: NHS workforce (NHS Digital), headcount.

One row per September census, ethnic group, staff group and grade, for
England as a whole. See ``docs/importers/ethnicity.md``.

- ``staff_in_post`` rows with ``org_code`` = ``E92000001`` (England): metrics
  treat them as area-level figures and never add them to organisations' rows.
- ``staff_group`` from ``Role_Group`` (the 13 NHS Digital staff groups);
  ``Staff_Group`` is their parent aggregate and is not stored.
- ``grade``: Agenda for Change bands, VSM and "Non AfC grade" through the grade
  code list; "All Grades" → NULL (all grades); a medical grade (Consultant,
  Specialty Registrar, …) → ``grade`` = ``medical`` and ``role`` = that grade
  through the role code list.
- ``ethnicity`` through the ONS 6+1 code list. The "All" rows are totals:
  they are not loaded, but are used to check the groups add up. Categories
  that map to the same code ("Unknown & Not Stated" and "Discontinued Codes"
  both mean unknown) are added together.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.importers._publication import TEXT, Layout, PublicationImporter, months
from wfplan.dataset.importers.base import Match
from wfplan.dataset.provenance import GOV_UK_ETHNICITY
from wfplan.dataset.readers import FileProbe

_TOTALS = frozenset({"all", "total", "all grades", "all staff", "all staff groups",
                     "all ethnicities"})
_KEYS = ["period", "staff_group", "role", "grade", "ethnicity"]


def _is_total(label: object) -> bool:
    if not isinstance(label, str):
        return False
    key = codelists.normalise_label(label)
    return key in _TOTALS or key.startswith("all ")


def grade_and_role(label: object) -> tuple[object, object]:
    """Return ``(grade, role)`` for a published grade: AfC band, medical grade, or as given."""
    if not isinstance(label, str) or _is_total(label):
        return None, None
    grade = codelists.get("grade").code_for(label)
    if grade is not None:
        return grade, None
    role = codelists.get("role").code_for(label)
    if role is not None and codelists.get("role").attribute(role, "staff_group") == "hchs_doctors":
        return "medical", role
    return label, None


class NhsWorkforceEthnicity(PublicationImporter):
    """Ethnicity facts and figures: NHS workforce by ethnicity, staff group and grade."""

    name = "gov_uk:nhs_workforce_ethnicity"
    description = ("GOV.UK Ethnicity facts and figures, NHS workforce headcount (Time, Ethnicity, "
                   "Ethnicity_type, Staff_Group, Role_Group, Grade, Value)")
    title = "NHS workforce by ethnicity, staff group and grade (Ethnicity facts and figures)"
    publisher = GOV_UK_ETHNICITY
    table = "staff_in_post"
    layout = Layout(
        required={
            "time": ("time", "date", "period"),
            "ethnicity": ("ethnicity",),
            "role_group": ("role_group",),
            "grade": ("grade",),
            "value": ("value", "headcount"),
        },
        optional={"ethnicity_type": ("ethnicity_type",), "staff_group": ("staff_group",)},
    )

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[pd.DataFrame] = []

    def reset(self) -> None:
        """Start collecting a new file."""
        self.parts = []

    def accepts(self, columns: dict[str, str]) -> bool:
        """Ask for the grade and role-group columns, which tell this table from others."""
        return "role_group" in columns and "grade" in columns

    def rows(self, frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
        """Collect the national table; it is small and must be whole to add categories up."""
        self.parts.append(frame)
        return iter(())

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Read the whole table, then yield it as staff in post for England."""
        yield from super().chunks(probe, match)
        if not self.parts:
            return
        frame = pd.concat(self.parts)
        self.parts = []
        yield "staff_in_post", self._national(frame)

    def _national(self, frame: pd.DataFrame) -> pd.DataFrame:
        period = months(frame["time"], self.state)
        graded = [grade_and_role(g) for g in frame["grade"]]
        kind = frame["ethnicity_type"] if "ethnicity_type" in frame else frame["ethnicity"]
        total_ethnicity = frame["ethnicity"].map(_is_total) | kind.map(_is_total)
        total_group = frame["role_group"].map(
            lambda g: _is_total(g) or codelists.get("staff_group_aggregate").code_for(g)
            is not None if isinstance(g, str) else False)
        ethnicity = frame["ethnicity"].map(
            lambda e: codelists.get("ethnicity").code_for(e) or e if isinstance(e, str) else e)
        rows = pd.DataFrame({
            "period": period, "staff_group": frame["role_group"],
            "grade": [g for g, _ in graded], "role": [r for _, r in graded],
            "ethnicity": ethnicity, "headcount": frame["value"],
            "source_row": frame.index,
        }, index=frame.index)
        if total_group.any():
            self.state.note(f"{int(total_group.sum())} row(s) for all staff groups or an "
                            "aggregate group are totals and were not loaded")
        self._check_totals(rows[~total_group], total_ethnicity[~total_group],
                           frame.loc[~total_group, "ethnicity"])
        people = rows[~total_ethnicity & ~total_group]
        return self._combine(people)

    def _combine(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Add up published categories that map to the same code (one row per key)."""
        keyed = rows.astype(dict.fromkeys(_KEYS, object)).fillna(dict.fromkeys(_KEYS, ""))
        counts = keyed.groupby(_KEYS, sort=False)["headcount"].transform("size")
        if (counts > 1).any():
            self.state.note(f"{int((counts > 1).sum())} row(s) in categories that map to the "
                            "same code (e.g. 'Discontinued Codes' and 'Unknown & Not Stated' → "
                            "unknown) were added together")
        numbers = pd.to_numeric(keyed["headcount"], errors="coerce")
        keyed["number"] = numbers
        keyed["marked"] = numbers.isna() & keyed["headcount"].notna()
        summed = keyed.groupby(_KEYS, sort=False).agg(
            number=("number", "sum"), marked=("marked", "any"), parts=("number", "size"),
            first=("headcount", "first"), source_row=("source_row", "min"))
        text = summed["number"].map(lambda v: str(int(v)) if float(v).is_integer() else repr(v))
        single = summed["parts"] == 1
        headcount = text.where(~single, summed["first"]).where(~summed["marked"] | single, "*")
        out = summed.reset_index()[_KEYS].replace({"": None})
        out["headcount"] = headcount.to_numpy()
        out["org_code"] = codelists.ENGLAND_CODE
        out.index = pd.Index(summed["source_row"].to_numpy(), name=None)
        return out.sort_index().astype(TEXT)

    def _check_totals(self, rows: pd.DataFrame, is_total: pd.Series, label: pd.Series) -> None:
        """Compare the published 'All' rows with the sum of the ethnic groups loaded."""
        numbers = pd.to_numeric(rows["headcount"], errors="coerce")
        keys = ["period", "staff_group", "grade", "role"]
        keyed = rows[keys].astype(object).fillna("")
        everyone = label.str.casefold().str.contains("unknown", na=False)
        known = rows["ethnicity"].isin([r["code"] for r in codelists.get("ethnicity").rows
                                        if r["minority"] in ("true", "false")])
        checks = 0
        wrong = 0
        for totals, members in ((is_total & ~everyone, ~is_total & known),
                                (is_total & everyone, ~is_total)):
            if not totals.any():
                continue
            published = numbers[totals].groupby([keyed[k][totals] for k in keys]).sum()
            added = numbers[members].groupby([keyed[k][members] for k in keys]).sum()
            both = published.to_frame("published").join(added.to_frame("added"), how="left")
            checks += len(both)
            wrong += int(((both["published"] - both["added"].fillna(0)).abs() > 0.5).sum())
        if wrong:
            self.state.note(f"{wrong:,} of {checks:,} published 'All' totals differ from the sum "
                            "of the ethnic groups loaded")


IMPORTERS = [NhsWorkforceEthnicity()]
