"""The baseline projection on the pages: fan charts, the gap by staff group, the gap % map.

Everything comes from ``GET /api/v1/projection`` (the vintage's shipped baseline,
projected at ICB level, or for an organisation at organisation level;
:mod:`wfplan.web.routes_projection`), so scope and disclosure control are the API's:

- the England overview, a region's, an ICB's and an organisation's page draw supply
  and demand for all
  staff groups as fans (P5 to P95 bands, P50 lines; :func:`wfplan.web.charts.fan_chart`)
  and the gap between them as a fan of its own (:func:`wfplan.web.charts_fans.gap_fan`:
  on the same axis as supply and demand it would be a line near zero), with the table
  of both (``{stem}-projection``, downloadable);
- the England overview has the gap by staff group (``england-gap``) in a year
  :data:`MID` years on and in the horizon's last year, and the bars of the last;
- the map's measure ``gap_pct`` is each ICB's gap as a share of its funded demand in
  the horizon's last year (the P50 of the model's ``gap_pct``, taken draw by draw).

A vintage the baseline cannot be projected from (the API's 422 or 404) gives a note
in place of the charts, not an error page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from wfplan.dataset.codelists import staff_group_order
from wfplan.web.charts import Chart, fan_chart, gap_bars
from wfplan.web.charts_fans import gap_fan
from wfplan.web.pages.api import Api, PageError, together
from wfplan.web.pages.tables import Cell, Table

#: The total of every staff group (the fans' series).
ALL = "all_staff_groups"
#: The map measure of the gap (``?measure=gap_pct``).
GAP_PCT = "gap_pct"
#: Years after the base year of the gap by staff group's first column (the CLI's 10-year
#: headline); a shorter horizon gives its middle year.
MID = 10
#: The fan chart's series: the API's variable → fan_chart's.
FAN_SERIES = {"supply_fte": "supply", "demand_funded_fte": "demand"}


@dataclass
class Projected:
    """What a page shows of the projection: charts, tables, and why there is none."""

    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    note: str | None = None
    source: str = ""
    controlled: bool = False


async def _answer(api: Api, **params: Any) -> dict[str, Any] | str:
    """Return the API's projection answer, or the sentence saying why there is none."""
    try:
        answer: dict[str, Any] = await api.get("/projection", **params)
    except PageError as error:
        if error.status not in (400, 404):
            raise
        return f"The baseline projection cannot be shown for this vintage: {error.message}"
    return answer


def period_of(answer: Mapping[str, Any]) -> str:
    """Return the projection's period in words."""
    return (f"{answer['base_year']} (the census of {answer['base_period']}) to "
            f"{answer['final_year']}")


def _frame(answer: Mapping[str, Any], group: str | None = ALL) -> pd.DataFrame:
    rows = [r for r in answer.get("rows", []) if group is None or r["staff_group"] == group]
    return pd.DataFrame(rows, columns=["area_code", "staff_group", "staff_group_name",
                                       "variable", "year", "p5", "p50", "p95", "suppressed"])


