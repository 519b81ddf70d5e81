"""Column headings and table titles of the command line's tables.

What a column is called when it is shown is a formatting decision, made here
once (the command line only lays tables out and prints them): the
current-position metrics (``wfplan metrics``, ``wfplan demo``), the back-test
summary and the sections of the data-gap report. The data-gap report's column
headings are :data:`wfplan.report.gaps_page.COLUMN_HEADINGS` (shared with its
HTML page).
"""

from __future__ import annotations

#: Headings of the current-position, ethnicity-by-band and net-change columns. A heading
#: ending in ``%`` marks a rate, shown as a percentage.
METRIC_HEADINGS = {
    "area_code": "code", "area_name": "area", "headcount": "HC", "fte": "FTE",
    "fte_per_head": "FTE/head", "vacancy_fte": "vacancy FTE", "vacancy_rate": "vacancy %",
    "joiner_rate": "joiner %", "leaver_rate": "leaver %", "stability_index": "stability %",
    "sickness_absence_rate": "sickness %", "share_aged_55_plus": "55+ %",
    "share_non_uk": "non-UK %", "burnout_rate": "burnout %", "ethnic_minority_share": "BME %",
    "share_of_group_headcount": "share of group %",
    "minority_headcount": "BME HC", "known_headcount": "known HC",
    "headcount_start": "HC start", "headcount_end": "HC end", "headcount_change": "HC change",
    "fte_start": "FTE start", "fte_end": "FTE end", "fte_change": "FTE change",
    "fte_change_rate": "FTE change %", "staff_group": "staff group",
}

#: Headings of the back-test summary (``wfplan backtest``), in the order shown.
BACKTEST_HEADINGS = {
    "staff_group": "staff group", "cells": "cells", "actual_fte": "actual FTE",
    "projected_fte": "projected FTE", "error_fte": "error FTE", "mape": "MAPE %",
    "wape": "WAPE %", "naive_mape": "no-change MAPE %", "naive_wape": "no-change WAPE %",
    "linear_trend_wape": "linear-trend WAPE %", "last_interval_wape": "last-interval WAPE %",
    "best": "best (WAPE)", "appeared": "appeared", "disappeared": "disappeared",
}

#: Titles of the data-gap report's sections (``wfplan gaps``).
GAP_SECTION_TITLES = {
    "coverage": "Coverage by table and sector",
    "missing_organisations": "Organisations expected but without data",
    "dimensions": "Dimensions not reported (share of FTE at the latest period)",
    "stale": "Latest period by source", "unmapped": "Unmapped codes",
    "findings": "Findings about sources", "ranked": "Most important gaps, by severity",
}

#: Columns of the vintages list (``wfplan vintages``).
VINTAGE_HEADINGS = ("vintage", "state", "created (UTC)", "ingests", "rows")
