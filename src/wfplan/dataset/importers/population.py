"""ONS population and NHS secondary-care activity by age: the demand drivers.

Four files, four importers:

- ``ons_region_population_by_age_2022_2028.csv`` (``region, age_band, year,
  population_thousands``): the 9 English ONS regions in ten-year bands →
  ``population`` for each ONS region (``E12…``, also an ``areas`` row of level
  ``ons_region`` unless the vintage has it already), each NHS England region
  (``Y56…``, sums of ONS regions, see :data:`NHS_REGIONS`) and England
  (``E92000001``). The ONS regions and their NHS regions are in the code list
  ``ons_regions.csv``: London and the South West are the same areas as NHS
  London and South West; NHS Midlands is the East and West Midlands together
  (since 1 July 2022); the other four NHS regions differ from any union of ONS
  regions (Milton Keynes, North Cumbria), so their sums are approximations,
  and the ingest says so. Persons = thousands × 1,000. Years up to
  :data:`LAST_ESTIMATE_YEAR` are mid-year estimates (variant NULL); later years
  are the principal projection (variant ``principal``). The highest band holds
  everyone above its lower bound (``80_89`` holds 80+), so it is stored as
  ``80_plus``.
- ``uk_population_2022_2030.csv`` (``year, population_millions``) →
  ``population`` for the UK (``K02000001``, also an ``areas`` row of level
  ``uk``), all ages, variant ``principal``.
- ``la_population_single_year_of_age.csv`` (``code, name, all, 0 … 89, 90+``)
  → ``population`` for each English local authority (codes ``E…``; the Welsh,
  Scottish and Northern Irish rows are left out with a note), by single year
  of age (``0`` … ``89``) and ``90_plus``; each authority not yet in the
  vintage becomes an ``areas`` row (level ``la``). The file has no year column: the
  year is read from the file name (``mid-2024``, ``2024``) or, failing that, is
  :data:`LA_DEFAULT_YEAR` (the ONS mid-2023 estimates), with a note.
- ``nhs_activity_cost_by_age_sex.csv`` (``Service, Gender, Age group, Metric,
  Total``) → ``utilisation`` per service and age band: activity per head and
  cost per head of the England population of that age. The population is the
  sum of the English lower-tier local authorities (``E06``–``E09``) by single
  year of age already in the vintage (load the local-authority file first, or
  in the same call: population files load before the activity file). The
  activity file's ``90-94`` and ``95 years or older`` groups are merged into
  ``90_plus`` because the population gives 90+ only. The population has no
  sex, so rates are for persons (sex NULL), activity and cost summed over
  sex; if the vintage holds an England population by sex and single year
  (``E92000001``), by-sex rates are added too.

Age band codes in ``population`` and ``utilisation``: ``LO_HI`` for a closed
band (``0_9``, ``1_4``, ``85_89``), ``N`` for a single year (``0``, ``37``),
``LO_plus`` for an open band (``80_plus``, ``90_plus``), and ``all``.

Over 400 lines (issue 10 allows it with a reason): four small importers of one family
share their age-band and year rules here; splitting them into four modules would
scatter those rules. Next split, if it grows: the activity importer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
import pyarrow as pa

from wfplan.dataset import codelists, schema
from wfplan.dataset.age_bands import band_bounds
from wfplan.dataset.importers.base import Importer, Match, Provenance
from wfplan.dataset.importers.toolkit import (
    BadCells,
    column_key,
    find_columns,
    header_errors,
    parse_numbers,
    read_all,
    text_frame,
)
from wfplan.dataset.provenance import OGL, ONS
from wfplan.dataset.readers import FileProbe
from wfplan.dataset.store.queries import importers as importer_queries
from wfplan.dataset.validate import ChunkValidator
from wfplan.errors import InputError

if TYPE_CHECKING:
    from wfplan.dataset.store import Store

ENGLAND = codelists.ENGLAND_CODE
UK = "K02000001"
#: Years up to this one are mid-year estimates in the regional file; later years projections.
LAST_ESTIMATE_YEAR = 2023
#: The year of the local-authority file when its name gives none (ONS mid-2023 estimates).
LA_DEFAULT_YEAR = 2023

_LOWER_TIER = ("E06", "E07", "E08", "E09")
_BAND = re.compile(r"^(\d+)\s*(?:_|-|to)\s*(\d+)(?:\s*years?)?$")
_OPEN = re.compile(r"^(\d+)\s*(?:\+|_plus|plus|years? or (?:older|over)|and over)$")
_SINGLE = re.compile(r"^(\d+)(?:\s*years?)?$")


def region_key(name: str) -> str:
    """Return the lookup key of an ONS region name: ``East of England`` → ``east``."""
    key = re.sub(r"[^a-z]+", "_", name.casefold()).strip("_")
    key = key.replace("yorkshire_and_humber", "yorkshire_and_the_humber")
    return "east" if key in ("east_of_england", "eastern") else key


#: ONS region (as named in the file, normalised) → ONS code and name (code list ``ons_region``).
ONS_REGIONS = {region_key(row["name"]): (row["code"], row["name"])
               for row in codelists.get("ons_region").rows}
#: NHS England region → the ONS regions it is made of, or approximately made of.
NHS_REGIONS = {
    nhs: tuple(r["code"] for r in codelists.get("ons_region").rows if r["nhs_region_code"] == nhs)
    for nhs in dict.fromkeys(r["nhs_region_code"] for r in codelists.get("ons_region").rows)
}


def correspondence_note() -> str:
    """Say which NHS-region sums of ONS regions are exact and which are approximate."""
    rows = codelists.get("ons_region").rows
    parts: dict[str, list[str]] = {"one_to_one": [], "union": [], "approximate": []}
    for nhs, members in NHS_REGIONS.items():
        kinds = {r["correspondence"] for r in rows if r["nhs_region_code"] == nhs}
        kind = "approximate" if "approximate" in kinds else kinds.pop()
        parts[kind].append(f"{nhs} {'≈' if kind == 'approximate' else '='} "
                           f"{' + '.join(members)}")
    return (
        "ONS regions are mapped to NHS England regions (code list ons_regions.csv): "
        f"one-to-one {', '.join(parts['one_to_one'])}; the same area as two ONS regions "
        f"since 1 July 2022 {', '.join(parts['union'])}; not one-to-one, so these NHS-region "
        f"populations are approximate: {', '.join(parts['approximate'])} (Milton Keynes, in "
        "the ONS South East, is in NHS East of England; North Cumbria, in the ONS North West, "
        "is in NHS North East and Yorkshire)")


def age_code(label: str) -> str | None:
    """Return the band code of an age label (``01-04 years`` → ``1_4``), or ``None``."""
    text = label.strip().casefold()
    if text in ("all", "all ages", "total"):
        return "all"
    if found := _BAND.match(text):
        return f"{int(found.group(1))}_{int(found.group(2))}"
    if found := _OPEN.match(text):
        return f"{int(found.group(1))}_plus"
    if found := _SINGLE.match(text):
        return str(int(found.group(1)))
    return None


@dataclass
class _State:
    notes: list[str] = field(default_factory=list)
    period: str | None = None


class _PopulationImporter(Importer):
    """Shared plumbing of the population importers."""

    columns: ClassVar[dict[str, tuple[str, ...]]]
    title: ClassVar[str]
    publisher: ClassVar[str] = ONS
    order = 30

    def __init__(self) -> None:
        self.state = _State()

    def match(self, probe: FileProbe) -> Match | None:
        """Match a CSV whose header has the file's columns."""
        cols = find_columns(probe, self.columns) if probe.kind == "csv" else None
        if cols is None:
            return None
        return Match(self, table=self.table_name, score=3.0,
                     errors=header_errors(probe, self.columns_read(probe, cols)))

    def columns_read(self, probe: FileProbe, found: dict[str, str]) -> list[str]:
        """Return the header columns (normalised) the importer reads."""
        return list(found.values())

    table_name: ClassVar[str] = "population"

    def provenance(self, probe: FileProbe, match: Match) -> Provenance:
        """ONS (or NHS England), OGL v3.0, and the years covered."""
        return Provenance(publisher=self.publisher, title=self.title, period=self.state.period,
                          licence=OGL)

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Return the notes gathered while reading."""
        return list(self.state.notes)

    #: Fields of which at least one is filled in a data row (others are notes rows).
    numeric: ClassVar[tuple[str, ...]]

    def read(self, probe: FileProbe) -> pd.DataFrame:
        """Read the file's columns, renamed to their field names; notes rows dropped."""
        self.state = _State()
        cols = find_columns(probe, self.columns)
        assert cols is not None
        data = read_all(probe.path, probe.encoding, cols.values())
        data = data.rename(columns={v: k for k, v in cols.items()})
        blank = (data[list(self.numeric)] == "").all(axis=1)
        if blank.any():
            self.state.notes.append(f"skipped {int(blank.sum())} notes or blank rows (first "
                                    f"at row {int(data.index[blank][0])})")
        return data[~blank]


