"""General Practice Workforce, practice level, yearly averages (Health Equity Evidence Centre).

``heec_gp_workforce_practice_year_derived.csv`` has one row per practice per
year: ``Practice.Code, Year, ICB_NAME, TOTAL_PATIENTS``, then FTE and
headcount (``_FTE``/``_HC``) columns and ``IMD, IMD_quintile``. Each row is the
mean of NHS Digital's monthly practice-level "General Practice Workforce"
files over a financial year: ``Year`` 2023 is April 2022 to March 2023. Values
are rounded to 0.1, headcounts included; ``NA`` means not reported.

Column definitions (NHS Digital practice-level CSV, and the HEEC derivation):

- ``TOTAL_GP_EXTGL``: fully qualified GPs excluding GPs in training grades and
  locums, i.e. partners, salaried GPs and retainers.
- ``TOTAL_LOCUUM_TRN``: ``TOTAL_GP − TOTAL_GP_EXTGL``, i.e. locums and GPs in
  training (registrars) together.
- ``TOTAL_GP_SEN_PTNR`` and ``TOTAL_GP_PTNR_PROV``: senior partners and
  partners/providers, both **within** ``TOTAL_GP_EXTGL``.
- ``TOTAL_N_NURSE_PTNR`` and ``TOTAL_ADMIN_MANAGE_PTNR``: nurse and
  admin/manager partners, within nurses and admin.
- ``TOTAL_PTNR_PER_GP``: partners ÷ qualified GPs, a ratio, not staff.

What is loaded into ``staff_in_post`` (period: the middle of the financial
year, 30 September of ``Year − 1``, because a yearly average of a stock is
best dated at its middle; it is also the date of the old annual September GP
census):

============================  ==========================  ============================
staff group                   role                        measure
============================  ==========================  ============================
gp                            gp_partner                  SEN_PTNR + PTNR_PROV (at
                                                          most EXTGL)
gp                            gp_salaried                 EXTGL − partners (salaried
                                                          GPs and retainers)
gp                            "GP locums and trainees"    LOCUUM_TRN
pc_nurses                     (all)                       NURSES
pc_direct_patient_care        (all)                       DPC
pc_admin                      (all)                       ADMIN
============================  ==========================  ============================

so GP roles add up to all GPs with no partner counted twice. Locums and
trainees are one figure in this file; the role label is kept as given (a
warning, counted as unmapped) until the role code list has a combined code.
Nurse and admin partners stay inside nurses and admin. Headcounts are yearly
averages and are rounded to whole people (the note gives the national
difference). A cell with neither FTE nor headcount is not loaded.
``TOTAL_PATIENTS``, ``IMD`` and the ratio are not workforce figures and are not
loaded.

``organisations``: one record per practice not already in the vintage
(sector ``primary_care``, type ``GP practice``, ICB from ``ICB_NAME``, region
from the ICB), valid from the start of the first financial year in the file.
The file gives no practice names, so the name is ``GP practice <code>``;
practices the vintage already knows (e.g. from ODS reference data) keep that
record and this file's is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from wfplan.dataset import codelists
from wfplan.dataset.importers.base import Importer, Match, Provenance
from wfplan.dataset.importers.headers import unread_note
from wfplan.dataset.importers.toolkit import (
    BadCells,
    column_key,
    find_columns,
    header_errors,
    parse_numbers,
    read_all,
    text_frame,
)
from wfplan.dataset.provenance import OGL
from wfplan.dataset.readers import FileProbe
from wfplan.dataset.store.queries import importers as importer_queries

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

LOCUM_TRAINEE_ROLE = "GP locums and trainees"
_MEASURES = ("gp_extgl", "locum_trn", "nurses", "dpc", "admin", "sen_ptnr", "ptnr_prov")
_COLUMNS: dict[str, tuple[str, ...]] = {
    "practice": ("practice_code", "prac_code"),
    "year": ("year", "fiscal_year"),
    "icb_name": ("icb_name",),
    **{f"{m}_{k}": (f"total_{src}_{k}",) for m, src in (
        ("gp_extgl", "gp_extgl"), ("locum_trn", "locuum_trn"), ("nurses", "nurses"),
        ("dpc", "dpc"), ("admin", "admin"), ("sen_ptnr", "gp_sen_ptnr"),
        ("ptnr_prov", "gp_ptnr_prov")) for k in ("fte", "hc")},
}
_READ_BUT_UNUSED = ("total_patients", "total_n_nurse_ptnr_fte", "total_n_nurse_ptnr_hc",
                    "total_admin_manage_ptnr_fte", "total_admin_manage_ptnr_hc",
                    "total_ptnr_per_gp_fte", "total_ptnr_per_gp_hc", "imd", "imd_quintile")
#: (staff group, role, how to compute FTE/HC from the measures).
_CELLS: tuple[tuple[str, str | None, str], ...] = (
    ("gp", "gp_partner", "partners"),
    ("gp", "gp_salaried", "salaried"),
    ("gp", LOCUM_TRAINEE_ROLE, "locum_trn"),
    ("pc_nurses", None, "nurses"),
    ("pc_direct_patient_care", None, "dpc"),
    ("pc_admin", None, "admin"),
)


@dataclass
class _State:
    notes: list[str] = field(default_factory=list)
    period: str | None = None


def icb_code(name: str) -> str | None:
    """Return the ICB code of an ICB name (``NHS Devon ICB`` or ``Devon``), or ``None``."""
    icbs = codelists.get("icb")
    text = re.sub(r"^NHS\s+", "", name.strip(), flags=re.IGNORECASE)
    text = re.sub(r"\s+(Integrated Care Board|ICB)$", "", text, flags=re.IGNORECASE)
    return icbs.code_for(text) or icbs.code_for(name)


def _fiscal_end_year(text: str) -> int | None:
    found = re.fullmatch(r"(\d{4})(?:\s*[/-]\s*(\d{2}|\d{4}))?", text.strip())
    if not found:
        return None
    if found.group(2):
        end = found.group(2)
        return int(end) if len(end) == 4 else int(found.group(1)[:2] + end)
    return int(found.group(1))


class GpPracticeWorkforce(Importer):
    """Reads the HEEC yearly practice-level GP workforce file."""

    name = "heec:gp_workforce_practice_year"
    description = ("General Practice Workforce by practice and financial year, yearly averages "
                   "(CSV: Practice.Code, Year, ICB_NAME, TOTAL_PATIENTS, TOTAL_*_FTE, "
                   "TOTAL_*_HC, IMD)")
    order = 40
    title: ClassVar[str] = ("General Practice Workforce, practice level, financial-year "
                            "averages (Health Equity Evidence Centre derivation)")

    def __init__(self) -> None:
        self.state = _State()

    def match(self, probe: FileProbe) -> Match | None:
        """Match a CSV with the practice code, year and the TOTAL_* workforce columns."""
        cols = find_columns(probe, _COLUMNS) if probe.kind == "csv" else None
        if cols is None:
            return None
        return Match(self, table="staff_in_post", score=3.0,
                     errors=header_errors(probe, cols.values()))

    def provenance(self, probe: FileProbe, match: Match) -> Provenance:
        """NHS Digital figures averaged by HEEC; OGL v3.0."""
        return Provenance(
            publisher="NHS Digital (General Practice Workforce), yearly averages by the "
                      "Health Equity Evidence Centre",
            title=self.title, period=self.state.period, licence=OGL)

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield the practices, then one staff-in-post chunk per staff group and role."""
        self.state = _State()
        cols = find_columns(probe, _COLUMNS)
        assert cols is not None
        name = probe.path.name
        header = [column_key(c) for c in probe.headers.get("", [])]
        others = [c for c in header if c and c not in cols.values() and c not in
                  _READ_BUT_UNUSED]
        if others:
            self.state.notes.append("columns not read: "
                                    + unread_note(probe, "", others, column_key))
        data = read_all(probe.path, probe.encoding, cols.values())
        data = data.rename(columns={v: k for k, v in cols.items()})
        blank = (data[["practice", "year"]] == "").any(axis=1)
        if blank.any():
            self.state.notes.append(f"skipped {int(blank.sum())} rows without a practice code "
                                    f"or year (first at row {int(data.index[blank][0])})")
            data = data[~blank]
        if data.empty:
            return
        bad = BadCells(name)
        end_year = data["year"].map(_fiscal_end_year)
        bad.add(data["year"], end_year.isna(), cols["year"],
                "must be a financial year such as 2023 or 2022/23 (rule: financial year)")
        values = {key: parse_numbers(data[key], name, cols[key], bad)[0]
                  for key in cols if key.endswith(("_fte", "_hc"))}
        bad.check()
        data = data.assign(end_year=end_year.astype(int), practice=data["practice"].str.upper())
        years = sorted(set(data["end_year"]))
        self.state.period = ", ".join(f"{y - 1}/{str(y)[2:]}" for y in years)
        yield "organisations", self._organisations(data)
        period = (data["end_year"] - 1).map("{:04d}-09-30".format)
        rounded = {"before": 0.0, "after": 0.0}
        for group, role, how in _CELLS:
            fte, hc = self._measures(values, how)
            keep = fte.notna() | hc.notna()
            rounded["before"] += float(hc.sum())
            hc_whole = hc.round()
            rounded["after"] += float(hc_whole.sum())
            frame = pd.DataFrame({
                "period": period, "org_code": data["practice"], "staff_group": group,
                "role": role, "headcount": hc_whole.astype("Int64"), "fte": fte,
            }, index=data.index)[keep]
            if not frame.empty:
                yield "staff_in_post", text_frame(frame)
        self.state.notes.append(
            f"headcounts are yearly averages rounded to whole people: {rounded['before']:,.1f} "
            f"before rounding, {rounded['after']:,.0f} after, over all practices and years")

    def _measures(self, values: dict[str, pd.Series], how: str) -> tuple[pd.Series, pd.Series]:
        """Return (FTE, headcount) of one cell; partners are capped at qualified GPs."""
        if how not in ("partners", "salaried"):
            return values[f"{how}_fte"], values[f"{how}_hc"]
        out = []
        for kind in ("fte", "hc"):
            qualified = values[f"gp_extgl_{kind}"]
            partners = values[f"sen_ptnr_{kind}"].add(values[f"ptnr_prov_{kind}"], fill_value=0)
            over = partners > qualified + 1e-9
            if over.any() and how == "partners":
                self.state.notes.append(
                    f"{int(over.sum())} practice-years have more partner {kind.upper()} than "
                    f"qualified GP {kind.upper()} (rounding of yearly averages): partners capped "
                    "at qualified GPs, salaried GPs 0, so that GP totals match the file")
            partners = partners.where(~over, qualified)
            out.append(partners if how == "partners" else
                       (qualified - partners.fillna(0)).clip(lower=0).round(6))
        return out[0], out[1]

    def _organisations(self, data: pd.DataFrame) -> pd.DataFrame:
        latest = data.sort_values(["end_year"]).drop_duplicates("practice", keep="last")
        first_year = data.groupby("practice")["end_year"].min()
        first_row = data.reset_index().groupby("practice")["index"].min()
        names = latest.set_index("practice")["icb_name"]
        codes = {n: icb_code(n) for n in names.unique() if n and n.upper() != "NA"}
        icb = names.map(lambda n: codes.get(n) or (n if n and n.upper() != "NA" else None))
        unknown = sorted({n for n, c in codes.items() if c is None})
        if unknown:
            self.state.notes.append(
                f"ICB name(s) {', '.join(map(repr, unknown))} match no ICB: kept as given")
        icbs = codelists.get("icb")
        region = icb.map(lambda c: icbs.attribute(c, "region_code") if c in icbs.codes
                         else None)
        frame = pd.DataFrame({
            "org_code": names.index, "name": [f"GP practice {c}" for c in names.index],
            "org_type": "GP practice", "sector": "primary_care", "icb_code": icb.to_numpy(),
            "region_code": region.to_numpy(), "parent_code": None,
            "valid_from": (first_year.reindex(names.index) - 1).map("{:04d}-04-01".format)
            .to_numpy(),
            "valid_to": None,
        }, index=pd.Index(first_row.reindex(names.index).astype(int).to_numpy()))
        return text_frame(frame.sort_index())

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Drop this file's practices that the vintage already describes; return notes."""
        before = importer_queries.ingest_rows(store, "organisations", ingest_id)
        importer_queries.delete_keys_held_elsewhere(store, "organisations", ingest_id, vintage,
                                                    keys=["org_code"])
        after = importer_queries.ingest_rows(store, "organisations", ingest_id)
        notes = list(self.state.notes)
        if before - after:
            notes.append(f"{before - after:,} practices were already in the vintage and keep "
                         f"that record; {after:,} new practices added (named by code: the file "
                         "gives no names)")
        elif after:
            notes.append(f"{after:,} practices added as organisations (named by code: the file "
                         "gives no names)")
        return notes


IMPORTERS: list[Importer] = [GpPracticeWorkforce()]
