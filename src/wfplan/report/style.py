"""The colours and series styles of wfplan's charts, shared by the report and the dashboard.

The report draws with matplotlib (:mod:`wfplan.report.charts`), the dashboard
with Vega-Lite (:mod:`wfplan.web.charts`); both take their colours from here, so
that a series looks the same in both. Colours are NHS identity colours
(https://www.england.nhs.uk/nhsidentity/identity-guidelines/colours/). No
plotting library is imported, so the dashboard can use them without matplotlib.
"""

from __future__ import annotations

NHS_BLUE = "#005eb8"
NHS_DARK_BLUE = "#003087"
NHS_LIGHT_BLUE = "#41b6e6"
NHS_DARK_PINK = "#7c2855"
NHS_AQUA_GREEN = "#00a499"
NHS_WARM_YELLOW = "#ffb81c"
NHS_DARK_GREY = "#425563"
NHS_MID_GREY = "#768692"
NHS_PALE_GREY = "#e8edee"
TEXT = "#212b32"
#: Series styles: colour, marker and line style differ, so colour is never the only cue.
SERIES_STYLES = (
    (NHS_LIGHT_BLUE, "o"),
    (NHS_BLUE, "s"),
    (NHS_DARK_BLUE, "D"),
    (NHS_DARK_PINK, "^"),
    (NHS_AQUA_GREEN, "v"),
    (NHS_DARK_GREY, "P"),
)
#: How each fan is drawn: variable, label, colour, marker, hatch of its range.
FAN_STYLES = (
    ("demand_funded_fte", "Demand (funded)", NHS_DARK_PINK, "s", None),
    ("supply_fte", "Supply", NHS_BLUE, "o", "////"),
)
#: Opacity of a fan's P5 to P95 band.
BAND_ALPHA = 0.16