def _population_frame(year: pd.Series, area: pd.Series, age: pd.Series, persons: pd.Series,
                      variant: pd.Series | str | None, index: pd.Index) -> pd.DataFrame:
    frame = pd.DataFrame({
        "year": year.to_numpy(), "area_code": area.to_numpy(), "age_band": age.to_numpy(),
        "sex": None, "variant": variant if not isinstance(variant, pd.Series)
        else variant.to_numpy(), "persons": persons.to_numpy(),
    }, index=index)
    return text_frame(frame)


class RegionPopulation(_PopulationImporter):
    """ONS regions by ten-year age band, estimates and projections."""

    name = "ons:region_population_by_age"
    description = ("ONS population by English region and ten-year age band, in thousands "
                   "(CSV: region, age_band, year, population_thousands)")
    title = "Population estimates and projections by English region and age band"
    columns: ClassVar[dict[str, tuple[str, ...]]] = {
        "region": ("region", "region_name"), "age_band": ("age_band", "age_group"),
        "year": ("year",), "thousands": ("population_thousands",)}
    numeric = ("year", "thousands")

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield ONS-region rows, then NHS-region and England sums."""
        data = self.read(probe)
        if data.empty:
            return
        name = probe.path.name
        bad = BadCells(name)
        thousands, _ = parse_numbers(data["thousands"], name, "population_thousands", bad)
        year = pd.to_numeric(data["year"], errors="coerce")
        bad.add(data["year"], year.isna(), "year", "must be a whole number (rule: type integer)")
        bad.check()
        keys = data["region"].map(region_key)
        code = keys.map(lambda k: ONS_REGIONS.get(k, (None, None))[0])
        unknown = sorted(set(data.loc[code.isna(), "region"]))
        if unknown:
            self.state.notes.append(
                f"region(s) {', '.join(map(repr, unknown))} are not ONS regions of England: "
                "kept as given (unmapped) and left out of the NHS-region and England totals")
        ages = data["age_band"].map(lambda v: age_code(v) or v)
        top = {}
        for y, bands in ages.groupby(year):
            bounds = {b: band_bounds(b) for b in set(bands)}
            known = {b: v for b, v in bounds.items() if v is not None}
            if known:
                top[int(y)] = max(known, key=lambda b: known[b][0])
        ages = pd.Series([_open_top(a, top.get(int(y))) for a, y in zip(ages, year, strict=True)],
                         index=data.index)
        odd = sorted({a for a in ages if band_bounds(a) is None})
        if odd:
            self.state.notes.append(f"age band(s) {', '.join(map(repr, odd))} not understood; "
                                    "kept as given")
        if top:
            self.state.notes.append(
                "the highest age band holds everyone above its lower bound (e.g. 80_89 holds "
                "80+): stored as " + ", ".join(sorted({_open_top(b, b) for b in top.values()})))
        variant = year.map(lambda y: None if y <= LAST_ESTIMATE_YEAR else "principal")
        self.state.notes.append(
            f"years up to {LAST_ESTIMATE_YEAR} are mid-year estimates (variant empty), later "
            "years the principal projection")
        self.state.period = f"{int(year.min())}–{int(year.max())}"
        persons = thousands * 1000
        area = code.where(code.notna(), data["region"])
        if code.notna().any():
            yield "areas", _ons_region_areas(code)
        yield "population", _population_frame(year.astype(int), area, ages, persons, variant,
                                              data.index)
        rows = pd.DataFrame({"year": year.astype(int), "code": code, "age": ages,
                             "persons": persons, "variant": variant.fillna(""),
                             "row": data.index}).dropna(subset=["code"])
        if not rows.empty:
            self.state.notes.append(correspondence_note())
        nhs = []
        for code_nhs, members in NHS_REGIONS.items():
            part = rows[rows["code"].isin(members)].groupby(
                ["year", "age", "variant"], as_index=False).agg(
                persons=("persons", "sum"), row=("row", "min"), n=("code", "nunique"))
            nhs.append(part[part["n"] == len(members)].assign(area=code_nhs))
        england = rows.groupby(["year", "age", "variant"], as_index=False).agg(
            persons=("persons", "sum"), row=("row", "min"), n=("code", "nunique"))
        england = england[england["n"] == len(ONS_REGIONS)].assign(area=ENGLAND)
        # A sum's source row is the first row it adds up; England is its own chunk because
        # its first rows are also the first rows of NHS regions.
        for total in (pd.concat(nhs, ignore_index=True), england):
            if total.empty:
                continue
            yield "population", _population_frame(
                total["year"], total["area"], total["age"], total["persons"],
                total["variant"].replace("", None), pd.Index(total["row"].astype(int)))


    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Keep the vintage's own record of ONS regions it already knew; return the notes."""
        _drop_known_areas(store, vintage, ingest_id)
        return list(self.state.notes)


