"""The map of the 42 ICBs on the England overview and the region pages, with its table.

The map is :func:`wfplan.web.charts_map.tile_map` (the shipped tile layout,
:mod:`wfplan.dataset.tilemap`) of one measure of ``GET /api/v1/metrics?level=icb``,
the answer the page already has, or of the gap % of the baseline projection
(``gap_pct``, from ``GET /api/v1/projection``: :func:`wfplan.web.pages.fans.gap_map`):
the public's figures are the API's controlled ones, a scoped user's are those of
their role (an ICB outside it has no figure).
The measure is chosen with a plain GET form (``?measure=``, default the vacancy
rate); an unknown measure is a 400 page. When the page passes the vintage's
``GET /api/v1/boundaries`` answer and it has a boundary for every ICB, the map draws
those boundaries instead of the tiles (the same colours, outline and table); the
chart's source says which it drew.

A region page colours all 42 ICBs on the same scale as England, and outlines its
own: a region's planner reads their ICBs against their neighbours and England,
and the colours mean the same on every page. Its table lists its own ICBs.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import pandas as pd

from wfplan.dataset.tilemap import icb_tiles
from wfplan.web.charts import Chart
from wfplan.web.charts_map import tile_map
from wfplan.web.pages.api import PageError
from wfplan.web.pages.tables import MEASURES, Cell, Table, coverage_of, sectors

#: The measures a map can show (keys of ``/api/v1/metrics``'s current position), in order.
MAP_MEASURES = ("gap_pct", "vacancy_rate", "sickness_absence_rate", "leaver_rate",
                "joiner_rate", "stability_index", "headcount", "fte", "vacancy_fte",
                "share_aged_55_plus", "share_non_uk", "burnout_rate")
#: The measure shown when none is asked for.
DEFAULT_MEASURE = "vacancy_rate"
#: ``gap_pct`` is the baseline projection's (:func:`wfplan.web.pages.fans.gap_map`).
_LABELS = {"gap_pct": "Gap % of demand (baseline projection)",
           **{key: label for key, label, _ in MEASURES}}
_KINDS = {"gap_pct": "percent", **{key: kind for key, _, kind in MEASURES}}


def measure_of(asked: str | None) -> str:
    """Return the map's measure: ``asked``, or the default when none is asked.

    Raises
    ------
    PageError
        400 for a measure that is not one of :data:`MAP_MEASURES`.
    """
    if asked is None or asked == "":
        return DEFAULT_MEASURE
    if asked not in MAP_MEASURES:
        raise PageError(400, "The map cannot show that measure: choose one from the list "
                             f"({', '.join(_LABELS[m] for m in MAP_MEASURES)}).")
    return asked


def options(chosen: str) -> list[dict[str, Any]]:
    """Return the items of the measure's ``<select>`` (the chosen one selected)."""
    return [{"value": key, "text": _LABELS[key], "selected": key == chosen}
            for key in MAP_MEASURES]


def _period(metrics: Mapping[str, Any], measure: str) -> tuple[str, str]:
    """Return the measure's period and what it covers, from the API's coverage."""
    row = coverage_of(metrics).get(measure, {})
    covers = sectors(row.get("sectors") or [])
    return str(row.get("period") or "period not given"), covers


def drawn_on(boundaries: Mapping[str, Any] | None) -> tuple[dict[str, Any] | None, str]:
    """Return the boundaries to draw (None: the tiles) and the source's words for it.

    ``boundaries`` is the ``/api/v1/boundaries`` answer, if the page has it; it is drawn
    only when ``complete`` (a boundary for every ICB of the code list).
    """
    if boundaries and boundaries.get("complete"):
        features = [f for f in boundaries.get("features") or []
                    if f.get("properties", {}).get("icb_code")]
        return ({"type": "FeatureCollection", "features": features},
                f"drawn on the ICB boundaries of {boundaries.get('source_file')} "
                "(/api/v1/boundaries)")
    lacking = ("" if not boundaries or not boundaries.get("features") else
               f"; the vintage's boundaries lack {len(boundaries.get('missing') or [])} ICBs")
    return None, f"drawn as wfplan's tile map, one square per ICB{lacking}"


def icb_map(metrics: Mapping[str, Any], measure: str, *, chart_id: str,
            highlight: Collection[str] = (),
            boundaries: Mapping[str, Any] | None = None) -> Chart:
    """Return the map of ``measure`` from the API's ICB-level metrics answer.

    A row of no ICB of the code list (``UNMAPPED``: organisations a vintage places in
    no ICB) has no tile; it stays in the table beside the map. ``boundaries`` is the
    vintage's ``/api/v1/boundaries`` answer (:func:`drawn_on`).
    """
    tiles = {t.icb_code for t in icb_tiles()}
    rows = [r for r in metrics.get("current_position", [])
            if r.get("level") == "icb" and str(r["area_code"]).upper() in tiles]
    frame = pd.DataFrame({"icb_code": [r["area_code"] for r in rows],
                          "icb_name": [r.get("area_name") for r in rows],
                          "value": [r.get(measure) for r in rows]},
                         columns=["icb_code", "icb_name", "value"])
    period, covers = _period(metrics, measure)
    controlled = " under disclosure control" if metrics.get("controlled") else ""
    source = (metrics.get("map_source") or f"the current position of vintage "
              f"{metrics.get('vintage')} (/api/v1/metrics, ICB level{controlled})"
              + (f", covering {covers}" if covers else ""))
    shapes, drawn = drawn_on(boundaries)
    return tile_map(frame, id=chart_id, measure=_LABELS[measure], source=f"{source}; {drawn}",
                    period=period, percent=_KINDS[measure] == "percent", highlight=highlight,
                    boundaries=shapes)


def map_table(table_id: str, caption: str, metrics: Mapping[str, Any], measure: str,
              keep: Collection[str] | None = None) -> Table:
    """Return the table beside the map: each ICB (linked) with its code and the measure.

    ``keep``, if given, is the codes of the rows kept (in the API's order).
    """
    table = Table(table_id, caption, ["ICB", "Code", _LABELS[measure]])
    for row in metrics.get("current_position", []):
        code = str(row["area_code"])
        if keep is not None and code not in keep:
            continue
        table.rows.append([Cell(row.get("area_name") or code, href=f"/area/icb/{code}"),
                           Cell(code), Cell(row.get(measure), _KINDS[measure])])
    if any(r.get("suppressed") for r in metrics.get("current_position", [])):
        table.notes.append("Some figures are suppressed under disclosure control (shown n/a).")
    return table


def map_section(metrics: Mapping[str, Any], measure: str, *, stem: str, caption: str,
                keep: Collection[str] | None = None, vintage: str | None = None,
                boundaries: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], Table]:
    """Return what the page's map section shows (chart, form items, table id) and its table.

    ``stem`` names the chart (``{stem}-icb-map``) and the table (``{stem}-map``, its
    download); ``keep`` is a region's ICBs (outlined on the map, the table's rows);
    ``vintage`` the vintage the page was asked for (kept by the form), if any;
    ``boundaries`` the vintage's ``/api/v1/boundaries`` answer (drawn if complete;
    without it, the tile map).
    """
    table = map_table(f"{stem}-map", caption, metrics, measure, keep)
    chart = icb_map(metrics, measure, chart_id=f"{stem}-icb-map", highlight=keep or (),
                    boundaries=boundaries)
    return {"chart": chart, "measure": measure, "label": _LABELS[measure],
            "options": options(measure), "table": table.table_id,
            "highlighted": keep is not None, "vintage": vintage}, table