def _by(frame: pd.DataFrame, keys: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Return the answer's rows by ``keys`` (a year as an int)."""
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in frame.to_dict("records"):
        key = tuple(int(row[k]) if k == "year" else row[k] for k in keys)
        out[key] = {str(k): v for k, v in row.items()}
    return out


def _share(percent: Any) -> Cell:
    """Return a gap % (the API's 0 to 100) as a fraction's cell (as every rate is)."""
    return Cell(None if percent is None or pd.isna(percent) else float(percent) / 100,
                "percent")


def projection_table(table_id: str, caption: str, frame: pd.DataFrame) -> Table:
    """Return the fans' figures by year: supply, demand and the gap (P5, P50, P95), gap %."""
    series = [("supply_fte", "Supply"), ("demand_funded_fte", "Demand"), ("gap_fte", "Gap")]
    columns = ["Year"] + [f"{label} {stat} (FTE)" for _, label in series
                          for stat in ("P5", "P50", "P95")] + ["Gap % of demand (P50)"]
    table = Table(table_id, caption, columns)
    by = _by(frame, ("variable", "year"))
    for year in sorted({int(y) for y in frame["year"]}):
        cells = [Cell(str(year))]
        for variable, _ in series:
            row = by.get((variable, year), {})
            cells += [Cell(row.get(s), "fte") for s in ("p5", "p50", "p95")]
        table.rows.append([*cells, _share(by.get(("gap_pct", year), {}).get("p50"))])
    if frame["suppressed"].any():
        table.notes.append("Some figures are suppressed under disclosure control (shown n/a).")
    return table


def fans(answer: Mapping[str, Any], stem: str, name: str) -> Projected:
    """Return the all-staff fans of an answer for one area, and their table."""
    frame = _frame(answer)
    out = Projected(source=str(answer["source"]), controlled=bool(answer["controlled"]))
    shown = frame.dropna(subset=["p50"])
    if shown.empty:
        out.note = "The projection has no figures for this area that may be shown."
        return out
    period, source = period_of(answer), str(answer["source"])
    fan = shown[shown["variable"].isin(list(FAN_SERIES))].assign(
        variable=lambda f: f["variable"].map(FAN_SERIES))
    gap = shown[shown["variable"] == "gap_fte"]
    out.charts = [
        fan_chart(fan, id=f"{stem}-fan", title=f"{name}: supply and demand, all staff groups "
                  "(baseline projection)", source=source, period=period),
        gap_fan(gap, id=f"{stem}-gap-fan", title=f"{name}: the gap between demand and "
                "supply, all staff groups (baseline projection)", source=source, period=period)]
    out.tables = [projection_table(f"{stem}-projection", f"{name}: supply, demand and the gap "
                                   "by year, all staff groups (baseline projection)", frame)]
    return out


async def area_answer(api: Api, level: str, code: str,
                      vintage: str | None) -> dict[str, Any] | str | None:
    """Return a region's, ICB's or organisation's projection answer (all staff groups).

    None for another level.

    A sentence in place of the answer says why there is none (:func:`area_fans` shows it).
    """
    if level not in ("region", "icb", "org"):
        return None
    return await _answer(api, level=level, area=code, staff_group=ALL, vintage=vintage)


def area_fans(answer: dict[str, Any] | str | None, level: str, code: str,
              name: str) -> Projected | None:
    """Return what an area page shows of :func:`area_answer`'s answer (None: nothing)."""
    if answer is None:
        return None
    if isinstance(answer, str):
        return Projected(note=answer)
    return fans(answer, f"{level}-{code}", name)


def years_of(answer: Mapping[str, Any]) -> tuple[int, int]:
    """Return the gap by staff group's two years: :data:`MID` years on (or the middle), the last."""
    base, last = int(answer["base_year"]), int(answer["final_year"])
    return (base + MID if base + MID < last else base + (last - base) // 2), last


def gap_table(answer: Mapping[str, Any]) -> Table:
    """Return England's gap by staff group in the two years of :func:`years_of` (totals first)."""
    mid, last = years_of(answer)
    frame = _frame(answer, None)
    columns = ["Staff group", "Code"] + [f"Gap {year} {stat} (FTE)" for year in (mid, last)
                                         for stat in ("P50", "P5", "P95")]
    table = Table("england-gap", f"England: the gap between demand and supply by staff group "
                  f"in {mid} and {last} (baseline projection)",
                  [*columns, f"Gap % of demand {last} (P50)"])
    by = _by(frame, ("staff_group", "variable", "year"))
    names = dict(zip(frame["staff_group"], frame["staff_group_name"], strict=True))
    for group in staff_group_order(frame["staff_group"].unique()):
        cells = [Cell(names[group]), Cell(group)]
        for year in (mid, last):
            row = by.get((group, "gap_fte", year), {})
            cells += [Cell(row.get(s), "fte") for s in ("p50", "p5", "p95")]
        table.rows.append([*cells, _share(by.get((group, "gap_pct", last), {}).get("p50"))])
    if frame["suppressed"].any():
        table.notes.append("Some figures are suppressed under disclosure control (shown n/a).")
    return table


def gap_chart(answer: Mapping[str, Any]) -> Chart:
    """Return the bars of England's gap by staff group in the horizon's last year."""
    last = int(answer["final_year"])
    frame = _frame(answer, None)
    rows = frame[(frame["variable"] == "gap_fte") & (frame["year"] == last)
                 & ~frame["staff_group"].str.startswith("all_") & frame["p50"].notna()]
    return gap_bars(rows, id="england-gap-bars", title=f"England: the gap by staff group in "
                    f"{last} (baseline projection)", source=str(answer["source"]),
                    period=f"the gap in {last}")


async def england_projection(api: Api, vintage: str | None) -> Projected:
    """Return England's fans, its gap by staff group (table and bars) and their tables.

    Three small answers rather than one of every staff group and year: the fans' (all
    staff), then, once its years are known, every staff group in each of the table's two.
    """
    answer = await _answer(api, level="england", staff_group=ALL, vintage=vintage)
    if isinstance(answer, str):
        return Projected(note=answer)
    out = fans(answer, "england", "England")
    if out.note is None:
        years = await together(*(_answer(api, level="england", year=year, vintage=vintage)
                                 for year in years_of(answer)))
        if any(isinstance(found, str) for found in years):
            return out
        both = {**answer, "rows": [row for found in years for row in found["rows"]]}
        out.charts.append(gap_chart(both))
        out.tables.append(gap_table(both))
    return out


async def gap_map(api: Api, measure: str, vintage: str | None) -> Mapping[str, Any] | None:
    """Return what the map draws for ``gap_pct`` (None for another measure: the ICB metrics).

    The gap % is shaped as ``/api/v1/metrics``'s answer (``current_position`` rows of
    ``area_code, area_name, gap_pct`` as a fraction, ``coverage`` naming the year), so
    the map and its table draw it as any other measure.
    """
    if measure != GAP_PCT:
        return None
    answer = await _answer(api, level="icb", staff_group=ALL, vintage=vintage)
    if isinstance(answer, str):
        raise PageError(404, answer)
    last = int(answer["final_year"])
    rows = [{"level": "icb", "area_code": r["area_code"], "area_name": r["area_name"],
             GAP_PCT: None if r["p50"] is None else r["p50"] / 100,
             "suppressed": r["suppressed"]}
            for r in answer["rows"] if r["variable"] == GAP_PCT and r["year"] == last]
    return {"vintage": answer["vintage"], "controlled": answer["controlled"],
            "current_position": rows,
            "coverage": [{"metric": GAP_PCT, "sectors": [],
                          "period": f"{last}, the P50 of the baseline projection"}],
            "map_source": f"the gap as a share of funded demand, {answer['source']} "
                          "(/api/v1/projection, ICB level)"}