def _ons_region_areas(code: pd.Series) -> pd.DataFrame:
    """Return the ONS regions in the file as areas (level ``ons_region``), at their first row."""
    first = code.dropna().drop_duplicates()
    names = dict(ONS_REGIONS.values())
    return text_frame(pd.DataFrame({
        "code": first, "name": first.map(names), "level": "ons_region", "parent_code": ENGLAND,
        "valid_from": None, "valid_to": None}, index=first.index))


def _drop_known_areas(store: Store, vintage: str, ingest_id: int) -> tuple[int, int]:
    """Drop this ingest's areas whose code the vintage knew from another ingest.

    Returns the number of this ingest's areas before and after.
    """
    before = importer_queries.ingest_rows(store, "areas", ingest_id)
    importer_queries.delete_keys_held_elsewhere(store, "areas", ingest_id, vintage,
                                                keys=["code"])
    after = importer_queries.ingest_rows(store, "areas", ingest_id)
    return before, after


def _open_top(band: str, top: str | None) -> str:
    if band != top:
        return band
    bounds = band_bounds(band)
    return band if bounds is None else f"{bounds[0]}_plus"


class UkPopulation(_PopulationImporter):
    """ONS principal projection for the UK, all ages, in millions."""

    name = "ons:uk_population_projection"
    description = "ONS UK population projection, in millions (CSV: year, population_millions)"
    title = "National population projections, principal projection, UK"
    columns: ClassVar[dict[str, tuple[str, ...]]] = {
        "year": ("year",), "millions": ("population_millions",)}
    numeric = ("year", "millions")

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield one all-ages row per year."""
        data = self.read(probe)
        if data.empty:
            return
        millions, _ = parse_numbers(data["millions"], probe.path.name, "population_millions")
        year = pd.to_numeric(data["year"], errors="coerce")
        self.state.period = f"{int(year.min())}–{int(year.max())}"
        yield "areas", text_frame(pd.DataFrame({
            "code": [UK], "name": ["United Kingdom"], "level": ["uk"], "parent_code": [None],
            "valid_from": [None], "valid_to": [None]}, index=data.index[:1]))
        yield "population", _population_frame(
            data["year"], pd.Series(UK, index=data.index), pd.Series("all", index=data.index),
            millions * 1_000_000, "principal", data.index)

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Keep the vintage's own record of the UK if it had one; return the notes."""
        _drop_known_areas(store, vintage, ingest_id)
        return list(self.state.notes)


