"""Number formats, small-count suppression and display names for the report.

Every figure the report prints goes through one of these functions, so the HTML
page, the PDF and the chart labels agree: thousands separators, percentages to
one decimal place, a true minus sign, missing values as ``n/a`` and counts from
1 to 4 suppressed as ``*`` (NHS Digital practice).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import escape

from wfplan.analysis.disclosure import POLICY
from wfplan.model.aggregate import ALL_STAFF_GROUPS, SECTOR_TOTAL_PREFIX, is_total

#: Shown in place of a count from 1 to 4.
SUPPRESSED = "*"
#: Shown for a missing value.
MISSING = "n/a"
#: The smallest count shown as a number (smaller, non-zero counts are suppressed): the
#: threshold of the disclosure policy (:data:`wfplan.analysis.disclosure.POLICY`).
SMALLEST_SHOWN = POLICY.threshold
MINUS = "\u2212"
EN_DASH = "\u2013"


def is_missing(value: Any) -> bool:
    """Return whether ``value`` is missing (None, NA, NaT or NaN)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(math.isnan(float(value)))
    except (TypeError, ValueError):
        return False


def _signed(text: str) -> str:
    return text.replace("-", MINUS) if text.startswith("-") else text


def round_significant(value: float, digits: int = 3) -> float:
    """Round ``value`` to ``digits`` significant figures (whole numbers stay whole)."""
    if value == 0 or not math.isfinite(value):
        return value
    places = digits - 1 - math.floor(math.log10(abs(value)))
    return float(round(value, min(places, 0)))


def number(value: Any, decimals: int = 0) -> str:
    """Format a number with thousands separators, e.g. ``12,345`` or ``-1.5``."""
    if is_missing(value):
        return MISSING
    text = f"{float(value):,.{decimals}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")  # no "-0"
    return _signed(text)


def count(value: Any) -> str:
    """Format a count (headcount, vacancies), suppressing 1 to 4 as ``*``."""
    if is_missing(value):
        return MISSING
    if 0 < abs(float(value)) < SMALLEST_SHOWN:
        return SUPPRESSED
    return number(value)


def projection(value: Any) -> str:
    """Format a projected quantity (FTE, headcount) rounded to 3 significant figures."""
    if is_missing(value):
        return MISSING
    return number(round_significant(float(value)))


def percent(value: Any, decimals: int = 1) -> str:
    """Format a fraction (0.073) as a percentage (``7.3%``)."""
    if is_missing(value):
        return MISSING
    return number(100 * float(value), decimals) + "%"


def percent_points(value: Any, decimals: int = 1) -> str:
    """Format a difference of fractions (0.021) in percentage points (``+2.1 pts``)."""
    if is_missing(value):
        return MISSING
    text = number(100 * float(value), decimals)
    return ("+" + text if not text.startswith(MINUS) and text.strip("0.") else text) + " pts"


def gbp(value: Any) -> str:
    """Format pounds: ``£12,300``, ``£45.6 million`` or ``£1.23 billion``."""
    if is_missing(value):
        return MISSING
    amount = float(value)
    sign = MINUS if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1e9:
        return f"{sign}£{round_significant(amount) / 1e9:,.2f} billion"
    if amount >= 1e6:
        return f"{sign}£{round_significant(amount) / 1e6:,.1f} million"
    return f"{sign}£{round_significant(amount):,.0f}"


def value_range(p50: Any, p5: Any, p95: Any, fmt: Any = projection) -> str:
    """Format a central value and its range as ``P50 (P5–P95)``.

    ``fmt`` formats each number; when a bound is negative the range is written
    with "to" (``−1,200 (−3,400 to 900)``) so a dash is never read as a minus.
    """
    if is_missing(p50):
        return MISSING
    central = fmt(p50)
    if is_missing(p5) or is_missing(p95):
        return central
    low, high = fmt(p5), fmt(p95)
    joiner = " to " if (low + high).count(MINUS) else EN_DASH
    return f"{central} ({low}{joiner}{high})"


def row_range(row: Any, prefix: str, formatter: Any = projection) -> str:
    """Format ``row[prefix_p50]`` with its P5–P95 range (see :func:`value_range`)."""
    return value_range(row[f"{prefix}_p50"], row[f"{prefix}_p5"], row[f"{prefix}_p95"],
                       formatter)


def readable(value: Any, digits: int = 3) -> str:
    """Format a setting or assumption for reading: no reprs, no float noise.

    Whole numbers stay whole (thousands separators from 10,000, so years read
    ``2026``); other numbers are rounded to ``digits`` significant figures
    (``0.795``); a run of three or more consecutive whole numbers reads
    ``2025 to 2039``; other lists are joined with commas and mappings read
    ``key: value; ...``.
    """
    if isinstance(value, Mapping):
        return "; ".join(f"{key}: {readable(item, digits)}" for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
        whole = [v for v in items if isinstance(v, int) and not isinstance(v, bool)]
        if len(items) >= 3 and len(whole) == len(items) and whole == list(
                range(whole[0], whole[0] + len(whole))):
            return f"{whole[0]} to {whole[-1]}"
        return ", ".join(readable(item, digits) for item in items)
    if is_missing(value):
        return MISSING
    if isinstance(value, bool) or not isinstance(value, int | float):
        return text(value)
    number_ = float(value)
    if not math.isfinite(number_):
        return MISSING
    if abs(number_) < 1e-9:
        return "0"
    if number_.is_integer():
        whole_number = int(number_)
        return _signed(f"{whole_number:,}" if abs(whole_number) >= 10_000 else str(whole_number))
    shown = np.format_float_positional(number_, precision=digits, unique=False,
                                       fractional=False, trim="-")
    if abs(number_) >= 10_000:
        shown = f"{float(shown):,.0f}"
    return _signed(shown)


def text(value: Any) -> str:
    """Format any cell as text: missing as ``n/a``, booleans as yes/no, numbers with separators."""
    if is_missing(value):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return number(value)
    if isinstance(value, float):
        return number(value, 0 if value.is_integer() else 2)
    return str(value)


@cache
def _names(list_name: str) -> dict[str, str]:
    from wfplan.dataset import codelists

    try:
        return {row["code"]: row["name"] for row in codelists.get(list_name).rows}
    except KeyError:  # pragma: no cover - every list named here exists
        return {}


def sector_name(code: Any) -> str:
    """Return a sector's name (``NHS trusts``, ``Primary care``), else the code in words."""
    key = str(code)
    return _names("sector").get(key, key.replace("_", " ").capitalize())


def staff_group_name(code: Any) -> str:
    """Return a staff group's (or a role's) published name (``Nurses & health visitors``).

    A code in neither code list reads as its words.

    England's totals read ``All staff groups`` and ``Primary care: all staff groups``.
    """
    key = str(code)
    if key == ALL_STAFF_GROUPS:
        return "All staff groups"
    if is_total(key):
        return f"{sector_name(key.removeprefix(SECTOR_TOTAL_PREFIX))}: all staff groups"
    names = {**_names("role"), **_names("staff_group_aggregate"), **_names("staff_group")}
    return names.get(key, key.replace("_", " ").capitalize())


def grade_name(code: Any) -> str:
    """Return a pay band's name (``Band 8a``), else the code."""
    key = str(code)
    return _names("grade").get(key, key.replace("_", " ").capitalize())


def words(code: Any) -> str:
    """Turn a code such as ``training_places`` into words (``Training places``)."""
    return str(code).replace("_", " ").capitalize()


def escape_html(value: Any) -> str:
    """Return ``value`` as text escaped for HTML."""
    return str(escape("" if is_missing(value) else str(value)))