class LocalAuthorityPopulation(_PopulationImporter):
    """ONS mid-year estimates by local authority and single year of age."""

    name = "ons:la_population_single_year"
    description = ("ONS population by local authority and single year of age (CSV: code, "
                   "name, all, 0, 1, …, 89, 90+)")
    title = "Mid-year population estimates by local authority and single year of age"
    columns: ClassVar[dict[str, tuple[str, ...]]] = {
        "code": ("code", "area_code", "ladcode"), "name": ("name", "area_name"),
        "age0": ("0",), "age89": ("89",)}

    def columns_read(self, probe: FileProbe, found: dict[str, str]) -> list[str]:
        """Return the code and name columns and every age column (``all`` too)."""
        header = [column_key(c) for c in probe.headers.get("", [])]
        return ["code", "name", *(col for col in header if age_code(col))]

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield the English authorities' persons by single year of age."""
        self.state = _State()
        name = probe.path.name
        header = [column_key(c) for c in probe.headers.get("", [])]
        ages = {col: code for col in header if (code := age_code(col)) and code != "all"}
        data = read_all(probe.path, probe.encoding,
                        ["code", "name", *ages, *(["all"] if "all" in header else [])])
        data = data[(data["code"] != "") | (data["name"] != "")]
        country = data["code"].str[:1].str.upper()
        others = data[country != "E"]
        if len(others):
            counts = others["code"].str[:1].str.upper().value_counts().sort_index()
            self.state.notes.append(
                f"left out {len(others)} rows outside England ("
                + ", ".join(f"{n} {k}…" for k, n in counts.items())
                + "): wfplan covers England, and the file's Scottish and Northern Irish rows "
                "are imputed placeholders")
        data = data[country == "E"]
        if data.empty:
            return
        year = _year_from_name(name)
        if year is None:
            year = LA_DEFAULT_YEAR
            self.state.notes.append(f"the file gives no year: taken as mid-{year} (ONS mid-"
                                    f"{LA_DEFAULT_YEAR} estimates)")
        self.state.period = f"mid-{year}"
        bad = BadCells(name)
        values = {col: parse_numbers(data[col], name, col, bad)[0] for col in ages}
        total = parse_numbers(data["all"], name, "all", bad)[0] if "all" in data else None
        bad.check()
        if total is not None:
            summed = sum(values.values())
            off = (summed - total).abs() > 0.5
            if off.any():
                self.state.notes.append(
                    f"{int(off.sum())} authorities' single years do not add up to 'all' (first "
                    f"{data.loc[off, 'code'].iloc[0]}); the single years are stored")
        # The authorities are areas (level la) unless the vintage knows them already.
        yield "areas", text_frame(pd.DataFrame({
            "code": data["code"], "name": data["name"].where(data["name"] != "", data["code"]),
            "level": "la", "parent_code": None, "valid_from": None, "valid_to": None},
            index=data.index))
        # One chunk per year of age, so that every row keeps its file row as source row.
        for col, code in ages.items():
            yield "population", _population_frame(
                pd.Series(year, index=data.index), data["code"],
                pd.Series(code, index=data.index), values[col], None, data.index)


    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Keep the vintage's own record of authorities it already knew; return notes."""
        before, after = _drop_known_areas(store, vintage, ingest_id)
        notes = list(self.state.notes)
        if after:
            notes.append(f"{after} local authorities added as areas (level la)"
                         + (f"; {before - after} were already known" if before - after else ""))
        return notes


def _year_from_name(name: str) -> int | None:
    found = re.search(r"(?:mid[-_ ]?)((?:19|20)\d\d)", name) or re.search(
        r"(?<!\d)((?:19|20)\d\d)(?!\d)", name)
    return int(found.group(1)) if found else None


# -- utilisation -------------------------------------------------------------------


@dataclass
class _Activity:
    totals: pd.DataFrame
    """service, age_band, sex, activity, cost, row."""
    notes: list[str]
    file: str


class NhsActivityCost(Importer):
    """NHS secondary-care activity and cost by service, sex and age group."""

    name = "nhs:activity_cost_by_age_sex"
    description = ("NHS secondary care activity and cost by service, sex and age group (CSV: "
                   "Service, Gender, Age group, Metric, Total)")
    order = 60
    _COLUMNS: ClassVar[dict[str, tuple[str, ...]]] = {
        "service": ("service",), "sex": ("gender", "sex"), "age": ("age_group", "age_band"),
        "metric": ("metric", "measure"), "total": ("total", "value")}
    _METRICS: ClassVar[dict[str, str]] = {
        "activity count": "activity", "activity": "activity", "total cost": "cost",
        "total cost £": "cost", "cost": "cost"}

    def __init__(self) -> None:
        self._pending: _Activity | None = None

    def match(self, probe: FileProbe) -> Match | None:
        """Match a CSV with service, gender, age group, metric and total columns."""
        cols = find_columns(probe, self._COLUMNS) if probe.kind == "csv" else None
        if cols is None:
            return None
        return Match(self, table="utilisation", score=3.0,
                     errors=header_errors(probe, cols.values()))

    def provenance(self, probe: FileProbe, match: Match) -> Provenance:
        """NHS England, OGL v3.0."""
        return Provenance(publisher="NHS England (secondary care activity and cost)",
                          title="NHS secondary care activity and cost by age and sex, England",
                          period="one recent year", licence=OGL)

    def chunks(self, probe: FileProbe, match: Match) -> Iterator[tuple[str, pd.DataFrame]]:
        """Yield one utilisation row per service and age band; rates are set in finish()."""
        self._pending = None
        cols = find_columns(probe, self._COLUMNS)
        assert cols is not None
        name = probe.path.name
        data = read_all(probe.path, probe.encoding, cols.values())
        data = data.rename(columns={v: k for k, v in cols.items()})
        notes: list[str] = []
        blank = (data[["service", "metric", "total"]] == "").all(axis=1)
        if blank.any():
            notes.append(f"skipped {int(blank.sum())} notes or blank rows")
        data = data[~blank]
        if data.empty:
            return
        total, _ = parse_numbers(data["total"], name, cols["total"])
        metric = data["metric"].str.casefold().str.replace(r"\s+", " ", regex=True).map(
            self._METRICS)
        for label in sorted(set(data.loc[metric.isna(), "metric"])):
            notes.append(f"metric {label!r} is neither activity nor cost: its "
                         f"{int((data['metric'] == label).sum())} rows were not loaded")
        age = data["age"].map(lambda v: age_code(v) or "")
        bounds = age.map(lambda a: band_bounds(a) if a else None)
        # The population gives 90+ only: every band from 90 up becomes 90_plus.
        age = age.where(~bounds.map(lambda b: b is not None and b[0] >= 90), "90_plus")
        for label in sorted(set(data.loc[age == "", "age"])):
            notes.append(f"age group {label!r} not understood: its rows were not loaded")
        sexes = codelists.get("sex")
        sex = data["sex"].map(lambda v: sexes.code_for(v) or v)
        keep = metric.notna() & (age != "")
        rows = pd.DataFrame({"service": data["service"], "age_band": age, "sex": sex,
                             "metric": metric, "total": total, "row": data.index})[keep]
        wide = rows.pivot_table(index=["service", "age_band", "sex"], columns="metric",
                                values="total", aggfunc="sum").reset_index()
        first = rows.groupby(["service", "age_band"])["row"].min()
        for col in ("activity", "cost"):
            if col not in wide:
                wide[col] = np.nan
        self._pending = _Activity(wide, notes, name)
        persons = first.reset_index()
        frame = pd.DataFrame({"service": persons["service"], "age_band": persons["age_band"],
                              "sex": None, "activity_per_head": None, "cost_per_head": None})
        frame.index = pd.Index(persons["row"].astype(int))
        yield "utilisation", text_frame(frame)

    def finish(self, store: Store, ingest_id: int, vintage: str) -> list[str]:
        """Divide activity and cost by the England population of each age band."""
        pending, self._pending = self._pending, None
        if pending is None:
            return []
        notes = list(pending.notes)
        single, year, where = _england_single_years(store, vintage, by_sex=False)
        if single.empty:
            raise InputError(
                f"{pending.file}: activity per head needs the England population by single "
                "year of age, and the vintage has none: load la_population_single_year_of_"
                "age.csv first, or in the same call")
        bands = pending.totals["age_band"].unique()
        pop = _band_population(single, bands)
        persons = pending.totals.groupby(["service", "age_band"], as_index=False)[
            ["activity", "cost"]].sum(min_count=1)
        persons = persons.merge(pop, on="age_band", how="left")
        missing = sorted(set(persons.loc[persons["persons"].isna(), "age_band"]))
        if missing:
            notes.append(f"no population for age band(s) {', '.join(missing)}: their rates are "
                         "empty")
        persons["activity_per_head"] = persons["activity"] / persons["persons"]
        persons["cost_per_head"] = persons["cost"] / persons["persons"]
        importer_queries.set_rates_per_head(store, ingest_id, persons)
        notes.append(f"rates per head of the England population of mid-{year} ({where}); "
                     "activity and cost summed over sex for persons (sex empty)")
        by_sex, sex_year, _ = _england_single_years(store, vintage, by_sex=True)
        if by_sex.empty:
            notes.append("no England population by sex in the vintage: no by-sex rates")
        else:
            notes.append(_insert_by_sex(store, vintage, ingest_id, pending, by_sex, sex_year))
        return notes


def _england_single_years(store: Store, vintage: str, *, by_sex: bool
                          ) -> tuple[pd.DataFrame, int | None, str]:
    """Return the England population by single year (and sex) of the latest year held.

    Persons come, in order of preference, from England's own rows, from the
    sum of the English lower-tier local authorities, or from England's rows by
    sex added up.
    """
    sources: list[tuple[dict[str, Any], str]]
    if by_sex:
        sources = [({"area_code": ENGLAND, "sexes_given": True}, f"England ({ENGLAND}) by sex")]
    else:
        sources = [({"area_code": ENGLAND, "sexes_given": False}, f"England ({ENGLAND})"),
                   ({"sexes_given": False}, "the sum of English lower-tier local authorities"),
                   ({"area_code": ENGLAND, "sexes_given": True},
                    f"England ({ENGLAND}), sexes added up")]
    for source, where in sources:
        frame, year = importer_queries.single_year_population(
            store, vintage, _LOWER_TIER, by_sex=by_sex, **source)
        if year is not None:
            return frame, year, where
    return pd.DataFrame(columns=["age_band", "sex", "persons"]), None, ""


def _band_population(single: pd.DataFrame, bands: np.ndarray, by: list[str] | None = None
                     ) -> pd.DataFrame:
    """Sum single years (and an open top band) into the requested bands."""
    by = by or []
    ages = single.assign(bounds=single["age_band"].map(band_bounds))
    ages = ages[ages["bounds"].notna()]
    top = max((b[0] for b in ages["bounds"] if b[1] is None), default=None)
    rows = []
    for band in bands:
        bounds = band_bounds(str(band))
        if bounds is None:
            continue
        low, high = bounds
        if high is None and top is not None and low != top:
            continue  # an open band must match the population's open band exactly
        if high is not None and top is not None and high >= top:
            continue
        inside = ages["bounds"].map(lambda b, lo=low, hi=high: b[0] >= lo and (
            (b[1] is not None and hi is not None and b[1] <= hi) or (hi is None)))
        part = ages[inside]
        if part.empty:
            continue
        sums = part.groupby(by)["persons"].sum().reset_index() if by else pd.DataFrame(
            {"persons": [part["persons"].sum()]})
        rows.append(sums.assign(age_band=str(band)))
    if not rows:
        return pd.DataFrame(columns=["age_band", *by, "persons"])
    return pd.concat(rows, ignore_index=True)


def _insert_by_sex(store: Store, vintage: str, ingest_id: int, pending: _Activity,
                   single: pd.DataFrame, year: int | None) -> str:
    pop = _band_population(single, pending.totals["age_band"].unique(), by=["sex"])
    rates = pending.totals.merge(pop, on=["age_band", "sex"], how="inner")
    rates["activity_per_head"] = rates["activity"] / rates["persons"]
    rates["cost_per_head"] = rates["cost"] / rates["persons"]
    frame = rates[["service", "age_band", "sex", "activity_per_head", "cost_per_head"]]
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    known: dict[str, set[str]] = {"organisation": set(), "area": set()}
    result = ChunkValidator(schema.table("utilisation"), pending.file, known).validate(
        text_frame(frame))
    if result.errors or result.frame is None:
        raise InputError(f"{pending.file}: by-sex rates break a rule: "
                         + "; ".join(str(e) for e in result.errors[:5]))
    typed = result.frame.assign(vintage=vintage, ingest_id=ingest_id)
    store.insert("utilisation", pa.Table.from_pandas(typed, preserve_index=False))
    return (f"by-sex rates added for {len(frame)} service × age band × sex cells, per head of "
            f"the England population by sex of mid-{year}")


IMPORTERS: list[Importer] = [RegionPopulation(), UkPopulation(), LocalAuthorityPopulation(),
                             NhsActivityCost()]
